// Command mobilenet is a runnable example of depthwise separable
// convolutions: a small MobileNet-style classifier for MNIST, trained with
// Fit, its test accuracy reported and its size set beside the other MNIST
// networks of the project.
//
//	go run ./examples/mobilenet                        # 3 epochs on all 60,000 training images
//	go run ./examples/mobilenet -limit 5000 -epochs 1  # a quick look
//	go run ./examples/mobilenet -out DIR               # also save DIR/mobilenet.gocnn
//
// The network, as in MobileNet (Howard et al., 2017): a 3×3 convolution
// stem of 16 channels, then five blocks, each a 3×3 DepthwiseConv2D (one
// filter per channel) and a 1×1 Conv2D that mixes the channels, both
// followed by BatchNormalization and ReLU; the second and fourth blocks'
// depthwise convolutions have stride 2 (28→14→7). Global average pooling
// and a softmax Dense layer end it. A block costs 9·C + C·F multiply-adds
// a pixel where a full 3×3 convolution costs 9·C·F. It is the network
// "mobilenet" of bench/suite. layers.SeparableConv2D is the depthwise and pointwise pair as one layer,
// with no normalisation between them; here the two are kept apart, as
// MobileNet has them.
//
// It trains with Adam (1e-3) in batches of 64, with train.PreciseBN so
// that short runs evaluate with running statistics that fit their weights,
// then prints the test accuracy and a table of parameter counts: this
// network, the BatchNorm ResNet of `cmd/mnist -model resnet` and the Keras
// recipe of `cmd/mnist`.
//
// One run, `go run ./examples/mobilenet -epochs 3 -out DIR` (all 60,000
// training images, batch 64, seed 1), on this project's 2-core AMD EPYC,
// shared with other jobs (load average 6 to 14): training accuracy 0.9132,
// 0.9848 and 0.9892 after epochs 1 to 3, test accuracy 0.9908 on the 10,000
// test images; epochs of 319, 198 and 210 s (189 to 305 images/s), 12 min
// 22 s in all. Its table:
//
//	network                              params  trainable
//	mobilenet (this example)              39082      37610
//	resnet (cmd/mnist -model resnet)      63994      63562
//	recipe (cmd/mnist)                    38390      38390
//
// About as many parameters as the recipe, 1,472 of them BatchNormalization's
// running statistics, and three fifths of the ResNet's.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mobilenet:", err)
		os.Exit(1)
	}
}

// preciseBatches is how many training batches the BatchNormalization
// statistics are recomputed over after each epoch.
const preciseBatches = 20

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mobilenet", flag.ContinueOnError)
	fs.SetOutput(stdout)
	out := fs.String("out", "", "save the trained model into this directory as mobilenet.gocnn")
	limit := fs.Int("limit", 0, "training images (0: all 60,000)")
	nTest := fs.Int("test", 0, "test images (0: all 10,000)")
	epochs := fs.Int("epochs", 3, "training epochs")
	seed := fs.Uint64("seed", 1, "seed of the weights and of the shuffling")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *limit < 0 || *nTest < 0 || *epochs <= 0 {
		return errors.Errorf("-limit %d, -test %d, -epochs %d: need sizes of 0 or more and at least one epoch", *limit, *nTest, *epochs)
	}
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		return err
	}
	trainSet, test, err := data.LoadMNIST(dir, data.MaxExamples(*limit), data.MaxTestExamples(*nTest))
	if err != nil {
		return err
	}

	m, err := MobileNet(*seed)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.Summary(stdout); err != nil {
		return err
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-3)), train.Seed(*seed),
		train.PreciseBN(preciseBatches), train.Callbacks(train.NewProgress(stdout)))
	if err != nil {
		return err
	}
	defer tr.Close()
	fmt.Fprintf(stdout, "training on %d images, epochs: %d\n", trainSet.N, *epochs)
	if _, err := tr.Fit(trainSet, train.Epochs(*epochs), train.BatchSize(64)); err != nil {
		return err
	}
	_, acc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy %.4f on %d images\n", acc, test.N)
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return errors.WithStack(err)
		}
		path := filepath.Join(*out, "mobilenet.gocnn")
		if err := tr.SaveModel(path, false); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "saved %s\n", path)
	}
	return paramTable(stdout, m, *seed)
}

// MobileNet builds the network for 1×28×28 images, its weights drawn from
// seed.
func MobileNet(seed uint64) (*model.Model, error) {
	same, bn := layers.Padding(layers.Same), layers.BatchNormalization
	ls := []layers.Layer{layers.Conv2D(16, 3, 3, same), bn(), layers.ReLU()}
	for _, b := range []struct{ stride, filters int }{{1, 32}, {2, 64}, {1, 64}, {2, 128}, {1, 128}} {
		ls = append(ls,
			layers.DepthwiseConv2D(3, 3, same, layers.Strides(b.stride, b.stride)), bn(), layers.ReLU(),
			layers.Conv2D(b.filters, 1, 1), bn(), layers.ReLU())
	}
	ls = append(ls, layers.GlobalAveragePooling2D(), layers.Dense(10, layers.Activation(ops.Softmax)))
	return model.NewSequential([]int{1, 28, 28}, ls, model.Seed(seed))
}

// paramTable prints the parameter counts of m, of the ResNet of
// cmd/mnist -model resnet and of the recipe, all for 1×28×28 images: all
// parameters, and the trainable ones (BatchNormalization's running mean
// and variance are parameters that training does not update).
func paramTable(w io.Writer, m *model.Model, seed uint64) error {
	resnet, err := recipe.ResNet(seed)
	if err != nil {
		return err
	}
	defer resnet.Close()
	keras, err := recipe.Model(seed)
	if err != nil {
		return err
	}
	defer keras.Close()
	fmt.Fprintf(w, "%-34s %8s %10s\n", "network", "params", "trainable")
	for _, r := range []struct {
		name string
		m    *model.Model
	}{
		{"mobilenet (this example)", m},
		{"resnet (cmd/mnist -model resnet)", resnet},
		{"recipe (cmd/mnist)", keras},
	} {
		fmt.Fprintf(w, "%-34s %8d %10d\n", r.name, r.m.Params().Count(), r.m.Params().TrainableCount())
	}
	return nil
}
