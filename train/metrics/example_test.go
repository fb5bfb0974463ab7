package metrics_test

import (
	"fmt"

	"github.com/gocnn/cnn/train/metrics"
)

// A metric sees one output's batches on the host: here three examples of
// two classes, given as class indices.
func ExampleNewConfusionMatrix() {
	cm := metrics.NewConfusionMatrix()
	b := metrics.Batch{
		N: 3, K: 2,
		Pred:   []float32{0.9, 0.1, 0.3, 0.7, 0.6, 0.4},
		Target: []float32{1, 0, 0, 1, 0, 1},
		Labels: []int{0, 1, 1},
	}
	if err := cm.Update(b); err != nil {
		fmt.Println(err)
		return
	}
	precision, recall, _ := cm.PerClass()
	fmt.Println(cm.Name(), cm.Counts(), cm.Result())
	fmt.Printf("precision %.2f, recall %.2f\n", precision, recall)
	fmt.Println(cm.Name().Val())
	// Output:
	// confusion_acc [[1 0] [1 1]] 0.6666666666666666
	// precision [0.50 1.00], recall [1.00 0.50]
	// val_confusion_acc
}
