package graph

import (
	"math"
	"math/rand/v2"

	"github.com/pkg/errors"
)

// An Initializer fills dst, the values of a parameter of the given shape,
// drawing any randomness from rng.
type Initializer func(rng *rand.Rand, shape []int, dst []float64)

// Fans returns the fan-in and fan-out of a parameter of the given shape:
// for a dense kernel [in, out] they are in and out; for a convolution
// kernel [F, C, KH, KW] they are C·KH·KW and F·KH·KW, as Keras counts them;
// for a vector of n they are both n.
func Fans(shape []int) (in, out int) {
	switch len(shape) {
	case 0:
		return 1, 1
	case 1:
		return shape[0], shape[0]
	case 2:
		return shape[0], shape[1]
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// Zeros sets every value to 0. It is the default for biases.
func Zeros(_ *rand.Rand, _ []int, dst []float64) { clear(dst) }

// Constant sets every value to v.
func Constant(v float64) Initializer {
	return func(_ *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = v
		}
	}
}

// RandomUniform draws from the uniform distribution on [lo, hi).
func RandomUniform(lo, hi float64) Initializer {
	return func(rng *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = lo + (hi-lo)*rng.Float64()
		}
	}
}

// RandomNormal draws from the normal distribution with the given mean and
// standard deviation.
func RandomNormal(mean, stddev float64) Initializer {
	return func(rng *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = mean + stddev*rng.NormFloat64()
		}
	}
}

// Mode says which fan a variance-scaling initialiser divides by.
type Mode int

// The fans of VarianceScaling.
const (
	FanIn Mode = iota
	FanOut
	FanAvg
)

// Distribution is the distribution a variance-scaling initialiser draws from.
type Distribution int

// The distributions of VarianceScaling.
const (
	// Uniform draws from [-limit, limit) with limit = sqrt(3·scale/fan).
	Uniform Distribution = iota
	// TruncatedNormal draws from a normal with stddev sqrt(scale/fan),
	// corrected for truncation at two standard deviations (as Keras does).
	TruncatedNormal
)

// VarianceScaling draws values whose variance is scale/fan, where fan is the
// parameter's fan-in, fan-out or their average (see Fans). Glorot, He and
// LeCun initialisation are special cases.
func VarianceScaling(scale float64, mode Mode, dist Distribution) Initializer {
	return func(rng *rand.Rand, shape []int, dst []float64) {
		in, out := Fans(shape)
		fan := float64(in)
		switch mode {
		case FanOut:
			fan = float64(out)
		case FanAvg:
			fan = float64(in+out) / 2
		}
		v := scale / max(fan, 1)
		if dist == Uniform {
			limit := math.Sqrt(3 * v)
			for i := range dst {
				dst[i] = limit * (2*rng.Float64() - 1)
			}
			return
		}
		// 0.8796 is the standard deviation of a unit normal truncated to [-2, 2].
		std := math.Sqrt(v) / 0.87962566103423978
		for i := range dst {
			z := rng.NormFloat64()
			for math.Abs(z) > 2 {
				z = rng.NormFloat64()
			}
			dst[i] = std * z
		}
	}
}

// The named initialisers of Keras.
var (
	// GlorotUniform draws from U(-l, l) with l = sqrt(6/(fan_in+fan_out)).
	// It is the default for kernels.
	GlorotUniform = VarianceScaling(1, FanAvg, Uniform)
	// GlorotNormal draws from a truncated normal with variance 2/(fan_in+fan_out).
	GlorotNormal = VarianceScaling(1, FanAvg, TruncatedNormal)
	// HeUniform draws from U(-l, l) with l = sqrt(6/fan_in).
	HeUniform = VarianceScaling(2, FanIn, Uniform)
	// HeNormal draws from a truncated normal with variance 2/fan_in.
	HeNormal = VarianceScaling(2, FanIn, TruncatedNormal)
	// LecunUniform draws from U(-l, l) with l = sqrt(3/fan_in).
	LecunUniform = VarianceScaling(1, FanIn, Uniform)
	// LecunNormal draws from a truncated normal with variance 1/fan_in.
	LecunNormal = VarianceScaling(1, FanIn, TruncatedNormal)
)

// InitializerByName returns the initialiser with the Keras name: zeros,
// glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform or
// lecun_normal.
func InitializerByName(name string) (Initializer, error) {
	switch name {
	case "zeros":
		return Zeros, nil
	case "glorot_uniform":
		return GlorotUniform, nil
	case "glorot_normal":
		return GlorotNormal, nil
	case "he_uniform":
		return HeUniform, nil
	case "he_normal":
		return HeNormal, nil
	case "lecun_uniform":
		return LecunUniform, nil
	case "lecun_normal":
		return LecunNormal, nil
	}
	return nil, errors.Errorf("unknown initializer %q", name)
}
