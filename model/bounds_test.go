package model

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/gocnn/cnn/layers"
)

// hostileFile frames an architecture, given as JSON (or not), and weights
// into a model file, as an attacker could write it.
func hostileFile(t testing.TB, arch string, weights []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := modelFormat.Write(&b, []byte(arch), weights, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugeDenseFile is a model file whose architecture has n Dense(32768)
// layers on an input of 8192 values (2^28 kernel values each, 1 GiB of
// float32) and whose weights section is empty: a file of a few hundred
// bytes that asks for n GiB.
func hugeDenseFile(t testing.TB, n int) []byte {
	t.Helper()
	var ls []string
	for i := range n {
		ls = append(ls, fmt.Sprintf(`{"name":"d%d","type":"Dense","config":{"units":32768},"inputs":["x"]}`, i))
	}
	outs := make([]string, n)
	for i := range outs {
		outs[i] = fmt.Sprintf(`"d%d"`, i)
	}
	arch := fmt.Sprintf(`{"dtype":"float32","seed":1,"inputs":[{"name":"x","shape":[8192]}],"layers":[%s],"outputs":[%s]}`,
		strings.Join(ls, ","), strings.Join(outs, ","))
	return hostileFile(t, arch, nil)
}

// chainFile is a model file of an input of 4 values and n ReLU layers one
// after the other, which have no weights.
func chainFile(t testing.TB, n int) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"dtype":"float32","seed":1,"inputs":[{"name":"x","shape":[4]}],"layers":[`)
	prev := "x"
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		name := fmt.Sprintf("r%d", i)
		fmt.Fprintf(&b, `{"name":%q,"type":"Activation","config":{"activation":"relu"},"inputs":[%q]}`, name, prev)
		prev = name
	}
	fmt.Fprintf(&b, `],"outputs":[%q]}`, prev)
	return hostileFile(t, b.String(), emptyWeights(t))
}

// addFile is a model file of n inputs of 4 values added by one Add layer.
func addFile(t testing.TB, n int) []byte {
	t.Helper()
	var ins, names []string
	for i := range n {
		ins = append(ins, fmt.Sprintf(`{"name":"x%d","shape":[4]}`, i))
		names = append(names, fmt.Sprintf(`"x%d"`, i))
	}
	arch := fmt.Sprintf(`{"dtype":"float32","seed":1,"inputs":[%s],"layers":[{"name":"add","type":"Add","config":{},"inputs":[%s]}],"outputs":["add"]}`,
		strings.Join(ins, ","), strings.Join(names, ","))
	return hostileFile(t, arch, emptyWeights(t))
}

// addsFile is a model file of n inputs of 4 values and k Add layers that
// each add all of them.
func addsFile(t testing.TB, k, n int) []byte {
	t.Helper()
	var ins, names, adds, outs []string
	for i := range n {
		ins = append(ins, fmt.Sprintf(`{"name":"x%d","shape":[4]}`, i))
		names = append(names, fmt.Sprintf(`"x%d"`, i))
	}
	for i := range k {
		adds = append(adds, fmt.Sprintf(`{"name":"add%d","type":"Add","config":{},"inputs":[%s]}`, i, strings.Join(names, ",")))
		outs = append(outs, fmt.Sprintf(`"add%d"`, i))
	}
	arch := fmt.Sprintf(`{"dtype":"float32","seed":1,"inputs":[%s],"layers":[%s],"outputs":[%s]}`,
		strings.Join(ins, ","), strings.Join(adds, ","), strings.Join(outs, ","))
	return hostileFile(t, arch, emptyWeights(t))
}

// emptyWeights is the weights file of a model with no parameters.
func emptyWeights(t testing.TB) []byte {
	t.Helper()
	m, err := NewSequential([]int{4}, []layers.Layer{layers.ReLU()})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.Params().MarshalBinaryTo(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// denseFile is the model file of Dense(2) on an input of 3 values, with
// the given value at position 4 of its kernel, and the model's
// architecture JSON.
func denseFile(t testing.TB, v float32) []byte {
	t.Helper()
	m, err := NewSequential([]int{3}, []layers.Layer{layers.Dense(2)})
	if err != nil {
		t.Fatal(err)
	}
	m.Params().List()[0].Value.Float32s()[4] = v
	var b bytes.Buffer
	if err := m.Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestHostileModelFiles checks that model files whose architecture asks
// for too much are refused, with an error that says why, before the
// weights are allocated.
func TestHostileModelFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		opts []Option
		want string
	}{
		{"1 GiB dense, no weights", hugeDenseFile(t, 1), nil, `parameter "d0/kernel" of shape [8192 32768] would need a weights file of at least`},
		{"30 GiB of dense, no weights", hugeDenseFile(t, 30), nil, `parameter "d0/kernel"`},
		{"weights over MaxParams", denseFile(t, 1), []Option{MaxParams(7)}, `would bring the parameters to 8 values, over the cap of 7`},
		{"too many layers", chainFile(t, MaxLayers+1), nil, fmt.Sprintf("%d layers; at most %d", MaxLayers+1, MaxLayers)},
		{"too many inputs", addFile(t, MaxLayerInputs+1), nil, fmt.Sprintf("%d inputs and 1 outputs; at most %d", MaxLayerInputs+1, MaxLayerInputs)},
		{"too many connections", addsFile(t, MaxConnections/MaxLayerInputs+1, MaxLayerInputs), nil, fmt.Sprintf("more than %d inputs in all (model.MaxConnections)", MaxConnections)},
		{"NaN weight", denseFile(t, float32(math.NaN())), nil, `weights: parameter "dense_1/kernel" value 4 is NaN`},
		{"infinite weight", denseFile(t, float32(math.Inf(-1))), nil, `weights: parameter "dense_1/kernel" value 4 is -Inf`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(tc.file), tc.opts...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestModelFileCapsAllow checks that files at the caps load, and the
// small one runs (compiling the large ones takes seconds).
func TestModelFileCapsAllow(t *testing.T) {
	for _, tc := range []struct {
		name    string
		file    []byte
		predict bool
	}{
		{"chain of MaxLayers", chainFile(t, MaxLayers), false},
		{"Add of MaxLayerInputs", addFile(t, MaxLayerInputs), false},
		{"MaxConnections", addsFile(t, MaxConnections/MaxLayerInputs, MaxLayerInputs), false},
		{"MaxParams exactly", denseFile(t, 1), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := Read(bytes.NewReader(tc.file), MaxParams(8))
			if err != nil {
				t.Fatal(err)
			}
			if !tc.predict {
				return
			}
			y, err := m.Predict(make([]float32, m.ExampleSize()))
			if err != nil || len(y) != m.OutputSize() {
				t.Fatalf("predict: %d values, %v", len(y), err)
			}
		})
	}
}

// BenchmarkReadChain reads model files of chains of ReLU layers of
// growing length: the time per layer should stay flat.
func BenchmarkReadChain(b *testing.B) {
	for _, n := range []int{1000, 2000, 4000, 8000} {
		file := chainFile(b, n)
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Read(bytes.NewReader(file)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/layer")
		})
	}
}

// BenchmarkReadAdd reads model files of one Add of a growing number of
// inputs: the time per input should stay flat.
func BenchmarkReadAdd(b *testing.B) {
	for _, n := range []int{256, 1024, 4096} {
		file := addFile(b, n)
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Read(bytes.NewReader(file)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/input")
		})
	}
}

// convArch is the architecture JSON of a Conv2D with the given config on
// an input of 1×6×6, with its Flatten, and a tail appended after it.
func convArch(config, tail string) string {
	return `{"dtype":"float32","seed":1,"inputs":[{"name":"x","shape":[1,6,6]}],"layers":[` +
		`{"name":"c","type":"Conv2D","config":` + config + `,"inputs":["x"]},` +
		`{"name":"f","type":"Flatten","config":{},"inputs":["c"]}],"outputs":["f"]}` + tail
}

// TestStrictArchitecture checks that model files whose architecture, or a
// layer's configuration, has more or less than its fields allow are
// refused with an error naming the layer and the field.
func TestStrictArchitecture(t *testing.T) {
	for _, tc := range []struct {
		name, arch, want string
	}{
		{"trailing data", convArch(`{"filters":2,"kernel_size":[3,3]}`, `{}`), "architecture: data after the JSON value, at byte"},
		{"trailing garbage", convArch(`{"filters":2,"kernel_size":[3,3]}`, `xyz`), "architecture: data after the JSON value"},
		{"three kernel sizes", convArch(`{"filters":2,"kernel_size":[3,3,3]}`, ``), "layer c: layers: Conv2D config"},
		{"three kernel sizes field", convArch(`{"filters":2,"kernel_size":[3,3,3]}`, ``), "kernel_size [3 3 3]: want two values"},
		{"one kernel size", convArch(`{"filters":2,"kernel_size":[3]}`, ``), "kernel_size [3]: want two values"},
		{"no kernel size", convArch(`{"filters":2}`, ``), "kernel_size []: want two values"},
		{"three strides", convArch(`{"filters":2,"kernel_size":[3,3],"strides":[1,1,1]}`, ``), "strides [1 1 1]: want two values"},
		{"three pool sizes", strings.Replace(convArch(`{"pool_size":[2,2,2]}`, ``), "Conv2D", "MaxPooling2D", 1), "pool_size [2 2 2]: want two values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Read(bytes.NewReader(hostileFile(t, tc.arch, emptyWeights(t))))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}

// BenchmarkReadDenseChain reads model files of chains of Dense(2) layers,
// each with its kernel and bias, of growing length: the time per layer
// should stay flat.
func BenchmarkReadDenseChain(b *testing.B) {
	for _, n := range []int{1000, 2000, 4000, 8000} {
		ls := make([]layers.Layer, n)
		for i := range ls {
			ls[i] = layers.Dense(2)
		}
		m, err := NewSequential([]int{2}, ls)
		if err != nil {
			b.Fatal(err)
		}
		var file bytes.Buffer
		if err := m.Write(&file, nil); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%dk", n/1000), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Read(bytes.NewReader(file.Bytes())); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/layer")
		})
	}
}
