package kernels

import "math"

// FirstNonFinite returns the index of the first value of x that is NaN or
// infinite, or -1 when every value is finite. The assembly path tests 32
// values at a time; the rest are tested one by one.
func FirstNonFinite(x []float32) int {
	i := 0
	if useAsm {
		i = finiteAsm(x)
	}
	// A float32 is NaN or infinite exactly when its eight exponent bits
	// are all ones: blocks of eight are tested together first, so the
	// portable path has one branch per block.
	const exp = 0x7f800000
	for ; i+8 <= len(x); i += 8 {
		b := x[i : i+8 : i+8]
		if math.Float32bits(b[0])&exp == exp || math.Float32bits(b[1])&exp == exp ||
			math.Float32bits(b[2])&exp == exp || math.Float32bits(b[3])&exp == exp ||
			math.Float32bits(b[4])&exp == exp || math.Float32bits(b[5])&exp == exp ||
			math.Float32bits(b[6])&exp == exp || math.Float32bits(b[7])&exp == exp {
			break
		}
	}
	for ; i < len(x); i++ {
		if math.Float32bits(x[i])&exp == exp {
			return i
		}
	}
	return -1
}
