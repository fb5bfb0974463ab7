package ops

import "github.com/gocnn/cnn/internal/kernels"

// float is the set of element types the reference loops handle.
type float interface{ ~float32 | ~float64 }

// The functions below are plain, obviously-correct loops. They run the
// float64 path of every op and serve as the reference the float32 kernels
// are tested against.

func refConvForward[T float](s kernels.ConvShape, x, w, b, y []T) {
	for n := 0; n < s.N; n++ {
		for f := 0; f < s.F; f++ {
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					var sum T
					if b != nil {
						sum = b[f]
					}
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
								sum += w[((f*s.C+c)*s.KH+i)*s.KW+j] * x[((n*s.C+c)*s.H+ih)*s.W+iw]
							}
						}
					}
					y[((n*s.F+f)*s.OH+oh)*s.OW+ow] = sum
				}
			}
		}
	}
}

// refConvBackward computes whichever of dx, dw and db are non-nil.
func refConvBackward[T float](s kernels.ConvShape, x, w, dy, dx, dw, db []T) {
	clear(dx)
	clear(dw)
	clear(db)
	for n := 0; n < s.N; n++ {
		for f := 0; f < s.F; f++ {
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					g := dy[((n*s.F+f)*s.OH+oh)*s.OW+ow]
					if db != nil {
						db[f] += g
					}
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
								wi := ((f*s.C+c)*s.KH+i)*s.KW + j
								xi := ((n*s.C+c)*s.H+ih)*s.W + iw
								if dx != nil {
									dx[xi] += w[wi] * g
								}
								if dw != nil {
									dw[wi] += x[xi] * g
								}
							}
						}
					}
				}
			}
		}
	}
}

// refPool runs max (isMax) or average pooling forward; for max pooling it
// records the flat index of each maximum in argmax.
func refPool[T float](s kernels.PoolShape, isMax bool, x, y []T, argmax []int32) {
	for n := 0; n < s.N; n++ {
		for c := 0; c < s.C; c++ {
			plane := (n*s.C + c) * s.H * s.W
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					var acc T
					best, count := -1, 0
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
							xi := plane + ih*s.W + iw
							count++
							if isMax {
								if best < 0 || x[xi] > x[best] {
									best = xi
								}
							} else {
								acc += x[xi]
							}
						}
					}
					o := ((n*s.C+c)*s.OH+oh)*s.OW + ow
					switch {
					case isMax && best >= 0:
						y[o] = x[best]
					case !isMax && count > 0:
						y[o] = acc / T(count)
					default:
						y[o] = 0
					}
					if isMax {
						argmax[o] = int32(best)
					}
				}
			}
		}
	}
}

// refAvgPoolBackward spreads each output gradient evenly over the input cells
// of its window.
func refAvgPoolBackward[T float](s kernels.PoolShape, dy, dx []T) {
	clear(dx)
	for n := 0; n < s.N; n++ {
		for c := 0; c < s.C; c++ {
			plane := (n*s.C + c) * s.H * s.W
			for oh := 0; oh < s.OH; oh++ {
				for ow := 0; ow < s.OW; ow++ {
					h0, h1 := max(oh*s.SH-s.PadT, 0), min(oh*s.SH-s.PadT+s.KH, s.H)
					w0, w1 := max(ow*s.SW-s.PadL, 0), min(ow*s.SW-s.PadL+s.KW, s.W)
					count := (h1 - h0) * (w1 - w0)
					if count <= 0 {
						continue
					}
					g := dy[((n*s.C+c)*s.OH+oh)*s.OW+ow] / T(count)
					for ih := h0; ih < h1; ih++ {
						for iw := w0; iw < w1; iw++ {
							dx[plane+ih*s.W+iw] += g
						}
					}
				}
			}
		}
	}
}

// refMatMul computes c = op(a)·op(b) for row-major a and b, where op
// transposes when asked. op(a) is m×k and op(b) is k×n.
func refMatMul[T float](transA, transB bool, m, n, k int, a, b, c []T) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var sum T
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
