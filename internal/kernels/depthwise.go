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

// span returns the output columns [lo, hi) whose tap j reads an input
// column inside [0, w): ow·s + j·d − pad in [0, w). It is empty (0, 0)
// when there are none.
func span(j, d, s, pad, w, out int) (lo, hi int) {
	off := j*d - pad // input column of output column 0
	lo = 0
	if off < 0 {
		lo = (-off + s - 1) / s
	}
	if off > w-1 {
		return 0, 0
	}
	hi = min((w-1-off)/s+1, out)
	if lo >= hi {
		return 0, 0
	}
	return lo, hi
}

// colPlan holds, for each kernel column j, the output columns [lo[j],
// hi[j]) whose tap j falls inside the input and the input column off[j]
// of output column 0; [inLo, inHi) are the output columns where every
// tap falls inside (empty when inLo >= inHi).
type colPlan struct {
	lo, hi, off []int
	inLo, inHi  int
}

func newColPlan(s *DepthwiseShape) colPlan {
	p := colPlan{lo: make([]int, s.KW), hi: make([]int, s.KW), off: make([]int, s.KW), inLo: 0, inHi: s.OW}
	for j := range s.KW {
		p.lo[j], p.hi[j] = span(j, s.DW, s.SW, s.PadL, s.W, s.OW)
		p.off[j] = j*s.DW - s.PadL
		p.inLo, p.inHi = max(p.inLo, p.lo[j]), min(p.inHi, p.hi[j])
	}
	return p
}

// edges calls fn(lo, hi) for the parts of [lo[j], hi[j]) outside the
// interior [inLo, inHi), or for all of it if the interior is empty.
func (p *colPlan) edges(j int, fn func(lo, hi int)) {
	lo, hi := p.lo[j], p.hi[j]
	if p.inLo >= p.inHi {
		if lo < hi {
			fn(lo, hi)
		}
		return
	}
	if lo < p.inLo {
		fn(lo, p.inLo)
	}
	if p.inHi < hi {
		fn(p.inHi, hi)
	}
}

// dwRowForward adds to the output row yr the taps wr (one kernel row) over
// the input row xr.
func dwRowForward[T float32 | float64](s *DepthwiseShape, p *colPlan, yr, xr, wr []T) {
	sw := s.SW
	if p.inLo < p.inHi && s.KW == 3 {
		// The interior: all three taps at once, y read and written once.
		w0, w1, w2 := wr[0], wr[1], wr[2]
		d := s.DW
		b := p.inLo*sw + p.off[0]
		for q := p.inLo; q < p.inHi; q++ {
			x3 := xr[b : b+2*d+1]
			yr[q] += w0*x3[0] + w1*x3[d] + w2*x3[2*d]
			b += sw
		}
		for j := range 3 {
			wv, off := wr[j], p.off[j]
			p.edges(j, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					yr[q] += wv * xr[q*sw+off]
				}
			})
		}
		return
	}
	for j := range s.KW {
		lo, hi := p.lo[j], p.hi[j]
		if lo >= hi {
			continue
		}
		wv, off := wr[j], p.off[j]
		if sw == 1 {
			dst := yr[lo:hi]
			src := xr[lo+off : hi+off]
			src = src[:len(dst)]
			for q := range dst {
				dst[q] += wv * src[q]
			}
			continue
		}
		for q := lo; q < hi; q++ {
			yr[q] += wv * xr[q*sw+off]
		}
	}
}

// DepthwiseForward computes y[n,c·M+m,oh,ow] = b[c·M+m] + Σ_{i,j}
// w[c·M+m,0,i,j] · x[n,c,oh·SH+i·DH−PadT, ow·SW+j·DW−PadL], with x taken as
// zero outside the input. x is [N,C,H,W], w [C·M,1,KH,KW], b [C·M] or nil,
// and y ([N,C·M,OH,OW]) is fully overwritten. Output planes are computed in
// parallel.
func DepthwiseForward[T float32 | float64](s DepthwiseShape, x, w, b, y []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = x[s.N*s.C*hw-1], w[cm*k-1], y[s.N*cm*ohw-1]
	cp := newColPlan(&s)
	ParallelFor(s.N*cm, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			n, o := p/cm, p%cm
			xp := x[(n*s.C+o/s.M)*hw:][:hw]
			yp := y[p*ohw:][:ohw]
			wp := w[o*k:][:k]
			var bias T
			if b != nil {
				bias = b[o]
			}
			for i := range yp {
				yp[i] = bias
			}
			for oh := range s.OH {
				yr := yp[oh*s.OW:][:s.OW]
				ih0 := oh*s.SH - s.PadT
				if s.KH == 3 && s.KW == 3 && cp.inLo < cp.inHi && ih0 >= 0 && ih0+2*s.DH < s.H {
					dw3x3Row(&s, &cp, yr, xp, ih0, wp)
					continue
				}
				for i := range s.KH {
					ih := ih0 + i*s.DH
					if ih < 0 || ih >= s.H {
						continue
					}
					dwRowForward(&s, &cp, yr, xp[ih*s.W:][:s.W], wp[i*s.KW:][:s.KW])
				}
			}
		}
	})
}

// dw3x3Row computes the output row yr of a 3×3 depthwise convolution whose
// three input rows, from ih0 on, all lie inside the plane xp: the interior
// columns take all nine taps at once, reading and writing y once.
func dw3x3Row[T float32 | float64](s *DepthwiseShape, p *colPlan, yr, xp []T, ih0 int, w []T) {
	w9 := (*[9]T)(w[:9])
	r0 := xp[ih0*s.W:][:s.W]
	r1 := xp[(ih0+s.DH)*s.W:][:s.W]
	r2 := xp[(ih0+2*s.DH)*s.W:][:s.W]
	sw, d := s.SW, s.DW
	b := p.inLo*sw + p.off[0]
	if d == 1 {
		for q := p.inLo; q < p.inHi; q++ {
			a, c, e := (*[3]T)(r0[b:b+3]), (*[3]T)(r1[b:b+3]), (*[3]T)(r2[b:b+3])
			yr[q] += w9[0]*a[0] + w9[1]*a[1] + w9[2]*a[2] +
				w9[3]*c[0] + w9[4]*c[1] + w9[5]*c[2] +
				w9[6]*e[0] + w9[7]*e[1] + w9[8]*e[2]
			b += sw
		}
	} else {
		for q := p.inLo; q < p.inHi; q++ {
			a, c, e := r0[b:b+2*d+1], r1[b:b+2*d+1], r2[b:b+2*d+1]
			yr[q] += w9[0]*a[0] + w9[1]*a[d] + w9[2]*a[2*d] +
				w9[3]*c[0] + w9[4]*c[d] + w9[5]*c[2*d] +
				w9[6]*e[0] + w9[7]*e[d] + w9[8]*e[2*d]
			b += sw
		}
	}
	for i, r := range [3][]T{r0, r1, r2} {
		for j := range 3 {
			wv, off := w9[3*i+j], p.off[j]
			p.edges(j, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					yr[q] += wv * r[q*sw+off]
				}
			})
		}
	}
}

// dwRowData adds to the input-gradient row xr the taps wr (one kernel
// row) times the output-gradient row yr.
func dwRowData[T float32 | float64](s *DepthwiseShape, p *colPlan, xr, yr, wr []T) {
	sw := s.SW
	if p.inLo < p.inHi && s.KW == 3 {
		w0, w1, w2 := wr[0], wr[1], wr[2]
		d := s.DW
		b := p.inLo*sw + p.off[0]
		for q := p.inLo; q < p.inHi; q++ {
			x3 := xr[b : b+2*d+1]
			g := yr[q]
			x3[0] += w0 * g
			x3[d] += w1 * g
			x3[2*d] += w2 * g
			b += sw
		}
		for j := range 3 {
			wv, off := wr[j], p.off[j]
			p.edges(j, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					xr[q*sw+off] += wv * yr[q]
				}
			})
		}
		return
	}
	for j := range s.KW {
		wv, off := wr[j], p.off[j]
		for q := p.lo[j]; q < p.hi[j]; q++ {
			xr[q*sw+off] += wv * yr[q]
		}
	}
}

// DepthwiseBackwardData computes dx (fully overwritten, [N,C,H,W]), the
// gradient of DepthwiseForward with respect to x, from w and dy. Input
// planes are computed in parallel.
func DepthwiseBackwardData[T float32 | float64](s DepthwiseShape, w, dy, dx []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = dx[s.N*s.C*hw-1], w[cm*k-1], dy[s.N*cm*ohw-1]
	cp := newColPlan(&s)
	ParallelFor(s.N*s.C, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			n, c := p/s.C, p%s.C
			xp := dx[p*hw:][:hw]
			clear(xp)
			for m := range s.M {
				o := c*s.M + m
				yp := dy[(n*cm+o)*ohw:][:ohw]
				wp := w[o*k:][:k]
				for oh := range s.OH {
					yr := yp[oh*s.OW:][:s.OW]
					for i := range s.KH {
						ih := oh*s.SH + i*s.DH - s.PadT
						if ih < 0 || ih >= s.H {
							continue
						}
						dwRowData(&s, &cp, xp[ih*s.W:][:s.W], yr, wp[i*s.KW:][:s.KW])
					}
				}
			}
		}
	})
}

// dwRowFilter adds to the kernel-gradient row gr the products of the
// output-gradient row yr and the input row xr.
func dwRowFilter[T float32 | float64](s *DepthwiseShape, p *colPlan, gr, yr, xr []T) {
	sw := s.SW
	if p.inLo < p.inHi && s.KW == 3 {
		var a0, a1, a2 T
		d := s.DW
		b := p.inLo*sw + p.off[0]
		for q := p.inLo; q < p.inHi; q++ {
			x3 := xr[b : b+2*d+1]
			g := yr[q]
			a0 += g * x3[0]
			a1 += g * x3[d]
			a2 += g * x3[2*d]
			b += sw
		}
		acc := [3]T{a0, a1, a2}
		for j := range 3 {
			off := p.off[j]
			p.edges(j, func(lo, hi int) {
				for q := lo; q < hi; q++ {
					acc[j] += yr[q] * xr[q*sw+off]
				}
			})
			gr[j] += acc[j]
		}
		return
	}
	for j := range s.KW {
		off := p.off[j]
		var acc T
		for q := p.lo[j]; q < p.hi[j]; q++ {
			acc += yr[q] * xr[q*sw+off]
		}
		gr[j] += acc
	}
}

// DepthwiseBackwardFilter computes dw ([C·M,1,KH,KW]) and, if db is not
// nil, db ([C·M]), both fully overwritten: the gradients of
// DepthwiseForward with respect to w and b, from x and dy. Filters are
// computed in parallel; each sums over the batch in order, so the result
// does not depend on GOMAXPROCS.
func DepthwiseBackwardFilter[T float32 | float64](s DepthwiseShape, x, dy, dw, db []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = x[s.N*s.C*hw-1], dw[cm*k-1], dy[s.N*cm*ohw-1]
	cp := newColPlan(&s)
	ParallelFor(cm, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			wp := dw[o*k:][:k]
			clear(wp)
			var bias T
			for n := range s.N {
				xp := x[(n*s.C+o/s.M)*hw:][:hw]
				yp := dy[(n*cm+o)*ohw:][:ohw]
				for _, v := range yp {
					bias += v
				}
				for oh := range s.OH {
					yr := yp[oh*s.OW:][:s.OW]
					for i := range s.KH {
						ih := oh*s.SH + i*s.DH - s.PadT
						if ih < 0 || ih >= s.H {
							continue
						}
						dwRowFilter(&s, &cp, wp[i*s.KW:][:s.KW], yr, xp[ih*s.W:][:s.W])
					}
				}
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
