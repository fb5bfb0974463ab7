package viz

import (
	"image"
	"image/color"
	"image/draw"
	"math"

	"github.com/pkg/errors"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// GridSeparator is the width in pixels of the separators that [GrayGrid]
// draws around and between the cells of its grid.
const GridSeparator = 2

// SeparatorColor is the colour of the separators in a [GrayGrid] picture. It
// is deliberately not grey so that the edge of a cell is visible whatever the
// cell's own pixel values are.
var SeparatorColor = color.RGBA{R: 0x2e, G: 0x5c, B: 0x9a, A: 0xff}

// normalise maps the values of m onto 0..255, the smallest finite value to 0
// and the largest to 255, linearly and rounded to the nearest level. If all
// finite values are equal (or there are none) they map to 128. Non-finite
// values take no part in finding the range: +Inf maps to 255, -Inf and NaN
// to 0.
func normalise(m []float32) []uint8 {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range m {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		lo = math.Min(lo, f)
		hi = math.Max(hi, f)
	}
	out := make([]uint8, len(m))
	for i, v := range m {
		f := float64(v)
		switch {
		case math.IsNaN(f) || math.IsInf(f, -1):
			out[i] = 0
		case math.IsInf(f, 1):
			out[i] = 255
		case !(hi > lo):
			out[i] = 128
		default:
			out[i] = uint8(math.Floor((f-lo)/(hi-lo)*255 + 0.5))
		}
	}
	return out
}

// checkMap reports whether m can be read as an h×w row-major map.
func checkMap(m []float32, h, w int) error {
	if h <= 0 || w <= 0 {
		return errors.Errorf("map size %dx%d is not positive", h, w)
	}
	if len(m) != h*w {
		return errors.Errorf("map has %d values, want %dx%d=%d", len(m), h, w, h*w)
	}
	return nil
}

// GrayImage returns the h×w row-major map m as a grey-scale image, normalised
// so that its smallest value is black (0) and its largest white (255); a
// constant map is mid-grey (128). NaN and -Inf are black, +Inf white. Each
// value becomes a scale×scale block of pixels (nearest-neighbour scaling), so
// the image is w*scale pixels wide and h*scale pixels high; scale values below
// 1 mean 1.
//
// GrayImage panics if h or w is not positive or len(m) != h*w.
func GrayImage(m []float32, h, w int, scale int) *image.Gray {
	if err := checkMap(m, h, w); err != nil {
		panic("viz.GrayImage: " + err.Error())
	}
	if scale < 1 {
		scale = 1
	}
	img := image.NewGray(image.Rect(0, 0, w*scale, h*scale))
	paintGray(img, image.Point{}, normalise(m), h, w, scale)
	return img
}

// paintGray paints the normalised h×w map levels into dst with its top-left
// corner at at, each value as a scale×scale block.
func paintGray(dst draw.Image, at image.Point, levels []uint8, h, w, scale int) {
	for y := 0; y < h*scale; y++ {
		row := levels[(y/scale)*w : (y/scale+1)*w]
		for x := 0; x < w*scale; x++ {
			dst.Set(at.X+x, at.Y+y, color.Gray{Y: row[x/scale]})
		}
	}
}

// gridShape returns the number of columns and rows for n cells; cols values
// below 1 choose a near-square grid.
func gridShape(n, cols int) (int, int) {
	if cols < 1 {
		cols = int(math.Ceil(math.Sqrt(float64(n))))
	}
	if cols > n {
		cols = n
	}
	return cols, (n + cols - 1) / cols
}

// GrayGrid writes a PNG picture of several h×w row-major maps to path, laid
// out in a grid of cols columns, left to right and then top to bottom. Each
// map is normalised on its own as [GrayImage] does (smallest value black,
// largest white, constant maps mid-grey) and scaled up by the integer factor
// scale with nearest-neighbour sampling. Cells are separated from each other
// and from the picture's edge by [GridSeparator] pixels of [SeparatorColor].
//
// With n maps and r = ceil(n/cols) rows the picture is
// cols*w*scale + (cols+1)*GridSeparator pixels wide and
// r*h*scale + (r+1)*GridSeparator pixels high. cols values below 1 choose a
// near-square grid (ceil(sqrt(n)) columns), cols values above n mean n, and
// scale values below 1 mean 1.
//
// A typical use is to look at the learned filters of a first convolution
// layer (one 5x5 map per output channel) or at the feature maps a single input
// produces. The file is written atomically; errors name path.
func GrayGrid(path string, maps [][]float32, h, w, cols, scale int) error {
	if len(maps) == 0 {
		return errors.Errorf("viz: GrayGrid %s: no maps", path)
	}
	for i, m := range maps {
		if err := checkMap(m, h, w); err != nil {
			return errors.Wrapf(err, "viz: GrayGrid %s: map %d", path, i)
		}
	}
	if scale < 1 {
		scale = 1
	}
	cols, rows := gridShape(len(maps), cols)
	const sep = GridSeparator
	cw, ch := w*scale, h*scale
	img := image.NewRGBA(image.Rect(0, 0, cols*cw+(cols+1)*sep, rows*ch+(rows+1)*sep))
	draw.Draw(img, img.Bounds(), image.NewUniform(SeparatorColor), image.Point{}, draw.Src)
	for i, m := range maps {
		r, c := i/cols, i%cols
		at := image.Pt(sep+c*(cw+sep), sep+r*(ch+sep))
		paintGray(img, at, normalise(m), h, w, scale)
	}
	return writePNG(path, img)
}

// Layout of DigitGrid pictures, in pixels.
const (
	digitMargin   = 6 // around and between cells
	captionGap    = 3 // between an image and its caption
	captionHeight = 13
	captionPad    = 2 // horizontal space kept free on each side of a caption
)

// DigitGrid writes a PNG picture of several h×w row-major images to path,
// laid out in a grid of cols columns on a white background, with labels[i]
// written in black under images[i] (for example "7 (p=7)" for a digit labelled
// 7 and predicted as 7). labels may be nil for a grid without captions;
// otherwise it must have one entry per image. Captions are drawn with the
// 7x13 pixel font of golang.org/x/image/font/basicfont, which covers printable
// ASCII.
//
// Each image is normalised on its own as [GrayImage] does and scaled up by
// the integer factor scale (values below 1 mean 1). All cells have the same
// size: wide enough for the widest caption and the scaled image, which is
// centred in its cell. cols values below 1 choose a near-square grid. The
// file is written atomically; errors name path.
func DigitGrid(path string, images [][]float32, h, w int, labels []string, cols, scale int) error {
	if len(images) == 0 {
		return errors.Errorf("viz: DigitGrid %s: no images", path)
	}
	if labels != nil && len(labels) != len(images) {
		return errors.Errorf("viz: DigitGrid %s: %d labels for %d images", path, len(labels), len(images))
	}
	for i, m := range images {
		if err := checkMap(m, h, w); err != nil {
			return errors.Wrapf(err, "viz: DigitGrid %s: image %d", path, i)
		}
	}
	if scale < 1 {
		scale = 1
	}
	face := basicfont.Face7x13
	cw, ch := w*scale, h*scale
	textH := 0
	if labels != nil {
		textH = captionGap + captionHeight
		for _, l := range labels {
			tw := font.MeasureString(face, l).Ceil() + 2*captionPad
			cw = max(cw, tw)
		}
	}
	cellH := ch + textH
	cols, rows := gridShape(len(images), cols)
	img := image.NewRGBA(image.Rect(0, 0,
		cols*cw+(cols+1)*digitMargin, rows*cellH+(rows+1)*digitMargin))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	d := font.Drawer{Dst: img, Src: image.Black, Face: face}
	for i, m := range images {
		r, c := i/cols, i%cols
		x0 := digitMargin + c*(cw+digitMargin)
		y0 := digitMargin + r*(cellH+digitMargin)
		paintGray(img, image.Pt(x0+(cw-w*scale)/2, y0), normalise(m), h, w, scale)
		if labels == nil {
			continue
		}
		tw := d.MeasureString(labels[i]).Ceil()
		baseline := y0 + ch + captionGap + face.Metrics().Ascent.Ceil()
		d.Dot = fixed.P(x0+(cw-tw)/2, baseline)
		d.DrawString(labels[i])
	}
	return writePNG(path, img)
}
