package demo

import (
	"image"
	"math"
	"slices"

	"golang.org/x/image/draw"

	"github.com/gocnn/cnn/serve"
)

// isMNIST reports whether a model of example shape s takes MNIST's
// images, 1×28×28, and so gets uploads prepared as MNIST's digits are.
func isMNIST(s []int) bool { return slices.Equal(s, []int{1, 28, 28}) }

// Convert is the page's serve.Converter. For an MNIST-shaped model
// (1×28×28) it prepares an upload as MNIST's images are: grey, a light
// digit on black with values in [0, 1]. An image that is mostly light is
// inverted, transparency is laid over white, and the digit's bounding box
// is scaled to fit 20/28 of the frame and centred by its centre of mass.
// Any other image model gets the image as serve.ConvertImage makes it.
func Convert(img image.Image, shape []int) ([]float32, error) {
	if !isMNIST(shape) {
		return serve.ConvertImage(img, shape)
	}
	return mnistStyle(img, shape[1], shape[2]), nil
}

// mnistStyle turns img into h×w values in [0, 1], a light digit on black,
// framed and centred as MNIST's digits are.
func mnistStyle(img image.Image, h, w int) []float32 {
	b := img.Bounds()
	ink := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	sum := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			// Over white: add the uncovered part (0xffff-a) to each channel.
			lum := (299*(r+0xffff-a) + 587*(g+0xffff-a) + 114*(bl+0xffff-a)) / 1000
			v := uint8(lum >> 8)
			ink.Pix[(y-b.Min.Y)*ink.Stride+(x-b.Min.X)] = v
			sum += int(v)
		}
	}
	if sum > 128*b.Dx()*b.Dy() {
		for i, v := range ink.Pix {
			ink.Pix[i] = 255 - v
		}
	}
	out := make([]float32, h*w)
	box, ok := inkBox(ink)
	if !ok {
		return out
	}
	// Fit the box into 20/28 of the frame, keeping its aspect ratio.
	fh, fw := max(1, h*20/28), max(1, w*20/28)
	scale := math.Min(float64(fh)/float64(box.Dy()), float64(fw)/float64(box.Dx()))
	sw, sh := max(1, int(math.Round(float64(box.Dx())*scale))), max(1, int(math.Round(float64(box.Dy())*scale)))
	digit := image.NewGray(image.Rect(0, 0, sw, sh))
	draw.CatmullRom.Scale(digit, digit.Bounds(), ink, box, draw.Src, nil)
	// Centre by the centre of mass.
	var m, mx, my float64
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			v := float64(digit.Pix[y*digit.Stride+x])
			m += v
			mx += v * (float64(x) + 0.5)
			my += v * (float64(y) + 0.5)
		}
	}
	ox, oy := (w-sw)/2, (h-sh)/2
	if m > 0 {
		ox = int(math.Round(float64(w)/2 - mx/m))
		oy = int(math.Round(float64(h)/2 - my/m))
	}
	for y := 0; y < sh; y++ {
		for x := 0; x < sw; x++ {
			tx, ty := x+ox, y+oy
			if tx >= 0 && tx < w && ty >= 0 && ty < h {
				out[ty*w+tx] = float32(digit.Pix[y*digit.Stride+x]) / 255
			}
		}
	}
	return out
}

// inkBox returns the bounding box of the pixels brighter than a tenth of
// full scale, and false if there are none.
func inkBox(g *image.Gray) (image.Rectangle, bool) {
	const threshold = 25
	r := image.Rectangle{Min: image.Pt(math.MaxInt, math.MaxInt), Max: image.Pt(-1, -1)}
	for y := 0; y < g.Rect.Dy(); y++ {
		for x := 0; x < g.Rect.Dx(); x++ {
			if g.Pix[y*g.Stride+x] > threshold {
				r.Min.X, r.Min.Y = min(r.Min.X, x), min(r.Min.Y, y)
				r.Max.X, r.Max.Y = max(r.Max.X, x+1), max(r.Max.Y, y+1)
			}
		}
	}
	return r, r.Max.X >= 0
}
