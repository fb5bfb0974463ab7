package graph_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/gocnn/cnn/graph"
)

// TestInitializers checks each initialiser's mean, variance and range on a
// large conv kernel [64, 32, 5, 5]: fan_in 800, fan_out 1600.
func TestInitializers(t *testing.T) {
	shape := []int{64, 32, 5, 5}
	in, out := graph.Fans(shape)
	if in != 800 || out != 1600 {
		t.Fatalf("Fans = %d, %d; want 800, 1600", in, out)
	}
	tests := []struct {
		name      string
		init      graph.Initializer
		mean, vr  float64 // expected mean and variance
		bound     float64 // |value| ≤ bound, 0 for none
		truncated bool
	}{
		{"glorot_uniform", graph.GlorotUniform, 0, 2.0 / 2400, math.Sqrt(6.0 / 2400), false},
		{"glorot_normal", graph.GlorotNormal, 0, 2.0 / 2400, 0, true},
		{"he_uniform", graph.HeUniform, 0, 2.0 / 800, math.Sqrt(6.0 / 800), false},
		{"he_normal", graph.HeNormal, 0, 2.0 / 800, 0, true},
		{"lecun_uniform", graph.LecunUniform, 0, 1.0 / 800, math.Sqrt(3.0 / 800), false},
		{"lecun_normal", graph.LecunNormal, 0, 1.0 / 800, 0, true},
		{"uniform(-0.5, 1.5)", graph.RandomUniform(-0.5, 1.5), 0.5, 4.0 / 12, 1.5, false},
		{"normal(1, 0.1)", graph.RandomNormal(1, 0.1), 1, 0.01, 0, false},
		{"constant(0.3)", graph.Constant(0.3), 0.3, 0, 0.3, false},
		{"zeros", graph.Zeros, 0, 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := make([]float64, 64*32*25)
			tc.init.Fill(rand.New(rand.NewPCG(1, 2)), shape, v)
			var sum, sq float64
			for _, x := range v {
				sum += x
				if tc.bound > 0 && math.Abs(x) > tc.bound+1e-12 {
					t.Fatalf("value %g beyond ±%g", x, tc.bound)
				}
			}
			mean := sum / float64(len(v))
			for _, x := range v {
				sq += (x - mean) * (x - mean)
			}
			vr := sq / float64(len(v))
			if math.Abs(mean-tc.mean) > 0.02*math.Max(math.Sqrt(tc.vr), 0.01) && math.Abs(mean-tc.mean) > 1e-3 {
				t.Errorf("mean %g, want %g", mean, tc.mean)
			}
			if math.Abs(vr-tc.vr) > 0.03*tc.vr+1e-12 {
				t.Errorf("variance %g, want %g", vr, tc.vr)
			}
			if tc.truncated {
				limit := 2 * math.Sqrt(tc.vr) / 0.87962566103423978
				for _, x := range v {
					if math.Abs(x) > limit {
						t.Fatalf("value %g beyond the truncation at %g", x, limit)
					}
				}
			}
		})
	}
	for _, name := range []string{"zeros", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"} {
		if _, err := graph.InitializerByName(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := graph.InitializerByName("orthogonal"); err == nil {
		t.Error("unknown initializer: no error")
	}
}
