// Command crosscheck records the first steps of the cmd/mnist recipe so that
// bench/crosscheck.py can replay them in PyTorch from the same starting
// weights on the same batches and compare, step by step.
//
//	go run ./bench/crosscheck -steps 400 -out /tmp/xc
//	/usr/bin/python3 bench/crosscheck.py /tmp/xc
//
// It trains with train.Trainer exactly as cmd/mnist does (same split, same
// shuffle, RMSprop lr 1e-4, batch 128) and writes into -out:
//
//	manifest.json  parameter names and shapes, batch sizes, per-step
//	               losses, the MNIST directory
//	init.bin       the initial parameters, float32, in manifest order
//	grads1.bin     the gradients of the first step, float32, same order
//	final.bin      the parameters after the last step, float32, same order
//	pixels.bin     the training images (bytes, 784 per image)
//	labels.bin     their labels (bytes)
//	order.bin      the training images of every batch, in training order,
//	               as int32 indices into pixels.bin and labels.bin
//
// bench/crosscheck.sh runs both.
package main

import (
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
	"github.com/pkg/errors"
)

type param struct {
	Name  string `json:"name"`
	Shape []int  `json:"shape"`
}

type manifest struct {
	Seed    uint64    `json:"seed"`
	LR      float64   `json:"lr"`
	Data    string    `json:"data"`    // the MNIST directory
	Batches []int     `json:"batches"` // size of every batch, in order
	Losses  []float64 `json:"losses"`  // the loss of every batch, before its update
	Params  []param   `json:"params"`
}

// recorder passes updates on to an optimiser and keeps the first gradients.
type recorder struct {
	optimizers.Optimizer
	first []float32
}

func (r *recorder) Update(params []*graph.Param, grads []*tensor.Dense) error {
	if r.first == nil {
		for _, g := range grads {
			r.first = append(r.first, g.Float32s()...)
		}
	}
	return r.Optimizer.Update(params, grads)
}

func main() {
	seed := flag.Uint64("seed", 1, "seed of the model, split and shuffle, as cmd/mnist -seed")
	steps := flag.Int("steps", 400, "training steps (batches) to record")
	batch := flag.Int("batch", 128, "batch size")
	lr := flag.Float64("lr", 1e-4, "RMSprop learning rate")
	dir := flag.String("data", "", "MNIST directory (default: the GoMNIST module)")
	out := flag.String("out", "", "output directory (required)")
	flag.Parse()
	if *out == "" || *steps <= 0 || *batch <= 0 {
		fmt.Fprintln(os.Stderr, "crosscheck: -out is required; -steps and -batch must be positive")
		os.Exit(2)
	}
	if err := run(*seed, *steps, *batch, *lr, *dir, *out); err != nil {
		fmt.Fprintln(os.Stderr, "crosscheck:", err)
		os.Exit(1)
	}
}

func run(seed uint64, steps, batch int, lr float64, dir, out string) error {
	if dir == "" {
		var err error
		if dir, err = data.DefaultMNISTDir(); err != nil {
			return err
		}
	}
	full, _, err := data.LoadMNIST(dir)
	if err != nil {
		return err
	}
	trainSet, _, err := recipe.Split(full, seed)
	if err != nil {
		return err
	}
	model, err := recipe.Model(seed)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return errors.Wrap(err, "-out")
	}
	m := manifest{Seed: seed, LR: lr, Data: dir}
	for _, p := range model.Params().List() {
		m.Params = append(m.Params, param{p.Name, p.Value.Shape().Clone()})
	}
	if err := writeParams(filepath.Join(out, "init.bin"), model.Params()); err != nil {
		return err
	}

	// The batches: an iterator built as the Trainer builds its own.
	it, err := data.NewIterator(trainSet, batch, data.Shuffle(seed))
	if err != nil {
		return err
	}
	// Images are found again by content: identical images are
	// interchangeable.
	pixels, labels := trainSet.Pixels, trainSet.Labels
	if pixels == nil {
		return errors.New("the training set has no pixel bytes")
	}
	const size = 28 * 28
	index := make(map[string]int32, trainSet.N)
	for i := range trainSet.N {
		index[string(pixels[i*size:(i+1)*size])+string(rune(labels[i]))] = int32(i)
	}
	var order []int32
	img := make([]byte, size+1)
	for e := 0; len(m.Batches) < steps; e++ {
		it.Epoch(e)
		for len(m.Batches) < steps && it.Next() {
			b := it.Batch()
			for j := range b.N {
				for k, v := range b.X[j*size : (j+1)*size] {
					img[k] = byte(v*255 + 0.5)
				}
				img[size] = byte(b.Labels[j])
				i, ok := index[string(img)]
				if !ok {
					return errors.Errorf("batch %d: image %d is not in the training set", len(m.Batches)+1, j)
				}
				order = append(order, i)
			}
			m.Batches = append(m.Batches, b.N)
		}
	}

	rec := &recorder{Optimizer: optimizers.RMSprop(lr)}
	var prevSum float64
	stop := train.BatchFunc(func(t *train.Trainer, b train.BatchEnd) error {
		sum := b.Loss * float64(b.Seen)
		if b.Batch == 1 {
			prevSum = 0
		}
		m.Losses = append(m.Losses, (sum-prevSum)/float64(m.Batches[len(m.Losses)]))
		prevSum = sum
		if len(m.Losses) == steps {
			return train.ErrStop
		}
		return nil
	})
	tr, err := train.New(model, train.Optimizer(rec), train.Seed(seed), train.Callbacks(stop))
	if err != nil {
		return err
	}
	defer tr.Close()
	epochs := (steps + it.NumBatches() - 1) / it.NumBatches()
	if _, err := tr.Fit(trainSet, train.Epochs(epochs), train.BatchSize(batch)); err != nil {
		return errors.Wrap(err, "training")
	}
	if len(m.Losses) != steps {
		return errors.Errorf("recorded %d steps, want %d", len(m.Losses), steps)
	}
	if err := writeParams(filepath.Join(out, "final.bin"), model.Params()); err != nil {
		return err
	}
	files := map[string]any{"grads1.bin": rec.first, "pixels.bin": pixels, "labels.bin": labels, "order.bin": order}
	for name, v := range files {
		if err := writeLE(filepath.Join(out, name), v); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(out, "manifest.json"), js, 0o644)
}

// writeParams writes every parameter's float32 values, in list order.
func writeParams(path string, ps *graph.Params) error {
	var all []float32
	for _, p := range ps.List() {
		all = append(all, p.Value.Float32s()...)
	}
	return writeLE(path, all)
}

// writeLE writes v little-endian to path.
func writeLE(path string, v any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := binary.Write(f, binary.LittleEndian, v); err != nil {
		f.Close()
		return errors.Wrap(err, path)
	}
	return errors.Wrap(f.Close(), path)
}
