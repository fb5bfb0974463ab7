// Command resnet is a runnable example of the functional API: a small
// ResNet-style network for MNIST, trained with Fit, saved whole, and loaded
// back with no Go code describing it.
//
//	go run ./examples/resnet -out DIR     # train, save DIR/resnet.gocnn and DIR/predictions.json
//	go run ./examples/resnet -check DIR   # load DIR/resnet.gocnn alone and compare its predictions
//
// The network: a stem convolution, two residual blocks (two 3×3
// convolutions whose output is added to the block's input), max pooling,
// Flatten and a softmax Dense layer.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "resnet:", err)
		os.Exit(1)
	}
}

// predictions is what -out records for -check to compare.
type predictions struct {
	Images int       `json:"images"`
	Probs  []float32 `json:"probs"`
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("resnet", flag.ContinueOnError)
	out := fs.String("out", "", "train, then save the model and its predictions into this directory")
	check := fs.String("check", "", "load the model saved in this directory and check its predictions")
	n := fs.Int("images", 6000, "training images")
	epochs := fs.Int("epochs", 2, "training epochs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if (*out == "") == (*check == "") {
		return errors.New("give one of -out DIR and -check DIR")
	}
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		return err
	}
	trainSet, test, err := data.LoadMNIST(dir, data.MaxExamples(*n), data.MaxTestExamples(1000))
	if err != nil {
		return err
	}
	if *check != "" {
		return checkSaved(*check, test, stdout)
	}
	m, err := resnet()
	if err != nil {
		return err
	}
	if err := m.Summary(stdout); err != nil {
		return err
	}
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(1e-3)), train.Callbacks(train.NewProgress(stdout)))
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := tr.Fit(trainSet, train.Epochs(*epochs), train.BatchSize(64)); err != nil {
		return err
	}
	_, acc, err := tr.Evaluate(test)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy %.4f on %d images\n", acc, test.N)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return errors.WithStack(err)
	}
	if err := tr.SaveModel(filepath.Join(*out, "resnet.gocnn"), true); err != nil {
		return err
	}
	probs, err := m.Predict(test.Images())
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(*out, "predictions.json"), func(w io.Writer) error {
		return json.NewEncoder(w).Encode(predictions{Images: test.N, Probs: probs})
	})
}

// resnet builds the network with the functional API.
func resnet() (*model.Model, error) {
	relu := layers.Activation(ops.ReLU)
	same := layers.Padding(layers.Same)
	in := model.Input(1, 28, 28)
	x := model.Apply(layers.Conv2D(8, 3, 3, same, relu), in)
	for range 2 {
		y := model.Apply(layers.Conv2D(8, 3, 3, same, relu), x)
		y = model.Apply(layers.Conv2D(8, 3, 3, same), y)
		x = model.Apply(layers.ReLU(), model.Apply(layers.Add(), x, y))
	}
	x = model.Apply(layers.MaxPool2D(4, 4), x)
	x = model.Apply(layers.Flatten(), x)
	out := model.Apply(layers.Dense(10, layers.Activation(ops.Softmax)), x)
	return model.New([]*model.Node{in}, []*model.Node{out})
}

// checkSaved loads the model file alone and compares its predictions on
// the test images with those recorded when it was saved.
func checkSaved(dir string, test *data.Dataset, stdout io.Writer) error {
	m, _, err := model.Load(filepath.Join(dir, "resnet.gocnn"))
	if err != nil {
		return err
	}
	b, err := os.ReadFile(filepath.Join(dir, "predictions.json"))
	if err != nil {
		return errors.WithStack(err)
	}
	var want predictions
	if err := json.Unmarshal(b, &want); err != nil {
		return errors.Wrap(err, "predictions.json")
	}
	got, err := m.Predict(test.Limit(want.Images).Images())
	if err != nil {
		return err
	}
	if !slices.Equal(got, want.Probs) {
		return errors.New("the loaded model predicts differently from the saved one")
	}
	correct := 0
	for i, l := range test.Limit(want.Images).Labels {
		if model.Argmax(got[i*10:(i+1)*10]) == int(l) {
			correct++
		}
	}
	fmt.Fprintf(stdout, "loaded %s: %d predictions identical; accuracy %.4f\n", filepath.Join(dir, "resnet.gocnn"), want.Images, float64(correct)/float64(want.Images))
	return nil
}
