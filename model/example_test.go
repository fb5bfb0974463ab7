package model_test

import (
	"fmt"
	"os"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// The classic Keras MNIST recipe, and its summary.
func ExampleNewSequential() {
	m, err := model.NewSequential([]int{1, 28, 28}, []layers.Layer{
		layers.Conv2D(10, 5, 5, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Conv2D(20, 5, 5, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(100, layers.Activation(ops.ReLU)),
		layers.Dense(10, layers.Activation(ops.Softmax)),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	m.Summary(os.Stdout)
	// Output:
	// _________________________________________________________________
	// Layer (type)                    Output Shape        Param #
	// =================================================================
	// conv2d_1 (Conv2D)               (None, 10, 24, 24)  260
	// max_pooling2d_1 (MaxPooling2D)  (None, 10, 12, 12)  0
	// conv2d_2 (Conv2D)               (None, 20, 8, 8)    5,020
	// max_pooling2d_2 (MaxPooling2D)  (None, 20, 4, 4)    0
	// flatten_1 (Flatten)             (None, 320)         0
	// dense_1 (Dense)                 (None, 100)         32,100
	// dense_2 (Dense)                 (None, 10)          1,010
	// =================================================================
	// Total params: 38,390
	// Trainable params: 38,390
	// Non-trainable params: 0
	// _________________________________________________________________
}

// A shape that cannot work is an error when the model is made.
func ExampleNewSequential_shapeError() {
	_, err := model.NewSequential([]int{1, 4, 4}, []layers.Layer{
		layers.Conv2D(2, 5, 5),
	})
	fmt.Println(err)
	// Output:
	// layer conv2d_1 (Conv2D) with input shape (None, 1, 4, 4): conv2d: kernel 5x5 over input 4x4 (height): window 5 is larger than input 4 with 'valid' padding
}
