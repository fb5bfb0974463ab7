package kernels

import (
	"math"
	"math/rand"
	"sync"
	"testing"
)

// TestKernelPaths checks the paths every GOCNN_KERNELS value selects on
// this CPU (or build).
func TestKernelPaths(t *testing.T) {
	for _, tc := range []struct {
		env             string
		asm, wide, auto bool
	}{
		{"", hasAsm, hasAVX512, hasAVX512},
		{"unknown", hasAsm, hasAVX512, hasAVX512},
		{"go", false, false, false},
		{"avx2", hasAsm, false, false},
		{"avx512", hasAsm, hasAVX512, false},
	} {
		t.Run("env="+tc.env, func(t *testing.T) {
			asm, wide, auto := kernelPaths(tc.env)
			if asm != tc.asm || wide != tc.wide || auto != tc.auto {
				t.Errorf("kernelPaths(%q) = %v, %v, %v, want %v, %v, %v", tc.env, asm, wide, auto, tc.asm, tc.wide, tc.auto)
			}
		})
	}
}

// TestDepthClass checks the class boundaries and that every class's
// calibration depth falls in it.
func TestDepthClass(t *testing.T) {
	for _, tc := range []struct{ k, class int }{
		{1, 0}, {23, 0}, {24, 1}, {95, 1}, {96, 2}, {319, 2}, {320, 3}, {5000, 3},
	} {
		if got := depthClass(tc.k); got != tc.class {
			t.Errorf("depthClass(%d) = %d, want %d", tc.k, got, tc.class)
		}
	}
	for c, k := range calibDepth {
		if got := depthClass(k); got != c {
			t.Errorf("calibration depth %d of class %d falls in class %d", k, c, got)
		}
	}
}

// setPicks sets every depth class's pick to p (pickUnknown: measure again
// at next use) and returns a function that restores the picks before.
func setPicks(p int32) (restore func()) {
	var saved [len(classPick)]int32
	for c := range classPick {
		saved[c] = classPick[c].Swap(p)
	}
	return func() {
		for c := range classPick {
			classPick[c].Store(saved[c])
		}
	}
}

// TestAutoChoiceSameBits runs convolutions forward and backward and matrix
// products of every depth class with the choice left to measurement, and
// with every class's pick set to AVX2 and then to AVX-512 (both branches
// of kernelAsm), and checks that all give the bits of the forced AVX2
// path.
func TestAutoChoiceSameBits(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU (or build) has no AVX-512F: there is no choice to make")
	}
	rng := rand.New(rand.NewSource(23))
	type mm struct{ m, n, k int }
	// Depths of every class; odd and even tile counts.
	mms := []mm{{5, 16, 3}, {5, 48, 9}, {11, 100, 30}, {128, 100, 200}, {7, 900, 530}, {240, 513, 257}}
	run := func() [][]float32 {
		rng.Seed(23)
		var out [][]float32
		for _, s := range convShapes {
			x := randSlice(rng, s.N*s.C*s.H*s.W)
			w := randSlice(rng, s.F*s.C*s.KH*s.KW)
			b := randSlice(rng, s.F)
			dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
			y, dx := make([]float32, len(dy)), make([]float32, len(x))
			Conv2DForward(s, x, w, b, y)
			Conv2DBackwardData(s, w, dy, dx)
			out = append(out, y, dx)
		}
		for i, sz := range mms {
			a, b := randSlice(rng, sz.m*sz.k), randSlice(rng, sz.k*sz.n)
			p := make([]float32, sz.m*sz.n)
			MatMul(i%2 == 1, false, sz.m, sz.n, sz.k, a, b, p)
			c := randSlice(rng, sz.m*sz.n)
			Sgemm(false, false, sz.m, sz.n, sz.k, 0.5, a, sz.k, b, sz.n, 1, c, sz.n)
			out = append(out, p, c)
		}
		return out
	}
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	useAsm, useAVX512, autoAVX512 = true, false, false
	want := run()
	useAVX512, autoAVX512 = true, true
	for _, tc := range []struct {
		name string
		pick int32
	}{{"measured", pickUnknown}, {"avx2", pickAVX2}, {"avx512", pickAVX512}} {
		t.Run(tc.name, func(t *testing.T) {
			defer setPicks(tc.pick)()
			for i, got := range run() {
				for j := range got {
					if math.Float32bits(got[j]) != math.Float32bits(want[i][j]) {
						t.Fatalf("output %d [%d] = %v, %v with AVX2 forced", i, j, got[j], want[i][j])
					}
				}
			}
			for c := range classPick {
				p := classPick[c].Load()
				if p != pickAVX2 && p != pickAVX512 {
					t.Errorf("depth class %d: pick %d after use, want AVX2 or AVX-512", c, p)
				}
				if tc.pick != pickUnknown && p != tc.pick {
					t.Errorf("depth class %d: pick %d changed to %d", c, tc.pick, p)
				}
			}
		})
	}
}

// TestCalibrateConcurrent asks for the choice of every depth class from
// many goroutines at once, none measured yet (run it with -race): every
// goroutine must get the one cached answer of each class.
func TestCalibrateConcurrent(t *testing.T) {
	if !hasAVX512 {
		t.Skip("this CPU (or build) has no AVX-512F: there is no choice to make")
	}
	defer setPicks(pickUnknown)()
	got := make([][len(calibDepth)]bool, 8)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calibDepth {
				c := (i + g) % len(calibDepth)
				got[g][c] = prefer512(calibDepth[c])
			}
		}()
	}
	wg.Wait()
	for c := range calibDepth {
		p := classPick[c].Load()
		if p != pickAVX2 && p != pickAVX512 {
			t.Fatalf("depth class %d: pick %d, want AVX2 or AVX-512", c, p)
		}
		for g := range got {
			if got[g][c] != (p == pickAVX512) {
				t.Errorf("goroutine %d, class %d: prefer512 = %v, cached pick %d", g, c, got[g][c], p)
			}
		}
	}
}

// TestPathNamesChoice checks that Path names the forced paths and, with
// the choice left to measurement, every depth class's pick.
func TestPathNamesChoice(t *testing.T) {
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	for _, tc := range []struct {
		asm, wide, auto bool
		pick            int32
		want            string
	}{
		{false, false, false, pickUnknown, "pure Go"},
		{true, false, false, pickUnknown, "AVX2+FMA"},
		{true, true, false, pickUnknown, "AVX-512F+FMA"},
		{true, true, true, pickAVX2, "AVX2+FMA/AVX-512F by measurement (k 0-23: AVX2, k 24-95: AVX2, k 96-319: AVX2, k >= 320: AVX2)"},
		{true, true, true, pickAVX512, "AVX2+FMA/AVX-512F by measurement (k 0-23: AVX-512F, k 24-95: AVX-512F, k 96-319: AVX-512F, k >= 320: AVX-512F)"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			defer setPicks(tc.pick)()
			useAsm, useAVX512, autoAVX512 = tc.asm, tc.wide, tc.auto
			if got := Path(); got != tc.want {
				t.Errorf("Path() = %q, want %q", got, tc.want)
			}
		})
	}
}
