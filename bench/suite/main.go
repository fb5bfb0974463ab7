// Command suite trains one network of the benchmark suite on a subset of
// MNIST and prints its timings as one JSON object, for bench/suite.sh, which
// runs bench/torch_suite.py on the same network and prints both side by
// side.
//
//	go run ./bench/suite -list
//	GOMAXPROCS=2 go run ./bench/suite -net same -limit 6000 -epochs 3
//	go run ./bench/suite -net stride2 -cpuprofile cpu.out   # profile the epochs
//	go run ./bench/suite -net residual -memprofile mem.out  # what training allocates
//
// The networks are built with the public API (model, layers, train) and
// trained with Adam (lr 1e-3) and the categorical cross-entropy (the
// autoencoder: the mean squared error against its input's pixels), in
// batches of -batch. The epoch time is the median over the epochs after the first
// (which also compiles the graphs); inference is Predict on the first 10,000
// test images, timed on its second run. The peak RSS is the process's.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"syscall"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/kernels"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/losses"
	"github.com/gocnn/cnn/train/optimizers"
)

// nets are the networks of the suite, by name; bench/torch_suite.py
// defines the same ones.
var nets = map[string]struct {
	about string
	build func() (*model.Model, error)
	// regression: the network reconstructs its input image (MSE against
	// the 784 pixels) instead of classifying it.
	regression bool
}{
	"recipe":    {"the cmd/mnist recipe: 5x5 valid convs of 10 and 20 filters, max pools, Dense 100", recipeNet, false},
	"valid":     {"3x3 valid convs of 32 and 64 filters, a max pool, Dense 128 (1.2 M params)", validNet, false},
	"same":      {"pairs of 3x3 'same' convs at 16, 32 and 64 filters, each pair followed by a max pool", sameNet, false},
	"same16":    {"pairs of 3x3 'same' convs at 16 and 32 filters, each pair followed by a max pool (small channel counts)", same16Net, false},
	"stride2":   {"3x3 'same' convs at 16-64 filters, two of them stride-2 downsampling", stride2Net, false},
	"pointwise": {"3x3 'same' convs each followed by a 1x1 conv, max pools", pointwiseNet, false},
	"residual":  {"two residual blocks (two 3x3 'same' convs and an Add) at 16 and 32 filters", residualNet, false},
	"mlp":       {"a Dense-heavy MLP: 784-512-512-10", mlpNet, false},
	"resnet":    {"cmd/mnist -model resnet: BatchNormalization, residual blocks at 24 and 48 filters, global average pooling", resnetNet, false},
	"mixed":     {"3x3 'same' convs, a stride-2 conv, an AvgPool, Dropout, Dense 128", mixedNet, false},
	"mobilenet": {"a 3x3 conv stem and five MobileNet blocks (3x3 depthwise + 1x1 conv, each with BatchNormalization), two of stride 2, global average pooling", mobilenetNet, false},
	"autoencoder": {"a convolutional autoencoder: two 3x3 stride-2 convs down, two 3x3 stride-2 Conv2DTranspose up, BatchNormalization, sigmoid, MSE on the pixels",
		autoencoderNet, true},
}

var relu = layers.Activation(ops.ReLU)

func same(f int, opts ...layers.Option) layers.Layer {
	return layers.Conv2D(f, 3, 3, append([]layers.Option{layers.Padding(layers.Same), relu}, opts...)...)
}

func softmax() layers.Layer { return layers.Dense(10, layers.Activation(ops.Softmax)) }

func sequential(ls ...layers.Layer) (*model.Model, error) {
	return model.NewSequential([]int{1, 28, 28}, ls, model.Seed(1))
}

func recipeNet() (*model.Model, error) {
	return sequential(
		layers.Conv2D(10, 5, 5, relu), layers.MaxPool2D(2, 2),
		layers.Conv2D(20, 5, 5, relu), layers.MaxPool2D(2, 2),
		layers.Flatten(), layers.Dense(100, relu), softmax())
}

func validNet() (*model.Model, error) {
	return sequential(
		layers.Conv2D(32, 3, 3, relu), layers.Conv2D(64, 3, 3, relu), layers.MaxPool2D(2, 2),
		layers.Flatten(), layers.Dense(128, relu), softmax())
}

func sameNet() (*model.Model, error) {
	return sequential(
		same(16), same(16), layers.MaxPool2D(2, 2),
		same(32), same(32), layers.MaxPool2D(2, 2),
		same(64), same(64), layers.MaxPool2D(2, 2),
		layers.Flatten(), softmax())
}

func same16Net() (*model.Model, error) {
	return sequential(
		same(16), same(16), layers.MaxPool2D(2, 2),
		same(32), same(32), layers.MaxPool2D(2, 2),
		layers.Flatten(), softmax())
}

func stride2Net() (*model.Model, error) {
	return sequential(
		same(16), same(32, layers.Strides(2, 2)),
		same(32), same(64, layers.Strides(2, 2)),
		layers.Flatten(), softmax())
}

func pointwiseNet() (*model.Model, error) {
	return sequential(
		same(32), layers.Conv2D(16, 1, 1, relu), layers.MaxPool2D(2, 2),
		same(64), layers.Conv2D(32, 1, 1, relu), layers.MaxPool2D(2, 2),
		layers.Flatten(), softmax())
}

func residualNet() (*model.Model, error) {
	in := model.Input(1, 28, 28)
	block := func(x *model.Node, f int) *model.Node {
		y := model.Apply(same(f), x)
		y = model.Apply(layers.Conv2D(f, 3, 3, layers.Padding(layers.Same)), y)
		return model.Apply(layers.ReLU(), model.Apply(layers.Add(), x, y))
	}
	x := model.Apply(same(16), in)
	x = model.Apply(layers.MaxPool2D(2, 2), block(x, 16))
	x = model.Apply(same(32), x)
	x = model.Apply(layers.MaxPool2D(2, 2), block(x, 32))
	out := model.Apply(softmax(), model.Apply(layers.Flatten(), x))
	return model.New([]*model.Node{in}, []*model.Node{out}, model.Seed(1))
}

func resnetNet() (*model.Model, error) { return recipe.ResNet(1) }

func mlpNet() (*model.Model, error) {
	return sequential(layers.Flatten(), layers.Dense(512, relu), layers.Dense(512, relu), softmax())
}

func mixedNet() (*model.Model, error) {
	return sequential(
		same(32), same(32, layers.Strides(2, 2)), same(64), layers.AvgPool2D(2, 2),
		layers.Dropout(0.25), layers.Flatten(), layers.Dense(128, relu), softmax())
}

// mobilenetNet is a MobileNet-style classifier: separable blocks of a
// 3×3 depthwise convolution and a 1×1 convolution, each followed by
// BatchNormalization and ReLU.
func mobilenetNet() (*model.Model, error) {
	bn := layers.BatchNormalization
	ls := []layers.Layer{layers.Conv2D(16, 3, 3, layers.Padding(layers.Same)), bn(), layers.ReLU()}
	for _, b := range []struct{ stride, filters int }{{1, 32}, {2, 64}, {1, 64}, {2, 128}, {1, 128}} {
		ls = append(ls,
			layers.DepthwiseConv2D(3, 3, layers.Padding(layers.Same), layers.Strides(b.stride, b.stride)), bn(), layers.ReLU(),
			layers.Conv2D(b.filters, 1, 1), bn(), layers.ReLU())
	}
	ls = append(ls, layers.GlobalAveragePooling2D(), softmax())
	return sequential(ls...)
}

// autoencoderNet reconstructs its [1, 28, 28] input as 784 pixels, the
// network of examples/autoencoder.
func autoencoderNet() (*model.Model, error) {
	same, down, bn := layers.Padding(layers.Same), layers.Strides(2, 2), layers.BatchNormalization
	return sequential(
		layers.Conv2D(16, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2D(32, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2DTranspose(16, 3, 3, down, same), bn(), layers.ReLU(),
		layers.Conv2DTranspose(1, 3, 3, down, same, layers.Activation(ops.Sigmoid)),
		layers.Flatten())
}

// reconstruction returns d with its own images as regression targets.
func reconstruction(d *data.Dataset) *data.Dataset {
	return &data.Dataset{X: d.X, Pixels: d.Pixels, Y: d.Images(), N: d.N, C: d.C, H: d.H, W: d.W, Classes: d.ImageSize()}
}

// latencyRuns is how many single-image predictions the latency is the
// median of.
const latencyRuns = 200

// result is what the command prints.
type result struct {
	Net        string  `json:"net"`
	Params     int     `json:"params"`
	Path       string  `json:"path"`
	Threads    int     `json:"threads"`
	Images     int     `json:"images"`
	EpochS     float64 `json:"epoch_s"`
	ImagesPS   float64 `json:"images_per_s"`
	InferS     float64 `json:"infer_s"`
	LatencyUS  float64 `json:"latency_us"` // median single-image Predict latency
	PeakRSSMiB float64 `json:"peak_rss_mib"`
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "suite: %+v\n", err)
		os.Exit(1)
	}
}

func run() error {
	name := flag.String("net", "recipe", "the network to train (see -list)")
	list := flag.Bool("list", false, "list the networks and exit")
	dir := flag.String("data", "", "MNIST directory (default: the GoMNIST module's)")
	limit := flag.Int("limit", 6000, "training images per epoch")
	epochs := flag.Int("epochs", 3, "epochs to train (the first is not timed)")
	batch := flag.Int("batch", 128, "batch size")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the timed epochs to this file")
	memProfile := flag.String("memprofile", "", "write a profile of the memory allocated during training to this file")
	flag.Parse()
	if *list {
		names := make([]string, 0, len(nets))
		for n := range nets {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("%-11s %s\n", n, nets[n].about)
		}
		return nil
	}
	spec, ok := nets[*name]
	if !ok {
		return errors.Errorf("-net %q: no such network (see -list)", *name)
	}
	if *epochs < 2 || *limit <= 0 || *batch <= 0 {
		return errors.Errorf("-epochs %d, -limit %d, -batch %d: need at least 2 epochs and positive sizes", *epochs, *limit, *batch)
	}
	if *dir == "" {
		d, err := data.DefaultMNISTDir()
		if err != nil {
			return err
		}
		*dir = d
	}
	trainSet, test, err := data.LoadMNIST(*dir, data.MaxExamples(*limit), data.MaxTestExamples(10000))
	if err != nil {
		return err
	}
	net, err := spec.build()
	if err != nil {
		return errors.Wrapf(err, "-net %s", *name)
	}
	opts := []train.Option{train.Optimizer(optimizers.Adam(1e-3))}
	if spec.regression {
		trainSet = reconstruction(trainSet)
		opts = append(opts, train.Loss(losses.MSE))
	}
	tr, err := train.New(net, opts...)
	if err != nil {
		return err
	}
	if _, err := tr.Fit(trainSet, train.Epochs(1), train.BatchSize(*batch)); err != nil {
		return err
	}
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			return errors.Wrapf(err, "-cpuprofile %s", *profile)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return errors.Wrapf(err, "-cpuprofile %s", *profile)
		}
	}
	hist, err := tr.Fit(trainSet, train.Epochs(*epochs-1), train.BatchSize(*batch))
	if *profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		return err
	}
	if *memProfile != "" {
		if err := writeAllocs(*memProfile); err != nil {
			return err
		}
	}
	var times []float64
	for _, e := range hist.Epochs[1:] {
		times = append(times, e.TrainSeconds)
	}
	slices.Sort(times)
	med := (times[(len(times)-1)/2] + times[len(times)/2]) / 2
	x := test.Images()
	var infer time.Duration
	for range 2 {
		t0 := time.Now()
		if _, err := net.Predict(x); err != nil {
			return err
		}
		infer = time.Since(t0)
	}
	// Single-image latency: the median of latencyRuns calls after one
	// warm-up call, each on the next test image.
	one := x[:len(x)/test.N]
	if _, err := net.Predict(one); err != nil {
		return err
	}
	lat := make([]float64, latencyRuns)
	for i := range lat {
		img := x[i*len(one) : (i+1)*len(one)]
		t0 := time.Now()
		if _, err := net.Predict(img); err != nil {
			return err
		}
		lat[i] = time.Since(t0).Seconds() * 1e6
	}
	slices.Sort(lat)
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return errors.Wrap(err, "getrusage")
	}
	return json.NewEncoder(os.Stdout).Encode(result{
		Net: *name, Params: net.Params().TrainableCount(), Path: kernels.Path(), Threads: runtime.GOMAXPROCS(0),
		Images: trainSet.N, EpochS: med, ImagesPS: float64(trainSet.N) / med,
		InferS: infer.Seconds(), LatencyUS: (lat[(latencyRuns-1)/2] + lat[latencyRuns/2]) / 2, PeakRSSMiB: float64(ru.Maxrss) / 1024,
	})
}

// writeAllocs writes the profile of the memory allocated so far to path.
func writeAllocs(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return errors.Wrapf(err, "-memprofile %s", path)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return errors.Wrapf(err, "-memprofile %s", path)
	}
	return errors.Wrapf(f.Close(), "-memprofile %s", path)
}
