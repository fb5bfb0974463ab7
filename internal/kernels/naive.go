package kernels

// The Naive functions are plain float64 loops, obviously correct and slow.
// They are the reference every fast kernel is tested against, and the ops
// use them for float64 graphs (gradient checks in double precision).

// convVisit calls fn(xi, wi, yi) for every product x[xi]·w[wi] that
// contributes to y[yi] in the convolution s.
func convVisit(s ConvShape, fn func(xi, wi, yi int)) {
	for n := 0; n < s.N; n++ {
		for f := 0; f < s.F; f++ {
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					yi := ((n*s.F+f)*s.OH+oh)*s.OW + ow
					for c := 0; c < s.C; c++ {
						for i := 0; i < s.KH; i++ {
							ih := oh*s.SH + i - s.PadT
							if ih < 0 || ih >= s.H {
								continue
							}
							for j := 0; j < s.KW; j++ {
								iw := ow*s.SW + j - s.PadL
								if iw < 0 || iw >= s.W {
									continue
								}
								fn(((n*s.C+c)*s.H+ih)*s.W+iw, ((f*s.C+c)*s.KH+i)*s.KW+j, yi)
							}
						}
					}
				}
			}
		}
	}
}

// NaiveConvForward is Conv2DForward in float64: y (overwritten) = conv(x,
// w) + b, with b possibly nil.
func NaiveConvForward(s ConvShape, x, w, b, y []float64) {
	naiveForward(func(fn func(xi, wi, yi int)) { convVisit(s, fn) }, s.N, s.F, s.OH*s.OW, x, w, b, y)
}

// NaiveConvBackward computes, in float64, whichever of the gradients dx,
// dw and db are non-nil (each overwritten) from the output gradient dy. x is
// needed only for dw, w only for dx.
func NaiveConvBackward(s ConvShape, x, w, dy, dx, dw, db []float64) {
	naiveBackward(func(fn func(xi, wi, yi int)) { convVisit(s, fn) }, s.N, s.F, s.OH*s.OW, x, w, dy, dx, dw, db)
}

// naiveForward sets y, n examples of channels planes of plane values, to
// its bias b (one per channel; 0 if b is nil) and adds w[wi]·x[xi] to
// y[yi] for every index triple that visit yields: the reference forward
// pass of any convolution.
func naiveForward(visit func(func(xi, wi, yi int)), n, channels, plane int, x, w, b, y []float64) {
	for i := range y[:n*channels*plane] {
		y[i] = 0
		if b != nil {
			y[i] = b[(i/plane)%channels]
		}
	}
	visit(func(xi, wi, yi int) { y[yi] += w[wi] * x[xi] })
}

// naiveBackward computes whichever of dx, dw and db are non-nil (each
// overwritten) from dy, n examples of channels planes of plane values, for
// the index triples that visit yields: the reference backward pass of any
// convolution. db has one value per output channel.
func naiveBackward(visit func(func(xi, wi, yi int)), n, channels, plane int, x, w, dy, dx, dw, db []float64) {
	clear(dx)
	clear(dw)
	clear(db)
	visit(func(xi, wi, yi int) {
		if dx != nil {
			dx[xi] += w[wi] * dy[yi]
		}
		if dw != nil {
			dw[wi] += x[xi] * dy[yi]
		}
	})
	if db != nil {
		for i, v := range dy[:n*channels*plane] {
			db[(i/plane)%channels] += v
		}
	}
}

// poolVisit calls fn(yi, xi) for every in-input cell xi of output yi's window.
func poolVisit(s PoolShape, fn func(yi, xi int)) {
	for pl := 0; pl < s.N*s.C; pl++ {
		for oh := 0; oh < s.OH; oh++ {
			for ow := 0; ow < s.OW; ow++ {
				yi := (pl*s.OH+oh)*s.OW + ow
				for i := 0; i < s.KH; i++ {
					h := oh*s.SH + i - s.PadT
					if h < 0 || h >= s.H {
						continue
					}
					for j := 0; j < s.KW; j++ {
						w := ow*s.SW + j - s.PadL
						if w < 0 || w >= s.W {
							continue
						}
						fn(yi, (pl*s.H+h)*s.W+w)
					}
				}
			}
		}
	}
}

// NaiveMaxPool is MaxPool2DForward in float64: y and argmax (both
// overwritten) get each window's maximum and its flat index in x, the first
// on ties; a window with no input cell gives 0 and -1.
func NaiveMaxPool(s PoolShape, x, y []float64, argmax []int32) {
	n := s.N * s.C * s.OH * s.OW
	for i := range n {
		y[i], argmax[i] = 0, -1
	}
	poolVisit(s, func(yi, xi int) {
		if argmax[yi] < 0 || x[xi] > y[yi] {
			y[yi], argmax[yi] = x[xi], int32(xi)
		}
	})
}

// NaiveAvgPool is AvgPool2DForward in float64: y (overwritten) is each
// window's mean over its cells inside the input.
func NaiveAvgPool(s PoolShape, x, y []float64) {
	n := s.N * s.C * s.OH * s.OW
	cnt := make([]float64, n)
	clear(y[:n])
	poolVisit(s, func(yi, xi int) { y[yi] += x[xi]; cnt[yi]++ })
	for i := range cnt {
		if cnt[i] > 0 {
			y[i] /= cnt[i]
		}
	}
}

// NaiveAvgPoolBackward is AvgPool2DBackward in float64: dx (overwritten)
// gets each output gradient spread evenly over its window's input cells.
func NaiveAvgPoolBackward(s PoolShape, dy, dx []float64) {
	cnt := make([]float64, s.N*s.C*s.OH*s.OW)
	poolVisit(s, func(yi, xi int) { cnt[yi]++ })
	clear(dx[:s.N*s.C*s.H*s.W])
	poolVisit(s, func(yi, xi int) { dx[xi] += dy[yi] / cnt[yi] })
}

// NaiveMatMul is MatMul in float64: c (overwritten) = op(a)·op(b) for
// row-major a and b, op(a) m×k and op(b) k×n.
func NaiveMatMul(transA, transB bool, m, n, k int, a, b, c []float64) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum float64
			for p := 0; p < k; p++ {
				av := a[i*k+p]
				if transA {
					av = a[p*m+i]
				}
				bv := b[p*n+j]
				if transB {
					bv = b[j*k+p]
				}
				sum += av * bv
			}
			c[i*n+j] = sum
		}
	}
}
