package gradcheck_test

import (
	"fmt"
	"testing"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// recorder is a testing.TB that counts failures, so that the example can
// run outside a test; in a test, pass the *testing.T.
type recorder struct {
	testing.TB
	failures int
}

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, a ...any) { r.failures++; fmt.Printf(format+"\n", a...) }
func (r *recorder) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }
func (r *recorder) Fatal(a ...any)                 { panic(fmt.Sprint(a...)) }
func (r *recorder) Logf(format string, a ...any)   {}
func (r *recorder) Failed() bool                   { return r.failures > 0 }
func (r *recorder) Error(a ...any)                 { r.failures++; fmt.Println(a...) }
func (r *recorder) Log(a ...any)                   {}

// Layer builds a layer in float64 on random inputs and compares every
// gradient with central finite differences. A layer of one's own is
// checked the same way.
func ExampleLayer() {
	r := &recorder{}
	gradcheck.Layer(r, layers.Dense(3, layers.Activation(ops.Tanh)), []int{4})
	gradcheck.Layer(r, layers.Conv2D(2, 3, 3, layers.Padding(layers.Same)), []int{1, 5, 5})
	fmt.Println("failures:", r.failures)
	// Output: failures: 0
}
