package kernels

// lowering holds the gather offsets that turn a convolution into a matrix
// product; it is computed once per call and shared by all images.
//
// Patch element kk = (c*KH+i)*KW+j of output position q = oh*OW+ow is the
// image element at offK[kk] + offQ[q] of the (possibly padded) image plane
// stack [C, hp, wp]. When the convolution reads outside the input (padding)
// the image is first copied into a zero-padded scratch image, so the
// gathers never need bounds logic.
type lowering struct {
	s      *ConvShape
	hp, wp int  // plane size of the image the offsets refer to
	padded bool // the image has to be copied into a padded buffer
	offK   []int32
	offQ   []int32
}

func newLowering(s *ConvShape) *lowering {
	l := &lowering{s: s}
	hp := (s.OH-1)*s.SH + s.KH
	wp := (s.OW-1)*s.SW + s.KW
	if s.PadT == 0 && s.PadL == 0 && hp <= s.H && wp <= s.W {
		l.hp, l.wp = s.H, s.W
	} else {
		l.padded = true
		l.hp, l.wp = hp, wp
	}
	l.offK = make([]int32, s.C*s.KH*s.KW)
	kk := 0
	for c := 0; c < s.C; c++ {
		for i := 0; i < s.KH; i++ {
			for j := 0; j < s.KW; j++ {
				l.offK[kk] = int32((c*l.hp+i)*l.wp + j)
				kk++
			}
		}
	}
	l.offQ = make([]int32, s.OH*s.OW)
	for oh := 0; oh < s.OH; oh++ {
		for ow := 0; ow < s.OW; ow++ {
			l.offQ[oh*s.OW+ow] = int32(oh*s.SH*l.wp + ow*s.SW)
		}
	}
	return l
}

// imageLen is the length of the (padded) image the offsets refer to.
func (l *lowering) imageLen() int { return l.s.C * l.hp * l.wp }

// image returns xn itself or, if padding is needed, xn copied into the
// zero-padded buffer buf (length imageLen).
func (l *lowering) image(xn, buf []float32) []float32 {
	if !l.padded {
		return xn
	}
	s := l.s
	clear(buf)
	rows := min(s.H, l.hp-s.PadT)
	cols := min(s.W, l.wp-s.PadL)
	for c := 0; c < s.C; c++ {
		for h := 0; h < rows; h++ {
			d := (c*l.hp+h+s.PadT)*l.wp + s.PadL
			o := (c*s.H + h) * s.W
			copy(buf[d:d+cols], xn[o:o+cols])
		}
	}
	return buf
}

// unpadAdd adds the interior of the padded gradient image buf into dxn.
func (l *lowering) unpadAdd(buf, dxn []float32) {
	s := l.s
	rows := min(s.H, l.hp-s.PadT)
	cols := min(s.W, l.wp-s.PadL)
	for c := 0; c < s.C; c++ {
		for h := 0; h < rows; h++ {
			d := (c*l.hp+h+s.PadT)*l.wp + s.PadL
			o := (c*s.H + h) * s.W
			dst := dxn[o : o+cols]
			for w, v := range buf[d : d+cols] {
				dst[w] += v
			}
		}
	}
}

// colPlain writes the patch matrix for positions [q0, q1) of image xs as a
// row-major [K × ld] matrix: dst[kk*ld + q-q0]. With unit column stride
// every output row is a contiguous copy; otherwise it gathers.
//
//go:noinline
func (l *lowering) colPlain(xs []float32, q0, q1 int, dst []float32, ld int) {
	offQ := l.offQ[q0:q1]
	ow := l.s.OW
	if l.s.SW == 1 {
		for kk, ok := range l.offK {
			src := xs[ok:]
			d := dst[kk*ld : kk*ld+len(offQ)]
			n := min(ow-q0%ow, len(offQ))
			for q := 0; q < len(offQ); {
				o := int(offQ[q])
				copy(d[q:q+n], src[o:o+n])
				q += n
				n = min(ow, len(offQ)-q)
			}
		}
		return
	}
	for kk, ok := range l.offK {
		src := xs[ok:]
		d := dst[kk*ld : kk*ld+len(offQ)]
		for q, o := range offQ {
			d[q] = src[o]
		}
	}
}

// colAdd scatters the row-major patch-gradient matrix cg [K × (q1-q0)]
// into the (padded) image gradient dxs. The patch rows are visited with
// the kernel column j outermost: rows j and j+1 of the same (c, i) update
// overlapping, shifted image ranges, and touching them back to back would
// stall store-to-load forwarding.
//
//go:noinline
func (l *lowering) colAdd(cg []float32, q0, q1 int, dxs []float32) {
	offQ := l.offQ[q0:q1]
	Q := len(offQ)
	ow := l.s.OW
	kw := l.s.KW
	K := len(l.offK)
	for j := 0; j < kw; j++ {
		for kk := j; kk < K; kk += kw {
			dst := dxs[l.offK[kk]:]
			src := cg[kk*Q : kk*Q+Q]
			if l.s.SW == 1 {
				n := min(ow-q0%ow, Q)
				for q := 0; q < Q; {
					o := int(offQ[q])
					addTo(dst[o:o+n], src[q:q+n])
					q += n
					n = min(ow, Q-q)
				}
				continue
			}
			for q, o := range offQ {
				dst[o] += src[q]
			}
		}
	}
}

// addTo sets dst[i] += src[i] for i < len(src).
func addTo(dst, src []float32) {
	if useAsm {
		done := addToAsm(dst, src)
		dst, src = dst[done:], src[done:]
	}
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}
