package cli

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/regular"
)

// errInterrupted marks a run stopped by a signal.
var errInterrupted = errors.New("interrupted")

// stopError is why a run stopped, followed by what was saved.
type stopError struct {
	cause error
	saved string
}

func (e stopError) Error() string { return e.cause.Error() + " " + e.saved }
func (e stopError) Unwrap() error { return e.cause }

// phases runs the steps of a run that a signal must be able to cut short
// although they do not look at a context: loading the data, evaluating,
// writing the pictures.
type phases struct {
	ctx context.Context
	// abandoned is set once a step was left running in the background; the
	// process is about to exit, and the trainer must not be closed under it.
	abandoned bool
}

// do runs fn in a goroutine and waits for it to return, or for the context
// to be done. Then it abandons fn and returns an interruption that says
// what was being done ("while " + name) and what is saved.
func (p *phases) do(name, saved string, fn func() error) error {
	if p.ctx.Err() == nil {
		done := make(chan error, 1)
		go func() {
			hook(name)
			done <- fn()
		}()
		select {
		case err := <-done:
			return err
		case <-p.ctx.Done():
			p.abandoned = true
		}
	}
	return stopError{errInterrupted, "while " + name + "; " + saved}
}

// testHook, set only by the tests, is called as each phase begins that a
// signal must be able to cut short, and before saving after one.
var testHook func(phase string)

func hook(phase string) {
	if testHook != nil {
		testHook(phase)
	}
}

// lockOut takes an exclusive advisory lock on dir (flock on dir/run.lock)
// for as long as the process lives or until unlock is called; a second run
// gets an error at once. The lock file stays: removing it would let two
// runs lock two different files.
func lockOut(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, errors.Wrapf(err, "-out %s is not writable", dir)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errors.Errorf("-out %s is in use by another mnist run (it holds the lock on %s); wait for it to end or choose another directory", dir, path)
		}
		return nil, errors.Wrapf(err, "locking %s", path)
	}
	return func() { f.Close() }, nil
}

// mnistNames are the four MNIST files, in the order data.ReadMNIST takes
// them: training images and labels, test images and labels.
var mnistNames = [4]string{data.MNISTTrainImages, data.MNISTTrainLabels, data.MNISTTestImages, data.MNISTTestLabels}

// dataSource is the data a run reads, as run.json records it: the
// directory and, for each of the four MNIST files found there, its name,
// size and modification time; for a folder of images, each class folder
// with the total size of its images and the newest modification time
// among them, and the test folder's the same way.
type dataSource struct {
	Dir   string      `json:"dir"`
	Files []dataFile  `json:"files"`
	Test  *dataSource `json:"test,omitempty"`
}

// dataFile is one MNIST file of a dataSource.
type dataFile struct {
	Name    string    `json:"name"` // base name, with .gz where compressed
	Size    int64     `json:"size"`
	ModTime time.Time `json:"mtime"`
}

// path returns the path of file i.
func (s *dataSource) path(i int) string { return filepath.Join(s.Dir, s.Files[i].Name) }

// statData finds the four MNIST files in dir as data.LoadMNIST does (the
// plain file before the .gz one) without opening any, and refuses one that
// is not a regular file: a FIFO or a device could block the run forever.
func statData(dir string) (*dataSource, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, errors.Wrapf(err, "-data %s", dir)
	}
	src := &dataSource{Dir: abs}
	for _, name := range mnistNames {
		for _, n := range []string{name, name + ".gz"} {
			p := filepath.Join(abs, n)
			fi, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) || err == nil && fi.IsDir() {
				continue
			}
			if err != nil {
				return nil, errors.Wrap(err, "-data")
			}
			if err := regular.CheckMode(p, fi.Mode()); err != nil {
				return nil, errors.Wrap(err, "-data: the MNIST files must be regular files")
			}
			src.Files = append(src.Files, dataFile{Name: n, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
			break
		}
	}
	if len(src.Files) < len(mnistNames) {
		// data.LoadMNIST says which files are missing and how to get them,
		// before it opens any.
		if _, _, err := data.LoadMNIST(abs); err != nil {
			return nil, err
		}
		return nil, errors.Errorf("-data %s: MNIST files missing", abs)
	}
	return src, nil
}

// check refuses to resume a run on other data than it was started with.
func (s *dataSource) check(recorded *dataSource, runDir string) error {
	if recorded == nil {
		return errors.Errorf("-resume %s: %s does not record the run's data (an older mnist wrote it), so a resumed run could not be checked against it", runDir, runFile)
	}
	if !samePath(s.Dir, recorded.Dir) {
		return usageError{fmt.Sprintf("-data %s: the run in %s read %s; a resumed run must read the same data (leave out -data)", s.Dir, runDir, recorded.Dir)}
	}
	if len(s.Files) != len(recorded.Files) {
		return errors.Errorf("-resume %s: the data changed since the run began: %s holds %d data files or class folders, %s recorded %d", runDir, s.Dir, len(s.Files), runFile, len(recorded.Files))
	}
	if (s.Test == nil) != (recorded.Test == nil) {
		return errors.Errorf("-resume %s: the run's test data changed since it began", runDir)
	}
	if s.Test != nil {
		if err := s.Test.check(recorded.Test, runDir); err != nil {
			return err
		}
	}
	for i, f := range s.Files {
		if i >= len(recorded.Files) || f.Name != recorded.Files[i].Name || f.Size != recorded.Files[i].Size || !f.ModTime.Equal(recorded.Files[i].ModTime) {
			was := "missing"
			if i < len(recorded.Files) {
				r := recorded.Files[i]
				was = fmt.Sprintf("%s, %d bytes, modified %v", r.Name, r.Size, r.ModTime)
			}
			return errors.Errorf("-resume %s: the data changed since the run began: %s is %d bytes, modified %v; %s recorded %s", runDir, s.path(i), f.Size, f.ModTime, runFile, was)
		}
	}
	return nil
}

// samePath reports whether a and b name the same file: the same absolute
// path, or, where both exist, the same file by another path (a link).
func samePath(a, b string) bool {
	aa, errA := filepath.Abs(a)
	bb, errB := filepath.Abs(b)
	if errA == nil && errB == nil && aa == bb {
		return true
	}
	fa, errA := os.Stat(a)
	fb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(fa, fb)
}

// outFiles are the files a run writes into -out.
var outFiles = []string{lockFile, runFile, checkpointFile, "history.json", "history.csv", "accuracy.png", "loss.png",
	weightsFile, modelFile, "filters.png", "feature_maps.png", "confusion.png", "confusion.csv", resultFile}

// checkPaths makes sure that no output is an input and that -load,
// -cpuprofile and -onnx can be used, before anything is written.
func checkPaths(c config, src *dataSource) error {
	type named struct{ flag, path string }
	var inputs, outputs []named
	if c.load != "" {
		fi, err := os.Stat(c.load)
		if err != nil {
			return errors.Wrap(err, "-load")
		}
		if err := regular.CheckMode(c.load, fi.Mode()); err != nil {
			return errors.Wrap(err, "-load")
		}
		inputs = append(inputs, named{"-load", c.load})
	}
	for i := range src.Files {
		inputs = append(inputs, named{"-data", src.path(i)})
	}
	if c.outDir != "" {
		for _, f := range outFiles {
			outputs = append(outputs, named{"-out", filepath.Join(c.outDir, f)})
		}
	}
	// Each single-file output must be a regular file (or not exist yet) in
	// an existing directory, and differ from every input and every other
	// output.
	for _, f := range []named{{"-cpuprofile", c.cpuProfile}, {"-onnx", c.onnxPath}} {
		p := f.path
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.Mode().IsRegular() {
			return usageError{fmt.Sprintf("%s %s is not a regular file", f.flag, p)}
		}
		if fi, err := os.Stat(filepath.Dir(p)); err != nil || !fi.IsDir() {
			return usageError{fmt.Sprintf("%s %s: no directory %s to write it in", f.flag, p, filepath.Dir(p))}
		}
		inputs = append(inputs, outputs...) // nor may it be another output
		outputs = append(outputs, f)
	}
	for _, o := range outputs {
		for _, in := range inputs {
			if o.flag != in.flag && samePath(o.path, in.path) {
				return usageError{fmt.Sprintf("%s would write %s, which is the %s file %s; an output must not overwrite an input", o.flag, o.path, in.flag, in.path)}
			}
		}
	}
	return nil
}
