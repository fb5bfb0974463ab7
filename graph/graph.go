package graph

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Graph is one Gorgonia expression graph, built for one batch size, whose
// parameter nodes are bound to the tensors of a Params store.
type Graph struct {
	g        *G.ExprGraph
	params   *Params
	nodes    []*G.Node // parameter nodes (trainable or not), in creation order
	of       []*Param  // the parameter behind each node
	byParam  map[*Param]*G.Node
	inputs   map[*G.Node]bool
	training bool
	frozen   bool // the layer being built is frozen (see SetFrozen)
	// statsMomentum, when hasStatsMomentum, overrides the momentum of the
	// layers that keep running statistics (StatsMomentum).
	statsMomentum    float64
	hasStatsMomentum bool
	step             uint64 // the training step of the next Run (see Machine.SetStep)
	scope            string // the layer being built: parameters must be named scope/...
}

// An Option configures a Graph.
type Option func(*Graph)

// Training marks the graph as a training graph: layers such as Dropout
// behave differently in training and inference.
func Training(on bool) Option { return func(g *Graph) { g.training = on } }

// StatsMomentum makes the layers that keep running statistics
// (BatchNormalization) update them with momentum m in this graph instead
// of their own: with 0, each training run sets them to the batch's
// statistics, which is how train.PreciseBN reads those.
func StatsMomentum(m float64) Option {
	return func(g *Graph) { g.statsMomentum, g.hasStatsMomentum = m, true }
}

// StatsMomentum returns the momentum StatsMomentum set, and whether it
// set one.
func (g *Graph) StatsMomentum() (m float64, ok bool) { return g.statsMomentum, g.hasStatsMomentum }

// New returns an empty graph over the parameters in params.
func New(params *Params, opts ...Option) *Graph {
	g := &Graph{g: G.NewGraph(), params: params, inputs: map[*G.Node]bool{}, byParam: map[*Param]*G.Node{}}
	for _, o := range opts {
		o(g)
	}
	return g
}

// Step returns the training step the graph's next run belongs to, as last
// set by Machine.SetStep (0 until then). Ops whose randomness must depend
// on the step alone, such as dropout masks, read it at run time through
// this method, so that a training run resumed from a checkpoint draws the
// same random numbers as an uninterrupted one.
func (g *Graph) Step() uint64 { return g.step }

// ExprGraph returns the underlying Gorgonia graph.
func (g *Graph) ExprGraph() *G.ExprGraph { return g.g }

// Params returns the parameter store the graph is bound to.
func (g *Graph) Params() *Params { return g.params }

// Dtype returns the element type of the graph's tensors.
func (g *Graph) Dtype() tensor.Dtype { return g.params.dtype }

// Training reports whether this is a training graph.
func (g *Graph) Training() bool { return g.training }

// SetScope names the layer whose nodes are being built, as a model does
// before it calls each layer's Build: until the next SetScope, Param accepts
// only names of the form scope/..., so that no layer can reach, and silently
// share, another layer's parameters. An empty scope accepts every name.
func (g *Graph) SetScope(scope string) { g.scope = scope }

// SetFrozen says whether the layer being built is frozen, as a model does
// before it calls each layer's Build (see model.Model.SetTrainable); it
// holds until the next SetFrozen. Layers read it with Frozen.
func (g *Graph) SetFrozen(frozen bool) { g.frozen = frozen }

// Frozen reports whether the layer being built is frozen: its weights are
// not trained, and a layer with state of its own, such as
// BatchNormalization, runs as in inference even in a training graph
// (Keras's semantics since 2.1), so that it neither uses the batch's
// statistics nor updates its running ones.
func (g *Graph) Frozen() bool { return g.frozen }

// Param returns a node for the trainable parameter called name, creating
// the parameter in the store on first use (see Params.Get). Inside a scope
// (see SetScope) the name must start with the scope and a slash.
func (g *Graph) Param(name string, shape []int, init Initializer) (*G.Node, error) {
	return g.param(name, shape, init, true)
}

// State returns a node for the non-trainable parameter called name (see
// Params.GetState): no gradient is taken with respect to it. An op that
// updates it in place, such as BatchNormalization's running statistics,
// gets it as an input.
func (g *Graph) State(name string, shape []int, init Initializer) (*G.Node, error) {
	return g.param(name, shape, init, false)
}

func (g *Graph) param(name string, shape []int, init Initializer, trainable bool) (*G.Node, error) {
	if g.scope != "" && !strings.HasPrefix(name, g.scope+"/") {
		return nil, errors.Errorf("graph: layer %q asked for parameter %q, outside its own namespace %q", g.scope, name, g.scope+"/")
	}
	p, err := g.params.get(name, shape, init, trainable)
	if err != nil {
		return nil, err
	}
	if n, ok := g.byParam[p]; ok {
		return n, nil
	}
	n := G.NewTensor(g.g, g.params.dtype, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(p.Value))
	g.nodes = append(g.nodes, n)
	g.of = append(g.of, p)
	g.byParam[p] = n
	return n, nil
}

// Input returns a new input node of the given shape, holding zeros until
// Set fills it. Gradients are never taken with respect to inputs.
func (g *Graph) Input(name string, shape ...int) *G.Node {
	v := tensor.New(tensor.Of(g.params.dtype), tensor.WithShape(shape...))
	n := G.NewTensor(g.g, g.params.dtype, len(shape), G.WithShape(shape...), G.WithName(name), G.WithValue(v))
	g.inputs[n] = true
	return n
}

// IsInput reports whether n was made by Input.
func (g *Graph) IsInput(n *G.Node) bool { return g.inputs[n] }

// Set copies src into the value of the node n, converting to the node's
// dtype. The lengths must match.
func Set[T float32 | float64](n *G.Node, src []T) error {
	t, ok := n.Value().(*tensor.Dense)
	if !ok {
		return errors.Errorf("graph: node %q has no tensor value", n.Name())
	}
	if t.Size() != len(src) {
		return errors.Errorf("graph: node %q of shape %v holds %d values, got %d", n.Name(), t.Shape(), t.Size(), len(src))
	}
	switch t.Dtype() {
	case tensor.Float32:
		d := t.Float32s()
		if same, ok := any(src).([]float32); ok {
			copy(d, same)
			return nil
		}
		for i, v := range src {
			d[i] = float32(v)
		}
	case tensor.Float64:
		d := t.Float64s()
		for i, v := range src {
			d[i] = float64(v)
		}
	default:
		return errors.Errorf("graph: node %q has dtype %v", n.Name(), t.Dtype())
	}
	return nil
}

// Read copies the value of the node n into dst, converting from the node's
// dtype, and returns dst (grown to fit if needed).
func Read[T float32 | float64](n *G.Node, dst []T) ([]T, error) {
	v := n.Value()
	if v == nil {
		return dst, errors.Errorf("graph: node %q has no value; has the machine run?", n.Name())
	}
	var data any
	if t, ok := v.(*tensor.Dense); ok && t.Dtype() == tensor.Float32 {
		// The common case, without boxing the slice (which allocates).
		d := t.Float32s()
		dst = grow(dst, len(d))
		if same, ok := any(dst).([]float32); ok {
			copy(same, d)
			return dst, nil
		}
		for i, x := range d {
			dst[i] = T(x)
		}
		return dst, nil
	} else if ok && t.Dtype() == tensor.Float64 {
		data = t.Float64s()
	} else {
		data = v.Data()
	}
	switch d := data.(type) {
	case []float32:
		dst = grow(dst, len(d))
		for i, x := range d {
			dst[i] = T(x)
		}
	case []float64:
		dst = grow(dst, len(d))
		for i, x := range d {
			dst[i] = T(x)
		}
	case float32:
		dst = append(grow(dst, 0), T(d))
	case float64:
		dst = append(grow(dst, 0), T(d))
	default:
		return dst, errors.Errorf("graph: node %q holds %T", n.Name(), d)
	}
	return dst, nil
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Machine runs a compiled graph: the forward pass and, when it was compiled
// with a loss, the gradients of that loss with respect to every parameter.
//
// A machine made by Compile runs on Gorgonia's tape machine. One made by
// CompileInference runs the same ops, in the same order, on the calling
// goroutine (see CompileInference).
type Machine struct {
	g      *Graph
	vm     G.VM // the tape machine; nil for an inference machine
	params []*Param
	grads  []*G.Node

	// An inference machine's program: leaves are the nodes without an op
	// (inputs and parameters), whose values are read at the start of each
	// run into vals[0:len(leaves)]; steps are the op nodes in execution
	// order, step i writing vals[len(leaves)+i].
	leaves []*G.Node
	steps  []step
	vals   []G.Value
	args   []G.Value // every step's arguments, one after the other
}

// step is one op node of an inference machine.
type step struct {
	node   *G.Node
	op     G.Op
	in     []int // indices into Machine.vals of the op's inputs, in order
	lo, hi int   // the step's arguments are Machine.args[lo:hi]
}

// Compile compiles the graph. With a non-nil loss (a scalar node) it first
// adds the symbolic gradients of the loss with respect to every trainable
// parameter node of the graph that is not frozen (Param.Frozen): a frozen
// parameter gets no gradient node at all. With outputs, the machine runs only what the loss, the
// gradients and those outputs need, so nodes nothing reads (an activation an
// op has fused into the next one, say) cost nothing; without, it runs every
// node of the graph.
func (g *Graph) Compile(loss *G.Node, outputs ...*G.Node) (m *Machine, err error) {
	defer recoverAs(&err, "graph: compile")
	m = &Machine{g: g}
	if loss != nil {
		var nodes G.Nodes
		for i, p := range g.of {
			if p.Trainable && !p.Frozen {
				nodes = append(nodes, g.nodes[i])
				m.params = append(m.params, p)
			}
		}
		if len(nodes) == 0 {
			return nil, errors.New("graph: the graph has a loss but no parameters to train (are they all frozen?)")
		}
		if m.grads, err = G.Grad(loss, nodes...); err != nil {
			return nil, errors.Wrap(err, "graph: building the gradients")
		}
	}
	eg := g.g
	if len(outputs) > 0 {
		roots := append(append(G.Nodes{}, outputs...), m.grads...)
		if loss != nil {
			roots = append(roots, loss)
		}
		eg = g.g.ExactSubgraphRoots(roots...)
	}
	m.vm = G.NewTapeMachine(eg)
	return m, nil
}

// CompileInference compiles the graph for inference alone: no loss and no
// gradients, only what outputs need (every node of the graph when none is
// given). The machine runs the same ops in the same order as one made by
// Compile(nil, outputs...) and gives bit-identical values, but it runs them
// on the calling goroutine, with no per-run goroutine, OS-thread lock or
// channel, and without allocating once every op's output buffer exists:
// the fixed cost of a run drops from tens of microseconds to under
// one, which is what a single-example prediction pays.
//
// Like every machine, it is for one goroutine at a time.
func (g *Graph) CompileInference(outputs ...*G.Node) (m *Machine, err error) {
	defer recoverAs(&err, "graph: compile")
	eg := g.g
	if len(outputs) > 0 {
		eg = g.g.ExactSubgraphRoots(outputs...)
	}
	switch {
	case len(eg.AllNodes()) == 0:
		return nil, errors.New("graph: compile: the graph is empty")
	case eg.Inputs().Len() == 0:
		return nil, errors.New("graph: compile: the graph has no input nodes")
	}
	sorted, err := G.Sort(eg)
	if err != nil {
		return nil, errors.Wrap(err, "graph: compile: sorting the graph")
	}
	// Sort puts the roots first; run from the leaves, as the tape does.
	for i, j := 0, len(sorted)-1; i < j; i, j = i+1, j-1 {
		sorted[i], sorted[j] = sorted[j], sorted[i]
	}
	m = &Machine{g: g}
	at := make(map[*G.Node]int, len(sorted))
	for _, n := range sorted {
		if n.Op() == nil {
			at[n] = len(m.leaves)
			m.leaves = append(m.leaves, n)
			// The tape machine gives every bound value its engine.
			setStandardEngine(n.Value())
		}
	}
	nargs := 0
	for _, n := range sorted {
		op := n.Op()
		if op == nil {
			continue
		}
		// The tape machine puts every op that has a training mode into
		// it (it is not built in evaluation mode); so does this one.
		if t, ok := op.(G.TrainModeOp); ok {
			if err := t.SetTraining(true); err != nil {
				return nil, errors.Wrapf(err, "graph: compile: node %q (%v)", n.Name(), op)
			}
		}
		s := step{node: n, op: op, lo: nargs}
		children := eg.From(n.ID())
		for children.Next() {
			c, ok := children.Node().(*G.Node)
			if !ok {
				return nil, errors.Errorf("graph: compile: node %q has an input of type %T", n.Name(), children.Node())
			}
			i, ok := at[c]
			if !ok {
				return nil, errors.Errorf("graph: compile: node %q reads node %q, which is not sorted before it", n.Name(), c.Name())
			}
			s.in = append(s.in, i)
		}
		nargs += len(s.in)
		s.hi = nargs
		at[n] = len(m.leaves) + len(m.steps)
		m.steps = append(m.steps, s)
	}
	m.vals = make([]G.Value, len(m.leaves)+len(m.steps))
	m.args = make([]G.Value, nargs)
	return m, nil
}

// Run runs the machine once: the forward pass and any gradients. Node values
// stay readable until the next Run.
func (m *Machine) Run() (err error) {
	if m.vm == nil {
		return m.runInference()
	}
	defer recoverAs(&err, "graph: run")
	m.vm.Reset()
	return m.vm.RunAll()
}

// runInference runs an inference machine's steps on this goroutine. Each
// op node's value is bound to the node, as the tape machine binds it, so
// that Read and Node.Value see it; a node whose op returned the same
// tensor as last time is already bound to it.
func (m *Machine) runInference() (err error) {
	defer recoverWithStack(&err, "graph: run")
	for i, n := range m.leaves {
		v := n.Value()
		if v == nil {
			return errors.Errorf("graph: run: no value bound to node %q", n.Name())
		}
		m.vals[i] = v
	}
	base := len(m.leaves)
	for i := range m.steps {
		s := &m.steps[i]
		args := m.args[s.lo:s.hi]
		for j, k := range s.in {
			args[j] = m.vals[k]
		}
		v, err := s.op.Do(args...)
		if err != nil {
			return errors.Wrapf(err, "graph: run: node %q (%v)", s.node.Name(), s.op)
		}
		if v == nil {
			return errors.Errorf("graph: run: node %q (%v) gave no value", s.node.Name(), s.op)
		}
		m.vals[base+i] = v
		if t, ok := v.(*tensor.Dense); ok {
			if old, _ := s.node.Value().(*tensor.Dense); old == t {
				continue
			}
		}
		setStandardEngine(v)
		if err := G.UnsafeLet(s.node, v); err != nil {
			return errors.Wrapf(err, "graph: run: binding the value of node %q (%v)", s.node.Name(), s.op)
		}
	}
	for i := range m.args {
		m.args[i] = nil // hold no value beyond what the nodes hold
	}
	return nil
}

// setStandardEngine gives a tensor Gorgonia's standard CPU engine, as the
// tape machine does to every value it binds.
func setStandardEngine(v G.Value) {
	if t, ok := v.(tensor.Tensor); ok {
		tensor.WithEngine(G.StandardEngine{})(t)
	}
}

// SetStep sets the training step that the next Runs belong to (Graph.Step).
// A trainer numbers its batches over the whole run, so that step-keyed
// randomness repeats exactly when a run is resumed.
func (m *Machine) SetStep(step uint64) { m.g.step = step }

// Params returns the parameters the machine computes gradients for, in
// the order of Grads: the trainable ones that were not frozen when it was
// compiled.
func (m *Machine) Params() []*Param { return m.params }

// Grads returns, after Run, the gradient of the loss with respect to each
// parameter of Params. The tensors are reused by the next Run.
func (m *Machine) Grads() ([]*tensor.Dense, error) {
	out := make([]*tensor.Dense, len(m.grads))
	for i, n := range m.grads {
		t, ok := n.Value().(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("graph: gradient of %q is %T, not a tensor", m.params[i].Name, n.Value())
		}
		out[i] = t
	}
	return out, nil
}

// Close releases the machine's resources.
func (m *Machine) Close() error {
	if m.vm == nil {
		return nil // an inference machine holds nothing but Go memory
	}
	return m.vm.Close()
}

// recoverAs turns a panic inside Gorgonia into an error, so that no input a
// user can build brings the program down.
func recoverAs(err *error, what string) {
	if r := recover(); r != nil {
		*err = errors.Errorf("%s: internal panic: %v", what, fmt.Sprint(r))
	}
}

// recoverWithStack is recoverAs for running ops: the error carries the
// stack of the panic, which names the op that raised it.
func recoverWithStack(err *error, what string) {
	if r := recover(); r != nil {
		*err = errors.Errorf("%s: internal panic: %v\n%s", what, fmt.Sprint(r), debug.Stack())
	}
}
