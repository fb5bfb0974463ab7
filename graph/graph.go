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
