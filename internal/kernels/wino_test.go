package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"runtime"
	"testing"
)

// winoShapes are 3x3, stride-1 convolutions for the Winograd kernels:
// 'same' and 'valid' padding, padding 2, odd sizes (tiles overhanging the
// bottom and right edges), rows of fewer than 8 tiles and of a number of
// tiles that is not a multiple of 8, batch 1, channel and filter counts
// below a panel and not multiples of 8, blocks of several images and
// images split into several blocks.
var winoShapes = []ConvShape{
	{N: 2, C: 16, H: 28, W: 28, F: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 28, OW: 28},
	{N: 1, C: 3, H: 7, W: 9, F: 4, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 7, OW: 9},
	{N: 3, C: 13, H: 17, W: 19, F: 11, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 17, OW: 19},
	{N: 2, C: 9, H: 26, W: 26, F: 32, KH: 3, KW: 3, SH: 1, SW: 1, OH: 24, OW: 24},
	{N: 1, C: 5, H: 15, W: 12, F: 7, KH: 3, KW: 3, SH: 1, SW: 1, OH: 13, OW: 10},
	{N: 5, C: 33, H: 14, W: 14, F: 31, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 14, OW: 14},
	{N: 4, C: 64, H: 7, W: 7, F: 64, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 7, OW: 7},
	{N: 2, C: 2, H: 5, W: 6, F: 1, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 2, PadL: 2, OH: 7, OW: 8},
	{N: 1, C: 1, H: 3, W: 3, F: 2, KH: 3, KW: 3, SH: 1, SW: 1, OH: 1, OW: 1},
	// Keras 'same' on an even size pads asymmetrically only for even
	// kernels; here the output leaves trailing input rows and columns
	// unread.
	{N: 2, C: 6, H: 12, W: 40, F: 9, KH: 3, KW: 3, SH: 1, SW: 1, OH: 9, OW: 35},
	// Many channels against a small block: images cut into tile rows.
	{N: 2, C: 96, H: 40, W: 36, F: 80, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 40, OW: 36},
}

// withWino runs f with the Winograd mode set to mode.
func withWino(mode int, f func()) {
	saved := useWino
	defer func() { useWino = saved }()
	useWino = mode
	f()
}

// relErr returns max |got-want| / (|want| + rms(want)), the measure that
// checkClose bounds by its tolerance.
func relErr(got []float32, want []float64) float64 {
	var ss float64
	for _, v := range want {
		ss += v * v
	}
	rms := math.Sqrt(ss / float64(max(len(want), 1)))
	var e float64
	for i := range got {
		e = max(e, math.Abs(float64(got[i])-want[i])/(math.Abs(want[i])+rms))
	}
	return e
}

// winoTileModes are the forced modes of each tile size.
var winoTileModes = []struct {
	name string
	mode int
}{{"F2", winoOn2}, {"F4", winoOn4}}

// TestWinograd checks the three Winograd passes, with each tile size,
// against the float64 reference on every path, and reports the largest
// relative error.
func TestWinograd(t *testing.T) {
	for _, tm := range winoTileModes {
		t.Run(tm.name, func(t *testing.T) { testWinograd(t, tm.mode) })
	}
}

func testWinograd(t *testing.T, mode int) {
	forEachImpl(t, func(t *testing.T) {
		withWino(mode, func() {
			rng := rand.New(rand.NewSource(21))
			var worst, worstY float64
			for _, s := range winoShapes {
				t.Run(s.String(), func(t *testing.T) {
					if err := s.Validate(); err != nil {
						t.Fatal(err)
					}
					wantM := 2
					if mode == winoOn4 {
						wantM = 4
					}
					if winoTile(s, passFwd) != wantM || winoTile(s, passData) != wantM || winoTile(s, passFilter) != wantM {
						t.Fatal("the Winograd kernels are not selected")
					}
					x := randSlice(rng, s.N*s.C*s.H*s.W)
					w := randSlice(rng, s.F*s.C*9)
					b := randSlice(rng, s.F)
					dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
					x64, w64, dy64 := to64(x), to64(w), to64(dy)

					y := randSlice(rng, len(dy)) // garbage must be overwritten
					poisonScratch()
					Conv2DForward(s, x, w, b, y)
					want := naiveConvForward(s, x64, w64, to64(b))
					checkClose(t, "y", y, want, tol)
					worstY = max(worstY, relErr(y, want))
					Conv2DForward(s, x, w, nil, y)
					checkClose(t, "y(nobias)", y, naiveConvForward(s, x64, w64, nil), tol)

					dx := randSlice(rng, len(x))
					poisonScratch()
					Conv2DBackwardData(s, w, dy, dx)
					wdx := naiveConvBackwardData(s, w64, dy64)
					checkClose(t, "dx", dx, wdx, tol)
					worstY = max(worstY, relErr(dx, wdx))

					dw := randSlice(rng, len(w))
					db := randSlice(rng, s.F)
					poisonScratch()
					Conv2DBackwardFilter(s, x, dy, dw, db)
					wdw, wdb := naiveConvBackwardFilter(s, x64, dy64)
					checkClose(t, "dw", dw, wdw, tol)
					checkClose(t, "db", db, wdb, tol)
					worst = max(worst, relErr(dw, wdw))
					Conv2DBackwardFilter(s, x, dy, dw, nil)
					checkClose(t, "dw(nodb)", dw, wdw, tol)
				})
			}
			t.Logf("largest relative error |got-want|/(|want|+rms(want)): y and dx %.3g, dw %.3g", worstY, worst)
		})
	})
}

// TestWinogradTransformsGoMatchAsm checks that the assembly transforms
// give the bits of the pure-Go ones.
func TestWinogradTransformsGoMatchAsm(t *testing.T) {
	if !hasAsm {
		t.Skip("no assembly kernels on this CPU")
	}
	rng := rand.New(rand.NewSource(22))
	for _, tc := range []struct{ wp, plane, nc, dstC, dstX int }{
		{18, 18 * 6, 1, 8, 8}, {30, 30 * 32, 3, 40, 130}, {21, 21 * 5, 7, 16, 7 * 16}, {44, 44 * 7, 5, 9, 50},
	} {
		t.Run(fmt.Sprint(tc), func(t *testing.T) {
			src := randSlice(rng, (tc.nc-1)*tc.plane+3*tc.wp+18)
			n := 15*tc.dstX + (tc.nc-1)*tc.dstC + 8
			// The output-gradient transform, rows wp apart (the input
			// transforms: TestWinogradInPlace).
			za, zg := make([]float32, n), make([]float32, n)
			winoDyAsm(src, tc.wp, tc.plane, tc.nc, za, tc.dstC, tc.dstX)
			winoDyGo(src, tc.wp, tc.plane, tc.nc, zg, tc.dstC, tc.dstX)
			for i := range za {
				if math.Float32bits(za[i]) != math.Float32bits(zg[i]) {
					t.Fatalf("output-gradient transform [%d] = %v in assembly, %v in Go", i, za[i], zg[i])
				}
			}
			// The F(4x4, 3x3) transforms.
			n4 := 35*tc.dstX + (tc.nc-1)*tc.dstC + 8
			tmp := make([]float32, winoTmp)
			m4 := randSlice(rng, n4)
			bias4 := randSlice(rng, tc.nc)
			pitch4, plane4 := 32+tc.wp, 4*(32+tc.wp)+5
			out4 := (tc.nc-1)*plane4 + 3*pitch4 + 32
			// Whole and partial output windows (columns, rows); the
			// cells outside a window keep their values.
			// Both assembly forms: AVX2 and, where the CPU has
			// AVX-512VL, the one keeping S in ymm0-31.
			forms := []bool{false}
			if hasAVX512VL {
				forms = append(forms, true)
			}
			saved512 := useAVX512
			defer func() { useAVX512 = saved512 }()
			for _, wide := range forms {
				useAVX512 = wide
				for _, win := range [][2]int{{32, 4}, {14, 2}, {29, 3}, {1, 1}, {32, 1}, {7, 4}, {26, 4}, {28, 3}, {24, 2}, {8, 4}, {13, 1}, {32, 2}, {30, 3}} {
					ya4, yg4 := randSlice(rng, out4), make([]float32, out4)
					copy(yg4, ya4)
					winoOut4(m4, tc.dstC, tc.dstX, tc.nc, bias4, ya4, pitch4, plane4, tmp, win[0], win[1])
					winoOut4Go(m4, tc.dstC, tc.dstX, tc.nc, bias4, yg4, pitch4, plane4, win[0], win[1])
					for i := range ya4 {
						if math.Float32bits(ya4[i]) != math.Float32bits(yg4[i]) {
							t.Fatalf("F(4,3) output transform (AVX-512VL %v) %v [%d] = %v in assembly, %v in Go", wide, win, i, ya4[i], yg4[i])
						}
					}
				}
			}
			// The F(4x4, 3x3) output-gradient transform of the same
			// numbers, over whole and partial windows (columns, rows);
			// the cells past a window must not count, so they hold
			// NaN.
			dpitch, dplane := 32+tc.wp, 4*(32+tc.wp)+3
			for _, win := range [][2]int{{32, 4}, {28, 4}, {1, 1}, {32, 1}, {7, 2}, {13, 3}, {24, 4}, {8, 2}, {31, 3}, {17, 1}} {
				dsrc := randSlice(rng, tc.nc*dplane)
				for i := range dsrc {
					if r, col := (i%dplane)/dpitch, (i%dplane)%dpitch; r >= win[1] || col >= win[0] {
						dsrc[i] = float32(math.NaN())
					}
				}
				za4, zg4 := make([]float32, n4), make([]float32, n4)
				winoDy4(dsrc, dpitch, dplane, tc.nc, za4, tc.dstC, tc.dstX, tmp, win[0], win[1])
				winoDy4Go(dsrc, dpitch, dplane, tc.nc, zg4, tc.dstC, tc.dstX, win[0], win[1])
				for i := range za4 {
					if math.Float32bits(za4[i]) != math.Float32bits(zg4[i]) || math.IsNaN(float64(zg4[i])) {
						t.Fatalf("F(4,3) output-gradient transform %v [%d] = %v in assembly, %v in Go", win, i, za4[i], zg4[i])
					}
				}
			}
			// The output transform over the same numbers, nc filters.
			m := randSlice(rng, n)
			bias := randSlice(rng, tc.nc)
			pitch, plane := 16+tc.wp, 2*(16+tc.wp)+3
			out := (tc.nc-1)*plane + pitch + 16
			ya, yg := make([]float32, out), make([]float32, out)
			winoOutAsm(m, tc.dstC, tc.dstX, tc.nc, bias, ya, pitch, plane)
			winoOutGo(m, tc.dstC, tc.dstX, tc.nc, bias, yg, pitch, plane)
			for i := range ya {
				if math.Float32bits(ya[i]) != math.Float32bits(yg[i]) {
					t.Fatalf("output transform [%d] = %v in assembly, %v in Go", i, ya[i], yg[i])
				}
			}
		})
	}
}

// TestWinogradBitIdentical checks that the Winograd passes give the same
// bits on the AVX2 and AVX-512 paths and for every GOMAXPROCS.
func TestWinogradBitIdentical(t *testing.T) {
	run := func() [][]float32 {
		rng := rand.New(rand.NewSource(23))
		var out [][]float32
		for _, s := range winoShapes {
			x := randSlice(rng, s.N*s.C*s.H*s.W)
			w := randSlice(rng, s.F*s.C*9)
			b := randSlice(rng, s.F)
			dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
			y, dx := make([]float32, len(dy)), make([]float32, len(x))
			Conv2DForward(s, x, w, b, y)
			Conv2DBackwardData(s, w, dy, dx)
			dw, db := make([]float32, len(w)), make([]float32, s.F)
			Conv2DBackwardFilter(s, x, dy, dw, db)
			out = append(out, y, dx, dw, db)
		}
		return out
	}
	same := func(t *testing.T, what string, got, want [][]float32) {
		t.Helper()
		for i := range got {
			for j := range got[i] {
				if math.Float32bits(got[i][j]) != math.Float32bits(want[i][j]) {
					t.Fatalf("output %d [%d] = %v %s, %v otherwise", i, j, got[i][j], what, want[i][j])
				}
			}
		}
	}
	savedAsm, saved512, savedAuto := useAsm, useAVX512, autoAVX512
	defer func() { useAsm, useAVX512, autoAVX512 = savedAsm, saved512, savedAuto }()
	autoAVX512 = false
	for _, tm := range winoTileModes {
		t.Run(tm.name, func(t *testing.T) {
			withWino(tm.mode, func() {
				useAsm, useAVX512 = hasAsm, false
				defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
				want := run()
				for _, p := range []int{2, 3, 7} {
					runtime.GOMAXPROCS(p)
					same(t, fmt.Sprint("with GOMAXPROCS=", p), run(), want)
				}
				if !hasAVX512 {
					t.Log("this CPU (or build) has no AVX-512F: the AVX-512 kernel is not compared")
					return
				}
				useAVX512 = true
				same(t, "with AVX-512", run(), want)
				useAVX512 = false
			})
		})
	}
}

// TestWinogradModes checks GOCNN_CONV's values and that the direct path
// stays reachable.
func TestWinogradModes(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int
	}{{"", winoAuto}, {"direct", winoOff}, {"winograd", winoOn}, {"winograd2", winoOn2}, {"winograd4", winoOn4}, {"other", winoAuto}} {
		t.Run(tc.v, func(t *testing.T) {
			if got := winoModeOf(tc.v); got != tc.want {
				t.Errorf("winoModeOf(%q) = %d, want %d", tc.v, got, tc.want)
			}
		})
	}
	s := winoShapes[0]
	if hasAsm {
		// The automatic choice of the tile size (measured, see
		// winoAutoTile), at batch 128 and for small batches.
		s28 := ConvShape{N: 128, C: 16, H: 28, W: 28, F: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 28, OW: 28}
		s14 := ConvShape{N: 128, C: 32, H: 14, W: 14, F: 32, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 14, OW: 14}
		s7 := ConvShape{N: 128, C: 64, H: 7, W: 7, F: 64, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, OH: 7, OW: 7}
		batch := func(s ConvShape, n int) ConvShape { s.N = n; return s }
		for _, tc := range []struct {
			s          ConvShape
			fwd, data  int
			filter     int
			what, want string
		}{
			{s28, 4, 4, 4, "28x28, 16 channels", "F(4,3), F(4,3), F(4,3)"},
			{s14, 4, 4, 2, "14x14, 32 channels", "F(4,3), F(4,3), F(2,3)"},
			{s7, 2, 2, 0, "7x7, 64 channels", "F(2,3), F(2,3), direct"},
			{batch(s28, 8), 2, 2, 2, "8 images of 28x28", "F(2,3), F(2,3), F(2,3)"},
			{batch(s28, 1), 0, 0, 0, "one image of 28x28", "direct"},
			{batch(s7, 16), 0, 0, 0, "16 images of 7x7", "direct"},
		} {
			withWino(winoAuto, func() {
				savedAsm := useAsm
				defer func() { useAsm = savedAsm }()
				useAsm = true
				if winoTile(tc.s, passFwd) != tc.fwd || winoTile(tc.s, passData) != tc.data || winoTile(tc.s, passFilter) != tc.filter {
					t.Errorf("%s: tiles %d, %d, %d, want %s", tc.what, winoTile(tc.s, passFwd), winoTile(tc.s, passData), winoTile(tc.s, passFilter), tc.want)
				}
			})
		}
	}
	withWino(winoOff, func() {
		if winoPays(s, passFwd) || winoPays(s, passData) || winoPays(s, passFilter) {
			t.Error("GOCNN_CONV=direct still selects the Winograd kernels")
		}
	})
	s5 := ConvShape{N: 1, C: 16, H: 9, W: 9, F: 16, KH: 5, KW: 5, SH: 1, SW: 1, OH: 5, OW: 5}
	s2 := ConvShape{N: 1, C: 16, H: 9, W: 9, F: 16, KH: 3, KW: 3, SH: 2, SW: 2, OH: 4, OW: 4}
	withWino(winoOn, func() {
		if winoPays(s5, passFwd) || winoPays(s2, passFwd) {
			t.Error("the Winograd kernels are selected for a 5x5 or a stride-2 convolution")
		}
	})
}

// BenchmarkWinoOut4 runs the F(4x4, 3x3) output transform of eight tiles
// for 32 filters (whole 4x32 windows) on each path; the avx512 path keeps
// the column sums in registers where the CPU has AVX-512VL.
func BenchmarkWinoOut4(b *testing.B) {
	const nf = 32
	rng := rand.New(rand.NewSource(5))
	m := randSlice(rng, 36*8*nf)
	bias := randSlice(rng, nf)
	dst := make([]float32, nf*4*32)
	tmp := make([]float32, winoTmp)
	benchFamily(b, 0, func(b *testing.B) {
		winoOut4(m, 8, 8*nf, nf, bias, dst, 32, 4*32, tmp, 32, 4)
	})
}

// TestWinogradFilterRandom checks the filter gradient of each tile size
// against the float64 reference on random 3x3, stride-1 shapes (odd
// sizes, batch 1, padding 0, 1 and 2, 1 to 40 channels and filters), and
// that its bits do not depend on GOMAXPROCS.
func TestWinogradFilterRandom(t *testing.T) {
	rng := rand.New(rand.NewSource(24))
	var shapes []ConvShape
	for i := 0; i < 12; i++ {
		p := rng.Intn(3)
		h, w := 3+rng.Intn(28), 3+rng.Intn(28)
		if i%3 == 0 {
			h, w = h|1, w|1 // odd sizes
		}
		s := ConvShape{N: 1 + rng.Intn(3), C: 1 + rng.Intn(40), H: h, W: w, F: 1 + rng.Intn(40), KH: 3, KW: 3, SH: 1, SW: 1, PadT: p, PadL: p}
		if i%4 == 0 {
			s.N = 1
		}
		s.OH, s.OW = h+2*p-2, w+2*p-2
		shapes = append(shapes, s)
	}
	for _, tm := range winoTileModes {
		t.Run(tm.name, func(t *testing.T) {
			forEachImpl(t, func(t *testing.T) {
				withWino(tm.mode, func() {
					var worst float64
					for _, s := range shapes {
						t.Run(s.String(), func(t *testing.T) {
							if err := s.Validate(); err != nil {
								t.Fatal(err)
							}
							x := randSlice(rng, s.N*s.C*s.H*s.W)
							dy := randSlice(rng, s.N*s.F*s.OH*s.OW)
							dw, db := randSlice(rng, s.F*s.C*9), randSlice(rng, s.F)
							poisonScratch()
							Conv2DBackwardFilter(s, x, dy, dw, db)
							wdw, wdb := naiveConvBackwardFilter(s, to64(x), to64(dy))
							checkClose(t, "dw", dw, wdw, tol)
							checkClose(t, "db", db, wdb, tol)
							worst = max(worst, relErr(dw, wdw))
							defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
							Conv2DBackwardFilter(s, x, dy, dw, db)
							want := append(append([]float32(nil), dw...), db...)
							for _, p := range []int{2, 3, 7} {
								runtime.GOMAXPROCS(p)
								Conv2DBackwardFilter(s, x, dy, dw, db)
								for i, v := range append(append([]float32(nil), dw...), db...) {
									if math.Float32bits(v) != math.Float32bits(want[i]) {
										t.Fatalf("GOMAXPROCS=%d: output [%d] = %v, %v with 1", p, i, v, want[i])
									}
								}
							}
						})
					}
					t.Logf("largest relative error of dw |got-want|/(|want|+rms(want)): %.3g", worst)
				})
			})
		})
	}
}

// BenchmarkWinoDy4 runs the F(4x4, 3x3) output-gradient transform of
// eight tiles for 16 filters, over whole (4x32) and partial (3x28)
// windows, against the input transform of as many channels.
func BenchmarkWinoDy4(b *testing.B) {
	const nf, pitch = 16, 40
	rng := rand.New(rand.NewSource(6))
	src := randSlice(rng, nf*6*pitch)
	dst := make([]float32, 36*8*nf)
	tmp := make([]float32, winoTmp)
	for _, win := range [][2]int{{32, 4}, {28, 3}, {28, 4}, {32, 3}, {16, 4}} {
		b.Run(fmt.Sprintf("dy%dx%d", win[1], win[0]), func(b *testing.B) {
			benchFamily(b, 0, func(b *testing.B) {
				winoDy4(src, pitch, 6*pitch, nf, dst, 8, 8*nf, tmp, win[0], win[1])
			})
		})
	}
	// The input transform of a window inside the input (rows of 40, six
	// of them a plane).
	q := makeWinoPlan(winoKey{4, nf, 6, pitch, 1, 0, 0, 4, pitch - 2})
	b.Run("in", func(b *testing.B) {
		benchFamily(b, 0, func(b *testing.B) {
			winoIn4(src, 0, pitch, 6*pitch, nf, dst, 8, 8*nf, tmp, &q.win[q.rpat[0]][0])
		})
	})
}
