package model

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// DefaultSeed seeds the initialisers of a model made without the Seed
// option.
const DefaultSeed = 1

// DefaultMaxBatch is the largest batch that Predict runs through one
// compiled graph unless MaxBatch says otherwise.
const DefaultMaxBatch = 256

// MaxExampleValues caps the number of values of one example of any input
// or layer output, so that an absurd shape is an error when the model is
// made rather than an out-of-memory death when it runs.
const MaxExampleValues = 1 << 26

// A Node is a symbolic tensor of a model being described: a model input
// (Input) or the output of a layer applied to other nodes (Apply). Its
// shape is known once New builds the model. A node that could not be made
// carries its error to New.
type Node struct {
	id     uint64
	layer  layers.Layer // nil for an input
	inputs []*Node
	shape  []int // an input's example shape
	err    error
	// src is the family of the first model built with this layer node: its
	// parameter store, which later models made from the node share, the
	// layer names that new layers must not take and the compile locks.
	src *family
	// frozen is whether the node's layer is frozen (SetTrainable); every
	// model made with the node sees the same flag, as its Params are
	// shared.
	frozen bool
}

// A family is what the models made from one another's layers share: a
// parameter store that holds the layers' weights, the names every layer
// of those models has taken, and the locks that keep compiles (which write
// to the shared parameter tensors) apart from runs of any of them.
type family struct {
	params *graph.Params
	names  map[string]bool
	locks  []*compileLock
}

// A compileLock is held for writing while a graph is compiled, since
// Gorgonia's compiler writes to the parameter tensors (it sets their
// engine), and for reading while a graph runs: runs go side by side, and
// only wait for the rare compile. Models that share parameters take each
// other's locks, always in the order of id, so that none deadlocks.
type compileLock struct {
	id uint64
	sync.RWMutex
}

var lockIDs atomic.Uint64

var nodeIDs atomic.Uint64

// Input returns a symbolic model input whose examples have the given shape
// (channels, height and width for images, as the whole package does;
// features for vectors). The batch axis is not part of it.
func Input(shape ...int) *Node {
	n := &Node{id: nodeIDs.Add(1), shape: append([]int(nil), shape...)}
	if len(shape) == 0 {
		n.err = errors.New("model: input with an empty shape")
	}
	if _, err := exampleSize(shape); err != nil && n.err == nil {
		n.err = errors.Wrapf(err, "model: input shape %v", shape)
	}
	return n
}

// Apply applies the layer l to the nodes in and returns the node of its
// output, as calling a layer on tensors does in Keras's functional API. A
// merge layer (layers.Add, Concatenate, Multiply) takes two or more
// inputs, every other layer exactly one. Errors, such as a nil layer or
// input, surface when New builds the model.
func Apply(l layers.Layer, in ...*Node) *Node {
	n := &Node{id: nodeIDs.Add(1), layer: l, inputs: append([]*Node(nil), in...)}
	switch {
	case l == nil:
		n.err = errors.New("model: Apply with a nil layer")
	case len(in) == 0:
		n.err = errors.Errorf("model: layer %s applied to no input", l.Type())
	case len(in) > MaxLayerInputs:
		n.err = errors.Errorf("model: layer %s applied to %d inputs; at most %d are allowed (model.MaxLayerInputs)", l.Type(), len(in), MaxLayerInputs)
	}
	for _, x := range in {
		if x == nil && n.err == nil {
			n.err = errors.Errorf("model: layer %s applied to a nil node", l.Type())
		}
	}
	return n
}

// exampleSize returns the number of values of an example of shape s,
// checking every dimension and the cap without overflow.
func exampleSize(s []int) (int, error) {
	size := 1
	for _, d := range s {
		if d <= 0 {
			return 0, errors.Errorf("dimension %d is not positive", d)
		}
		if size > MaxExampleValues/d {
			return 0, errors.Errorf("an example of shape %v has more than %d values (model.MaxExampleValues)", s, MaxExampleValues)
		}
		size *= d
	}
	return size, nil
}

// Model is a network of layers from one or more inputs to one or more
// outputs, with its parameters, that predicts with no loss and no
// optimiser. New makes one from symbolic nodes; NewSequential from a list
// of layers.
//
// Predict is safe for concurrent use by any number of goroutines, with any
// mix of batch sizes, as long as nothing changes the parameters meanwhile
// (training, LoadWeights). Each call runs on a compiled graph of its own,
// taken from a pool of MaxConcurrent graphs per batch size: up to so many
// calls run side by side. Everything else
// that changes the model (Close, LoadWeights) must not run concurrently
// with anything.
type Model struct {
	inputs     []*Node
	outputs    []*Node
	nodes      []*Node // layer nodes in build order
	sequential bool
	params     *graph.Params
	names      map[*Node]string
	layerNodes map[string]*Node // layer nodes by name
	shapes     map[*Node][]int  // example shape of every node
	counts     map[*Node]int    // parameters each layer node created
	inSizes    []int
	outSizes   []int
	classes    []string // a name for each output value, or nil
	cfg        config

	fam *family

	mu    sync.Mutex
	pools map[int]*pool // compiled inference graphs by batch size
}

// lockCompile takes every compile lock of the model's family for writing.
func (m *Model) lockCompile() {
	for _, l := range m.fam.locks {
		l.Lock()
	}
}

// unlockCompile releases what lockCompile took.
func (m *Model) unlockCompile() {
	for i := len(m.fam.locks) - 1; i >= 0; i-- {
		m.fam.locks[i].Unlock()
	}
}

// lockRun takes every compile lock of the model's family for reading.
func (m *Model) lockRun() {
	for _, l := range m.fam.locks {
		l.RLock()
	}
}

// unlockRun releases what lockRun took.
func (m *Model) unlockRun() {
	for i := len(m.fam.locks) - 1; i >= 0; i-- {
		m.fam.locks[i].RUnlock()
	}
}

// An Option configures a model, in the style of Gorgonia's NodeConsOpt.
type Option func(*config)

type config struct {
	seed          uint64
	dtype         tensor.Dtype
	maxBatch      int
	maxConcurrent int
	classNames    []string
	maxParams     int
	// maxWeightBytes caps the weights file of the parameters (-1: none);
	// Read sets it to the size of the file's weights section.
	maxWeightBytes int64
}

// Seed seeds the model's initialisers: the same seed gives the same
// initial weights.
func Seed(seed uint64) Option { return func(c *config) { c.seed = seed } }

// Float64 makes the model compute in float64 instead of float32. It is
// slower and exists for gradient checks and numerical experiments.
func Float64() Option { return func(c *config) { c.dtype = tensor.Float64 } }

// MaxBatch sets the largest batch Predict runs through one compiled graph
// (default DefaultMaxBatch). Larger requests run in chunks.
func MaxBatch(n int) Option { return func(c *config) { c.maxBatch = n } }

// MaxConcurrent sets how many graphs the model compiles for each batch
// size (default GOMAXPROCS, at least 2): so many calls of Predict run at
// once, and further ones wait for a graph to come free. The kernels spread
// each call over the cores already, so more rarely helps.
func MaxConcurrent(n int) Option { return func(c *config) { c.maxConcurrent = n } }

// ClassNames names the classes of a classifier, one name for each value of
// its single output, in order: the model file keeps them, and servers and
// tools show a prediction's class by name. New refuses names that
// SetClassNames would refuse.
func ClassNames(names ...string) Option {
	return func(c *config) { c.classNames = append([]string(nil), names...) }
}

// DefaultMaxParams is the most parameter values (all parameters together)
// a model may have unless MaxParams says otherwise: 2^28 values, 1 GiB of
// float32 weights.
const DefaultMaxParams = 1 << 28

// MaxParams caps the number of parameter values of the model, all
// parameters together (default DefaultMaxParams). A model that needs more
// is an error before their values are allocated; Read and Load check the
// cap against the architecture in the file before they allocate the
// weights, so that a small hostile file cannot make them allocate much.
func MaxParams(n int) Option { return func(c *config) { c.maxParams = n } }

// Caps on the size of a model's wiring, so that a hostile model file (or
// program) is an error rather than a long wait: Gorgonia's graphs take
// time that grows with the square of their size to build and compile (a
// chain of 8192 layers loads in about 0.3 s and compiles in about 2 s; one
// of 32768 takes 3 s and 30 s). MaxLayers caps the number of layers,
// MaxConnections the number of the layers' inputs, all layers together,
// and MaxLayerInputs the inputs of one layer (a merge), the model's inputs
// and its outputs.
const (
	MaxLayers      = 1 << 13
	MaxConnections = 1 << 13
	MaxLayerInputs = 1 << 12
)

// Caps on class names (ClassNames, SetClassNames and model files).
const (
	MaxClassNames     = 1 << 16
	MaxClassNameBytes = 256
)

func newConfig(opts []Option) (config, error) {
	c := config{seed: DefaultSeed, dtype: tensor.Float32, maxBatch: DefaultMaxBatch, maxConcurrent: max(2, runtime.GOMAXPROCS(0)), maxParams: DefaultMaxParams, maxWeightBytes: -1}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.maxBatch <= 0 || c.maxBatch > 1<<16 {
		return c, errors.Errorf("model: MaxBatch(%d) is not in [1, 65536]", c.maxBatch)
	}
	if c.maxConcurrent < 1 || c.maxConcurrent > 1024 {
		return c, errors.Errorf("model: MaxConcurrent(%d) is not in [1, 1024]", c.maxConcurrent)
	}
	if c.maxParams <= 0 {
		return c, errors.Errorf("model: MaxParams(%d) is not positive", c.maxParams)
	}
	return c, nil
}

// NewSequential makes a model of the given layers applied one after the
// other, for inputs of the given shape (channels, height, width for
// images; features for vectors), like Keras's Sequential. It is New over
// a chain of nodes.
func NewSequential(input []int, ls []layers.Layer, opts ...Option) (*Model, error) {
	if len(ls) == 0 {
		return nil, errors.New("model: sequential: no layers")
	}
	in := Input(input...)
	x := in
	for i, l := range ls {
		if l == nil {
			return nil, errors.Errorf("model: sequential: layer %d is nil", i+1)
		}
		x = Apply(l, x)
	}
	m, err := New([]*Node{in}, []*Node{x}, opts...)
	if err != nil {
		return nil, err
	}
	m.sequential = true
	return m, nil
}

// New makes the model that computes outputs from inputs. It names unnamed
// layers as Keras does (conv2d_1, dense_2, ...) in the order they were
// applied, creates and initialises every parameter in that order (so the
// seed fixes them), and checks every shape: a layer that cannot take its
// input is an error naming the layer and the shapes.
//
// Nodes of a model built before (its Inputs, Output, or nodes that made
// it) keep their layers' weights: the new model shares them, uncopied, as
// a Keras model made from another's layers does, and so shares their
// training and freezing (SetTrainable) too. New layers applied to such
// nodes are named so as to take no name of any layer of those models, used
// in the new one or not, and a new layer named explicitly after one is an
// error: a weight found by name is never an old layer's.
func New(inputs, outputs []*Node, opts ...Option) (*Model, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if len(inputs) == 0 || len(outputs) == 0 {
		return nil, errors.New("model: a model needs at least one input and one output")
	}
	if len(inputs) > MaxLayerInputs || len(outputs) > MaxLayerInputs {
		return nil, errors.Errorf("model: %d inputs and %d outputs; at most %d of each are allowed (model.MaxLayerInputs)", len(inputs), len(outputs), MaxLayerInputs)
	}
	m := &Model{inputs: inputs, outputs: outputs, cfg: c, names: map[*Node]string{},
		shapes: map[*Node][]int{}, counts: map[*Node]int{}, pools: map[int]*pool{}}
	isInput := map[*Node]int{}
	for i, in := range inputs {
		switch {
		case in == nil:
			return nil, errors.Errorf("model: input %d is nil", i+1)
		case in.err != nil:
			return nil, in.err
		case in.layer != nil:
			return nil, errors.Errorf("model: input %d is a layer's output, not a model.Input", i+1)
		}
		if _, ok := isInput[in]; ok {
			return nil, errors.Errorf("model: input %d is given twice", i+1)
		}
		isInput[in] = i
		m.names[in] = "input_" + strconv.Itoa(i+1)
		m.shapes[in] = in.shape
	}
	if m.nodes, err = reach(outputs, isInput); err != nil {
		return nil, err
	}
	m.fam = &family{names: map[string]bool{}}
	reserved := map[string]bool{}
	seenFam := map[*family]bool{}
	for _, n := range m.nodes {
		if f := n.src; f != nil && !seenFam[f] {
			seenFam[f] = true
			for name := range f.names {
				reserved[name] = true
			}
			m.fam.locks = append(m.fam.locks, f.locks...)
		}
	}
	if err := m.nameLayers(reserved); err != nil {
		return nil, err
	}
	if m.params, err = graph.NewParams(c.dtype, c.seed); err != nil {
		return nil, err
	}
	m.params.SetLimits(c.maxParams, c.maxWeightBytes)
	// Building once with a batch of one checks the shapes and creates the
	// parameters, in build order, so that the seed fixes their values.
	g := graph.New(m.params)
	xs := make([]*G.Node, len(inputs))
	for i, in := range inputs {
		xs[i] = g.Input(m.names[in], append([]int{1}, in.shape...)...)
	}
	if _, err := m.build(g, xs, true); err != nil {
		return nil, err
	}
	m.params.SetLimits(c.maxParams, -1)
	for _, in := range inputs {
		size, _ := exampleSize(in.shape)
		m.inSizes = append(m.inSizes, size)
	}
	for _, out := range outputs {
		size, _ := exampleSize(m.shapes[out])
		m.outSizes = append(m.outSizes, size)
	}
	if err := m.SetClassNames(c.classNames); err != nil {
		return nil, err
	}
	// The model is made: its new layer nodes join its family.
	m.fam.params = m.params
	for name := range reserved {
		m.fam.names[name] = true
	}
	for _, n := range m.nodes {
		m.fam.names[m.names[n]] = true
	}
	m.fam.locks = append(m.fam.locks, &compileLock{id: lockIDs.Add(1)})
	slices.SortFunc(m.fam.locks, func(a, b *compileLock) int { return cmp.Compare(a.id, b.id) })
	m.fam.locks = slices.Compact(m.fam.locks)
	for _, n := range m.nodes {
		if n.src == nil {
			n.src = m.fam
		}
	}
	return m, nil
}

// ClassNames returns a copy of the model's class names, one for each
// output value, or nil if it has none.
func (m *Model) ClassNames() []string {
	if len(m.classes) == 0 {
		return nil
	}
	return append([]string(nil), m.classes...)
}

// SetClassNames sets the model's class names, one for each value of its
// single output, in order; nil or none removes them. Names must be
// non-empty, unique, valid UTF-8 without control characters, at most
// MaxClassNameBytes bytes each and at most MaxClassNames in all. It must
// not run concurrently with anything that reads them.
func (m *Model) SetClassNames(names []string) error {
	if len(names) == 0 {
		m.classes = nil
		return nil
	}
	if err := checkClassNames(names, m.outSizes); err != nil {
		return errors.Wrap(err, "model: class names")
	}
	m.classes = append([]string(nil), names...)
	return nil
}

// checkClassNames checks names against a model of outputs of the given
// sizes.
func checkClassNames(names []string, outSizes []int) error {
	if len(outSizes) != 1 {
		return errors.Errorf("%d names for a model of %d outputs; only a model of one output has class names", len(names), len(outSizes))
	}
	if len(names) > MaxClassNames {
		return errors.Errorf("%d names, more than the %d allowed (model.MaxClassNames)", len(names), MaxClassNames)
	}
	if len(names) != outSizes[0] {
		return errors.Errorf("%d names for an output of %d values; give one name for each", len(names), outSizes[0])
	}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		switch {
		case n == "":
			return errors.Errorf("name %d is empty", i+1)
		case len(n) > MaxClassNameBytes:
			return errors.Errorf("name %d is %d bytes long, over the %d allowed (model.MaxClassNameBytes)", i+1, len(n), MaxClassNameBytes)
		case !utf8.ValidString(n):
			return errors.Errorf("name %d, %q, is not valid UTF-8", i+1, n)
		case strings.IndexFunc(n, unicode.IsControl) >= 0:
			return errors.Errorf("name %d, %q, holds a control character", i+1, n)
		}
		if j, ok := seen[n]; ok {
			return errors.Errorf("names %d and %d are both %q", j+1, i+1, n)
		}
		seen[n] = i
	}
	return nil
}

// reach returns the layer nodes the outputs depend on, in the order they
// were made (which is a topological order: a node is made after its
// inputs), and checks that they lead back to the model's inputs only.
func reach(outputs []*Node, isInput map[*Node]int) ([]*Node, error) {
	seen := map[*Node]bool{}
	var nodes []*Node
	connections := 0
	var visit func(n *Node) error
	visit = func(n *Node) error {
		if n == nil {
			return errors.New("model: an output is nil")
		}
		if seen[n] {
			return nil
		}
		seen[n] = true
		if n.err != nil {
			return n.err
		}
		if n.layer == nil {
			if _, ok := isInput[n]; !ok {
				return errors.Errorf("model: the outputs depend on an input of shape %v that is not among the model's inputs", n.shape)
			}
			return nil
		}
		for _, in := range n.inputs {
			if err := visit(in); err != nil {
				return err
			}
		}
		if len(nodes) == MaxLayers {
			return errors.Errorf("model: more than %d layers (model.MaxLayers)", MaxLayers)
		}
		if connections += len(n.inputs); connections > MaxConnections {
			return errors.Errorf("model: the layers take more than %d inputs in all (model.MaxConnections)", MaxConnections)
		}
		nodes = append(nodes, n)
		return nil
	}
	for _, out := range outputs {
		if err := visit(out); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(nodes, func(a, b *Node) int { return cmp.Compare(a.id, b.id) })
	return nodes, nil
}

// nameLayers names unnamed layers Keras-style and checks that no layer is
// used twice and no two layers share a name. New layers (those of nodes no
// model has built yet) take no reserved name: the names of the layers of
// the models whose nodes this one is made from.
func (m *Model) nameLayers(reserved map[string]bool) error {
	counters := map[string]int{}
	names := map[string]bool{}
	m.layerNodes = make(map[string]*Node, len(m.nodes))
	for _, in := range m.inputs {
		names[m.names[in]] = true
	}
	used := map[layers.Layer]bool{}
	for _, n := range m.nodes {
		l := n.layer
		if used[l] {
			return errors.Errorf("model: layer %s (%s) is applied twice; sharing a layer between nodes is not supported, make a second layer", l.Name(), l.Type())
		}
		used[l] = true
		if l.Name() == "" {
			key := snake(l.Type())
			for l.Name() == "" || names[l.Name()] || reserved[l.Name()] {
				counters[key]++
				l.SetName(key + "_" + strconv.Itoa(counters[key]))
			}
		} else if n.src == nil && reserved[l.Name()] {
			return errors.Errorf("model: new layer %s (%s) takes the name of a layer of the model it is built on; name it otherwise", l.Name(), l.Type())
		}
		if strings.ContainsAny(l.Name(), "/\n") {
			return errors.Errorf("model: layer name %q may not contain a slash or a newline", l.Name())
		}
		if names[l.Name()] {
			return errors.Errorf("model: two layers are named %q", l.Name())
		}
		names[l.Name()] = true
		m.names[n] = l.Name()
		m.layerNodes[l.Name()] = n
	}
	return nil
}

// snake turns a Keras type name into its default layer-name prefix:
// Conv2D → conv2d, MaxPooling2D → max_pooling2d, Conv2DTranspose →
// conv2d_transpose (a capital starts a word after a small letter, or
// after a capital when a small letter follows it).
func snake(s string) string {
	var b strings.Builder
	upper := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= 'A' && s[i] <= 'Z' }
	lower := func(i int) bool { return i >= 0 && i < len(s) && s[i] >= 'a' && s[i] <= 'z' }
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && (!upper(i-1) && !(s[i-1] >= '0' && s[i-1] <= '9') || upper(i-1) && lower(i+1)) {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Outputs are the nodes a built model exposes.
type Outputs struct {
	// Outputs are the model's outputs, in the order given to New.
	Outputs []*G.Node
	// Logits holds, for each output, the input of its final softmax, or
	// nil if it does not end in one. Cross-entropy uses it for stability.
	Logits []*G.Node
	// Layers holds every layer's output node by layer name.
	Layers map[string]*G.Node
}

// Build emits the model into g for the inputs xs, one per model input,
// each of the input's shape with a batch axis in front. g must be bound to
// the model's parameters (graph.New(m.Params(), ...)).
func (m *Model) Build(g *graph.Graph, xs ...*G.Node) (Outputs, error) {
	if g.Params() != m.params {
		return Outputs{}, errors.New("model: the graph is not bound to this model's parameters")
	}
	if len(xs) != len(m.inputs) {
		return Outputs{}, errors.Errorf("model: %d input nodes for a model of %d inputs", len(xs), len(m.inputs))
	}
	for i, x := range xs {
		want := m.inputs[i].shape
		if s := x.Shape(); len(s) != len(want)+1 || !s[1:].Eq(tensor.Shape(want)) {
			return Outputs{}, errors.Errorf("model: input %s has shape %v, the model takes [N %s]", m.names[m.inputs[i]], s, strings.Trim(fmt.Sprint(want), "[]"))
		}
	}
	return m.build(g, xs, false)
}

// build emits every layer into g; first records the shapes and parameter
// counts and checks the size caps.
func (m *Model) build(g *graph.Graph, xs []*G.Node, first bool) (Outputs, error) {
	val := map[*Node]*G.Node{}
	for i, in := range m.inputs {
		val[in] = xs[i]
	}
	out := Outputs{Layers: map[string]*G.Node{}}
	defer g.SetScope("")
	defer g.SetFrozen(false)
	for _, n := range m.nodes {
		ins := make([]*G.Node, len(n.inputs))
		var shapes []string
		for i, in := range n.inputs {
			ins[i] = val[in]
			shapes = append(shapes, shapeString(ins[i].Shape()[1:]))
		}
		before := m.params.Count()
		if first && n.src != nil {
			// A layer of an earlier model keeps its weights.
			if err := share(m.params, n.src.params, m.names[n]); err != nil {
				return out, errors.Wrapf(err, "layer %s (%s)", m.names[n], n.layer.Type())
			}
		}
		g.SetScope(m.names[n])
		g.SetFrozen(n.frozen)
		y, err := buildLayer(n.layer, g, ins)
		if err == nil && first {
			_, err = exampleSize(y.Shape()[1:])
			err = errors.Wrap(err, "output too large")
		}
		if err != nil {
			return out, errors.Wrapf(err, "layer %s (%s) with input shape %s", m.names[n], n.layer.Type(), strings.Join(shapes, ", "))
		}
		if first {
			m.shapes[n] = []int(y.Shape()[1:].Clone())
			m.counts[n] = m.params.Count() - before
		}
		val[n] = y
		out.Layers[m.names[n]] = y
	}
	for _, o := range m.outputs {
		y := val[o]
		out.Outputs = append(out.Outputs, y)
		logits, _ := ops.SoftmaxLogits(y)
		out.Logits = append(out.Logits, logits)
	}
	return out, nil
}

// share adds to dst the parameters of layer name held by src.
func share(dst, src *graph.Params, name string) error {
	for _, q := range src.List() {
		if strings.HasPrefix(q.Name, name+"/") {
			if err := dst.Share(q); err != nil {
				return err
			}
		}
	}
	return nil
}

// buildLayer builds l on its inputs, turning a panic inside it (or inside
// Gorgonia) into an error that keeps the panic's stack, so that no model a
// user can describe crashes the program.
func buildLayer(l layers.Layer, g *graph.Graph, xs []*G.Node) (y *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			y, err = nil, errors.Errorf("internal panic: %v", r)
		}
	}()
	if len(xs) == 1 {
		return l.Build(g, xs[0])
	}
	ml, ok := l.(layers.MultiInput)
	if !ok {
		return nil, errors.Errorf("the layer takes one input, got %d", len(xs))
	}
	return ml.BuildMulti(g, xs)
}

// Params returns the model's parameter store.
func (m *Model) Params() *graph.Params { return m.params }

// Dtype returns the element type the model computes in.
func (m *Model) Dtype() tensor.Dtype { return m.params.Dtype() }

// Layers returns the model's layers in build order.
func (m *Model) Layers() []layers.Layer {
	out := make([]layers.Layer, len(m.nodes))
	for i, n := range m.nodes {
		out[i] = n.layer
	}
	return out
}

// NumInputs returns the number of the model's inputs.
func (m *Model) NumInputs() int { return len(m.inputs) }

// NumOutputs returns the number of the model's outputs.
func (m *Model) NumOutputs() int { return len(m.outputs) }

// InputShape returns the example shape of input i.
func (m *Model) InputShape(i int) []int { return append([]int(nil), m.inputs[i].shape...) }

// OutputShape returns the example shape of output i.
func (m *Model) OutputShape(i int) []int { return append([]int(nil), m.shapes[m.outputs[i]]...) }

// LayerShape returns the example shape of the named layer's output, or
// nil if the model has no such layer.
func (m *Model) LayerShape(name string) []int {
	if n, ok := m.layerNodes[name]; ok {
		return append([]int(nil), m.shapes[n]...)
	}
	return nil
}

// ExampleSize returns the number of values of one example: the values of
// all inputs, one input after the other (see Feed).
func (m *Model) ExampleSize() int { return sum(m.inSizes) }

// OutputSize returns the number of output values of one example: the
// values of all outputs, one output after the other.
func (m *Model) OutputSize() int { return sum(m.outSizes) }

func sum(xs []int) int {
	s := 0
	for _, x := range xs {
		s += x
	}
	return s
}

// Feed copies examples x into the input nodes xs of a graph built by
// Build. An example of a model of several inputs is the values of its
// inputs one after the other, in the order of the model's inputs; each
// input's values are in NCHW order (channels, height, width).
func (m *Model) Feed(xs []*G.Node, x []float32) error {
	if len(xs) != len(m.inputs) {
		return errors.Errorf("model: %d input nodes for a model of %d inputs", len(xs), len(m.inputs))
	}
	return FeedRows(xs, m.inSizes, x)
}

// FeedRows copies rows into nodes: each row of x is the values of every
// node in turn, sizes[i] values for node i, and node i receives its part
// of every row, in order. With one node it is graph.Set. Package train
// feeds the targets of a model of several outputs this way.
func FeedRows(nodes []*G.Node, sizes []int, x []float32) error {
	if len(nodes) != len(sizes) {
		return errors.Errorf("model: %d nodes and %d sizes", len(nodes), len(sizes))
	}
	size := sum(sizes)
	if size == 0 || len(x)%size != 0 {
		return errors.Errorf("model: %d values are not whole rows of %d values", len(x), size)
	}
	if len(nodes) == 1 {
		return graph.Set(nodes[0], x)
	}
	n := len(x) / size
	off := 0
	for i, node := range nodes {
		part := make([]float32, 0, n*sizes[i])
		for e := 0; e < n; e++ {
			part = append(part, x[e*size+off:e*size+off+sizes[i]]...)
		}
		if err := graph.Set(node, part); err != nil {
			return err
		}
		off += sizes[i]
	}
	return nil
}

// OutputSizes returns the number of values of one example of each output.
func (m *Model) OutputSizes() []int { return append([]int(nil), m.outSizes...) }

// OutputNames returns the names of the layers that are the model's
// outputs, in output order: the names package train gives each output's
// losses and metrics (such as "head_loss").
func (m *Model) OutputNames() []string {
	names := make([]string, len(m.outputs))
	for i, o := range m.outputs {
		names[i] = m.names[o]
	}
	return names
}
