package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
	"github.com/gocnn/cnn/viz"
)

// The files a run writes into -out (see also outFiles).
const (
	runFile        = "run.json"
	checkpointFile = "checkpoint.bin"
	lockFile       = "run.lock"
	weightsFile    = "weights.bin"
	modelFile      = "model.gocnn"
	resultFile     = "result.json"
)

// result is what result.json holds. The training and validation numbers
// are those of ReportedEpoch, the epoch whose weights the run ends with and
// is tested with: the last one, or with -early-stop the best one.
type result struct {
	Params        int     `json:"params"`
	Epochs        int     `json:"epochs"`         // epochs trained
	ReportedEpoch int     `json:"reported_epoch"` // the epoch of the weights and of every number below (0 with -epochs 0: the -load weights)
	BatchSize     int     `json:"batch"`
	LR            float64 `json:"lr"`
	Optimizer     string  `json:"optimizer"`
	Seed          uint64  `json:"seed"`
	TrainImages   int     `json:"train_images"`
	ValImages     int     `json:"val_images"`
	TestImages    int     `json:"test_images"`
	MedianEpochS  float64 `json:"median_epoch_s"`
	MedianTrainS  float64 `json:"median_train_s"`
	ImagesPerS    float64 `json:"images_per_s"`
	TestEvalS     float64 `json:"test_eval_s"`
	PeakRSSMiB    float64 `json:"peak_rss_mib"`
	TrainLoss     float64 `json:"train_loss"`
	TrainAcc      float64 `json:"train_acc"`
	ValLoss       float64 `json:"val_loss"`
	ValAcc        float64 `json:"val_acc"`
	TestLoss      float64 `json:"test_loss"`
	TestAcc       float64 `json:"test_acc"`
}

// runRecord is what run.json holds: every setting that shapes the run, the
// data it reads and, once training has ended, which epoch the weights in
// weights.bin are.
type runRecord struct {
	config
	Load    string         `json:"load,omitempty"` // -load, as an absolute path
	Data    *dataSource    `json:"data"`
	Trained *trainedRecord `json:"trained,omitempty"`
}

// trainedRecord says that training has ended and weights.bin holds its
// final weights: only the evaluation and the pictures may be left to do.
type trainedRecord struct {
	ReportedEpoch int `json:"reported_epoch"`
}

// run runs mnist with the arguments args.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return runAs(ctx, MNIST, args, stdout, stderr)
}

// runAs runs cmd with the arguments args, in the order of its phases:
// ready the -out directory, find the data, build or resume the model and
// its trainer, load the data, record the run, train, evaluate, and write
// the outputs.
func runAs(ctx context.Context, cmd Command, args []string, stdout, stderr io.Writer) (err error) {
	c, err := parseFlags(cmd, args, stderr)
	if err != nil {
		return err
	}
	r := &runner{c: c, stdout: stdout, final: stdout, p: &phases{ctx: ctx}}
	if c.quiet {
		r.stdout = io.Discard
	}

	// Check everything before writing anything; the lock file is all that a
	// refused run leaves in -out.
	unlock, err := r.readyOut()
	if err != nil {
		return err
	}
	defer unlock()
	if err := r.findData(); err != nil {
		return err
	}
	defer func() {
		if r.tr != nil && !r.p.abandoned {
			r.tr.Close()
		}
	}()
	if err := r.buildModel(ctx); err != nil {
		return err
	}
	if err := r.loadData(); err != nil {
		return err
	}

	// Every check has passed: from here on the run writes.
	if err := r.record(); err != nil {
		return err
	}
	stopProfile, err := r.startProfile()
	if err != nil {
		return err
	}
	defer func() {
		if perr := stopProfile(); perr != nil && err == nil {
			err = perr
		}
	}()
	if err := r.train(); err != nil {
		return err
	}
	res, err := r.evaluate()
	if err != nil {
		return err
	}
	return r.writeOutputs(res)
}

// nothingSaved is what an interruption before training has saved.
const nothingSaved = "nothing was saved"

// runner is what the phases of a run share.
type runner struct {
	c             config
	stdout, final io.Writer // final is stdout even with -quiet
	p             *phases
	rec           *runRecord  // the run resumed, or once recorded this one; nil before
	src           *dataSource // where the data are
	d             *runData    // the data, once loaded
	net           *model.Model
	opt           optimizers.Optimizer
	tr            *train.Trainer
	reported      int    // the epoch of the weights the run ends with
	saved         string // what an interruption after training has saved
}

// readyOut checks the -out directory (or the -resume one), creates it for
// a fresh run, locks it, and for -resume reads the run's settings. It
// returns the unlock, which does nothing without -out.
func (r *runner) readyOut() (unlock func(), err error) {
	c := r.c
	if c.outDir == "" {
		return func() {}, nil
	}
	if c.resume != "" {
		if _, err := os.Stat(filepath.Join(c.resume, runFile)); err != nil {
			return nil, errors.Wrap(err, "-resume: not the -out directory of an earlier run")
		}
	} else if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		return nil, errors.Wrap(err, "-out")
	}
	unlock, err = lockOut(c.outDir)
	if err != nil {
		return nil, err
	}
	if c.resume != "" {
		if r.c, r.rec, err = resumeConfig(c); err != nil {
			unlock()
			return nil, err
		}
	} else if err := freshOut(c.outDir, r.stdout); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// findData finds the data (or, for -resume, the run's), restarts a resumed
// run that trained nothing, and checks that no output overwrites an input.
func (r *runner) findData() (err error) {
	if r.src, err = findData(r.p, r.c, r.rec, nothingSaved); err != nil {
		return err
	}
	if r.rec != nil && untrained(r.c.outDir) {
		// Killed, or out of disk space, before its first checkpoint: the
		// run trained nothing, so it starts again, with its settings, its
		// data and its -load.
		fmt.Fprintf(r.stdout, "-resume %s: the run stopped before its first checkpoint, so nothing was trained; starting it again from scratch with its settings\n", r.c.outDir)
		r.c.load, r.rec = r.rec.Load, nil
	}
	return checkPaths(r.c, r.src)
}

// buildModel builds the network (for cmd/train, opening its images, which
// size it), the optimizer and the trainer with its callbacks, and for
// -resume restores the trainer's state from the checkpoint. The caller
// closes r.tr once it is set, even when a later step fails.
func (r *runner) buildModel(ctx context.Context) (err error) {
	c := r.c
	if c.cmd == Train {
		r.net, r.d, err = imagesAndModel(c, r.rec, r.src)
	} else {
		r.net, err = buildModel(c, r.rec)
	}
	if err != nil {
		return err
	}
	opt, err := c.optimizer()
	if err != nil {
		return err
	}
	r.opt = opt
	cbs := []train.Callback{train.NewProgress(r.stdout), interrupter(ctx)}
	if c.EarlyStop > 0 {
		cbs = append(cbs, train.EarlyStopping(metrics.ValLoss, c.EarlyStop, true))
	}
	if c.outDir != "" {
		// Last, so that the checkpoint holds the epoch's early-stopping
		// state too.
		cbs = append(cbs, train.EpochFunc(func(t *train.Trainer, _ train.Epoch) error { return saveRun(c.outDir, t) }))
	}
	topts := []train.Option{train.Optimizer(opt), train.Seed(c.Seed), train.Callbacks(cbs...)}
	switch {
	case c.cmd == MNIST && c.Model == "resnet":
		topts = append(topts, train.Schedule(recipe.ResNetSchedule(c.LR, c.Epochs)), train.Augmentation(recipe.ResNetAugmentation(c.Seed)),
			train.PreciseBN(recipe.ResNetPreciseBN))
	case c.cmd == Train:
		if c.Augment {
			topts = append(topts, train.Augmentation(recipe.ResNetAugmentation(c.Seed)))
		}
		if c.Model == "resnet" {
			topts = append(topts, train.PreciseBN(recipe.ResNetPreciseBN))
		}
	}
	if r.tr, err = train.New(r.net, topts...); err != nil {
		return err
	}
	if r.rec != nil {
		return resumeTrainer(c, r.rec, r.tr)
	}
	return nil
}

// loadData loads the data, unless cmd/train has opened its images already,
// and prints what the run trains on, the model's summary and, for -resume,
// where it goes on from.
func (r *runner) loadData() error {
	if r.d == nil {
		if err := r.p.do("loading the data", nothingSaved, func() (err error) {
			r.d, err = loadData(r.c, r.src, r.net.InputShape(0))
			return err
		}); err != nil {
			return err
		}
	}
	fmt.Fprintf(r.stdout, "%s: %d training, %d validation, %d test images\n", r.d.from, r.d.train.Len(), r.d.val.Len(), r.d.test.Len())
	if err := r.net.Summary(r.stdout); err != nil {
		return err
	}
	if r.rec != nil {
		s := r.tr.Position()
		fmt.Fprintf(r.stdout, "Resuming %s after epoch %d, batch %d\n", r.c.outDir, s.Epoch, s.Batch)
	}
	return nil
}

// record writes run.json into -out: the run's settings and data, with the
// total of epochs asked for.
func (r *runner) record() error {
	c := r.c
	if c.outDir == "" {
		return nil
	}
	if r.rec == nil {
		r.rec = &runRecord{config: c, Data: r.src}
		if c.load != "" {
			r.rec.Load, _ = filepath.Abs(c.load)
		}
	}
	r.rec.Epochs = c.Epochs
	return writeJSON(filepath.Join(c.outDir, runFile), r.rec)
}

// startProfile starts the CPU profile of -cpuprofile, if any, and returns
// what stops it and writes the file.
func (r *runner) startProfile() (stop func() error, err error) {
	path := r.c.cpuProfile
	if path == "" {
		return func() error { return nil }, nil
	}
	var prof bytes.Buffer
	if err := pprof.StartCPUProfile(&prof); err != nil {
		return nil, errors.Wrap(err, "-cpuprofile")
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(prof.Bytes()); return err }); err != nil {
			return errors.Wrap(err, "-cpuprofile")
		}
		return nil
	}, nil
}

// train trains the model, unless a resumed run had finished training, and
// keeps its weights in -out before anything else, so that -resume only
// finishes the evaluation; then it writes the -onnx file.
func (r *runner) train() error {
	c := r.c
	if r.rec != nil && r.rec.Trained != nil {
		r.reported = r.rec.Trained.ReportedEpoch
	} else {
		fmt.Fprintf(r.stdout, "Training for %d epochs, batch %d, %v\n", c.Epochs, c.Batch, r.opt)
		if _, err := r.tr.Fit(r.d.train, train.UntilEpoch(c.Epochs), train.BatchSize(c.Batch), train.Validation(r.d.val)); err != nil {
			return stopped(c, r.tr, err)
		}
		r.reported = len(r.tr.History().Epochs)
		if c.EarlyStop > 0 {
			r.reported = bestValEpoch(r.tr.History())
		}
		if c.outDir != "" {
			// Training is over: keep its weights before anything else, and
			// say so, so that -resume only finishes the evaluation.
			if err := r.net.Params().SaveFile(filepath.Join(c.outDir, weightsFile)); err != nil {
				return err
			}
			if err := r.net.Save(filepath.Join(c.outDir, modelFile), nil); err != nil {
				return err
			}
			r.rec.Trained = &trainedRecord{ReportedEpoch: r.reported}
			if err := writeJSON(filepath.Join(c.outDir, runFile), r.rec); err != nil {
				return err
			}
		}
	}

	if c.onnxPath != "" {
		if err := onnx.Save(r.net, c.onnxPath); err != nil {
			return errors.Wrap(err, "-onnx")
		}
		fmt.Fprintf(r.stdout, "ONNX model written to %s\n", c.onnxPath)
	}
	r.saved = "nothing was saved (no -out)"
	if c.outDir != "" {
		r.saved = fmt.Sprintf("training is complete and its weights are saved in %s; finish with -resume %s",
			filepath.Join(c.outDir, weightsFile), c.outDir)
	}
	return nil
}

// evaluate measures the trained model on the test set, takes the training
// and validation numbers of the reported epoch from the history (or
// measures the validation set when the history lacks it), and prints the
// result.
func (r *runner) evaluate() (result, error) {
	c, test, val := r.c, r.d.test, r.d.val
	hist := r.tr.History()
	res := result{
		Params: r.net.Params().Count(), Epochs: len(hist.Epochs), ReportedEpoch: r.reported, BatchSize: c.Batch, LR: c.LR, Optimizer: r.opt.String(), Seed: c.Seed,
		TrainImages: r.d.train.Len(), ValImages: val.Len(), TestImages: test.Len(),
		MedianEpochS: median(hist, metrics.Seconds), MedianTrainS: median(hist, metrics.TrainSeconds), ImagesPerS: median(hist, metrics.ImagesPerS),
	}
	if err := r.p.do("evaluating", r.saved, func() (err error) {
		t0 := time.Now()
		if res.TestLoss, res.TestAcc, err = r.tr.Evaluate(test); err != nil {
			return err
		}
		res.TestEvalS = time.Since(t0).Seconds()
		if r.reported > 0 && r.reported <= len(hist.Epochs) { // a checkpoint deleted by hand takes the history with it
			e := hist.Epochs[r.reported-1]
			res.TrainLoss, res.TrainAcc, res.ValLoss, res.ValAcc = e.Loss, e.Acc, e.ValLoss, e.ValAcc
			return nil
		}
		res.ValLoss, res.ValAcc, err = r.tr.Evaluate(val)
		return err
	}); err != nil {
		return res, err
	}
	res.PeakRSSMiB = peakRSSMiB()
	fmt.Fprintf(r.stdout, "Test: loss %.4f, accuracy %.4f (%d images, %.2fs); median epoch %.2fs; peak RSS %.0f MiB\n",
		res.TestLoss, res.TestAcc, test.Len(), res.TestEvalS, res.MedianEpochS, res.PeakRSSMiB)
	if r.d.skipped != nil {
		fmt.Fprintf(r.stdout, "Skipped %d files that could not be read as images (-skip-bad)\n", r.d.skipped())
	}
	if c.quiet {
		fmt.Fprintf(r.final, "test_loss %.4f test_acc %.4f\n", res.TestLoss, res.TestAcc)
	}
	return res, nil
}

// writeOutputs writes the pictures (filters, feature maps, confusion
// matrix) and result.json into -out, if there is one.
func (r *runner) writeOutputs(res result) error {
	if r.c.outDir == "" {
		return nil
	}
	out := func(name string) string { return filepath.Join(r.c.outDir, name) }
	if err := r.p.do("writing", r.saved, func() error {
		if err := writeFilters(out("filters.png"), r.net); err != nil {
			return err
		}
		first, err := firstExample(r.d.test)
		if err != nil {
			return err
		}
		if err := writeFeatureMaps(out("feature_maps.png"), r.net, first); err != nil {
			return err
		}
		return writeConfusion(out("confusion.png"), out("confusion.csv"), r.net, r.d.test)
	}); err != nil {
		return err
	}
	return writeJSON(out(resultFile), res)
}

// resumeConfig reads the settings of the run being resumed; -epochs, if
// given, replaces its total.
func resumeConfig(c config) (config, *runRecord, error) {
	path := filepath.Join(c.resume, runFile)
	if _, err := os.Stat(filepath.Join(c.resume, resultFile)); err == nil {
		return c, nil, usageError{fmt.Sprintf("-resume %s: that run is finished (it wrote %s); to train on from its weights, start a new run with -load %s -out DIR",
			c.resume, resultFile, filepath.Join(c.resume, weightsFile))}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, nil, errors.Wrap(err, "-resume: not the -out directory of an earlier run")
	}
	rec := &runRecord{config: c}
	if err := json.Unmarshal(b, rec); err != nil {
		return c, nil, errors.Wrapf(err, "-resume: %s", path)
	}
	saved := rec.config
	saved.load = "" // the checkpoint holds the weights
	if c.set["epochs"] {
		if rec.Trained != nil && c.Epochs != saved.Epochs {
			return c, nil, usageError{fmt.Sprintf("-epochs %d: the run in %s has finished training (%d epochs) and -resume only finishes its evaluation; to train on, start a new run with -load %s -out DIR",
				c.Epochs, c.resume, saved.Epochs, filepath.Join(c.resume, weightsFile))}
		}
		saved.Epochs = c.Epochs
	}
	if err := saved.validate(); err != nil {
		return c, nil, errors.Wrapf(err, "-resume: %s", path)
	}
	return saved, rec, nil
}

// freshOut refuses to start a run in a directory that holds another run,
// unless that run trained nothing (see untrained): then the new run takes
// its place, and says so on out.
func freshOut(dir string, out io.Writer) error {
	if untrained(dir) {
		fmt.Fprintf(out, "-out %s holds %s of a run that stopped before its first checkpoint, so nothing was trained; starting afresh in its place\n", dir, runFile)
		return nil
	}
	for _, f := range []string{checkpointFile, runFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			return usageError{fmt.Sprintf("-out %s holds an earlier run (%s); continue it with -resume %s, or choose another directory", dir, f, dir)}
		}
	}
	return nil
}

// untrained reports whether dir holds run.json of a run that trained
// nothing: one that was killed or ran out of disk space before it wrote
// its first checkpoint, and so holds neither a checkpoint nor trained
// weights nor a result. Only run.json (and the lock) can be there then.
func untrained(dir string) bool {
	if _, err := os.Lstat(filepath.Join(dir, runFile)); err != nil {
		return false
	}
	for _, f := range []string{checkpointFile, weightsFile, modelFile, resultFile, "history.json"} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil || !errors.Is(err, os.ErrNotExist) {
			return false
		}
	}
	return true
}

// resumeTrainer restores the trainer of the run being resumed: its
// checkpoint, and once training has ended its final weights. It refuses
// an -epochs that ends before the checkpoint.
func resumeTrainer(c config, rec *runRecord, tr *train.Trainer) error {
	ckpt := filepath.Join(c.outDir, checkpointFile)
	if _, err := os.Stat(ckpt); err == nil || rec.Trained == nil {
		if err := tr.LoadCheckpoint(ckpt); err != nil {
			return err
		}
	}
	if rec.Trained != nil {
		return tr.Model().Params().LoadFile(filepath.Join(c.outDir, weightsFile))
	}
	s := tr.Position()
	if need := s.Epoch + min(s.Batch, 1); c.Epochs < need {
		where := fmt.Sprintf("has trained %d epochs", s.Epoch)
		if s.Batch > 0 {
			where = fmt.Sprintf("stopped in epoch %d, after batch %d", s.Epoch+1, s.Batch)
		}
		return usageError{fmt.Sprintf("-epochs %d: the run in %s %s, so it needs -epochs %d or more", c.Epochs, c.outDir, where, need)}
	}
	return nil
}

// findData locates the MNIST files: in -data, in the resumed run's
// directory, or in the Go module cache (which may mean a download).
func findData(p *phases, c config, rec *runRecord, saved string) (*dataSource, error) {
	if c.cmd == Train {
		src, err := statImages(c.Images, c.Test)
		if err == nil && rec != nil {
			err = src.check(rec.Data, c.outDir)
		}
		return src, err
	}
	dir := c.dataDir
	switch {
	case dir != "":
	case rec != nil && rec.Data != nil:
		dir = rec.Data.Dir
	default:
		if err := p.do("loading the data", saved, func() (err error) {
			dir, err = data.DefaultMNISTDir()
			return err
		}); err != nil {
			return nil, err
		}
	}
	src, err := statData(dir)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		if err := src.check(rec.Data, c.outDir); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// runData is what a run trains, validates and tests on.
type runData struct {
	train, val, test data.Source
	from             string     // where the data come from, for the first line
	skipped          func() int // bad files skipped so far (-skip-bad), or nil
}

// loadData reads MNIST and splits it as the flags say, and checks that the
// images fit the model (C×H×W in).
func loadData(c config, src *dataSource, in []int) (*runData, error) {
	trainSet, val, test, err := loadMNIST(c, src, in)
	if err != nil {
		return nil, err
	}
	return &runData{train: trainSet, val: val, test: test, from: "MNIST from " + src.Dir}, nil
}

// loadMNIST reads MNIST and splits it as the flags say, and checks that
// the images fit the model.
func loadMNIST(c config, src *dataSource, in []int) (trainSet, val, test *data.Dataset, err error) {
	full, err := data.ReadMNIST(src.path(0), src.path(1))
	if err != nil {
		return nil, nil, nil, err
	}
	// The test set is read only as far as -limit needs.
	if test, err = data.ReadMNISTN(src.path(2), src.path(3), c.Limit); err != nil {
		return nil, nil, nil, err
	}
	if len(in) != 3 {
		return nil, nil, nil, errors.Errorf("the model takes examples of shape %v; MNIST images are channels×height×width", in)
	}
	for _, s := range []struct {
		what string
		ds   *data.Dataset
	}{{"training", full}, {"test", test}} {
		if s.ds.C != in[0] || s.ds.H != in[1] || s.ds.W != in[2] {
			return nil, nil, nil, errors.Errorf("-data %s: the %s images are %dx%d with %d channel(s); the model takes %dx%d with %d",
				src.Dir, s.what, s.ds.H, s.ds.W, s.ds.C, in[1], in[2], in[0])
		}
	}
	switch {
	case c.ValSplit > 0:
		if trainSet, val, err = train.ValidationSplit(full, c.ValSplit, c.Seed); err != nil {
			return nil, nil, nil, errors.Wrapf(err, "-val-split %g", c.ValSplit)
		}
	case full.N <= recipe.ValidationImages:
		return nil, nil, nil, errors.Errorf("-data %s holds %d training images: too few for the recipe's split, which holds out %d for validation; hold out a fraction with -val-split instead",
			src.Dir, full.N, recipe.ValidationImages)
	default:
		if trainSet, val, err = recipe.Split(full, c.Seed); err != nil {
			return nil, nil, nil, err
		}
	}
	return trainSet.Limit(c.Limit), val.Limit(c.Limit), test.Limit(c.Limit), nil
}

// interrupter stops training after the current batch once ctx is done.
func interrupter(ctx context.Context) train.Callback {
	return train.BatchFunc(func(*train.Trainer, train.BatchEnd) error {
		if ctx.Err() != nil {
			return errInterrupted
		}
		return nil
	})
}

// buildModel returns the network to train: the one in the -load model
// file (model.gocnn, any architecture, rebuilt with no Go code), or else
// the recipe's, with the weights of a -load weights file (weights.bin). A
// resumed run rebuilds from the -load it recorded; its checkpoint then
// supplies the weights.
func buildModel(c config, rec *runRecord) (*model.Model, error) {
	load := c.load
	if rec != nil {
		load = rec.Load
	}
	if load != "" {
		isModel, err := model.IsModelFile(load)
		if err != nil {
			return nil, errors.Wrap(err, "-load")
		}
		if isModel {
			m, _, err := model.Load(load)
			return m, errors.Wrap(err, "-load")
		}
	}
	if c.Model == "resnet" {
		return recipe.ResNet(c.Seed)
	}
	m, err := recipe.Model(c.Seed)
	if err != nil || load == "" || rec != nil {
		return m, err
	}
	return m, errors.Wrap(m.LoadWeights(load), "-load")
}

// bestValEpoch returns the epoch whose weights train.EarlyStopping with
// restoreBest leaves in the model: the first of the lowest val_loss (NaN
// never counts). Its state lives in the checkpoints, so this holds across
// -resume too.
func bestValEpoch(h *train.History) int {
	best, bestLoss := len(h.Epochs), math.Inf(1)
	for _, e := range h.Epochs {
		if e.ValLoss < bestLoss {
			best, bestLoss = e.Epoch, e.ValLoss
		}
	}
	return best
}

// stopped saves what a run that failed or was interrupted leaves behind, and
// explains how to go on.
func stopped(c config, tr *train.Trainer, fitErr error) error {
	if c.outDir == "" {
		if errors.Is(fitErr, errInterrupted) {
			return errors.Wrap(fitErr, "nothing was saved (no -out)")
		}
		return fitErr
	}
	hook("saving")
	if err := saveRun(c.outDir, tr); err != nil {
		return errors.Wrapf(fitErr, "and saving the checkpoint failed too (%v)", err)
	}
	s := tr.Position()
	return stopError{fitErr, fmt.Sprintf("(after epoch %d, batch %d); checkpoint and history saved in %s; continue with -resume %s",
		s.Epoch, s.Batch, c.outDir, c.outDir)}
}

// saveRun writes the checkpoint and the history so far.
func saveRun(dir string, tr *train.Trainer) error {
	if err := tr.SaveCheckpoint(filepath.Join(dir, checkpointFile)); err != nil {
		return err
	}
	if len(tr.History().Epochs) == 0 {
		return nil
	}
	return writeHistory(dir, tr.History())
}

// median is History.Median of a metric that exists.
func median(h *train.History, m metrics.Name) float64 {
	v, _ := h.Median(m)
	return v
}

// series is History.Series of a metric that exists.
func series(h *train.History, m metrics.Name) []float64 {
	v, _ := h.Series(m)
	return v
}

func writeHistory(dir string, h *train.History) error {
	if err := atomicfile.Write(filepath.Join(dir, "history.json"), h.WriteJSON); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "history.csv"), h.WriteCSV); err != nil {
		return err
	}
	if err := viz.LinePlot(filepath.Join(dir, "accuracy.png"), "Training and validation accuracy", "Epochs", "Accuracy",
		viz.Series{Name: "Training accuracy", Y: series(h, metrics.Acc), Style: viz.Dots},
		viz.Series{Name: "Validation accuracy", Y: series(h, metrics.ValAcc)}); err != nil {
		return err
	}
	return viz.LinePlot(filepath.Join(dir, "loss.png"), "Training and validation loss", "Epochs", "Loss",
		viz.Series{Name: "Training loss", Y: series(h, metrics.Loss), Style: viz.Dots},
		viz.Series{Name: "Validation loss", Y: series(h, metrics.ValLoss)})
}

func writeJSON(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

// peakRSSMiB returns the process's peak resident set size.
func peakRSSMiB() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Maxrss) / 1024 // kilobytes on Linux
}
