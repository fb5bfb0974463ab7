package graph

import (
	"math"
	"math/rand/v2"
	"sync"

	"github.com/pkg/errors"
)

// An Initializer fills dst, the values of a parameter of the given shape,
// drawing any randomness from rng. Its Spec names it, so that a model file
// can record it and InitializerFromSpec can make it again.
type Initializer interface {
	Fill(rng *rand.Rand, shape []int, dst []float64)
	Spec() InitSpec
}

// InitSpec describes an initialiser: its Keras name and its arguments.
type InitSpec struct {
	Kind string    `json:"kind"`
	Args []float64 `json:"args,omitempty"`
}

// initializer is an Initializer made of a spec and a fill function.
type initializer struct {
	spec InitSpec
	fill func(rng *rand.Rand, shape []int, dst []float64)
}

func (i initializer) Fill(rng *rand.Rand, shape []int, dst []float64) { i.fill(rng, shape, dst) }
func (i initializer) Spec() InitSpec                                  { return i.spec }

// InitFunc makes an Initializer of fill, recorded in model files under
// the given kind. A model file that names the kind can be loaded only once
// RegisterInitializer has made it known.
func InitFunc(kind string, fill func(rng *rand.Rand, shape []int, dst []float64)) Initializer {
	return initializer{spec: InitSpec{Kind: kind}, fill: fill}
}

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
var Zeros Initializer = initializer{spec: InitSpec{Kind: "zeros"}, fill: func(_ *rand.Rand, _ []int, dst []float64) { clear(dst) }}

// Ones sets every value to 1. It is the default for BatchNormalization's
// scale and running variance.
var Ones Initializer = initializer{spec: InitSpec{Kind: "ones"}, fill: func(_ *rand.Rand, _ []int, dst []float64) {
	for i := range dst {
		dst[i] = 1
	}
}}

// Constant sets every value to v.
func Constant(v float64) Initializer {
	return initializer{spec: InitSpec{Kind: "constant", Args: []float64{v}}, fill: func(_ *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = v
		}
	}}
}

// RandomUniform draws from the uniform distribution on [lo, hi).
func RandomUniform(lo, hi float64) Initializer {
	return initializer{spec: InitSpec{Kind: "random_uniform", Args: []float64{lo, hi}}, fill: func(rng *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = lo + (hi-lo)*rng.Float64()
		}
	}}
}

// RandomNormal draws from the normal distribution with the given mean and
// standard deviation.
func RandomNormal(mean, stddev float64) Initializer {
	return initializer{spec: InitSpec{Kind: "random_normal", Args: []float64{mean, stddev}}, fill: func(rng *rand.Rand, _ []int, dst []float64) {
		for i := range dst {
			dst[i] = mean + stddev*rng.NormFloat64()
		}
	}}
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
	return initializer{spec: InitSpec{Kind: "variance_scaling", Args: []float64{scale, float64(mode), float64(dist)}}, fill: varianceScaling(scale, mode, dist)}
}

// named gives a variance-scaling initialiser a Keras name of its own.
func named(kind string, scale float64, mode Mode, dist Distribution) Initializer {
	return initializer{spec: InitSpec{Kind: kind}, fill: varianceScaling(scale, mode, dist)}
}

func varianceScaling(scale float64, mode Mode, dist Distribution) func(*rand.Rand, []int, []float64) {
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
	GlorotUniform = named("glorot_uniform", 1, FanAvg, Uniform)
	// GlorotNormal draws from a truncated normal with variance 2/(fan_in+fan_out).
	GlorotNormal = named("glorot_normal", 1, FanAvg, TruncatedNormal)
	// HeUniform draws from U(-l, l) with l = sqrt(6/fan_in).
	HeUniform = named("he_uniform", 2, FanIn, Uniform)
	// HeNormal draws from a truncated normal with variance 2/fan_in.
	HeNormal = named("he_normal", 2, FanIn, TruncatedNormal)
	// LecunUniform draws from U(-l, l) with l = sqrt(3/fan_in).
	LecunUniform = named("lecun_uniform", 1, FanIn, Uniform)
	// LecunNormal draws from a truncated normal with variance 1/fan_in.
	LecunNormal = named("lecun_normal", 1, FanIn, TruncatedNormal)
)

// InitializerByName returns the initialiser with the Keras name: zeros,
// ones, glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform or
// lecun_normal.
func InitializerByName(name string) (Initializer, error) {
	for _, i := range []Initializer{Zeros, Ones, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal} {
		if i.Spec().Kind == name {
			return i, nil
		}
	}
	return nil, errors.Errorf("unknown initializer %q", name)
}

var (
	customMu   sync.RWMutex
	customInit = map[string]Initializer{}
)

// RegisterInitializer makes an initialiser made by InitFunc known to
// InitializerFromSpec under its kind, so that model files naming it load.
// It is safe for concurrent use.
func RegisterInitializer(init Initializer) error {
	if init == nil {
		return errors.New("graph: register: nil initializer")
	}
	kind := init.Spec().Kind
	if _, err := InitializerFromSpec(init.Spec()); err == nil {
		return errors.Errorf("graph: register: initializer %q exists", kind)
	}
	customMu.Lock()
	defer customMu.Unlock()
	customInit[kind] = init
	return nil
}

// InitializerFromSpec returns the initialiser that spec describes: a
// built-in one, or one made known by RegisterInitializer.
func InitializerFromSpec(spec InitSpec) (Initializer, error) {
	want := func(n int) error {
		if len(spec.Args) != n {
			return errors.Errorf("initializer %q takes %d arguments, got %d", spec.Kind, n, len(spec.Args))
		}
		return nil
	}
	a := spec.Args
	switch spec.Kind {
	case "constant":
		if err := want(1); err != nil {
			return nil, err
		}
		return Constant(a[0]), nil
	case "random_uniform":
		if err := want(2); err != nil {
			return nil, err
		}
		return RandomUniform(a[0], a[1]), nil
	case "random_normal":
		if err := want(2); err != nil {
			return nil, err
		}
		return RandomNormal(a[0], a[1]), nil
	case "variance_scaling":
		if err := want(3); err != nil {
			return nil, err
		}
		mode, dist := Mode(a[1]), Distribution(a[2])
		if !(a[0] > 0) || float64(mode) != a[1] || mode < FanIn || mode > FanAvg || float64(dist) != a[2] || dist < Uniform || dist > TruncatedNormal {
			return nil, errors.Errorf("initializer variance_scaling: bad arguments %v", a)
		}
		return VarianceScaling(a[0], mode, dist), nil
	}
	if init, err := InitializerByName(spec.Kind); err == nil {
		return init, want(0)
	}
	customMu.RLock()
	defer customMu.RUnlock()
	if init, ok := customInit[spec.Kind]; ok {
		return init, nil
	}
	return nil, errors.Errorf("unknown initializer %q (register it with graph.RegisterInitializer)", spec.Kind)
}
