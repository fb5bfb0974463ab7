package kernels

import (
	"errors"
	"fmt"
)

// ConvShape describes a 2-D convolution (cross-correlation, as in CNNs)
// over a batch in NCHW layout with weights in [F, C, KH, KW] (OIHW, PyTorch)
// layout.
//
// PadT and PadL are the zero-padding rows and columns before the input. OH
// and OW are chosen by the caller; the bottom/right padding is implied by
// them (it may be asymmetric, as in Keras 'same' padding, or negative when
// trailing input rows/columns are not covered by any patch).
type ConvShape struct {
	N, C, H, W int // input: batch, channels, height, width
	F, KH, KW  int // filters: count, kernel height, kernel width
	SH, SW     int // stride
	PadT, PadL int // zero padding before the input
	OH, OW     int // output size
}

// Validate reports whether the shape is usable: all sizes and strides
// positive, paddings non-negative, and every output patch overlapping the
// input (PadT < KH, (OH-1)*SH-PadT < H, and likewise for columns).
func (s ConvShape) Validate() error {
	if s.N <= 0 || s.C <= 0 || s.H <= 0 || s.W <= 0 {
		return fmt.Errorf("kernels: conv input size N=%d C=%d H=%d W=%d must be positive", s.N, s.C, s.H, s.W)
	}
	if s.F <= 0 || s.KH <= 0 || s.KW <= 0 {
		return fmt.Errorf("kernels: conv filter size F=%d KH=%d KW=%d must be positive", s.F, s.KH, s.KW)
	}
	if s.SH <= 0 || s.SW <= 0 {
		return fmt.Errorf("kernels: conv stride %dx%d must be positive", s.SH, s.SW)
	}
	if s.OH <= 0 || s.OW <= 0 {
		return fmt.Errorf("kernels: conv output size %dx%d must be positive", s.OH, s.OW)
	}
	return checkWindows(s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func checkWindows(h, w, kh, kw, sh, sw, padT, padL, oh, ow int) error {
	if padT < 0 || padL < 0 {
		return errors.New("kernels: negative padding")
	}
	if padT >= kh || padL >= kw {
		return fmt.Errorf("kernels: padding %d,%d must be smaller than the window %dx%d", padT, padL, kh, kw)
	}
	if (oh-1)*sh-padT >= h || (ow-1)*sw-padL >= w {
		return fmt.Errorf("kernels: output %dx%d with stride %dx%d and padding %d,%d has windows outside the %dx%d input", oh, ow, sh, sw, padT, padL, h, w)
	}
	return nil
}

func (s ConvShape) mustValidate() {
	if err := s.Validate(); err != nil {
		panic(err)
	}
}

func checkLen(name string, a []float32, n int) {
	if len(a) < n {
		panic(fmt.Sprintf("kernels: %s has length %d, need %d", name, len(a), n))
	}
}

// colBlock returns how many output positions are lowered at once so that a
// patch buffer of k rows stays around 256 KiB.
func colBlock(k, p int) int {
	const budget = 1 << 16
	if k*p <= budget {
		return p
	}
	q := budget / k / nr * nr
	return max(q, nr)
}

// im2col writes the patch matrix of image xn ([C,H,W]) for the output
// positions q in [q0, q1): patch element kk = (c*KH+i)*KW+j of position q
// goes to dst[base(kk) + (q-q0)*qs] where base(kk) = (kk/kg)*gs + (kk%kg)*ks.
// With kg > K, ks = ld, qs = 1 this is a row-major [K × ld] matrix; with
// kg = nr, ks = 1, qs = nr, gs = nr*(q1-q0) it is the transposed matrix in
// packed-B layout (see packB).
func im2col(s *ConvShape, xn []float32, q0, q1 int, dst []float32, kg, gs, ks, qs int) {
	hw := s.H * s.W
	oh0, oh1 := q0/s.OW, (q1-1)/s.OW
	kk := 0
	for c := 0; c < s.C; c++ {
		xc := xn[c*hw : (c+1)*hw]
		for i := 0; i < s.KH; i++ {
			for j := 0; j < s.KW; j++ {
				owLo, owHi := validRange(j, s.PadL, s.SW, s.W, s.OW)
				d := (kk/kg)*gs + (kk%kg)*ks
				kk++
				for oh := oh0; oh <= oh1; oh++ {
					a, e := 0, s.OW
					if oh == oh0 {
						a = q0 - oh*s.OW
					}
					if oh == oh1 {
						e = q1 - oh*s.OW
					}
					ih := oh*s.SH + i - s.PadT
					if ih < 0 || ih >= s.H {
						for q := a; q < e; q++ {
							dst[d] = 0
							d += qs
						}
						continue
					}
					row := xc[ih*s.W : ih*s.W+s.W]
					lo, hi := max(a, owLo), min(e, owHi)
					if hi < lo {
						hi = lo
					}
					for q := a; q < lo; q++ {
						dst[d] = 0
						d += qs
					}
					iw := lo*s.SW + j - s.PadL
					n := hi - lo
					switch {
					case n <= 0:
					case qs == 1 && s.SW == 1:
						copy(dst[d:d+n], row[iw:iw+n])
						d += n
					case qs == 1:
						dd := dst[d : d+n]
						for q := range dd {
							dd[q] = row[iw]
							iw += s.SW
						}
						d += n
					default:
						for q := 0; q < n; q++ {
							dst[d] = row[iw]
							d += qs
							iw += s.SW
						}
					}
					for q := hi; q < e; q++ {
						dst[d] = 0
						d += qs
					}
				}
			}
		}
	}
}

// col2im adds the patch-gradient matrix cg ([K × (q1-q0)], row-major) for
// the output positions [q0, q1) into the image gradient dxn ([C,H,W]).
func col2im(s *ConvShape, cg []float32, q0, q1 int, dxn []float32) {
	hw := s.H * s.W
	Q := q1 - q0
	oh0, oh1 := q0/s.OW, (q1-1)/s.OW
	kk := 0
	for c := 0; c < s.C; c++ {
		xc := dxn[c*hw : (c+1)*hw]
		for i := 0; i < s.KH; i++ {
			for j := 0; j < s.KW; j++ {
				owLo, owHi := validRange(j, s.PadL, s.SW, s.W, s.OW)
				row := cg[kk*Q : kk*Q+Q]
				kk++
				for oh := oh0; oh <= oh1; oh++ {
					ih := oh*s.SH + i - s.PadT
					if ih < 0 || ih >= s.H {
						continue
					}
					a, e := 0, s.OW
					if oh == oh0 {
						a = q0 - oh*s.OW
					}
					if oh == oh1 {
						e = q1 - oh*s.OW
					}
					lo, hi := max(a, owLo), min(e, owHi)
					if hi <= lo {
						continue
					}
					src := row[oh*s.OW+lo-q0 : oh*s.OW+hi-q0]
					iw := ih*s.W + lo*s.SW + j - s.PadL
					if s.SW == 1 {
						dd := xc[iw : iw+len(src)]
						for q, v := range src {
							dd[q] += v
						}
					} else {
						for _, v := range src {
							xc[iw] += v
							iw += s.SW
						}
					}
				}
			}
		}
	}
}

// validRange returns the output columns [lo, hi) whose input column
// ow*sw + j - pad lies inside [0, w).
func validRange(j, pad, sw, w, ow int) (lo, hi int) {
	if t := pad - j; t > 0 {
		lo = (t + sw - 1) / sw
	}
	if t := w - 1 + pad - j; t >= 0 {
		hi = min(t/sw+1, ow)
	}
	if lo > ow {
		lo = ow
	}
	return lo, hi
}

// Conv2DForward computes y[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j] ·
// x[n,c,oh*SH+i-PadT, ow*SW+j-PadL], with x taken as zero outside the
// input. x is [N,C,H,W], w is [F,C,KH,KW], b is [F] or nil, and y
// ([N,F,OH,OW]) is fully overwritten. Images are processed in parallel.
func Conv2DForward(s ConvShape, x, w, b, y []float32) {
	s.mustValidate()
	K, P := s.C*s.KH*s.KW, s.OH*s.OW
	chw, fp := s.C*s.H*s.W, s.F*P
	checkLen("x", x, s.N*chw)
	checkLen("w", w, s.F*K)
	checkLen("y", y, s.N*fp)
	if b != nil {
		checkLen("b", b, s.F)
	}
	ap := getBuf(packedASize(s.F, K))
	packA(false, s.F, K, 1, w, K, *ap)
	qb := colBlock(K, P)
	ParallelFor(s.N, func(lo, hi int) {
		ld := (qb + nr - 1) / nr * nr
		colp := getBuf(K * ld)
		col := *colp
		for n := lo; n < hi; n++ {
			xn := x[n*chw : (n+1)*chw]
			yn := y[n*fp : (n+1)*fp]
			for f := 0; f < s.F; f++ {
				var bv float32
				if b != nil {
					bv = b[f]
				}
				yr := yn[f*P : (f+1)*P]
				for q := range yr {
					yr[q] = bv
				}
			}
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				im2col(&s, xn, q0, q1, col, K+1, 0, ld, 1)
				// Columns past q1-q0 of col hold stale values; the
				// results computed from them are discarded.
				gemmPanels(s.F, q1-q0, K, *ap, col, nr, ld, true, yn[q0:], P)
			}
		}
		putBuf(colp)
	})
	putBuf(ap)
}

// Conv2DBackwardData computes dx, the gradient of the loss with respect to
// the input x ([N,C,H,W], fully overwritten), from the weights w and the
// output gradient dy ([N,F,OH,OW]).
func Conv2DBackwardData(s ConvShape, w, dy, dx []float32) {
	s.mustValidate()
	K, P := s.C*s.KH*s.KW, s.OH*s.OW
	chw, fp := s.C*s.H*s.W, s.F*P
	checkLen("w", w, s.F*K)
	checkLen("dy", dy, s.N*fp)
	checkLen("dx", dx, s.N*chw)
	// A = Wᵀ [K × F].
	ap := getBuf(packedASize(K, s.F))
	packA(true, K, s.F, 1, w, K, *ap)
	qb := colBlock(K, P)
	ParallelFor(s.N, func(lo, hi int) {
		cgp := getBuf(K * qb)
		cg := *cgp
		for n := lo; n < hi; n++ {
			dyn := dy[n*fp : (n+1)*fp]
			dxn := dx[n*chw : (n+1)*chw]
			clear(dxn)
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				Q := q1 - q0
				clear(cg[:K*Q])
				gemmPanels(K, Q, s.F, *ap, dyn[q0:], nr, P, false, cg, Q)
				col2im(&s, cg, q0, q1, dxn)
			}
		}
		putBuf(cgp)
	})
	putBuf(ap)
}

// Conv2DBackwardFilter computes dw ([F,C,KH,KW], overwritten), the gradient
// of the loss with respect to the weights, from the input x and the output
// gradient dy, and, if db is not nil, the bias gradient db ([F],
// overwritten). Partial sums of the images of each worker are reduced in a
// fixed order, so results are deterministic for a given GOMAXPROCS.
func Conv2DBackwardFilter(s ConvShape, x, dy, dw, db []float32) {
	s.mustValidate()
	K, P := s.C*s.KH*s.KW, s.OH*s.OW
	chw, fp := s.C*s.H*s.W, s.F*P
	checkLen("x", x, s.N*chw)
	checkLen("dy", dy, s.N*fp)
	checkLen("dw", dw, s.F*K)
	if db != nil {
		checkLen("db", db, s.F)
	}
	nw := workers(s.N)
	// Per-worker partial sums: worker 0 accumulates into dw and db
	// directly, the others into scratch reduced afterwards.
	partp := getBuf((nw - 1) * (s.F*K + s.F))
	part := *partp
	qb := colBlock(K, P)
	parallelChunks(s.N, func(wk, lo, hi int) {
		acc, dacc := dw[:s.F*K], db
		if wk > 0 {
			off := (wk - 1) * (s.F*K + s.F)
			acc = part[off : off+s.F*K]
			dacc = part[off+s.F*K : off+s.F*K+s.F]
		}
		clear(acc)
		if dacc != nil {
			clear(dacc[:s.F])
		}
		colp := getBuf(packedBSize(qb, K))
		app := getBuf(packedASize(s.F, qb))
		for n := lo; n < hi; n++ {
			xn := x[n*chw : (n+1)*chw]
			dyn := dy[n*fp : (n+1)*fp]
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				Q := q1 - q0
				packA(false, s.F, Q, 1, dyn[q0:], P, *app)
				im2col(&s, xn, q0, q1, *colp, nr, nr*Q, 1, nr)
				gemmPanels(s.F, K, Q, *app, *colp, nr*Q, nr, true, acc, K)
			}
			if dacc != nil {
				for f := 0; f < s.F; f++ {
					var sum float32
					for _, v := range dyn[f*P : (f+1)*P] {
						sum += v
					}
					dacc[f] += sum
				}
			}
		}
		putBuf(app)
		putBuf(colp)
	})
	for wk := 1; wk < nw; wk++ {
		off := (wk - 1) * (s.F*K + s.F)
		for i, v := range part[off : off+s.F*K] {
			dw[i] += v
		}
		if db != nil {
			for f, v := range part[off+s.F*K : off+s.F*K+s.F] {
				db[f] += v
			}
		}
	}
	putBuf(partp)
}
