package kernels

import (
	"fmt"
	"slices"
)

// Conv2DBackwardFilterPooled computes dw ([F,C,KH,KW], overwritten) and, if
// db is not nil, db ([F], overwritten), like Conv2DBackwardFilter, when the
// convolution's output y feeds a max pool only: the output gradient dy is
// then zero except at the pool's argmax positions, which get the pooled
// gradient dq of their windows. ps is the pool's shape (ps.N, ps.C, ps.H,
// ps.W must be N, F, OH, OW), argmax its argmax (from MaxPool2DForward or
// MaxPool2DReLUForward, whose -1 entries pass no gradient) and dq
// ([N,F,ps.OH,ps.OW]) its output gradient.
//
// dy is never formed: every window contributes its gradient times the
// input patch of its argmax, so the work is proportional to the pooled
// size rather than to the convolution's output size. As for
// Conv2DBackwardFilter, the result does not depend on GOMAXPROCS.
func Conv2DBackwardFilterPooled(s ConvShape, ps PoolShape, x, dq []float32, argmax []int32, dw, db []float32) {
	s.mustValidate()
	ps.mustValidate()
	if ps.N != s.N || ps.C != s.F || ps.H != s.OH || ps.W != s.OW {
		panic(fmt.Sprintf("kernels: pool %+v is not over the output of convolution %+v", ps, s))
	}
	chw, P, po := s.C*s.H*s.W, s.OH*s.OW, ps.OH*ps.OW
	checkLen("x", x, s.N*chw)
	checkLen("dq", dq, s.N*s.F*po)
	if len(argmax) < s.N*s.F*po {
		panic(fmt.Sprintf("kernels: argmax has length %d, need %d", len(argmax), s.N*s.F*po))
	}
	checkLen("dw", dw, s.F*s.C*s.KH*s.KW)
	if db != nil {
		checkLen("db", db, s.F)
	}
	p := newConvPlan(&s)
	k2 := p.k2
	// srcOf[p]: image offset of the top-left of the window of output p.
	srcOf := make([]int32, P)
	for oh := 0; oh < s.OH; oh++ {
		for ow := 0; ow < s.OW; ow++ {
			srcOf[oh*s.OW+ow] = int32(oh*s.SH*p.wp + ow)
		}
	}
	imgLen := chw
	if !p.direct {
		imgLen = p.imgLen
	}
	pd := newPoolDot(p, useAsm)
	// Per group of images: the accumulators of every filter, then the bias
	// gradient.
	fLen := pd.accLen(k2)
	accLen := s.F*fLen + s.F
	nw, _ := groups(s.N)
	partp := getBuf(nw * accLen)
	part := *partp
	cnts := make([]int32, nw*s.F)
	parallelGroups(s.N, func(wk, lo, hi int) {
		acc := part[wk*accLen : (wk+1)*accLen]
		clear(acc)
		var sums []float32
		if db != nil {
			sums = acc[accLen-s.F:]
		}
		xb := getBuf(imgLen + pd.slack)
		clear((*xb)[imgLen:])
		listp := getBuf(2 * s.F * po)
		cnt := cnts[wk*s.F : (wk+1)*s.F]
		for n := lo; n < hi; n++ {
			xn := x[n*chw : (n+1)*chw]
			xs := x[n*chw:]
			switch {
			case !p.direct:
				xs = p.image(xn, *xb)[:cap(*xb)]
			case pd.reach > len(xs):
				copy(*xb, xn)
				xs = *xb
			}
			o := n * s.F * po
			pd.run(s.F, dq[o:], argmax[o:], po, n*s.F*P, P, srcOf, xs, acc, fLen, sums, *listp, cnt)
		}
		putBuf(listp)
		putBuf(xb)
	})
	sumGroups(part, accLen, nw)
	clear(dw[:s.F*k2])
	for f := 0; f < s.F; f++ {
		pd.collect(part[f*fLen:], dw[f*k2:(f+1)*k2])
	}
	if db != nil {
		copy(db, part[accLen-s.F:accLen])
	}
	putBuf(partp)
}

// PooledFilterGradPays reports whether Conv2DBackwardFilterPooled is the
// faster way to the filter gradient of s when its output feeds a 2x2 max
// pool, rather than forming the output gradient and calling
// Conv2DBackwardFilter. The assembly kernel of the pooled gradient reads
// blocks of 2 channels × 5 kernel rows × 8 columns per window, a waste for
// small kernels over several channels (a 3x3 kernel uses 9 of every 40
// values, a 1x1 kernel 1 of 40), where the dense kernel uses all it reads;
// a single input channel keeps it ahead, as there is no data gradient to
// need the output gradient anyway and the dense kernel's patches are
// short. The portable kernels always gain from the 4 times fewer windows.
// The answer depends on the shape and the kernel path only.
func PooledFilterGradPays(s ConvShape) bool {
	if !useAsm || s.C == 1 {
		return true
	}
	p := newConvPlan(&s)
	pd := newPoolDot(p, true)
	if !pd.asm {
		return true
	}
	// The share of the values it computes that the pooled kernel keeps.
	return 10*p.k2 >= 3*len(pd.passes)*80
}

// poolDot runs the per-window accumulation of Conv2DBackwardFilterPooled
// for one filter over a block of images. The assembly kernels take
// "passes" of up to 2 channels × 5 kernel rows, one 8-float vector per row
// (so kernels up to 8 columns wide), reading a fixed 2×5 or 1×5 block of
// rows; the results of rows and columns outside the kernel are dropped.
// Otherwise a scalar loop accumulates into [k2] directly.
type poolDot struct {
	p      *convPlan
	asm    bool
	passes [][2]int // channel c0 and kernel row i0 of each pass
	reach  int      // 1 + the largest image offset read
	slack  int      // floats that may be read past an image
}

func newPoolDot(p *convPlan, asm bool) *poolDot {
	s := p.s
	pd := &poolDot{p: p, asm: asm && p.kw2 <= 8}
	maxSrc := (s.OH-1)*s.SH*p.wp + s.OW - 1
	if !pd.asm {
		pd.reach = maxSrc + int(slices.Max(p.offK)) + 1
		return pd
	}
	for c0 := 0; c0 < p.c2; c0 += 2 {
		for i0 := 0; i0 < s.KH; i0 += 5 {
			pd.passes = append(pd.passes, [2]int{c0, i0})
			last := (c0+min(2, p.c2-c0)-1)*p.hp*p.wp + (i0+4)*p.wp + 8
			pd.reach = max(pd.reach, maxSrc+last)
		}
	}
	pd.slack = max(0, pd.reach-p.imgLen)
	return pd
}

// accLen is the accumulator length per filter.
func (pd *poolDot) accLen(k2 int) int {
	if pd.asm {
		return len(pd.passes) * 80
	}
	return k2
}

// run accumulates the windows of nf filters of one image: the planes dq,
// am of filter f start at f*npo; am[o] - amoff - f*amf is the output
// position and srcOf[position] its window in x. Filter f's accumulators
// start at acc[f*accf], its gradient sum is added to sums[f] (if sums is
// not nil). Windows without gradient (argmax -1) are skipped. list and cnt
// are scratch of at least 2*nf*npo and nf entries for the assembly kernels,
// which first gather the valid windows of every filter as (gradient,
// window offset) pairs and then make one pass over them per block of
// kernel rows.
func (pd *poolDot) run(nf int, dq []float32, am []int32, npo, amoff, amf int, srcOf []int32, x []float32, acc []float32, accf int, sums []float32, list []float32, cnt []int32) {
	p := pd.p
	list, cnt = list[:2*nf*npo], cnt[:nf]
	dq, am = dq[:nf*npo], am[:nf*npo]
	if !pd.asm {
		for f := range cnt {
			a := acc[f*accf : f*accf+p.k2]
			base := amoff + f*amf
			for o := f * npo; o < (f+1)*npo; o++ {
				pos := int(am[o]) - base
				if pos < 0 || pos >= len(srcOf) {
					continue
				}
				v := dq[o]
				if sums != nil {
					sums[f] += v
				}
				xw := x[srcOf[pos]:]
				for k, off := range p.offK {
					a[k] += v * xw[off]
				}
			}
		}
		return
	}
	poolList(nf, npo, &dq[0], &am[0], amoff, amf, &srcOf[0], len(srcOf), &list[0], &cnt[0])
	_ = x[pd.reach-1]
	_ = acc[(nf-1)*accf+len(pd.passes)*80-1]
	var sp *float32 // the first pass sums the gradients
	if sums != nil {
		_ = sums[nf-1]
		sp = &sums[0]
	}
	for i, ps := range pd.passes {
		xp := &x[ps[0]*p.hp*p.wp+ps[1]*p.wp]
		if p.c2-ps[0] >= 2 {
			poolDot10(nf, &cnt[0], &list[0], xp, p.wp, p.hp*p.wp, &acc[i*80], accf, sp)
		} else {
			poolDot5(nf, &cnt[0], &list[0], xp, p.wp, p.hp*p.wp, &acc[i*80], accf, sp)
		}
		sp = nil
	}
}

// collect adds one filter's accumulators to its gradient dw [C,KH,KW]:
// the accumulator of prepared channel c2 = c*SW + j0, kernel row r and
// column j1 is that of kernel column j = SW*j1 + j0 (when j < KW).
func (pd *poolDot) collect(acc, dw []float32) {
	p := pd.p
	if !pd.asm {
		for k := range dw {
			dw[k] += acc[k]
		}
		return
	}
	s := p.s
	for i, ps := range pd.passes {
		for c2 := ps[0]; c2 < min(ps[0]+2, p.c2); c2++ {
			c, j0 := c2/s.SW, c2%s.SW
			for r := ps[1]; r < min(ps[1]+5, s.KH); r++ {
				v := acc[i*80+((c2-ps[0])*5+r-ps[1])*8:]
				d := dw[(c*s.KH+r)*s.KW : (c*s.KH+r+1)*s.KW]
				for j1 := 0; j1 < p.kw2; j1++ {
					if j := s.SW*j1 + j0; j < s.KW {
						d[j] += v[j1]
					}
				}
			}
		}
	}
}
