package ops

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// float is the set of element types the generic loops here handle.
type float interface{ ~float32 | ~float64 }

// opIDs numbers op instances. Each op owns state (its output buffer, the
// argmax of a max-pool), so no two op instances may ever be merged by
// Gorgonia's common-subexpression logic: the id goes into every hash.
var opIDs atomic.Uint64

// base carries what all ops here share: a unique id, a reusable output
// buffer and the answers to Gorgonia's analysis questions.
type base struct {
	id  uint64
	out *tensor.Dense
	in  []*tensor.Dense // the inputs of the running Do (see tensors)
	// alloc, when set by ShareOutput, gives the output tensor of each run.
	alloc func(dt tensor.Dtype, shape ...int) *tensor.Dense
}

func newBase() base { return base{id: opIDs.Add(1)} }

func (b *base) ReturnsPtr() bool     { return false }
func (b *base) CallsExtern() bool    { return false }
func (b *base) OverwritesInput() int { return -1 }

// output returns the op's output buffer with the given dtype and shape,
// allocating it on first use or when the shape changes. The buffer is reused
// by every later run of the graph, so a training step allocates nothing for
// its activations and gradients. When the machine shares output memory
// (ShareOutput), the buffer is the one it gives.
func (b *base) output(dt tensor.Dtype, shape ...int) *tensor.Dense {
	if b.out != nil && b.out.Dtype() == dt && b.out.Shape().Eq(tensor.Shape(shape)) {
		return b.out
	}
	if b.alloc != nil {
		// A copy, so that shape, passed to a function value, does not
		// escape and the calls that reuse the buffer allocate nothing.
		b.out = b.alloc(dt, append([]int(nil), shape...)...)
	} else {
		b.out = tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	return b.out
}

// ShareOutput makes the op take its output tensor from alloc instead of
// allocating it (graph.OutputSharer), on its first run and whenever the
// output's dtype or shape changes: every op of this package writes its output into a
// buffer of its own, reads no earlier output, and reads its inputs only
// while its Do runs, unless it says otherwise by declining.
func (b *base) ShareOutput(alloc func(dt tensor.Dtype, shape ...int) *tensor.Dense) bool {
	b.alloc, b.out = alloc, nil
	return true
}

// outputCopy returns the op's output buffer (see output) holding a copy of
// src: how the ops that hand on a tensor another op computed alongside its
// own output (a bias or normalisation parameter's gradient) produce it.
func (b *base) outputCopy(src *tensor.Dense) *tensor.Dense {
	out := b.output(src.Dtype(), src.Shape()...)
	if src.Dtype() == tensor.Float32 {
		copy(f32(out), f32(src))
	} else {
		copy(f64(out), f64(src))
	}
	return out
}

// Hashcode hashes the op's unique id alone (see opIDs), so that Gorgonia
// never merges two op instances.
func (b *base) Hashcode() uint32 {
	h := fnv.New32a()
	b.WriteHash(h)
	return h.Sum32()
}

// WriteHash writes the op's unique id to h.
func (b *base) WriteHash(h hash.Hash) { fmt.Fprintf(h, "gocnn.op#%d", b.id) }

// tt is a tensor type of the given rank over the type variable a.
func tt(dims int) hm.Type { return G.TensorType{Dims: dims, Of: hm.TypeVariable('a')} }

// inputs returns a slice of n tensors that the op's Do may use until it
// returns: like the output buffer, it is reused by every run (an op
// instance runs on one goroutine at a time), so a run allocates nothing to
// hold its arguments.
func (b *base) inputs(n int) []*tensor.Dense {
	if cap(b.in) < n {
		b.in = make([]*tensor.Dense, n)
	}
	return b.in[:n]
}

// inputHolder is an op that lends tensors the slice it returns (every op
// of this package, through base).
type inputHolder interface {
	inputs(n int) []*tensor.Dense
}

// tensors checks that the inputs are dense tensors of one dtype, float32 or
// float64, and returns them, in a slice that op lends when it embeds base
// (valid until its Do returns).
func tensors(op fmt.Stringer, n int, inputs []G.Value) ([]*tensor.Dense, error) {
	if len(inputs) != n {
		return nil, errors.Errorf("%v: expected %d inputs, got %d", op, n, len(inputs))
	}
	var ts []*tensor.Dense
	if h, ok := op.(inputHolder); ok {
		ts = h.inputs(n)
	} else {
		ts = make([]*tensor.Dense, n)
	}
	for i, v := range inputs {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, errors.Errorf("%v: input %d is a %T, not a dense tensor", op, i, v)
		}
		if t.Dtype() != tensor.Float32 && t.Dtype() != tensor.Float64 {
			return nil, errors.Errorf("%v: input %d has dtype %v; only float32 and float64 are supported", op, i, t.Dtype())
		}
		if i > 0 && t.Dtype() != ts[0].Dtype() {
			return nil, errors.Errorf("%v: input %d has dtype %v, input 0 has %v", op, i, t.Dtype(), ts[0].Dtype())
		}
		ts[i] = t
	}
	return ts, nil
}

// shapes converts Gorgonia's DimSizers into shapes.
func shapes(op fmt.Stringer, n int, ds []G.DimSizer) ([]tensor.Shape, error) {
	if len(ds) != n {
		return nil, errors.Errorf("%v: expected %d inputs, got %d", op, n, len(ds))
	}
	out := make([]tensor.Shape, n)
	for i, d := range ds {
		s, ok := d.(tensor.Shape)
		if !ok {
			return nil, errors.Errorf("%v: input %d has no shape", op, i)
		}
		out[i] = s
	}
	return out, nil
}

// f32 and f64 return a tensor's backing slice (Data would return a bare
// scalar for a one-element tensor).
func f32(t *tensor.Dense) []float32 { return t.Float32s() }
func f64(t *tensor.Dense) []float64 { return t.Float64s() }

// scalarOf reads a scalar gradient value (Gorgonia feeds a constant 1 into
// the loss's SymDiff).
func scalarOf(v G.Value) (float64, error) {
	switch s := v.(type) {
	case *G.F32:
		return float64(*s), nil
	case *G.F64:
		return float64(*s), nil
	case *tensor.Dense:
		if s.Size() == 1 {
			switch d := s.Data().(type) {
			case []float32:
				return float64(d[0]), nil
			case []float64:
				return d[0], nil
			case float32:
				return float64(d), nil
			case float64:
				return d, nil
			}
		}
	}
	return 0, errors.Errorf("expected a scalar, got %T", v)
}
