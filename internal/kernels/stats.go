package kernels

// The float64 reductions of batch normalization. Every segment of a
// channel is summed in four interleaved float64 partial sums (of the
// values at j mod 4) added as (s0+s1)+(s2+s3), with the values past a
// multiple of four added to s0, and the segments' sums are added in
// order: an order fixed by the shape alone. The assembly forms run four
// segments side by side (four independent chains of additions instead of
// one) and give the same bits: they convert, subtract, multiply and add
// exactly as the Go code does, without fused multiply-adds.

// ChannelSum64 returns Σ_{i<n} Σ_{j<inner} x[i·pitch+j] in float64, in the
// order described above.
func ChannelSum64(x []float32, n, pitch, inner int) float64 {
	return channelReduce(x, nil, n, pitch, inner, 0, statSum)
}

// ChannelSqDev64 returns Σ_{i<n} Σ_{j<inner} (x[i·pitch+j] − mean)² in
// float64, in the order of ChannelSum64.
func ChannelSqDev64(x []float32, n, pitch, inner int, mean float64) float64 {
	return channelReduce(x, nil, n, pitch, inner, mean, statSqDev)
}

// ChannelDotDev64 returns Σ_{i<n} Σ_{j<inner} a[k]·(x[k] − mean) with k =
// i·pitch+j in float64, in the order of ChannelSum64.
func ChannelDotDev64(a, x []float32, n, pitch, inner int, mean float64) float64 {
	return channelReduce(x, a, n, pitch, inner, mean, statDotDev)
}

// The reductions of channelReduce.
const (
	statSum = iota
	statSqDev
	statDotDev
)

// term returns the value reduction kind adds for x (and a).
func term(kind int, a, x float32, mean float64) float64 {
	switch kind {
	case statSqDev:
		d := float64(x) - mean
		return float64(d * d) // the conversions forbid fusing into the sum
	case statDotDev:
		return float64(float64(a) * (float64(x) - mean))
	}
	return float64(x)
}

func channelReduce(x, a []float32, n, pitch, inner int, mean float64, kind int) float64 {
	if n <= 0 || inner <= 0 {
		return 0
	}
	_ = x[(n-1)*pitch+inner-1]
	if a != nil {
		_ = a[(n-1)*pitch+inner-1]
	}
	n4 := inner / 4
	var total float64
	var lanes [16]float64
	for i0 := 0; i0 < n; i0 += 4 {
		m := min(4, n-i0)
		if useAsm && n4 > 0 {
			statLanesAsm(x, a, i0, m, pitch, n4, mean, kind, &lanes)
		} else {
			for s := range m {
				o := (i0 + s) * pitch
				l := lanes[4*s : 4*s+4]
				l[0], l[1], l[2], l[3] = 0, 0, 0, 0
				for j := 0; j < 4*n4; j += 4 {
					var a0, a1, a2, a3 float32
					if a != nil {
						a0, a1, a2, a3 = a[o+j], a[o+j+1], a[o+j+2], a[o+j+3]
					}
					l[0] += term(kind, a0, x[o+j], mean)
					l[1] += term(kind, a1, x[o+j+1], mean)
					l[2] += term(kind, a2, x[o+j+2], mean)
					l[3] += term(kind, a3, x[o+j+3], mean)
				}
			}
		}
		for s := range m {
			o := (i0 + s) * pitch
			l := lanes[4*s : 4*s+4]
			s0 := l[0]
			for j := 4 * n4; j < inner; j++ {
				var av float32
				if a != nil {
					av = a[o+j]
				}
				s0 += term(kind, av, x[o+j], mean)
			}
			total += (s0 + l[1]) + (l[2] + l[3])
		}
	}
	return total
}

// LinComb sets dst[j] = (a·u[j] + b·v[j]) + c for every j < len(dst), in
// float32, each product rounded before the additions.
func LinComb(dst, u, v []float32, a, b, c float32) {
	u, v = u[:len(dst)], v[:len(dst)]
	j := 0
	if useAsm && len(dst) >= 8 {
		j = 8 * (len(dst) / 8)
		linComb8(&dst[0], &u[0], &v[0], j/8, a, b, c)
	}
	for ; j < len(dst); j++ {
		dst[j] = float32(a*u[j]) + float32(b*v[j]) + c
	}
}
