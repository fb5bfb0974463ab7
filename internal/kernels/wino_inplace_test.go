package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// preparedPlanes is the former way of feeding the input transforms: each
// channel of xn ([nc, h, w]) copied into a zeroed plane of hp rows of wp
// columns at row padT, column padL (hp and wp cover every cell that the
// transforms of the plan's tiles read).
func preparedPlanes(q *winoPlan, xn []float32, nc int) (buf []float32, hp, wp int) {
	hp, wp = q.m*q.th+2, max(q.m*q.tw+2, 18)
	if q.m == 4 {
		wp = max(4*q.tw+8, 40)
	}
	buf = make([]float32, nc*hp*wp)
	for c := 0; c < nc; c++ {
		for r := 0; r < q.h; r++ {
			copy(buf[(c*hp+r+q.padT)*wp+q.padL:], xn[(c*q.h+r)*q.w:(c*q.h+r+1)*q.w])
		}
	}
	return buf, hp, wp
}

// planeIn2 and planeIn4 are the input transforms as they ran on the
// prepared planes (the tile at src, rows wp apart), kept as the reference
// of the in-place ones.
func planeIn2(src []float32, wp, plane, nc int, dst []float32, dstC, dstX int) {
	for c := 0; c < nc; c++ {
		s := src[c*plane:]
		for l := 0; l < 8; l++ {
			var h [4][4]float32
			for r := 0; r < 4; r++ {
				d := s[r*wp+2*l : r*wp+2*l+4]
				h[r] = [4]float32{d[0] - d[2], d[1] + d[2], d[2] - d[1], d[1] - d[3]}
			}
			o := c*dstC + l
			for j := 0; j < 4; j++ {
				dst[j*dstX+o] = h[0][j] - h[2][j]
				dst[(4+j)*dstX+o] = h[1][j] + h[2][j]
				dst[(8+j)*dstX+o] = h[2][j] - h[1][j]
				dst[(12+j)*dstX+o] = h[1][j] - h[3][j]
			}
		}
	}
}

func planeIn4(src []float32, wp, plane, nc int, dst []float32, dstC, dstX int) {
	for c := 0; c < nc; c++ {
		s := src[c*plane:]
		var t [6][34]float32
		for col := 0; col < 34; col++ {
			v := winoB6(s[col], s[wp+col], s[2*wp+col], s[3*wp+col], s[4*wp+col], s[5*wp+col])
			for i, x := range v {
				t[i][col] = x
			}
		}
		for l := 0; l < 8; l++ {
			o := c*dstC + l
			for i := 0; i < 6; i++ {
				r := t[i][4*l : 4*l+6]
				v := winoB6(r[0], r[1], r[2], r[3], r[4], r[5])
				for j, x := range v {
					dst[(6*i+j)*dstX+o] = x
				}
			}
		}
	}
}

// TestWinogradInPlace checks the input transforms, which read the input
// in place through load masks, against the transforms of the prepared
// planes, bit for bit, for every tile row and group of tiles of random
// geometries ('same' and 'valid' padding, padding 0 to 2 at each side,
// odd sizes, rows of fewer than 8 tiles), in assembly and in Go. The
// input lies between NaNs, at the very start and at the very end of its
// slice, so that a read outside it shows in the results.
func TestWinogradInPlace(t *testing.T) {
	rng := rand.New(rand.NewSource(31))
	type geom struct{ m, nc, h, w, padT, padL, padB, padR int }
	cases := []geom{
		{2, 3, 28, 28, 1, 1, 1, 1}, {4, 3, 28, 28, 1, 1, 1, 1},
		{2, 2, 7, 7, 1, 1, 1, 1}, {4, 2, 7, 7, 1, 1, 1, 1},
		{2, 1, 3, 3, 0, 0, 0, 0}, {4, 1, 3, 3, 0, 0, 0, 0},
		{2, 2, 5, 6, 2, 2, 2, 2}, {4, 2, 5, 6, 2, 2, 2, 2},
		{2, 5, 40, 36, 1, 1, 1, 1}, {4, 5, 40, 36, 1, 1, 1, 1},
	}
	for range 40 {
		cases = append(cases, geom{2 + 2*rng.Intn(2), 1 + rng.Intn(5), 3 + rng.Intn(38), 3 + rng.Intn(50),
			rng.Intn(3), rng.Intn(3), rng.Intn(3), rng.Intn(3)})
	}
	tmp := make([]float32, winoTmp)
	for _, g := range cases {
		t.Run(fmt.Sprintf("F%d_c%d_%dx%d_pad%d%d%d%d", g.m, g.nc, g.h, g.w, g.padT, g.padL, g.padB, g.padR), func(t *testing.T) {
			oh, ow := g.h+g.padT+g.padB-2, g.w+g.padL+g.padR-2
			q := makeWinoPlan(winoKey{g.m, g.nc, g.h, g.w, 1, g.padT, g.padL, oh, ow})
			n := g.nc * g.h * g.w
			x := randSlice(rng, n)
			ref, hp, wp := preparedPlanes(q, x, g.nc)
			nan := float32(math.NaN())
			// The input between NaNs, and the input at both ends of
			// slices of itself (the bounds checks must pass).
			guarded := make([]float32, n+200)
			for i := range guarded {
				guarded[i] = nan
			}
			copy(guarded[100:], x)
			inputs := []struct {
				name string
				x    []float32
			}{{"guarded", guarded[100 : 100+n]}, {"alone", append([]float32(nil), x...)}}
			nx, dstC := q.nx, 9
			dstX := dstC*g.nc + 5
			for _, in := range inputs {
				for ty := 0; ty < q.th; ty++ {
					wins := q.win[q.rpat[ty]]
					for gi, tx := range q.gx {
						want := make([]float32, nx*dstX)
						src := ref[g.m*ty*wp+g.m*tx:]
						if g.m == 4 {
							planeIn4(src, wp, hp*wp, g.nc, want, dstC, dstX)
						} else {
							planeIn2(src, wp, hp*wp, g.nc, want, dstC, dstX)
						}
						off := (g.m*ty-g.padT)*g.w + g.m*tx - g.padL
						for _, asm := range []bool{false, true} {
							if asm && !hasAsm {
								continue
							}
							got := make([]float32, nx*dstX)
							func() {
								saved := useAsm
								defer func() { useAsm = saved }()
								useAsm = asm
								if g.m == 4 {
									winoIn4(in.x, off, g.w, g.h*g.w, g.nc, got, dstC, dstX, tmp, &wins[gi])
								} else {
									winoIn(in.x, off, g.w, g.h*g.w, g.nc, got, dstC, dstX, &wins[gi])
								}
							}()
							for xi := 0; xi < nx; xi++ {
								for c := 0; c < g.nc; c++ {
									for l := 0; l < 8; l++ {
										i := xi*dstX + c*dstC + l
										if math.Float32bits(got[i]) != math.Float32bits(want[i]) || math.IsNaN(float64(got[i])) {
											t.Fatalf("%s, asm %v: tile row %d, tiles %d+%d: V[ξ=%d][c=%d] = %v, prepared planes give %v",
												in.name, asm, ty, tx, l, xi, c, got[i], want[i])
										}
									}
								}
							}
						}
					}
				}
			}
		})
	}
}
