package kernels

import "github.com/pkg/errors"

// DepthwiseShape describes a depthwise 2-D convolution over a batch in
// NCHW layout: each input channel c is convolved with M filters of its own,
// giving output channels c·M … c·M+M−1. The weights are [C·M, 1, KH, KW]
// (ONNX's grouped convolution with C groups). Taps are DH rows and DW
// columns apart (dilation; 1 for a plain convolution). PadT and PadL are
// the zero padding before the input; OH and OW are chosen by the caller,
// as for ConvShape.
type DepthwiseShape struct {
	N, C, H, W int // input: batch, channels, height, width
	M          int // depth multiplier: filters per input channel
	KH, KW     int // kernel size
	SH, SW     int // stride
	DH, DW     int // dilation
	PadT, PadL int // zero padding before the input
	OH, OW     int // output size
}

// Validate reports whether the shape is usable: all sizes, strides and
// dilations positive, and every output window, of the dilated kernel's
// extent, overlapping the input.
func (s DepthwiseShape) Validate() error {
	if s.N <= 0 || s.C <= 0 || s.H <= 0 || s.W <= 0 || s.M <= 0 {
		return errors.Errorf("kernels: depthwise input size N=%d C=%d H=%d W=%d and multiplier %d must be positive", s.N, s.C, s.H, s.W, s.M)
	}
	if s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0 || s.DH <= 0 || s.DW <= 0 {
		return errors.Errorf("kernels: depthwise kernel %dx%d, stride %dx%d and dilation %dx%d must be positive", s.KH, s.KW, s.SH, s.SW, s.DH, s.DW)
	}
	if s.OH <= 0 || s.OW <= 0 {
		return errors.Errorf("kernels: depthwise output size %dx%d must be positive", s.OH, s.OW)
	}
	return checkWindows(s.H, s.W, (s.KH-1)*s.DH+1, (s.KW-1)*s.DW+1, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func (s DepthwiseShape) mustValidate() {
	if err := s.Validate(); err != nil {
		panic(err)
	}
}

// dwBlock is the granule of the flat depthwise kernels (dwTaps, dwDots):
// every flat length they get is a multiple of it, so that the assembly
// needs no tail.
const dwBlock = 32

// dwPlan lays out a depthwise convolution for the flat kernels.
//
// The zero-padded input plane is split into SH·SW phase planes: phase
// (a, b) holds the padded cells (r·SH+a, q·SW+b) at row r, column q of a
// plane of hq rows and pitch wq. Tap (i, j) of output (oh, ow) reads the
// padded cell (oh·SH+i·DH, ow·SW+j·DW), which is cell (oh+⌊i·DH/SH⌋,
// ow+⌊j·DW/SW⌋) of phase ((i·DH) mod SH, (j·DW) mod SW). With the outputs
// laid out at the same pitch wq, flat output k = oh·wq+ow therefore reads
// flat cell k+loc[t] of its tap's phase, whatever the stride and dilation:
// every tap is one contiguous stream. The wq−OW columns after each output
// row are junk in the forward pass and zero in the gradients, and the
// last phase row (never read by a real output) absorbs the junk columns'
// reads.
type dwPlan struct {
	wq, hq, lq int     // phase plane pitch, rows and size
	phases     int     // SH·SW
	n          int     // flat output length: OH·wq rounded up to dwBlock
	nd         int     // flat phase plane length of the data gradient: lq rounded up
	marg       int     // the largest loc
	xlen       int     // length of a phase buffer read by dwTaps/dwDots over n
	dxlen      int     // length of the phase buffer the data gradient writes
	loc        []int   // per tap t = i·KW+j: ⌊i·DH/SH⌋·wq + ⌊j·DW/SW⌋
	off        []int   // per tap: its phase's start in the phase buffer + loc[t]
	byPhase    [][]int // the taps of each phase
	// The columns iw0[b], iw0[b]+SW, … of an input row go to the cnt[b]
	// cells from colOff[b] on of its row in the phase buffer (column
	// phase b).
	iw0, colOff, cnt []int
	// The rows fillPhases copies, grouped by row phase: group g takes
	// input rows g.ih, g.ih+SH, … (g.n of them) to consecutive rows of
	// the phase buffer from g.off on.
	rows []dwRows
	// pairs > 0 when SW is 2 and input columns 2k and 2k+1 go to column
	// colOff[0]+k of phase 0 and colOff[1]+k of phase 1 for k < pairs:
	// those are split and joined as pairs.
	pairs int
	// rest is set when some columns are not in pairs (see fillPhases).
	rest bool
	// partial is set when some input cells are in no phase cell (no
	// output reads them): their gradient is zero.
	partial bool
}

// dwRows is a group of input rows of one row phase (see dwPlan.rows).
type dwRows struct{ ih, n, off int }

func newDwPlan(s *DepthwiseShape) dwPlan {
	rmax, cmax := (s.KH-1)*s.DH/s.SH, (s.KW-1)*s.DW/s.SW
	p := dwPlan{wq: s.OW + cmax, hq: s.OH + rmax + 1, phases: s.SH * s.SW}
	p.lq = p.hq * p.wq
	p.n = roundUp(s.OH*p.wq, dwBlock)
	p.nd = roundUp(p.lq, dwBlock)
	p.marg = rmax*p.wq + cmax
	p.dxlen = (p.phases-1)*p.lq + p.nd
	p.byPhase = make([][]int, p.phases)
	k := s.KH * s.KW
	p.loc, p.off = make([]int, k), make([]int, k)
	maxOff := 0
	for i := range s.KH {
		for j := range s.KW {
			t := i*s.KW + j
			ph := (i*s.DH%s.SH)*s.SW + j*s.DW%s.SW
			p.loc[t] = i*s.DH/s.SH*p.wq + j*s.DW/s.SW
			p.off[t] = ph*p.lq + p.loc[t]
			p.byPhase[ph] = append(p.byPhase[ph], t)
			maxOff = max(maxOff, p.off[t])
		}
	}
	p.xlen = max(p.phases*p.lq, maxOff+p.n)
	// Input row ih goes to the phase buffer's row at rowOff[ih], or
	// nowhere if rowOff[ih] < 0.
	rowOff := make([]int, s.H)
	for ih := range s.H {
		r, a := (ih+s.PadT)/s.SH, (ih+s.PadT)%s.SH
		rowOff[ih] = -1
		if r < p.hq {
			rowOff[ih] = a*s.SW*p.lq + r*p.wq
		}
	}
	p.iw0, p.colOff, p.cnt = make([]int, s.SW), make([]int, s.SW), make([]int, s.SW)
	for b := range s.SW {
		iw0 := ((b-s.PadL)%s.SW + s.SW) % s.SW
		c0 := (iw0 + s.PadL) / s.SW
		cnt := 0
		if iw0 < s.W {
			cnt = min((s.W-iw0+s.SW-1)/s.SW, p.wq-c0)
		}
		p.iw0[b], p.colOff[b], p.cnt[b] = iw0, b*p.lq+c0, max(cnt, 0)
	}
	covered := 0
	for ih := range min(s.SH, s.H) {
		g := dwRows{ih: ih, off: rowOff[ih]}
		for r := ih; r < s.H && rowOff[r] >= 0; r += s.SH {
			g.n++
		}
		if g.n > 0 {
			p.rows = append(p.rows, g)
			covered += g.n
		}
	}
	cols := 0
	for _, c := range p.cnt {
		cols += c
	}
	p.partial = covered < s.H || cols < s.W
	if s.SW == 2 && p.iw0[0] == 0 && p.iw0[1] == 1 && p.colOff[1]-p.lq == p.colOff[0] {
		p.pairs = min(p.cnt[0], p.cnt[1])
	}
	p.rest = s.SW > 1 && cols > 2*p.pairs
	return p
}

// roundUp returns n rounded up to a multiple of m.
func roundUp(n, m int) int { return (n + m - 1) / m * m }

// fillPhases copies the input plane x ([H,W]) into the phase buffer d,
// whose padding cells are zero and stay so; cells that no output reads
// are left out.
func fillPhases[T float32 | float64](s *DepthwiseShape, p *dwPlan, d, x []T) {
	for _, g := range p.rows {
		src := x[g.ih*s.W:]
		if s.SW == 1 {
			dwCopyRows(d[g.off+p.colOff[0]:], p.wq, src[p.iw0[0]:], s.SH*s.W, g.n, p.cnt[0])
			continue
		}
		if p.pairs > 0 {
			dwSplitRows(src, s.SH*s.W, d[g.off+p.colOff[0]:], d[g.off+p.colOff[1]:], p.wq, g.n, p.pairs)
		}
		if !p.rest {
			continue
		}
		for r := range g.n {
			row := src[r*s.SH*s.W:][:s.W]
			for b, cnt := range p.cnt {
				if b < 2 && p.pairs > 0 {
					cnt -= p.pairs
				}
				if cnt <= 0 {
					continue
				}
				first := 0
				if b < 2 {
					first = p.pairs
				}
				dst := d[g.off+r*p.wq+p.colOff[b]+first:][:cnt]
				in := row[p.iw0[b]+first*s.SW:]
				_ = in[(cnt-1)*s.SW]
				for q := range dst {
					dst[q] = in[q*s.SW]
				}
			}
		}
	}
}

// gatherPhases is the transpose of fillPhases: it overwrites the plane
// dx ([H,W]) with the cells of the phase buffer d that fillPhases would
// have filled from it, and zero elsewhere.
func gatherPhases[T float32 | float64](s *DepthwiseShape, p *dwPlan, dx, d []T) {
	if p.partial {
		clear(dx)
	}
	for _, g := range p.rows {
		dst := dx[g.ih*s.W:]
		if s.SW == 1 {
			dwCopyRows(dst[p.iw0[0]:], s.SH*s.W, d[g.off+p.colOff[0]:], p.wq, g.n, p.cnt[0])
			continue
		}
		if p.pairs > 0 {
			dwJoinRows(d[g.off+p.colOff[0]:], d[g.off+p.colOff[1]:], p.wq, dst, s.SH*s.W, g.n, p.pairs)
		}
		if !p.rest {
			continue
		}
		for r := range g.n {
			row := dst[r*s.SH*s.W:][:s.W]
			for b, cnt := range p.cnt {
				first := 0
				if b < 2 && p.pairs > 0 {
					cnt -= p.pairs
					first = p.pairs
				}
				if cnt <= 0 {
					continue
				}
				src := d[g.off+r*p.wq+p.colOff[b]+first:][:cnt]
				out := row[p.iw0[b]+first*s.SW:]
				_ = out[(cnt-1)*s.SW]
				for q, v := range src {
					out[q*s.SW] = v
				}
			}
		}
	}
}

// dwCopyRows copies n values from each of rows rows of src (pitch sp)
// to dst (pitch dp), with copyRows for float32 where it fits.
func dwCopyRows[T float32 | float64](dst []T, dp int, src []T, sp, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if d32, ok := any(dst).([]float32); ok && useAsm && copyRowsAsm(d32, dp, any(src).([]float32), sp, rows, n, 0, n) {
		return
	}
	for r := range rows {
		copy(dst[r*dp:][:n], src[r*sp:][:n])
	}
}

// dwSplitRows sets, for r < rows, d0[r·dp+k] = src[r·sp+2k] and
// d1[r·dp+k] = src[r·sp+2k+1] for k < n, with deinterleaveRows for
// float32.
func dwSplitRows[T float32 | float64](src []T, sp int, d0, d1 []T, dp, rows, n int) {
	if s32, ok := any(src).([]float32); ok {
		deinterleaveRows(s32, sp, any(d0).([]float32), any(d1).([]float32), dp, rows, n, 0, n, 0, n, 0, n)
		return
	}
	for r := range rows {
		in, e0, e1 := src[r*sp:][:2*n], d0[r*dp:][:n], d1[r*dp:][:n]
		for k := range e0 {
			e0[k], e1[k] = in[2*k], in[2*k+1]
		}
	}
}

// dwJoinRows is the inverse of dwSplitRows, with interleaveRows for
// float32.
func dwJoinRows[T float32 | float64](s0, s1 []T, sp int, dst []T, dp, rows, n int) {
	if d32, ok := any(dst).([]float32); ok {
		interleaveRows(any(s0).([]float32), any(s1).([]float32), sp, d32, dp, rows, n)
		return
	}
	for r := range rows {
		a, b, e := s0[r*sp:][:n], s1[r*sp:][:n], dst[r*dp:][:2*n]
		for k, v := range a {
			e[2*k], e[2*k+1] = v, b[k]
		}
	}
}

// dwTaps sets dst[k] = init + Σ_t w[t]·src[off[t]+k] for every k <
// len(dst), a multiple of dwBlock, adding the taps in order. off is not
// empty.
func dwTaps[T float32 | float64](dst, src []T, off []int, w []T, init T) {
	if d, ok := any(dst).([]float32); ok && useAsm {
		dwTapsAsm(d, any(src).([]float32), off, any(w).([]float32), any(init).(float32))
		return
	}
	dwTapsGo(dst, src, off, w, init)
}

func dwTapsGo[T float32 | float64](dst, src []T, off []int, w []T, init T) {
	n := len(dst)
	for k := range dst {
		dst[k] = init
	}
	t := 0
	for ; t+3 <= len(off); t += 3 {
		a, b, c := src[off[t]:][:n], src[off[t+1]:][:n], src[off[t+2]:][:n]
		w0, w1, w2 := w[t], w[t+1], w[t+2]
		for k := range dst {
			dst[k] = dst[k] + w0*a[k] + w1*b[k] + w2*c[k]
		}
	}
	for ; t < len(off); t++ {
		a, w0 := src[off[t]:][:n], w[t]
		for k := range dst {
			dst[k] += w0 * a[k]
		}
	}
}

// dwDots adds to acc[t] the dot product of a and src[off[t]:][:len(a)]
// for every tap t; len(a) is a multiple of dwBlock. off is not empty.
func dwDots[T float32 | float64](a, src []T, off []int, acc []T) {
	if a32, ok := any(a).([]float32); ok && useAsm {
		dwDotsAsm(a32, any(src).([]float32), off, any(acc).([]float32))
		return
	}
	dwDotsGo(a, src, off, acc)
}

func dwDotsGo[T float32 | float64](a, src []T, off []int, acc []T) {
	n := len(a)
	for t, o := range off {
		b := src[o:][:n]
		var s0, s1, s2, s3 T
		for k := 0; k+4 <= n; k += 4 {
			s0 += a[k] * b[k]
			s1 += a[k+1] * b[k+1]
			s2 += a[k+2] * b[k+2]
			s3 += a[k+3] * b[k+3]
		}
		acc[t] += (s0 + s1) + (s2 + s3)
	}
}

// dwSum returns the sum of a, whose length is a multiple of dwBlock.
func dwSum[T float32 | float64](a []T) T {
	if a32, ok := any(a).([]float32); ok {
		if useAsm {
			return T(sumAsm(a32))
		}
		return T(sumGo(a32))
	}
	var s T
	for _, v := range a {
		s += v
	}
	return s
}

// DepthwiseForward computes y[n,c·M+m,oh,ow] = b[c·M+m] + Σ_{i,j}
// w[c·M+m,0,i,j] · x[n,c,oh·SH+i·DH−PadT, ow·SW+j·DW−PadL], with x taken as
// zero outside the input. x is [N,C,H,W], w [C·M,1,KH,KW], b [C·M] or nil,
// and y ([N,C·M,OH,OW]) is fully overwritten. Input planes are copied into
// the phase layout of dwPlan and convolved by dwTaps, in parallel.
func DepthwiseForward[T float32 | float64](s DepthwiseShape, x, w, b, y []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = x[s.N*s.C*hw-1], w[cm*k-1], y[s.N*cm*ohw-1]
	if b != nil {
		_ = b[cm-1]
	}
	p := newDwPlan(&s)
	ParallelFor(s.N*s.C, func(lo, hi int) {
		xb, yb := make([]T, p.xlen), make([]T, p.n)
		for q := lo; q < hi; q++ {
			n, c := q/s.C, q%s.C
			fillPhases(&s, &p, xb, x[q*hw:][:hw])
			for m := range s.M {
				o := c*s.M + m
				var bias T
				if b != nil {
					bias = b[o]
				}
				dwTaps(yb, xb, p.off, w[o*k:][:k], bias)
				dwCopyRows(y[(n*cm+o)*ohw:][:ohw], s.OW, yb, p.wq, s.OH, s.OW)
			}
		}
	})
}

// DepthwiseBackwardData computes dx (fully overwritten, [N,C,H,W]), the
// gradient of DepthwiseForward with respect to x, from w and dy. Each
// phase plane of the input gradient gathers, with dwTaps, the output
// gradients its taps fed (dy laid out at the phase pitch after a zero
// margin); input planes are computed in parallel.
func DepthwiseBackwardData[T float32 | float64](s DepthwiseShape, w, dy, dx []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = dx[s.N*s.C*hw-1], w[cm*k-1], dy[s.N*cm*ohw-1]
	p := newDwPlan(&s)
	rm := p.marg + p.nd // one output gradient plane in dyb, margin included
	ParallelFor(s.N*s.C, func(lo, hi int) {
		dyb, db := make([]T, s.M*rm), make([]T, p.dxlen)
		off, ws := make([]int, s.M*k), make([]T, s.M*k)
		for q := lo; q < hi; q++ {
			n, c := q/s.C, q%s.C
			for m := range s.M {
				dwCopyRows(dyb[m*rm+p.marg:], p.wq, dy[(n*cm+c*s.M+m)*ohw:][:ohw], s.OW, s.OH, s.OW)
			}
			for ph, taps := range p.byPhase {
				if len(taps) == 0 {
					clear(db[ph*p.lq:][:p.lq])
					continue
				}
				u := 0
				for m := range s.M {
					wp := w[(c*s.M+m)*k:][:k]
					for _, t := range taps {
						off[u], ws[u] = m*rm+p.marg-p.loc[t], wp[t]
						u++
					}
				}
				dwTaps(db[ph*p.lq:][:p.nd], dyb, off[:u], ws[:u], 0)
			}
			gatherPhases(&s, &p, dx[q*hw:][:hw], db)
		}
	})
}

// DepthwiseBackwardFilter computes dw ([C·M,1,KH,KW]) and, if db is not
// nil, db ([C·M]), both fully overwritten: the gradients of
// DepthwiseForward with respect to w and b, from x and dy. Every tap's
// gradient is a dot product (dwDots) of dy, laid out at the phase pitch
// with zero junk columns, and the tap's stream of the input's phase
// buffer. Filters are computed in parallel; each sums over the batch in
// order, so the result does not depend on GOMAXPROCS.
func DepthwiseBackwardFilter[T float32 | float64](s DepthwiseShape, x, dy, dw, db []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = x[s.N*s.C*hw-1], dw[cm*k-1], dy[s.N*cm*ohw-1]
	if db != nil {
		_ = db[cm-1]
	}
	p := newDwPlan(&s)
	ParallelFor(cm, func(lo, hi int) {
		xb, yb := make([]T, p.xlen), make([]T, p.n)
		for o := lo; o < hi; o++ {
			acc := dw[o*k:][:k]
			clear(acc)
			var bias T
			for n := range s.N {
				fillPhases(&s, &p, xb, x[(n*s.C+o/s.M)*hw:][:hw])
				dwCopyRows(yb, p.wq, dy[(n*cm+o)*ohw:][:ohw], s.OW, s.OH, s.OW)
				dwDots(yb, xb, p.off, acc)
				bias += dwSum(yb)
			}
			if db != nil {
				db[o] = bias
			}
		}
	})
}

// depthwiseVisit calls fn(xi, wi, yi) for every product x[xi]·w[wi] that
// contributes to y[yi] in the depthwise convolution s.
func depthwiseVisit(s DepthwiseShape, fn func(xi, wi, yi int)) {
	for n := range s.N {
		for c := range s.C {
			for m := range s.M {
				o := c*s.M + m
				for oh := range s.OH {
					for ow := range s.OW {
						yi := ((n*s.C*s.M+o)*s.OH+oh)*s.OW + ow
						for i := range s.KH {
							ih := oh*s.SH + i*s.DH - s.PadT
							for j := range s.KW {
								iw := ow*s.SW + j*s.DW - s.PadL
								if ih < 0 || ih >= s.H || iw < 0 || iw >= s.W {
									continue
								}
								fn(((n*s.C+c)*s.H+ih)*s.W+iw, (o*s.KH+i)*s.KW+j, yi)
							}
						}
					}
				}
			}
		}
	}
}

// NaiveDepthwiseForward is DepthwiseForward in plain float64 loops, the
// reference the kernel is tested against.
func NaiveDepthwiseForward(s DepthwiseShape, x, w, b, y []float64) {
	naiveForward(func(fn func(xi, wi, yi int)) { depthwiseVisit(s, fn) }, s.N, s.C*s.M, s.OH*s.OW, x, w, b, y)
}

// NaiveDepthwiseBackward computes, in plain float64 loops, whichever of dx,
// dw and db are non-nil (each overwritten) from dy.
func NaiveDepthwiseBackward(s DepthwiseShape, x, w, dy, dx, dw, db []float64) {
	naiveBackward(func(fn func(xi, wi, yi int)) { depthwiseVisit(s, fn) }, s.N, s.C*s.M, s.OH*s.OW, x, w, dy, dx, dw, db)
}
