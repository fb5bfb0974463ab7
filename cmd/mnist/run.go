package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/viz"
)

// The files a run writes into -out.
const (
	runFile        = "run.json"
	checkpointFile = "checkpoint.bin"
)

// errInterrupted marks a run stopped by Ctrl-C or SIGTERM.
var errInterrupted = errors.New("interrupted")

// result is what result.json holds.
type result struct {
	Params       int     `json:"params"`
	Epochs       int     `json:"epochs"`
	BatchSize    int     `json:"batch"`
	LR           float64 `json:"lr"`
	Optimizer    string  `json:"optimizer"`
	Seed         uint64  `json:"seed"`
	TrainImages  int     `json:"train_images"`
	ValImages    int     `json:"val_images"`
	TestImages   int     `json:"test_images"`
	MedianEpochS float64 `json:"median_epoch_s"`
	MedianTrainS float64 `json:"median_train_s"`
	ImagesPerS   float64 `json:"images_per_s"`
	TestEvalS    float64 `json:"test_eval_s"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	TrainLoss    float64 `json:"train_loss"`
	TrainAcc     float64 `json:"train_acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
	TestLoss     float64 `json:"test_loss"`
	TestAcc      float64 `json:"test_acc"`
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if c.resume != "" {
		if c, err = resumeConfig(c); err != nil {
			return err
		}
	}
	final := stdout
	if c.quiet {
		stdout = io.Discard
	}
	if c.cpuProfile != "" {
		f, err := os.Create(c.cpuProfile)
		if err != nil {
			return errors.Wrap(err, "-cpuprofile")
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.Wrap(err, "-cpuprofile")
		}
		defer pprof.StopCPUProfile()
	}
	if err := prepareOut(c); err != nil {
		return err
	}
	opt, err := train.OptimizerByName(c.Optimizer, c.LR)
	if err != nil {
		return usageError{"-optimizer: " + err.Error()}
	}

	trainSet, val, test, dir, err := loadData(c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "MNIST from %s: %d training, %d validation, %d test images\n", dir, trainSet.N, val.N, test.N)

	model, err := recipe.Model(c.Seed)
	if err != nil {
		return err
	}
	if c.load != "" {
		if err := model.Params().LoadFile(c.load); err != nil {
			return err
		}
	}
	if err := model.Summary(stdout); err != nil {
		return err
	}
	cbs := []train.Callback{train.NewProgress(stdout), interrupter(ctx)}
	if c.outDir != "" {
		cbs = append(cbs, train.EpochFunc(func(t *train.Trainer, _ train.Epoch) error { return saveRun(c.outDir, t) }))
	}
	if c.EarlyStop > 0 {
		cbs = append(cbs, train.EarlyStopping(train.MetricValLoss, c.EarlyStop, true))
	}
	tr, err := train.New(model, train.WithOptimizer(opt), train.WithSeed(int64(c.Seed)), train.WithCallbacks(cbs...))
	if err != nil {
		return err
	}
	defer tr.Close()
	if c.resume != "" {
		if err := tr.LoadCheckpoint(filepath.Join(c.outDir, checkpointFile)); err != nil {
			return err
		}
		s := tr.State()
		fmt.Fprintf(stdout, "Resuming %s after epoch %d, batch %d\n", c.outDir, s.Epoch, s.Batch)
	} else if c.outDir != "" {
		if err := writeJSON(filepath.Join(c.outDir, runFile), c); err != nil {
			return err
		}
	}

	fmt.Fprintf(stdout, "Training for %d epochs, batch %d, %v\n", c.Epochs, c.Batch, opt)
	hist, fitErr := tr.Fit(trainSet, train.UntilEpoch(c.Epochs), train.BatchSize(c.Batch), train.Validation(val))
	if fitErr != nil {
		return stopped(c, tr, fitErr)
	}

	t0 := time.Now()
	testLoss, testAcc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	res := result{
		Params: model.Params().Count(), Epochs: len(hist.Epochs), BatchSize: c.Batch, LR: c.LR, Optimizer: opt.String(), Seed: c.Seed,
		TrainImages: trainSet.N, ValImages: val.N, TestImages: test.N,
		MedianEpochS: median(hist, train.MetricSeconds), MedianTrainS: median(hist, train.MetricTrainSeconds), ImagesPerS: median(hist, train.MetricImagesPerS),
		TestEvalS: time.Since(t0).Seconds(), PeakRSSMiB: peakRSSMiB(), TestLoss: testLoss, TestAcc: testAcc,
	}
	if n := len(hist.Epochs); n > 0 {
		last := hist.Epochs[n-1]
		res.TrainLoss, res.TrainAcc, res.ValLoss, res.ValAcc = last.Loss, last.Acc, last.ValLoss, last.ValAcc
	} else if res.ValLoss, res.ValAcc, err = tr.Evaluate(val); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Test: loss %.4f, accuracy %.4f (%d images, %.2fs); median epoch %.2fs; peak RSS %.0f MiB\n",
		testLoss, testAcc, test.N, res.TestEvalS, res.MedianEpochS, res.PeakRSSMiB)
	if c.quiet {
		fmt.Fprintf(final, "test_loss %.4f test_acc %.4f\n", testLoss, testAcc)
	}
	if c.outDir == "" {
		return nil
	}
	out := func(name string) string { return filepath.Join(c.outDir, name) }
	if err := model.Params().SaveFile(out("weights.bin")); err != nil {
		return err
	}
	if err := writeFilters(out("filters.png"), model); err != nil {
		return err
	}
	if err := writeFeatureMaps(out("feature_maps.png"), model, test.Image(0)); err != nil {
		return err
	}
	if err := writeConfusion(out("confusion.png"), out("confusion.csv"), model, test); err != nil {
		return err
	}
	return writeJSON(out("result.json"), res)
}

// resumeConfig reads the settings of the run being resumed; -epochs, if
// given, replaces its total.
func resumeConfig(c config) (config, error) {
	b, err := os.ReadFile(filepath.Join(c.resume, runFile))
	if err != nil {
		return c, errors.Wrap(err, "-resume: not the -out directory of an earlier run")
	}
	saved := c
	if err := json.Unmarshal(b, &saved); err != nil {
		return c, errors.Wrapf(err, "-resume: %s", filepath.Join(c.resume, runFile))
	}
	if c.set["epochs"] {
		saved.Epochs = c.Epochs
	}
	return saved, saved.validate()
}

// prepareOut creates -out and checks that it is writable, and that a fresh
// run will not overwrite an earlier run's checkpoint.
func prepareOut(c config) error {
	if c.outDir == "" {
		return nil
	}
	if err := os.MkdirAll(c.outDir, 0o755); err != nil {
		return errors.Wrap(err, "-out")
	}
	f, err := os.CreateTemp(c.outDir, ".probe*")
	if err != nil {
		return errors.Wrapf(err, "-out %s is not writable", c.outDir)
	}
	f.Close()
	os.Remove(f.Name())
	if c.resume == "" {
		if _, err := os.Stat(filepath.Join(c.outDir, checkpointFile)); err == nil {
			return usageError{fmt.Sprintf("-out %s holds an earlier run's checkpoint; continue it with -resume %s, or choose another directory", c.outDir, c.outDir)}
		}
	}
	return nil
}

// loadData reads MNIST and splits it as the flags say.
func loadData(c config) (trainSet, val, test *data.Dataset, dir string, err error) {
	dir = c.dataDir
	if dir == "" {
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return nil, nil, nil, "", err
		}
	}
	full, test, err := data.LoadMNIST(dir)
	if err != nil {
		return nil, nil, nil, "", err
	}
	if c.ValSplit > 0 {
		trainSet, val, err = train.ValidationSplit(full, c.ValSplit, int64(c.Seed))
	} else {
		trainSet, val, err = recipe.Split(full, c.Seed)
	}
	if err != nil {
		return nil, nil, nil, "", err
	}
	return trainSet.Limit(c.Limit), val.Limit(c.Limit), test.Limit(c.Limit), dir, nil
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

// stopped saves what a run that failed or was interrupted leaves behind, and
// explains how to go on.
func stopped(c config, tr *train.Trainer, fitErr error) error {
	if c.outDir == "" {
		if errors.Is(fitErr, errInterrupted) {
			return errors.Wrap(fitErr, "nothing was saved (no -out)")
		}
		return fitErr
	}
	if err := saveRun(c.outDir, tr); err != nil {
		return errors.Wrapf(fitErr, "and saving the checkpoint failed too (%v)", err)
	}
	s := tr.State()
	return stopError{fitErr, fmt.Sprintf("(after epoch %d, batch %d); checkpoint and history saved in %s; continue with -resume %s",
		s.Epoch, s.Batch, c.outDir, c.outDir)}
}

// stopError is why a run stopped, followed by what was saved.
type stopError struct {
	cause error
	saved string
}

func (e stopError) Error() string { return e.cause.Error() + " " + e.saved }
func (e stopError) Unwrap() error { return e.cause }

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
func median(h *train.History, m train.Metric) float64 {
	v, _ := h.Median(m)
	return v
}

// series is History.Series of a metric that exists.
func series(h *train.History, m train.Metric) []float64 {
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
		viz.Series{Name: "Training accuracy", Y: series(h, train.MetricAcc), Style: viz.Dots},
		viz.Series{Name: "Validation accuracy", Y: series(h, train.MetricValAcc)}); err != nil {
		return err
	}
	return viz.LinePlot(filepath.Join(dir, "loss.png"), "Training and validation loss", "Epochs", "Loss",
		viz.Series{Name: "Training loss", Y: series(h, train.MetricLoss), Style: viz.Dots},
		viz.Series{Name: "Validation loss", Y: series(h, train.MetricValLoss)})
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
