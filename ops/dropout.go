package ops

import (
	"fmt"
	"math/rand/v2"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// A DropoutOption configures a Dropout op.
type DropoutOption func(*dropoutOp)

// FreezeMask makes a Dropout op draw its mask on the first run of the graph
// and keep it for every later run, so that the op is one fixed function of
// its input. It exists for finite-difference gradient checks; training wants
// a new mask every run, which is the default.
func FreezeMask() DropoutOption { return func(op *dropoutOp) { op.frozen = true } }

// StepMasks makes the mask of every run a function of the op's seed and
// step() alone, read when the graph runs, instead of the next one in the
// op's sequence. A trainer that numbers its batches (graph.Graph.Step)
// then gets the same mask for the same batch in a resumed run as in an
// uninterrupted one, and in every graph that runs that step.
func StepMasks(step func() uint64) DropoutOption {
	return func(op *dropoutOp) { op.step = step }
}

// dropoutOp is inverted dropout: each value of x is kept with probability
// 1−rate and scaled by 1/(1−rate), or set to 0. The mask is drawn afresh on
// every run from the op's own seeded generator and kept for the gradient.
type dropoutOp struct {
	base
	rate   float64
	seed   uint64
	dims   int
	pcg    *rand.PCG
	rng    *rand.Rand
	keep   []bool // the mask of the last run
	frozen bool
	step   func() uint64 // with StepMasks
}

// Dropout is inverted dropout for a training graph: on every run of the
// graph it draws a new mask that keeps each value of x with probability
// 1−rate, scales the kept values by 1/(1−rate) and sets the others to 0, so
// that the expected output equals x. Its gradient is dy·mask/(1−rate) with
// the mask of the same run.
//
// The masks come from a generator seeded with seed: the same seed gives
// the same sequence of masks. rate must be in [0, 1); a rate of 0 returns x
// itself. Inference graphs should not apply Dropout at all.
func Dropout(x *G.Node, rate float64, seed uint64, opts ...DropoutOption) (*G.Node, error) {
	if !(rate >= 0 && rate < 1) {
		return nil, errors.Errorf("dropout: rate %v is not in [0, 1)", rate)
	}
	if rate == 0 {
		return x, nil
	}
	op := &dropoutOp{base: newBase(), rate: rate, seed: seed, dims: x.Dims(),
		pcg: rand.NewPCG(seed, dropoutStream)}
	op.rng = rand.New(op.pcg)
	for _, o := range opts {
		o(op)
	}
	return G.ApplyOp(op, x)
}

// dropoutStream is the second word of the generators' seed (xor the step
// with StepMasks).
const dropoutStream = 0xda942042e4dd58b5

func (op *dropoutOp) Arity() int     { return 1 }
func (op *dropoutOp) Type() hm.Type  { return hm.NewFnType(tt(op.dims), tt(op.dims)) }
func (op *dropoutOp) String() string { return fmt.Sprintf("Dropout(rate=%g)", op.rate) }

func (op *dropoutOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 1, ds)
	if err != nil {
		return nil, err
	}
	return ss[0].Clone(), nil
}

// scale is the factor of the kept values, 1/(1−rate).
func (op *dropoutOp) scale() float64 { return 1 / (1 - op.rate) }

// draw fills the mask for n values, unless it is frozen and already drawn.
func (op *dropoutOp) draw(n int) {
	if op.frozen && len(op.keep) == n {
		return
	}
	if cap(op.keep) < n {
		op.keep = make([]bool, n)
	}
	op.keep = op.keep[:n]
	if op.step != nil {
		op.pcg.Seed(op.seed, dropoutStream^op.step())
	}
	for i := range op.keep {
		op.keep[i] = op.rng.Float64() >= op.rate
	}
}

func (op *dropoutOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 1, vs)
	if err != nil {
		return nil, err
	}
	in := ts[0]
	out := op.output(in.Dtype(), in.Shape()...)
	op.draw(in.Size())
	if in.Dtype() == tensor.Float32 {
		applyMask(op.keep, float32(op.scale()), f32(in), f32(out))
	} else {
		applyMask(op.keep, op.scale(), f64(in), f64(out))
	}
	return out, nil
}

func (op *dropoutOp) DiffWRT(int) []bool { return []bool{true} }

func (op *dropoutOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	// The forward output is an input of the gradient only to order the two:
	// the gradient reads the mask the forward pass drew in the same run.
	g, err := G.ApplyOp(&dropoutGradOp{base: newBase(), fwd: op}, out, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{g}, nil
}

// applyMask writes x·scale where keep is set and 0 elsewhere into y.
func applyMask[T float](keep []bool, scale T, x, y []T) {
	for i, k := range keep {
		if k {
			y[i] = x[i] * scale
		} else {
			y[i] = 0
		}
	}
}

// dropoutGradOp is the gradient of a dropout op (inputs y and dy): dy
// through the forward op's mask, scaled by 1/(1−rate).
type dropoutGradOp struct {
	base
	fwd *dropoutOp
}

func (op *dropoutGradOp) Arity() int { return 2 }
func (op *dropoutGradOp) Type() hm.Type {
	return hm.NewFnType(tt(op.fwd.dims), tt(op.fwd.dims), tt(op.fwd.dims))
}
func (op *dropoutGradOp) String() string { return fmt.Sprintf("Grad(%v)", op.fwd) }

func (op *dropoutGradOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) {
	ss, err := shapes(op, 2, ds)
	if err != nil {
		return nil, err
	}
	return ss[1].Clone(), nil
}

func (op *dropoutGradOp) Do(vs ...G.Value) (G.Value, error) {
	ts, err := tensors(op, 2, vs)
	if err != nil {
		return nil, err
	}
	dy := ts[1]
	if len(op.fwd.keep) != dy.Size() {
		return nil, errors.Errorf("%v: the mask holds %d values, the gradient %d; has the forward pass run?", op, len(op.fwd.keep), dy.Size())
	}
	dx := op.output(dy.Dtype(), dy.Shape()...)
	if dy.Dtype() == tensor.Float32 {
		applyMask(op.fwd.keep, float32(op.fwd.scale()), f32(dy), f32(dx))
	} else {
		applyMask(op.fwd.keep, op.fwd.scale(), f64(dy), f64(dx))
	}
	return dx, nil
}

func (op *dropoutGradOp) DiffWRT(n int) []bool { return make([]bool, n) }

func (op *dropoutGradOp) SymDiff(G.Nodes, *G.Node, *G.Node) (G.Nodes, error) {
	return nil, errors.Errorf("%v: second derivatives are not supported", op)
}
