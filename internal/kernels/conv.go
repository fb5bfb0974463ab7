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
	l := newLowering(&s)
	ParallelFor(s.N, func(lo, hi int) {
		ld := (qb + nr - 1) / nr * nr
		colp := getBuf(K * ld)
		col := *colp
		padp := getBuf(l.imageLen())
		for n := lo; n < hi; n++ {
			xs := l.image(x[n*chw:(n+1)*chw], *padp)
			yn := y[n*fp : (n+1)*fp]
			for f := 0; f < s.F; f++ {
				var bv float32
				if b != nil {
					bv = b[f]
				}
				fill(yn[f*P:(f+1)*P], bv)
			}
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				l.colPlain(xs, q0, q1, col, ld)
				// Columns past q1-q0 of col hold stale values; the
				// results computed from them are discarded.
				gemmPanels(s.F, q1-q0, K, *ap, col, nr, ld, true, yn[q0:], P)
			}
		}
		putBuf(padp)
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
	l := newLowering(&s)
	ParallelFor(s.N, func(lo, hi int) {
		cgp := getBuf(K * qb)
		cg := *cgp
		padp := getBuf(l.imageLen())
		for n := lo; n < hi; n++ {
			dyn := dy[n*fp : (n+1)*fp]
			dxn := dx[n*chw : (n+1)*chw]
			clear(dxn)
			dxs := dxn
			if l.padded {
				dxs = *padp
				clear(dxs)
			}
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				Q := q1 - q0
				clear(cg[:K*Q])
				gemmPanels(K, Q, s.F, *ap, dyn[q0:], nr, P, false, cg, Q)
				l.colAdd(cg, q0, q1, dxs)
			}
			if l.padded {
				l.unpadAdd(dxs, dxn)
			}
		}
		putBuf(padp)
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
	l := newLowering(&s)
	// dW[F×K] = Σ_n dy_n[F×P]·col_nᵀ, computed with 3×4 dot-product tiles
	// over operands padded to Fp rows, Kp rows and ld (multiple of 8)
	// columns, the padding being zero.
	Fp, Kp, ld := (s.F+dotRows-1)/dotRows*dotRows, (K+3)/4*4, (qb+7)/8*8
	parallelChunks(s.N, func(wk, lo, hi int) {
		acc, dacc := dw[:s.F*K], db
		if wk > 0 {
			off := (wk - 1) * (s.F*K + s.F)
			acc = part[off : off+s.F*K]
			dacc = part[off+s.F*K : off+s.F*K+s.F]
		}
		if dacc != nil {
			clear(dacc[:s.F])
		}
		colp := getBuf(Kp * ld)
		col := *colp
		clear(col[K*ld:])
		dybp := getBuf(Fp * ld)
		dyb := *dybp
		clear(dyb[s.F*ld:])
		accpp := getBuf(Fp * Kp)
		accp := *accpp
		clear(accp)
		padp := getBuf(l.imageLen())
		for n := lo; n < hi; n++ {
			xs := l.image(x[n*chw:(n+1)*chw], *padp)
			dyn := dy[n*fp : (n+1)*fp]
			for q0 := 0; q0 < P; q0 += qb {
				q1 := min(q0+qb, P)
				Q := q1 - q0
				Q8 := (Q + 7) / 8 * 8
				l.colPlain(xs, q0, q1, col, ld)
				for f := 0; f < s.F; f++ {
					copy(dyb[f*ld:f*ld+Q], dyn[f*P+q0:f*P+q1])
				}
				if Q8 != Q {
					for r := 0; r < K; r++ {
						clear(col[r*ld+Q : r*ld+Q8])
					}
					for f := 0; f < s.F; f++ {
						clear(dyb[f*ld+Q : f*ld+Q8])
					}
				}
				for k0 := 0; k0 < Kp; k0 += 4 {
					dot(Q8/8, Fp/dotRows, dyb, ld, col[k0*ld:], ld, accp[k0:], Kp)
				}
			}
			if dacc != nil {
				for f := 0; f < s.F; f++ {
					dacc[f] += sum32(dyn[f*P : (f+1)*P])
				}
			}
		}
		for f := 0; f < s.F; f++ {
			copy(acc[f*K:(f+1)*K], accp[f*Kp:f*Kp+K])
		}
		putBuf(padp)
		putBuf(accpp)
		putBuf(dybp)
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

// sum32 returns the sum of the elements of v (four partial sums).
func sum32(v []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(v); i += 4 {
		w := (*[4]float32)(v[i : i+4])
		s0 += w[0]
		s1 += w[1]
		s2 += w[2]
		s3 += w[3]
	}
	for ; i < len(v); i++ {
		s0 += v[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// fill sets every element of v to x (by doubling copies, which use the
// vectorised memmove).
func fill(v []float32, x float32) {
	if len(v) == 0 {
		return
	}
	v[0] = x
	for n := 1; n < len(v); n *= 2 {
		copy(v[n:], v[:n])
	}
}
