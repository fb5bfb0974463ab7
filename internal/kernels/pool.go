package kernels

import (
	"fmt"
	"math"
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
		return fmt.Errorf("kernels: pool input size N=%d C=%d H=%d W=%d must be positive", s.N, s.C, s.H, s.W)
	}
	if s.KH <= 0 || s.KW <= 0 || s.SH <= 0 || s.SW <= 0 || s.OH <= 0 || s.OW <= 0 {
		return fmt.Errorf("kernels: pool window %dx%d, stride %dx%d and output %dx%d must be positive", s.KH, s.KW, s.SH, s.SW, s.OH, s.OW)
	}
	return checkWindows(s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func (s PoolShape) mustValidate() {
	if err := s.Validate(); err != nil {
		panic(err)
	}
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
// every window (the first one on ties; with NaN inputs the result is one
// of the window's elements, consistent with argmax, but which one is
// unspecified). Padding
// never wins; a window that lies entirely in padding yields 0 with argmax
// -1.
func MaxPool2DForward(s PoolShape, x, y []float32, argmax []int32) {
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
	fast := s.KH == 2 && s.KW == 2 && s.SH == 2 && s.SW == 2 && s.PadT == 0 && s.PadL == 0 &&
		2*s.OH <= s.H && 2*s.OW <= s.W
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp := x[pl*hw : (pl+1)*hw]
			yp := y[pl*ohw : (pl+1)*ohw]
			var ap []int32
			if argmax != nil {
				ap = argmax[pl*ohw : (pl+1)*ohw]
			}
			base := pl * hw
			if fast {
				maxPool2x2(&s, xp, yp, ap, base)
				continue
			}
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
	})
}

// maxPool2x2 is MaxPool2DForward for one plane with 2×2 windows, stride 2
// and no padding. The selection is branch-free (random data would
// mispredict most branches); with AVX2 eight windows are done at once.
func maxPool2x2(s *PoolShape, xp, yp []float32, ap []int32, base int) {
	for oh := 0; oh < s.OH; oh++ {
		r0 := xp[2*oh*s.W : 2*oh*s.W+2*s.OW]
		r1 := xp[(2*oh+1)*s.W : (2*oh+1)*s.W+2*s.OW]
		yr := yp[oh*s.OW : oh*s.OW+s.OW]
		i0 := int32(base + 2*oh*s.W)
		w := int32(s.W)
		start := 0
		if useAsm {
			var ar []int32
			if ap != nil {
				ar = ap[oh*s.OW : oh*s.OW+s.OW]
			}
			start = maxPool2x2Asm(r0, r1, yr, ar, i0, w)
			if t := len(yr) - 8; start < len(yr) && t >= 0 {
				// Redo the last eight windows (overlapping the ones
				// done) rather than finishing in scalar code.
				var at []int32
				if ar != nil {
					at = ar[t:]
				}
				maxPool2x2Asm(r0[2*t:], r1[2*t:], yr[t:], at, i0+int32(2*t), w)
				start = len(yr)
			}
		}
		for ow := start; ow < len(yr); ow++ {
			a, b := r0[2*ow], r0[2*ow+1]
			c, d := r1[2*ow], r1[2*ow+1]
			best, bi := a, int32(0)
			best, bi = sel(b, best, 1, bi)
			best, bi = sel(c, best, w, bi)
			best, bi = sel(d, best, w+1, bi)
			yr[ow] = best
			if ap != nil {
				ap[oh*s.OW+ow] = i0 + int32(2*ow) + bi
			}
		}
	}
}

// sel returns (v, vi) if v > best or v is NaN (and best is not), else
// (best, bi), without branches.
func sel(v, best float32, vi, bi int32) (float32, int32) {
	take := b2i(v > best) | (b2i(v != v) &^ b2i(best != best))
	mask := -take // all ones when taking v
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
// with the same shape.
func MaxPool2DBackward(s PoolShape, dy []float32, argmax []int32, dx []float32) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("dy", dy, s.N*s.C*ohw)
	checkLen("dx", dx, s.N*s.C*hw)
	if len(argmax) < s.N*s.C*ohw {
		panic(fmt.Sprintf("kernels: argmax has length %d, need %d", len(argmax), s.N*s.C*ohw))
	}
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		dxs := dx[lo*hw : hi*hw]
		clear(dxs)
		ap := argmax[lo*ohw : hi*ohw]
		dys := dy[lo*ohw : hi*ohw]
		off := lo * hw
		for i, a := range ap {
			if a >= 0 {
				dxs[int(a)-off] += dys[i]
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
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			xp := x[pl*hw : (pl+1)*hw]
			yp := y[pl*ohw : (pl+1)*ohw]
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
	})
}

// AvgPool2DBackward computes dx ([N,C,H,W], fully overwritten), the
// gradient of AvgPool2DForward, from dy ([N,C,OH,OW]).
func AvgPool2DBackward(s PoolShape, dy, dx []float32) {
	s.mustValidate()
	hw, ohw := s.H*s.W, s.OH*s.OW
	checkLen("dy", dy, s.N*s.C*ohw)
	checkLen("dx", dx, s.N*s.C*hw)
	parallelPlanes(s.N*s.C, hw, func(lo, hi int) {
		for pl := lo; pl < hi; pl++ {
			dxp := dx[pl*hw : (pl+1)*hw]
			dyp := dy[pl*ohw : (pl+1)*ohw]
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
