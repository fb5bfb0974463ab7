package ops_test

import (
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// TestSpatialGradients checks the gradients of the reshaping, padding,
// cropping and upsampling ops against finite differences.
func TestSpatialGradients(t *testing.T) {
	x := func(g *graph.Graph, c, h, w int) *G.Node { return param(t, g, "x", 2, c, h, w) }
	tests := []struct {
		name  string
		build buildFn
	}{
		{"reshape", func(g *graph.Graph) (*G.Node, error) { return ops.Reshape(x(g, 2, 3, 2), 3, 4) }},
		{"pad", func(g *graph.Graph) (*G.Node, error) { return ops.Pad2D(x(g, 2, 3, 4), 1, 2, 0, 3) }},
		{"crop", func(g *graph.Graph) (*G.Node, error) { return ops.Pad2D(x(g, 2, 5, 6), -1, -2, -3, 0) }},
		{"pad and crop", func(g *graph.Graph) (*G.Node, error) { return ops.Pad2D(x(g, 1, 4, 5), 2, -1, -2, 1) }},
		{"upsample nearest", func(g *graph.Graph) (*G.Node, error) { return ops.UpSample2D(x(g, 2, 3, 2), 2, 3, false) }},
		{"upsample bilinear", func(g *graph.Graph) (*G.Node, error) { return ops.UpSample2D(x(g, 2, 3, 4), 3, 2, true) }},
		{"upsample bilinear one row", func(g *graph.Graph) (*G.Node, error) { return ops.UpSample2D(x(g, 1, 1, 3), 2, 2, true) }},
		{"layernorm channels", layerNorm(t, []int{2, 3, 2, 2}, 1)},
		{"layernorm matrix", layerNorm(t, []int{3, 5}, 1)},
		{"layernorm image", layerNorm(t, []int{2, 2, 3, 2}, 1, 2, 3)},
		{"layernorm rows and columns", layerNorm(t, []int{2, 2, 3, 2}, 3, 2)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkGrad(t, tc.build, ops.MeanSquaredError) })
	}
}

// TestUpSampleBilinearValues compares bilinear upsampling with values
// worked out by hand for TensorFlow's half-pixel resize: a row [0, 4]
// doubled is [0, 1, 3, 4] (source coordinates -0.25→0, 0.25, 0.75, 1.25→1).
func TestUpSampleBilinearValues(t *testing.T) {
	for _, dt := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		t.Run(dt.String(), func(t *testing.T) {
			params, err := graph.NewParams(dt, 1)
			if err != nil {
				t.Fatal(err)
			}
			g := graph.New(params)
			in := g.Input("x", 1, 1, 2, 2)
			y, err := ops.UpSample2D(in, 2, 2, true)
			if err != nil {
				t.Fatal(err)
			}
			if err := graph.Set(in, []float64{0, 4, 8, 12}); err != nil {
				t.Fatal(err)
			}
			got := eval(t, g, y)
			row := []float64{0, 1, 3, 4}
			var want []float64
			for _, r := range []float64{0, 0.25, 0.75, 1} {
				for _, v := range row {
					want = append(want, v+8*r)
				}
			}
			for i := range want {
				if math.Abs(got[i]-want[i]) > 1e-6 {
					t.Fatalf("y = %v, want %v", got, want)
				}
			}
		})
	}
}

// TestSpatialErrors checks that shapes that do not fit are errors.
func TestSpatialErrors(t *testing.T) {
	params, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	img := g.Input("img", 2, 3, 4, 5)
	mat := g.Input("mat", 2, 6)
	tests := []struct {
		name string
		fn   func() (*G.Node, error)
	}{
		{"reshape size", func() (*G.Node, error) { return ops.Reshape(img, 7, 9) }},
		{"reshape zero", func() (*G.Node, error) { return ops.Reshape(img, 0, 60) }},
		{"pad matrix", func() (*G.Node, error) { return ops.Pad2D(mat, 1, 1, 1, 1) }},
		{"crop all", func() (*G.Node, error) { return ops.Pad2D(img, -2, -2, 0, 0) }},
		{"upsample matrix", func() (*G.Node, error) { return ops.UpSample2D(mat, 2, 2, false) }},
		{"upsample zero", func() (*G.Node, error) { return ops.UpSample2D(img, 0, 2, false) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.fn(); err == nil {
				t.Error("no error")
			}
		})
	}
}

// layerNorm builds a layer normalisation of a random x of the given shape
// over axes (in any order), with random gamma and beta of the sizes along
// the axes in increasing order.
func layerNorm(t *testing.T, shape []int, axes ...int) buildFn {
	return func(g *graph.Graph) (*G.Node, error) {
		var ps []int
		for _, a := range slices.Sorted(slices.Values(axes)) {
			ps = append(ps, shape[a])
		}
		return ops.LayerNorm(param(t, g, "x", shape...), param(t, g, "gamma", ps...), param(t, g, "beta", ps...), axes, 1e-3)
	}
}

// TestLayerNormValues checks a layer normalisation over the channels of a
// 2-channel image against values worked out by hand: at each pixel the
// two channels a, b become ∓(b−a)/2 / sqrt((b−a)²/4 + eps).
func TestLayerNormValues(t *testing.T) {
	params, err := graph.NewParams(tensor.Float64, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	in := g.Input("x", 1, 2, 1, 2)
	gamma, beta := g.Input("gamma", 2), g.Input("beta", 2)
	y, err := ops.LayerNorm(in, gamma, beta, []int{1}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []struct {
		n *G.Node
		v []float64
	}{{in, []float64{1, 0, 3, 4}}, {gamma, []float64{1, 2}}, {beta, []float64{0, 10}}} {
		if err := graph.Set(s.n, s.v); err != nil {
			t.Fatal(err)
		}
	}
	got := eval(t, g, y)
	// Pixel 0: channels 1, 3 (mean 2, var 1); pixel 1: 0, 4 (mean 2, var 4).
	r0, r1 := 1/math.Sqrt(1.5), 1/math.Sqrt(4.5)
	want := []float64{-r0, -2 * r1, 10 + 2*r0, 10 + 2*2*r1}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("y = %v, want %v", got, want)
		}
	}
}
