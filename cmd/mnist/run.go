package main

import (
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
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/viz"
)

// Recipe returns the Keras MNIST network.
func recipe(seed uint64) (*layers.Sequential, error) {
	return layers.NewSequential([]int{1, 28, 28}, []layers.Layer{
		layers.Conv2D(10, 5, 5, layers.Activation("relu")),
		layers.MaxPool2D(2, 2),
		layers.Conv2D(20, 5, 5, layers.Activation("relu")),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(100, layers.Activation("relu")),
		layers.Dense(10, layers.Activation("softmax")),
	}, layers.Seed(seed))
}

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

func run(args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
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
	if c.outDir != "" {
		if err := os.MkdirAll(c.outDir, 0o755); err != nil {
			return errors.Wrap(err, "-out")
		}
	}
	opt, err := train.OptimizerByName(c.optimizer, c.lr)
	if err != nil {
		return usageError{"-optimizer: " + err.Error()}
	}
	dir := c.dataDir
	if dir == "" {
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return err
		}
	}
	full, test, err := data.LoadMNIST(dir)
	if err != nil {
		return err
	}
	trainSet, val, err := full.Split(50000, int64(c.seed))
	if err != nil {
		return err
	}
	trainSet, val, test = trainSet.Limit(c.limit), val.Limit(c.limit), test.Limit(c.limit)
	fmt.Fprintf(stdout, "MNIST from %s: %d training, %d validation, %d test images\n", dir, trainSet.N, val.N, test.N)

	model, err := recipe(c.seed)
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
	tr, err := train.New(model, train.WithOptimizer(opt), train.WithSeed(int64(c.seed)),
		train.WithCallbacks(train.NewProgress(stdout)))
	if err != nil {
		return err
	}
	defer tr.Close()
	fmt.Fprintf(stdout, "Training for %d epochs, batch %d, %v\n", c.epochs, c.batch, opt)
	hist, fitErr := tr.Fit(trainSet, val, c.epochs, c.batch)
	if c.outDir != "" && len(hist.Epochs) > 0 {
		if err := writeHistory(c.outDir, hist); err != nil {
			return err
		}
	}
	if fitErr != nil {
		return fitErr
	}

	t0 := time.Now()
	testLoss, testAcc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	res := result{
		Params: model.Params().Count(), Epochs: c.epochs, BatchSize: c.batch, LR: c.lr, Optimizer: opt.String(), Seed: c.seed,
		TrainImages: trainSet.N, ValImages: val.N, TestImages: test.N,
		MedianEpochS: hist.Median("seconds"), MedianTrainS: hist.Median("train_seconds"), TestEvalS: time.Since(t0).Seconds(), PeakRSSMiB: peakRSSMiB(),
		TestLoss: testLoss, TestAcc: testAcc,
	}
	if n := len(hist.Epochs); n > 0 {
		last := hist.Epochs[n-1]
		res.TrainLoss, res.TrainAcc, res.ValLoss, res.ValAcc = last.Loss, last.Acc, last.ValLoss, last.ValAcc
		res.ImagesPerS = hist.Median("images_per_s")
	} else if res.ValLoss, res.ValAcc, err = tr.Evaluate(val); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Test: loss %.4f, accuracy %.4f (%d images, %.2fs); median epoch %.2fs; peak RSS %.0f MiB\n",
		testLoss, testAcc, test.N, res.TestEvalS, res.MedianEpochS, res.PeakRSSMiB)
	if c.quiet {
		fmt.Fprintf(os.Stdout, "test_loss %.4f test_acc %.4f\n", testLoss, testAcc)
	}
	if c.outDir == "" {
		return nil
	}
	if err := model.Params().SaveFile(filepath.Join(c.outDir, "weights.bin")); err != nil {
		return err
	}
	return writeJSON(filepath.Join(c.outDir, "result.json"), res)
}

func writeHistory(dir string, h *train.History) error {
	if err := atomicfile.Write(filepath.Join(dir, "history.json"), h.WriteJSON); err != nil {
		return err
	}
	if err := atomicfile.Write(filepath.Join(dir, "history.csv"), h.WriteCSV); err != nil {
		return err
	}
	if err := viz.LinePlot(filepath.Join(dir, "accuracy.png"), "Training and validation accuracy", "Epochs", "Accuracy",
		viz.Series{Name: "Training accuracy", Y: h.Series("acc"), Style: viz.Dots},
		viz.Series{Name: "Validation accuracy", Y: h.Series("val_acc")}); err != nil {
		return err
	}
	return viz.LinePlot(filepath.Join(dir, "loss.png"), "Training and validation loss", "Epochs", "Loss",
		viz.Series{Name: "Training loss", Y: h.Series("loss"), Style: viz.Dots},
		viz.Series{Name: "Validation loss", Y: h.Series("val_loss")})
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
