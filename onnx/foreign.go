package onnx

import (
	"encoding/binary"
	"math"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// The opsets of the files of other tools that Import reads.
const (
	minForeignOpset = 11
	maxForeignOpset = 17
)

// batchDim stands, in a folded shape tensor, for the batch size, which is
// not known when the file is read.
const batchDim = math.MinInt64

// maxConstValues caps the values of an integer tensor that a graph
// computes while it is read (the shapes that Shape, Gather and Concat
// make), so that folding stays small.
const maxConstValues = 1 << 16

// A constant is a tensor known when the file is read: an initializer, a
// Constant node or a shape computation folded.
type constant struct {
	name   string    // the initializer's name, or "" if computed
	dims   []int     // its shape
	floats []float32 // its values if float32
	ints   []int64   // its values if integer (batchDim for the batch size)
}

// size is the number of values of c.
func (c *constant) size() int { return len(c.floats) + len(c.ints) }

// A geluStage is a value part-way through the nodes of
// x·(1 + erf(x/√2))/2 as PyTorch writes GELU.
type geluStage struct {
	x     string // the value GELU applies to
	stage int    // 1 after Div, 2 after Erf, 3 after Add, 4 after the first Mul
}

// A value is what an ONNX value of a foreign graph stands for: a model
// node with its ONNX example shape, a constant, a zero padding waiting for
// the Conv that takes it, or a part of GELU.
type value struct {
	node  *model.Node
	shape []int // the ONNX example shape: [C, 1, 1] after a global pool whose node is [C]
	c     *constant
	pads  [4]int // zero padding of H and W (begin, begin, end, end) that node lacks
	// padName names the layer of the padding, should a value other than a
	// Conv's take it: a ZeroPadding2D layer then adds it.
	padName string
	gelu    *geluStage
	dense   *denseBias // a MatMul whose bias an Add may fill in
	// pooled marks a global pool's output: [C, 1, 1] in ONNX, [C] in the
	// model, which only a Flatten or Reshape may take.
	pooled bool
}

// denseBias is the bias of a Dense layer made from a MatMul, which the
// Add that follows it may provide.
type denseBias struct {
	param string
	units int
	set   bool
}

// foreign imports a graph written by another tool, such as PyTorch.
type foreign struct {
	inits      map[string]*onnxpb.TensorProto
	values     map[string]*value
	uses       map[string]int // how many node inputs and graph outputs use each value
	names      map[string]bool
	next       map[string]int // the suffixes given to each repeated layer name
	weights    map[string][]float32
	transposed map[*constant][]float32 // Gemm weights (transB 1) transposed
	bytes      int                     // the bytes of the parameters so far
	constBytes int                     // the values of the constants folded so far
	batch      int64
	inputs     []*model.Node
}

// importForeign reads a graph of another tool: each node becomes a layer,
// or a constant folded, or nothing (Identity, Dropout).
func importForeign(mp *onnxpb.ModelProto, opts []model.Option) (*model.Model, error) {
	opset := int64(-1)
	for _, o := range mp.GetOpsetImport() {
		if o.GetDomain() != "" && o.GetDomain() != "ai.onnx" {
			continue // a node of another domain is refused below
		}
		opset = o.GetVersion()
	}
	if opset < minForeignOpset || opset > maxForeignOpset {
		return nil, errors.Errorf("opset %d; this package reads opsets %d to %d from %q", opset, minForeignOpset, maxForeignOpset, mp.GetProducerName())
	}
	g := mp.GetGraph()
	im := &foreign{inits: map[string]*onnxpb.TensorProto{}, values: map[string]*value{}, uses: map[string]int{},
		names: map[string]bool{}, next: map[string]int{}, weights: map[string][]float32{}, transposed: map[*constant][]float32{}}
	total := 0
	for _, t := range g.GetInitializer() {
		if _, ok := im.inits[t.GetName()]; ok || t.GetName() == "" {
			return nil, errors.Errorf("initializer name %q is empty or repeated", t.GetName())
		}
		n, err := declaredValues(t)
		if err != nil {
			return nil, err
		}
		if total += n; total > MaxParamBytes/4 {
			return nil, errors.Errorf("the initializers hold more than %d bytes (onnx.MaxParamBytes)", MaxParamBytes)
		}
		im.inits[t.GetName()] = t
	}
	for _, n := range g.GetNode() {
		for _, in := range n.GetInput() {
			im.uses[in]++
		}
	}
	for _, v := range g.GetOutput() {
		im.uses[v.GetName()]++
	}
	for _, v := range g.GetInput() {
		if _, ok := im.inits[v.GetName()]; ok {
			continue
		}
		shape, err := exampleShape(v)
		if err != nil {
			return nil, errors.Wrapf(err, "input %q", v.GetName())
		}
		if b := v.GetType().GetTensorType().GetShape().GetDim()[0].GetDimValue(); b > 0 {
			im.batch = b
		}
		if err := im.define(v.GetName()); err != nil {
			return nil, errors.Wrap(err, "input")
		}
		n := model.Input(shape...)
		im.values[v.GetName()] = &value{node: n, shape: shape}
		im.inputs = append(im.inputs, n)
	}
	for i, n := range g.GetNode() {
		if err := im.node(n); err != nil {
			return nil, errors.Wrapf(err, "node %d, %q (%s)", i+1, n.GetName(), n.GetOpType())
		}
	}
	var outputs []*model.Node
	for _, o := range g.GetOutput() {
		v, err := im.pooledOrRuntime(o.GetName())
		if err != nil {
			return nil, errors.Wrapf(err, "output %q", o.GetName())
		}
		outputs = append(outputs, v.node)
	}
	return newModel(im.inputs, outputs, im.weights, opts)
}

// declaredValues is the number of values an initializer's shape declares,
// refusing more than the cap on parameters.
func declaredValues(t *onnxpb.TensorProto) (int, error) {
	n := 1
	for _, d := range t.GetDims() {
		if d < 0 || d > MaxParamBytes || n > MaxParamBytes/max(int(d), 1) {
			return 0, errors.Errorf("initializer %s has shape %v, more than %d bytes (onnx.MaxParamBytes)", t.GetName(), t.GetDims(), MaxParamBytes)
		}
		n *= int(d)
	}
	return n, nil
}

// define claims an ONNX value name.
func (im *foreign) define(name string) error {
	if _, ok := im.values[name]; ok || name == "" {
		return errors.Errorf("value name %q is empty or defined twice", name)
	}
	if _, ok := im.inits[name]; ok {
		return errors.Errorf("value name %q is an initializer's", name)
	}
	return nil
}

// get returns the value of an ONNX name: computed earlier, or an
// initializer, decoded once.
func (im *foreign) get(name string) (*value, error) {
	if v, ok := im.values[name]; ok {
		return v, nil
	}
	t, ok := im.inits[name]
	if !ok {
		return nil, errors.Errorf("value %q is not computed before it is used", name)
	}
	c, err := decodeConstant(t)
	if err != nil {
		return nil, err
	}
	c.name = name
	v := &value{c: c}
	im.values[name] = v
	return v, nil
}

// runtime returns a value that the model computes, with no Pad or GELU
// pending.
func (im *foreign) runtime(name string) (*value, error) {
	v, err := im.get(name)
	if err != nil {
		return nil, err
	}
	switch {
	case v.c != nil:
		return nil, errors.Errorf("%q is a constant where a computed value is wanted", name)
	case v.gelu != nil:
		return nil, errors.Errorf("%q is part of a GELU used elsewhere", name)
	case v.pads != [4]int{}:
		if err := im.padLayer(v); err != nil {
			return nil, errors.Wrapf(err, "the Pad of %q", name)
		}
	case v.pooled:
		return nil, errors.Errorf("%q is a global pool's output, of shape %v, that only a Flatten or Reshape may take", name, v.shape)
	}
	return v, nil
}

// pooledOrRuntime is runtime, accepting a global pool's output too.
func (im *foreign) pooledOrRuntime(name string) (*value, error) {
	v, err := im.get(name)
	if err != nil || !v.pooled {
		return im.runtime(name)
	}
	return v, nil
}

// constant returns a constant value.
func (im *foreign) constant(name string) (*constant, error) {
	v, err := im.get(name)
	if err != nil {
		return nil, err
	}
	if v.c == nil {
		return nil, errors.Errorf("%q is computed from the input, where a constant is wanted", name)
	}
	return v.c, nil
}

// floats returns a float32 constant of size values.
func (im *foreign) floats(name string, size int) (*constant, error) {
	c, err := im.constant(name)
	if err != nil {
		return nil, err
	}
	if c.floats == nil || len(c.floats) != size {
		return nil, errors.Errorf("%q has shape %v, want %d float32 values", name, c.dims, size)
	}
	return c, nil
}

// ints returns an integer constant, holding no batch size.
func (im *foreign) ints(name string) ([]int64, error) {
	c, err := im.constant(name)
	if err != nil {
		return nil, err
	}
	if c.floats != nil || len(c.dims) > 1 {
		return nil, errors.Errorf("%q is not a list of integers", name)
	}
	for _, v := range c.ints {
		if v == batchDim {
			return nil, errors.Errorf("%q holds the batch size", name)
		}
	}
	return c.ints, nil
}

// set defines the value of the node's output.
func (im *foreign) set(n *onnxpb.NodeProto, v *value) error {
	out := n.GetOutput()[0]
	if err := im.define(out); err != nil {
		return err
	}
	if v.c != nil {
		if im.constBytes += v.c.size(); im.constBytes > maxConstValues && v.c.ints != nil {
			return errors.Errorf("the shapes folded hold more than %d values", maxConstValues)
		}
	}
	if v.shape != nil {
		if err := checkSize(v.shape); err != nil {
			return err
		}
	}
	im.values[out] = v
	return nil
}

// apply adds the layer l on ins as the node's output, of ONNX example
// shape out and model shape [product of out] if flat.
func (im *foreign) apply(n *onnxpb.NodeProto, l layers.Layer, out []int, ins ...*value) (*value, error) {
	if err := checkSize(out); err != nil {
		return nil, err
	}
	l.SetName(im.unique(layerName(n)))
	nodes := make([]*model.Node, len(ins))
	for i, in := range ins {
		nodes[i] = in.node
	}
	v := &value{node: model.Apply(l, nodes...), shape: out}
	return v, im.set(n, v)
}

// unique returns name, or name_2, name_3... if it is taken, and takes it.
func (im *foreign) unique(name string) string {
	for base := name; im.names[name]; {
		im.next[base]++ // a counter for each name, so that many repeats stay linear
		name = base + "_" + strconv.Itoa(im.next[base]+1)
	}
	im.names[name] = true
	return name
}

// padLayer gives the image v the zero padding it waits for with a
// ZeroPadding2D layer, when a node other than a Conv takes it.
func (im *foreign) padLayer(v *value) error {
	if v.node == nil || v.gelu != nil || v.pooled || len(v.shape) != 3 {
		return errors.New("only a Pad of a computed image is read")
	}
	p := v.pads
	l, err := newLayer("ZeroPadding2D", map[string]any{"padding": [2][2]int{{p[0], p[2]}, {p[1], p[3]}}})
	if err != nil {
		return err
	}
	l.SetName(im.unique(v.padName))
	v.node, v.pads = model.Apply(l, v.node), [4]int{}
	return nil
}

// layerName names the layer of a node after the node, or its output, with
// the slashes of PyTorch's scopes as dots: /conv1/Conv → conv1.Conv.
func layerName(n *onnxpb.NodeProto) string {
	name := n.GetName()
	if name == "" {
		name = n.GetOutput()[0]
	}
	name = strings.Trim(strings.NewReplacer("/", ".", "\n", " ", "\r", " ").Replace(name), ". ")
	if strings.HasPrefix(name, "input_") {
		name = "l." + name // input_1 and so on name the model's inputs
	}
	if len(name) > 200 {
		name = name[:200]
	}
	if name == "" {
		name = "layer"
	}
	return name
}

// param records the values of parameter local of a layer, counting their
// bytes.
func (im *foreign) param(layer, local string, w []float32) error {
	if err := im.claim(layer, local, len(w)); err != nil {
		return err
	}
	im.weights[layer+"/"+local] = w
	return nil
}

// claim counts the n values of a parameter before they are allocated.
func (im *foreign) claim(layer, local string, n int) error {
	return countParam(&im.bytes, n, "parameter "+layer+"/"+local)
}

// node reads one node.
func (im *foreign) node(n *onnxpb.NodeProto) error {
	if n.GetDomain() != "" && n.GetDomain() != "ai.onnx" {
		return errors.Errorf("operator set %q", n.GetDomain())
	}
	outs := n.GetOutput()
	if len(outs) == 0 || len(outs) > 1 && !(n.GetOpType() == "Dropout" && len(outs) == 2 && im.uses[outs[1]] == 0) {
		return errors.Errorf("%d outputs, want 1", len(outs))
	}
	read, ok := foreignOps[n.GetOpType()]
	if !ok {
		return errors.Errorf("%s has no layer here", n.GetOpType())
	}
	return read(im, n)
}

// foreignOps reads each op type of another tool's graph.
var foreignOps = map[string]func(*foreign, *onnxpb.NodeProto) error{}

func init() {
	for op, read := range map[string]func(*foreign, *onnxpb.NodeProto) error{
		"Constant": (*foreign).constantNode, "Identity": (*foreign).identity, "Dropout": (*foreign).identity,
		"Shape": (*foreign).fold, "Gather": (*foreign).fold, "Unsqueeze": (*foreign).fold, "Squeeze": (*foreign).fold, "Cast": (*foreign).fold,
		"Concat": (*foreign).concat, "ConstantOfShape": (*foreign).foldMore, "Slice": (*foreign).foldMore, "Transpose": (*foreign).foldMore,
		"Flatten": (*foreign).reshape, "Reshape": (*foreign).reshape, "Pad": (*foreign).pad,
		"Conv": (*foreign).conv, "ConvTranspose": (*foreign).convTranspose, "MaxPool": (*foreign).pool, "AveragePool": (*foreign).pool,
		"GlobalAveragePool": (*foreign).globalPool, "GlobalMaxPool": (*foreign).globalPool,
		"Gemm": (*foreign).dense, "MatMul": (*foreign).dense, "BatchNormalization": (*foreign).batchNorm,
		"LayerNormalization": (*foreign).layerNorm, "Resize": (*foreign).resize,
		"Add": (*foreign).arith, "Mul": (*foreign).arith, "Div": (*foreign).arith, "Erf": (*foreign).arith,
		"Relu": (*foreign).activation, "Sigmoid": (*foreign).activation, "Tanh": (*foreign).activation,
		"LeakyRelu": (*foreign).activation, "Elu": (*foreign).activation, "Softmax": (*foreign).activation,
	} {
		foreignOps[op] = read
	}
}

// reshape reads a Flatten or Reshape: of a constant, folded; of a
// computed value, a layer.
func (im *foreign) reshape(n *onnxpb.NodeProto) error {
	if len(n.GetInput()) == 0 {
		return errors.New("no input")
	}
	if v, err := im.get(n.GetInput()[0]); err == nil && v.c != nil && n.GetOpType() == "Reshape" {
		return im.foldMore(n)
	}
	return im.flatten(n)
}

// nodeAttrs returns a node's attributes, refusing any not in allowed.
func nodeAttrs(n *onnxpb.NodeProto, allowed ...string) (map[string]*onnxpb.AttributeProto, error) {
	return attrs(n, allowed...)
}

// constantNode folds a Constant node.
func (im *foreign) constantNode(n *onnxpb.NodeProto) error {
	if len(n.GetInput()) != 0 {
		return errors.New("a Constant with inputs")
	}
	as, err := nodeAttrs(n, "value", "value_float", "value_floats", "value_int", "value_ints")
	if err != nil {
		return err
	}
	if len(as) != 1 {
		return errors.New("a Constant needs exactly one value attribute")
	}
	var c *constant
	for name, a := range as {
		switch name {
		case "value":
			if a.GetT() == nil {
				return errors.New("a Constant value that is not a tensor")
			}
			if n, err := declaredValues(a.GetT()); err != nil {
				return err
			} else if n > maxConstValues {
				return errors.Errorf("a Constant of %d values; the most read is %d", n, maxConstValues)
			}
			if c, err = decodeConstant(a.GetT()); err != nil {
				return err
			}
		case "value_float":
			c = &constant{floats: []float32{a.GetF()}}
		case "value_floats":
			c = &constant{dims: []int{len(a.GetFloats())}, floats: append([]float32{}, a.GetFloats()...)}
		case "value_int":
			c = &constant{ints: []int64{a.GetI()}}
		case "value_ints":
			c = &constant{dims: []int{len(a.GetInts())}, ints: append([]int64{}, a.GetInts()...)}
		}
	}
	if c.size() > maxConstValues {
		return errors.Errorf("a Constant of %d values; the most read is %d", c.size(), maxConstValues)
	}
	return im.set(n, &value{c: c})
}

// decodeConstant decodes a float32 or integer tensor.
func decodeConstant(t *onnxpb.TensorProto) (*constant, error) {
	if t.DataLocation != nil && t.GetDataLocation() != onnxpb.TensorProto_DEFAULT {
		return nil, errors.Errorf("tensor %s is not held in the file", t.GetName())
	}
	switch t.GetDataType() {
	case int32(onnxpb.TensorProto_FLOAT):
		w, dims, err := decodeFloats(t)
		if err != nil {
			return nil, err
		}
		if w == nil {
			w = []float32{}
		}
		return &constant{dims: dims, floats: w}, nil
	case int32(onnxpb.TensorProto_INT64), int32(onnxpb.TensorProto_INT32):
		size, err := declaredValues(t)
		if err != nil {
			return nil, err
		}
		if size > maxConstValues {
			return nil, errors.Errorf("integer tensor %s of %d values; the most read is %d", t.GetName(), size, maxConstValues)
		}
		dims := make([]int, len(t.GetDims()))
		for i, d := range t.GetDims() {
			dims[i] = int(d)
		}
		wide := t.GetDataType() == int32(onnxpb.TensorProto_INT64)
		out := make([]int64, 0, size)
		switch raw := t.GetRawData(); {
		case len(raw) > 0 && wide:
			if len(raw) != 8*size {
				return nil, errors.Errorf("tensor %s holds %d bytes for shape %v", t.GetName(), len(raw), dims)
			}
			for i := range size {
				out = append(out, int64(binary.LittleEndian.Uint64(raw[8*i:])))
			}
		case len(raw) > 0:
			if len(raw) != 4*size {
				return nil, errors.Errorf("tensor %s holds %d bytes for shape %v", t.GetName(), len(raw), dims)
			}
			for i := range size {
				out = append(out, int64(int32(binary.LittleEndian.Uint32(raw[4*i:]))))
			}
		case wide:
			out = append(out, t.GetInt64Data()...)
		default:
			for _, v := range t.GetInt32Data() {
				out = append(out, int64(v))
			}
		}
		if len(out) != size {
			return nil, errors.Errorf("tensor %s holds %d values for shape %v", t.GetName(), len(out), dims)
		}
		return &constant{dims: dims, ints: out}, nil
	}
	return nil, errors.Errorf("tensor %s is of data type %d, not float32 or an integer", t.GetName(), t.GetDataType())
}

// identity passes a value on: Identity, or Dropout at inference.
func (im *foreign) identity(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if n.GetOpType() == "Identity" {
		if len(in) != 1 {
			return errors.New("an Identity of one input is read")
		}
		if _, err := nodeAttrs(n); err != nil {
			return err
		}
	} else {
		if len(in) < 1 || len(in) > 3 {
			return errors.Errorf("Dropout of %d inputs", len(in))
		}
		if _, err := nodeAttrs(n, "ratio", "seed", "is_test"); err != nil {
			return err
		}
		if len(in) == 3 && in[2] != "" {
			if c, err := im.constant(in[2]); err != nil || c.size() != 1 || c.ints != nil && c.ints[0] != 0 || c.floats != nil && c.floats[0] != 0 {
				return errors.Errorf("Dropout in training mode; only inference is read (%v)", err)
			}
		}
	}
	v, err := im.get(in[0])
	if err != nil {
		return err
	}
	if v.pads != [4]int{} || v.gelu != nil {
		return errors.New("an Identity of a Pad or part of a GELU")
	}
	return im.set(n, &value{node: v.node, shape: v.shape, c: v.c, pooled: v.pooled})
}

// fold computes Shape, Gather, Unsqueeze, Squeeze and Cast on integer
// constants: the shape arithmetic of PyTorch's x.view(x.size(0), -1).
func (im *foreign) fold(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) == 0 {
		return errors.New("no input")
	}
	op := n.GetOpType()
	if op == "Shape" {
		as, err := nodeAttrs(n, "start", "end")
		if err != nil {
			return err
		}
		v, err := im.get(in[0])
		if err != nil {
			return err
		}
		var shape []int64
		if v.c != nil {
			for _, d := range v.c.dims {
				shape = append(shape, int64(d))
			}
		} else if v.shape != nil {
			shape = append(shape, batchDim)
			for _, d := range v.shape {
				shape = append(shape, int64(d))
			}
		} else {
			return errors.New("the Shape of a value part-way through a GELU")
		}
		r := int64(len(shape))
		start, err := intAttr(as, "start", 0)
		if err != nil {
			return err
		}
		end, err := intAttr(as, "end", r)
		if err != nil {
			return err
		}
		start, end = clampAxis(start, r), clampAxis(end, r)
		if start > end {
			start = end
		}
		out := append([]int64{}, shape[start:end]...)
		return im.set(n, &value{c: &constant{dims: []int{len(out)}, ints: out}})
	}
	c, err := im.constant(in[0])
	if err != nil {
		return err
	}
	switch op {
	case "Cast":
		as, err := nodeAttrs(n, "to", "saturate")
		if err != nil {
			return err
		}
		to, err := intAttr(as, "to", 0)
		if err != nil || len(in) != 1 {
			return errors.Errorf("a Cast of %d inputs to %d (%v)", len(in), to, err)
		}
		out := &constant{dims: c.dims}
		switch {
		case to == int64(onnxpb.TensorProto_FLOAT) && c.floats != nil:
			out.floats = c.floats
		case (to == int64(onnxpb.TensorProto_INT64) || to == int64(onnxpb.TensorProto_INT32)) && c.ints != nil:
			out.ints = c.ints
		default:
			return errors.Errorf("a Cast to data type %d of a %v tensor", to, map[bool]string{true: "float32", false: "integer"}[c.floats != nil])
		}
		return im.set(n, &value{c: out})
	case "Gather":
		as, err := nodeAttrs(n, "axis")
		if err != nil {
			return err
		}
		if axis, err := intAttr(as, "axis", 0); err != nil || axis != 0 || len(in) != 2 || len(c.dims) != 1 || c.ints == nil {
			return errors.Errorf("only a Gather of a list of integers is read (%v)", err)
		}
		idx, err := im.ints(in[1])
		if err != nil {
			return err
		}
		ic, _ := im.constant(in[1])
		out := &constant{dims: append([]int{}, ic.dims...)}
		for _, i := range idx {
			if i < -int64(len(c.ints)) || i >= int64(len(c.ints)) {
				return errors.Errorf("index %d of a list of %d", i, len(c.ints))
			}
			out.ints = append(out.ints, c.ints[clampAxis(i, int64(len(c.ints)))])
		}
		return im.set(n, &value{c: out})
	default: // Unsqueeze, Squeeze
		as, err := nodeAttrs(n, "axes")
		if err != nil {
			return err
		}
		var axes []int64
		if a, ok := as["axes"]; ok {
			axes = a.GetInts()
		} else if len(in) == 2 {
			if axes, err = im.ints(in[1]); err != nil {
				return err
			}
		}
		if len(in) > 2 || len(axes) > 8 {
			return errors.Errorf("%s of %d inputs and axes %v", op, len(in), axes)
		}
		dims, err := squeeze(op, c.dims, axes)
		if err != nil {
			return err
		}
		return im.set(n, &value{c: &constant{dims: dims, floats: c.floats, ints: c.ints}})
	}
}

// squeeze returns the shape dims with the axes of size 1 added
// (Unsqueeze) or taken out (Squeeze; all of them if axes is empty).
func squeeze(op string, dims []int, axes []int64) ([]int, error) {
	r := int64(len(dims))
	if op == "Unsqueeze" {
		r += int64(len(axes))
	}
	at := map[int64]bool{}
	for _, a := range axes {
		if a < -r || a >= r || at[clampAxis(a, r)] {
			return nil, errors.Errorf("%s on axes %v of rank %d", op, axes, r)
		}
		at[clampAxis(a, r)] = true
	}
	var out []int
	if op == "Unsqueeze" {
		k := 0
		for i := range r {
			if at[i] {
				out = append(out, 1)
			} else {
				out = append(out, dims[k])
				k++
			}
		}
		return out, nil
	}
	for i, d := range dims {
		drop := at[int64(i)] || len(axes) == 0 && d == 1
		if drop && d != 1 {
			return nil, errors.Errorf("Squeeze of axis %d of size %d", i, d)
		}
		if !drop {
			out = append(out, d)
		}
	}
	return out, nil
}

// clampAxis turns a negative axis or index into one from the start and
// keeps it within [0, r].
func clampAxis(a, r int64) int64 {
	if a < 0 {
		a += r
	}
	return min(max(a, 0), r)
}

// concat folds a Concat of integer lists, or makes a Concatenate layer of
// computed values on the channels.
func (im *foreign) concat(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if len(in) == 0 {
		return errors.New("a Concat of nothing")
	}
	as, err := nodeAttrs(n, "axis")
	if err != nil {
		return err
	}
	axis, err := intAttr(as, "axis", 0)
	if err != nil {
		return err
	}
	first, err := im.get(in[0])
	if err != nil {
		return err
	}
	if first.c != nil {
		out := &constant{dims: []int{0}, ints: []int64{}}
		for _, name := range in {
			c, err := im.constant(name)
			if err != nil {
				return err
			}
			if c.ints == nil || len(c.dims) != 1 || axis != 0 && axis != -1 {
				return errors.New("only a Concat of lists of integers is folded")
			}
			if out.ints = append(out.ints, c.ints...); len(out.ints) > maxConstValues {
				return errors.Errorf("a Concat of more than %d values", maxConstValues)
			}
		}
		out.dims[0] = len(out.ints)
		return im.set(n, &value{c: out})
	}
	if len(in) < 2 {
		return errors.New("a Concat of one computed value")
	}
	var ins []*value
	out := append([]int{}, first.shape...)
	for i, name := range in {
		v, err := im.runtime(name)
		if err != nil {
			return err
		}
		if axis != 1 && axis != 1-int64(len(v.shape))-1 {
			return errors.Errorf("Concat on axis %d, not the channels", axis)
		}
		if len(v.shape) != len(out) {
			return errors.Errorf("Concat of shapes %v and %v", out, v.shape)
		}
		if i > 0 {
			for k := 1; k < len(out); k++ {
				if v.shape[k] != out[k] {
					return errors.Errorf("Concat of shapes %v and %v", out, v.shape)
				}
			}
			if out[0] += v.shape[0]; out[0] > model.MaxExampleValues {
				return errors.Errorf("Concat of %d channels", out[0])
			}
		}
		if v.pooled {
			return errors.Errorf("Concat of a global pool's output of shape %v", v.shape)
		}
		ins = append(ins, v)
	}
	_, err = im.apply(n, layers.Concatenate(), out, ins...)
	return err
}

// flatten reads a Flatten from axis 1, or a Reshape to [batch, values].
func (im *foreign) flatten(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	if n.GetOpType() == "Flatten" {
		if err := flattenAxis(n); err != nil {
			return err
		}
	} else {
		if len(in) != 2 {
			return errors.Errorf("a Reshape of %d inputs", len(in))
		}
		as, err := nodeAttrs(n, "allowzero")
		if err != nil {
			return err
		}
		if z, err := intAttr(as, "allowzero", 0); err != nil || z != 0 {
			return errors.Errorf("allowzero %d (%v)", z, err)
		}
	}
	v, err := im.get(in[0])
	if err != nil {
		return err
	}
	if v.c != nil {
		return errors.New("a Reshape or Flatten of a constant")
	}
	if v, err = im.pooledOrRuntime(in[0]); err != nil {
		return err
	}
	size := product(v.shape)
	target := []int{size}
	if n.GetOpType() == "Reshape" {
		c, err := im.constant(in[1])
		if err != nil {
			return err
		}
		if target, err = im.reshapeTarget(c.ints, v.shape); err != nil {
			return err
		}
	}
	if len(target) > 1 {
		l, err := newLayer("Reshape", map[string]any{"target_shape": target})
		if err != nil {
			return err
		}
		_, err = im.apply(n, l, target, v)
		return err
	}
	if len(v.shape) == 1 || v.pooled {
		return im.set(n, &value{node: v.node, shape: []int{size}})
	}
	_, err = im.apply(n, layers.Flatten(), []int{size}, v)
	return err
}

// reshapeTarget returns the example shape that a Reshape to the folded
// shape s gives an example of shape in: s's first value must be the
// batch (the batch size, 0, or -1 when the others are known), the others
// sizes, 0 for in's size at that place or one -1 for what is left.
func (im *foreign) reshapeTarget(s []int64, in []int) ([]int, error) {
	size := product(in)
	bad := func() ([]int, error) {
		return nil, errors.Errorf("a Reshape to %v of an example of shape %v; only [batch, sizes...] is read", shapeString(s), in)
	}
	if len(s) < 2 || len(s) > 8 {
		return bad()
	}
	out := make([]int, len(s)-1)
	free, known := -1, 1
	for i, d := range s[1:] {
		switch {
		case d == -1 && free < 0:
			free = i
			continue
		case d == 0 && i < len(in):
			out[i] = in[i]
		case d > 0 && d <= int64(size):
			out[i] = int(d)
		default:
			return bad()
		}
		if known *= out[i]; known > size {
			return bad()
		}
	}
	if free >= 0 {
		if size%known != 0 {
			return bad()
		}
		out[free] = size / known
	} else if known != size {
		return bad()
	}
	b := s[0]
	if !(b == batchDim || b == 0 || b == -1 && free < 0 || im.batch > 0 && b == im.batch) {
		return bad()
	}
	return out, nil
}

// shapeString writes a folded shape, with N for the batch size.
func shapeString(s []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, d := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		if d == batchDim {
			b.WriteByte('N')
		} else {
			b.WriteString(strconv.FormatInt(d, 10))
		}
	}
	return b.String() + "]"
}
