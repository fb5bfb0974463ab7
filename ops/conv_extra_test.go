package ops_test

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// TestConvExtraGradients checks the gradients of the depthwise, dilated
// and transposed convolutions against finite differences.
func TestConvExtraGradients(t *testing.T) {
	depthwise := func(c, h, w, m, k int, bias bool, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			var b *G.Node
			if bias {
				b = param(t, g, "b", c*m)
			}
			return ops.DepthwiseConv2D(param(t, g, "x", 2, c, h, w), param(t, g, "w", c*m, 1, k, k), b, o, true)
		}
	}
	transpose := func(c, h, w, f, kh, kw int, bias bool, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			var b *G.Node
			if bias {
				b = param(t, g, "b", f)
			}
			return ops.Conv2DTranspose(param(t, g, "x", 2, c, h, w), param(t, g, "w", c, f, kh, kw), b, o, true)
		}
	}
	dilated := func(c, h, w, f, k int, o ops.ConvOpts) buildFn {
		return func(g *graph.Graph) (*G.Node, error) {
			return ops.Conv2D(param(t, g, "x", 2, c, h, w), param(t, g, "w", f, c, k, k), param(t, g, "b", f), o, true)
		}
	}
	tests := []struct {
		name  string
		build buildFn
	}{
		{"depthwise valid", depthwise(2, 5, 4, 1, 3, true, ops.ConvOpts{})},
		{"depthwise multiplier same stride 2", depthwise(2, 5, 6, 2, 3, true, ops.ConvOpts{StrideH: 2, StrideW: 2, Same: true})},
		{"depthwise dilated no bias", depthwise(3, 6, 5, 1, 2, false, ops.ConvOpts{DilationH: 2, DilationW: 3, Same: true})},
		{"conv dilated valid", dilated(2, 7, 6, 2, 3, ops.ConvOpts{DilationH: 2, DilationW: 2})},
		{"conv dilated same", dilated(1, 5, 6, 2, 2, ops.ConvOpts{DilationH: 3, DilationW: 1, Same: true})},
		{"transpose valid", transpose(2, 3, 4, 3, 3, 3, true, ops.ConvOpts{})},
		{"transpose same stride 2", transpose(2, 3, 3, 2, 3, 3, true, ops.ConvOpts{StrideH: 2, StrideW: 2, Same: true})},
		{"transpose kernel below stride no bias", transpose(1, 2, 3, 2, 2, 1, false, ops.ConvOpts{StrideH: 3, StrideW: 2})},
		{"transpose even kernel same", transpose(2, 3, 2, 1, 4, 2, true, ops.ConvOpts{StrideH: 2, StrideW: 1, Same: true})},
		{"transpose dilated valid", transpose(2, 3, 2, 2, 2, 3, true, ops.ConvOpts{DilationH: 2, DilationW: 3})},
		{"transpose dilated same no bias", transpose(1, 3, 4, 2, 3, 2, false, ops.ConvOpts{DilationH: 2, DilationW: 2, Same: true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { checkGrad(t, tc.build, ops.MeanSquaredError) })
	}
}

// run builds op on inputs of the given shapes and values in a graph of
// dtype dt, runs it and returns its output and shape.
func run(t *testing.T, dt tensor.Dtype, op func(in []*G.Node) (*G.Node, error), shapes [][]int, vals [][]float64) ([]float64, []int) {
	t.Helper()
	params, err := graph.NewParams(dt, 1)
	if err != nil {
		t.Fatal(err)
	}
	g := graph.New(params)
	in := make([]*G.Node, len(shapes))
	for i, s := range shapes {
		in[i] = g.Input(string(rune('a'+i)), s...)
		if err := graph.Set(in[i], vals[i]); err != nil {
			t.Fatal(err)
		}
	}
	y, err := op(in)
	if err != nil {
		t.Fatalf("%+v", err)
	}
	return eval(t, g, y), y.Shape().Clone()
}

func randomValues(rng *rand.Rand, n int) []float64 {
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()*2 - 1
	}
	return v
}

// TestConvExtraValues checks the dilated and transposed convolutions, in
// float32 and float64, against their definitions written out as loops:
// a dilated convolution reads x at oh·s + i·d − pad; a transposed one
// scatters x[c,ih,iw]·w[c,f,i,j] to y[f, ih·s + i·d − pad, iw·s + j·d − pad].
func TestConvExtraValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	type tcase struct {
		name    string
		n, c, f int
		h, w    int
		kh, kw  int
		sh, sw  int
		dh, dw  int
		same    bool
		oh, ow  int // the output size Keras gives
		pt, pl  int // the padding before
		trans   bool
	}
	tests := []tcase{
		{"dilated valid", 2, 3, 2, 9, 8, 3, 2, 1, 1, 2, 3, false, 5, 5, 0, 0, false},
		{"dilated same", 1, 2, 3, 7, 6, 3, 3, 1, 1, 2, 2, true, 7, 6, 2, 2, false},
		{"transpose valid", 2, 3, 2, 4, 3, 3, 2, 2, 3, 1, 1, false, 9, 9, 0, 0, true},
		{"transpose same", 1, 2, 3, 3, 4, 3, 4, 2, 2, 1, 1, true, 6, 8, 0, 1, true},
		{"transpose kernel below stride", 1, 1, 2, 2, 2, 1, 2, 3, 3, 1, 1, false, 6, 6, 0, 0, true},
		// Dilated: the window spans (k−1)·d+1 = 5 and 4; 'valid' gives
		// in + 5 − 1 and in + 4 − 1, 'same' in, padded by (5−1)/2 = 2.
		{"transpose dilated valid", 2, 2, 3, 4, 3, 3, 2, 1, 1, 2, 3, false, 8, 6, 0, 0, true},
		{"transpose dilated same batch 1", 1, 3, 2, 5, 4, 3, 3, 1, 1, 2, 2, true, 5, 4, 2, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := ops.ConvOpts{StrideH: tc.sh, StrideW: tc.sw, Same: tc.same, DilationH: tc.dh, DilationW: tc.dw}
			x := randomValues(rng, tc.n*tc.c*tc.h*tc.w)
			w := randomValues(rng, tc.c*tc.f*tc.kh*tc.kw)
			b := randomValues(rng, tc.f)
			want := make([]float64, tc.n*tc.f*tc.oh*tc.ow)
			for n := range tc.n {
				for f := range tc.f {
					for i := range tc.oh * tc.ow {
						want[(n*tc.f+f)*tc.oh*tc.ow+i] = b[f]
					}
				}
			}
			wshape := []int{tc.f, tc.c, tc.kh, tc.kw}
			build := func(in []*G.Node) (*G.Node, error) { return ops.Conv2D(in[0], in[1], in[2], o, true) }
			if tc.trans {
				wshape = []int{tc.c, tc.f, tc.kh, tc.kw}
				build = func(in []*G.Node) (*G.Node, error) { return ops.Conv2DTranspose(in[0], in[1], in[2], o, true) }
				for n := range tc.n {
					for c := range tc.c {
						for ih := range tc.h {
							for iw := range tc.w {
								for f := range tc.f {
									for i := range tc.kh {
										for j := range tc.kw {
											oh, ow := ih*tc.sh+i*tc.dh-tc.pt, iw*tc.sw+j*tc.dw-tc.pl
											if oh < 0 || oh >= tc.oh || ow < 0 || ow >= tc.ow {
												continue
											}
											want[((n*tc.f+f)*tc.oh+oh)*tc.ow+ow] += x[((n*tc.c+c)*tc.h+ih)*tc.w+iw] * w[((c*tc.f+f)*tc.kh+i)*tc.kw+j]
										}
									}
								}
							}
						}
					}
				}
			} else {
				for n := range tc.n {
					for f := range tc.f {
						for oh := range tc.oh {
							for ow := range tc.ow {
								for c := range tc.c {
									for i := range tc.kh {
										for j := range tc.kw {
											ih, iw := oh*tc.sh+i*tc.dh-tc.pt, ow*tc.sw+j*tc.dw-tc.pl
											if ih < 0 || ih >= tc.h || iw < 0 || iw >= tc.w {
												continue
											}
											want[((n*tc.f+f)*tc.oh+oh)*tc.ow+ow] += x[((n*tc.c+c)*tc.h+ih)*tc.w+iw] * w[((f*tc.c+c)*tc.kh+i)*tc.kw+j]
										}
									}
								}
							}
						}
					}
				}
			}
			for _, dt := range []tensor.Dtype{tensor.Float64, tensor.Float32} {
				got, shape := run(t, dt, build, [][]int{{tc.n, tc.c, tc.h, tc.w}, wshape, {tc.f}}, [][]float64{x, w, b})
				if len(shape) != 4 || shape[2] != tc.oh || shape[3] != tc.ow {
					t.Fatalf("%v: output shape %v, want %dx%d", dt, shape, tc.oh, tc.ow)
				}
				for i := range want {
					if math.Abs(got[i]-want[i]) > 1e-5*(1+math.Abs(want[i])) {
						t.Fatalf("%v: y[%d] = %v, want %v", dt, i, got[i], want[i])
					}
				}
			}
		})
	}
}
