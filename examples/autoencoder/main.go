// Command autoencoder is a runnable example of a regression network: a
// denoising convolutional autoencoder on MNIST. Its input is a digit with
// seeded Gaussian noise added (σ = -sigma, clipped to [0, 1]); its target
// is the clean digit, as a 784-value row; it is trained with the mean
// squared error and Adam.
//
//	go run ./examples/autoencoder -out DIR    # train, report the test MSE, write DIR/denoised.png
//
// The network: two 3×3 stride-2 'same' convolutions down (28→14→7), two
// 3×3 stride-2 Conv2DTranspose layers back up (7→14→28), the last with a
// sigmoid, the others with BatchNormalization and ReLU, and Flatten to
// match the targets. The test MSE is compared with
// the identity baseline, the MSE of the noisy input itself against the
// clean digit, which the network must beat.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
	"github.com/gocnn/cnn/viz"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "autoencoder:", err)
		os.Exit(1)
	}
}

// gridDigits is how many test digits the picture shows.
const gridDigits = 10

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("autoencoder", flag.ContinueOnError)
	out := fs.String("out", "", "write the picture of noisy / denoised / clean test digits into this directory")
	n := fs.Int("n", 20000, "training digits")
	nTest := fs.Int("test", 2000, "test digits")
	epochs := fs.Int("epochs", 3, "training epochs")
	sigma := fs.Float64("sigma", 0.5, "standard deviation of the Gaussian noise")
	seed := fs.Uint64("seed", 1, "seed of the noise")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 || *nTest < gridDigits || *epochs <= 0 || *sigma < 0 {
		return errors.Errorf("-n %d, -test %d, -epochs %d, -sigma %v: need positive sizes, at least %d test digits and a sigma of 0 or more",
			*n, *nTest, *epochs, *sigma, gridDigits)
	}
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		return err
	}
	trainDigits, testDigits, err := data.LoadMNIST(dir, data.MaxExamples(*n), data.MaxTestExamples(*nTest))
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 0))
	trainSet := Noisy(trainDigits, *sigma, rng)
	testSet := Noisy(testDigits, *sigma, rng)

	m, err := Autoencoder()
	if err != nil {
		return err
	}
	if err := m.Summary(stdout); err != nil {
		return err
	}
	tr, err := train.New(m, train.Loss(losses.MSE), train.Optimizer(optimizers.Adam(1e-3)),
		train.Callbacks(train.NewProgress(stdout)))
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := tr.Fit(trainSet, train.Epochs(*epochs), train.BatchSize(64)); err != nil {
		return err
	}
	pred, err := m.Predict(testSet.X)
	if err != nil {
		return err
	}
	mse, base := MSE(pred, testSet.Y), MSE(testSet.X, testSet.Y)
	fmt.Fprintf(stdout, "test MSE %.5f on %d digits; identity baseline (noisy input vs clean) %.5f; ratio %.3f\n",
		mse, testSet.N, base, mse/base)
	if *out == "" {
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errors.WithStack(err)
	}
	path := filepath.Join(*out, "denoised.png")
	if err := writeGrid(path, testSet, pred); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (rows: noisy input, output, clean target)\n", path)
	return nil
}

// Autoencoder builds the denoising network: a [1, 28, 28] image in, its 784
// denoised pixels out. Each hidden layer is followed by
// BatchNormalization and ReLU: without the normalisation, the ReLU
// network with a sigmoid output trained on the MSE settles within its
// first epoch on an all-black output (loss ≈ 0.11, the targets' mean
// square), as the same network does in PyTorch.
func Autoencoder() (*model.Model, error) {
	same := layers.Padding(layers.Same)
	down := layers.Strides(2, 2)
	bn := layers.BatchNormalization
	return model.NewSequential([]int{1, 28, 28}, []layers.Layer{
		layers.Conv2D(16, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2D(32, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2DTranspose(16, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2DTranspose(1, 3, 3, down, same, layers.Activation(ops.Sigmoid)),
		layers.Flatten(),
	}, model.Seed(1))
}

// Noisy returns a regression Dataset made from the digits of d: X holds each
// digit plus Gaussian noise of standard deviation sigma drawn from rng,
// clipped to [0, 1], and Y the clean digit as a row of C·H·W targets.
func Noisy(d *data.Dataset, sigma float64, rng *rand.Rand) *data.Dataset {
	clean := d.Images()
	noisy := make([]float32, len(clean))
	for i, v := range clean {
		noisy[i] = float32(min(max(float64(v)+sigma*rng.NormFloat64(), 0), 1))
	}
	return &data.Dataset{X: noisy, Y: clean, N: d.N, C: d.C, H: d.H, W: d.W, Classes: d.ImageSize()}
}

// MSE is the mean squared difference between a and b, of equal lengths.
func MSE(a, b []float32) float64 {
	s := 0.0
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		s += d * d
	}
	return s / float64(len(a))
}

// writeGrid writes the first gridDigits test digits as three rows: the
// noisy inputs, the network's outputs and the clean targets.
func writeGrid(path string, test *data.Dataset, pred []float32) error {
	size := test.ImageSize()
	var imgs [][]float32
	var captions []string
	for row, src := range [][]float32{test.X, pred, test.Y} {
		for i := range gridDigits {
			imgs = append(imgs, src[i*size:(i+1)*size])
			captions = append(captions, []string{"noisy", "output", "clean"}[row])
		}
	}
	return viz.DigitGrid(path, imgs, test.H, test.W, captions, gridDigits, 2)
}
