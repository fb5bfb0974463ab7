package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// smallNet is a small residual classifier of 1×12×12 images.
func smallNet(t testing.TB, opts ...Option) *Model {
	t.Helper()
	in := Input(1, 12, 12)
	x := Apply(layers.Conv2D(4, 3, 3, layers.Padding(layers.Same), layers.Activation(ops.ReLU)), in)
	y := Apply(layers.Conv2D(4, 3, 3, layers.Padding(layers.Same)), x)
	x = Apply(layers.Add(), x, y)
	x = Apply(layers.MaxPool2D(2, 2), x)
	x = Apply(layers.Flatten(), x)
	out := Apply(layers.Dense(10, layers.Activation(ops.Softmax)), x)
	m, err := New([]*Node{in}, []*Node{out}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func randomImages(n, size int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := make([]float32, n*size)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// TestPredictConcurrent predicts mixed batch sizes from many goroutines on
// one model and checks every result against the serial one, bit for bit.
// Run with -race.
func TestPredictConcurrent(t *testing.T) {
	m := smallNet(t)
	defer m.Close()
	sizes := []int{1, 2, 3, 7, 64, 100, 257}
	inputs := make([][]float32, len(sizes))
	want := make([][]float32, len(sizes))
	for i, n := range sizes {
		inputs[i] = randomImages(n, m.ExampleSize(), uint64(i))
		var err error
		if want[i], err = m.Predict(inputs[i]); err != nil {
			t.Fatal(err)
		}
		if len(want[i]) != n*10 {
			t.Fatalf("%d examples gave %d outputs", n, len(want[i]))
		}
	}
	const goroutines = 8
	var wg sync.WaitGroup
	errs := make(chan string, goroutines*len(sizes))
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := range sizes {
				i := (g + k) % len(sizes)
				got, err := m.Predict(inputs[i])
				if err != nil {
					errs <- err.Error()
					return
				}
				for j := range got {
					if got[j] != want[i][j] {
						errs <- "goroutine result differs from the serial one"
						return
					}
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestPredictMemoryBounded predicts every batch size from 1 to 300, from
// two goroutines at once, and checks that the model compiles graphs for at
// most 1+log2(MaxBatch) sizes, MaxConcurrent each, and that the live heap
// stays under 64 MiB.
func TestPredictMemoryBounded(t *testing.T) {
	m := smallNet(t, MaxConcurrent(2))
	defer m.Close()
	heap := func() float64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return float64(ms.HeapAlloc) / (1 << 20)
	}
	before := heap()
	x := randomImages(300, m.ExampleSize(), 9)
	var wg sync.WaitGroup
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; n <= 300; n++ {
				if _, err := m.Predict(x[:n*m.ExampleSize()]); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	after := heap()
	m.mu.Lock()
	sizes, graphs := len(m.pools), 0
	for _, p := range m.pools {
		graphs += p.created
	}
	m.mu.Unlock()
	if limit := 1 + int(math.Log2(DefaultMaxBatch)); sizes > limit || graphs > 2*limit {
		t.Errorf("%d batch sizes and %d graphs compiled; want at most %d and %d", sizes, graphs, limit, 2*limit)
	}
	t.Logf("heap %.1f MiB before, %.1f MiB after predicting every size from 1 to 300 (%d sizes compiled)", before, after, sizes)
	if after > 64 {
		t.Errorf("heap is %.1f MiB after predicting every size from 1 to 300; the bound is 64 MiB", after)
	}
}

// TestPredictInputErrors checks that bad input is an error, never a NaN
// output.
func TestPredictInputErrors(t *testing.T) {
	m := smallNet(t)
	defer m.Close()
	size := m.ExampleSize()
	nan := randomImages(2, size, 1)
	nan[size+5] = float32(math.NaN())
	inf := randomImages(1, size, 1)
	inf[3] = float32(math.Inf(-1))
	tests := []struct {
		name string
		x    []float32
		want string
	}{
		{"empty", nil, "not a whole number of examples"},
		{"partial example", make([]float32, size+1), "not a whole number of examples of 144 values (input_1 1×12×12 channels-first"},
		{"NaN", nan, "example 1, value 5 is NaN"},
		{"Inf", inf, "example 0, value 3 is -Inf"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y, err := m.Predict(tc.x)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want an error containing %q", y, err, tc.want)
			}
		})
	}
}

// TestPredictTensor checks the shaped entry point and its channels-last
// hint.
func TestPredictTensor(t *testing.T) {
	in := Input(3, 4, 5)
	out := Apply(layers.Dense(2), Apply(layers.Flatten(), in))
	m, err := New([]*Node{in}, []*Node{out})
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(2, 60, 3)
	y, err := m.PredictTensor(tensor.New(tensor.WithShape(2, 3, 4, 5), tensor.WithBacking(x)))
	if err != nil {
		t.Fatal(err)
	}
	flat, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	if !y.Shape().Eq(tensor.Shape{2, 2}) || y.Float32s()[3] != flat[3] {
		t.Fatalf("PredictTensor gave %v %v, Predict %v", y.Shape(), y.Float32s(), flat)
	}
	_, err = m.PredictTensor(tensor.New(tensor.WithShape(2, 4, 5, 3), tensor.WithBacking(x)))
	if err == nil || !strings.Contains(err.Error(), "channels-last") {
		t.Fatalf("an NHWC batch gave %v; want a channels-last hint", err)
	}
}

// TestPredictSource predicts a Dataset through PredictSource, in batch
// sizes that do and do not divide it, and checks the result against
// Predict of all its values, bit for bit.
func TestPredictSource(t *testing.T) {
	m := smallNet(t)
	defer m.Close()
	const n = 37
	ds := &data.Dataset{N: n, C: 1, H: 12, W: 12, Classes: 10, X: randomImages(n, m.ExampleSize(), 9), Labels: make([]int, n)}
	want, err := m.Predict(ds.X)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{0, 1, 8, 37, 100} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			got, err := m.PredictSource(ds, size)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Error("PredictSource differs from Predict")
			}
		})
	}
	vec := &data.Dataset{N: 2, C: 3, Classes: 1, X: make([]float32, 6), Y: make([]float32, 2)}
	if _, err := m.PredictSource(vec, 0); err == nil || !strings.Contains(err.Error(), "3 values") {
		t.Errorf("vectors of 3 values into a 144-value model: error %v", err)
	}
}

// TestAppendPredict checks that AppendPredict keeps what dst holds and
// appends Predict's values, that each example alone (a product of one row,
// which reads the weights in place) gives, bit for bit, its row of a batch
// of eight (which packs them), that an error leaves dst as it was, and
// that a call into a slice with room allocates nothing, for a model of one
// Dense layer and for a small residual network of convolutions, a sum, a
// pooling and a Dense layer.
func TestAppendPredict(t *testing.T) {
	dense, err := NewSequential([]int{784}, []layers.Layer{layers.Dense(10, layers.Activation(ops.Softmax))}, Seed(3))
	if err != nil {
		t.Fatal(err)
	}
	defer dense.Close()
	res := smallNet(t)
	defer res.Close()
	for _, tc := range []struct {
		name string
		m    *Model
	}{{"dense", dense}, {"residual", res}} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.m
			k := m.OutputSize()
			x := randomImages(8, m.ExampleSize(), 5)
			batch, err := m.Predict(x)
			if err != nil {
				t.Fatal(err)
			}
			prefix := []float32{-1, -2}
			for e := range 8 {
				one := x[e*m.ExampleSize() : (e+1)*m.ExampleSize()]
				got, err := m.AppendPredict(append([]float32(nil), prefix...), one)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(prefix)+k || got[0] != prefix[0] || got[1] != prefix[1] {
					t.Fatalf("example %d: got %d values starting %v, want the prefix %v and %d values", e, len(got), got[:2], prefix, k)
				}
				for j, v := range got[len(prefix):] {
					if w := batch[e*k+j]; math.Float32bits(v) != math.Float32bits(w) {
						t.Fatalf("example %d, output %d: %v alone, %v in a batch of 8", e, j, v, w)
					}
				}
			}
			bad := append([]float32(nil), x[:m.ExampleSize()]...)
			bad[3] = float32(math.NaN())
			got, err := m.AppendPredict(prefix, bad)
			if err == nil || len(got) != len(prefix) {
				t.Fatalf("NaN input: got %d values and error %v, want the prefix back and an error", len(got), err)
			}
		})
	}
	if raceEnabled {
		t.Log("allocations not counted under the race detector")
		return
	}
	for _, m := range []*Model{dense, res} {
		x := randomImages(1, m.ExampleSize(), 6)
		dst := make([]float32, 0, m.OutputSize())
		if n := testing.AllocsPerRun(100, func() {
			if _, err := m.AppendPredict(dst[:0], x); err != nil {
				t.Fatal(err)
			}
		}); n != 0 {
			t.Errorf("AppendPredict of one example through %s allocates %v times per call, want 0", m.inputsString(), n)
		}
	}
}
