// Package recipe is the network of the Keras MNIST recipe that this
// project reproduces, in one place for cmd/mnist, bench/crosscheck and the
// tests that train it:
//
//	Conv2D(10, 5x5, relu) → MaxPool 2 → Conv2D(20, 5x5, relu) → MaxPool 2 →
//	Flatten(320) → Dense(100, relu) → Dense(10, softmax)
//
// 38,390 parameters, trained with RMSprop (lr 1e-4) in batches of 128 for
// 50 epochs on 50,000 of the 60,000 training images.
package recipe

import (
	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
)

// ValidationImages is how many of the 60,000 training images the recipe
// holds out for validation.
const ValidationImages = 10000

// Model returns the recipe's network for 1×28×28 images, its weights drawn
// from seed.
func Model(seed uint64) (*model.Model, error) {
	return model.NewSequential([]int{1, 28, 28}, []layers.Layer{
		layers.Conv2D(10, 5, 5, layers.Activation(layers.ActReLU)),
		layers.MaxPool2D(2, 2),
		layers.Conv2D(20, 5, 5, layers.Activation(layers.ActReLU)),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(100, layers.Activation(layers.ActReLU)),
		layers.Dense(10, layers.Activation(layers.ActSoftmax)),
	}, model.Seed(seed))
}

// Split holds out ValidationImages of the training images, chosen by seed,
// and returns the rest for training and the held-out images for validation.
func Split(full *data.Dataset, seed uint64) (trainSet, val *data.Dataset, err error) {
	return full.Split(full.N-ValidationImages, int64(seed))
}
