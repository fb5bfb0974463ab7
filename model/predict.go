package model

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/kernels"
)

// runner is one compiled inference graph for one batch size. It is used by
// one goroutine at a time.
type runner struct {
	n    int
	m    *graph.Machine
	in   []*G.Node
	out  []*G.Node
	buf  []float32   // the output's values, for a model of one output
	outs [][]float32 // each output's values, for a model of several
}

// chunk returns the batch size Predict uses for the next of n remaining
// examples: MaxBatch while at least that many remain, then the largest
// power of two that fits. So a model compiles graphs of at most
// 1+log2(MaxBatch) batch sizes, whatever sizes it is asked for.
func (m *Model) chunk(n int) int {
	if n >= m.cfg.maxBatch {
		return m.cfg.maxBatch
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// pool holds the runners of one batch size: at most MaxConcurrent are
// made, and a call that finds all of them busy waits for one.
type pool struct {
	free    chan *runner
	created int
}

// get returns a free runner for batch size n: an idle one, a new one while
// fewer than MaxConcurrent exist, or else the next one another call puts
// back.
func (m *Model) get(n int) (*runner, error) {
	m.mu.Lock()
	p := m.pools[n]
	if p == nil {
		p = &pool{free: make(chan *runner, m.cfg.maxConcurrent)}
		m.pools[n] = p
	}
	select {
	case r := <-p.free:
		m.mu.Unlock()
		return r, nil
	default:
	}
	if p.created >= m.cfg.maxConcurrent {
		m.mu.Unlock()
		return <-p.free, nil
	}
	p.created++
	m.mu.Unlock()
	r, err := m.compile(n)
	if err != nil {
		m.mu.Lock()
		p.created--
		m.mu.Unlock()
	}
	return r, err
}

// put returns r to its pool.
func (m *Model) put(r *runner) {
	m.mu.Lock()
	p := m.pools[r.n]
	m.mu.Unlock()
	p.free <- r
}

// compile builds and compiles an inference graph for batch size n.
func (m *Model) compile(n int) (*runner, error) {
	g := graph.New(m.params)
	r := &runner{n: n}
	for _, in := range m.inputs {
		r.in = append(r.in, g.Input(m.names[in], append([]int{n}, in.shape...)...))
	}
	out, err := m.build(g, r.in, false)
	if err != nil {
		return nil, err
	}
	r.out = out.Outputs
	m.lockCompile()
	r.m, err = g.CompileInference(r.out...)
	m.unlockCompile()
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Predict returns the model's outputs (class probabilities for a
// classifier) for the examples in x, one after the other, as one slice of
// OutputSize values per example. An example is ExampleSize values: for
// images, channels, then rows, then columns (NCHW, as the whole package
// lays images out); for a model of several inputs, the values of each
// input one after the other (see Feed). A model of several outputs gives,
// per example, the values of each output one after the other.
//
// Any number of examples may be given: batches of up to MaxBatch run
// through graphs compiled for a few batch sizes (see MaxBatch), so memory
// stays bounded whatever sizes arrive. x must hold a whole number of
// examples and only finite values; anything else is an error. Predict is
// safe for concurrent use (see Model).
func (m *Model) Predict(x []float32) ([]float32, error) {
	return m.AppendPredict(nil, x)
}

// AppendPredict is Predict appending the outputs to dst, and returns the
// extended slice: given a dst with room for them (dst[:0] of the previous
// call's result, say), a call allocates nothing. On an error it returns
// dst as it was given, with no values appended.
func (m *Model) AppendPredict(dst, x []float32) ([]float32, error) {
	size := m.ExampleSize()
	if len(x) == 0 || len(x)%size != 0 {
		return dst, errors.Errorf("model: predict: %d values are not a whole number of examples of %d values (%s)", len(x), size, m.inputsString())
	}
	if err := checkFinite(x, size); err != nil {
		return dst, errors.Wrap(err, "model: predict")
	}
	n, k := len(x)/size, m.OutputSize()
	out := slices.Grow(dst, n*k)
	for lo := 0; lo < n; {
		c := m.chunk(n - lo)
		r, err := m.get(c)
		if err != nil {
			return dst, err
		}
		out, err = m.runOn(r, x[lo*size:(lo+c)*size], out)
		m.put(r)
		if err != nil {
			return dst, err
		}
		lo += c
	}
	return out, nil
}

// PredictSource returns the model's outputs for every example of src, in
// the order its batches give them (sequential: no shuffle), OutputSize
// values per example, as Predict does for a slice. Batches of batchSize
// (MaxBatch if not positive) are read and predicted one at a time, so an
// image folder streams from disk. It is safe for concurrent use.
func (m *Model) PredictSource(src data.Source, batchSize int) ([]float32, error) {
	if src == nil {
		return nil, errors.New("model: predict: nil source")
	}
	if in := src.Info(); in.Size() != m.ExampleSize() {
		return nil, errors.Errorf("model: predict: examples of shape %v have %d values; the model takes %d (%s)", in.Shape, in.Size(), m.ExampleSize(), m.inputsString())
	}
	if batchSize <= 0 {
		batchSize = m.cfg.maxBatch
	}
	it, err := src.Batches(batchSize)
	if err != nil {
		return nil, errors.Wrap(err, "model: predict")
	}
	defer it.Close()
	var out []float32
	if n := src.Len(); n > 0 {
		out = make([]float32, 0, n*m.OutputSize())
	}
	for it.Next() {
		b := it.Batch()
		pred, err := m.Predict(b.X)
		if err != nil {
			return nil, errors.Wrapf(err, "model: predict: examples %d to %d", len(out)/m.OutputSize(), len(out)/m.OutputSize()+b.N-1)
		}
		out = append(out, pred...)
	}
	if err := it.Err(); err != nil {
		return nil, errors.Wrap(err, "model: predict")
	}
	return out, nil
}

// runOn runs r on x and appends the outputs, example by example, to out.
func (m *Model) runOn(r *runner, x, out []float32) ([]float32, error) {
	if err := m.Feed(r.in, x); err != nil {
		return out, err
	}
	m.lockRun()
	err := r.m.Run()
	m.unlockRun()
	if err != nil {
		return out, err
	}
	if len(r.out) == 1 {
		var err error
		r.buf, err = graph.Read(r.out[0], r.buf)
		return append(out, r.buf...), err
	}
	if r.outs == nil {
		r.outs = make([][]float32, len(r.out))
	}
	for i, o := range r.out {
		var err error
		if r.outs[i], err = graph.Read(o, r.outs[i]); err != nil {
			return out, err
		}
	}
	for e := 0; e < r.n; e++ {
		for i, o := range r.outs {
			out = append(out, o[e*m.outSizes[i]:(e+1)*m.outSizes[i]]...)
		}
	}
	return out, nil
}

// checkFinite returns an error naming the first value of x that is NaN or
// infinite, by example and position.
func checkFinite(x []float32, size int) error {
	if i := kernels.FirstNonFinite(x); i >= 0 {
		return errors.Errorf("example %d, value %d is %v; inputs must be finite", i/size, i%size, x[i])
	}
	return nil
}

// PredictTensor is Predict for a model of one input and one output, with
// the batch as a tensor of shape [N, input shape...] (NCHW for images). A
// batch laid out channels-last (NHWC) is an error that says so.
func (m *Model) PredictTensor(x *tensor.Dense) (*tensor.Dense, error) {
	if len(m.inputs) != 1 || len(m.outputs) != 1 {
		return nil, errors.Errorf("model: PredictTensor needs a model of one input and one output, this one has %d and %d; use Predict", len(m.inputs), len(m.outputs))
	}
	if x == nil {
		return nil, errors.New("model: PredictTensor: nil tensor")
	}
	want := m.inputs[0].shape
	s := x.Shape()
	if len(s) != len(want)+1 || !s[1:].Eq(tensor.Shape(want)) {
		msg := errors.Errorf("model: input of shape %v; the model takes [N %s] (%s)", s, strings.Trim(fmt.Sprint(want), "[]"), m.inputsString())
		if len(want) == 3 && len(s) == 4 && s[1] == want[1] && s[2] == want[2] && s[3] == want[0] {
			return nil, errors.Wrap(msg, "the input looks channels-last (NHWC): transpose it to NCHW")
		}
		return nil, msg
	}
	var vals []float32
	switch x.Dtype() {
	case tensor.Float32:
		vals = x.Float32s()
	case tensor.Float64:
		vals = make([]float32, x.Size())
		for i, v := range x.Float64s() {
			vals[i] = float32(v)
		}
	default:
		return nil, errors.Errorf("model: PredictTensor: dtype %v; want float32 or float64", x.Dtype())
	}
	y, err := m.Predict(vals)
	if err != nil {
		return nil, err
	}
	return tensor.New(tensor.WithShape(append([]int{s[0]}, m.OutputShape(0)...)...), tensor.WithBacking(y)), nil
}

// Close releases the compiled graphs. It must not run concurrently with
// Predict. The model stays usable: Predict compiles again when needed.
func (m *Model) Close() error {
	m.mu.Lock()
	pools := m.pools
	m.pools = map[int]*pool{}
	m.mu.Unlock()
	for _, p := range pools {
		for len(p.free) > 0 {
			(<-p.free).m.Close()
		}
	}
	return nil
}

// Argmax returns the index of the largest value of v (the first, on ties):
// the class of one row of a classifier's predictions.
func Argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}
