package model

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"sort"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/internal/frame"
	"github.com/gocnn/cnn/internal/regular"
	"github.com/gocnn/cnn/layers"
)

// The whole-model file, version 1, in the framing of internal/frame:
//
//	magic    "GOCNNMDL", version 1
//	architecture  uint32 length, then JSON: the inputs, every layer with
//	              its type, name, configuration, input nodes and, if it
//	              is frozen, "frozen": true, the
//	              outputs, the dtype and the seed, and the class names
//	              if the model has them
//	weights       uint64 length, then the model's weights file (see
//	              graph.Params.MarshalBinaryTo)
//	state         uint64 length, then JSON: named extra state, such as an
//	              optimiser's, or empty
//	crc32
var modelFormat = frame.Format{
	Name: "model file", Magic: "GOCNNMDL", Version: 1,
	Sections: []frame.Section{{Name: "architecture", Length: frame.Uint32}, {Name: "weights", Length: frame.Uint64}, {Name: "state", Length: frame.Uint64}},
}

// Caps on the sections of a model file. The weights must also have the
// exact size that the architecture implies.
const (
	MaxArchitectureBytes = 16 << 20
	MaxWeightsBytes      = 1 << 31
	MaxStateBytes        = 1 << 32
)

// State is named extra state that a model file carries beside the model,
// such as an optimiser's (package train saves its optimiser as
// "optimizer").
type State map[string]json.RawMessage

// architecture is the JSON record of a model's wiring.
type architecture struct {
	Dtype      string      `json:"dtype"`
	Seed       uint64      `json:"seed"`
	Sequential bool        `json:"sequential,omitempty"`
	Inputs     []inputArch `json:"inputs"`
	Layers     []layerArch `json:"layers"`
	Outputs    []string    `json:"outputs"`
	ClassNames []string    `json:"class_names,omitempty"`
}

type inputArch struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type layerArch struct {
	Name   string          `json:"name"`
	Type   string          `json:"type"`
	Config json.RawMessage `json:"config"`
	Inputs []string        `json:"inputs"`
	Frozen bool            `json:"frozen,omitempty"`
}

// A Spec is a model's wiring as its model file records it: its inputs
// with their example shapes, its layers in the order they run (each with
// its type, its configuration from layers.ConfigOf and the names of the
// inputs or layers that feed it, in order) and the names of its outputs.
// Exporters to other formats read it. ClassNames are the model's class
// names (ClassNames), or nil.
type Spec struct {
	Inputs     []InputSpec
	Layers     []LayerSpec
	Outputs    []string
	ClassNames []string
}

// An InputSpec is one model input: its name and its example shape.
type InputSpec struct {
	Name  string
	Shape []int
}

// A LayerSpec is one layer of a model: its name, its type, its
// configuration (layers.ConfigOf), the names of the nodes feeding it and
// whether it is frozen (Model.SetTrainable).
type LayerSpec struct {
	Name   string
	Type   string
	Config json.RawMessage
	Inputs []string
	Frozen bool
}

// Spec returns m's wiring. Every layer must be Configurable (every
// built-in layer is).
func (m *Model) Spec() (Spec, error) {
	a, err := m.architecture()
	if err != nil {
		return Spec{}, errors.Wrap(err, "model: spec")
	}
	var s Spec
	for _, in := range a.Inputs {
		s.Inputs = append(s.Inputs, InputSpec(in))
	}
	for _, l := range a.Layers {
		s.Layers = append(s.Layers, LayerSpec(l))
	}
	s.Outputs = a.Outputs
	s.ClassNames = a.ClassNames
	return s, nil
}

// architecture records m's wiring; every layer must be Configurable.
func (m *Model) architecture() (architecture, error) {
	a := architecture{Dtype: m.Dtype().String(), Seed: m.params.Seed(), Sequential: m.sequential}
	for _, in := range m.inputs {
		a.Inputs = append(a.Inputs, inputArch{Name: m.names[in], Shape: in.shape})
	}
	for _, n := range m.nodes {
		cfg, err := layers.ConfigOf(n.layer)
		if err != nil {
			return a, err
		}
		la := layerArch{Name: m.names[n], Type: n.layer.Type(), Config: cfg, Frozen: n.frozen}
		for _, in := range n.inputs {
			la.Inputs = append(la.Inputs, m.names[in])
		}
		a.Layers = append(a.Layers, la)
	}
	for _, out := range m.outputs {
		a.Outputs = append(a.Outputs, m.names[out])
	}
	a.ClassNames = m.ClassNames()
	return a, nil
}

// Write writes the whole model (its architecture, its weights and state,
// which may be nil) to w in the model-file format.
func (m *Model) Write(w io.Writer, state State) error {
	a, err := m.architecture()
	if err != nil {
		return errors.Wrap(err, "model: save")
	}
	arch, err := json.Marshal(a)
	if err != nil {
		return errors.Wrap(err, "model: save")
	}
	var weights bytes.Buffer
	if err := m.params.MarshalBinaryTo(&weights); err != nil {
		return err
	}
	var st []byte
	if len(state) > 0 {
		if st, err = json.Marshal(state); err != nil {
			return errors.Wrap(err, "model: save: state")
		}
	}
	return modelFormat.Write(w, arch, weights.Bytes(), st)
}

// Save writes the whole model and state (which may be nil) to path,
// atomically: an interrupted save leaves an earlier file intact. Load
// rebuilds the model from it with no Go code.
func (m *Model) Save(path string, state State) error {
	return atomicfile.Write(path, func(w io.Writer) error { return m.Write(w, state) })
}

// Read reads a model file written by Write and rebuilds the model: its
// layers (built-in ones, and custom ones registered with layers.Register),
// its wiring, its class names and its weights. opts apply to the rebuilt
// model (MaxBatch, MaxConcurrent; its seed and dtype come from the file,
// and so do its class names when it has them, replacing any ClassNames
// option), and its frozen layers (SetTrainable).
func Read(r io.Reader, opts ...Option) (*Model, State, error) {
	secs, err := modelFormat.Read(r, MaxArchitectureBytes, MaxWeightsBytes, MaxStateBytes)
	if err != nil {
		return nil, nil, err
	}
	var a architecture
	if err := decodeStrict(secs[0], &a); err != nil {
		return nil, nil, errors.Wrap(err, "model file: architecture")
	}
	// The parameters may take no more than the weights section holds, so
	// that the file's size bounds what building its architecture allocates.
	opts = append(opts[:len(opts):len(opts)], func(c *config) { c.maxWeightBytes = int64(len(secs[1])) })
	m, err := a.build(opts)
	if err != nil {
		return nil, nil, errors.Wrap(err, "model file: architecture")
	}
	if got, want := int64(len(secs[1])), m.params.BinarySize(); got != want {
		return nil, nil, errors.Errorf("model file: the weights section holds %d bytes, the architecture needs %d", got, want)
	}
	if err := m.params.UnmarshalBinaryFrom(bytes.NewReader(secs[1])); err != nil {
		return nil, nil, errors.Wrap(err, "model file")
	}
	var state State
	if len(secs[2]) > 0 {
		if err := json.Unmarshal(secs[2], &state); err != nil {
			return nil, nil, errors.Wrap(err, "model file: state")
		}
	}
	return m, state, nil
}

// Load reads the model file at path (see Read). Errors name the file.
func Load(path string, opts ...Option) (*Model, State, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	m, st, err := Read(f, opts...)
	return m, st, errors.Wrapf(err, "loading %s", path)
}

// build makes the model the architecture describes.
func (a architecture) build(opts []Option) (*Model, error) {
	var dtype Option
	switch a.Dtype {
	case tensor.Float32.String():
	case tensor.Float64.String():
		dtype = Float64()
	default:
		return nil, errors.Errorf("dtype %q is not float32 or float64", a.Dtype)
	}
	if len(a.Layers) > MaxLayers {
		return nil, errors.Errorf("%d layers; at most %d are allowed (model.MaxLayers)", len(a.Layers), MaxLayers)
	}
	if len(a.Inputs) > MaxLayerInputs || len(a.Outputs) > MaxLayerInputs {
		return nil, errors.Errorf("%d inputs and %d outputs; at most %d of each are allowed (model.MaxLayerInputs)", len(a.Inputs), len(a.Outputs), MaxLayerInputs)
	}
	connections := 0
	for _, la := range a.Layers {
		if connections += len(la.Inputs); connections > MaxConnections {
			return nil, errors.Errorf("the layers take more than %d inputs in all (model.MaxConnections)", MaxConnections)
		}
	}
	nodes := make(map[string]*Node, len(a.Inputs)+len(a.Layers))
	var inputs, outputs []*Node
	for _, in := range a.Inputs {
		if _, ok := nodes[in.Name]; ok || in.Name == "" {
			return nil, errors.Errorf("input name %q is empty or repeated", in.Name)
		}
		n := Input(in.Shape...)
		nodes[in.Name] = n
		inputs = append(inputs, n)
	}
	for _, la := range a.Layers {
		if _, ok := nodes[la.Name]; ok || la.Name == "" {
			return nil, errors.Errorf("layer name %q is empty or repeated", la.Name)
		}
		if len(la.Inputs) > MaxLayerInputs {
			return nil, errors.Errorf("layer %s takes %d inputs; at most %d are allowed (model.MaxLayerInputs)", la.Name, len(la.Inputs), MaxLayerInputs)
		}
		l, err := layers.FromConfig(la.Type, la.Config)
		if err != nil {
			return nil, errors.Wrapf(err, "layer %s", la.Name)
		}
		l.SetName(la.Name)
		var ins []*Node
		for _, name := range la.Inputs {
			in, ok := nodes[name]
			if !ok {
				return nil, errors.Errorf("layer %s takes %q, which no earlier layer or input is called", la.Name, name)
			}
			ins = append(ins, in)
		}
		nodes[la.Name] = Apply(l, ins...)
	}
	for _, name := range a.Outputs {
		out, ok := nodes[name]
		if !ok {
			return nil, errors.Errorf("output %q names no layer", name)
		}
		outputs = append(outputs, out)
	}
	m, err := New(inputs, outputs, append([]Option{Seed(a.Seed), dtype}, opts...)...)
	if err != nil {
		return nil, err
	}
	m.sequential = a.Sequential
	for _, la := range a.Layers {
		if la.Frozen {
			if err := m.SetTrainable(false, la.Name); err != nil {
				return nil, errors.Wrapf(err, "layer %s: frozen", la.Name)
			}
		}
	}
	if len(a.ClassNames) > 0 {
		if err := checkClassNames(a.ClassNames, m.outSizes); err != nil {
			return nil, errors.Wrap(err, "class_names")
		}
		m.classes = a.ClassNames
	}
	return m, nil
}

// decodeStrict unmarshals b into v, refusing unknown fields and anything
// after the JSON value.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errors.WithStack(err)
	}
	end := d.InputOffset()
	if _, err := d.Token(); err != io.EOF {
		return errors.Errorf("data after the JSON value, at byte %d", end)
	}
	return nil
}

// IsModelFile reports whether the file at path starts like a model file
// (Save), as opposed to a weights file or anything else.
func IsModelFile(path string) (bool, error) {
	f, err := regular.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	head := make([]byte, len(modelFormat.Magic))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == modelFormat.Magic, nil
}

// LoadWeights loads into m the weights of a model file (Save) or of a
// weights file (graph.Params.SaveFile, such as cmd/mnist's weights.bin).
// A model file whose architecture differs from m's is an error that says
// what differs (a layer's activation, pooling, strides or shape, the
// wiring); a weights file records only parameter names and shapes, which
// must match. Nothing changes unless the whole file is valid. It must not
// run concurrently with Predict.
func (m *Model) LoadWeights(path string) error {
	f, err := regular.Open(path)
	if err != nil {
		return errors.Wrap(err, "loading weights")
	}
	defer f.Close()
	head := make([]byte, len(modelFormat.Magic))
	n, _ := io.ReadFull(f, head)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return errors.Wrapf(err, "loading weights from %s", path)
	}
	if string(head[:n]) != modelFormat.Magic {
		return errors.Wrapf(m.params.UnmarshalBinaryFrom(f), "loading weights from %s", path)
	}
	secs, err := modelFormat.Read(f, MaxArchitectureBytes, MaxWeightsBytes, MaxStateBytes)
	if err != nil {
		return errors.Wrapf(err, "loading weights from %s", path)
	}
	var a architecture
	if err := decodeStrict(secs[0], &a); err != nil {
		return errors.Wrapf(err, "loading weights from %s: architecture", path)
	}
	mine, err := m.architecture()
	if err != nil {
		return err
	}
	if err := diffArchitecture(a, mine); err != nil {
		return errors.Wrapf(err, "loading weights from %s: different architecture", path)
	}
	return errors.Wrapf(m.params.UnmarshalBinaryFrom(bytes.NewReader(secs[1])), "loading weights from %s", path)
}

// diffArchitecture returns an error saying how the architecture in a file
// differs from the model's, or nil if they agree (the seed may differ).
func diffArchitecture(file, model architecture) error {
	if file.Dtype != model.Dtype {
		return errors.Errorf("dtype %s in the file, %s in the model", file.Dtype, model.Dtype)
	}
	if len(file.Inputs) != len(model.Inputs) {
		return errors.Errorf("%d inputs in the file, %d in the model", len(file.Inputs), len(model.Inputs))
	}
	for i := range file.Inputs {
		if !reflect.DeepEqual(file.Inputs[i], model.Inputs[i]) {
			return errors.Errorf("input %d is %s %v in the file, %s %v in the model", i+1, file.Inputs[i].Name, file.Inputs[i].Shape, model.Inputs[i].Name, model.Inputs[i].Shape)
		}
	}
	if len(file.Layers) != len(model.Layers) {
		return errors.Errorf("%d layers in the file, %d in the model", len(file.Layers), len(model.Layers))
	}
	for i, f := range file.Layers {
		g := model.Layers[i]
		switch {
		case f.Type != g.Type:
			return errors.Errorf("layer %d is %s (%s) in the file, %s (%s) in the model", i+1, f.Name, f.Type, g.Name, g.Type)
		case f.Name != g.Name:
			return errors.Errorf("layer %d is named %s in the file, %s in the model", i+1, f.Name, g.Name)
		case strings.Join(f.Inputs, ",") != strings.Join(g.Inputs, ","):
			return errors.Errorf("layer %s takes %v in the file, %v in the model", f.Name, f.Inputs, g.Inputs)
		}
		if err := diffConfig(f.Config, g.Config); err != nil {
			return errors.Wrapf(err, "layer %s (%s)", f.Name, f.Type)
		}
	}
	if strings.Join(file.Outputs, ",") != strings.Join(model.Outputs, ",") {
		return errors.Errorf("outputs %v in the file, %v in the model", file.Outputs, model.Outputs)
	}
	return nil
}

// diffConfig compares two layer configurations option by option; an
// option absent from one side stands at its default there.
func diffConfig(file, model json.RawMessage) error {
	var f, g map[string]any
	if err := json.Unmarshal(file, &f); err != nil {
		return errors.Wrap(err, "configuration in the file")
	}
	if err := json.Unmarshal(model, &g); err != nil {
		return errors.Wrap(err, "configuration in the model")
	}
	keys := map[string]bool{}
	for k := range f {
		keys[k] = true
	}
	for k := range g {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	show := func(v any, ok bool) string {
		if !ok {
			return "the default"
		}
		b, _ := json.Marshal(v)
		return string(b)
	}
	for _, k := range sorted {
		fv, fok := f[k]
		gv, gok := g[k]
		if !reflect.DeepEqual(fv, gv) {
			return errors.Errorf("%s is %s in the file, %s in the model", k, show(fv, fok), show(gv, gok))
		}
	}
	return nil
}
