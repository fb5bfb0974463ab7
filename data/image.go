package data

import (
	"image"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	"golang.org/x/image/draw"
)

// ColorMode is how an image becomes a model's input channels, as Keras's
// color_mode: one grey channel, or red, green and blue.
type ColorMode int

// The colour modes.
const (
	Gray ColorMode = 1 // one channel, the luminance (ITU-R 601, as Go's color.GrayModel)
	RGB  ColorMode = 3 // three channels: red, green, blue
)

// Channels returns the number of channels of m: 1 or 3, 0 for an unknown
// mode.
func (m ColorMode) Channels() int {
	switch m {
	case Gray, RGB:
		return int(m)
	}
	return 0
}

// String returns "gray" or "rgb".
func (m ColorMode) String() string {
	switch m {
	case Gray:
		return "gray"
	case RGB:
		return "rgb"
	}
	return "ColorMode(" + strconv.Itoa(int(m)) + ")"
}

// ParseColorMode reads "gray" (or "grey", "grayscale") or "rgb", in any
// case.
func ParseColorMode(s string) (ColorMode, error) {
	switch strings.ToLower(s) {
	case "gray", "grey", "grayscale", "greyscale":
		return Gray, nil
	case "rgb", "color", "colour":
		return RGB, nil
	}
	return 0, errors.Errorf("data: colour mode %q is neither gray nor rgb", s)
}

// ColorModeOf returns the colour mode of a model input of c channels.
func ColorModeOf(c int) (ColorMode, error) {
	switch c {
	case 1:
		return Gray, nil
	case 3:
		return RGB, nil
	}
	return 0, errors.Errorf("data: an image input has 1 (gray) or 3 (rgb) channels, not %d", c)
}

// ImageValues writes img, scaled to h×w pixels, into dst as the m
// channels of a model input in CHW order with values in [0, 1], and
// returns dst, which is grown to m.Channels()×h×w values if it is shorter.
// Transparency is laid over black, as Keras's loader drops alpha. Scaling
// is bilinear (golang.org/x/image/draw.BiLinear, Keras's default
// interpolation); an image of h×w pixels is copied without resampling.
func ImageValues(img image.Image, m ColorMode, h, w int, dst []float32) ([]float32, error) {
	c := m.Channels()
	if c == 0 {
		return dst, errors.Errorf("data: unknown colour mode %d", int(m))
	}
	if h <= 0 || w <= 0 {
		return dst, errors.Errorf("data: image size %dx%d is not positive", h, w)
	}
	b := img.Bounds()
	if b.Empty() {
		return dst, errors.Errorf("data: image of %dx%d pixels is empty", b.Dx(), b.Dy())
	}
	n := c * h * w
	if cap(dst) < n {
		dst = make([]float32, n)
	}
	dst = dst[:n]
	if g, ok := img.(*image.Gray); ok && m == Gray && b.Dx() == w && b.Dy() == h {
		// A grey image of the size asked for, such as MNIST's digits: its
		// bytes are the values, as the RGBA path below would give them
		// (the luminance of a grey colour is that grey), without the copy.
		for y := 0; y < h; y++ {
			row := g.Pix[(y+b.Min.Y-g.Rect.Min.Y)*g.Stride+(b.Min.X-g.Rect.Min.X):]
			for x, v := range row[:w] {
				dst[y*w+x] = float32(v) / 255
			}
		}
		return dst, nil
	}
	src := toRGBA(img)
	if b.Dx() != w || b.Dy() != h {
		scaled := image.NewRGBA(image.Rect(0, 0, w, h))
		draw.BiLinear.Scale(scaled, scaled.Bounds(), src, src.Bounds(), draw.Src, nil)
		src = scaled
	}
	plane := h * w
	for y := 0; y < h; y++ {
		row := src.Pix[y*src.Stride : y*src.Stride+4*w]
		for x := 0; x < w; x++ {
			r, g, bl := row[4*x], row[4*x+1], row[4*x+2]
			i := y*w + x
			if m == Gray {
				dst[i] = float32(grayOf(r, g, bl)) / 255
				continue
			}
			dst[i], dst[plane+i], dst[2*plane+i] = float32(r)/255, float32(g)/255, float32(bl)/255
		}
	}
	return dst, nil
}

// toRGBA returns img as premultiplied 8-bit RGBA with its origin at 0, 0
// (laid over black), converting only when it is not one already.
func toRGBA(img image.Image) *image.RGBA {
	if r, ok := img.(*image.RGBA); ok && r.Rect.Min == (image.Point{}) {
		return r
	}
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	draw.Draw(dst, dst.Bounds(), img, b.Min, draw.Src)
	return dst
}

// grayOf is the luminance of an 8-bit colour as color.GrayModel computes
// it.
func grayOf(r, g, b uint8) uint8 {
	r16, g16, b16 := uint32(r)*0x101, uint32(g)*0x101, uint32(b)*0x101
	return uint8((19595*r16 + 38470*g16 + 7471*b16 + 1<<15) >> 24)
}
