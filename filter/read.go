package filter

import (
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"io"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
)

// MaxBytes is the memory limit cmd/filter reads pictures under (see
// Decode): the picture's decoded pixels, the decoder's scratch and Apply's
// buffers together. With a 3×3 kernel it admits colour pictures of 13 to
// 19 million pixels (4000×3000 of any kind, 4096×4096 for an 8-bit PNG)
// and grey ones of 31 to 46 million.
const MaxBytes = 1 << 30

// decoderOverhead is what a decoder needs whatever the picture's size:
// read buffers, zlib's window, Huffman tables.
const decoderOverhead = 1 << 20

// ReadFile reads the PNG or JPEG picture at path to filter it with k, as
// Decode does. Only a regular file is read: a directory, device or named
// pipe is refused (a pipe is opened without blocking, then refused).
func ReadFile(path string, k Kernel, maxBytes int64) (image.Image, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "filter: reading input")
	}
	defer f.Close()
	return Decode(f, path, k, maxBytes)
}

// Decode reads a PNG or JPEG picture from r to filter it with k; name
// stands for r in errors. Before decoding, it reads the picture's header
// and refuses a picture that would take more than maxBytes (such as
// MaxBytes): its decoded pixels, counted for the costliest image type its
// header allows (a progressive JPEG, an interlaced PNG), plus what Apply
// needs to filter it with k. The garbage collector's headroom comes on
// top, so the process may peak at up to about twice maxBytes.
func Decode(r io.ReadSeeker, name string, k Kernel, maxBytes int64) (image.Image, error) {
	if err := k.validate(); err != nil {
		return nil, err
	}
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return nil, errors.Wrapf(err, "filter: decoding %s (want PNG or JPEG)", name)
	}
	if format != "png" && format != "jpeg" {
		return nil, errors.Errorf("filter: decoding %s: %s pictures are not supported (want PNG or JPEG)", name, format)
	}
	w, h := cfg.Width, cfg.Height
	if w <= 0 || h <= 0 {
		return nil, errors.Errorf("filter: decoding %s: the picture is %dx%d pixels", name, w, h)
	}
	decoded := decodedBytes(format, cfg)
	check := func(gray bool) error {
		need := decoded + workBytes(w, h, k.Size, gray)
		if need > float64(maxBytes) {
			return errors.Errorf("filter: decoding %s: a %dx%d %s picture needs about %.0f MiB "+
				"(%.0f MiB decoded, the rest to filter it), more than the limit of %.0f MiB",
				name, w, h, format, need/(1<<20), decoded/(1<<20), float64(maxBytes)/(1<<20))
		}
		return nil
	}
	gray := isGrayModel(cfg.ColorModel)
	if err := check(gray); err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, errors.Wrapf(err, "filter: reading %s", name)
	}
	img, _, err := image.Decode(r)
	if err != nil {
		return nil, errors.Wrapf(err, "filter: decoding %s", name)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return nil, errors.Errorf("filter: decoding %s: the header says %dx%d pixels, the picture has %dx%d", name, w, h, b.Dx(), b.Dy())
	}
	// A grey PNG with a transparent colour decodes to a colour image,
	// which Apply filters channel by channel.
	if gray && !isGray(img) {
		if err := check(false); err != nil {
			return nil, err
		}
	}
	return img, nil
}

// decodedBytes bounds the memory that decoding a picture of format and
// cfg takes, from the decoders of the standard library: the image and the
// decoder's scratch.
func decodedBytes(format string, cfg image.Config) float64 {
	w, h := float64(cfg.Width), float64(cfg.Height)
	if format == "png" {
		// An interlaced PNG is decoded pass by pass into images that
		// together are as large as the result; each pass keeps two rows
		// of up to 8 bytes a pixel.
		return 2*w*h*pngPixelBytes(cfg.ColorModel) + 64*w + decoderOverhead
	}
	// A JPEG image is allocated whole blocks (up to 32×16 pixels at the
	// largest subsampling), so each side may be up to 31 pixels longer.
	return (w+31)*(h+31)*jpegPixelBytes(cfg.ColorModel) + decoderOverhead
}

// pngPixelBytes is the size of a pixel in the image the PNG decoder
// returns for a header with colour model m, at most: a grey PNG with a
// transparent colour (a tRNS chunk, which comes after the header) decodes
// to an NRGBA or NRGBA64 image.
func pngPixelBytes(m color.Model) float64 {
	switch m.(type) {
	case color.Palette:
		return 1
	}
	switch m {
	case color.GrayModel, color.RGBAModel, color.NRGBAModel:
		return 4
	}
	return 8 // Gray16, RGBA64, NRGBA64
}

// jpegPixelBytes is what the JPEG decoder allocates per pixel for a header
// with colour model m, at most: one byte a component (unsubsampled) for
// the image, four a component for the coefficients of a progressive JPEG,
// and the RGBA or CMYK result that RGB and CMYK JPEGs are converted to.
func jpegPixelBytes(m color.Model) float64 {
	switch m {
	case color.GrayModel:
		return 1 + 4
	case color.YCbCrModel:
		return 3 + 12
	case color.RGBAModel:
		return 3 + 12 + 4
	}
	return 4 + 16 + 4 // CMYK
}
