package graph

import (
	"slices"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Machine runs a compiled graph: the forward pass and, when it was compiled
// with a loss, the gradients of that loss with respect to every parameter.
//
// It runs the graph's ops in the order Gorgonia's tape machine would, on
// the calling goroutine, with no per-run goroutine, OS-thread lock or
// channel, and without allocating once every op's output buffer exists.
//
// When the machine was compiled for given outputs, ops that can (see
// OutputSharer) write their outputs into memory shared by liveness: two
// values that are never needed at the same time live in the same buffer,
// so a deep network's training or evaluation graph holds a few
// activation-sized buffers for its gradients instead of one per node.
// The values of the outputs (and of the loss and the gradients) are what
// a run gives; the other nodes' values are undefined after it.
//
// A Machine is for one goroutine at a time.
type Machine struct {
	g      *Graph
	params []*Param
	grads  []*G.Node

	// The program: leaves are the nodes without an op (inputs, constants
	// and parameters), whose values are read at the start of each run
	// into vals[0:len(leaves)]; steps are the op nodes in execution
	// order, step i writing vals[len(leaves)+i].
	leaves []*G.Node
	steps  []step
	vals   []G.Value
	args   []G.Value // every step's arguments, one after the other

	// Shared output memory: step i of an OutputSharer op writes into slot
	// slotOf[i] (-1: its own memory).
	slotOf []int
	slots  []slot
}

// step is one op node of a machine.
type step struct {
	node     *G.Node
	op       G.Op
	in       []int   // indices into Machine.vals of the op's inputs, in order
	lo, hi   int     // the step's arguments are Machine.args[lo:hi]
	reusable bool    // the op can write into its last output (see do)
	prealloc G.Value // that output, once a run gave one that is no view
}

// slot is a buffer that several steps' outputs share, sized for the
// largest of them.
type slot struct {
	size int
	f32  []float32
	f64  []float64
}

// OutputSharer is implemented by ops that can write their output into
// memory the machine gives them. ShareOutput hands the op the function it
// is to take its output tensor from instead of allocating it (on its first
// run, and again whenever the output's dtype or shape changes; the op
// keeps the tensor for the runs between). The op returns false to
// decline, as an op must whose output is a view of an input or whose
// later readers need its inputs (the machine then keeps those inputs
// alive as long as the output).
//
// An op that accepts must return, from Do, the tensor alloc gave it (or a
// value that is not a view of any input), must not read that tensor's
// contents from an earlier run, and must read no input after Do returns.
type OutputSharer interface {
	ShareOutput(alloc func(dt tensor.Dtype, shape ...int) *tensor.Dense) bool
}

// minShared is the smallest output, in elements, worth sharing.
const minShared = 256

// Compile compiles the graph. With a non-nil loss (a scalar node) it first
// adds the symbolic gradients of the loss with respect to every trainable
// parameter node of the graph that is not frozen (Param.Frozen): a frozen
// parameter gets no gradient node at all. With outputs, the machine runs
// only what the loss, the gradients and those outputs need, so nodes
// nothing reads (an activation an op has fused into the next one, say)
// cost nothing, and the other values share memory (see Machine); without,
// it runs every node of the graph and keeps every value.
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
	var roots G.Nodes
	if len(outputs) > 0 {
		roots = append(append(G.Nodes{}, outputs...), m.grads...)
		if loss != nil {
			roots = append(roots, loss)
		}
	}
	if err := m.program(roots); err != nil {
		return nil, err
	}
	return m, nil
}

// CompileInference compiles the graph for inference alone: no loss and no
// gradients, only what outputs need (every node of the graph when none is
// given). It is Compile(nil, outputs...).
func (g *Graph) CompileInference(outputs ...*G.Node) (*Machine, error) {
	return g.Compile(nil, outputs...)
}

// program builds the machine's steps: the subgraph of roots (the whole
// graph when there are none), sorted as the tape machine sorts it, and
// the sharing of output memory among its steps.
func (m *Machine) program(roots G.Nodes) error {
	eg := m.g.g
	if len(roots) > 0 {
		eg = eg.ExactSubgraphRoots(roots...)
	}
	switch {
	case len(eg.AllNodes()) == 0:
		return errors.New("graph: compile: the graph is empty")
	case eg.Inputs().Len() == 0:
		return errors.New("graph: compile: the graph has no input nodes")
	}
	sorted, err := G.Sort(eg)
	if err != nil {
		return errors.Wrap(err, "graph: compile: sorting the graph")
	}
	// Sort puts the roots first; run from the leaves, as the tape does.
	for i, j := 0, len(sorted)-1; i < j; i, j = i+1, j-1 {
		sorted[i], sorted[j] = sorted[j], sorted[i]
	}
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
				return errors.Wrapf(err, "graph: compile: node %q (%v)", n.Name(), op)
			}
		}
		s := step{node: n, op: op, lo: nargs}
		var in []*G.Node
		children := eg.From(n.ID())
		for children.Next() {
			c, ok := children.Node().(*G.Node)
			if !ok {
				return errors.Errorf("graph: compile: node %q has an input of type %T", n.Name(), children.Node())
			}
			i, ok := at[c]
			if !ok {
				return errors.Errorf("graph: compile: node %q reads node %q, which is not sorted before it", n.Name(), c.Name())
			}
			s.in = append(s.in, i)
			in = append(in, c)
		}
		if sum := asSum(n, in); sum != nil {
			s.op = sum
		}
		s.reusable = reusable(s.op)
		nargs += len(s.in)
		s.hi = nargs
		at[n] = len(m.leaves) + len(m.steps)
		m.steps = append(m.steps, s)
	}
	m.vals = make([]G.Value, len(m.leaves)+len(m.steps))
	m.args = make([]G.Value, nargs)
	m.slotOf = make([]int, len(m.steps))
	for i := range m.slotOf {
		m.slotOf[i] = -1
	}
	if len(roots) > 0 {
		m.share(roots, at)
	}
	return nil
}

// share assigns the steps whose ops share their outputs to slots, by
// liveness: a value lives from its step to the last step that reads it
// (roots to the end of the run), and two values whose lives do not
// overlap may share a slot. An op that declines to share may return a
// view of an input, so its inputs live as long as its output does.
func (m *Machine) share(roots G.Nodes, at map[*G.Node]int) {
	base := len(m.leaves)
	shares := make([]bool, len(m.steps))
	for i := range m.steps {
		s := &m.steps[i]
		if s.node.Shape().TotalSize() < minShared {
			continue
		}
		if o, ok := s.op.(OutputSharer); ok {
			shares[i] = o.ShareOutput(func(dt tensor.Dtype, shape ...int) *tensor.Dense { return m.view(i, dt, shape) })
		}
	}
	end := len(m.steps)
	last := make([]int, len(m.vals)) // the last step reading each value
	for i := range last {
		last[i] = -1
	}
	for i := range m.steps {
		for _, k := range m.steps[i].in {
			last[k] = max(last[k], i)
		}
	}
	for _, r := range roots {
		if k, ok := at[r]; ok {
			last[k] = end
		}
	}
	for i := len(m.steps) - 1; i >= 0; i-- {
		if !shares[i] {
			for _, k := range m.steps[i].in {
				last[k] = max(last[k], last[base+i])
			}
		}
	}
	var free []int // slots no live value holds
	for i := range m.steps {
		if shares[i] {
			need := m.steps[i].node.Shape().TotalSize()
			j := m.pickSlot(free, need)
			if j < 0 {
				j = len(m.slots)
				m.slots = append(m.slots, slot{})
			} else {
				free = slices.DeleteFunc(free, func(x int) bool { return x == j })
			}
			m.slots[j].size = max(m.slots[j].size, need)
			m.slotOf[i] = j
		}
		// Release the slots of values this step was the last to read
		// (an input read twice is released once), and the step's own
		// output if nothing reads it.
		for _, k := range m.steps[i].in {
			if k >= base && shares[k-base] && last[k] == i && !slices.Contains(free, m.slotOf[k-base]) {
				free = append(free, m.slotOf[k-base])
			}
		}
		if shares[i] && last[base+i] <= i {
			free = append(free, m.slotOf[i])
		}
	}
}

// pickSlot returns the free slot that best fits need elements: the
// smallest at least that large, else the largest; -1 if none is free.
func (m *Machine) pickSlot(free []int, need int) int {
	best := -1
	for _, j := range free {
		switch {
		case best < 0:
			best = j
		case m.slots[j].size >= need && (m.slots[best].size < need || m.slots[j].size < m.slots[best].size):
			best = j
		case m.slots[best].size < need && m.slots[j].size > m.slots[best].size:
			best = j
		}
	}
	return best
}

// view returns a new tensor for step i's output: a view of its slot's
// memory, or memory of its own when it has no slot or its output does not
// fit. The op keeps it for the runs that follow (see OutputSharer).
func (m *Machine) view(i int, dt tensor.Dtype, shape []int) *tensor.Dense {
	n := tensor.Shape(shape).TotalSize()
	j := m.slotOf[i]
	switch {
	case j < 0 || n > m.slots[j].size:
	case dt == tensor.Float32:
		if m.slots[j].f32 == nil {
			m.slots[j].f32 = make([]float32, m.slots[j].size)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(m.slots[j].f32[:n]))
	case dt == tensor.Float64:
		if m.slots[j].f64 == nil {
			m.slots[j].f64 = make([]float64, m.slots[j].size)
		}
		return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(m.slots[j].f64[:n]))
	}
	return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
}

// Run runs the machine once: the forward pass and any gradients. Each op
// node's value is bound to the node, as the tape machine binds it, so that
// Read and Node.Value see it; a node whose op returned the same tensor as
// last time is already bound to it. The values stay readable until the
// next Run (for a machine compiled for given outputs, only theirs, the
// loss's and the gradients': see Machine).
func (m *Machine) Run() (err error) {
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
		v, err := m.do(s, args)
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

// do runs one step. Gorgonia's own ops allocate a new output on every Do;
// as the tape machine does, a step of such an op that can reuse memory
// (see reusable) writes into its output of the last run when that is not
// a view of an input.
func (m *Machine) do(s *step, args []G.Value) (G.Value, error) {
	if s.prealloc != nil {
		return s.op.(G.UsePreallocDoer).UsePreallocDo(s.prealloc, args...)
	}
	v, err := s.op.Do(args...)
	if err == nil && v != nil && s.reusable && !aliases(v, args) {
		s.prealloc = v
	}
	return v, err
}

// reusable reports whether op can be run into its last output: it
// implements gorgonia.UsePreallocDoer, neither returns a pointer into nor
// overwrites an input, and does not keep an output of its own (an
// OutputSharer does).
func reusable(op G.Op) bool {
	_, prealloc := op.(G.UsePreallocDoer)
	_, mine := op.(OutputSharer)
	return prealloc && !mine && !op.ReturnsPtr() && op.OverwritesInput() < 0
}

// aliases reports whether v is, or may share memory with, one of args.
func aliases(v G.Value, args []G.Value) bool {
	t, ok := v.(*tensor.Dense)
	if !ok {
		return true
	}
	lo := t.Uintptr()
	hi := lo + uintptr(t.MemSize())
	for _, a := range args {
		at, ok := a.(*tensor.Dense)
		if !ok {
			continue
		}
		alo := at.Uintptr()
		if alo < hi && lo < alo+uintptr(at.MemSize()) {
			return true
		}
	}
	return false
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

// Close releases the machine's resources: it holds nothing but Go memory,
// so there is nothing to release; Close is there for symmetry with
// Gorgonia's machines and may be called any number of times.
func (m *Machine) Close() error { return nil }
