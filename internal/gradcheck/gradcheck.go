// Package gradcheck checks symbolic gradients against finite differences,
// for the tests of every op and layer.
package gradcheck

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
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
