// Package modeltest holds the models that several packages' tests serve
// or load: a small untrained image classifier and the recipe network
// saved to a file. It imports package model, so package model's own tests
// cannot use it (they use internal/testutil). Only tests import it.
package modeltest

import (
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// ImageModel is a small untrained classifier of images of the given shape
// with the given class names (none for nil).
func ImageModel(t testing.TB, shape []int, names ...string) *model.Model {
	t.Helper()
	net, err := model.NewSequential(shape, []layers.Layer{layers.Conv2D(2, 3, 3, layers.Activation(ops.ReLU)), layers.Flatten(),
		layers.Dense(len(names), layers.Activation(ops.Softmax))}, model.Seed(3), model.ClassNames(names...))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

var (
	fileOnce sync.Once
	fileDir  string
)

// RecipeFile saves the recipe network (internal/recipe), untrained, as
// digits.gocnn in a temporary folder, once for the test binary, and
// returns the file's path. Cleanup removes the folder.
func RecipeFile(t testing.TB) string {
	t.Helper()
	fileOnce.Do(func() {
		dir, err := os.MkdirTemp("", "modeltest")
		if err != nil {
			t.Fatal(err)
		}
		net, err := recipe.Model(7)
		if err != nil {
			t.Fatal(err)
		}
		if err := net.Save(filepath.Join(dir, "digits.gocnn"), nil); err != nil {
			t.Fatal(err)
		}
		fileDir = dir
	})
	return filepath.Join(fileDir, "digits.gocnn")
}

// Cleanup removes RecipeFile's folder, if it made one; TestMain calls it
// after the tests.
func Cleanup() {
	if fileDir != "" {
		os.RemoveAll(fileDir)
	}
}
