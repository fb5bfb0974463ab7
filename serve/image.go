package serve

import (
	"bytes"
	"context"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"strconv"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
)

// DefaultMaxPixels is the largest image, in pixels, that an upload may
// declare: 4 megapixels (2048×2048).
const DefaultMaxPixels = 1 << 22

// DecodeImage decodes a PNG, JPEG or GIF upload (contentType image/png,
// image/jpeg or image/gif; a GIF's first frame) and converts it with
// ConvertImage to the input of a model whose examples have the given
// shape, which must be an image's: channels (1 or 3), height and width.
// The size the image declares is checked against maxPixels before
// anything is decoded. A Server converts uploads with its ImageConverter
// instead.
//
// A JPEG of more than MaxJPEGScans scans, or of more scans times pixels
// than MaxJPEGScanPixels, is refused before it is decoded.
func DecodeImage(body []byte, contentType string, shape []int, maxPixels int) ([]float32, error) {
	return DecodeImageContext(context.Background(), body, contentType, shape, maxPixels)
}

// DecodeImageContext is DecodeImage, stopped when ctx is done: the decoder
// reads its input through a reader that fails once ctx is done, so that a
// decode whose client has gone stops at its next read rather than run to
// the end. It then returns an error that wraps ctx.Err().
func DecodeImageContext(ctx context.Context, body []byte, contentType string, shape []int, maxPixels int) ([]float32, error) {
	return decodeImage(ctx, body, contentType, shape, maxPixels, ConvertImage)
}

// decodeImage is DecodeImageContext with the converter given.
func decodeImage(ctx context.Context, body []byte, contentType string, shape []int, maxPixels int, convert Converter) ([]float32, error) {
	if _, _, _, err := imageInput(shape); err != nil {
		return nil, err
	}
	decode, _, err := imageConfig(body, contentType, maxPixels)
	if err != nil {
		return nil, err
	}
	img, err := decode(&ctxReader{ctx: ctx, r: bytes.NewReader(body)})
	if cerr := ctx.Err(); cerr != nil {
		return nil, errors.Wrapf(cerr, "decoding %s", contentType)
	}
	if err != nil {
		return nil, errors.Wrapf(err, "decoding %s", contentType)
	}
	if b := img.Bounds(); b.Empty() {
		return nil, errors.Errorf("%s of %d×%d pixels is empty", contentType, b.Dx(), b.Dy())
	}
	x, err := convert(img, shape)
	if err != nil {
		return nil, errors.Wrapf(err, "converting the %s to a %s input", contentType, dims(shape))
	}
	if size := shape[0] * shape[1] * shape[2]; len(x) != size {
		return nil, errors.Errorf("converting the %s to a %s input: the converter gave %d values, not %d", contentType, dims(shape), len(x), size)
	}
	return x, nil
}

// A Converter turns a decoded image upload into the input values of a
// model whose examples have the given shape: channels (1 or 3), height
// and width, the values in NCHW order. It must be safe for concurrent
// use. ConvertImage is the default; see ImageConverter.
type Converter func(img image.Image, shape []int) ([]float32, error)

// ConvertImage is the default Converter: it converts img as
// data.ImageValues does, as the data loaders do: grey or RGB by the
// channels, resized bilinearly to height×width, values in [0, 1],
// transparency over black.
func ConvertImage(img image.Image, shape []int) ([]float32, error) {
	mode, h, w, err := imageInput(shape)
	if err != nil {
		return nil, err
	}
	return data.ImageValues(img, mode, h, w, nil)
}

// imageConfig reads the header of an upload of the given content type and
// checks its size against maxPixels. It returns the decoder for the type
// and the header.
func imageConfig(body []byte, contentType string, maxPixels int) (func(io.Reader) (image.Image, error), image.Config, error) {
	var decodeConfig func(io.Reader) (image.Config, error)
	var decode func(io.Reader) (image.Image, error)
	switch contentType {
	case "image/png":
		decodeConfig, decode = png.DecodeConfig, png.Decode
	case "image/jpeg":
		decodeConfig, decode = jpeg.DecodeConfig, jpeg.Decode
	case "image/gif":
		decodeConfig, decode = gif.DecodeConfig, gif.Decode
	default:
		return nil, image.Config{}, errors.Errorf("unsupported image type %q; send image/png, image/jpeg or image/gif", contentType)
	}
	cfg, err := decodeConfig(bytes.NewReader(body))
	if err != nil {
		return nil, cfg, errors.Wrapf(err, "decoding %s", contentType)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return nil, cfg, errors.Errorf("%s of %d×%d pixels is empty", contentType, cfg.Width, cfg.Height)
	}
	if cfg.Width > maxPixels/cfg.Height {
		return nil, cfg, &tooLargeError{cfg.Width, cfg.Height, maxPixels}
	}
	if contentType == "image/jpeg" {
		n := jpegScans(body, MaxJPEGScans)
		if n > MaxJPEGScans {
			return nil, cfg, errors.Errorf("JPEG of more than %d scans (SOS markers) refused: each scan is decoded over the whole image", MaxJPEGScans)
		}
		if px := int64(cfg.Width) * int64(cfg.Height); int64(n)*px > MaxJPEGScanPixels {
			return nil, cfg, errors.Errorf("JPEG of %d scans of %d×%d pixels refused: over %d scans of an image this size (each scan is decoded over the whole image)",
				n, cfg.Width, cfg.Height, MaxJPEGScanPixels/px)
		}
	}
	return decode, cfg, nil
}

// MaxJPEGScans is the most scans (start-of-scan markers) a JPEG upload may
// hold. A progressive JPEG has a dozen or so, but a crafted one may hold
// tens of thousands, each of which costs the decoder a pass over the
// image: a 1 MB file of 55,000 scans took 70 s. libjpeg-turbo's tools
// refuse files of more scans than a limit of the same order.
const MaxJPEGScans = 256

// MaxJPEGScanPixels bounds a JPEG upload's decoding work: its scans times
// its pixels. It allows 32 scans of the largest image (DefaultMaxPixels),
// a decode of about 2 s at worst, and MaxJPEGScans of images up to 512×512.
const MaxJPEGScanPixels = 32 * DefaultMaxPixels

// jpegScans counts the start-of-scan (SOS) markers of a JPEG, stopping
// once it has counted more than most. It walks the segments: a marker
// (0xFF, fill bytes, a code), a length for those that have one, and after
// an SOS header the entropy-coded data, in which 0xFF00 is a stuffed byte
// and 0xFFD0 to 0xFFD7 are restart markers. Malformed data ends the count;
// the decoder reports it.
func jpegScans(b []byte, most int) int {
	n := 0
	i := 2 // after SOI
	for i+1 < len(b) && n <= most {
		if b[i] != 0xff {
			return n
		}
		for i < len(b) && b[i] == 0xff {
			i++ // the marker and its fill bytes
		}
		if i >= len(b) {
			return n
		}
		code := b[i]
		i++
		switch {
		case code == 0xd9: // EOI
			return n
		case code == 0x01 || (code >= 0xd0 && code <= 0xd7): // no length
			continue
		}
		if i+1 >= len(b) {
			return n
		}
		i += int(b[i])<<8 | int(b[i+1])
		if code != 0xda {
			continue
		}
		n++
		// The entropy-coded data runs to the next marker that is not a
		// stuffed byte or a restart.
		for i+1 < len(b) && !(b[i] == 0xff && b[i+1] != 0 && b[i+1] != 0xff && (b[i+1] < 0xd0 || b[i+1] > 0xd7)) {
			i++
		}
	}
	return n
}

// ctxReader reads from r until ctx is done, then fails with ctx's error.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, errors.WithStack(err)
	}
	return c.r.Read(p)
}

// imageInput returns the colour mode, height and width of the images that
// a model of example shape s takes, or an error if it takes no images.
func imageInput(s []int) (data.ColorMode, int, int, error) {
	if len(s) != 3 {
		return 0, 0, 0, errors.Errorf("the model takes %s inputs, not grey images (1×H×W) or RGB images (3×H×W)", dims(s))
	}
	mode, err := data.ColorModeOf(s[0])
	if err != nil {
		return 0, 0, 0, errors.Errorf("the model takes %s inputs, not grey images (1×H×W) or RGB images (3×H×W)", dims(s))
	}
	return mode, s[1], s[2], nil
}

// tooLargeError is an image whose declared size is over the limit.
type tooLargeError struct{ w, h, max int }

func (e *tooLargeError) Error() string {
	return "image of " + strconv.Itoa(e.w) + "×" + strconv.Itoa(e.h) + " pixels is over the limit of " + strconv.Itoa(e.max) + " pixels"
}
