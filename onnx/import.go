package onnx

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/internal/regular"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// MaxFileBytes caps the size of a file Import reads.
const MaxFileBytes = 1 << 30

// MaxParamBytes caps the parameters an imported model allocates, counted
// as 4 bytes a value, before any is allocated. An initializer that several
// layers use (a file may share one between layers) is decoded once, but
// each layer holds its own copy of it, and each copy counts.
const MaxParamBytes = 1 << 30

// MaxNodes caps the number of nodes of an imported graph. Import's own
// work grows linearly with the nodes, but building a model of n layers
// costs Gorgonia (v0.9.18) time quadratic in n: every node it adds looks
// itself up in a list of all the nodes. 16,384 layers take about a second.
const MaxNodes = 1 << 14

// Load reads the ONNX file at path (see Import). Errors name the file.
func Load(path string, opts ...model.Option) (*model.Model, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Import(f, opts...)
	return m, errors.Wrapf(err, "loading %s", path)
}

// Import reads an ONNX model that Export wrote and rebuilds it as a model,
// with its layers, their names, its wiring and its weights, to predict
// with or to train further; opts apply to the new model (its seed only
// matters to Dropout, which an ONNX file does not hold). From a file that
// Export wrote (producer "gocnn") it reads the patterns Export writes and
// nothing else, each layer with the Importer registered for its type (see
// RegisterImporter): a node Export would not write is an error naming the
// node. A file of another producer, such as PyTorch, is read node by node
// as the package documentation says.
//
// What ONNX does not record comes back as an equivalent: Dropout layers
// and linear activations (Identity nodes) are left out, 'same' padding
// that pads nothing comes back as 'valid', the default alpha of a
// LeakyReLU or ELU layer as that value, and layers computed in float64
// as float32 unless opts hold model.Float64.
func Import(r io.Reader, opts ...model.Option) (*model.Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, errors.Wrap(err, "onnx: import")
	}
	if len(b) > MaxFileBytes {
		return nil, errors.Errorf("onnx: import: the file is larger than %d bytes (onnx.MaxFileBytes)", MaxFileBytes)
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, errors.Wrap(err, "onnx: import: not an ONNX model")
	}
	m, err := importModel(&mp, opts)
	return m, errors.Wrap(err, "onnx: import")
}

// importer rebuilds a model from an ONNX graph. It follows the example
// shape of every value, to check each weight's shape against its layer's
// input before the model allocates any parameter, and each window's pads.
type importer struct {
	inits   map[string]*onnxpb.TensorProto
	values  map[string]*model.Node // the model node of each ONNX value
	shapes  map[*model.Node][]int  // the example shape of each model node
	inputs  []*model.Node
	weights map[string][]float32 // the values of every parameter, by name
	decoded map[string][]float32 // the values of every initializer decoded, by name
	bytes   int                  // the bytes of the parameters so far
}

func importModel(mp *onnxpb.ModelProto, opts []model.Option) (*model.Model, error) {
	if v := mp.GetIrVersion(); v < 3 || v > IRVersion {
		return nil, errors.Errorf("IR version %d; this package reads up to %d", v, IRVersion)
	}
	g := mp.GetGraph()
	if n := len(g.GetNode()); n > MaxNodes {
		return nil, errors.Errorf("%d nodes; the most this package imports is %d (onnx.MaxNodes)", n, MaxNodes)
	}
	if mp.GetProducerName() != "gocnn" {
		return importForeign(mp, opts)
	}
	opset := int64(-1)
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() != "" && o.GetDomain() != "ai.onnx" {
			return nil, errors.Errorf("operator set %q is not the default one", o.GetDomain())
		}
		opset = o.GetVersion()
	}
	if opset != Opset {
		return nil, errors.Errorf("opset %d; this package reads opset %d, which Export writes", opset, Opset)
	}
	im := &importer{inits: map[string]*onnxpb.TensorProto{}, values: map[string]*model.Node{},
		shapes: map[*model.Node][]int{}, weights: map[string][]float32{}, decoded: map[string][]float32{}}
	for _, t := range g.GetInitializer() {
		if _, ok := im.inits[t.GetName()]; ok || t.GetName() == "" {
			return nil, errors.Errorf("initializer name %q is empty or repeated", t.GetName())
		}
		im.inits[t.GetName()] = t
	}
	for _, v := range g.GetInput() {
		if _, ok := im.inits[v.GetName()]; ok {
			continue // an initializer may be listed as an input too
		}
		shape, err := exampleShape(v)
		if err != nil {
			return nil, errors.Wrapf(err, "input %q", v.GetName())
		}
		if err := im.define(v.GetName()); err != nil {
			return nil, errors.Wrap(err, "input")
		}
		n := model.Input(shape...)
		im.values[v.GetName()], im.shapes[n] = n, shape
		im.inputs = append(im.inputs, n)
	}
	types, err := layerTypes(mp)
	if err != nil {
		return nil, err
	}
	outNames := map[string]bool{}
	for _, v := range g.GetOutput() {
		outNames[v.GetName()] = true
	}
	layerOf := func(n *onnxpb.NodeProto) (string, error) { return layerOf(n, outNames) }
	nodes := g.GetNode()
	for i := 0; i < len(nodes); {
		key, err := layerOf(nodes[i])
		if err != nil {
			return nil, err
		}
		j := i + 1
		for j < len(nodes) {
			k, err := layerOf(nodes[j])
			if err != nil {
				return nil, err
			}
			if k != key {
				break
			}
			j++
		}
		if err := im.layer(key, types[key], nodes[i:j]); err != nil {
			return nil, errors.Wrapf(err, "layer %s (nodes %d to %d)", key, i+1, j)
		}
		i = j
	}
	var outputs []*model.Node
	for _, v := range g.GetOutput() {
		n, ok := im.values[v.GetName()]
		if !ok {
			return nil, errors.Errorf("output %q is computed by no node", v.GetName())
		}
		outputs = append(outputs, n)
	}
	return newModel(im.inputs, outputs, im.weights, opts)
}

// newModel makes the model and sets its parameters from weights.
func newModel(inputs, outputs []*model.Node, weights map[string][]float32, opts []model.Option) (*model.Model, error) {
	m, err := model.New(inputs, outputs, opts...)
	if err != nil {
		return nil, err
	}
	for _, p := range m.Params().List() {
		w, ok := weights[p.Name]
		if !ok || len(w) != p.Value.Shape().TotalSize() {
			return nil, errors.Errorf("no initializer of shape %v holds parameter %s", p.Value.Shape(), p.Name)
		}
		switch d := p.Value.Data().(type) {
		case []float32:
			copy(d, w)
		case []float64:
			for i, v := range w {
				d[i] = float64(v)
			}
		}
	}
	return m, nil
}

// exampleShape returns the shape of a graph input without its batch
// dimension, which may be named or fixed.
func exampleShape(v *onnxpb.ValueInfoProto) ([]int, error) {
	tt := v.GetType().GetTensorType()
	if tt == nil || tt.GetElemType() != int32(onnxpb.TensorProto_FLOAT) {
		return nil, errors.New("not a float32 tensor")
	}
	dims := tt.GetShape().GetDim()
	if len(dims) < 2 {
		return nil, errors.Errorf("%d dimensions; want a batch dimension and at least one more", len(dims))
	}
	var shape []int
	for _, d := range dims[1:] {
		x := d.GetDimValue()
		if x <= 0 || x > model.MaxExampleValues {
			return nil, errors.Errorf("dimension %v is not a positive size", d)
		}
		shape = append(shape, int(x))
	}
	return shape, checkSize(shape)
}

// layerOf returns the layer a node belongs to: its output's name up to
// the first slash, as Export names them, or the whole name for a graph
// output (which OutputNames may name freely).
func layerOf(n *onnxpb.NodeProto, outputs map[string]bool) (string, error) {
	if len(n.GetOutput()) != 1 {
		return "", errors.Errorf("node %q (%s) has %d outputs, want 1", n.GetName(), n.GetOpType(), len(n.GetOutput()))
	}
	if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
		return "", errors.Errorf("node %q is of operator set %q", n.GetName(), n.GetDomain())
	}
	key, _, _ := strings.Cut(n.GetOutput()[0], "/")
	if outputs[n.GetOutput()[0]] {
		key = n.GetOutput()[0]
	}
	if key == "" {
		return "", errors.Errorf("node %q (%s) has an output of no layer: %q", n.GetName(), n.GetOpType(), n.GetOutput()[0])
	}
	return key, nil
}

// define claims an ONNX value name.
func (im *importer) define(name string) error {
	if _, ok := im.values[name]; ok || name == "" {
		return errors.Errorf("value name %q is empty or defined twice", name)
	}
	return nil
}

// value returns the model node of an ONNX value computed earlier.
func (im *importer) value(name string) (*model.Node, error) {
	n, ok := im.values[name]
	if !ok {
		return nil, errors.Errorf("value %q is not computed before it is used", name)
	}
	return n, nil
}

// param returns the values of the float32 initializer name, decoded once,
// checking its shape (a negative size matches any).
func (im *importer) param(name string, shape ...int) ([]float32, error) {
	dims, err := im.dims(name)
	if err != nil {
		return nil, err
	}
	if len(dims) != len(shape) {
		return nil, errors.Errorf("initializer %s has shape %v, want %d dimensions", name, dims, len(shape))
	}
	for i, d := range shape {
		if d >= 0 && dims[i] != d {
			return nil, errors.Errorf("initializer %s has shape %v, want %v", name, dims, shape)
		}
	}
	w, ok := im.decoded[name]
	if !ok {
		if w, _, err = im.tensor(name); err != nil {
			return nil, err
		}
		im.decoded[name] = w
	}
	return w, nil
}

// countParam adds n values, for what, to the bytes of parameters *total,
// refusing more than MaxParamBytes.
func countParam(total *int, n int, what string) error {
	if *total += 4 * n; *total > MaxParamBytes {
		return errors.Errorf("%s: the parameters exceed %d bytes (onnx.MaxParamBytes); a weight shared by several layers counts once for each", what, MaxParamBytes)
	}
	return nil
}

// dims returns the shape of a float32 initializer without decoding it.
func (im *importer) dims(name string) ([]int, error) {
	t, ok := im.inits[name]
	if !ok {
		return nil, errors.Errorf("%q is not an initializer", name)
	}
	return floatDims(t)
}

// tensor returns the values and shape of a float32 initializer.
func (im *importer) tensor(name string) ([]float32, []int, error) {
	t, ok := im.inits[name]
	if !ok {
		return nil, nil, errors.Errorf("%q is not an initializer", name)
	}
	return decodeFloats(t)
}

// floatDims checks a float32 initializer's shape against the values it
// holds and returns it.
func floatDims(t *onnxpb.TensorProto) ([]int, error) {
	name := t.GetName()
	if t.GetDataType() != int32(onnxpb.TensorProto_FLOAT) || t.DataLocation != nil && t.GetDataLocation() != onnxpb.TensorProto_DEFAULT {
		return nil, errors.Errorf("initializer %s is not a float32 tensor held in the file", name)
	}
	size := 1
	dims := make([]int, len(t.GetDims()))
	for i, d := range t.GetDims() {
		if d <= 0 || d > int64(len(t.GetRawData())+len(t.GetFloatData())) {
			return nil, errors.Errorf("initializer %s has shape %v, more values than it holds", name, t.GetDims())
		}
		dims[i] = int(d)
		if size *= dims[i]; size > len(t.GetRawData())+len(t.GetFloatData()) {
			return nil, errors.Errorf("initializer %s has shape %v, more values than it holds", name, t.GetDims())
		}
	}
	return dims, nil
}

// decodeFloats returns the values and shape of a float32 initializer.
func decodeFloats(t *onnxpb.TensorProto) ([]float32, []int, error) {
	name := t.GetName()
	dims, err := floatDims(t)
	if err != nil {
		return nil, nil, err
	}
	size := product(dims)
	if raw := t.GetRawData(); len(raw) > 0 || len(t.GetFloatData()) == 0 {
		if len(raw) != 4*size || len(t.GetFloatData()) != 0 {
			return nil, nil, errors.Errorf("initializer %s holds %d bytes for shape %v", name, len(raw), dims)
		}
		w := make([]float32, size)
		for i := range w {
			w[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		return w, dims, nil
	}
	if len(t.GetFloatData()) != size {
		return nil, nil, errors.Errorf("initializer %s holds %d values for shape %v", name, len(t.GetFloatData()), dims)
	}
	return append([]float32(nil), t.GetFloatData()...), dims, nil
}

// scalar returns the value of a one-value initializer.
func (im *importer) scalar(name string) (float32, error) {
	w, _, err := im.tensor(name)
	if err != nil {
		return 0, err
	}
	if len(w) != 1 {
		return 0, errors.Errorf("initializer %s holds %d values, want 1", name, len(w))
	}
	return w[0], nil
}

// attrs returns a node's attributes by name, refusing any not in allowed.
func attrs(n *onnxpb.NodeProto, allowed ...string) (map[string]*onnxpb.AttributeProto, error) {
	out := map[string]*onnxpb.AttributeProto{}
	for _, a := range n.GetAttribute() {
		ok := false
		for _, name := range allowed {
			ok = ok || a.GetName() == name
		}
		if _, dup := out[a.GetName()]; !ok || dup {
			return nil, errors.Errorf("node %q (%s): attribute %q is unexpected or repeated", n.GetName(), n.GetOpType(), a.GetName())
		}
		out[a.GetName()] = a
	}
	return out, nil
}

// intAttr returns an INT attribute, or def when it is absent.
func intAttr(as map[string]*onnxpb.AttributeProto, name string, def int64) (int64, error) {
	a, ok := as[name]
	if !ok {
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_INT {
		return 0, errors.Errorf("attribute %s is not an integer", name)
	}
	return a.GetI(), nil
}

// floatAttr returns a FLOAT attribute as the shortest decimal that rounds
// to it (0.2 for float32(0.2)), or def when it is absent.
func floatAttr(as map[string]*onnxpb.AttributeProto, name string, def float64) (float64, error) {
	a, ok := as[name]
	if !ok {
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_FLOAT {
		return 0, errors.Errorf("attribute %s is not a float", name)
	}
	return strconv.ParseFloat(strconv.FormatFloat(float64(a.GetF()), 'g', -1, 32), 64)
}

// intsAttr returns an INTS attribute of n values, each in [lo, 1<<20],
// or def when it is absent (and def is not nil).
func intsAttr(as map[string]*onnxpb.AttributeProto, name string, n int, lo int64, def []int) ([]int, error) {
	a, ok := as[name]
	if !ok {
		if def == nil {
			return nil, errors.Errorf("attribute %s is missing", name)
		}
		return def, nil
	}
	if a.GetType() != onnxpb.AttributeProto_INTS || len(a.GetInts()) != n {
		return nil, errors.Errorf("attribute %s is not %d integers", name, n)
	}
	out := make([]int, n)
	for i, v := range a.GetInts() {
		if v < lo || v > 1<<20 {
			return nil, errors.Errorf("attribute %s: %d is out of range", name, v)
		}
		out[i] = int(v)
	}
	return out, nil
}

// inputs checks that n has want inputs and returns them.
func inputs(n *onnxpb.NodeProto, want int) ([]string, error) {
	if len(n.GetInput()) != want {
		return nil, errors.Errorf("node %q (%s) has %d inputs, want %d", n.GetName(), n.GetOpType(), len(n.GetInput()), want)
	}
	return n.GetInput(), nil
}

// layerTypes returns the type of each layer that the file records (see
// layerTypesKey), by name; none for a file that records none.
func layerTypes(mp *onnxpb.ModelProto) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range mp.GetMetadataProps() {
		if p.GetKey() != layerTypesKey {
			continue
		}
		var pairs [][2]string
		if err := json.Unmarshal([]byte(p.GetValue()), &pairs); err != nil {
			return nil, errors.Wrapf(err, "metadata %s", layerTypesKey)
		}
		for _, nt := range pairs {
			out[nt[0]] = nt[1]
		}
	}
	return out, nil
}

// layer rebuilds the layer key, of type typ ("" if the file does not say),
// from its nodes, with the Importer of its type, or of each type whose
// nodes may begin as these do until one reads them.
func (im *importer) layer(key, typ string, nodes []*onnxpb.NodeProto) error {
	if err := im.define(key); err != nil {
		return err
	}
	last := nodes[len(nodes)-1]
	if last.GetOutput()[0] != key {
		return errors.Errorf("the last node, %q, computes %q, not the layer's value %q", last.GetName(), last.GetOutput()[0], key)
	}
	first := nodes[0]
	for _, n := range nodes {
		if n.GetOpType() != "Constant" {
			first = n
			break
		}
	}
	if len(first.GetInput()) == 0 {
		return errors.Errorf("node %q (%s) has no input", first.GetName(), first.GetOpType())
	}
	x, err := im.value(first.GetInput()[0])
	if err != nil {
		return err
	}
	types := []string{typ}
	if typ == "" {
		if types = typesOf(first.GetOpType()); len(types) == 0 {
			return errors.Errorf("node %q: %s begins no layer", first.GetName(), first.GetOpType())
		}
	}
	var firstErr error
	for _, typ := range types {
		imp := importerOf(typ)
		if imp == nil {
			return errors.Errorf("layer type %s has no Importer (see onnx.RegisterImporter)", typ)
		}
		c := &ImportContext{im: im, nodes: nodes, Name: key, Type: typ, Input: first.GetInput()[0], InputShape: im.shapes[x], params: map[string][]float32{}}
		r, err := imp(c)
		if err == nil {
			err = im.build(c, r, x)
		}
		if err == nil {
			return nil
		}
		if firstErr == nil {
			firstErr = errors.Wrapf(err, "as %s", typ)
		}
	}
	return firstErr
}

// build adds the layer an Importer read, with its parameters.
func (im *importer) build(c *ImportContext, r Imported, x *model.Node) error {
	ins := []*model.Node{x}
	if r.Inputs != nil {
		var err error
		if ins, err = im.values1(r.Inputs); err != nil {
			return err
		}
	}
	if len(ins) == 0 {
		return errors.New("a layer of no input")
	}
	if r.Config == nil {
		if len(ins) != 1 || len(c.params) != 0 {
			return errors.New("a layer left out must take one input and hold no parameter")
		}
		im.values[c.Name] = ins[0] // Dropout or a linear activation: nothing to build
		return nil
	}
	if err := checkSize(r.Shape); err != nil {
		return err
	}
	l, err := layers.FromConfig(c.Type, r.Config)
	if err != nil {
		return err
	}
	c.commit()
	l.SetName(c.Name)
	n := model.Apply(l, ins...)
	im.values[c.Name], im.shapes[n] = n, r.Shape
	return nil
}

// checkSize checks an example shape against model.MaxExampleValues.
func checkSize(shape []int) error {
	size := 1
	for _, d := range shape {
		if d <= 0 || size > model.MaxExampleValues/d {
			return errors.Errorf("example shape %v is empty or has more than %d values (model.MaxExampleValues)", shape, model.MaxExampleValues)
		}
		size *= d
	}
	return nil
}

// product is the number of values of an example of shape s, which
// checkSize has checked.
func product(s []int) int {
	p := 1
	for _, d := range s {
		p *= d
	}
	return p
}

// values1 returns the model nodes of ONNX values computed earlier.
func (im *importer) values1(names []string) ([]*model.Node, error) {
	out := make([]*model.Node, len(names))
	for i, name := range names {
		n, err := im.value(name)
		if err != nil {
			return nil, err
		}
		out[i] = n
	}
	return out, nil
}
