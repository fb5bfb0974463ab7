package viz

import (
	"image"
	"image/png"
	"io"

	"github.com/gocnn/cnn/internal/atomicfile"
)

// writeAtomic writes the output of fill to path with atomicfile.Write: a
// reader sees the old file or the new one, a failure leaves the old one
// and no temporary file, and the error names path.
func writeAtomic(path string, fill func(io.Writer) error) error {
	return atomicfile.Write(path, fill)
}

// writePNG encodes img as PNG and writes it atomically to path.
func writePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}
