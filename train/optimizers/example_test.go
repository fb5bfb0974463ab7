package optimizers_test

import (
	"fmt"

	"github.com/gocnn/cnn/train/optimizers"
)

// A schedule is a function of the step and the epoch: here a warm-up over
// 2 steps from 1e-4 to 1e-3, then a half cosine over 4 steps down to a
// tenth of the peak.
func ExampleCosineDecay() {
	s := optimizers.CosineDecay(1e-4, 4, 0.1, 2, 1e-3)
	for step := uint64(0); step <= 7; step++ {
		fmt.Printf("%d: %.6f\n", step, s.Rate(step, 0))
	}
	// Output:
	// 0: 0.000100
	// 1: 0.000550
	// 2: 0.001000
	// 3: 0.000868
	// 4: 0.000550
	// 5: 0.000232
	// 6: 0.000100
	// 7: 0.000100
}

// Options add weight decay and clipping to any optimiser, and its name
// records them, as a checkpoint does.
func ExampleAdamW() {
	fmt.Println(optimizers.AdamW(1e-3, optimizers.ClipNorm(1)))
	fmt.Println(optimizers.SGD(0.1, optimizers.WeightDecay(1e-4), optimizers.ClipValue(0.5)))
	// Output:
	// AdamW(lr=0.001, weight_decay=0.004, clipnorm=1)
	// SGD(lr=0.1, weight_decay=0.0001, clipvalue=0.5)
}
