package data

import (
	"bytes"
	"image"
	_ "image/gif"  // register the GIF decoder
	_ "image/jpeg" // register the JPEG decoder
	_ "image/png"  // register the PNG decoder
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
)

// DefaultMaxPixels is the largest image, in pixels, that OpenImageFolder
// decodes unless MaxPixels says otherwise.
const DefaultMaxPixels = 1 << 24

// maxWorkers bounds the Workers option.
const maxWorkers = 1 << 16

// FolderOption configures OpenImageFolder.
type FolderOption func(*folderConfig)

// folderConfig is what the FolderOptions ask for.
type folderConfig struct {
	h, w      int
	sizeSet   bool
	color     ColorMode
	workers   int
	prefetch  int
	cacheMax  int64
	skipBad   bool
	maxPixels int
}

// ImageSize makes every image h×w pixels, resized bilinearly where it is
// not (see ImageValues). By default the size is that of the first image
// file, in example order.
func ImageSize(h, w int) FolderOption {
	return func(c *folderConfig) { c.h, c.w, c.sizeSet = h, w, true }
}

// Color sets how images become channels: Gray (the default, one channel)
// or RGB (three).
func Color(m ColorMode) FolderOption {
	return func(c *folderConfig) { c.color = m }
}

// Workers sets the number of goroutines that decode images, by default
// runtime.GOMAXPROCS(0); at most 65536.
func Workers(n int) FolderOption {
	return func(c *folderConfig) { c.workers = n }
}

// Prefetch sets how many batches are decoded ahead of the one being used,
// 2 by default; 0 decodes each batch when Next asks for it. A Batches
// holds Prefetch+1 batch buffers.
func Prefetch(batches int) FolderOption {
	return func(c *folderConfig) { c.prefetch = batches }
}

// CacheDecoded keeps decoded, resized examples in memory, up to maxBytes
// in all, so that later epochs (and other Batches and Load of the same
// ImageFolder) read them instead of decoding the file again. An example
// is kept as one byte per value, value×255: the values ImageValues gives
// are such bytes divided by 255, so the cache returns them bit for bit. The
// first examples decoded are kept until the budget is spent; the default,
// 0, keeps none.
func CacheDecoded(maxBytes int64) FolderOption {
	return func(c *folderConfig) { c.cacheMax = maxBytes }
}

// SkipBad makes a file that cannot be read or decoded (truncated, not an
// image, empty, larger than MaxPixels, not a regular file) be skipped
// rather than end the epoch with an error. The rule: batches are formed
// from the epoch's order exactly as without SkipBad, then the examples of
// bad files are dropped from their batch, which is then smaller (a batch
// with no good example is not returned at all). A file found bad is
// remembered and not read again; Skipped counts such files.
func SkipBad() FolderOption {
	return func(c *folderConfig) { c.skipBad = true }
}

// MaxPixels sets the largest image, in pixels (width×height as its header
// declares), that may be decoded; a file declaring more is bad. It guards
// against decompression bombs: a small file that declares a huge image.
// The default is DefaultMaxPixels, 16 Mi pixels; decoding one takes up to
// about 20 bytes a pixel in each worker.
func MaxPixels(n int) FolderOption {
	return func(c *folderConfig) { c.maxPixels = n }
}

// ImageFolder is a Source that reads a folder of image files, laid out as
// for Keras's image_dataset_from_directory or torchvision's ImageFolder:
// one sub-folder per class, named for it, holding that class's images.
// The images are decoded by worker goroutines ahead of the batches that
// use them, so memory grows with the batch size and Prefetch (each Batches
// holds Prefetch+1 batches of decoded values, and each worker one image
// being decoded), not with the number of files; CacheDecoded adds what it
// is allowed. Each file is decoded as image.Decode does (a GIF's first
// frame) and made C×H×W values in [0, 1] by ImageValues: resized
// bilinearly to the ImageSize, transparency over black.
//
// When every file is good, its batches are those an Iterator gives over
// Load's Dataset with the same options, bit for bit, and a run resumed at
// epoch k sees the batches of one never interrupted. A bad file ends the
// epoch with an error naming it, or, under SkipBad, is left out (see
// SkipBad). The files must not change while an ImageFolder reads them.
//
// An ImageFolder is safe for concurrent use: several Batches (and Load)
// may read it at once, sharing its cache and what SkipBad has found. Each
// Batches is not safe for concurrent use, and must be closed if it is left
// before the end of an epoch, or its goroutines wait for ever.
type ImageFolder struct {
	dir        string
	cfg        folderConfig
	classNames []string
	files      []string
	labels     []int

	bad     []atomic.Bool // under SkipBad, the examples whose file was found bad
	skipped atomic.Int64  // the number of them

	cache     []atomic.Pointer[[]uint8] // decoded examples, under CacheDecoded
	cacheUsed atomic.Int64              // bytes held by cache

	decoded atomic.Int64 // files decoded, for tests
}

// imageExt reports whether name has the extension of an image file that
// OpenImageFolder reads.
func imageExt(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".png", ".jpg", ".jpeg", ".gif":
		return true
	}
	return false
}

// OpenImageFolder lists the image files of dir, which holds one sub-folder
// per class. The class names are the sub-folders' names, sorted, and
// label l is the l-th of them. A class's images are the files with a
// .png, .jpg, .jpeg or .gif extension (in any case) in its folder and the
// folders below it, which are walked in sorted order; examples are ordered
// by class, then by path. Hidden files and folders (whose names begin with
// a dot) and other files are ignored, and symbolic links to folders are
// not followed (a link to a file is read as the file). It returns an error
// naming dir if it has no class folder, and one naming the class folder
// if a class has no image.
//
// OpenImageFolder reads no image but, without ImageSize, the header of the
// first, whose size becomes every image's.
func OpenImageFolder(dir string, opts ...FolderOption) (*ImageFolder, error) {
	cfg := folderConfig{color: Gray, workers: runtime.GOMAXPROCS(0), prefetch: 2, maxPixels: DefaultMaxPixels}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	switch {
	case cfg.color.Channels() == 0:
		return nil, errors.Errorf("data: image folder %s: unknown colour mode %d", dir, int(cfg.color))
	case cfg.sizeSet && (cfg.h <= 0 || cfg.w <= 0):
		return nil, errors.Errorf("data: image folder %s: image size %dx%d is not positive", dir, cfg.h, cfg.w)
	case cfg.workers < 1:
		return nil, errors.Errorf("data: image folder %s: %d workers, want at least 1", dir, cfg.workers)
	case cfg.prefetch < 0:
		return nil, errors.Errorf("data: image folder %s: prefetch of %d batches is negative", dir, cfg.prefetch)
	case cfg.cacheMax < 0:
		return nil, errors.Errorf("data: image folder %s: cache of %d bytes is negative", dir, cfg.cacheMax)
	case cfg.workers > maxWorkers:
		return nil, errors.Errorf("data: image folder %s: %d workers, more than %d", dir, cfg.workers, maxWorkers)
	case cfg.maxPixels < 1:
		return nil, errors.Errorf("data: image folder %s: at most %d pixels, want at least 1", dir, cfg.maxPixels)
	}
	if _, ok := mulSizes(cfg.color.Channels(), cfg.h, cfg.w); !ok {
		return nil, errors.Errorf("data: image folder %s: image size %dx%d overflows an int", dir, cfg.h, cfg.w)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "data: reading image folder %s", dir)
	}
	f := &ImageFolder{dir: dir, cfg: cfg}
	for _, e := range entries { // sorted by name
		if !e.IsDir() || hidden(e.Name()) {
			continue
		}
		label := len(f.classNames)
		classDir := filepath.Join(dir, e.Name())
		before := len(f.files)
		err := filepath.WalkDir(classDir, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if path != classDir && hidden(d.Name()) {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !imageExt(d.Name()) {
				return nil // WalkDir does not follow a link to a folder
			}
			f.files = append(f.files, path)
			f.labels = append(f.labels, label)
			return nil
		})
		if err != nil {
			return nil, errors.Wrapf(err, "data: image folder %s: listing class %s", dir, e.Name())
		}
		if len(f.files) == before {
			return nil, errors.Errorf("data: image folder %s: class folder %s has no image (.png, .jpg, .jpeg or .gif)", dir, classDir)
		}
		f.classNames = append(f.classNames, e.Name())
	}
	if len(f.classNames) == 0 {
		return nil, errors.Errorf("data: image folder %s has no class folder (want one sub-folder of images per class)", dir)
	}
	f.init()
	if !cfg.sizeSet {
		if err := f.sizeFromFirst(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// hidden reports whether a file or folder name is that of a hidden one.
func hidden(name string) bool { return strings.HasPrefix(name, ".") }

// init allocates the per-example state of f.
func (f *ImageFolder) init() {
	f.bad = make([]atomic.Bool, len(f.files))
	if f.cfg.cacheMax > 0 {
		f.cache = make([]atomic.Pointer[[]uint8], len(f.files))
	}
}

// sizeFromFirst sets f's image size to that of its first image file
// (under SkipBad, its first good one).
func (f *ImageFolder) sizeFromFirst() error {
	for i, path := range f.files {
		cfg, err := readConfig(path, f.cfg.maxPixels)
		if err == nil {
			f.cfg.h, f.cfg.w = cfg.Height, cfg.Width
			return nil
		}
		if !f.cfg.skipBad {
			return errors.Wrap(err, "data: image size from the first image")
		}
		f.markBad(i)
	}
	return errors.Errorf("data: image folder %s: no file is a good image", f.dir)
}

// readConfig reads the header of the image at path and checks its size.
func readConfig(path string, maxPixels int) (image.Config, error) {
	file, err := regular.Open(path)
	if err != nil {
		return image.Config{}, errors.Wrapf(err, "data: reading image %s", path)
	}
	defer file.Close()
	return checkedConfig(file, path, maxPixels)
}

// checkedConfig reads an image header from r and refuses a size that is
// not positive or is more than maxPixels.
func checkedConfig(r io.Reader, path string, maxPixels int) (cfg image.Config, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = errors.Errorf("data: image %s: decoder panic: %v", path, p)
		}
	}()
	cfg, format, err := image.DecodeConfig(r)
	if err != nil {
		return cfg, errors.Wrapf(err, "data: decoding image %s (want PNG, JPEG or GIF)", path)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, errors.Errorf("data: image %s: the %s image is %dx%d pixels", path, format, cfg.Width, cfg.Height)
	}
	if int64(cfg.Width)*int64(cfg.Height) > int64(maxPixels) {
		return cfg, errors.Errorf("data: image %s: the %s image declares %dx%d pixels, more than the limit of %d (MaxPixels)",
			path, format, cfg.Width, cfg.Height, maxPixels)
	}
	return cfg, nil
}

// smallFile is the size up to which a file is read whole into a
// worker's buffer and decoded from memory; a larger one is decoded as it
// is read.
const smallFile = 64 << 10

// scratch is what one decoding goroutine reuses from file to file.
type scratch struct {
	buf []byte
	rd  bytes.Reader
}

// decodeFile decodes the image at path, refusing (by its header, before
// decoding) one of more than maxPixels pixels. A decoder's panic becomes
// an error.
func decodeFile(path string, maxPixels int, sc *scratch) (img image.Image, err error) {
	file, err := regular.Open(path)
	if err != nil {
		return nil, errors.Wrapf(err, "data: reading image %s", path)
	}
	defer file.Close()
	if sc.buf == nil {
		sc.buf = make([]byte, smallFile)
	}
	var r io.ReadSeeker = file
	n, err := io.ReadFull(file, sc.buf)
	switch err {
	case io.EOF, io.ErrUnexpectedEOF: // the whole file is read
		sc.rd.Reset(sc.buf[:n])
		r = &sc.rd
	case nil: // a large file: decode it as it is read
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return nil, errors.Wrapf(err, "data: reading image %s", path)
		}
	default:
		return nil, errors.Wrapf(err, "data: reading image %s", path)
	}
	if _, err := checkedConfig(r, path, maxPixels); err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, errors.Wrapf(err, "data: reading image %s", path)
	}
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, errors.Errorf("data: image %s: decoder panic: %v", path, p)
		}
	}()
	img, _, err = image.Decode(r)
	if err != nil {
		return nil, errors.Wrapf(err, "data: decoding image %s", path)
	}
	if b := img.Bounds(); b.Empty() || int64(b.Dx())*int64(b.Dy()) > int64(maxPixels) {
		return nil, errors.Errorf("data: image %s: decoded image of %dx%d pixels is empty or more than %d", path, b.Dx(), b.Dy(), maxPixels)
	}
	return img, nil
}

// example writes the values of example i into dst, which holds
// ImageSize values, from the cache or by decoding its file.
func (f *ImageFolder) example(i int, dst []float32, sc *scratch) error {
	if f.cache != nil {
		if p := f.cache[i].Load(); p != nil {
			for j, v := range *p {
				dst[j] = float32(v) / 255
			}
			return nil
		}
	}
	path := f.files[i]
	f.decoded.Add(1)
	img, err := decodeFile(path, f.cfg.maxPixels, sc)
	if err != nil {
		return err
	}
	if _, err := ImageValues(img, f.cfg.color, f.cfg.h, f.cfg.w, dst); err != nil {
		return errors.Wrapf(err, "data: image %s", path)
	}
	if f.cache != nil {
		f.store(i, dst)
	}
	return nil
}

// store keeps the values of example i in the cache if they are bytes over
// 255 and the budget allows.
func (f *ImageFolder) store(i int, v []float32) {
	n := int64(len(v))
	if f.cacheUsed.Add(n) > f.cfg.cacheMax {
		f.cacheUsed.Add(-n)
		return
	}
	b := make([]uint8, len(v))
	for j, x := range v {
		u := math.Round(float64(x) * 255)
		if !(u >= 0 && u <= 255) || float32(uint8(u))/255 != x {
			f.cacheUsed.Add(-n)
			return
		}
		b[j] = uint8(u)
	}
	if !f.cache[i].CompareAndSwap(nil, &b) {
		f.cacheUsed.Add(-n) // another goroutine stored it first
	}
}

// markBad records that example i's file is bad.
func (f *ImageFolder) markBad(i int) {
	if !f.bad[i].Swap(true) {
		f.skipped.Add(1)
	}
}

// errKnownBad stands for the error of a file already found bad.
var errKnownBad = errors.New("data: file known to be bad")

// load writes example i into dst, or returns its error; under SkipBad a
// bad file is recorded, and not read again.
func (f *ImageFolder) load(i int, dst []float32, sc *scratch) error {
	if f.cfg.skipBad && f.bad[i].Load() {
		return errKnownBad
	}
	err := f.example(i, dst, sc)
	if err != nil && f.cfg.skipBad {
		f.markBad(i)
	}
	return err
}

// Info describes f's examples: images of shape C×H×W with an integer label
// among the classes.
func (f *ImageFolder) Info() Info {
	return Info{
		Shape:      []int{f.cfg.color.Channels(), f.cfg.h, f.cfg.w},
		Targets:    len(f.classNames),
		ClassNames: f.ClassNames(),
		HasLabels:  true,
	}
}

// size returns the number of values of one example.
func (f *ImageFolder) size() int { return f.cfg.color.Channels() * f.cfg.h * f.cfg.w }

// Len returns the number of image files, bad ones included.
func (f *ImageFolder) Len() int { return len(f.files) }

// ClassNames returns a copy of the class names, in label order.
func (f *ImageFolder) ClassNames() []string { return append([]string(nil), f.classNames...) }

// Files returns a copy of the image files' paths, in example order.
func (f *ImageFolder) Files() []string { return append([]string(nil), f.files...) }

// Labels returns a copy of the label of each example.
func (f *ImageFolder) Labels() []int { return append([]int(nil), f.labels...) }

// Skipped returns the number of files found bad and skipped so far under
// SkipBad (each counted once, however often it is met). It is safe for
// concurrent use.
func (f *ImageFolder) Skipped() int { return int(f.skipped.Load()) }

// Split divides f's examples at random into train, with
// round(Len×(1−valFraction)) of them, and val, with the rest, by the
// permutation that Dataset.Split uses for Len examples and seed: train
// holds the examples of the first part of the permutation, in its order,
// so that f.Split then Load gives what Load then Dataset.Split gives. Both
// keep f's options, image size and class names; each has its own cache. It
// returns an error unless valFraction is in (0, 1) and both parts have an
// example.
func (f *ImageFolder) Split(valFraction float64, seed uint64) (train, val *ImageFolder, err error) {
	if !(valFraction > 0 && valFraction < 1) {
		return nil, nil, errors.Errorf("data: image folder %s: validation fraction %v is not in (0, 1)", f.dir, valFraction)
	}
	n := len(f.files)
	k := int(math.Round(float64(n) * (1 - valFraction)))
	if k <= 0 || k >= n {
		return nil, nil, errors.Errorf("data: image folder %s: a fraction %v of %d examples leaves a part empty", f.dir, valFraction, n)
	}
	perm := rand.New(rand.NewPCG(seed, splitStream)).Perm(n)
	return f.subset(perm[:k]), f.subset(perm[k:]), nil
}

// subset returns an ImageFolder of f's examples at idx, in that order.
func (f *ImageFolder) subset(idx []int) *ImageFolder {
	s := &ImageFolder{dir: f.dir, cfg: f.cfg, classNames: f.classNames,
		files: make([]string, len(idx)), labels: make([]int, len(idx))}
	for j, i := range idx {
		s.files[j], s.labels[j] = f.files[i], f.labels[i]
	}
	s.init()
	return s
}

// Load decodes every image into an in-memory Dataset (X, Labels, Classes
// and ClassNames), in example order, using f's workers. Without SkipBad
// it returns the error of the first bad file; with it the bad files'
// examples are left out.
func (f *ImageFolder) Load() (*Dataset, error) {
	n, s := len(f.files), f.size()
	if _, ok := mulSizes(n, s); !ok {
		return nil, errors.Errorf("data: image folder %s: %d images of %d values overflow an int", f.dir, n, s)
	}
	x := make([]float32, n*s)
	errs := make([]error, n)
	var next atomic.Int64
	var firstErr atomic.Int64 // the lowest index with an error, without SkipBad
	firstErr.Store(math.MaxInt64)
	var wg sync.WaitGroup
	for w := 0; w < min(f.cfg.workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			for {
				i := int(next.Add(1) - 1)
				if i >= n || int64(i) > firstErr.Load() {
					return
				}
				if err := f.load(i, x[i*s:(i+1)*s], &sc); err != nil {
					errs[i] = err
					if !f.cfg.skipBad {
						for {
							old := firstErr.Load()
							if int64(i) >= old || firstErr.CompareAndSwap(old, int64(i)) {
								break
							}
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	if i := firstErr.Load(); i != math.MaxInt64 {
		return nil, errs[i]
	}
	ds := &Dataset{X: x, Labels: make([]int, 0, n), C: f.cfg.color.Channels(), H: f.cfg.h, W: f.cfg.w,
		Classes: len(f.classNames), ClassNames: f.ClassNames()}
	for i := range n {
		if errs[i] != nil {
			continue
		}
		if ds.N != i {
			copy(x[ds.N*s:(ds.N+1)*s], x[i*s:(i+1)*s])
		}
		ds.Labels = append(ds.Labels, f.labels[i])
		ds.N++
	}
	if ds.N == 0 {
		return nil, errors.Errorf("data: image folder %s: no file is a good image", f.dir)
	}
	ds.X = x[: ds.N*s : ds.N*s]
	return ds, nil
}

// Batches returns an iterator over f's examples in batches of size, in
// the order an Iterator over the same examples gives for the same options
// (see Permutation), positioned at the start of epoch 0. Decoding starts
// at the first call to Next of an epoch. The iterator's goroutines end
// with each epoch and on Epoch and Close; Close must be called if an epoch
// is left unfinished.
func (f *ImageFolder) Batches(size int, opts ...Option) (Batches, error) {
	if err := checkBatchSize(size); err != nil {
		return nil, err
	}
	it := &folderIter{f: f, size: size, cfg: NewBatchConfig(opts...), orderer: newOrderer(), held: -1}
	it.order = make([]int, len(f.files))
	it.Epoch(0)
	return it, nil
}

// folderIter is ImageFolder's Batches: a dispatcher goroutine hands the
// examples of each batch, in order, to worker goroutines that decode them
// into one of a ring of Prefetch+1 batch buffers.
type folderIter struct {
	f    *ImageFolder
	size int
	cfg  BatchConfig

	orderer
	order []int

	slots []slot // the ring of buffers, allocated at the first run
	run   *run   // the decoding of the current epoch, or nil
	held  int    // the slot of the current batch, or -1
	over  bool   // the epoch is over (or failed, or the iterator closed)
	err   error
	batch Batch
}

// slot is one batch buffer.
type slot struct {
	x      []float32
	labels []int
	index  []int
	errs   []error
}

// run is the decoding of one epoch.
type run struct {
	stop  chan struct{}  // closed to cancel
	free  chan int       // slots the consumer is done with
	ready chan *pending  // batches dispatched, in order; closed after the last
	jobs  chan job       // runs of examples to decode
	wg    sync.WaitGroup // the dispatcher and the workers
}

// pending is a batch being decoded.
type pending struct {
	slot int
	n    int
	left atomic.Int32  // jobs not yet done
	done chan struct{} // closed when left reaches 0
}

// job is the decoding of examples j0 to j1 of batch b (positions in the
// batch).
type job struct {
	b      *pending
	j0, j1 int
}

// Epoch starts epoch e from its first batch, cancelling and waiting for
// the decoding of the previous one.
func (it *folderIter) Epoch(e int) {
	it.stopRun()
	if it.f == nil { // closed
		return
	}
	it.fill(it.order, it.cfg, e)
	it.over, it.err, it.batch = false, nil, Batch{}
}

// stopRun cancels the decoding in flight, if any, and waits for its
// goroutines to end.
func (it *folderIter) stopRun() {
	if it.run != nil {
		close(it.run.stop)
		it.run.wg.Wait()
		it.run = nil
	}
	it.held = -1
}

// start starts decoding the current epoch.
func (it *folderIter) start() {
	f, s := it.f, it.f.size()
	nslots := f.cfg.prefetch + 1
	if it.slots == nil {
		n := min(it.size, len(it.order))
		it.slots = make([]slot, nslots)
		for k := range it.slots {
			it.slots[k] = slot{x: make([]float32, n*s), labels: make([]int, n), index: make([]int, n), errs: make([]error, n)}
		}
	}
	workers := min(f.cfg.workers, len(it.order)) // each takes runs of about 1/(2×workers) of a batch
	r := &run{stop: make(chan struct{}), free: make(chan int, nslots), ready: make(chan *pending, nslots), jobs: make(chan job, 2*workers)}
	for k := range nslots {
		r.free <- k
	}
	nb := it.cfg.NumBatches(len(it.order), it.size)
	r.wg.Add(1)
	go it.dispatch(r, nb, workers)
	for range workers {
		r.wg.Add(1)
		go it.work(r)
	}
	it.run = r
}

// dispatch hands out the nb batches of the epoch as slots come free.
func (it *folderIter) dispatch(r *run, nb, workers int) {
	defer r.wg.Done()
	defer close(r.jobs)
	defer close(r.ready)
	for k := range nb {
		var sl int
		select {
		case sl = <-r.free:
		case <-r.stop:
			return
		}
		lo := k * it.size
		n := min(it.size, len(it.order)-lo)
		chunk := max(1, n/(2*workers))
		b := &pending{slot: sl, n: n, done: make(chan struct{})}
		b.left.Store(int32((n + chunk - 1) / chunk))
		dst := &it.slots[sl]
		for j, i := range it.order[lo : lo+n] {
			dst.labels[j], dst.index[j], dst.errs[j] = it.f.labels[i], i, nil
		}
		select {
		case r.ready <- b:
		case <-r.stop:
			return
		}
		for j0 := 0; j0 < n; j0 += chunk {
			select {
			case r.jobs <- job{b, j0, min(j0+chunk, n)}:
			case <-r.stop:
				return
			}
		}
	}
}

// work decodes the examples it is handed, into the slots, until the epoch
// ends or is cancelled.
func (it *folderIter) work(r *run) {
	defer r.wg.Done()
	s := it.f.size()
	var sc scratch
	for {
		var jb job
		var ok bool
		select {
		case jb, ok = <-r.jobs:
			if !ok {
				return
			}
		case <-r.stop:
			return
		}
		sl := &it.slots[jb.b.slot]
		for j := jb.j0; j < jb.j1; j++ {
			select {
			case <-r.stop:
				return
			default:
			}
			sl.errs[j] = it.f.load(sl.index[j], sl.x[j*s:(j+1)*s:(j+1)*s], &sc)
		}
		if jb.b.left.Add(-1) == 0 {
			close(jb.b.done)
		}
	}
}

// Next decodes, or takes the already decoded, next batch of the epoch. It
// returns false at the end of the epoch, and on a bad file without
// SkipBad; Err then returns its error, which names the file.
func (it *folderIter) Next() bool {
	for {
		if it.over || it.f == nil {
			it.batch = Batch{}
			return false
		}
		if it.run == nil {
			it.start()
		}
		r := it.run
		if it.held >= 0 {
			r.free <- it.held // never blocks: there are as many places as slots
			it.held = -1
		}
		b, ok := <-r.ready
		if !ok {
			it.stopRun()
			it.over, it.batch = true, Batch{}
			return false
		}
		<-b.done
		it.held = b.slot
		sl := &it.slots[b.slot]
		s := it.f.size()
		n := 0
		for j := range b.n {
			if err := sl.errs[j]; err != nil {
				if !it.f.cfg.skipBad {
					it.stopRun()
					it.over, it.err, it.batch = true, err, Batch{}
					return false
				}
				continue
			}
			if n != j {
				copy(sl.x[n*s:(n+1)*s], sl.x[j*s:(j+1)*s])
				sl.labels[n], sl.index[n] = sl.labels[j], sl.index[j]
			}
			n++
		}
		if n == 0 {
			continue
		}
		it.batch = Batch{X: sl.x[:n*s], Labels: sl.labels[:n], Index: sl.index[:n], N: n}
		return true
	}
}

// Batch returns the current batch, valid until the next call to Next,
// Epoch or Close.
func (it *folderIter) Batch() Batch { return it.batch }

// Err returns the error that ended the epoch, which names the file, or
// nil.
func (it *folderIter) Err() error { return it.err }

// Close stops the decoding goroutines; after it Next returns false. It is
// safe to call more than once.
func (it *folderIter) Close() error {
	it.stopRun()
	it.f, it.over, it.batch, it.slots = nil, true, Batch{}, nil
	return nil
}
