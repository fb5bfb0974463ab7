package kernels

import (
	"fmt"

	"github.com/pkg/errors"
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
		return errors.Errorf("kernels: conv input size N=%d C=%d H=%d W=%d must be positive", s.N, s.C, s.H, s.W)
	}
	if s.F <= 0 || s.KH <= 0 || s.KW <= 0 {
		return errors.Errorf("kernels: conv filter size F=%d KH=%d KW=%d must be positive", s.F, s.KH, s.KW)
	}
	if s.SH <= 0 || s.SW <= 0 {
		return errors.Errorf("kernels: conv stride %dx%d must be positive", s.SH, s.SW)
	}
	if s.OH <= 0 || s.OW <= 0 {
		return errors.Errorf("kernels: conv output size %dx%d must be positive", s.OH, s.OW)
	}
	return checkWindows(s.H, s.W, s.KH, s.KW, s.SH, s.SW, s.PadT, s.PadL, s.OH, s.OW)
}

func checkWindows(h, w, kh, kw, sh, sw, padT, padL, oh, ow int) error {
	if padT < 0 || padL < 0 {
		return errors.New("kernels: negative padding")
	}
	if padT >= kh || padL >= kw {
		return errors.Errorf("kernels: padding %d,%d must be smaller than the window %dx%d", padT, padL, kh, kw)
	}
	if (oh-1)*sh-padT >= h || (ow-1)*sw-padL >= w {
		return errors.Errorf("kernels: output %dx%d with stride %dx%d and padding %d,%d has windows outside the %dx%d input", oh, ow, sh, sw, padT, padL, h, w)
	}
	return nil
}

// flat returns s itself, or, for a 1x1 convolution with unit strides and
// no padding, the same convolution over images of one row of H*W pixels:
// its chunks then run over whole planes, which are a multiple of 8 long
// more often than their rows are.
func (s ConvShape) flat() ConvShape {
	if s.KH == 1 && s.KW == 1 && s.SH == 1 && s.SW == 1 && s.PadT == 0 && s.PadL == 0 && s.OH == s.H && s.OW == s.W {
		s.W, s.OW = s.H*s.W, s.H*s.W
		s.H, s.OH = 1, 1
	}
	return s
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

// Conv2DForward computes y[n,f,oh,ow] = b[f] + Σ_{c,i,j} w[f,c,i,j] ·
// x[n,c,oh*SH+i-PadT, ow*SW+j-PadL], with x taken as zero outside the
// input. x is [N,C,H,W], w is [F,C,KH,KW], b is [F] or nil, and y
// ([N,F,OH,OW]) is fully overwritten. Images are processed in parallel.
func Conv2DForward(s ConvShape, x, w, b, y []float32) {
	convForward(s, x, w, b, y)
}

func convForward(s ConvShape, x, w, b, y []float32) {
	s.mustValidate()
	s = s.flat()
	chw, fp := s.C*s.H*s.W, s.F*s.OH*s.OW
	checkLen("x", x, s.N*chw)
	checkLen("w", w, s.F*s.C*s.KH*s.KW)
	checkLen("y", y, s.N*fp)
	if m := winoTile(s, passFwd); m != 0 {
		if b != nil {
			checkLen("b", b, s.F)
		}
		winoForward(s, m, x, w, b, y)
		return
	}
	p := newConvPlanFwd(&s)
	k2 := p.k2
	// The filters in panels of mr; when F is not a multiple of mr (but at
	// least mr), the last panel holds the last mr filters, overlapping
	// the one before: its rows are computed twice, with the same results,
	// so that every tile is stored in place.
	fpad := (s.F + mr - 1) / mr * mr
	overlap := s.F%mr != 0 && s.F > mr
	ap := getBuf(packedASize(s.F, k2))
	w2 := w // patch elements are in weight order
	if overlap {
		packA(false, fpad-mr, k2, 1, w2, k2, *ap)
		packA(false, mr, k2, 1, w2[(s.F-mr)*k2:], k2, (*ap)[(fpad-mr)*k2:])
	} else {
		packA(false, s.F, k2, 1, w2, k2, *ap)
	}
	var bias []float32
	if b != nil {
		checkLen("b", b, s.F)
		bp := getBuf(fpad)
		defer putBuf(bp)
		bias = *bp
		copy(bias, b)
		if overlap {
			copy(bias[fpad-mr:], b[s.F-mr:])
		}
	}
	if workers(s.N) == 1 {
		// No closure, so nothing to allocate for a single image.
		convForwardImages(0, s.N, &s, p, *ap, bias, overlap, x, y)
	} else {
		sc := s // a copy, so that only this branch moves a shape to the heap
		sp := &sc
		parallelImages(s.N, func(lo, hi int) { convForwardImages(lo, hi, sp, p, *ap, bias, overlap, x, y) })
	}
	putBuf(ap)
}

// convForwardImages is convForward of the images [lo, hi), with the
// filters packed in ap and the bias padded to whole panels (nil: none).
func convForwardImages(lo, hi int, s *ConvShape, p *convPlan, ap, bias []float32, overlap bool, x, y []float32) {
	chw, fp := s.C*s.H*s.W, s.F*s.OH*s.OW
	k2, ol := p.k2, p.outLen
	coff := [mr]int32{0, int32(ol), int32(2 * ol), int32(3 * ol), int32(4 * ol)}
	var tmp [mr * nr]float32
	xb := getBuf(p.imgLen)
	yb := getBuf(s.F * ol)
	for n := lo; n < hi; n++ {
		xs := p.image(x[n*chw:(n+1)*chw], *xb)
		yn := y[n*fp : (n+1)*fp]
		ys := yn
		if p.owp != s.OW {
			ys = *yb
		}
		for i0 := 0; i0 < s.F; i0 += mr {
			at := ap[i0*k2 : (i0+mr)*k2]
			var bt []float32
			if bias != nil {
				bt = bias[i0 : i0+mr]
			}
			f0 := i0
			if overlap {
				f0 = min(i0, s.F-mr)
			}
			if rows := s.F - f0; rows >= mr {
				// An odd last chunk is computed (and stored) twice.
				kernel(k2, at, p.offK, xs, p.src, coff[:], ys[f0*ol:], p.pos, bt, 0)
			} else {
				for t := 0; t < len(p.src); t += 2 {
					kernel(k2, at, p.offK, xs, p.src[t:t+2], tileOff[:], tmp[:], halves[:], bt, 0)
					for r := 0; r < rows; r++ {
						for h := 0; h < 2; h++ {
							copy(ys[(f0+r)*ol+int(p.pos[t+h]):][:8], tmp[r*nr+8*h:])
						}
					}
				}
			}
		}
		if p.owp != s.OW {
			p.unpadRows(ys, yn)
		}
	}
	putBuf(yb)
	putBuf(xb)
}

// Conv2DBackwardData computes dx, the gradient of the loss with respect to
// the input x ([N,C,H,W], fully overwritten), from the weights w and the
// output gradient dy ([N,F,OH,OW]).
//
// Per image, dcol = Wᵀ·dy is computed tile by tile and every tile is added
// straight into the image gradient at the patch offsets (col2im fused into
// the GEMM). The patch rows are ordered (c, j, i), so that the five rows of
// a tile (same c and j, consecutive i) update different image rows.
func Conv2DBackwardData(s ConvShape, w, dy, dx []float32) {
	s.mustValidate()
	s = s.flat()
	chw, fp := s.C*s.H*s.W, s.F*s.OH*s.OW
	checkLen("w", w, s.F*s.C*s.KH*s.KW)
	checkLen("dy", dy, s.N*fp)
	checkLen("dx", dx, s.N*chw)
	if m := winoTile(s, passData); m != 0 {
		winoBackwardData(s, m, w, dy, dx)
		return
	}
	p := newConvPlan(&s)
	k2, ol := p.k2, p.outLen
	// A = Wᵀ [k2 × F] with its rows permuted to (c, j, i) order, and the
	// image offset of each of those rows.
	kp := (k2 + mr - 1) / mr * mr
	ap := getBuf(kp * s.F)
	scat := make([]int32, kp)
	r := 0
	for c := 0; c < s.C; c++ {
		for j := 0; j < s.KW; j++ {
			for i := 0; i < s.KH; i++ {
				kk := (c*s.KH+i)*s.KW + j
				scat[r] = p.offK[kk]
				panel := (*ap)[r/mr*mr*s.F:]
				for f := 0; f < s.F; f++ {
					panel[f*mr+r%mr] = w[f*k2+kk]
				}
				r++
			}
		}
	}
	// Padding rows have zero weights: they add zeros to the image
	// gradient, at the offset of the panel's first row.
	for ; r < kp; r++ {
		scat[r] = scat[r/mr*mr]
		panel := (*ap)[r/mr*mr*s.F:]
		for f := 0; f < s.F; f++ {
			panel[f*mr+r%mr] = 0
		}
	}
	boff := make([]int32, s.F)
	for f := range boff {
		boff[f] = int32(f * ol)
	}
	full := p.nch / 2 * 2 // chunks in complete pairs
	parallelImages(s.N, func(lo, hi int) {
		var tmp [mr * nr]float32
		dxb := getBuf(p.imgLen)
		dyb := getBuf(s.F * ol)
		for n := lo; n < hi; n++ {
			dys := dy[n*fp : (n+1)*fp]
			if p.owp != s.OW {
				p.padRows(dys, *dyb)
				dys = *dyb
			}
			dxn := dx[n*chw : (n+1)*chw]
			dxs := dxn
			if !p.direct {
				dxs = *dxb
			}
			clear(dxs)
			for k0 := 0; k0 < k2; k0 += mr {
				at := (*ap)[k0*s.F : (k0+mr)*s.F]
				co := scat[k0 : k0+mr]
				rows := min(mr, k2-k0)
				t := 0
				if full > 0 {
					kernel(s.F, at, boff, dys, p.pos[:full], co, dxs, p.src[:full], nil, kAdd)
					t = full
				}
				// The tile of an odd last chunk goes through tmp.
				for ; t < p.nch; t += 2 {
					kernel(s.F, at, boff, dys, p.pos[t:t+2], tileOff[:], tmp[:], halves[:], nil, 0)
					for r := 0; r < rows; r++ {
						add8(dxs[int(p.src[t])+int(co[r]):], tmp[r*nr:])
						if t+1 < p.nch {
							add8(dxs[int(p.src[t+1])+int(co[r]):], tmp[r*nr+8:])
						}
					}
				}
			}
			if !p.direct {
				p.unprepare(dxs, dxn)
			}
		}
		putBuf(dyb)
		putBuf(dxb)
	})
	putBuf(ap)
}

// add8 sets dst[l] += src[l] for l < 8.
func add8(dst, src []float32) {
	d, s := (*[8]float32)(dst[:8]), (*[8]float32)(src[:8])
	for l, v := range s {
		d[l] += v
	}
}

// filterBlockBytes is the size of the images and output gradients a
// filter-gradient worker sweeps per block, sized to stay in L2.
const filterBlockBytes = 192 << 10

// Conv2DBackwardFilter computes dw ([F,C,KH,KW], overwritten), the gradient
// of the loss with respect to the weights, from the input x and the output
// gradient dy, and, if db is not nil, the bias gradient db ([F],
// overwritten). The images are summed in groups that do not depend on
// GOMAXPROCS (see parallelGroups), so neither does the result.
//
// Each group is swept in L2-sized blocks of images; per block, every 4×3
// tile of dW is one dot product over all the block's output positions,
// reading the patches in place.
func Conv2DBackwardFilter(s ConvShape, x, dy, dw, db []float32) {
	s.mustValidate()
	s = s.flat()
	chw, fp := s.C*s.H*s.W, s.F*s.OH*s.OW
	checkLen("x", x, s.N*chw)
	checkLen("dy", dy, s.N*fp)
	checkLen("dw", dw, s.F*s.C*s.KH*s.KW)
	if db != nil {
		checkLen("db", db, s.F)
	}
	if m := winoTile(s, passFilter); m != 0 {
		winoBackwardFilter(s, m, x, dy, dw, db)
		return
	}
	p := newConvPlan(&s)
	k2, ol := p.k2, p.outLen
	// Tiles cover Kp columns: the padding columns repeat the last real one
	// and their results are dropped.
	Kp := (k2 + dotCols - 1) / dotCols * dotCols
	offK := make([]int32, Kp)
	for k := range offK {
		offK[k] = p.offK[min(k, k2-1)]
	}
	ft := newFilterTiles(s.F, ol)
	imgLen := chw
	if !p.direct {
		imgLen = p.imgLen
	}
	nb := max(1, filterBlockBytes/(4*(imgLen+s.F*ol)))
	nw, _ := groups(s.N)
	accLen := ft.rows*Kp + s.F
	partp := getBuf(nw * accLen)
	part := *partp
	parallelGroups(s.N, func(wk, lo, hi int) {
		acc := part[wk*accLen : (wk+1)*accLen]
		clear(acc)
		sums := acc[ft.rows*Kp:]
		nb := min(nb, hi-lo)
		xb := getBuf(nb * imgLen)
		dyb := getBuf(nb * s.F * ol)
		for n0 := lo; n0 < hi; n0 += nb {
			n1 := min(n0+nb, hi)
			xs := x[n0*chw : n1*chw]
			if !p.direct {
				for n := n0; n < n1; n++ {
					p.image(x[n*chw:(n+1)*chw], (*xb)[(n-n0)*imgLen:])
				}
				xs = *xb
			}
			dys := dy[n0*fp : n1*fp]
			if p.owp != s.OW {
				for n := n0; n < n1; n++ {
					p.padRows(dy[n*fp:(n+1)*fp], (*dyb)[(n-n0)*s.F*ol:])
				}
				dys = *dyb
			}
			for _, t := range ft.tiles {
				for k0 := 0; k0 < k2; k0 += dotCols {
					dot(n1-n0, dys[t.f0*ol:], t.lda, s.F*ol, p.src[:p.nch], xs, offK[k0:k0+dotCols], imgLen, acc[t.row*Kp+k0:], Kp)
				}
			}
			if db != nil {
				for n := 0; n < n1-n0; n++ {
					for f := range sums {
						sums[f] += sum(dys[(n*s.F+f)*ol : (n*s.F+f+1)*ol])
					}
				}
			}
		}
		putBuf(dyb)
		putBuf(xb)
	})
	sumGroups(part, accLen, nw)
	for f := 0; f < s.F; f++ {
		copy(dw[f*k2:(f+1)*k2], part[ft.rowOf(f)*Kp:])
	}
	if db != nil {
		copy(db, part[ft.rows*Kp:ft.rows*Kp+s.F])
	}
	putBuf(partp)
}

// filterTiles lays the F filters out on the dotRows-row tiles of the
// filter gradient: tile (f0, lda, row) sums the output-gradient rows f0,
// f0+lda, ... (lda in planes of ol values) into the accumulator rows
// row, row+1, ...
type filterTiles struct {
	tiles []filterTile
	rows  int // accumulator rows
	f     int
}

type filterTile struct{ f0, lda, row int }

// newFilterTiles tiles f filters whose planes are ol apart: whole tiles,
// then, if f is not a multiple of dotRows, one over the last dotRows
// filters (overlapping the one before) into rows of its own; with fewer
// than dotRows filters, one tile per filter reading it dotRows times.
func newFilterTiles(f, ol int) filterTiles {
	ft := filterTiles{f: f}
	if f < dotRows {
		for i := 0; i < f; i++ {
			ft.tiles = append(ft.tiles, filterTile{i, 0, i * dotRows})
		}
		ft.rows = f * dotRows
		return ft
	}
	for f0 := 0; f0+dotRows <= f; f0 += dotRows {
		ft.tiles = append(ft.tiles, filterTile{f0, ol, f0})
	}
	ft.rows = f / dotRows * dotRows
	if f%dotRows != 0 {
		ft.tiles = append(ft.tiles, filterTile{f - dotRows, ol, ft.rows})
		ft.rows += dotRows
	}
	return ft
}

// rowOf returns the accumulator row that holds filter i.
func (ft filterTiles) rowOf(i int) int {
	switch {
	case ft.f < dotRows:
		return i * dotRows
	case i < ft.f/dotRows*dotRows:
		return i
	default:
		return ft.rows - dotRows + i - (ft.f - dotRows)
	}
}
