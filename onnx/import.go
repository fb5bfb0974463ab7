package onnx

import (
	"encoding/binary"
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
	"github.com/gocnn/cnn/ops"
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
// nothing else: a node Export would not write is an error naming the
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
		if err := im.layer(key, nodes[i:j]); err != nil {
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

// param records the initializer name as the layer's parameter local,
// checking its shape.
func (im *importer) param(layer, local, name string, shape ...int) error {
	w, ok := im.decoded[name]
	dims, err := im.dims(name)
	if err != nil {
		return err
	}
	if !ok {
		if w, _, err = im.tensor(name); err != nil {
			return err
		}
		im.decoded[name] = w
	}
	if err := countParam(&im.bytes, len(w), "initializer "+name); err != nil {
		return err
	}
	if len(dims) != len(shape) {
		return errors.Errorf("initializer %s has shape %v, want %d dimensions", name, dims, len(shape))
	}
	for i, d := range shape {
		if d >= 0 && dims[i] != d {
			return errors.Errorf("initializer %s has shape %v, want %v", name, dims, shape)
		}
	}
	im.weights[layer+"/"+local] = w
	return nil
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

// layer rebuilds the layer key from its nodes.
func (im *importer) layer(key string, nodes []*onnxpb.NodeProto) error {
	if err := im.define(key); err != nil {
		return err
	}
	last := nodes[len(nodes)-1]
	if last.GetOutput()[0] != key {
		return errors.Errorf("the last node, %q, computes %q, not the layer's value %q", last.GetName(), last.GetOutput()[0], key)
	}
	first := nodes[0]
	if len(first.GetInput()) == 0 {
		return errors.Errorf("node %q (%s) has no input", first.GetName(), first.GetOpType())
	}
	x, err := im.value(first.GetInput()[0])
	if err != nil {
		return err
	}
	in := im.shapes[x]
	ins := []*model.Node{x}
	var l layers.Layer
	out := in // the shape of the layer's output
	single := func() error {
		if len(nodes) != 1 {
			return errors.Errorf("%s is followed by %d nodes", first.GetOpType(), len(nodes)-1)
		}
		return nil
	}
	switch op := first.GetOpType(); op {
	case "Conv":
		l, out, err = im.conv(key, in, nodes)
	case "Gemm":
		l, out, err = im.dense(key, in, nodes)
	case "MaxPool", "AveragePool":
		if err = single(); err == nil {
			l, out, err = pool(in, first)
		}
	case "Flatten":
		if err = single(); err == nil {
			err = flattenAxis(first)
		}
		l, out = layers.Flatten(), []int{product(in)}
	case "GlobalAveragePool", "GlobalMaxPool":
		if err = globalPool(nodes, in); err != nil {
			return err
		}
		l, out = layers.GlobalAveragePooling2D(), []int{in[0]}
		if op == "GlobalMaxPool" {
			l = layers.GlobalMaxPooling2D()
		}
	case "BatchNormalization":
		if err = single(); err == nil {
			l, err = im.batchNorm(key, in, first)
		}
	case "Concat":
		if err = single(); err != nil {
			return err
		}
		if ins, err = im.values1(first.GetInput()); err != nil {
			return err
		}
		l, out, err = im.concat(first, ins)
	case "Add", "Mul":
		if ins, err = im.chain(nodes); err != nil {
			return err
		}
		l = layers.Add()
		if op == "Mul" {
			l = layers.Multiply()
		}
	case "Identity":
		if len(nodes) != 1 || len(first.GetInput()) != 1 {
			return errors.New("an Identity layer is one node of one input")
		}
		im.values[key] = x // Dropout or a linear activation: nothing to build
		return nil
	default:
		var a ops.Activation
		var alpha float64
		if a, alpha, err = im.activation(nodes, first.GetInput()[0]); err == nil {
			l, err = activationLayer(a, alpha)
		}
	}
	if err != nil {
		return err
	}
	if err := checkSize(out); err != nil {
		return err
	}
	l.SetName(key)
	n := model.Apply(l, ins...)
	im.values[key], im.shapes[n] = n, out
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

// concat rebuilds a Concatenate layer on the channels of ins.
func (im *importer) concat(n *onnxpb.NodeProto, ins []*model.Node) (layers.Layer, []int, error) {
	as, err := attrs(n, "axis")
	if err != nil {
		return nil, nil, err
	}
	if axis, err := intAttr(as, "axis", 0); err != nil || axis != 1 {
		return nil, nil, errors.Errorf("Concat on axis %d, not the channels (%v)", axis, err)
	}
	out := append([]int(nil), im.shapes[ins[0]]...)
	for _, x := range ins[1:] {
		if s := im.shapes[x]; len(s) != len(out) || len(out) == 0 {
			return nil, nil, errors.Errorf("Concat of shapes %v and %v", out, s)
		} else if out[0] += s[0]; out[0] > model.MaxExampleValues {
			return nil, nil, errors.Errorf("Concat of %d channels", out[0])
		}
	}
	return layers.Concatenate(), out, nil
}

// chain reads the binary Add or Mul nodes that Export writes for a merge
// of several inputs, left to right, and returns the inputs.
func (im *importer) chain(nodes []*onnxpb.NodeProto) ([]*model.Node, error) {
	op := nodes[0].GetOpType()
	var names []string
	for i, n := range nodes {
		in, err := inputs(n, 2)
		if err != nil {
			return nil, err
		}
		if _, err := attrs(n); err != nil {
			return nil, err
		}
		if n.GetOpType() != op {
			return nil, errors.Errorf("node %q is %s in a chain of %s", n.GetName(), n.GetOpType(), op)
		}
		if i == 0 {
			names = append(names, in[0])
		} else if in[0] != nodes[i-1].GetOutput()[0] {
			return nil, errors.Errorf("node %q does not continue the chain of %s", n.GetName(), op)
		}
		names = append(names, in[1])
	}
	return im.values1(names)
}

func flattenAxis(n *onnxpb.NodeProto) error {
	if _, err := inputs(n, 1); err != nil {
		return err
	}
	as, err := attrs(n, "axis")
	if err != nil {
		return err
	}
	if axis, err := intAttr(as, "axis", 1); err != nil || axis != 1 {
		return errors.Errorf("Flatten from axis %d, not 1 (%v)", axis, err)
	}
	return nil
}

// globalPool checks a GlobalAveragePool or GlobalMaxPool of an image
// followed by its Flatten.
func globalPool(nodes []*onnxpb.NodeProto, in []int) error {
	first := nodes[0]
	if _, err := inputs(first, 1); err != nil {
		return err
	}
	if _, err := attrs(first); err != nil {
		return err
	}
	if len(nodes) != 2 || nodes[1].GetOpType() != "Flatten" || len(nodes[1].GetInput()) != 1 || nodes[1].GetInput()[0] != first.GetOutput()[0] {
		return errors.Errorf("%s is not followed by its Flatten alone", first.GetOpType())
	}
	if len(in) != 3 {
		return errors.Errorf("%s of shape %v, not an image [C, H, W]", first.GetOpType(), in)
	}
	return flattenAxis(nodes[1])
}

// weighted returns the three inputs of a Conv or Gemm node and the
// dimensions of its weights (the second).
func (im *importer) weighted(n *onnxpb.NodeProto) ([]string, []int, error) {
	ins, err := inputs(n, 3)
	if err != nil {
		return nil, nil, err
	}
	dims, err := im.dims(ins[1])
	return ins, dims, err
}

// conv rebuilds a Conv2D layer, and its activation, over an input of
// example shape in.
func (im *importer) conv(key string, in []int, nodes []*onnxpb.NodeProto) (layers.Layer, []int, error) {
	n := nodes[0]
	ins, dims, err := im.weighted(n)
	if err != nil {
		return nil, nil, err
	}
	if len(dims) != 4 || len(in) != 3 || dims[1] != in[0] {
		return nil, nil, errors.Errorf("Conv kernel %s of shape %v over an input of shape %v; want [filters, %v, kh, kw]", ins[1], dims, in, in[:min(len(in), 1)])
	}
	f, kh, kw := dims[0], dims[2], dims[3]
	as, err := attrs(n, "kernel_shape", "strides", "pads", "dilations", "group", "auto_pad")
	if err != nil {
		return nil, nil, err
	}
	if err := noAutoPad(as); err != nil {
		return nil, nil, err
	}
	if g, err := intAttr(as, "group", 1); err != nil || g != 1 {
		return nil, nil, errors.Errorf("group %d; only plain convolutions are read (%v)", g, err)
	}
	if d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1}); err != nil || d[0] != 1 || d[1] != 1 {
		return nil, nil, errors.Errorf("dilations %v; only undilated convolutions are read (%v)", d, err)
	}
	k, err := intsAttr(as, "kernel_shape", 2, 1, []int{kh, kw})
	if err != nil || k[0] != kh || k[1] != kw {
		return nil, nil, errors.Errorf("kernel_shape %v and kernel %v disagree (%v)", k, dims, err)
	}
	opts, out, err := window(as, in, [2]int{kh, kw}, f)
	if err != nil {
		return nil, nil, err
	}
	act, err := im.optionActivation(nodes[1:], n.GetOutput()[0])
	if err != nil {
		return nil, nil, err
	}
	if act != ops.Linear {
		opts = append(opts, layers.Activation(act))
	}
	if err := im.param(key, "kernel", ins[1], dims...); err != nil {
		return nil, nil, err
	}
	if err := im.param(key, "bias", ins[2], f); err != nil {
		return nil, nil, err
	}
	return layers.Conv2D(f, kh, kw, opts...), out, nil
}

func noAutoPad(as map[string]*onnxpb.AttributeProto) error {
	if a, ok := as["auto_pad"]; ok && string(a.GetS()) != "NOTSET" {
		return errors.Errorf("auto_pad %q; Export writes explicit pads", a.GetS())
	}
	return nil
}

// window reads the strides and pads of a window k over an input of
// example shape in, checks that the pads are those of 'valid' or 'same'
// padding, and returns the layer's options and its output's shape.
func window(as map[string]*onnxpb.AttributeProto, in []int, k [2]int, channels int) ([]layers.Option, []int, error) {
	s, err := intsAttr(as, "strides", 2, 1, []int{1, 1})
	if err != nil {
		return nil, nil, err
	}
	p, err := intsAttr(as, "pads", 4, 0, []int{0, 0, 0, 0})
	if err != nil {
		return nil, nil, err
	}
	return windowWithPads(in, k, [2]int{s[0], s[1]}, [4]int{p[0], p[1], p[2], p[3]}, channels, "")
}

// windowWithPads checks that pads (top, left, bottom, right) of a window
// k with strides s over an input of example shape in are those of 'valid'
// or 'same' padding, and returns the layer's options and its output's
// shape; note, if not empty, follows the pads in an error.
func windowWithPads(in []int, k, s [2]int, pads [4]int, channels int, note string) ([]layers.Option, []int, error) {
	same := pads != [4]int{}
	want, err := windowPads(in, k, s, same)
	if err != nil {
		return nil, nil, err
	}
	if want != pads {
		return nil, nil, errors.Errorf("pads %v%s are neither 'valid' nor 'same' padding (%v) for input %v", pads, note, want, in)
	}
	out := []int{channels, 0, 0}
	for i := range 2 {
		if out[1+i], _, err = ops.OutSize(in[1+i], k[i], s[i], same); err != nil {
			return nil, nil, err
		}
	}
	opts := []layers.Option{layers.Strides(s[0], s[1])}
	if same {
		opts = append(opts, layers.Padding(layers.Same))
	}
	return opts, out, nil
}

// pool rebuilds a MaxPooling2D or AveragePooling2D layer over an input of
// example shape in.
func pool(in []int, n *onnxpb.NodeProto) (layers.Layer, []int, error) {
	if _, err := inputs(n, 1); err != nil {
		return nil, nil, err
	}
	isMax := n.GetOpType() == "MaxPool"
	allowed := []string{"kernel_shape", "strides", "pads", "ceil_mode", "auto_pad"}
	if isMax {
		allowed = append(allowed, "dilations", "storage_order")
	} else {
		allowed = append(allowed, "count_include_pad")
	}
	as, err := attrs(n, allowed...)
	if err != nil {
		return nil, nil, err
	}
	if err := noAutoPad(as); err != nil {
		return nil, nil, err
	}
	for _, name := range []string{"ceil_mode", "count_include_pad", "storage_order"} {
		if v, err := intAttr(as, name, 0); err != nil || v != 0 {
			return nil, nil, errors.Errorf("%s %d; only 0 is read (%v)", name, v, err)
		}
	}
	if d, err := intsAttr(as, "dilations", 2, 1, []int{1, 1}); err != nil || d[0] != 1 || d[1] != 1 {
		return nil, nil, errors.Errorf("dilations %v; only undilated pooling is read (%v)", d, err)
	}
	k, err := intsAttr(as, "kernel_shape", 2, 1, nil)
	if err != nil {
		return nil, nil, err
	}
	if len(in) != 3 {
		return nil, nil, errors.Errorf("pooling of shape %v, not an image [C, H, W]", in)
	}
	opts, out, err := window(as, in, [2]int{k[0], k[1]}, in[0])
	if err != nil {
		return nil, nil, err
	}
	if isMax {
		return layers.MaxPool2D(k[0], k[1], opts...), out, nil
	}
	return layers.AvgPool2D(k[0], k[1], opts...), out, nil
}

// dense rebuilds a Dense layer from a Gemm of kernel [inputs, units], and
// its activation, over an input of example shape in.
func (im *importer) dense(key string, in []int, nodes []*onnxpb.NodeProto) (layers.Layer, []int, error) {
	n := nodes[0]
	ins, dims, err := im.weighted(n)
	if err != nil {
		return nil, nil, err
	}
	if len(dims) != 2 || len(in) != 1 || dims[0] != in[0] {
		return nil, nil, errors.Errorf("Gemm weights %s of shape %v for an input of shape %v; want [%v, units]", ins[1], dims, in, in)
	}
	as, err := attrs(n, "alpha", "beta", "transA", "transB")
	if err != nil {
		return nil, nil, err
	}
	for _, name := range []string{"transA", "transB"} {
		if v, err := intAttr(as, name, 0); err != nil || v != 0 {
			return nil, nil, errors.Errorf("%s %d; only 0 is read (%v)", name, v, err)
		}
	}
	for _, name := range []string{"alpha", "beta"} {
		if v, err := floatAttr(as, name, 1); err != nil || v != 1 {
			return nil, nil, errors.Errorf("%s %v; only 1 is read (%v)", name, v, err)
		}
	}
	act, err := im.optionActivation(nodes[1:], n.GetOutput()[0])
	if err != nil {
		return nil, nil, err
	}
	if err := im.param(key, "kernel", ins[1], dims...); err != nil {
		return nil, nil, err
	}
	if err := im.param(key, "bias", ins[2], dims[1]); err != nil {
		return nil, nil, err
	}
	var opts []layers.Option
	if act != ops.Linear {
		opts = append(opts, layers.Activation(act))
	}
	return layers.Dense(dims[1], opts...), []int{dims[1]}, nil
}

// batchNorm rebuilds a BatchNormalization layer over an input of example
// shape in.
func (im *importer) batchNorm(key string, in []int, n *onnxpb.NodeProto) (layers.Layer, error) {
	ins, err := inputs(n, 5)
	if err != nil {
		return nil, err
	}
	as, err := attrs(n, "epsilon", "momentum", "training_mode")
	if err != nil {
		return nil, err
	}
	if v, err := intAttr(as, "training_mode", 0); err != nil || v != 0 {
		return nil, errors.Errorf("training_mode %d; only inference is read (%v)", v, err)
	}
	eps, err := floatAttr(as, "epsilon", 1e-5) // ONNX's default
	if err != nil {
		return nil, err
	}
	momentum, err := floatAttr(as, "momentum", 0.9) // ONNX's default
	if err != nil {
		return nil, err
	}
	if len(in) == 0 {
		return nil, errors.New("BatchNormalization of a value with no channels")
	}
	for i, p := range []string{"gamma", "beta", "moving_mean", "moving_variance"} {
		if err := im.param(key, p, ins[1+i], in[0]); err != nil {
			return nil, err
		}
	}
	return layers.BatchNormalization(layers.Epsilon(eps), layers.Momentum(momentum)), nil
}

// optionActivation reads the activation that follows a Conv or Gemm, of
// the value x: none, or one that the Activation option expresses.
func (im *importer) optionActivation(nodes []*onnxpb.NodeProto, x string) (ops.Activation, error) {
	if len(nodes) == 0 {
		return ops.Linear, nil
	}
	a, alpha, err := im.activation(nodes, x)
	if err != nil {
		return 0, err
	}
	switch {
	case a == ops.LeakyReLU && alpha != ops.DefaultLeakySlope,
		a == ops.ELU && alpha != ops.DefaultELUAlpha:
		return 0, errors.Errorf("%v with alpha %v after a layer; the Activation option has alpha %v", a, alpha,
			map[ops.Activation]float64{ops.LeakyReLU: ops.DefaultLeakySlope, ops.ELU: ops.DefaultELUAlpha}[a])
	}
	return a, nil
}

// activation reads an activation of the value x: one node, or the five of
// GELU. alpha is LeakyRelu's or Elu's.
func (im *importer) activation(nodes []*onnxpb.NodeProto, x string) (ops.Activation, float64, error) {
	n := nodes[0]
	if len(n.GetInput()) == 0 || n.GetInput()[0] != x {
		return 0, 0, errors.Errorf("node %q (%s) does not take %q", n.GetName(), n.GetOpType(), x)
	}
	if n.GetOpType() == "Div" {
		return ops.GELU, 0, im.gelu(nodes, x)
	}
	if len(nodes) != 1 {
		return 0, 0, errors.Errorf("%s is followed by %d nodes", n.GetOpType(), len(nodes)-1)
	}
	if _, err := inputs(n, 1); err != nil {
		return 0, 0, err
	}
	simple := map[string]ops.Activation{"Relu": ops.ReLU, "Sigmoid": ops.Sigmoid, "Tanh": ops.Tanh}
	if a, ok := simple[n.GetOpType()]; ok {
		_, err := attrs(n)
		return a, 0, err
	}
	switch n.GetOpType() {
	case "Softmax":
		as, err := attrs(n, "axis")
		if err != nil {
			return 0, 0, err
		}
		if axis, err := intAttr(as, "axis", -1); err != nil || (axis != -1 && axis != 1) {
			return 0, 0, errors.Errorf("Softmax on axis %d; only the rows of a matrix are read (%v)", axis, err)
		}
		return ops.Softmax, 0, nil
	case "LeakyRelu", "Elu":
		as, err := attrs(n, "alpha")
		if err != nil {
			return 0, 0, err
		}
		a, def := ops.LeakyReLU, 0.01 // ONNX's defaults
		if n.GetOpType() == "Elu" {
			a, def = ops.ELU, 1
		}
		alpha, err := floatAttr(as, "alpha", def)
		return a, alpha, err
	}
	return 0, 0, errors.Errorf("node %q: %s has no layer here", n.GetName(), n.GetOpType())
}

// gelu checks the five nodes of x·(1 + erf(x/√2))/2 as Export writes them.
func (im *importer) gelu(nodes []*onnxpb.NodeProto, x string) error {
	want := []struct {
		op  string
		in  [2]string // "" for the previous output; "c" for a constant
		val float32
	}{{"Div", [2]string{x, "c"}, math.Sqrt2}, {"Erf", [2]string{""}, 0}, {"Add", [2]string{"", "c"}, 1},
		{"Mul", [2]string{x, ""}, 0}, {"Mul", [2]string{"", "c"}, 0.5}}
	if len(nodes) != len(want) {
		return errors.Errorf("%d nodes where GELU has %d", len(nodes), len(want))
	}
	prev := ""
	for i, w := range want {
		n := nodes[i]
		arity := 2
		if w.op == "Erf" {
			arity = 1
		}
		in, err := inputs(n, arity)
		if err != nil {
			return err
		}
		if _, err := attrs(n); err != nil {
			return err
		}
		if n.GetOpType() != w.op {
			return errors.Errorf("node %q is %s where GELU has %s", n.GetName(), n.GetOpType(), w.op)
		}
		for k := range arity {
			switch w.in[k] {
			case "":
				if in[k] != prev {
					return errors.Errorf("node %q does not take %q", n.GetName(), prev)
				}
			case "c":
				if v, err := im.scalar(in[k]); err != nil || v != w.val {
					return errors.Errorf("node %q: constant %v, want %v (%v)", n.GetName(), v, w.val, err)
				}
			default:
				if in[k] != w.in[k] {
					return errors.Errorf("node %q does not take %q", n.GetName(), w.in[k])
				}
			}
		}
		prev = n.GetOutput()[0]
	}
	return nil
}

// activationLayer returns the stand-alone layer of an activation.
func activationLayer(a ops.Activation, alpha float64) (layers.Layer, error) {
	switch a {
	case ops.LeakyReLU, ops.ELU:
		if !(alpha > 0) || math.IsInf(alpha, 1) {
			return nil, errors.Errorf("%v with alpha %v; it must be positive", a, alpha)
		}
		if a == ops.ELU {
			return layers.ELU(alpha), nil
		}
		return layers.LeakyReLU(alpha), nil
	case ops.ReLU:
		return layers.ReLU(), nil
	case ops.Sigmoid:
		return layers.Sigmoid(), nil
	case ops.Tanh:
		return layers.Tanh(), nil
	case ops.Softmax:
		return layers.Softmax(), nil
	case ops.GELU:
		return layers.GELU(), nil
	}
	return nil, errors.Errorf("activation %v has no layer", a)
}
