package ops_test

import (
	"strings"
	"testing"

	"gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// conv runs the Conv2D op in the given dtype on one single-channel image
// with one filter and no bias, and returns the feature map.
func conv(t *testing.T, dt tensor.Dtype, img []float64, h, w int, k []float64, kh, kw int, o ops.ConvOpts) []float64 {
	t.Helper()
	params, err := graph.NewParams(dt, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	x := g.Input("x", 1, 1, h, w)
	f := g.Input("f", 1, 1, kh, kw)
	b := g.Input("b", 1)
	if err := graph.Set(x, img); err != nil {
		t.Fatal(err)
	}
	if err := graph.Set(f, k); err != nil {
		t.Fatal(err)
	}
	y, err := ops.Conv2D(x, f, b, o, false)
	if err != nil {
		t.Fatal(err)
	}
	return eval(t, g, y)
}

// eval compiles g for y, runs it once and returns y's values.
func eval(t *testing.T, g *graph.Graph, y *gorgonia.Node) []float64 {
	t.Helper()
	m, err := g.Compile(nil, y)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := m.Run(); err != nil {
		t.Fatal(err)
	}
	out, err := graph.Read[float64](y, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLectureExamples reproduces the worked examples of the CNN lecture
// (../shared/seed) through the Conv2D op, in float32 (the fast kernels) and
// float64 (the reference loops).
func TestLectureExamples(t *testing.T) {
	cross := []float64{1, 0, 1, 0, 1, 0, 1, 0, 1}
	tests := []struct {
		name       string
		img        []float64
		h, w       int
		k          []float64
		kh, kw     int
		want       []float64
		outH, outW int
	}{
		// An inner product is a convolution whose filter covers the input.
		{"vector inner product", []float64{1, 2, 3, 4}, 1, 4, []float64{5, 6, 7, 8}, 1, 4, []float64{70}, 1, 1},
		// A = [[1,3],[2,4]], B = [[5,7],[6,8]] in row-major order.
		{"matrix inner product", []float64{1, 3, 2, 4}, 2, 2, []float64{5, 7, 6, 8}, 2, 2, []float64{70}, 1, 1},
		{"5x5 image, 3x3 filter", []float64{
			1, 1, 1, 0, 0,
			0, 1, 1, 1, 0,
			0, 0, 1, 1, 1,
			0, 0, 1, 1, 0,
			0, 1, 1, 0, 0,
		}, 5, 5, cross, 3, 3, []float64{4, 3, 4, 2, 4, 3, 2, 3, 4}, 3, 3},
		{"4x4 image, 3x3 filter", []float64{
			1, 1, 1, 0,
			0, 1, 1, 1,
			0, 1, 1, 0,
			1, 1, 0, 0,
		}, 4, 4, cross, 3, 3, []float64{4, 3, 3, 4}, 2, 2},
		// The edge-detection filter gives 0 on a flat patch and 0.8 where
		// the centre stands out by 0.1; sharpen gives 0.1 and 0.6.
		{"edge on flat patch", fill(9, 0.1), 3, 3, []float64{-1, -1, -1, -1, 8, -1, -1, -1, -1}, 3, 3, []float64{0}, 1, 1},
		{"edge on bright centre", centre(0.1, 0.2), 3, 3, []float64{-1, -1, -1, -1, 8, -1, -1, -1, -1}, 3, 3, []float64{0.8}, 1, 1},
		{"sharpen on flat patch", fill(9, 0.1), 3, 3, []float64{0, -1, 0, -1, 5, -1, 0, -1, 0}, 3, 3, []float64{0.1}, 1, 1},
		{"sharpen on bright centre", centre(0.1, 0.2), 3, 3, []float64{0, -1, 0, -1, 5, -1, 0, -1, 0}, 3, 3, []float64{0.6}, 1, 1},
	}
	for _, tc := range tests {
		for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
			t.Run(tc.name+"/"+dt.String(), func(t *testing.T) {
				got := conv(t, dt, tc.img, tc.h, tc.w, tc.k, tc.kh, tc.kw, ops.ConvOpts{})
				if len(got) != len(tc.want) {
					t.Fatalf("got %d values, want %d", len(got), len(tc.want))
				}
				for i := range got {
					if d := got[i] - tc.want[i]; d > 1e-5 || d < -1e-5 {
						t.Fatalf("got %v, want %v", got, tc.want)
					}
				}
			})
		}
	}
}

func fill(n int, v float64) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = v
	}
	return s
}

func centre(v, c float64) []float64 {
	s := fill(9, v)
	s[4] = c
	return s
}

// TestOutSize checks the lecture's output-size formulas: valid
// convolution floor((d−k)/s)+1, zero padding that keeps the size, and
// pooling a 12x12 input with pool 3 at strides 3 and 1.
func TestOutSize(t *testing.T) {
	tests := []struct {
		name             string
		in, k, s         int
		same             bool
		want, wantPadTop int
	}{
		{"5x5 with 3x3", 5, 3, 1, false, 3, 0},
		{"28 with 5 (conv1)", 28, 5, 1, false, 24, 0},
		{"12 with 5 (conv2)", 12, 5, 1, false, 8, 0},
		{"stride 2", 7, 3, 2, false, 3, 0},
		{"stride 2 floors", 8, 3, 2, false, 3, 0},
		{"same keeps size", 5, 3, 1, true, 5, 1},
		{"same stride 2", 7, 3, 2, true, 4, 1},
		{"same even kernel pads after", 5, 2, 1, true, 5, 0},
		{"pool 12 by 3 stride 3", 12, 3, 3, false, 4, 0},
		{"pool 12 by 3 stride 1", 12, 3, 1, false, 10, 0},
		{"maxpool 24 by 2", 24, 2, 2, false, 12, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, pad, err := ops.OutSize(tc.in, tc.k, tc.s, tc.same)
			if err != nil || out != tc.want || pad != tc.wantPadTop {
				t.Errorf("OutSize(%d, %d, %d, %v) = %d, %d, %v; want %d, %d", tc.in, tc.k, tc.s, tc.same, out, pad, err, tc.want, tc.wantPadTop)
			}
		})
	}
	if _, _, err := ops.OutSize(4, 5, 1, false); err == nil {
		t.Error("kernel larger than input: no error")
	}
}

// TestShapeMismatch: ops built on shapes that cannot work return an error
// naming both shapes, not a panic.
func TestShapeMismatch(t *testing.T) {
	params, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	x := g.Input("x", 2, 3, 8, 8)
	tests := []struct {
		name string
		op   func() error
		want string
	}{
		{"wrong input channels", func() error {
			_, err := ops.Conv2D(x, g.Input("w", 4, 1, 3, 3), g.Input("b", 4), ops.ConvOpts{}, true)
			return err
		}, "3 channels"},
		{"kernel larger than input", func() error {
			_, err := ops.Conv2D(x, g.Input("w2", 4, 3, 9, 9), g.Input("b2", 4), ops.ConvOpts{}, true)
			return err
		}, "larger than input"},
		{"affine on 4-D", func() error {
			_, err := ops.Affine(x, g.Input("w3", 192, 2), g.Input("b3", 2))
			return err
		}, "(2, 3, 8, 8)"},
		{"loss shapes differ", func() error {
			_, err := ops.MeanSquaredError(g.Input("p", 2, 3), g.Input("t", 2, 4), nil)
			return err
		}, "differ in shape"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.op(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
}
