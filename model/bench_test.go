package model_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/gocnn/cnn/internal/recipe"
)

// BenchmarkPredictGoroutines predicts batches of 1 and of 32 MNIST-sized
// images on the recipe's network from 1, 2 and 8 goroutines at once, and
// reports images per second over all of them: calls run side by side, not
// through one lock. (A batch of 1 runs on one core, so more goroutines use
// more cores; a batch of 32 already spreads over the cores.)
func BenchmarkPredictGoroutines(b *testing.B) {
	for _, c := range []struct{ batch, g int }{{1, 1}, {1, 2}, {1, 8}, {32, 1}, {32, 2}, {32, 8}} {
		b.Run(fmt.Sprintf("batch=%d/goroutines=%d", c.batch, c.g), func(b *testing.B) {
			batch, g := c.batch, c.g
			m, err := recipe.Model(1)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			x := make([]float32, batch*m.ExampleSize())
			for i := range x {
				x[i] = float32(i%255) / 255
			}
			if _, err := m.Predict(x); err != nil { // compile outside the timing
				b.Fatal(err)
			}
			b.ResetTimer()
			var wg sync.WaitGroup
			per := (b.N + g - 1) / g
			for i := 0; i < g; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for j := 0; j < per; j++ {
						if _, err := m.Predict(x); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*g*batch)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
