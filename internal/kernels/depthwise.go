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
// column inside [0, w): ow·s + j·d − pad in [0, w).
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

// DepthwiseForward computes y[n,c·M+m,oh,ow] = b[c·M+m] + Σ_{i,j}
// w[c·M+m,0,i,j] · x[n,c,oh·SH+i·DH−PadT, ow·SW+j·DW−PadL], with x taken as
// zero outside the input. x is [N,C,H,W], w [C·M,1,KH,KW], b [C·M] or nil,
// and y ([N,C·M,OH,OW]) is fully overwritten. Output planes are computed in
// parallel.
func DepthwiseForward[T float32 | float64](s DepthwiseShape, x, w, b, y []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = x[s.N*s.C*hw-1], w[cm*k-1], y[s.N*cm*ohw-1]
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
				for i := range s.KH {
					ih := oh*s.SH + i*s.DH - s.PadT
					if ih < 0 || ih >= s.H {
						continue
					}
					xr := xp[ih*s.W:][:s.W]
					for j := range s.KW {
						o0, o1 := span(j, s.DW, s.SW, s.PadL, s.W, s.OW)
						wv, off := wp[i*s.KW+j], j*s.DW-s.PadL
						if s.SW == 1 {
							src := xr[o0+off : o1+off]
							dst := yr[o0:o1]
							for q := range dst {
								dst[q] += wv * src[q]
							}
							continue
						}
						for q := o0; q < o1; q++ {
							yr[q] += wv * xr[q*s.SW+off]
						}
					}
				}
			}
		}
	})
}

// DepthwiseBackwardData computes dx (fully overwritten, [N,C,H,W]), the
// gradient of DepthwiseForward with respect to x, from w and dy. Input
// planes are computed in parallel.
func DepthwiseBackwardData[T float32 | float64](s DepthwiseShape, w, dy, dx []T) {
	s.mustValidate()
	cm, hw, ohw, k := s.C*s.M, s.H*s.W, s.OH*s.OW, s.KH*s.KW
	_, _, _ = dx[s.N*s.C*hw-1], w[cm*k-1], dy[s.N*cm*ohw-1]
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
						xr := xp[ih*s.W:][:s.W]
						for j := range s.KW {
							o0, o1 := span(j, s.DW, s.SW, s.PadL, s.W, s.OW)
							wv, off := wp[i*s.KW+j], j*s.DW-s.PadL
							for q := o0; q < o1; q++ {
								xr[q*s.SW+off] += wv * yr[q]
							}
						}
					}
				}
			}
		}
	})
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
						xr := xp[ih*s.W:][:s.W]
						for j := range s.KW {
							o0, o1 := span(j, s.DW, s.SW, s.PadL, s.W, s.OW)
							off := j*s.DW - s.PadL
							var acc T
							for q := o0; q < o1; q++ {
								acc += yr[q] * xr[q*s.SW+off]
							}
							wp[i*s.KW+j] += acc
						}
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
	plane := s.OH * s.OW
	for i := range y[:s.N*s.C*s.M*plane] {
		y[i] = 0
		if b != nil {
			y[i] = b[(i/plane)%(s.C*s.M)]
		}
	}
	depthwiseVisit(s, func(xi, wi, yi int) { y[yi] += w[wi] * x[xi] })
}

// NaiveDepthwiseBackward computes, in plain float64 loops, whichever of dx,
// dw and db are non-nil (each overwritten) from dy.
func NaiveDepthwiseBackward(s DepthwiseShape, x, w, dy, dx, dw, db []float64) {
	clear(dx)
	clear(dw)
	clear(db)
	depthwiseVisit(s, func(xi, wi, yi int) {
		if dx != nil {
			dx[xi] += w[wi] * dy[yi]
		}
		if dw != nil {
			dw[wi] += x[xi] * dy[yi]
		}
	})
	if db != nil {
		plane := s.OH * s.OW
		for i, v := range dy[:s.N*s.C*s.M*plane] {
			db[(i/plane)%(s.C*s.M)] += v
		}
	}
}
