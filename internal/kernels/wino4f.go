package kernels

// The F(4x4, 3x3) filter gradient. With U = G g Gᵀ, V = Bᵀ d B and
// y = Aᵀ (U ⊙ V) A per 4x4 output tile, the gradient of the loss with
// respect to U is, per ξ, the sum over the tiles of Z[ξ]·V[ξ] with Z =
// A dy Aᵀ (6x6, from the tile's 4x4 output gradients), and dw = Gᵀ dU G.
// The products are the 4x3 dot-product tiles of the F(2x2, 3x3) filter
// gradient, over the tiles of a block, with 36 ξ instead of 16.

// winoMask is the table of winoDy4's load masks: &winoMask[32-n] is the
// mask of the first n of 32 lanes (0 <= n <= 32).
var winoMask = func() (m [64]int32) {
	for i := range 32 {
		m[i] = -1
	}
	return m
}()

// winoAT4 returns A y for the four values y0..y3 of a column (or row) of
// a 4x4 output-gradient tile (A is the transpose of the Aᵀ of winoA6):
// with p = y0+y2, q = y1+y3, r = y0+4y2 and t = 2(y1+4y3), (y0, p+q, p-q,
// r+t, r-t, y3). The products by 4 and 2 are exact, so a fused
// multiply-add gives the same bits.
func winoAT4(y0, y1, y2, y3 float32) [6]float32 {
	p, q := y0+y2, y1+y3
	r, s := y0+4*y2, y1+4*y3
	t := s + s
	return [6]float32{y0, p + q, p - q, r + t, r - t, y3}
}

// winoDy4 transforms, for f < nf, the output gradients of eight 4x4 tiles
// whose rows start at src[f*plane + a*pitch] (tile l at columns 4l ..
// 4l+3) into Z = A·dy·Aᵀ: T = A dy by columns, then Z[i] = A T[i] by
// rows, Z[i][j] of tile l stored at dst[(6i+j)*dstX + f*dstF + l]. Only
// the first nrows rows and ncols columns of the 4x32 window are read; the
// others count as zero (1 <= nrows <= 4, 1 <= ncols <= 32). tmp holds
// winoTmp floats of scratch.
func winoDy4(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int, tmp []float32, ncols, nrows int) {
	if ncols < 1 || ncols > 32 || nrows < 1 || nrows > 4 {
		panic("kernels: winoDy4 with a bad window")
	}
	_ = src[(nf-1)*plane+(nrows-1)*pitch+ncols-1]
	_ = dst[35*dstX+(nf-1)*dstF+7]
	_ = tmp[winoTmp-1]
	if useAsm {
		winoDy4Asm(src, pitch, plane, nf, dst, dstF, dstX, tmp, &winoMask[32-ncols], &winoMask[32-8*nrows])
		return
	}
	winoDy4Go(src, pitch, plane, nf, dst, dstF, dstX, ncols, nrows)
}

// winoDy4Go is the portable form of winoDy4, with the same operations in
// the same order.
func winoDy4Go(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX, ncols, nrows int) {
	for f := 0; f < nf; f++ {
		s := src[f*plane:]
		var t [6][32]float32
		for col := 0; col < 32; col++ {
			var y [4]float32
			if col < ncols {
				for a := 0; a < nrows; a++ {
					y[a] = s[a*pitch+col]
				}
			}
			v := winoAT4(y[0], y[1], y[2], y[3])
			for i, x := range v {
				t[i][col] = x
			}
		}
		for l := 0; l < 8; l++ {
			o := f*dstF + l
			for i := 0; i < 6; i++ {
				r := t[i][4*l : 4*l+4]
				v := winoAT4(r[0], r[1], r[2], r[3])
				for j, x := range v {
					dst[(6*i+j)*dstX+o] = x
				}
			}
		}
	}
}

// winoGT4 returns Gᵀ u for the six values u of a column (or row) of dU,
// with the G of winoG4.
func winoGT4(u [6]float64) [3]float64 {
	s12, d12 := u[1]+u[2], u[1]-u[2]
	s34, d34 := u[3]+u[4], u[3]-u[4]
	return [3]float64{
		u[0]/4 - s12/6 + s34/24,
		-d12/6 + d34/12,
		-s12/6 + s34/6 + u[5],
	}
}

// winoFilterOut4 stores dw = Gᵀ dU G, in float64, for the cout·cin
// filters, from dU[ξ][f][c] at part[(ξ·f4 + f)·c3 + c].
func winoFilterOut4(g *winoFilterGrad, cout, cin int, part, dw []float32) {
	k2 := cin * 9
	for f := 0; f < cout; f++ {
		for c := 0; c < cin; c++ {
			var t [3][6]float64 // Gᵀ dU
			for j := 0; j < 6; j++ {
				var u [6]float64
				for i := range u {
					u[i] = float64(part[((6*i+j)*g.f4+f)*g.c3+c])
				}
				r := winoGT4(u)
				t[0][j], t[1][j], t[2][j] = r[0], r[1], r[2]
			}
			d := dw[f*k2+c*9 : f*k2+c*9+9]
			for a := 0; a < 3; a++ {
				r := winoGT4(t[a])
				d[3*a], d[3*a+1], d[3*a+2] = float32(r[0]), float32(r[1]), float32(r[2])
			}
		}
	}
}

// filterRun4 is filterRun with F(4x4, 3x3) tiles: it adds the products
// of the images [lo, hi) to acc (dU[ξ][f][c] at (ξ·f4 + f)·c3 + c, then
// the bias gradient). The output gradients are read in place, the
// transforms leaving out what lies past the bottom and right edges.
func (q *winoPlan) filterRun4(g *winoFilterGrad, lo, hi int, x, dy, acc []float32) {
	vb := getBuf(36 * g.vx)
	zb := getBuf(36 * g.zx)
	tb := getBuf(winoTmp)
	defer func() {
		putBuf(tb)
		putBuf(zb)
		putBuf(vb)
	}()
	v, z, tt := *vb, *zb, *tb
	chw, fp := q.cin*q.h*q.w, q.cout*q.oh*q.ow
	hw, oplane := q.h*q.w, q.oh*q.ow
	sums := acc[36*g.f4*g.c3:]
	rows := make([]tileRow, 0, g.ib*g.rb)
	for n0 := lo; n0 < hi; n0 += g.ib {
		n1 := min(n0+g.ib, hi)
		for ty0 := 0; ty0 < q.th; ty0 += g.rb {
			ty1 := min(ty0+g.rb, q.th)
			rows = blockRows(rows, n0, n1, ty0, ty1)
			nt := len(rows) * q.tw
			// The transforms of the tiles past a row's end (rows of
			// fewer than 8 tiles) land on the next row's, which
			// overwrite them.
			for k, r := range rows {
				wins := q.win[q.rpat[r.ty]]
				off := r.n*chw + (4*r.ty-q.padT)*q.w - q.padL
				dsrc := dy[r.n*fp+4*r.ty*q.ow:]
				nrows := min(4, q.oh-4*r.ty)
				for gi, tx := range q.gx {
					winoIn4(x, off+4*tx, q.w, hw, q.cin, v[k*q.tw+tx:], g.nbc, g.vx, tt, &wins[gi])
					winoDy4(dsrc[4*tx:], q.ow, oplane, q.cout, z[k*q.tw+tx:], g.nbc, g.zx, tt, min(32, q.ow-4*tx), nrows)
				}
			}
			// Z[1][1] (ξ = 7) is the sum of a tile's output gradients.
			g.sumBlock(36, 7, nt, q.cin, q.cout, v, z, acc, sums)
		}
	}
}
