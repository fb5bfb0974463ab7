package kernels

import "math"

// The F(4x4, 3x3) transforms. Each output tile of 4x4 positions is
// computed from the 6x6 input tile under it, with the interpolation
// points 0, ±1, ±2 and ∞:
//
//	Bᵀ = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0;
//	      0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
//	Aᵀ = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1],
//
// and G as in winoG4. The transforms are written so that every product
// is by a power of two (exact), so a fused multiply-add gives the same
// bits as a multiplication followed by an addition.

// winoB6 returns Bᵀ d for one column (or row) d of a 6x6 input tile: with
// c = d4-d2, e = 2(d3-d1), a = d4-4d2 and b = d3-4d1, (4(d0-d2)+c, a+b,
// a-b, c+e, c-e, (d5-d3)-2e).
func winoB6(d0, d1, d2, d3, d4, d5 float32) [6]float32 {
	c := d4 - d2
	e := 2 * (d3 - d1)
	a := d4 - 4*d2
	b := d3 - 4*d1
	return [6]float32{4*(d0-d2) + c, a + b, a - b, c + e, c - e, (d5 - d3) - 2*e}
}

// winoA6 returns Aᵀ m for one column (or row) of the 6x6 products: with
// p = m1+m2, q = m1-m2, r = m3+m4 and s = m3-m4, ((m0+p)+r, q+2s, p+4r,
// (q+8s)+m5).
func winoA6(m0, m1, m2, m3, m4, m5 float32) [4]float32 {
	p, q := m1+m2, m1-m2
	r, s := m3+m4, m3-m4
	return [4]float32{(m0 + p) + r, q + 2*s, p + 4*r, (q + 8*s) + m5}
}

// winoIn4 transforms, for c < nc, the eight 6x6 tiles of channel c read
// in place through the window win: cell (r, col) of the window is
// x[off + c*plane + r*w + col] where win's mask allows it, zero elsewhere
// (tile l at columns 4l .. 4l+5; off may point before x where those
// cells are masked). T = Bᵀ d by columns, then V = T B by rows, V[i][j]
// of tile l stored at dst[(6i+j)*dstX + c*dstC + l]. tmp holds winoTmp
// floats of scratch.
func winoIn4(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, tmp []float32, win *winoWin) {
	_ = win.mask[6*40-1]
	if win.hi >= win.lo {
		_ = x[off+win.lo]
		_ = x[off+(nc-1)*plane+win.hi]
	}
	_ = dst[35*dstX+(nc-1)*dstC+7]
	_ = tmp[winoTmp-1]
	if useAsm {
		winoIn4Asm(x, off, w, plane, nc, dst, dstC, dstX, tmp, win.mask)
		return
	}
	winoIn4Go(x, off, w, plane, nc, dst, dstC, dstX, win.mask)
}

// winoIn4Go is the portable form of winoIn4 (mask holds rows of 40), with
// the same operations in the same order.
func winoIn4Go(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, mask []int32) {
	for c := 0; c < nc; c++ {
		o0 := off + c*plane
		var t [6][34]float32
		for col := 0; col < 34; col++ {
			var d [6]float32
			for r := range d {
				if mask[r*40+col] != 0 {
					d[r] = x[o0+r*w+col]
				}
			}
			v := winoB6(d[0], d[1], d[2], d[3], d[4], d[5])
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

// winoOut4 transforms, for f < nf, the products of eight tiles, m[(6i+j)*mX
// + f*mF + l] for tile l, back into 4x4 outputs: S = Aᵀ M by columns, then
// y = S A + bias[f] by rows, and stores the first nrows rows and ncols
// columns of the 4x32 outputs of filter f at dst[f*plane + a*pitch] (row
// a), tile l at columns 4l .. 4l+3 (1 <= nrows <= 4, 1 <= ncols <= 32).
// tmp holds winoTmp floats of scratch.
func winoOut4(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int, tmp []float32, ncols, nrows int) {
	_ = m[35*mX+(nf-1)*mF+7]
	_ = bias[nf-1]
	_ = dst[(nf-1)*plane+(nrows-1)*pitch+ncols-1]
	_ = tmp[winoTmp-1]
	if ncols < 1 || ncols > 32 || nrows < 1 || nrows > 4 {
		panic("kernels: winoOut4 with a bad output window")
	}
	if useAsm {
		if ncols < 32 {
			// The store mask of the 8-column piece across ncols.
			for i := 0; i < 8; i++ {
				var v uint32
				if i < ncols%8 {
					v = ^uint32(0)
				}
				tmp[192+i] = math.Float32frombits(v)
			}
		}
		winoOut4Asm(m, mF, mX, nf, bias, dst, pitch, plane, tmp, ncols, nrows)
		return
	}
	winoOut4Go(m, mF, mX, nf, bias, dst, pitch, plane, ncols, nrows)
}

// winoOut4Go is the portable form of winoOut4, with the same operations
// in the same order.
func winoOut4Go(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane, ncols, nrows int) {
	for f := 0; f < nf; f++ {
		b := bias[f]
		for l := 0; l < 8; l++ {
			o := f*mF + l
			var s [4][6]float32
			for j := 0; j < 6; j++ {
				v := winoA6(m[j*mX+o], m[(6+j)*mX+o], m[(12+j)*mX+o], m[(18+j)*mX+o], m[(24+j)*mX+o], m[(30+j)*mX+o])
				for a, x := range v {
					s[a][j] = x
				}
			}
			for a := 0; a < nrows; a++ {
				y := winoA6(s[a][0], s[a][1], s[a][2], s[a][3], s[a][4], s[a][5])
				d := dst[f*plane+a*pitch:]
				for k, x := range y {
					if 4*l+k < ncols {
						d[4*l+k] = x + b
					}
				}
			}
		}
	}
}
