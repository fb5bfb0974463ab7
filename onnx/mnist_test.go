package onnx_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// graphModel is a small graph network with every merge and normalisation
// that the recipe lacks: BatchNormalization, a residual Add, a
// Concatenate, a 'same' average pool with an odd cell of padding, Dropout
// and global average pooling.
func graphModel(seed uint64) (*model.Model, error) {
	same := layers.Padding(layers.Same)
	bn := func() layers.Layer { return layers.BatchNormalization(layers.Momentum(0.9)) }
	in := model.Input(1, 28, 28)
	x := model.Apply(layers.Conv2D(8, 3, 3, same, layers.Strides(2, 2)), in) // 14×14
	x = model.Apply(layers.ReLU(), model.Apply(bn(), x))
	y := model.Apply(bn(), model.Apply(layers.Conv2D(8, 3, 3, same), x))
	res := model.Apply(layers.ReLU(), model.Apply(layers.Add(), x, y))
	side := model.Apply(layers.Conv2D(4, 1, 1, layers.Activation(ops.GELU)), x)
	x = model.Apply(layers.Concatenate(), res, side)
	x = model.Apply(layers.AvgPool2D(3, 3, same, layers.Strides(2, 2)), x) // 7×7
	x = model.Apply(layers.Dropout(0.2), x)
	x = model.Apply(bn(), x)
	x = model.Apply(layers.GlobalAveragePooling2D(), x)
	out := model.Apply(layers.Dense(10, layers.Activation(ops.Softmax)), x)
	return model.New([]*model.Node{in}, []*model.Node{out}, model.Seed(seed))
}

// TestMNISTMatchesORT trains the recipe and a graph model with
// BatchNormalization, Add and Concatenate briefly on 1,000 real MNIST
// training images (which also gives the batch normalisations running
// statistics of their own), exports them, and feeds the first 100 test
// images to Predict and to ONNX Runtime: every probability agrees within
// 1e-5 and every predicted class is the same. onnx.checker accepts the
// files.
func TestMNISTMatchesORT(t *testing.T) {
	ortDir(t)
	dir, err := data.DefaultMNISTDir()
	if err != nil {
		t.Skipf("real MNIST is not available here: %v", err)
	}
	trainSet, test, err := data.LoadMNIST(dir, data.MaxExamples(1000), data.MaxTestExamples(100))
	if err != nil {
		t.Fatal(err)
	}
	if test.N != 100 {
		t.Fatalf("%d test images, want 100", test.N)
	}
	images := test.Images()
	tmp := t.TempDir()
	models := []struct {
		name string
		make func(uint64) (*model.Model, error)
	}{{"recipe", recipe.Model}, {"graph", graphModel}}
	var jobs []ortJob
	var want [][]float32
	var paths []string
	for _, mc := range models {
		m, err := mc.make(1)
		if err != nil {
			t.Fatalf("%s: %+v", mc.name, err)
		}
		// An epoch of Adam, then two of gradient descent at rate 0 in
		// batches of 10, which leave the weights as they are and let the
		// running statistics catch up with them.
		for _, step := range []struct {
			opt           optimizers.Optimizer
			epochs, batch int
		}{{optimizers.Adam(3e-3), 1, 50}, {optimizers.SGD(0), 2, 10}} {
			tr, err := train.New(m, train.Optimizer(step.opt))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tr.Fit(trainSet, train.Epochs(step.epochs), train.BatchSize(step.batch)); err != nil {
				t.Fatalf("%s: %+v", mc.name, err)
			}
			if err := tr.Close(); err != nil {
				t.Fatal(err)
			}
		}
		for _, p := range m.Params().List() {
			if v := p.Value.Data().([]float32); strings.HasSuffix(p.Name, "/moving_variance") && v[0] == 1 {
				t.Fatalf("%s: %s still holds its initial 1 after training", mc.name, p.Name)
			}
		}
		y, err := m.Predict(images)
		if err != nil {
			t.Fatalf("%s: %+v", mc.name, err)
		}
		path := filepath.Join(tmp, mc.name+".onnx")
		if err := onnx.Save(m, path); err != nil {
			t.Fatalf("%s: %+v", mc.name, err)
		}
		jobs = append(jobs, ortJob{model: path, x: images, dims: []int{test.N, 1, 28, 28}})
		want = append(want, y)
		paths = append(paths, path)
	}
	got := runORT(t, jobs)
	for i, mc := range models {
		t.Run(mc.name, func(t *testing.T) {
			d := maxDiff(t, got[i], want[i])
			t.Logf("%s: max |ONNX Runtime − Predict| over %d images × 10 classes = %.3g", mc.name, test.N, d)
			if d > 1e-5 {
				t.Errorf("max difference %.3g > 1e-5", d)
			}
			correct, classes := 0, map[int]bool{}
			for k := 0; k < test.N; k++ {
				a, b := model.Argmax(got[i][10*k:10*k+10]), model.Argmax(want[i][10*k:10*k+10])
				if a != b {
					t.Errorf("image %d: ONNX Runtime predicts %d, Predict %d", k, a, b)
				}
				classes[b] = true
				if b == int(test.Labels[k]) {
					correct++
				}
			}
			t.Logf("%s: %d of %d test images right, %d classes predicted, after the short training", mc.name, correct, test.N, len(classes))
			if len(classes) < 3 {
				t.Errorf("the model predicts only %d classes: too few for a meaningful comparison", len(classes))
			}
		})
	}
	t.Run("checker", func(t *testing.T) { checkONNX(t, paths...) })
}
