package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/model"
)

// decodedCache bounds the decoded images cmd/train keeps in memory of
// each of its training, validation and test sets, so that later epochs
// skip decoding: 1 GiB, about 1.3 million grey 28×28 images or 87,000 RGB
// 64×64 ones (a byte a value). A larger folder streams from disk.
const decodedCache = 1 << 30

// statImages records the folders of a cmd/train run: each class folder
// of dir (and of test, if not "") with the total size of its images and
// the newest modification time among them.
func statImages(dir, test string) (*dataSource, error) {
	src, err := statFolder(dir, "-images")
	if err != nil || test == "" {
		return src, err
	}
	if src.Test, err = statFolder(test, "-test"); err != nil {
		return nil, err
	}
	return src, nil
}

// statFolder records one folder of class folders; flag names it in
// errors.
func statFolder(dir, flag string) (*dataSource, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "%s %s", flag, dir)
	}
	f, err := data.OpenImageFolder(abs)
	if err != nil {
		return nil, errors.Wrap(err, flag)
	}
	src := &dataSource{Dir: abs}
	for _, name := range f.ClassNames() {
		src.Files = append(src.Files, dataFile{Name: name})
	}
	labels := f.Labels()
	for i, path := range f.Files() {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, errors.Wrap(err, flag)
		}
		rec := &src.Files[labels[i]]
		rec.Size += fi.Size()
		if t := fi.ModTime().UTC(); t.After(rec.ModTime) {
			rec.ModTime = t
		}
	}
	return src, nil
}

// parseSize reads -size, HxW; "" is 0, 0.
func parseSize(s string) (h, w int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	hs, ws, ok := strings.Cut(strings.ToLower(s), "x")
	if ok {
		h, err = strconv.Atoi(hs)
	}
	if ok && err == nil {
		w, err = strconv.Atoi(ws)
	}
	if !ok || err != nil || h <= 0 || w <= 0 || h > 4096 || w > 4096 {
		return 0, 0, usageError{fmt.Sprintf("-size %q: want HxW, two whole numbers of pixels from 1 to 4096, such as 64x64", s)}
	}
	return h, w, nil
}

// imagesAndModel opens cmd/train's folders and its network: the -model
// file's (whose input then sets the images' size and colour, where -size
// and -color do not), or a built-in one sized to the images and their
// classes. The model carries the class names.
func imagesAndModel(c config, rec *runRecord, src *dataSource) (*model.Model, *runData, error) {
	load := c.load
	if rec != nil {
		load = rec.Load
	}
	var m *model.Model
	var in []int
	if load != "" {
		var err error
		if m, _, err = model.Load(load); err != nil {
			return nil, nil, errors.Wrap(err, "-model")
		}
		if m.NumInputs() != 1 || m.NumOutputs() != 1 || len(m.InputShape(0)) != 3 {
			return nil, nil, errors.Errorf("-model %s: takes %d inputs and gives %d outputs; train needs one image input (channels×height×width) and one output", load, m.NumInputs(), m.NumOutputs())
		}
		in = m.InputShape(0)
	}
	d, shape, names, err := openImages(c, src, in)
	if err != nil {
		return nil, nil, err
	}
	if m == nil {
		build := recipe.SmallCNN
		if c.Model == "resnet" {
			build = recipe.ResNetFor
		}
		if m, err = build(shape, len(names), c.Seed); err != nil {
			return nil, nil, err
		}
	}
	if got := m.OutputSize(); got != len(names) {
		return nil, nil, errors.Errorf("-model %s: gives %d outputs, and -images %s has %d classes", load, got, c.Images, len(names))
	}
	if err := m.SetClassNames(names); err != nil {
		return nil, nil, errors.Wrap(err, "-model")
	}
	return m, d, nil
}

// openImages opens -images, split by -val-split, and -test, as images of
// the size and colour that -size and -color say or, where they are not
// given, that in (a model file's input, or nil) says, or else the first
// image's size in grey. It returns the data, the examples' shape and the
// class names.
func openImages(c config, src *dataSource, in []int) (*runData, []int, []string, error) {
	h, w, err := parseSize(c.Size)
	if err != nil {
		return nil, nil, nil, err
	}
	color := data.Gray
	if c.Color != "" {
		if color, err = data.ParseColorMode(c.Color); err != nil {
			return nil, nil, nil, usageError{"-color: " + err.Error()}
		}
	}
	if in != nil {
		mc, err := data.ColorModeOf(in[0])
		switch {
		case err != nil:
			return nil, nil, nil, errors.Wrap(err, "-model")
		case c.Color == "":
			color = mc
		case color != mc:
			return nil, nil, nil, usageError{fmt.Sprintf("-color %v: the -model file takes %v images", color, mc)}
		}
		switch {
		case c.Size == "":
			h, w = in[1], in[2]
		case h != in[1] || w != in[2]:
			return nil, nil, nil, usageError{fmt.Sprintf("-size %s: the -model file takes %dx%d images", c.Size, in[1], in[2])}
		}
	}
	opts := []data.FolderOption{data.Color(color), data.CacheDecoded(decodedCache)}
	if h > 0 {
		opts = append(opts, data.ImageSize(h, w))
	}
	if c.SkipBad {
		opts = append(opts, data.SkipBad())
	}
	all, err := data.OpenImageFolder(src.Dir, opts...)
	if err != nil {
		return nil, nil, nil, errors.Wrap(err, "-images")
	}
	trainSet, val, err := all.Split(c.ValSplit, c.Seed)
	if err != nil {
		return nil, nil, nil, errors.Wrapf(err, "-val-split %g", c.ValSplit)
	}
	d := &runData{train: trainSet, val: val, test: val, from: "Images from " + src.Dir}
	names := all.ClassNames()
	folders := []*data.ImageFolder{trainSet, val} // each counts its own bad files
	if src.Test != nil {
		test, err := data.OpenImageFolder(src.Test.Dir, opts...)
		if err != nil {
			return nil, nil, nil, errors.Wrap(err, "-test")
		}
		if !reflect.DeepEqual(test.ClassNames(), names) {
			return nil, nil, nil, errors.Errorf("-test %s: its classes %v are not those of -images %s, %v", src.Test.Dir, test.ClassNames(), src.Dir, names)
		}
		d.test = test
		folders = append(folders, test)
	}
	if c.SkipBad {
		d.skipped = func() int {
			n := 0
			for _, f := range folders {
				n += f.Skipped()
			}
			return n
		}
	}
	return d, all.Info().Shape, names, nil
}

// firstExample returns the first example of src.
func firstExample(src data.Source) ([]float32, error) {
	it, err := src.Batches(1)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Next() {
		if err := it.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("the test set is empty")
	}
	return append([]float32(nil), it.Batch().X...), nil
}
