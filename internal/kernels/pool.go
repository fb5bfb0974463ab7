package kernels

import (
	"fmt"
	"math"

	"github.com/pkg/errors"
)

// PoolShape describes a 2-D pooling over a batch in NCHW layout: input
// [N,C,H,W], window KH×KW, stride SH×SW, padding PadT/PadL before the
// input, output [N,C,OH,OW] (bottom/right padding implied by OH/OW as for
// ConvShape).
type PoolShape struct {
	N, C, H, W int // input
	KH, KW     int // window
	SH, SW     int // stride
	PadT, PadL int // padding before the input
	OH, OW     int // output size
}

// Validate reports whether the shape is usable: sizes and strides positive,
// paddings non-negative and smaller than the window, and every window
// overlapping the input.
func (s PoolShape) Validate() error {
	if s.N <= 0 || s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return errors.Errorf("kernels: pool input size N=%d C=%d H=%d W=%d must be positive", s.N, s.C, s.H, s.W)
	}
	if s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0 || s.OH <= 0 || s.OW <= 0 {
		return errors.Errorf("kernels: pool window %dx%d, stride %dx%d and output %dx%d must be positive", s.KH, s.KW, s.SH, s.SW, s.OH, s.OW)
	}
	return checkWindows(s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func (s PoolShape) mustValidate() {
	if err := s.Validate(); err != nil {
		panic(err)
	}
}

// inside2x2 reports whether s is a 2×2, stride-2 pooling whose windows all
// lie inside the input.
func (s *PoolShape) inside2x2() bool {
	return s.KH == 2 && s.KW == 2 && s.SH == 2 && s.SW == 2 && s.PadT == 0 && s.PadL == 0 &&
		2*s.OH <= s.H && 2*s.OW <= s.W
}

// window returns the input rows [h0,h1) and columns [w0,w1) covered by
// output (oh, ow).
func (s *PoolShape) window(oh, ow int) (h0, h1, w0, w1 int) {
	h0 = oh*s.SH - s.PadT
	w0 = ow*s.SW - s.PadL
	h1 = min(h0+s.KH, s.H)
	w1 = min(w0+s.KW, s.W)
	return max(h0, 0), h1, max(w0, 0), w1
}

// parallelPlanes runs fn over the (n, c) planes, in parallel unless the
// total work is small.
func parallelPlanes(planes, planeWork int, fn func(lo, hi int)) {
	if planes*planeWork < 1<<14 {
		fn(0, planes)
		return
	}
	ParallelFor(planes, fn)
}

// MaxPool2DForward writes the window maxima y ([N,C,OH,OW]) of x
// ([N,C,H,W]) and, if argmax is not nil, the index into x of the maximum of
// every window (the first one, in row-major order, on ties; a window with
// NaN inputs yields its first NaN). Padding never wins; a window that lies
// entirely in padding yields 0 with argmax -1.
func MaxPool2DForward(s PoolShape, x, y []float32, argmax []int32) {
	maxPoolForward(s, x, y, argmax, false)
}

// MaxPool2DReLUForward is MaxPool2DForward of ReLU(x), computed as
// max(MaxPool2DForward(x), 0): the two commute, and the ReLU is applied to
// the OH×OW outputs only (as Go's max: NaN stays NaN, -0 becomes 0).
// argmax is that of x, except that windows whose output is not positive
// (0 or NaN) get -1: the ReLU passes no gradient there, so
// MaxPool2DBackward with this argmax is the gradient of the fused
// operation.
func MaxPool2DReLUForward(s PoolShape, x, y []float32, argmax []int32) {
	maxPoolForward(s, x, y, argmax, true)
}

func maxPoolForward(s PoolShape, x, y []float32, argmax []int32, relu bool) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("x", x, s.N*s.C*hw)
	checkLen("y", y, s.N*s.C*ohw)
	if argmax != nil && len(argmax) < s.N*s.C*ohw {
		panic(fmt.Sprintf("kernels: argmax has length %d, need %d", len(argmax), s.N*s.C*ohw))
	}
	if int64(s.N*s.C*hw) > math.MaxInt32 && argmax != nil {
		panic("kernels: input too large for int32 argmax")
	}
	fast := cachedPool2x2(&s)
	planes := s.N * s.C
	if planes*hw < 1<<14 || workers(planes) == 1 {
		// No closure, so nothing to allocate for a small input.
		maxPoolPlanes(0, planes, &s, fast, x, y, argmax, relu)
		return
	}
	sc := s // a copy, so that only this branch moves a shape to the heap
	ParallelFor(planes, func(lo, hi int) { maxPoolPlanes(lo, hi, &sc, fast, x, y, argmax, relu) })
}

// maxPoolPlanes is maxPoolForward of the planes [lo, hi), through fast
// when it is not nil.
func maxPoolPlanes(lo, hi int, s *PoolShape, fast *pool2x2, x, y []float32, argmax []int32, relu bool) {
	hw, ohw := s.H*s.W, s.OH*s.OW
	if fast != nil {
		var ap []int32
		if argmax != nil {
			ap = argmax[lo*ohw : hi*ohw]
		}
		fast.forward(hi-lo, x[lo*hw:hi*hw], y[lo*ohw:hi*ohw], ap, lo*hw, relu)
		return
	}
	if s.inside2x2() {
		var ap []int32
		if argmax != nil {
			ap = argmax[lo*ohw : hi*ohw]
		}
		maxPool2x2Rows(s, hi-lo, x[lo*hw:hi*hw], y[lo*ohw:hi*ohw], ap, lo*hw, relu)
		return
	}
	for pl := lo; pl < hi; pl++ {
		xp := x[pl*hw : (pl+1)*hw]
		yp := y[pl*ohw : (pl+1)*ohw]
		var ap []int32
		if argmax != nil {
			ap = argmax[pl*ohw : (pl+1)*ohw]
		}
		base := pl * hw
		for oh := 0; oh < s.OH; oh++ {
			for ow := 0; ow < s.OW; ow++ {
				h0, h1, w0, w1 := s.window(oh, ow)
				best, bi := float32(0), -1
				for h := h0; h < h1; h++ {
					row := xp[h*s.W : h*s.W+w1]
					for w := w0; w < w1; w++ {
						if v := row[w]; bi < 0 || v > best || (v != v && best == best) {
							best, bi = v, h*s.W+w
						}
					}
				}
				o := oh*s.OW + ow
				if relu && !(best > 0) {
					best, bi = max(best, 0), -1
				}
				yp[o] = best
				if ap != nil {
					if bi >= 0 {
						bi += base
					}
					ap[o] = int32(bi)
				}
			}
		}
	}
}

// maxPool2x2Rows is maxPoolForward of planes whose 2×2, stride-2 windows
// all lie inside the input: a plain loop over the windows, choosing as sel
// does. It serves the shapes too small for pool2x2, and pool2x2 without
// assembly.
func maxPool2x2Rows(s *PoolShape, planes int, x, y []float32, am []int32, base int, relu bool) {
	hw, ohw, w, ow2 := s.H*s.W, s.OH*s.OW, s.W, 2*s.OW
	for pl := 0; pl < planes; pl++ {
		xp, yp := x[pl*hw:(pl+1)*hw], y[pl*ohw:(pl+1)*ohw]
		var ap []int32
		if am != nil {
			ap = am[pl*ohw : (pl+1)*ohw]
		}
		for oh := 0; oh < s.OH; oh++ {
			top := xp[2*oh*w : 2*oh*w+ow2]
			bot := xp[(2*oh+1)*w : (2*oh+1)*w+ow2]
			yr := yp[oh*s.OW : (oh+1)*s.OW]
			row := int32(base + pl*hw + 2*oh*w)
			for ow := range yr {
				t := 2 * ow
				best, bi := top[t], int32(0)
				best, bi = sel(top[t+1], best, 1, bi)
				best, bi = sel(bot[t], best, int32(w), bi)
				best, bi = sel(bot[t+1], best, int32(w+1), bi)
				idx := row + int32(t) + bi
				if relu && !(best > 0) {
					best, idx = max(best, 0), -1
				}
				yr[ow] = best
				if ap != nil {
					ap[oh*s.OW+ow] = idx
				}
			}
		}
	}
}

// pool2x2 is the chunked form of a 2×2, stride-2, unpadded max pool with
// at least 4 windows per output row, or 2 or 3 and at least two rows. A
// chunk is two groups of 4 windows with consecutive outputs each: 8
// consecutive windows of one output row (at least 8 per row); the first
// and the last 4 windows of one row (5 to 7 per row, or 4 in a single
// row), which overlap; or two output rows (4 windows per row, or, with
// spill, 2 or 3). An output row whose length is not a multiple of 8 ends
// with a chunk that overlaps the previous one; with an odd number of
// two-row chunks, the last chunk overlaps likewise. Overlapped windows are
// computed twice, with the same results.
//
// With spill, each group's last 4-OW lanes are not windows: they read the
// next input columns (the next row's first, past the row's end) and write
// garbage over the next outputs, which the next group or chunk overwrites
// in turn, except after a plane's last chunk: there they spill into the
// next plane, so that the last plane of a call is left to the row loop,
// and the backward pass scatters instead.
type pool2x2 struct {
	s     *PoolShape
	tab   []int32  // per chunk of a plane: input offset, output offset
	lanes [8]int32 // input offset of each window's top-left in the chunk
	hi    int      // input offset of the chunk's last four windows
	yhi   int      // output offset of the chunk's last four windows
	exact bool     // the windows cover the whole input
	spill bool     // rows of 2 or 3 windows: see above
}

// pool2x2Plans caches the chunked forms of pooling shapes (nil for those
// without one) by the shape with N = 0: they do not depend on the batch.
var pool2x2Plans planCache[PoolShape, pool2x2]

// cachedPool2x2 returns the (shared, read-only) chunked form of s, or nil.
func cachedPool2x2(s *PoolShape) *pool2x2 {
	key := *s
	key.N = 0
	return pool2x2Plans.get(key, func() *pool2x2 {
		ks := key // the plan keeps its own copy
		return newPool2x2(&ks)
	})
}

// newPool2x2 returns the chunked form of s, or nil if s does not have one.
func newPool2x2(s *PoolShape) *pool2x2 {
	if s.KH != 2 || s.KW != 2 || s.SH != 2 || s.SW != 2 || s.PadT != 0 || s.PadL != 0 ||
		2*s.OH > s.H || 2*s.OW > s.W || !(s.OW >= 4 || s.OW >= 2 && s.OH >= 2) {
		return nil
	}
	p := &pool2x2{s: s, exact: 2*s.OH == s.H && 2*s.OW == s.W}
	switch {
	case s.OW >= 8:
		p.hi, p.yhi = 8, 4
		for oh := 0; oh < s.OH; oh++ {
			for ow := 0; ow < s.OW; ow += 8 {
				ow := min(ow, s.OW-8)
				p.tab = append(p.tab, int32(2*oh*s.W+2*ow), int32(oh*s.OW+ow))
			}
		}
	case s.OW <= 4 && s.OH >= 2:
		// Two rows a chunk; with 2 or 3 windows a row, their next
		// plane's first 4-OW outputs and 8-2*OW inputs past a row
		// (OH >= 2 and so H, W >= 4 keep those inside the next plane).
		p.hi, p.yhi, p.spill = 2*s.W, s.OW, s.OW < 4
		for oh := 0; oh < s.OH; oh += 2 {
			oh := min(oh, s.OH-2)
			p.tab = append(p.tab, int32(2*oh*s.W), int32(oh*s.OW))
		}
	default: // 5 to 7 windows per row, or one row of 4
		p.hi, p.yhi = 2*(s.OW-4), s.OW-4
		for oh := 0; oh < s.OH; oh++ {
			p.tab = append(p.tab, int32(2*oh*s.W), int32(oh*s.OW))
		}
	}
	for l := range p.lanes {
		p.lanes[l] = int32(l/4*p.hi + 2*(l%4))
	}
	return p
}

// forward pools the planes of x (the first at index base of the whole
// input) into y and, if am is not nil, their argmax. With relu, negative
// maxima are stored as 0 and non-positive ones get argmax -1.
func (p *pool2x2) forward(planes int, x, y []float32, am []int32, base int, relu bool) {
	hw, ohw := p.s.H*p.s.W, p.s.OH*p.s.OW
	if !useAsm {
		maxPool2x2Rows(p.s, planes, x, y, am, base, relu)
		return
	}
	n := planes // planes for the assembly
	if p.spill {
		n-- // the last one, whose chunks would spill, goes to the row loop
	}
	if n > 0 {
		_, _ = x[planes*hw-1], y[n*ohw-1] // with spill, the chunks read into plane n
		var ap *int32
		if am != nil {
			_ = am[n*ohw-1]
			ap = &am[0]
		}
		r := 0
		if relu {
			r = 1
		}
		maxPool2x2Fwd(&x[0], &y[0], ap, n, &p.tab[0], len(p.tab)/2, hw, ohw, p.hi, p.yhi, p.s.W, &p.lanes[0], base, r)
	}
	if n < planes {
		var ap []int32
		if am != nil {
			ap = am[n*ohw : planes*ohw]
		}
		maxPool2x2Rows(p.s, 1, x[n*hw:planes*hw], y[n*ohw:planes*ohw], ap, base+n*hw, relu)
	}
}

// backward writes the gradient dx of every window cell of the planes: the
// window's dy where the cell is the window's argmax (am, as written by
// forward; -1 matches no cell), else 0. It needs the assembly and no
// spill (see fastBackward).
func (p *pool2x2) backward(planes int, dy []float32, am []int32, dx []float32, base int) {
	hw, ohw := p.s.H*p.s.W, p.s.OH*p.s.OW
	_, _, _ = dy[planes*ohw-1], am[planes*ohw-1], dx[planes*hw-1]
	maxPool2x2Bwd(&dy[0], &am[0], &dx[0], planes, &p.tab[0], len(p.tab)/2, hw, ohw, p.hi, p.yhi, p.s.W, &p.lanes[0], base)
}

// fastBackward reports whether backward can run: with the assembly and
// without spill. Otherwise a scatter into cleared planes is the faster.
func (p *pool2x2) fastBackward() bool { return p != nil && useAsm && !p.spill }

// sel returns (v, vi) if v > best or v is NaN (and best is not), else
// (best, bi), without branches. Both cases are "best is not NaN and v is
// not <= best" (a NaN compares false), a test cheap enough for sel to be
// inlined.
func sel(v, best float32, vi, bi int32) (float32, int32) {
	mask := -(b2i(!(v <= best)) & b2i(best == best)) // all ones when taking v
	vb, bb := math.Float32bits(v), math.Float32bits(best)
	return math.Float32frombits(bb ^ ((bb ^ vb) & uint32(mask))), bi ^ ((bi ^ vi) & mask)
}

// b2i converts a bool to 0 or 1 (compiled to SETcc).
func b2i(b bool) int32 {
	var i int32
	if b {
		i = 1
	}
	return i
}

// MaxPool2DBackward sets dx ([N,C,H,W]) to zero and then adds dy[i] into
// dx[argmax[i]] for every output element i with argmax[i] >= 0
// (overlapping windows accumulate). argmax must come from MaxPool2DForward
// or MaxPool2DReLUForward with the same shape.
func MaxPool2DBackward(s PoolShape, dy []float32, argmax []int32, dx []float32) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("dy", dy, s.N*s.C*ohw)
	checkLen("dx", dx, s.N*s.C*hw)
	if len(argmax) < s.N*s.C*ohw {
		panic(fmt.Sprintf("kernels: argmax has length %d, need %d", len(argmax), s.N*s.C*ohw))
	}
	fast := cachedPool2x2(&s)
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		dxs := dx[lo*hw : hi*hw]
		ap := argmax[lo*ohw : hi*ohw]
		dys := dy[lo*ohw : hi*ohw]
		if fast.fastBackward() {
			if !fast.exact {
				clear(dxs)
			}
			fast.backward(hi-lo, dys, ap, dxs, lo*hw)
			return
		}
		clear(dxs)
		off := lo * hw
		for i, a := range ap {
			if a >= 0 {
				dxs[int(a)-off] += dys[i] // windows may overlap
			}
		}
	})
}

// AvgPool2DForward writes the window averages y ([N,C,OH,OW]) of x
// ([N,C,H,W]). Only window cells inside the input are counted
// (count_include_pad=false, as in Keras); a window entirely in padding
// yields 0.
func AvgPool2DForward(s PoolShape, x, y []float32) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("x", x, s.N*s.C*hw)
	checkLen("y", y, s.N*s.C*ohw)
	planes := s.N * s.C
	if planes*hw < 1<<14 || workers(planes) == 1 {
		avgPoolPlanes(0, planes, &s, x, y) // no closure, nothing to allocate
		return
	}
	sc := s // a copy, so that only this branch moves a shape to the heap
	ParallelFor(planes, func(lo, hi int) { avgPoolPlanes(lo, hi, &sc, x, y) })
}

// avgPoolPlanes is AvgPool2DForward of the planes [lo, hi).
func avgPoolPlanes(lo, hi int, s *PoolShape, x, y []float32) {
	hw, ohw := s.H*s.W, s.OH*s.OW
	inside2x2 := s.inside2x2()
	for pl := lo; pl < hi; pl++ {
		xp := x[pl*hw : (pl+1)*hw]
		yp := y[pl*ohw : (pl+1)*ohw]
		if inside2x2 {
			// The generic loop's sums, ((a+b)+c)+d, without its
			// window bounds.
			for oh := 0; oh < s.OH; oh++ {
				top := xp[2*oh*s.W : (2*oh+2)*s.W]
				bot := top[s.W:]
				for ow, t := 0, 0; ow < s.OW; ow, t = ow+1, t+2 {
					yp[oh*s.OW+ow] = (((top[t] + top[t+1]) + bot[t]) + bot[t+1]) / 4
				}
			}
			continue
		}
		for oh := 0; oh < s.OH; oh++ {
			for ow := 0; ow < s.OW; ow++ {
				h0, h1, w0, w1 := s.window(oh, ow)
				var sum float32
				for h := h0; h < h1; h++ {
					for _, v := range xp[h*s.W+w0 : h*s.W+w1] {
						sum += v
					}
				}
				var avg float32
				if cnt := (h1 - h0) * (w1 - w0); h1 > h0 && w1 > w0 {
					avg = sum / float32(cnt)
				}
				yp[oh*s.OW+ow] = avg
			}
		}
	}
}

// AvgPool2DBackward computes dx ([N,C,H,W], fully overwritten), the
// gradient of AvgPool2DForward, from dy ([N,C,OH,OW]).
func AvgPool2DBackward(s PoolShape, dy, dx []float32) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("dy", dy, s.N*s.C*ohw)
	checkLen("dx", dx, s.N*s.C*hw)
	inside2x2 := s.inside2x2()
	exact := 2*s.OH == s.H && 2*s.OW == s.W
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp := dx[pl*hw : (pl+1)*hw]
			dyp := dy[pl*ohw : (pl+1)*ohw]
			if inside2x2 {
				if !exact {
					clear(dxp)
				}
				for oh := 0; oh < s.OH; oh++ {
					top := dxp[2*oh*s.W : (2*oh+2)*s.W]
					bot := top[s.W:]
					for ow, t := 0, 0; ow < s.OW; ow, t = ow+1, t+2 {
						g := dyp[oh*s.OW+ow] / 4
						top[t], top[t+1], bot[t], bot[t+1] = g, g, g, g
					}
				}
				continue
			}
			clear(dxp)
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					h0, h1, w0, w1 := s.window(oh, ow)
					if h1 <= h0 || w1 <= w0 {
						continue
					}
					g := dyp[oh*s.OW+ow] / float32((h1-h0)*(w1-w0))
					for h := h0; h < h1; h++ {
						row := dxp[h*s.W+w0 : h*s.W+w1]
						for w := range row {
							row[w] += g
						}
					}
				}
			}
		}
	})
}
