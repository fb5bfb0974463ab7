package viz_test

import (
	"fmt"
	"os"

	"github.com/gocnn/cnn/viz"
)

func ExampleConfusion_WriteCSV() {
	labels := []int{0, 1, 2, 2, 1, 0, 2}
	preds := []int{0, 1, 2, 1, 1, 2, 2}
	c := viz.NewConfusion(3)
	for i := range labels {
		c.Add(labels[i], preds[i])
	}
	if err := c.WriteCSV(os.Stdout); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("accuracy %.3f\n", c.Accuracy())
	// Output:
	// true\pred,0,1,2
	// 0,1,0,1
	// 1,0,2,0
	// 2,0,1,2
	// accuracy 0.714
}

func ExampleLinePlot() {
	trainAcc := []float64{0.91, 0.965, 0.975, 0.981, 0.985}
	valAcc := []float64{0.960, 0.972, 0.979, 0.982, 0.984}
	dir, err := os.MkdirTemp("", "viz")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	err = viz.LinePlot(dir+"/accuracy.png", "Training and validation accuracy", "epoch", "accuracy",
		viz.Series{Name: "training accuracy", Y: trainAcc, Style: viz.Dots},
		viz.Series{Name: "validation accuracy", Y: valAcc, Style: viz.Line})
	fmt.Println(err)
	// Output: <nil>
}
