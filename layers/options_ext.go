package layers

import (
	"slices"

	"github.com/pkg/errors"
)

// InterpolationMode is how UpSampling2D fills the new cells.
type InterpolationMode int

// The interpolation modes, as Keras names them.
const (
	// Nearest repeats each value (the default).
	Nearest InterpolationMode = iota
	// Bilinear interpolates linearly along both axes, with half-pixel
	// centres, as TensorFlow's resize does.
	Bilinear
)

// String returns Keras's name of the mode: "nearest" or "bilinear".
func (m InterpolationMode) String() string {
	if m == Bilinear {
		return "bilinear"
	}
	return "nearest"
}

func parseInterpolation(s string) (InterpolationMode, error) {
	for _, m := range []InterpolationMode{Nearest, Bilinear} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, errors.Errorf("unknown interpolation %q (want nearest or bilinear)", s)
}

// Option names of the options in this file.
const (
	optInterpolation   = "Interpolation"
	optNormAxes        = "NormAxes"
	optDepthMultiplier = "DepthMultiplier"
	optDilationRate    = "DilationRate"
	optUseBias         = "UseBias"
)

// extConfig holds the settings of the options in this file; a nil field
// was not set.
type extConfig struct {
	interpolation   *InterpolationMode
	normAxes        []int
	depthMultiplier *int
	dilation        *[2]int
	useBias         *bool
}

func (e extConfig) given() []string {
	var out []string
	add := func(set bool, name string) {
		if set {
			out = append(out, name)
		}
	}
	add(e.interpolation != nil, optInterpolation)
	add(e.normAxes != nil, optNormAxes)
	add(e.depthMultiplier != nil, optDepthMultiplier)
	add(e.dilation != nil, optDilationRate)
	add(e.useBias != nil, optUseBias)
	return out
}

// Interpolation sets how UpSampling2D fills the new cells: Nearest (the
// default) or Bilinear.
func Interpolation(m InterpolationMode) Option {
	return func(c *config) {
		if m != Nearest && m != Bilinear {
			c.fail(errors.Errorf("Interpolation(%d): unknown interpolation mode", int(m)))
			return
		}
		c.ext.interpolation = &m
	}
}

// NormAxes sets the axes a LayerNormalization layer normalises over,
// counted as in the layer's input with the batch axis 0 (so 1 is the
// channel axis). The default is the channel axis alone, which is what
// Keras's axis=-1 means on its channels-last tensors; NormAxes(1, 2, 3)
// normalises each image over its channels, rows and columns. The axes must
// be distinct and positive.
func NormAxes(axes ...int) Option {
	return func(c *config) {
		if len(axes) == 0 {
			c.fail(errors.New("NormAxes(): no axis"))
			return
		}
		s := slices.Clone(axes)
		slices.Sort(s)
		for i, a := range s {
			if a <= 0 || (i > 0 && s[i-1] == a) {
				c.fail(errors.Errorf("NormAxes%v: axes must be distinct and positive (0 is the batch axis)", axes))
				return
			}
		}
		c.ext.normAxes = s
	}
}

// DepthMultiplier sets how many output channels a DepthwiseConv2D or
// SeparableConv2D layer's depthwise step makes of each input channel
// (default 1); it must be positive.
func DepthMultiplier(n int) Option {
	return func(c *config) {
		if n <= 0 {
			c.fail(errors.Errorf("DepthMultiplier(%d): must be positive", n))
			return
		}
		c.ext.depthMultiplier = &n
	}
}

// DilationRate spaces a convolution's kernel taps h rows and w columns
// apart (default 1, 1: a plain convolution), as Keras's dilation_rate.
// Both rates must be positive; Keras allows rates above 1 only with
// strides of 1, and so does Build.
func DilationRate(h, w int) Option {
	return func(c *config) {
		if h <= 0 || w <= 0 {
			c.fail(errors.Errorf("DilationRate(%d, %d): rates must be positive", h, w))
			return
		}
		c.ext.dilation = &[2]int{h, w}
	}
}

// UseBias says whether a Conv2D, DepthwiseConv2D, SeparableConv2D,
// Conv2DTranspose or Dense layer adds a learned bias (default true), as
// Keras's use_bias.
func UseBias(b bool) Option {
	return func(c *config) { c.ext.useBias = &b }
}

func (c config) dilation() [2]int {
	if c.ext.dilation == nil {
		return [2]int{1, 1}
	}
	return *c.ext.dilation
}

func (c config) useBias() bool { return c.ext.useBias == nil || *c.ext.useBias }

func (c config) depthMultiplier() int {
	if c.ext.depthMultiplier == nil {
		return 1
	}
	return *c.ext.depthMultiplier
}

// extOptionsJSON is how a model file records the options of this file.
type extOptionsJSON struct {
	Interpolation   string `json:"interpolation,omitempty"`
	NormAxes        []int  `json:"norm_axes,omitempty"`
	DepthMultiplier *int   `json:"depth_multiplier,omitempty"`
	DilationRate    []int  `json:"dilation_rate,omitempty"`
	UseBias         *bool  `json:"use_bias,omitempty"`
}

func (e extConfig) json() extOptionsJSON {
	var o extOptionsJSON
	if e.interpolation != nil {
		o.Interpolation = e.interpolation.String()
	}
	o.NormAxes = e.normAxes
	o.DepthMultiplier = e.depthMultiplier
	if e.dilation != nil {
		o.DilationRate = e.dilation[:]
	}
	o.UseBias = e.useBias
	return o
}

func (o extOptionsJSON) options() ([]Option, error) {
	var out []Option
	if o.Interpolation != "" {
		m, err := parseInterpolation(o.Interpolation)
		if err != nil {
			return nil, err
		}
		out = append(out, Interpolation(m))
	}
	if o.NormAxes != nil {
		out = append(out, NormAxes(o.NormAxes...))
	}
	if o.DepthMultiplier != nil {
		out = append(out, DepthMultiplier(*o.DepthMultiplier))
	}
	if o.DilationRate != nil {
		if len(o.DilationRate) != 2 {
			return nil, errors.Errorf("dilation_rate %v: want two values", o.DilationRate)
		}
		out = append(out, DilationRate(o.DilationRate[0], o.DilationRate[1]))
	}
	if o.UseBias != nil {
		out = append(out, UseBias(*o.UseBias))
	}
	return out, nil
}
