package kernels

import "os"

// Winograd F(2x2, 3x3) convolutions: see the "Winograd" section of the
// package documentation.
//
// Each output tile of 2x2 positions is computed from the 4x4 input tile
// that covers its windows:
//
//	V = Bᵀ d B (per input channel), M[ξ] = Σ_c U[ξ][f][c] · V[ξ][c] (per ξ
//	of the 16 transformed positions), y = Aᵀ M A + b (per filter),
//
// with U = G g Gᵀ the transformed filters. The 16 sums over channels are
// products of an F×C matrix by a C×tiles matrix, run by the GEMM
// micro-kernel; the transforms take only additions and subtractions.
// F(4x4, 3x3) (wino4.go) runs on the same plans with 4x4 output tiles,
// 6x6 input tiles and 36 ξ.

// winoMode selects where the Winograd convolution is used: winoAuto where
// winoTile says it is faster, winoOff nowhere (GOCNN_CONV=direct), winoOn
// wherever it applies, with the tile size winoAuto would choose (F(2x2,
// 3x3) where winoAuto would run the direct kernels), winoOn2 and winoOn4
// wherever it applies with F(2x2, 3x3) or F(4x4, 3x3) tiles.
const (
	winoAuto = iota
	winoOff
	winoOn
	winoOn2
	winoOn4
)

// useWino is the Winograd mode, from GOCNN_CONV; tests switch it.
var useWino = winoModeOf(os.Getenv("GOCNN_CONV"))

// winoModeOf returns the Winograd mode of a GOCNN_CONV value: "direct"
// turns it off, "winograd" forces it wherever it applies, "winograd2" and
// "winograd4" force one tile size, anything else leaves it to winoTile.
func winoModeOf(v string) int {
	switch v {
	case "direct":
		return winoOff
	case "winograd":
		return winoOn
	case "winograd2":
		return winoOn2
	case "winograd4":
		return winoOn4
	}
	return winoAuto
}

// Passes of a convolution, for winoPays.
const (
	passFwd = iota
	passData
	passFilter
)

// winoApplies reports whether s is a 3x3, stride-1 convolution (any
// padding ConvShape allows), which the Winograd kernels compute.
func winoApplies(s ConvShape) bool {
	return s.KH == 3 && s.KW == 3 && s.SH == 1 && s.SW == 1
}

// winoPays reports whether the given pass of s runs the Winograd kernels
// under the current mode.
func winoPays(s ConvShape, pass int) bool { return winoTile(s, pass) != 0 }

// winoTile returns the output tile size (2 or 4) of the Winograd kernels
// that the given pass of s runs under the current mode, or 0 where it
// runs the direct kernels.
func winoTile(s ConvShape, pass int) int {
	if !winoApplies(s) || useWino == winoOff {
		return 0
	}
	switch useWino {
	case winoOn2:
		return 2
	case winoOn4:
		return 4
	case winoOn:
		if m := winoAutoTile(s, pass); m != 0 {
			return m
		}
		return 2
	}
	if !useAsm {
		return 0 // the pure-Go transforms are scalar
	}
	return winoAutoTile(s, pass)
}

// The automatic mode runs the Winograd kernels for passes of at least
// winoMinOutputs output positions (N·OH·OW; 3 images of 28x28, 42 of
// 7x7), and F(4x4, 3x3) for at least wino4MinOutputs (11 images of 28x28,
// 42 of 14x14): a batch of 128 images of 7x7 and more qualifies for both,
// and so do the last, partial batches of the ResNet of cmd/mnist.
const (
	winoMinOutputs  = 2048
	wino4MinOutputs = 8192
)

// winoAutoTile is winoTile's choice in the automatic mode.
func winoAutoTile(s ConvShape, pass int) int {
	// Measured on an AMD Zen 4 (see docs/performance.md): with 8 or more
	// channels on both sides, the forward pass and data gradient of 3x3
	// 'same' and 'valid' layers on 7x7 to 28x28 images gain 10-35%; a
	// single input channel (a first layer, or its data gradient) loses
	// 3-4x, as the products are then too shallow to repay the
	// transforms. The filter gradient gains less (its products are dot
	// products over the tiles of a block): 20-30% at 32 channels on
	// 14x14, a few percent at 16 on 28x28, nothing measurable at 64 on
	// 7x7 (half of each 8-tile transform is padding there), so it needs
	// 16 channels and rows of 7 tiles.
	cin, cout := s.C, s.F
	oh, ow := s.OH, s.OW
	if pass == passData {
		cin, cout = s.F, s.C
		oh, ow = s.H, s.W
	}
	// Each call transforms the filters again (U = G g Gᵀ, in float64),
	// which only a batch of enough outputs repays: with one image the
	// Winograd path made the suite's 3x3 networks answer a single image
	// 2.9x slower (246 µs direct against 704 µs for -net same). Small
	// batches (single-image prediction) run the direct kernels, and
	// F(4x4, 3x3), whose filter transform costs more, needs more outputs.
	positions := s.N * oh * ow
	if positions < winoMinOutputs {
		return 0
	}
	if pass == passFilter {
		if cin < 16 || cout < 16 || s.OW < 13 {
			return 0
		}
		// F(4x4, 3x3) against F(2x2, 3x3) for the filter gradient
		// (batch 128, AMD Zen 4, shared machine, best of 5 to 8 runs):
		// 33% faster on 28x28 'same' outputs (16 channels), 14% on 24x24
		// 'valid' ones (32 to 64), 35% slower on 14x14 ones (32
		// channels: rows of four tiles, half of each 8-tile transform
		// wasted) and 40% on 7x7 ones (64).
		if oh >= 24 && ow >= 24 && positions >= wino4MinOutputs {
			return 4
		}
		return 2
	}
	if cin < 8 || cout < 8 {
		return 0
	}
	// F(4x4, 3x3) against F(2x2, 3x3), measured likewise: 10-30% faster
	// on 14x14 to 28x28 outputs (8 to 32 channels), 5-30% slower on 7x7
	// ones (two tiles per row and column, a quarter of them padding).
	if oh >= 13 && ow >= 13 && positions >= wino4MinOutputs {
		return 4
	}
	return 2
}

// winoPlan is the geometry of a Winograd convolution of cin-channel
// h×w images into cout-channel oh×ow ones with a 3x3 kernel, stride 1 and
// padding padT, padL (0 <= padT, padL <= 2; bottom and right padding as
// the output size implies).
type winoPlan struct {
	cin, h, w, cout, padT, padL, oh, ow int

	m      int         // output tile size: 2 (F(2x2, 3x3)) or 4 (F(4x4, 3x3))
	nx     int         // transformed positions ξ per tile: (m+2)²
	th, tw int         // tile rows and columns (m×m output positions each)
	wl     int         // row length of the load masks: 24 (m = 2) or 40 (m = 4)
	rpat   []int       // row pattern (index into win) of each tile row
	win    [][]winoWin // windows of the input transforms: [row pattern][group of 8 tiles]
	ti     int         // tiles per image
	ib, rb int         // images per block; tile rows per block (rb < th only when ib = 1)
	nbc    int         // column pitch of the transformed tiles (V) and products (M)
	vx, mx int         // ξ pitch of V (cin rows) and M (fm rows)
	fm     int         // rows of M per ξ: cout, at least mr
	upx    int         // length of the packed U of one ξ
	direct bool        // output tiles are stored straight into y
	ws     int         // row pitch of the two staging rows when not direct (m = 2)
	gx     []int       // first tile column of each group of 8 in a tile row
	boff   []int32     // c·nbc, the B row offsets of the products
	tab    []int32     // 0, 8, 16, …: the column halves of the products
	fg     *winoFilterGrad
}

// winoTarget is the number of floats of V and M a block may hold (about
// 512 KiB, half an L2 cache).
var winoTarget = 128 << 10

type winoKey struct{ m, cin, h, w, cout, padT, padL, oh, ow int }

var winoPlans planCache[winoKey, winoPlan]

// newWinoPlan returns the (shared, read-only) plan of a geometry.
func newWinoPlan(k winoKey) *winoPlan {
	return winoPlans.get(k, func() *winoPlan { return makeWinoPlan(k) })
}

func makeWinoPlan(k winoKey) *winoPlan {
	q := &winoPlan{cin: k.cin, h: k.h, w: k.w, cout: k.cout, padT: k.padT, padL: k.padL, oh: k.oh, ow: k.ow, m: k.m}
	m := k.m
	q.nx = (m + 2) * (m + 2)
	q.th, q.tw = (k.oh+m-1)/m, (k.ow+m-1)/m
	q.ti = q.th * q.tw
	q.fm = max(q.cout, mr)
	q.upx = packedASize(q.cout, q.cin)
	tgt := max(16, winoTarget/(q.nx*(q.cin+q.fm)))
	q.ib, q.rb = max(1, tgt/q.ti), q.th
	maxTiles := q.ib * q.ti
	if q.ti > tgt {
		q.rb = max(1, tgt/q.tw)
		maxTiles = q.rb * q.tw
	}
	// The pitches are odd multiples of 16 floats (64 bytes), so that
	// the 16 rows of ξ that a transform reads or writes side by side,
	// and the rows of a product, fall in different cache sets (with
	// pitches that are multiples of 4 KiB they would all share one).
	q.nbc = oddLines(maxTiles + 8)
	q.vx, q.mx = oddLines(q.cin*q.nbc), oddLines(q.fm*q.nbc)
	for tx := 0; tx < q.tw; tx += 8 {
		q.gx = append(q.gx, max(0, min(tx, q.tw-8)))
	}
	q.windows()
	q.direct = q.tw >= 8 && q.oh%m == 0 && q.ow%m == 0
	q.ws = 2 * max(q.tw, 8)
	q.boff = make([]int32, q.cin)
	for c := range q.boff {
		q.boff[c] = int32(c * q.nbc)
	}
	q.tab = make([]int32, q.nbc/8)
	for i := range q.tab {
		q.tab[i] = int32(8 * i)
	}
	q.fg = q.filterGrad()
	return q
}

// winoFilter returns the packed transformed filters of q: for ξ =
// (m+2)i+j, U[ξ][f][c] = (G g[f][c] Gᵀ)[i][j], where g[f][c][a][b] =
// w[at(f, c) + 3a + b] (at gives the offset of a 3x3 kernel), packed as
// the A operand (see packA; the last panel overlaps the one before when
// cout is not a multiple of mr). The transform runs in float64.
func (q *winoPlan) winoFilter(at func(f, c int) int, w []float32) *[]float32 {
	cin, cout := q.cin, q.cout
	u := getBuf(q.nx * cout * cin)
	// The filters are transformed on all cores: a call runs them once per
	// batch, and they are the serial part of the pass.
	ParallelFor(cout, func(f0, f1 int) {
		for f := f0; f < f1; f++ {
			for c := 0; c < cin; c++ {
				q.filter1(w[at(f, c):], *u, f*cin+c)
			}
		}
	})
	ap := getBuf(q.nx * q.upx)
	fpad := (cout + mr - 1) / mr * mr
	overlap := cout%mr != 0 && cout > mr
	ParallelFor(q.nx, func(x0, x1 int) {
		for xi := x0; xi < x1; xi++ {
			src, dst := (*u)[xi*cout*cin:], (*ap)[xi*q.upx:]
			if overlap {
				packA(false, fpad-mr, cin, 1, src, cin, dst)
				packA(false, mr, cin, 1, src[(cout-mr)*cin:], cin, dst[(fpad-mr)*cin:])
			} else {
				packA(false, cout, cin, 1, src, cin, dst)
			}
		}
	})
	putBuf(u)
	return ap
}

// filter1 stores U = G g Gᵀ of the 3x3 kernel g (row major) at u[ξ·cout·cin
// + off] for every ξ.
func (q *winoPlan) filter1(g, u []float32, off int) {
	pitch := q.cout * q.cin
	if q.m == 4 {
		winoFilter4(g, u[off:], pitch)
		return
	}
	var t [4][3]float64 // G g
	for b := 0; b < 3; b++ {
		g0, g1, g2 := float64(g[b]), float64(g[3+b]), float64(g[6+b])
		t[0][b] = g0
		t[1][b] = (g0 + g1 + g2) / 2
		t[2][b] = (g0 - g1 + g2) / 2
		t[3][b] = g2
	}
	for i := 0; i < 4; i++ {
		r0, r1, r2 := t[i][0], t[i][1], t[i][2]
		v := [4]float64{r0, (r0 + r1 + r2) / 2, (r0 - r1 + r2) / 2, r2}
		for j, x := range v {
			u[(4*i+j)*pitch+off] = float32(x)
		}
	}
}

// winoG4 applies the F(4x4, 3x3) filter transform G (interpolation
// points 0, ±1, ±2 and ∞) to the three values a[0], a[k], a[2k].
func winoG4(a []float64, k int) [6]float64 {
	g0, g1, g2 := a[0], a[k], a[2*k]
	return [6]float64{
		g0 / 4,
		-(g0 + g1 + g2) / 6,
		-(g0 - g1 + g2) / 6,
		g0/24 + g1/12 + g2/6,
		g0/24 - g1/12 + g2/6,
		g2,
	}
}

// winoFilter4 stores U = G g Gᵀ, in float64, of the 3x3 kernel g (row
// major) at u[ξ·pitch] for ξ = 6i+j.
func winoFilter4(g []float32, u []float32, pitch int) {
	var g64 [9]float64
	for i := range g64 {
		g64[i] = float64(g[i])
	}
	var t [6][3]float64 // G g
	for b := 0; b < 3; b++ {
		col := winoG4(g64[b:], 3)
		for i := range col {
			t[i][b] = col[i]
		}
	}
	for i := 0; i < 6; i++ {
		row := winoG4(t[i][:], 1)
		for j, x := range row {
			u[(6*i+j)*pitch] = float32(x)
		}
	}
}

// oddLines returns n rounded up to an odd multiple of 16.
func oddLines(n int) int {
	l := (n + 15) / 16
	return (l | 1) * 16
}

// winoWin is the window that the input transform of one group of eight
// tiles reads, m+2 rows of 18 (m = 2) or 34 (m = 4) columns from the
// cell (m·ty - padT, m·tx - padL) of the input: mask[i·wl + j] is -1 where
// cell (i, j) of the window lies inside the input, 0 where it is padding
// or past the input's edges (those cells count as zero and are never
// read). lo and hi are the offsets i·w + j of the first and last cells
// inside (hi < lo when there is none), for the bounds checks.
type winoWin struct {
	mask   []int32
	lo, hi int
}

// windows sets the load masks of q: the tile rows fall into a few row
// patterns (the rows of their windows inside the input), and each
// pattern has one window per group of eight tiles.
func (q *winoPlan) windows() {
	m := q.m
	used := 18 // columns of the window the transforms use
	q.wl = 24
	if m == 4 {
		used, q.wl = 34, 40
	}
	pats := map[[2]int]int{}
	q.rpat = make([]int, q.th)
	for ty := range q.rpat {
		r0 := m*ty - q.padT
		key := [2]int{max(0, -r0), min(m+2, q.h-r0)} // rows [a, b) inside
		p, ok := pats[key]
		if !ok {
			p = len(q.win)
			pats[key] = p
			ws := make([]winoWin, len(q.gx))
			for gi, tx := range q.gx {
				c0 := m*tx - q.padL
				w := winoWin{mask: make([]int32, (m+2)*q.wl), lo: 0, hi: -1}
				first := true
				for i := key[0]; i < key[1]; i++ {
					for j := max(0, -c0); j < min(used, q.w-c0); j++ {
						w.mask[i*q.wl+j] = -1
						if first {
							w.lo, first = i*q.w+j, false
						}
						w.hi = i*q.w + j
					}
				}
				ws[gi] = w
			}
			q.win = append(q.win, ws)
		}
		q.rpat[ty] = p
	}
}

// winoScratch is the scratch memory of one worker.
type winoScratch struct {
	v, m, st, tt *[]float32
}

// winoTmp is the length of the transforms' scratch rows (F(4x4, 3x3)).
const winoTmp = 240

func (q *winoPlan) scratch() winoScratch {
	return winoScratch{
		v:  getBuf(q.nx * q.vx),
		m:  getBuf(q.nx * q.mx),
		st: getBuf(q.cout * 2 * q.ws),
		tt: getBuf(winoTmp),
	}
}

func (w winoScratch) release() {
	putBuf(w.tt)
	putBuf(w.st)
	putBuf(w.m)
	putBuf(w.v)
}

// run computes the convolution of the images [lo, hi) of x ([N, cin, h,
// w]) into y ([N, cout, oh, ow]) with the packed transformed filters up
// and the bias (cout values).
func (q *winoPlan) run(lo, hi int, x, up, bias, y []float32) {
	sc := q.scratch()
	defer sc.release()
	v, m, st, tt := *sc.v, *sc.m, *sc.st, *sc.tt
	ts := q.m
	chw, fp, hw := q.cin*q.h*q.w, q.cout*q.oh*q.ow, q.h*q.w
	rows := make([]tileRow, 0, q.ib*q.rb)
	for n0 := lo; n0 < hi; n0 += q.ib {
		n1 := min(n0+q.ib, hi)
		for ty0 := 0; ty0 < q.th; ty0 += q.rb {
			ty1 := min(ty0+q.rb, q.th)
			rows = blockRows(rows, n0, n1, ty0, ty1)
			nt := len(rows) * q.tw
			// Input transform, read in place.
			for k, r := range rows {
				wins := q.win[q.rpat[r.ty]]
				off := r.n*chw + (ts*r.ty-q.padT)*q.w - q.padL
				for gi, tx := range q.gx {
					if ts == 4 {
						winoIn4(x, off+4*tx, q.w, hw, q.cin, v[k*q.tw+tx:], q.nbc, q.vx, tt, &wins[gi])
					} else {
						winoIn(x, off+2*tx, q.w, hw, q.cin, v[k*q.tw+tx:], q.nbc, q.vx, &wins[gi])
					}
				}
			}
			// The products run over whole tiles of 16 columns; the
			// columns past the tiles hold whatever the buffer held (or
			// the transforms of tiles past a row's end), and their
			// products are not read.
			ntc := (nt + 15) / 16 * 16
			// The products, one per ξ.
			q.products(up, v, m, ntc)
			// Output transform. The F(4x4, 3x3) one stores the part of
			// its 4x32 outputs inside y (whole rows where it can).
			for k, r := range rows {
				mk := m[k*q.tw:]
				if ts == 4 {
					yo := y[r.n*fp+4*r.ty*q.ow:]
					nrows := min(4, q.oh-4*r.ty)
					for _, tx := range q.gx {
						ncols := min(32, q.ow-4*tx)
						winoOut4(mk[tx:], q.nbc, q.mx, q.cout, bias, yo[4*tx:], q.ow, q.oh*q.ow, tt, ncols, nrows)
					}
					continue
				}
				if q.direct {
					yo := y[r.n*fp+2*r.ty*q.ow:]
					for _, tx := range q.gx {
						winoOut(mk[tx:], q.nbc, q.mx, q.cout, bias, yo[2*tx:], q.ow, q.oh*q.ow)
					}
					continue
				}
				for _, tx := range q.gx {
					winoOut(mk[tx:], q.nbc, q.mx, q.cout, bias, st[2*tx:], q.ws, 2*q.ws)
				}
				oy := 2 * r.ty
				for f := 0; f < q.cout; f++ {
					yo := y[r.n*fp+(f*q.oh+oy)*q.ow:]
					copy(yo[:q.ow], st[2*f*q.ws:])
					if oy+1 < q.oh {
						copy(yo[q.ow:2*q.ow], st[(2*f+1)*q.ws:])
					}
				}
			}
		}
	}
}

// products computes M[ξ] = U[ξ]·V[ξ] over the first ntc columns (a
// multiple of 16) for the nx ξ.
func (q *winoPlan) products(up, v, m []float32, ntc int) {
	coff := [mr]int32{0, int32(q.nbc), int32(2 * q.nbc), int32(3 * q.nbc), int32(4 * q.nbc)}
	tab := q.tab[:ntc/8]
	overlap := q.cout%mr != 0 && q.cout > mr
	for xi := 0; xi < q.nx; xi++ {
		a := up[xi*q.upx : (xi+1)*q.upx]
		b := v[xi*q.vx:]
		mx := m[xi*q.mx:]
		for i0 := 0; i0 < q.fm; i0 += mr {
			f0 := i0
			if overlap {
				f0 = min(i0, q.cout-mr)
			}
			kernel(q.cin, a[i0*q.cin:(i0+mr)*q.cin], q.boff, b, tab, coff[:], mx[f0*q.nbc:], tab, nil, 0)
		}
	}
}

// winoIn transforms, for c < nc, the eight 4x4 tiles of channel c read
// in place through the window win: cell (r, col) of the window is
// x[off + c*plane + r*w + col] where win's mask allows it, zero elsewhere
// (tile l at columns 2l .. 2l+3; off may point before x where those
// cells are masked). With d the tile and h its rows transformed (h[r] =
// d[r]·B: d0-d2, d1+d2, d2-d1, d1-d3), V = Bᵀ h, that is V[0] = h0-h2,
// V[1] = h1+h2, V[2] = h2-h1, V[3] = h1-h3, and V[i][j] of tile l is
// stored at dst[(4i+j)*dstX + c*dstC + l].
func winoIn(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, win *winoWin) {
	_ = win.mask[4*24-1]
	if win.hi >= win.lo {
		_ = x[off+win.lo]
		_ = x[off+(nc-1)*plane+win.hi]
	}
	_ = dst[15*dstX+(nc-1)*dstC+7]
	if useAsm {
		winoInAsm(x, off, w, plane, nc, dst, dstC, dstX, win.mask)
		return
	}
	winoInGo(x, off, w, plane, nc, dst, dstC, dstX, win.mask)
}

// winoInGo is the portable form of winoIn (mask holds rows of 24), with
// the same operations in the same order.
func winoInGo(x []float32, off, w, plane, nc int, dst []float32, dstC, dstX int, mask []int32) {
	for c := 0; c < nc; c++ {
		o0 := off + c*plane
		for l := 0; l < 8; l++ {
			var h [4][4]float32
			for r := 0; r < 4; r++ {
				var d [4]float32
				for k := range d {
					if col := 2*l + k; mask[r*24+col] != 0 {
						d[k] = x[o0+r*w+col]
					}
				}
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

// winoOut transforms, for f < nf, the products of eight tiles, m[(4i+j)*mX
// + f*mF + l] for tile l, back into 2x2 outputs: s = Aᵀ m (s0 = (m0+m1)+m2,
// s1 = (m1-m2)-m3 by columns), y[a] = ((s_a0+s_a1)+s_a2, (s_a1-s_a2)-s_a3)
// plus bias[f], and stores the 2x16 outputs of filter f at dst[f*plane]
// (row 0) and dst[f*plane+pitch] (row 1), tile l at columns 2l, 2l+1.
func winoOut(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int) {
	_ = m[15*mX+(nf-1)*mF+7]
	_ = bias[nf-1]
	_ = dst[(nf-1)*plane+pitch+15]
	if useAsm {
		winoOutAsm(m, mF, mX, nf, bias, dst, pitch, plane)
		return
	}
	winoOutGo(m, mF, mX, nf, bias, dst, pitch, plane)
}

// winoOutGo is the portable form of winoOut, with the same operations in
// the same order.
func winoOutGo(m []float32, mF, mX, nf int, bias, dst []float32, pitch, plane int) {
	for f := 0; f < nf; f++ {
		b := bias[f]
		for l := 0; l < 8; l++ {
			o := f*mF + l
			var s [2][4]float32
			for j := 0; j < 4; j++ {
				m0, m1, m2, m3 := m[j*mX+o], m[(4+j)*mX+o], m[(8+j)*mX+o], m[(12+j)*mX+o]
				s[0][j] = (m0 + m1) + m2
				s[1][j] = (m1 - m2) - m3
			}
			d := dst[f*plane+2*l:]
			for a := 0; a < 2; a++ {
				d[a*pitch] = ((s[a][0] + s[a][1]) + s[a][2]) + b
				d[a*pitch+1] = ((s[a][1] - s[a][2]) - s[a][3]) + b
			}
		}
	}
}

// winoForward computes Conv2DForward for a shape winoApplies to, with
// m×m output tiles (m = 2 or 4).
func winoForward(s ConvShape, m int, x, w, b, y []float32) {
	q := newWinoPlan(winoKey{m, s.C, s.H, s.W, s.F, s.PadT, s.PadL, s.OH, s.OW})
	k2 := s.C * 9
	up := q.winoFilter(func(f, c int) int { return f*k2 + c*9 }, w)
	bp := getBuf(s.F)
	if b != nil {
		copy(*bp, b[:s.F])
	} else {
		clear(*bp)
	}
	parallelImages(s.N, func(lo, hi int) { q.run(lo, hi, x, *up, *bp, y) })
	putBuf(bp)
	putBuf(up)
}

// winoBackwardData computes Conv2DBackwardData for a shape winoApplies
// to, with m×m tiles: the gradient of a 3x3, stride-1 convolution is the convolution of
// dy, padded by 2-PadT and 2-PadL, with the filters turned by 180 degrees
// and their input and output channels swapped.
func winoBackwardData(s ConvShape, m int, w, dy, dx []float32) {
	q := newWinoPlan(winoKey{m, s.F, s.OH, s.OW, s.C, 2 - s.PadT, 2 - s.PadL, s.H, s.W})
	k2 := s.C * 9
	// Filter (c, f) of the turned kernel is w[f][c] read backwards: its
	// element (a, b) is w[f][c][2-a][2-b]; winoFilter reads it through a
	// reversed copy.
	wr := getBuf(len(w[:s.F*k2]))
	for i, v := range w[:s.F*k2] {
		(*wr)[s.F*k2-1-i] = v
	}
	// w[f][c][2-a][2-b] = wr[(F-1-f)*k2 + (C-1-c)*9 + 3a + b].
	up := q.winoFilter(func(c, f int) int { return (s.F-1-f)*k2 + (s.C-1-c)*9 }, *wr)
	bp := getBuf(s.C)
	clear(*bp)
	parallelImages(s.N, func(lo, hi int) { q.run(lo, hi, dy, *up, *bp, dx) })
	putBuf(bp)
	putBuf(up)
	putBuf(wr)
}

// winoDy transforms, for f < nf, the output gradients of eight 2x2 tiles
// whose two rows start at src[f*plane] and src[f*plane+pitch] (tile l at
// columns 2l, 2l+1) into Z = A·dy·Aᵀ with the signs of row and column 3
// left out: with y the tile, rows r0 = y0, r1 = y0+y1, r2 = y0-y1, r3 =
// y1, and Z[i] = (r_i0, r_i0+r_i1, r_i0-r_i1, r_i1); Z[i][j] of tile l is
// stored at dst[(4i+j)*dstX + f*dstF + l].
func winoDy(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int) {
	_ = src[(nf-1)*plane+pitch+15]
	_ = dst[15*dstX+(nf-1)*dstF+7]
	if useAsm {
		winoDyAsm(src, pitch, plane, nf, dst, dstF, dstX)
		return
	}
	winoDyGo(src, pitch, plane, nf, dst, dstF, dstX)
}

// winoDyGo is the portable form of winoDy, with the same operations in
// the same order.
func winoDyGo(src []float32, pitch, plane, nf int, dst []float32, dstF, dstX int) {
	for f := 0; f < nf; f++ {
		s := src[f*plane:]
		for l := 0; l < 8; l++ {
			y00, y01 := s[2*l], s[2*l+1]
			y10, y11 := s[pitch+2*l], s[pitch+2*l+1]
			r := [4][2]float32{{y00, y01}, {y00 + y10, y01 + y11}, {y00 - y10, y01 - y11}, {y10, y11}}
			o := f*dstF + l
			for i, ri := range r {
				a, b := ri[0], ri[1]
				dst[4*i*dstX+o] = a
				dst[(4*i+1)*dstX+o] = a + b
				dst[(4*i+2)*dstX+o] = a - b
				dst[(4*i+3)*dstX+o] = b
			}
		}
	}
}

// winoFilterGrad is the part of a plan that the filter gradient uses:
// the products are 4x3 tiles of dot products (dot) over the tiles of a
// block, so V and Z hold whole tiles of rows (c3 and f4 rows), and (m =
// 2) the output gradients are copied into planes of 2·th rows of wq
// columns.
type winoFilterGrad struct {
	f4, c3 int     // filters and channels rounded up to the dot tile
	ib, rb int     // images and tile rows per block, as in winoPlan
	nbc    int     // column pitch of V and Z
	vx, zx int     // ξ pitches of V (c3 rows) and Z (f4 rows)
	wq     int     // row pitch of the prepared output gradients
	dyLen  int     // cout·2·th·wq
	boff   []int32 // c·nbc for c < c3
	tab    []int32 // 0, 8, 16, …: the chunks of the sums
}

// winoFilterTiles and winoFilterTiles4 are the numbers of tiles a block
// of the filter gradient aims at, with F(2x2, 3x3) and F(4x4, 3x3) tiles:
// its sums are dot products over the tiles of a block, whose depth must
// repay the calls, while V and Z (16 or 36 ξ) should stay in the L2
// cache.
var winoFilterTiles, winoFilterTiles4 = 512, 256

func (q *winoPlan) filterGrad() *winoFilterGrad {
	g := &winoFilterGrad{f4: (q.cout + dotRows - 1) / dotRows * dotRows, c3: (q.cin + dotCols - 1) / dotCols * dotCols}
	tiles := winoFilterTiles
	if q.m == 4 {
		tiles = winoFilterTiles4
	}
	g.ib, g.rb = max(1, tiles/q.ti), q.th
	maxTiles := g.ib * q.ti
	if q.ti > tiles {
		g.rb = max(1, tiles/q.tw)
		maxTiles = g.rb * q.tw
	}
	g.nbc = oddLines(maxTiles + 8)
	g.vx, g.zx = oddLines(g.c3*g.nbc), oddLines(g.f4*g.nbc)
	g.wq = 2 * max(q.tw, 8)
	g.dyLen = q.cout * 2 * q.th * g.wq
	g.boff = make([]int32, g.c3)
	for c := range g.boff {
		g.boff[c] = int32(c * g.nbc)
	}
	g.tab = make([]int32, g.nbc/8)
	for i := range g.tab {
		g.tab[i] = int32(8 * i)
	}
	return g
}

// winoBackwardFilter computes Conv2DBackwardFilter for a shape
// winoApplies to, with m×m output tiles (m = 2 or 4): dU[ξ] = Σ over
// tiles of Z[ξ]·V[ξ]ᵀ, summed per group of images (parallelGroups) in
// blocks fixed by the group, and dw = Gᵀ dU G per filter and channel, in
// float64. The bias gradient is the sum of the Z[ξ] that sums each tile
// (ξ = 5, or 7 for m = 4).
func winoBackwardFilter(s ConvShape, m int, x, dy, dw, db []float32) {
	key := winoKey{m, s.C, s.H, s.W, s.F, s.PadT, s.PadL, s.OH, s.OW}
	q := newWinoPlan(key)
	g := q.fg
	nw, _ := groups(s.N)
	du := q.nx * g.f4 * g.c3
	accLen := du + s.F
	partp := getBuf(nw * accLen)
	part := *partp
	parallelGroups(s.N, func(wk, lo, hi int) {
		acc := part[wk*accLen : (wk+1)*accLen]
		clear(acc)
		if m == 4 {
			q.filterRun4(g, lo, hi, x, dy, acc)
		} else {
			q.filterRun(g, lo, hi, x, dy, acc)
		}
	})
	sumGroups(part, accLen, nw)
	if db != nil {
		copy(db[:s.F], part[du:])
	}
	if m == 4 {
		winoFilterOut4(g, s.F, s.C, part, dw)
		putBuf(partp)
		return
	}
	sign := [4]float64{1, 1, 1, -1}
	k2 := s.C * 9
	for f := 0; f < s.F; f++ {
		for c := 0; c < s.C; c++ {
			var t [3][4]float64 // Gᵀ dU
			for j := 0; j < 4; j++ {
				var u [4]float64
				for i := range u {
					u[i] = sign[i] * sign[j] * float64(part[((4*i+j)*g.f4+f)*g.c3+c])
				}
				t[0][j] = u[0] + (u[1]+u[2])/2
				t[1][j] = (u[1] - u[2]) / 2
				t[2][j] = (u[1]+u[2])/2 + u[3]
			}
			d := dw[f*k2+c*9 : f*k2+c*9+9]
			for a := 0; a < 3; a++ {
				r := t[a]
				d[3*a] = float32(r[0] + (r[1]+r[2])/2)
				d[3*a+1] = float32((r[1] - r[2]) / 2)
				d[3*a+2] = float32((r[1]+r[2])/2 + r[3])
			}
		}
	}
	putBuf(partp)
}

// filterRun adds the products of the images [lo, hi) to acc (dU[ξ][f][c]
// at (ξ·f4 + f)·c3 + c, then the bias gradient).
func (q *winoPlan) filterRun(g *winoFilterGrad, lo, hi int, x, dy, acc []float32) {
	dypb := getBuf(0)
	if !q.direct {
		dypb = getBuf(g.ib * g.dyLen)
	}
	vb := getBuf(16 * g.vx)
	zb := getBuf(16 * g.zx)
	defer func() {
		putBuf(zb)
		putBuf(vb)
		putBuf(dypb)
	}()
	dyp, v, z := *dypb, *vb, *zb
	chw, fp, hw := q.cin*q.h*q.w, q.cout*q.oh*q.ow, q.h*q.w
	dplane := 2 * q.th * g.wq
	// Where the tiles cover the output exactly and rows hold 8 tiles or
	// more, the output gradients are read in place.
	dyLen, wq := g.dyLen, g.wq
	if q.direct {
		dyLen, wq, dplane = fp, q.ow, q.oh*q.ow
	}
	sums := acc[16*g.f4*g.c3:]
	rows := make([]tileRow, 0, g.ib*g.rb)
	for n0 := lo; n0 < hi; n0 += g.ib {
		n1 := min(n0+g.ib, hi)
		// The output gradients are copied into planes of rows of wq
		// unless they are read in place.
		for n := n0; n < n1 && !q.direct; n++ {
			d := dyp[(n-n0)*g.dyLen : (n-n0+1)*g.dyLen]
			for f := 0; f < q.cout; f++ {
				copyRowsPadded(d[f*dplane:], g.wq, dy[n*fp+f*q.oh*q.ow:], q.ow, q.oh, q.ow, 0, g.wq)
				clear(d[f*dplane+q.oh*g.wq : (f+1)*dplane])
			}
		}
		for ty0 := 0; ty0 < q.th; ty0 += g.rb {
			ty1 := min(ty0+g.rb, q.th)
			rows = blockRows(rows, n0, n1, ty0, ty1)
			nt := len(rows) * q.tw
			for k, r := range rows {
				wins := q.win[q.rpat[r.ty]]
				off := r.n*chw + (2*r.ty-q.padT)*q.w - q.padL
				var dsrc []float32
				if q.direct {
					dsrc = dy[r.n*fp+2*r.ty*wq:]
				} else {
					dsrc = dyp[(r.n-n0)*dyLen+2*r.ty*wq:]
				}
				for gi, tx := range q.gx {
					winoIn(x, off+2*tx, q.w, hw, q.cin, v[k*q.tw+tx:], g.nbc, g.vx, &wins[gi])
					winoDy(dsrc[2*tx:], wq, dplane, q.cout, z[k*q.tw+tx:], g.nbc, g.zx)
				}
			}
			// Z[1][1] (ξ = 5) is the sum of a tile's output gradients.
			g.sumBlock(16, 5, nt, q.cin, q.cout, v, z, acc, sums)
		}
	}
}

// sumBlock adds the products of a block of nt tiles, dU[ξ] += Z[ξ]·V[ξ]ᵀ
// for the nx ξ, to acc, and the sums of Z[sumXi] (each tile's sum of
// output gradients) to sums. The sums run over whole chunks of 8 tiles:
// the columns past the tiles are cleared in the rows that count.
func (g *winoFilterGrad) sumBlock(nx, sumXi, nt, cin, cout int, v, z, acc, sums []float32) {
	nt8 := (nt + 7) / 8 * 8
	for xi := 0; xi < nx; xi++ {
		for c := 0; c < cin; c++ {
			zeroFew(v[xi*g.vx+c*g.nbc+nt : xi*g.vx+c*g.nbc+nt8])
		}
		for f := 0; f < cout; f++ {
			zeroFew(z[xi*g.zx+f*g.nbc+nt : xi*g.zx+f*g.nbc+nt8])
		}
	}
	src := g.tab[:nt8/8]
	for xi := 0; xi < nx; xi++ {
		a, b := z[xi*g.zx:], v[xi*g.vx:]
		for f0 := 0; f0 < g.f4; f0 += dotRows {
			for c0 := 0; c0 < g.c3; c0 += dotCols {
				dot(1, a[f0*g.nbc:], g.nbc, 0, src, b, g.boff[c0:c0+dotCols], 0, acc[(xi*g.f4+f0)*g.c3+c0:], g.c3)
			}
		}
	}
	for f := 0; f < cout; f++ {
		sums[f] += sum(z[sumXi*g.zx+f*g.nbc : sumXi*g.zx+f*g.nbc+nt8])
	}
}

// tileRow is one row of tiles of a block: tile row ty of image n.
type tileRow struct{ n, ty int }

// blockRows returns rows[:0] with the tile rows [ty0, ty1) of the images
// [n0, n1), image by image: the tiles of a block, in the order their
// transforms fill the columns of V.
func blockRows(rows []tileRow, n0, n1, ty0, ty1 int) []tileRow {
	rows = rows[:0]
	for n := n0; n < n1; n++ {
		for ty := ty0; ty < ty1; ty++ {
			rows = append(rows, tileRow{n, ty})
		}
	}
	return rows
}
