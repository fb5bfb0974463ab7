package model_test

import (
	"testing"

	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
)

// BenchmarkPredictOne measures the fixed cost of one Predict call: one
// example (or a small batch) through a model of a single Dense layer
// (784→10, where the call's overhead dominates), through the recipe's
// network and through the ResNet, all on one goroutine. "append" runs
// AppendPredict into a reused slice, which allocates nothing.
func BenchmarkPredictOne(b *testing.B) {
	dense := func() (*model.Model, error) {
		return model.NewSequential([]int{784}, []layers.Layer{layers.Dense(10)}, model.Seed(1))
	}
	recipeNet := func() (*model.Model, error) { return recipe.Model(1) }
	nets := []struct {
		name   string
		batch  int
		append bool
		make   func() (*model.Model, error)
	}{
		{"dense/batch=1", 1, false, dense},
		{"dense/batch=1/append", 1, true, dense},
		{"dense/batch=8", 8, false, dense},
		{"recipe/batch=1", 1, false, recipeNet},
		{"recipe/batch=1/append", 1, true, recipeNet},
		{"recipe/batch=8", 8, false, recipeNet},
		{"resnet/batch=1", 1, false, func() (*model.Model, error) { return recipe.ResNet(1) }},
	}
	for _, n := range nets {
		b.Run(n.name, func(b *testing.B) {
			m, err := n.make()
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			x := make([]float32, n.batch*m.ExampleSize())
			for i := range x {
				x[i] = float32(i%255) / 255
			}
			dst, err := m.Predict(x) // compile outside the timing
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if n.append {
					dst, err = m.AppendPredict(dst[:0], x)
				} else {
					_, err = m.Predict(x)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
