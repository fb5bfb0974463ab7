package layers

import (
	"encoding/json"
	"slices"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	mustRegister("Reshape", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			TargetShape []int `json:"target_shape"`
		}
		if err := decodeStrict(raw, &c); err != nil {
			return nil, err
		}
		return Reshape(c.TargetShape...), nil
	})
	for _, crop := range []bool{false, true} {
		l := &pad2D{crop: crop}
		mustRegister(l.Type(), func(raw json.RawMessage) (Layer, error) {
			// Keras's config: ((top, bottom), (left, right)).
			var c map[string][2][2]int
			if err := decodeStrict(raw, &c); err != nil {
				return nil, err
			}
			key := l.key()
			p, ok := c[key]
			if len(c) != 1 || !ok {
				return nil, errors.Errorf("want exactly the field %q", key)
			}
			return &pad2D{crop: crop, top: p[0][0], bottom: p[0][1], left: p[1][0], right: p[1][1]}, nil
		})
	}
	mustRegister("UpSampling2D", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			Size [2]int `json:"size"`
			optionsJSON
		}
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return UpSampling2D(c.Size[0], c.Size[1], opts...), nil
	})
}

// reshape gives each example a new shape.
type reshape struct {
	Base
	shape []int
}

// Reshape views each example as the given shape (the batch axis is left
// as it is), without copying, as Keras's Reshape(target_shape) does. One
// size may be -1: it is inferred from the others. Flatten is Reshape(-1).
// Build fails if the example's size does not fit. The values keep their
// order, which for images is NCHW's (channels, rows, columns), not the
// channels-last order of Keras's tensors.
func Reshape(shape ...int) Layer { return &reshape{shape: slices.Clone(shape)} }

func (l *reshape) Type() string { return "Reshape" }

// Config describes the layer's settings: its target shape.
func (l *reshape) Config() (json.RawMessage, error) {
	return marshal(struct {
		TargetShape []int `json:"target_shape"`
	}{l.shape})
}

func (l *reshape) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) < 2 {
		return nil, errors.Errorf("input shape %v has no example axes", s)
	}
	to, err := resolveShape(l.shape, s[1:].TotalSize())
	if err != nil {
		return nil, errors.Wrapf(err, "input shape %v", s)
	}
	return ops.Reshape(x, to...)
}

// resolveShape replaces the -1 of shape, if any, so that it holds size
// values.
func resolveShape(shape []int, size int) ([]int, error) {
	if len(shape) == 0 {
		return nil, errors.New("empty target shape")
	}
	out := slices.Clone(shape)
	known, free := 1, -1
	for i, d := range out {
		switch {
		case d == -1 && free < 0:
			free = i
		case d == -1:
			return nil, errors.Errorf("target shape %v has more than one -1", shape)
		case d <= 0:
			return nil, errors.Errorf("target shape %v: sizes must be positive or -1", shape)
		default:
			known *= d
		}
	}
	if free >= 0 {
		if size%known != 0 {
			return nil, errors.Errorf("target shape %v does not divide %d values per example", shape, size)
		}
		out[free] = size / known
	}
	n := 1
	for _, d := range out {
		n *= d
	}
	if n != size {
		return nil, errors.Errorf("target shape %v holds %d values, the example %d", shape, n, size)
	}
	return out, nil
}

// pad2D is ZeroPadding2D or Cropping2D.
type pad2D struct {
	Base
	crop                     bool
	top, bottom, left, right int
}

// ZeroPadding2D adds top and bottom rows and left and right columns of
// zeros to each image of a batch [N, C, H, W], as Keras's layer with
// padding ((top, bottom), (left, right)). The sizes must not be negative.
func ZeroPadding2D(top, bottom, left, right int) Layer {
	return &pad2D{top: top, bottom: bottom, left: left, right: right}
}

// Cropping2D removes top and bottom rows and left and right columns from
// each image of a batch [N, C, H, W], as Keras's layer with cropping
// ((top, bottom), (left, right)). The sizes must not be negative and must
// leave at least one row and column.
func Cropping2D(top, bottom, left, right int) Layer {
	return &pad2D{crop: true, top: top, bottom: bottom, left: left, right: right}
}

func (l *pad2D) Type() string {
	if l.crop {
		return "Cropping2D"
	}
	return "ZeroPadding2D"
}

func (l *pad2D) key() string {
	if l.crop {
		return "cropping"
	}
	return "padding"
}

// Config describes the layer's settings: ((top, bottom), (left, right)).
func (l *pad2D) Config() (json.RawMessage, error) {
	return marshal(map[string][2][2]int{l.key(): {{l.top, l.bottom}, {l.left, l.right}}})
}

func (l *pad2D) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if err := isImage(s); err != nil {
		return nil, err
	}
	if l.top < 0 || l.bottom < 0 || l.left < 0 || l.right < 0 {
		return nil, errors.Errorf("%s((%d, %d), (%d, %d)): sizes must not be negative", l.key(), l.top, l.bottom, l.left, l.right)
	}
	if !l.crop {
		return ops.Pad2D(x, l.top, l.bottom, l.left, l.right)
	}
	if l.top+l.bottom >= s[2] || l.left+l.right >= s[3] {
		return nil, errors.Errorf("cropping ((%d, %d), (%d, %d)) leaves nothing of input shape %v", l.top, l.bottom, l.left, l.right, s)
	}
	return ops.Pad2D(x, -l.top, -l.bottom, -l.left, -l.right)
}

// upSampling2D repeats or interpolates rows and columns.
type upSampling2D struct {
	Base
	h, w int
	cfg  config
}

// UpSampling2D enlarges each image of a batch [N, C, H, W] to
// [N, C, H·h, W·w], as Keras's layer with size (h, w): by repeating each
// value (the default) or, with Interpolation(Bilinear), by bilinear
// interpolation with half-pixel centres. Options: Interpolation.
func UpSampling2D(h, w int, opts ...Option) Layer {
	return &upSampling2D{h: h, w: w, cfg: newConfig(opts)}
}

func (l *upSampling2D) Type() string { return "UpSampling2D" }

// Config describes the layer's settings.
func (l *upSampling2D) Config() (json.RawMessage, error) {
	return marshal(struct {
		Size [2]int `json:"size"`
		optionsJSON
	}{[2]int{l.h, l.w}, l.cfg.json()})
}

func (l *upSampling2D) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optInterpolation); err != nil {
		return nil, err
	}
	if l.h <= 0 || l.w <= 0 {
		return nil, errors.Errorf("size %dx%d must be positive", l.h, l.w)
	}
	if err := isImage(x.Shape()); err != nil {
		return nil, err
	}
	bilinear := l.cfg.ext.interpolation != nil && *l.cfg.ext.interpolation == Bilinear
	return ops.UpSample2D(x, l.h, l.w, bilinear)
}
