package kernels

import (
	"sync"
	"sync/atomic"
)

// convPlan maps a convolution onto the chunked kernels, which read the
// input image in place ("implicit im2col"): output rows are cut into chunks
// of 8 consecutive positions, and patch element kk of the chunk's eight
// windows is the 8-float vector at image offset offK[kk] + src[t].
//
// That needs a unit column stride and output rows that are a whole number
// of chunks. Other shapes are brought into this form by a copy of the
// image at memory speed, the "prepared" image:
//
//   - zero padding (PadT, PadL, and windows overhanging the bottom/right)
//     is written out;
//   - a column stride SW > 1 is removed by splitting the columns into SW
//     phases: phase j0 of channel c holds the columns SW*u + j0 as channel
//     c*SW+j0, and kernel column j = SW*j1 + j0 reads column j1 of that
//     channel (j1 < kw2 = ceil(KW/SW));
//   - rows are made wide enough for OW rounded up to a multiple of 8
//     (owp); the extra output columns are computed from zeros and dropped.
//
// Output and output-gradient planes are processed as OH rows of owp
// columns, so chunk t covers plane positions [8t, 8t+8). When owp != OW
// they go through zero-padded scratch planes. For the recipe's layers
// (stride 1, no padding, OW of 24 and 8) no copy is made.
//
// The forward pass, which stores its results rather than adding them, has
// a plan of its own (newConvPlanFwd) that needs neither the output's
// scratch planes nor, for stride 1 without padding, the prepared image,
// when OW >= 8: the last chunk of each output row starts at OW-8 and
// overlaps the one before, whose overlapped positions it computes again
// with the same results (owp = OW).
type convPlan struct {
	s      *ConvShape
	c2     int     // channels after the phase split (C*SW)
	kw2    int     // kernel width after the phase split (ceil(KW/SW))
	k2     int     // patch length C*KH*KW
	direct bool    // the images are read in place (no prepared copy)
	hp, wp int     // plane size of the image the offsets refer to
	imgLen int     // length of one such image
	owp    int     // OW rounded up to a multiple of 8, or OW (overlapping chunks)
	outLen int     // OH*owp, the length of an output plane as processed
	offK   []int32 // per patch element (c, i, j), in weight order: (c2*hp+i)*wp + j1
	nch    int     // chunks per output plane
	src    []int32 // per chunk t: image offset of its first window
	pos    []int32 // per chunk t: its position in the output plane
	// src and pos have an even length: an odd last chunk is repeated.
}

// planKey identifies a plan: the shape with N = 0 (plans do not depend on
// the batch size) and whether it is the forward pass's.
type planKey struct {
	s   ConvShape
	fwd bool
}

// plans caches the plans by planKey: a network uses few shapes.
var plans planCache[planKey, convPlan]

// newConvPlan returns the (shared, read-only) plan of s for the gradients.
func newConvPlan(s *ConvShape) *convPlan { return cachedPlan(s, false) }

// newConvPlanFwd returns the (shared, read-only) plan of s for the forward
// pass, whose last chunks may overlap.
func newConvPlanFwd(s *ConvShape) *convPlan { return cachedPlan(s, true) }

func cachedPlan(s *ConvShape, fwd bool) *convPlan {
	key := planKey{*s, fwd}
	key.s.N = 0
	return plans.get(key, func() *convPlan {
		ks := key.s // the plan keeps its own copy
		return makeConvPlan(&ks, fwd)
	})
}

// planCache maps shapes to plans. A lookup reads an immutable map through
// one atomic load, without a lock and without allocating (a sync.Map boxes
// every key); a miss copies the map with the new plan under a mutex. A
// network has few shapes, so the copies are few and small.
type planCache[K comparable, P any] struct {
	m  atomic.Pointer[map[K]*P]
	mu sync.Mutex
}

// get returns the plan of key, made by build on the first request.
func (c *planCache[K, P]) get(key K, build func() *P) *P {
	if m := c.m.Load(); m != nil {
		if p, ok := (*m)[key]; ok {
			return p
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if p, ok := (*old)[key]; ok {
			return p
		}
	}
	next := build()
	m := map[K]*P{key: next}
	if old != nil {
		for k, v := range *old {
			m[k] = v
		}
	}
	c.m.Store(&m)
	return next
}

func makeConvPlan(s *ConvShape, fwd bool) *convPlan {
	p := &convPlan{s: s, c2: s.C * s.SW, kw2: (s.KW + s.SW - 1) / s.SW}
	p.k2 = s.C * s.KH * s.KW
	p.owp = (s.OW + 7) / 8 * 8
	if fwd && s.OW >= 8 {
		p.owp = s.OW
	}
	p.outLen = s.OH * p.owp
	hNeed := (s.OH-1)*s.SH + s.KH
	p.direct = s.SW == 1 && s.PadT == 0 && s.PadL == 0 && p.owp == s.OW &&
		hNeed <= s.H && s.OW-1+s.KW <= s.W
	if p.direct {
		p.hp, p.wp = s.H, s.W
	} else {
		p.hp, p.wp = hNeed, p.owp-1+p.kw2
	}
	p.imgLen = p.c2 * p.hp * p.wp
	p.offK = make([]int32, p.k2)
	kk := 0
	for c := 0; c < s.C; c++ {
		for i := 0; i < s.KH; i++ {
			for j := 0; j < s.KW; j++ {
				c2 := c*s.SW + j%s.SW
				p.offK[kk] = int32((c2*p.hp+i)*p.wp + j/s.SW)
				kk++
			}
		}
	}
	for oh := 0; oh < s.OH; oh++ {
		for ow := 0; ow < p.owp; ow += 8 {
			ow := min(ow, p.owp-8)
			p.src = append(p.src, int32(oh*s.SH*p.wp+ow))
			p.pos = append(p.pos, int32(oh*p.owp+ow))
		}
	}
	p.nch = len(p.src)
	if p.nch%2 != 0 {
		p.src = append(p.src, p.src[p.nch-1])
		p.pos = append(p.pos, p.pos[p.nch-1])
	}
	return p
}

// cols returns, for stride phase j0, the prepared columns [lo, hi) that
// hold input values: those u whose padded input column ww = SW*u + j0 lies
// inside the input and is read by some window. A window reads ww exactly
// when ww%SW = j0 < KW and ww < (OW-1)*SW + KW; the other prepared cells
// are zero.
func (p *convPlan) cols(j0 int) (lo, hi int) {
	s := p.s
	if j0 >= s.KW {
		return 0, 0
	}
	end := min(s.PadL+s.W, (s.OW-1)*s.SW+s.KW) // first padded column past the covered input
	lo = max(0, s.PadL-j0+s.SW-1) / s.SW
	hi = max(0, end-j0+s.SW-1) / s.SW
	return min(lo, p.wp), min(max(hi, lo), p.wp)
}

// image returns the image xn ([C,H,W]) in the plan's layout: xn itself, or
// xn prepared into buf (length imgLen). The copy goes row by row: a memmove
// for unit column stride, a strided gather per phase otherwise.
func (p *convPlan) image(xn, buf []float32) []float32 {
	if p.direct {
		return xn
	}
	s := p.s
	if s.SW == 2 && s.KW >= 2 {
		p.image2(xn, buf)
		return buf
	}
	if s.SW == 1 {
		p.image1(xn, buf)
		return buf
	}
	for c2 := 0; c2 < p.c2; c2++ {
		c, j0 := c2/s.SW, c2%s.SW
		lo, hi := p.cols(j0)
		first := s.SW*lo + j0 - s.PadL // input column of prepared column lo
		for hh := 0; hh < p.hp; hh++ {
			d := buf[(c2*p.hp+hh)*p.wp : (c2*p.hp+hh+1)*p.wp]
			h := hh - s.PadT
			if h < 0 || h >= s.H || lo == hi {
				clear(d)
				continue
			}
			row := xn[(c*s.H+h)*s.W : (c*s.H+h+1)*s.W]
			zeroFew(d[:lo])
			gather(d[lo:hi], row[first:], s.SW)
			zeroFew(d[hi:])
		}
	}
	return buf
}

// image1 is image for unit column stride: per channel, the padding rows
// are cleared and the input rows copied, with their padding columns, by
// copyRowsPadded.
func (p *convPlan) image1(xn, buf []float32) {
	s := p.s
	lo, hi := p.cols(0)
	first := lo - s.PadL        // input column of prepared column lo
	h0 := max(0, s.PadT)        // first prepared row with input
	h1 := min(p.hp, s.PadT+s.H) // past the last
	plane := p.hp * p.wp
	for c := 0; c < s.C; c++ {
		d := buf[c*plane : (c+1)*plane]
		if h1 <= h0 || lo == hi {
			clear(d)
			continue
		}
		clear(d[:h0*p.wp])
		copyRowsPadded(d[h0*p.wp:], p.wp, xn[(c*s.H+h0-s.PadT)*s.W+first:], s.W, h1-h0, hi-lo, lo, p.wp)
		clear(d[h1*p.wp:])
	}
}

// copyRowsPadded sets, for r < rows, row r of dst (width floats at
// r*dpitch) to zeros with the n floats of row r of src (at r*spitch) at
// [left, left+n).
func copyRowsPadded(dst []float32, dpitch int, src []float32, spitch, rows, n, left, width int) {
	if useAsm && copyRowsAsm(dst, dpitch, src, spitch, rows, n, left, width) {
		return
	}
	for r := 0; r < rows; r++ {
		d := dst[r*dpitch : r*dpitch+width]
		zeroFew(d[:left])
		copy(d[left:left+n], src[r*spitch:r*spitch+n])
		zeroFew(d[left+n:])
	}
}

// pairs2 describes the column stride 2 (with KW >= 2, so that both phases
// are read) as pairs of input columns: input column we + 2k goes to
// prepared column u0 + k of phase 0 and column we + 2k + 1 to the same
// column of phase 1, for k < n; the input columns up to wEnd are the ones
// read by some window. An odd PadL puts input column 0 alone in phase 1
// (column u0-1), and an odd number of columns after we puts column wEnd-1
// alone in phase 0 (column u0+n).
func (p *convPlan) pairs2() (we, u0, n, wEnd int) {
	s := p.s
	wEnd = min(s.W, (s.OW-1)*2+s.KW-s.PadL)
	we = s.PadL & 1
	return we, (we + s.PadL) / 2, max(0, wEnd-we) / 2, wEnd
}

// image2 is image for a column stride of 2 (KW >= 2): per channel, the
// padding rows of both phases are cleared and the input rows split into
// the two phases (deinterleaveRows).
func (p *convPlan) image2(xn, buf []float32) {
	s := p.s
	lo0, hi0 := p.cols(0)
	lo1, hi1 := p.cols(1)
	we, u0, n, wEnd := p.pairs2()
	h0, h1 := max(0, s.PadT), min(p.hp, s.PadT+s.H) // prepared rows with input
	plane := p.hp * p.wp
	for c := 0; c < s.C; c++ {
		P0, P1 := buf[2*c*plane:(2*c+1)*plane], buf[(2*c+1)*plane:(2*c+2)*plane]
		if h1 <= h0 {
			clear(P0)
			clear(P1)
			continue
		}
		clear(P0[:h0*p.wp])
		clear(P1[:h0*p.wp])
		x := xn[(c*s.H+h0-s.PadT)*s.W:]
		deinterleaveRows(x[we:], s.W, P0[h0*p.wp:], P1[h0*p.wp:], p.wp, h1-h0, n, u0, p.wp, lo0, hi0, lo1, hi1)
		for hh := h0; hh < h1; hh++ {
			row := x[(hh-h0)*s.W : (hh-h0+1)*s.W]
			if we == 1 && wEnd > 0 {
				P1[hh*p.wp+u0-1] = row[0]
			}
			if we+2*n < wEnd {
				P0[hh*p.wp+u0+n] = row[wEnd-1]
			}
		}
		clear(P0[h1*p.wp:])
		clear(P1[h1*p.wp:])
	}
}

// unprepare2 is unprepare for a column stride of 2 (KW >= 2), the inverse
// of image2 (interleaveRows).
func (p *convPlan) unprepare2(buf, dxn []float32) {
	s := p.s
	we, u0, n, wEnd := p.pairs2()
	rows := min(s.H, p.hp-s.PadT) // input rows with a prepared row
	plane := p.hp * p.wp
	for c := 0; c < s.C; c++ {
		d := dxn[c*s.H*s.W : (c+1)*s.H*s.W]
		P0, P1 := buf[2*c*plane+s.PadT*p.wp:], buf[(2*c+1)*plane+s.PadT*p.wp:]
		interleaveRows(P0[u0:], P1[u0:], p.wp, d[we:], s.W, rows, n)
		for h := 0; h < rows; h++ {
			row := d[h*s.W : (h+1)*s.W]
			if we == 1 && wEnd > 0 {
				row[0] = P1[h*p.wp+u0-1]
			}
			if we+2*n < wEnd {
				row[wEnd-1] = P0[h*p.wp+u0+n]
			}
			zeroFew(row[wEnd:])
		}
		clear(d[rows*s.W:])
	}
}

// deinterleaveRows sets, for r < rows, e0 = d0[r*dpitch:] and e1 =
// d1[r*dpitch:] to e0[u0+k] = src[r*spitch+2k] and e1[u0+k] =
// src[r*spitch+2k+1] for k < n, with zeros in the prepared columns outside
// [lo0, hi0) and [lo1, hi1) of a row of width floats; the columns within
// them that the pairs leave out are left for the caller.
func deinterleaveRows(src []float32, spitch int, d0, d1 []float32, dpitch, rows, n, u0, width, lo0, hi0, lo1, hi1 int) {
	if useAsm && deinterleaveRowsAsm(src, spitch, d0, d1, dpitch, rows, n, u0, width) {
		return
	}
	for r := 0; r < rows; r++ {
		s := src[r*spitch : r*spitch+2*n]
		e0, e1 := d0[r*dpitch:r*dpitch+width], d1[r*dpitch:r*dpitch+width]
		for k := 0; k < n; k++ {
			e0[u0+k], e1[u0+k] = s[2*k], s[2*k+1]
		}
		zeroFew(e0[:lo0])
		zeroFew(e0[hi0:])
		zeroFew(e1[:lo1])
		zeroFew(e1[hi1:])
	}
}

// interleaveRows sets, for r < rows, e = dst[r*dpitch:] to e[2k] =
// s0[r*spitch+k] and e[2k+1] = s1[r*spitch+k] for k < n.
func interleaveRows(s0, s1 []float32, spitch int, dst []float32, dpitch, rows, n int) {
	if useAsm && interleaveRowsAsm(s0, s1, spitch, dst, dpitch, rows, n) {
		return
	}
	for r := 0; r < rows; r++ {
		a, b := s0[r*spitch:r*spitch+n], s1[r*spitch:r*spitch+n]
		e := dst[r*dpitch : r*dpitch+2*n]
		for k, v := range a {
			e[2*k], e[2*k+1] = v, b[k]
		}
	}
}

// zeroFew clears d, which is short: cheaper than a call of clear.
func zeroFew(d []float32) {
	for i := 0; i < len(d); i++ {
		d[i] = 0
	}
}

// gather sets dst[u] = src[stride*u] for u < len(dst).
func gather(dst, src []float32, stride int) {
	n := len(dst)
	if n == 0 {
		return
	}
	src = src[:stride*(n-1)+1]
	switch stride {
	case 1:
		copy(dst, src)
	case 2:
		u := 0
		for ; u+4 <= n; u += 4 {
			s := (*[7]float32)(src[2*u : 2*u+7])
			d := (*[4]float32)(dst[u : u+4])
			d[0], d[1], d[2], d[3] = s[0], s[2], s[4], s[6]
		}
		for ; u < n; u++ {
			dst[u] = src[2*u]
		}
	default:
		for u := range dst {
			dst[u] = src[stride*u]
		}
	}
}

// scatter sets dst[stride*u] = src[u] for u < len(src).
func scatter(dst, src []float32, stride int) {
	n := len(src)
	if n == 0 {
		return
	}
	dst = dst[:stride*(n-1)+1]
	switch stride {
	case 1:
		copy(dst, src)
	case 2:
		u := 0
		for ; u+4 <= n; u += 4 {
			s := (*[4]float32)(src[u : u+4])
			d := (*[7]float32)(dst[2*u : 2*u+7])
			d[0], d[2], d[4], d[6] = s[0], s[1], s[2], s[3]
		}
		for ; u < n; u++ {
			dst[2*u] = src[u]
		}
	default:
		for u, v := range src {
			dst[stride*u] = v
		}
	}
}

// unprepare writes the image gradient dxn ([C,H,W]) from the gradient buf
// of the prepared image: the inverse of image (cells that no window reads
// get 0).
func (p *convPlan) unprepare(buf, dxn []float32) {
	s := p.s
	if s.SW == 2 && s.KW >= 2 {
		p.unprepare2(buf, dxn)
		return
	}
	var lo, hi [8]int // the prepared columns of the first 8 phases
	for j0 := range min(s.SW, len(lo)) {
		lo[j0], hi[j0] = p.cols(j0)
	}
	lo0, hi0 := lo[0], hi[0]
	for c := 0; c < s.C; c++ {
		for h := 0; h < s.H; h++ {
			d := dxn[(c*s.H+h)*s.W : (c*s.H+h+1)*s.W]
			hh := h + s.PadT
			if hh >= p.hp {
				clear(d)
				continue
			}
			if s.SW == 1 {
				// The rest of the channel in one go: its rows up to
				// hp - PadT have a prepared row.
				rows := min(s.H, p.hp-s.PadT) - h
				copyRowsPadded(dxn[(c*s.H+h)*s.W:], s.W, buf[(c*p.hp+hh)*p.wp+lo0:], p.wp, rows, hi0-lo0, lo0-s.PadL, s.W)
				h += rows - 1
				continue
			}
			clear(d)
			for j0 := 0; j0 < s.SW; j0++ {
				l, r := p.cols(j0)
				if j0 < len(lo) {
					l, r = lo[j0], hi[j0]
				}
				first := s.SW*l + j0 - s.PadL
				scatter(d[first:], buf[((c*s.SW+j0)*p.hp+hh)*p.wp+l:((c*s.SW+j0)*p.hp+hh)*p.wp+r], s.SW)
			}
		}
	}
}

// padRows copies the F planes of OH×OW values in src into dst as OH×owp
// planes with zeros in the extra columns.
func (p *convPlan) padRows(src, dst []float32) {
	s := p.s
	copyRowsPadded(dst, p.owp, src, s.OW, s.F*s.OH, s.OW, 0, p.owp)
}

// unpadRows copies the F planes of OH×owp values in src into dst as OH×OW
// planes.
func (p *convPlan) unpadRows(src, dst []float32) {
	s := p.s
	for r := 0; r < s.F*s.OH; r++ {
		copy(dst[r*s.OW:(r+1)*s.OW], src[r*p.owp:r*p.owp+s.OW])
	}
}
