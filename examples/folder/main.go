// Command folder shows that training through a folder of image files
// gives what training on the same images in memory gives. It writes the
// first -n MNIST training digits as PNG files into a temporary folder of
// ten class folders (data.WriteImageFolder), then trains the same network
// from the same seed twice: once through data.ImageFolder, which decodes
// the files in worker goroutines ahead of training, and once on an
// in-memory data.Dataset of the same digits in the folder's order. It
// prints each run's test accuracy on the 10,000 MNIST test digits, its
// median epoch time, and whether the two runs ended with the same weights,
// bit for bit.
//
//	go run ./examples/folder -n 60000 -epochs 3
//
// With -write DIR it only writes the digits, the training ones into
// DIR/train and the test ones into DIR/test, for cmd/train:
//
//	go run ./examples/folder -write /tmp/digits
//	go run ./cmd/train -images /tmp/digits/train -test /tmp/digits/test -out /tmp/run
//	go run ./cmd/serve -model /tmp/run/model.gocnn
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "folder:", err)
		os.Exit(1)
	}
}

// outcome is one training run's result.
type outcome struct {
	acc, epoch float64
	weights    []byte
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("folder", flag.ContinueOnError)
	n := fs.Int("n", 60000, "training digits to write and train on")
	nTest := fs.Int("test", 10000, "test digits")
	epochs := fs.Int("epochs", 3, "training epochs")
	network := fs.String("model", "recipe", "network: recipe (the lecture's CNN) or cnn (recipe.SmallCNN)")
	cache := fs.Bool("cache", true, "keep decoded images in memory after the first epoch (data.CacheDecoded)")
	write := fs.String("write", "", "only write the training digits into DIR/train and the test digits into DIR/test")
	if err := fs.Parse(args); err != nil {
		return err
	}
	build := func() (*model.Model, error) { return recipe.Model(1) }
	if *network == "cnn" {
		build = func() (*model.Model, error) { return recipe.SmallCNN([]int{1, 28, 28}, 10, 1) }
	} else if *network != "recipe" {
		return errors.Errorf("-model %q: want recipe or cnn", *network)
	}
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		return err
	}
	trainSet, test, err := data.LoadMNIST(dir, data.MaxExamples(*n), data.MaxTestExamples(*nTest))
	if err != nil {
		return err
	}
	if *write != "" {
		for _, part := range []struct {
			name string
			ds   *data.Dataset
		}{{"train", trainSet}, {"test", test}} {
			if err := data.WriteImageFolder(filepath.Join(*write, part.name), part.ds); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "wrote %d digits into %s\n", part.ds.N, filepath.Join(*write, part.name))
		}
		return nil
	}
	tmp, err := os.MkdirTemp("", "mnist-folder-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	if err := data.WriteImageFolder(tmp, trainSet); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d digits as PNG files in %.1fs\n", trainSet.N, time.Since(start).Seconds())

	opts := []data.FolderOption{data.Color(data.Gray)}
	if *cache {
		opts = append(opts, data.CacheDecoded(1<<30))
	}
	folder, err := data.OpenImageFolder(tmp, opts...)
	if err != nil {
		return err
	}
	// The same digits in memory, in the folder's order: by class, then by
	// index.
	order := make([]int, trainSet.N)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return trainSet.Labels[a] - trainSet.Labels[b] })
	memory := trainSet.Subset(order)

	var results [2]outcome
	for i, src := range []data.Source{folder, memory} {
		m, err := build()
		if err != nil {
			return err
		}
		if results[i], err = fit(m, src, test, *epochs); err != nil {
			return err
		}
	}
	for i, name := range []string{"image folder", "in memory"} {
		fmt.Fprintf(stdout, "%-12s test accuracy %.4f, median epoch %.2fs\n", name, results[i].acc, results[i].epoch)
	}
	fmt.Fprintf(stdout, "same weights, bit for bit: %v\n", bytes.Equal(results[0].weights, results[1].weights))
	return nil
}

// fit trains m on src with Adam for epochs epochs in batches of 128 and
// tests it.
func fit(m *model.Model, src data.Source, test *data.Dataset, epochs int) (outcome, error) {
	t, err := train.New(m, train.Optimizer(optimizers.Adam(1e-3)))
	if err != nil {
		return outcome{}, err
	}
	defer t.Close()
	h, err := t.Fit(src, train.Epochs(epochs), train.BatchSize(128))
	if err != nil {
		return outcome{}, err
	}
	var o outcome
	o.epoch, _ = h.Median(metrics.Seconds)
	if _, o.acc, err = t.Evaluate(test); err != nil {
		return o, err
	}
	var b bytes.Buffer
	if err := m.Params().MarshalBinaryTo(&b); err != nil {
		return o, err
	}
	o.weights = b.Bytes()
	return o, nil
}
