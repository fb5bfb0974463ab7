// Package gradcheck checks symbolic gradients against finite differences,
// in float64. Layer checks a layer of one's own in a test:
//
//	func TestScaleGradient(t *testing.T) {
//		gradcheck.Layer(t, &scale{}, []int{3, 4})
//	}
//
// Check is the lower-level tool behind it, for any compiled float64 graph
// with a scalar loss.
package gradcheck

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// Step is the finite-difference step, and Tol the tolerance relative to
// max(1, |numerical gradient|).
const (
	Step = 1e-6
	Tol  = 1e-6
)

// Check runs the float64 machine m, compiled with the scalar loss, and
// compares the gradient of loss with respect to every value of every
// parameter with the central difference (L(p+h) − L(p−h)) / 2h. It fails the
// test at the first mismatch, naming the parameter and the index.
func Check(t testing.TB, m *graph.Machine, loss *G.Node) {
	t.Helper()
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	grads, err := m.Grads()
	if err != nil {
		t.Fatal(err)
	}
	analytic := make([][]float64, len(grads))
	for i, gr := range grads {
		analytic[i] = append([]float64(nil), gr.Float64s()...)
	}
	lossAt := func() float64 {
		if err := m.Run(); err != nil {
			t.Fatal(err)
		}
		v, err := graph.Read[float64](loss, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v[0]
	}
	for i, p := range m.Params() {
		vals := p.Value.Float64s()
		for j := range vals {
			orig := vals[j]
			vals[j] = orig + Step
			up := lossAt()
			vals[j] = orig - Step
			down := lossAt()
			vals[j] = orig
			num := (up - down) / (2 * Step)
			if d := math.Abs(num - analytic[i][j]); d > Tol*math.Max(1, math.Abs(num)) {
				t.Fatalf("%s[%d]: symbolic gradient %.9g, finite difference %.9g", p.Name, j, analytic[i][j], num)
			}
		}
	}
}

// Layer checks the gradients of the layer l, in float64, with respect to
// its parameters and its inputs: it builds l, in a training graph (see
// graph.Training), on random inputs of the given
// example shapes (one shape per input; a batch of two examples each), with
// every parameter drawn at random, takes the mean squared error of its
// output against random targets, and compares every gradient with central
// finite differences (Check). It fails the test on a mismatch, or if the
// layer cannot be built.
func Layer(t testing.TB, l layers.Layer, inputShapes ...[]int) {
	t.Helper()
	if len(inputShapes) == 0 {
		t.Fatal("gradcheck: no input shape")
	}
	params, err := graph.NewParams(tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params, graph.Training(true))
	uniform := graph.RandomUniform(-1, 1)
	xs := make([]*G.Node, len(inputShapes))
	for i, s := range inputShapes {
		if xs[i], err = g.Param("gradcheck_input_"+strconv.Itoa(i+1)+"/x", append([]int{2}, s...), uniform); err != nil {
			t.Fatal(err)
		}
	}
	if l.Name() == "" {
		l.SetName("layer")
	}
	g.SetScope(l.Name())
	var y *G.Node
	if len(xs) == 1 {
		y, err = l.Build(g, xs[0])
	} else if ml, ok := l.(layers.MultiInput); ok {
		y, err = ml.BuildMulti(g, xs)
	} else {
		t.Fatalf("gradcheck: layer %s takes one input, %d shapes given", l.Type(), len(xs))
	}
	g.SetScope("")
	if err != nil {
		t.Fatalf("gradcheck: building %s: %v", l.Type(), err)
	}
	// Keras's initialisers leave biases at zero; random values make every
	// path carry gradient.
	rng := rand.New(rand.NewPCG(7, 8))
	for _, p := range params.List() {
		uniform.Fill(rng, p.Value.Shape(), p.Value.Float64s())
	}
	target := g.Input("target", y.Shape()...)
	tv := make([]float64, y.Shape().TotalSize())
	uniform.Fill(rng, y.Shape(), tv)
	if err := graph.Set(target, tv); err != nil {
		t.Fatal(err)
	}
	loss, err := ops.MeanSquaredError(y, target, nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := g.Compile(loss)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	Check(t, m, loss)
}
