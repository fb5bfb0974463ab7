package onnx

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
	"github.com/gocnn/cnn/ops"
)

// The versions an exported file declares.
const (
	// IRVersion is the ONNX IR version of the files Export writes.
	IRVersion = 8
	// Opset is the version of the default ONNX operator set they use.
	Opset = 17
	// BatchDim is the name of the dynamic batch dimension of every graph
	// input and output.
	BatchDim = "N"
)

// An Option configures Export.
type Option func(*config)

type config struct {
	inputs, outputs []string
	docString       string
}

// InputNames names the graph inputs, one name per model input, in the
// order of the model's inputs. By default they are the model's names:
// input_1, input_2, ...
func InputNames(names ...string) Option {
	return func(c *config) { c.inputs = append([]string{}, names...) }
}

// OutputNames names the graph outputs, one name per model output. By
// default they are the names of the layers that compute them, such as
// dense_2.
func OutputNames(names ...string) Option {
	return func(c *config) { c.outputs = append([]string{}, names...) }
}

// DocString sets the model's documentation string in the file.
func DocString(s string) Option { return func(c *config) { c.docString = s } }

// Save exports m to the ONNX file at path (see Export), atomically: an
// export that fails leaves an earlier file intact.
func Save(m *model.Model, path string, opts ...Option) error {
	return atomicfile.Write(path, func(w io.Writer) error { return Export(m, w, opts...) })
}

// Export writes m to w as an ONNX model (see the package documentation).
// A float64 model is written with float32 weights, the type ONNX
// Runtime's convolutions take. Each layer is written by the Exporter
// registered for its type (see RegisterLayer); a layer with no ONNX form,
// such as a custom layer with no Exporter, is an error naming it and its
// type; nothing is written then.
func Export(m *model.Model, w io.Writer, opts ...Option) error {
	if m == nil {
		return errors.New("onnx: export: nil model")
	}
	var c config
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	for _, l := range m.Layers() {
		if exporterOf(l.Type()) == nil {
			return errors.Errorf("onnx: export: layer %s (%s) has no ONNX form (see onnx.RegisterLayer)", l.Name(), l.Type())
		}
	}
	a, err := m.Spec()
	if err != nil {
		return errors.Wrap(err, "onnx: export")
	}
	if c.inputs != nil && len(c.inputs) != len(a.Inputs) {
		return errors.Errorf("onnx: export: %d input names for a model of %d inputs", len(c.inputs), len(a.Inputs))
	}
	if c.outputs != nil && len(c.outputs) != len(a.Outputs) {
		return errors.Errorf("onnx: export: %d output names for a model of %d outputs", len(c.outputs), len(a.Outputs))
	}
	e := &exporter{m: m, g: &onnxpb.GraphProto{Name: proto.String("gocnn")}, values: map[string]string{}, shapes: map[string][]int{}, used: map[string]bool{}}
	for i, in := range a.Inputs {
		name := in.Name
		if c.inputs != nil {
			name = c.inputs[i]
		}
		if err := e.claim(name); err != nil {
			return errors.Wrapf(err, "onnx: export: input %d", i+1)
		}
		e.values[in.Name], e.shapes[in.Name] = name, in.Shape
		e.g.Input = append(e.g.Input, valueInfo(name, in.Shape))
	}
	for _, l := range a.Layers {
		if err := e.layer(l); err != nil {
			return errors.Wrapf(err, "onnx: export: layer %s (%s)", l.Name, l.Type)
		}
	}
	for i, out := range a.Outputs {
		v, ok := e.values[out]
		if !ok {
			return errors.Errorf("onnx: export: output %q names no layer", out)
		}
		name := v
		if c.outputs != nil && c.outputs[i] != v {
			name = c.outputs[i]
			if err := e.claim(name); err != nil {
				return errors.Wrapf(err, "onnx: export: output %d", i+1)
			}
			e.node("Identity", []string{v}, name)
		}
		e.g.Output = append(e.g.Output, valueInfo(name, e.shapes[out]))
	}
	mp := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(IRVersion),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(Opset)}},
		ProducerName:    proto.String("gocnn"),
		ProducerVersion: proto.String("1"),
		Graph:           e.g,
	}
	types, err := json.Marshal(e.types)
	if err != nil {
		return errors.Wrap(err, "onnx: export: the layer types")
	}
	mp.MetadataProps = []*onnxpb.StringStringEntryProto{{Key: proto.String(layerTypesKey), Value: proto.String(string(types))}}
	if c.docString != "" {
		mp.DocString = proto.String(c.docString)
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(mp)
	if err != nil {
		return errors.Wrap(err, "onnx: export: encoding the model")
	}
	_, err = w.Write(b)
	return errors.Wrap(err, "onnx: export")
}

// layerTypesKey is the key of the model's metadata under which Export
// records the type of each layer, as a JSON list of [name, type] pairs in
// the order of the layers; Import finds each layer's Importer by it.
const layerTypesKey = "gocnn.layer_types"

// exporter builds the ONNX graph of a model.
type exporter struct {
	m      *model.Model
	g      *onnxpb.GraphProto
	values map[string]string // the ONNX value of each model input and layer
	shapes map[string][]int  // the example shape of each model input and layer
	used   map[string]bool   // ONNX value names taken
	types  [][2]string       // the name and type of each layer
}

// claim reserves an ONNX value name.
func (e *exporter) claim(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if e.used[name] {
		return errors.Errorf("the name %q is taken", name)
	}
	e.used[name] = true
	return nil
}

// ExportContext is one layer as its Exporter sees it, and what the
// Exporter writes the layer's nodes with. The nodes must compute Output
// from Inputs; the names of their other values and initializers come
// from Temp, Param, Floats and Int64s, which keep them apart from other
// layers'.
type ExportContext struct {
	e *exporter
	// Name, Type and Config are the layer's name, type and configuration
	// (layers.ConfigOf).
	Name, Type string
	Config     json.RawMessage
	// Inputs are the ONNX values of the layer's inputs, and InputShapes
	// their example shapes, without the batch dimension.
	Inputs      []string
	InputShapes [][]int
	// Output is the ONNX value the layer's last node must compute, and
	// Shape its example shape.
	Output string
	Shape  []int
	err    error // the first bad attribute given to Node
}

// Node appends a node of the default operator set (opset 17), named after
// its output. An attribute of a Value that Attr cannot hold makes the
// export fail.
func (c *ExportContext) Node(op string, inputs []string, output string, attrs ...Attr) {
	ps := make([]*onnxpb.AttributeProto, 0, len(attrs))
	for _, a := range attrs {
		p, err := a.toProto()
		if err != nil {
			if c.err == nil {
				c.err = errors.Wrapf(err, "node %s (%s)", output, op)
			}
			continue
		}
		ps = append(ps, p)
	}
	c.e.node(op, inputs, output, ps...)
}

// node appends a node with encoded attributes.
func (c *ExportContext) node(op string, inputs []string, output string, attrs ...*onnxpb.AttributeProto) {
	c.e.node(op, inputs, output, attrs...)
}

// Temp returns a fresh name for an intermediate value of the layer:
// Name/what, with a number after it if that is taken.
func (c *ExportContext) Temp(what string) string { return c.e.temp(c.Name, what) }

// Param adds the layer's parameter local (the model's parameter
// Name/local) as a float32 initializer and returns its name, Name/local.
func (c *ExportContext) Param(local string) (string, error) { return c.e.param(c.Name, local) }

// Floats adds a float32 initializer of the given shape and values (a nil
// shape for a scalar) and returns its name, from Temp(what).
func (c *ExportContext) Floats(what string, shape []int, vals []float32) string {
	name := c.Temp(what)
	c.e.initializer(name, shape, vals)
	return name
}

// Int64s adds a Constant node of the int64 vector vs, as Reshape's shape
// and Pad's pads are given, and returns its output's name, from
// Temp(what).
func (c *ExportContext) Int64s(what string, vs ...int) string {
	return c.e.constInts(c.Name, what, vs...)
}

// Activation writes the activation of the Keras name act (such as "relu";
// "" or "linear" is the identity) of the value x as the value y, with the
// default alpha of leaky_relu and elu.
func (c *ExportContext) Activation(act, x, y string) error { return c.e.activation(act, nil, x, y) }

// ActivationInput returns the value that a layer's own activation act
// takes: Output when act is "" or "linear", else a Temp.
func (c *ExportContext) ActivationInput(act, what string) string {
	return c.e.activationInput(c.Output, act, what)
}

// input returns the layer's first input and its shape.
func (c *ExportContext) input() (string, []int) { return c.Inputs[0], c.InputShapes[0] }

// layer emits the nodes of one layer with its type's Exporter; its output
// value has the layer's name.
func (e *exporter) layer(l model.LayerSpec) error {
	export := exporterOf(l.Type)
	if export == nil {
		return errors.New("no ONNX form (see onnx.RegisterLayer)")
	}
	c := &ExportContext{e: e, Name: l.Name, Type: l.Type, Config: l.Config, Output: l.Name}
	for _, name := range l.Inputs {
		v, ok := e.values[name]
		if !ok {
			return errors.Errorf("input %q is not computed before the layer", name)
		}
		c.Inputs = append(c.Inputs, v)
		c.InputShapes = append(c.InputShapes, e.shapes[name])
	}
	if len(c.Inputs) == 0 {
		return errors.New("no input")
	}
	if c.Shape = e.m.LayerShape(l.Name); c.Shape == nil {
		return errors.New("the model has no such layer")
	}
	if err := e.claim(c.Output); err != nil {
		return err
	}
	e.values[l.Name], e.shapes[l.Name] = c.Output, c.Shape
	e.types = append(e.types, [2]string{l.Name, l.Type})
	nodes := len(e.g.Node)
	if err := export(c); err != nil {
		return err
	}
	if c.err != nil {
		return c.err
	}
	if len(e.g.Node) == nodes || e.g.Node[len(e.g.Node)-1].GetOutput()[0] != c.Output {
		return errors.Errorf("the Exporter's last node does not compute the layer's value %q", c.Output)
	}
	return nil
}

// windowAttrs returns the attributes of a Conv, MaxPool or AveragePool
// node over an input of example shape in [C, H, W]: the window, the
// strides (def when strides is nil) and the padding.
func windowAttrs(in []int, k [2]int, strides []int, def [2]int, padding string) ([]*onnxpb.AttributeProto, error) {
	s := def
	if strides != nil {
		if len(strides) != 2 {
			return nil, errors.Errorf("strides %v: want two values", strides)
		}
		s = [2]int{strides[0], strides[1]}
	}
	p, err := windowPads(in, k, s, padding == "same")
	if err != nil {
		return nil, err
	}
	return []*onnxpb.AttributeProto{
		attrInts("kernel_shape", k[0], k[1]),
		attrInts("strides", s[0], s[1]),
		attrInts("pads", p[:]...),
	}, nil
}

// windowPads returns the ONNX pads (top, left, bottom, right) of a window
// k moved with strides s over an input of example shape in [C, H, W]:
// zero for 'valid' padding; for 'same' padding what package ops pads,
// the odd cell after the input, as in Keras.
func windowPads(in []int, k, s [2]int, same bool) ([4]int, error) {
	var p [4]int
	if len(in) != 3 {
		return p, errors.Errorf("input shape %v is not an image [C, H, W]", in)
	}
	for i := range 2 {
		out, before, err := ops.OutSize(in[1+i], k[i], s[i], same)
		if err != nil {
			return p, err
		}
		if same {
			p[i], p[2+i] = before, max((out-1)*s[i]+k[i]-in[1+i], 0)-before
		}
	}
	return p, nil
}

// activationInput returns the name of the value a layer's own activation
// act applies to: the layer's output itself when it has none.
func (e *exporter) activationInput(layer, act, what string) string {
	if act == "" || act == "linear" {
		return layer
	}
	return e.temp(layer, what)
}

// activation emits the activation act (a ops.Activation name) of x as y;
// alpha is the LeakyReLU or ELU layer's parameter, nil for the default.
func (e *exporter) activation(act string, alpha *float64, x, y string) error {
	param := func(def float64) *onnxpb.AttributeProto {
		if alpha != nil {
			def = *alpha
		}
		return attrFloat("alpha", def)
	}
	switch act {
	case "", "linear":
		if x != y {
			e.node("Identity", []string{x}, y)
		}
	case "relu":
		e.node("Relu", []string{x}, y)
	case "sigmoid":
		e.node("Sigmoid", []string{x}, y)
	case "tanh":
		e.node("Tanh", []string{x}, y)
	case "softmax":
		e.node("Softmax", []string{x}, y, attrInt("axis", -1))
	case "leaky_relu":
		e.node("LeakyRelu", []string{x}, y, param(ops.DefaultLeakySlope))
	case "elu":
		e.node("Elu", []string{x}, y, param(ops.DefaultELUAlpha))
	case "gelu":
		// x·Φ(x) = x·(1 + erf(x/√2))/2; opset 17 has no Gelu.
		sqrt2 := e.scalar(y, "sqrt2", math.Sqrt2)
		one := e.scalar(y, "one", 1)
		half := e.scalar(y, "half", 0.5)
		d, f, s, h := e.temp(y, "div"), e.temp(y, "erf"), e.temp(y, "add"), e.temp(y, "mul")
		e.node("Div", []string{x, sqrt2}, d)
		e.node("Erf", []string{d}, f)
		e.node("Add", []string{f, one}, s)
		e.node("Mul", []string{x, s}, h)
		e.node("Mul", []string{h, half}, y)
	default:
		return errors.Errorf("activation %q has no ONNX form", act)
	}
	return nil
}

// temp returns a fresh name for an intermediate value of a layer.
func (e *exporter) temp(layer, what string) string {
	name := layer + "/" + what
	for i := 2; e.used[name]; i++ {
		name = layer + "/" + what + "_" + strconv.Itoa(i)
	}
	e.used[name] = true
	return name
}

// node appends a node; it is named after its output.
func (e *exporter) node(op string, ins []string, out string, attrs ...*onnxpb.AttributeProto) {
	e.g.Node = append(e.g.Node, &onnxpb.NodeProto{Name: proto.String(out), OpType: proto.String(op),
		Input: ins, Output: []string{out}, Attribute: attrs})
}

// param adds the model's parameter layer/local as an initializer of the
// same name and returns the name.
func (e *exporter) param(layer, local string) (string, error) {
	name := layer + "/" + local
	p := e.m.Params().Lookup(name)
	if p == nil {
		return "", errors.Errorf("the model has no parameter %s", name)
	}
	var vals []float32
	switch d := p.Value.Data().(type) {
	case []float32:
		vals = d
	case []float64:
		vals = make([]float32, len(d))
		for i, v := range d {
			vals[i] = float32(v)
		}
	default:
		return "", errors.Errorf("parameter %s has dtype %v", name, p.Value.Dtype())
	}
	if err := e.claim(name); err != nil {
		return "", err
	}
	e.initializer(name, p.Value.Shape(), vals)
	return name, nil
}

// scalar adds a float32 scalar initializer for a layer and returns its
// name.
func (e *exporter) scalar(layer, what string, v float32) string {
	name := e.temp(layer, what)
	e.initializer(name, nil, []float32{v})
	return name
}

// initializer adds a float32 tensor of the given shape, its values stored
// as little-endian raw data.
func (e *exporter) initializer(name string, shape []int, vals []float32) {
	raw := make([]byte, 4*len(vals))
	for i, v := range vals {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	dims := make([]int64, len(shape))
	for i, d := range shape {
		dims[i] = int64(d)
	}
	e.g.Initializer = append(e.g.Initializer, &onnxpb.TensorProto{Name: proto.String(name), Dims: dims,
		DataType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), RawData: raw})
}

// valueInfo describes a graph input or output: float32, of the example
// shape with the dynamic batch dimension in front.
func valueInfo(name string, shape []int) *onnxpb.ValueInfoProto {
	dims := []*onnxpb.TensorShapeProto_Dimension{{Value: &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: BatchDim}}}
	for _, d := range shape {
		dims = append(dims, &onnxpb.TensorShapeProto_Dimension{Value: &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}})
	}
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{
		TensorType: &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(onnxpb.TensorProto_FLOAT)), Shape: &onnxpb.TensorShapeProto{Dim: dims}}}}}
}

func attrInt(name string, v int64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(v)}
}

func attrInts(name string, vs ...int) *onnxpb.AttributeProto {
	ints := make([]int64, len(vs))
	for i, v := range vs {
		ints[i] = int64(v)
	}
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: ints}
}

func attrFloat(name string, v float64) *onnxpb.AttributeProto {
	return &onnxpb.AttributeProto{Name: proto.String(name), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(float32(v))}
}
