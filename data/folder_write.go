package data

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pkg/errors"
)

// WriteImageFolder writes the images of d as PNG files into dir, one
// sub-folder per class, as OpenImageFolder reads them back: the inverse
// of ImageFolder.Load, to hand a data set to tools that read folders, or
// to test a loader on real images. Images of one channel become grey
// PNGs, of three RGB ones; values are clamped to [0, 1] and rounded to
// bytes, so the values of an 8-bit source (such as MNIST's byte/255) come
// back exactly. The class folders are named by d.ClassNames or else by
// the class numbers, zero-padded so that they sort in label order (a class
// without examples gets no folder, as OpenImageFolder refuses an empty
// one), and
// the files by the examples' indices, zero-padded, so that a folder read
// back lists each class's examples in their order in d. OpenImageFolder
// numbers classes in the sorted order of their names, so class names
// that are not sorted come back with other labels.
//
// dir is created if it is missing. Each file is written under a
// temporary name and renamed into place, so an interrupted write leaves
// no partial image under a final name.
func WriteImageFolder(dir string, d *Dataset) error {
	if err := d.checkSizes(); err != nil {
		return errors.Wrapf(err, "data: writing %s", dir)
	}
	if d.Labels == nil {
		return errors.Errorf("data: writing %s: the examples have no labels to name their class folders", dir)
	}
	if (d.C != 1 && d.C != 3) || d.H == 0 {
		return errors.Errorf("data: writing %s: examples of shape %v are not grey or RGB images", dir, d.Shape())
	}
	names := d.ClassNames
	if names == nil {
		width := len(strconv.Itoa(max(d.Classes-1, 0)))
		for c := range d.Classes {
			names = append(names, fmt.Sprintf("%0*d", width, c))
		}
	}
	// Only the classes that have examples get a folder: OpenImageFolder
	// refuses an empty one.
	made := make([]bool, len(names))
	width := len(strconv.Itoa(max(d.N-1, 0)))
	values := make([]float32, d.ImageSize())
	var buf bytes.Buffer
	for i, label := range d.Labels {
		if label < 0 || label >= len(names) {
			return errors.Errorf("data: writing %s: example %d has label %d, not in [0, %d)", dir, i, label, len(names))
		}
		if !made[label] {
			if err := os.MkdirAll(filepath.Join(dir, names[label]), 0o755); err != nil {
				return errors.Wrapf(err, "data: writing %s", dir)
			}
			made[label] = true
		}
		buf.Reset()
		if err := png.Encode(&buf, toImage(d.CopyImage(i, values), d.C, d.H, d.W)); err != nil {
			return errors.Wrapf(err, "data: writing %s: example %d", dir, i)
		}
		path := filepath.Join(dir, names[label], fmt.Sprintf("%0*d.png", width, i))
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
			return errors.Wrapf(err, "data: writing %s", path)
		}
		if err := os.Rename(tmp, path); err != nil {
			return errors.Wrapf(err, "data: writing %s", path)
		}
	}
	return nil
}

// toImage makes an image of the c×h×w values v: grey for one channel, RGB
// for three.
func toImage(v []float32, c, h, w int) image.Image {
	b := func(x float32) uint8 { return uint8(math.Round(float64(min(max(x, 0), 1)) * 255)) }
	if c == 1 {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i, x := range v {
			img.Pix[i] = b(x)
		}
		return img
	}
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	plane := h * w
	for i := range plane {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = b(v[i]), b(v[plane+i]), b(v[2*plane+i]), 255
	}
	return img
}
