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
// network and through the ResNet, all on one goroutine.
func BenchmarkPredictOne(b *testing.B) {
	nets := []struct {
		name  string
		batch int
		make  func() (*model.Model, error)
	}{
		{"dense", 1, func() (*model.Model, error) {
			return model.NewSequential([]int{784}, []layers.Layer{layers.Dense(10)}, model.Seed(1))
		}},
		{"dense/batch=8", 8, func() (*model.Model, error) {
			return model.NewSequential([]int{784}, []layers.Layer{layers.Dense(10)}, model.Seed(1))
		}},
		{"recipe", 1, func() (*model.Model, error) { return recipe.Model(1) }},
		{"recipe/batch=8", 8, func() (*model.Model, error) { return recipe.Model(1) }},
		{"resnet", 1, func() (*model.Model, error) { return recipe.ResNet(1) }},
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
			if _, err := m.Predict(x); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := m.Predict(x); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
