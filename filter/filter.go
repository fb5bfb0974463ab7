package filter

import (
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// MaxKernelSize is the largest Size a Kernel may have.
const MaxKernelSize = 99

// Kernel is a square filter: Size×Size weights in row-major order, Size
// odd so that the kernel has a centre pixel.
type Kernel struct {
	Name    string
	Size    int
	Weights []float64
}

// The named kernels, in the order of the lecture.
var named = []Kernel{
	{"identity", 3, []float64{
		0, 0, 0,
		0, 1, 0,
		0, 0, 0,
	}},
	{"edge", 3, []float64{
		-1, -1, -1,
		-1, 8, -1,
		-1, -1, -1,
	}},
	{"sharpen", 3, []float64{
		0, -1, 0,
		-1, 5, -1,
		0, -1, 0,
	}},
	{"box-blur", 3, []float64{
		1.0 / 9, 1.0 / 9, 1.0 / 9,
		1.0 / 9, 1.0 / 9, 1.0 / 9,
		1.0 / 9, 1.0 / 9, 1.0 / 9,
	}},
	{"gaussian-blur", 3, []float64{
		1.0 / 16, 2.0 / 16, 1.0 / 16,
		2.0 / 16, 4.0 / 16, 2.0 / 16,
		1.0 / 16, 2.0 / 16, 1.0 / 16,
	}},
}

// Names returns the names of the named kernels, in the order of the
// lecture: identity, edge, sharpen, box-blur and gaussian-blur.
func Names() []string {
	s := make([]string, len(named))
	for i, k := range named {
		s[i] = k.Name
	}
	return s
}

// ByName returns the named kernel (see Names). The kernel's weights are a
// fresh copy that the caller may change.
//
//	identity       [[0,0,0],[0,1,0],[0,0,0]]
//	edge           [[-1,-1,-1],[-1,8,-1],[-1,-1,-1]]
//	sharpen        [[0,-1,0],[-1,5,-1],[0,-1,0]]
//	box-blur       (1/9)·ones(3,3)
//	gaussian-blur  (1/16)·[[1,2,1],[2,4,2],[1,2,1]]
func ByName(name string) (Kernel, error) {
	for _, k := range named {
		if k.Name == name {
			k.Weights = append([]float64(nil), k.Weights...)
			return k, nil
		}
	}
	return Kernel{}, errors.Errorf("filter: unknown kernel %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// validate reports whether k can be applied.
func (k Kernel) validate() error {
	if k.Size < 1 || k.Size > MaxKernelSize || k.Size%2 == 0 {
		return errors.Errorf("filter: kernel %q has size %d; want an odd size from 1 to %d", k.Name, k.Size, MaxKernelSize)
	}
	if len(k.Weights) != k.Size*k.Size {
		return errors.Errorf("filter: kernel %q of size %d has %d weights, want %d", k.Name, k.Size, len(k.Weights), k.Size*k.Size)
	}
	for i, w := range k.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return errors.Errorf("filter: kernel %q: weight %d is %v", k.Name, i, w)
		}
	}
	return nil
}

// isGray reports whether img is a grey-scale image.
func isGray(img image.Image) bool { return isGrayModel(img.ColorModel()) }

// isGrayModel reports whether m is a grey-scale colour model.
func isGrayModel(m color.Model) bool { return m == color.GrayModel || m == color.Gray16Model }

// workBytes bounds the memory Apply takes to filter a w×h image, grey or
// not, with a kernel of size ks, besides the image: per channel (one, or
// three for colour), the float32 input and output planes, and the
// convolution's scratch (a zero-padded copy of the plane, rows rounded up
// to 8 pixels, and an output plane; one per channel filtered in
// parallel); the convolution plan (a byte a pixel); the kernel, copied and
// packed for the matrix product; and the result (an image.Gray, or an
// alpha plane and an image.RGBA).
func workBytes(w, h, ks int, gray bool) float64 {
	nch, result := 3.0, 5.0
	if gray {
		nch, result = 1, 1
	}
	px := float64(w) * float64(h)
	rows, cols := float64(h), float64((w+7)/8*8)
	scratch := 4 * ((rows+float64(ks-1))*(cols+float64(ks-1)) + rows*cols)
	return nch*(8*px+scratch) + rows*cols + 64*float64(ks*ks) + result*px
}

// Apply convolves img with k, each channel on its own, with 'same' zero
// padding, through ops.Conv2D. A grey image (one whose colour model is
// color.GrayModel or color.Gray16Model) gives an *image.Gray; any other
// image gives an *image.RGBA in which red, green and blue are filtered and
// alpha is kept. The result has img's bounds, and its values are rounded
// and clamped to [0, 255].
//
// Colour channels are filtered as image.RGBA stores them, premultiplied by
// alpha, so transparent pixels do not bleed colour into their neighbours;
// for translucent pixels the filtered channels are clamped to [0, alpha]
// to stay valid. Opaque images are unaffected by either rule.
//
// Besides img, Apply takes about 18 bytes a pixel for a grey image and 54
// for a colour one with a 3×3 kernel (Decode bounds it for any kernel).
//
// It returns an error for an empty image or a kernel whose size is even,
// out of range or does not match its weights.
func Apply(img image.Image, k Kernel) (image.Image, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	if img == nil {
		return nil, errors.New("filter: nil image")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w <= 0 || h <= 0 {
		return nil, errors.Errorf("filter: image %v is empty", b)
	}
	if isGray(img) {
		planes, err := convolve(1, h, w, k, func(x []float32) { grayPlane(img, x) })
		if err != nil {
			return nil, err
		}
		out := image.NewGray(b)
		for i, v := range planes {
			out.Pix[(i/w)*out.Stride+i%w] = clamp(v, 255)
		}
		return out, nil
	}
	alpha := make([]uint8, w*h)
	planes, err := convolve(3, h, w, k, func(x []float32) { rgbPlanes(img, x, alpha) })
	if err != nil {
		return nil, err
	}
	out := image.NewRGBA(b)
	n := w * h
	for i := 0; i < n; i++ {
		o := (i/w)*out.Stride + (i%w)*4
		a := alpha[i]
		out.Pix[o+0] = clamp(planes[i], a)
		out.Pix[o+1] = clamp(planes[n+i], a)
		out.Pix[o+2] = clamp(planes[2*n+i], a)
		out.Pix[o+3] = a
	}
	return out, nil
}

// clamp rounds v to the nearest integer in [0, hi].
func clamp(v float32, hi uint8) uint8 {
	r := math.Round(float64(v))
	switch {
	case !(r > 0): // also NaN
		return 0
	case r >= float64(hi):
		return hi
	}
	return uint8(r)
}

// grayPlane writes the grey values of img into p, row by row.
func grayPlane(img image.Image, p []float32) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if g, ok := img.(*image.Gray); ok {
		for y := 0; y < h; y++ {
			row := g.Pix[y*g.Stride : y*g.Stride+w]
			for x, v := range row {
				p[y*w+x] = float32(v)
			}
		}
		return
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			p[y*w+x] = float32(color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray).Y)
		}
	}
}

// rgbPlanes writes the red, green and blue planes of img, premultiplied by
// alpha as image.RGBA stores them, one after the other into p, and its
// alpha plane into alpha.
func rgbPlanes(img image.Image, p []float32, alpha []uint8) {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	n := w * h
	if rgba, ok := img.(*image.RGBA); ok {
		for y := 0; y < h; y++ {
			row := rgba.Pix[y*rgba.Stride : y*rgba.Stride+4*w]
			for x := 0; x < w; x++ {
				i := y*w + x
				p[i], p[n+i], p[2*n+i] = float32(row[4*x]), float32(row[4*x+1]), float32(row[4*x+2])
				alpha[i] = row[4*x+3]
			}
		}
		return
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			c := color.RGBAModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.RGBA)
			p[i], p[n+i], p[2*n+i] = float32(c.R), float32(c.G), float32(c.B)
			alpha[i] = c.A
		}
	}
}

// convolve runs ops.Conv2D over nch planes of h×w values, taken as a batch
// of nch one-channel images, with the single filter k and 'same' padding,
// and returns the nch filtered planes. fill writes the input planes,
// straight into the graph's input tensor; the result is the output
// tensor's own data. Neither is copied, to keep Apply's memory low (see
// workBytes).
func convolve(nch, h, w int, k Kernel, fill func(x []float32)) ([]float32, error) {
	params, err := graph.NewParams(tensor.Float32, 0)
	if err != nil {
		return nil, err
	}
	g := graph.New(params)
	x := g.Input("image", nch, 1, h, w)
	f := g.Input("kernel", 1, 1, k.Size, k.Size)
	bias := g.Input("bias", 1)
	in, err := float32s(x)
	if err != nil {
		return nil, err
	}
	fill(in)
	if err := graph.Set(f, k.Weights); err != nil {
		return nil, errors.Wrap(err, "filter")
	}
	y, err := ops.Conv2D(x, f, bias, ops.ConvOpts{Same: true}, false)
	if err != nil {
		return nil, errors.Wrapf(err, "filter: kernel %q", k.Name)
	}
	m, err := g.CompileInference()
	if err != nil {
		return nil, errors.Wrap(err, "filter")
	}
	defer m.Close()
	if err := m.Run(); err != nil {
		return nil, errors.Wrapf(err, "filter: kernel %q", k.Name)
	}
	return float32s(y)
}

// float32s returns the data of n's float32 tensor, itself, not a copy.
func float32s(n *G.Node) ([]float32, error) {
	t, ok := n.Value().(*tensor.Dense)
	if !ok || t.Dtype() != tensor.Float32 {
		return nil, errors.Errorf("filter: node %q holds %T, not a float32 tensor", n.Name(), n.Value())
	}
	return t.Float32s(), nil
}
