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
	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train/optimizers"
)

// ValidationImages is how many of the 60,000 training images the recipe
// holds out for validation.
const ValidationImages = 10000

// Model returns the recipe's network for 1×28×28 images, its weights drawn
// from seed.
func Model(seed uint64) (*model.Model, error) {
	return model.NewSequential([]int{1, 28, 28}, []layers.Layer{
		layers.Conv2D(10, 5, 5, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Conv2D(20, 5, 5, layers.Activation(ops.ReLU)),
		layers.MaxPool2D(2, 2),
		layers.Flatten(),
		layers.Dense(100, layers.Activation(ops.ReLU)),
		layers.Dense(10, layers.Activation(ops.Softmax)),
	}, model.Seed(seed))
}

// Split holds out ValidationImages of the training images, chosen by seed,
// and returns the rest for training and the held-out images for validation.
func Split(full *data.Dataset, seed uint64) (trainSet, val *data.Dataset, err error) {
	return full.Split(full.N-ValidationImages, seed)
}

// ResNetEpochs, ResNetLR and ResNetBatch are the modern network's training
// settings: Adam, a cosine schedule with a warm-up epoch peaking at
// ResNetLR, and augmentation (ResNetAugmentation).
const (
	ResNetEpochs = 15
	ResNetLR     = 3e-3
	ResNetBatch  = 128
)

// ResNetPreciseBN is how many training batches the modern network's
// BatchNormalization statistics are recomputed over after every epoch
// (train.PreciseBN): BatchNormalization keeps Keras's momentum of 0.99,
// whose moving averages lag far behind the weights in short runs.
const ResNetPreciseBN = 20

// ResNet returns a small modern network for 1×28×28 images, its weights
// drawn from seed: a 3×3 convolution of 24 filters with
// BatchNormalization and a 2×2 max pool, a residual block at 14×14 (two
// 3×3 convolutions with BatchNormalization, their sum with the block's
// input), a stride-2 convolution to 48 channels at 7×7 and a second
// residual block there, then global average pooling and a softmax Dense
// layer: about 4.8 M multiply-adds an image.
func ResNet(seed uint64) (*model.Model, error) {
	return ResNetFor([]int{1, 28, 28}, 10, seed)
}

// ResNetFor is ResNet for images of shape in (channels, height, width)
// and a number of classes: the same layers, whatever the input's size,
// since global average pooling ends them.
func ResNetFor(in []int, classes int, seed uint64) (*model.Model, error) {
	same := layers.Padding(layers.Same)
	conv := func(x *model.Node, filters, stride int) *model.Node {
		x = model.Apply(layers.Conv2D(filters, 3, 3, same, layers.Strides(stride, stride)), x)
		return model.Apply(layers.BatchNormalization(), x)
	}
	relu := func(x *model.Node) *model.Node { return model.Apply(layers.ReLU(), x) }
	block := func(x *model.Node, filters int) *model.Node {
		y := conv(relu(conv(x, filters, 1)), filters, 1)
		return relu(model.Apply(layers.Add(), x, y))
	}
	input := model.Input(in...)
	x := model.Apply(layers.MaxPool2D(2, 2), relu(conv(input, 24, 1)))
	x = block(x, 24)
	x = block(relu(conv(x, 48, 2)), 48)
	x = model.Apply(layers.GlobalAveragePooling2D(), x)
	out := model.Apply(layers.Dense(classes, layers.Activation(ops.Softmax)), x)
	return model.New([]*model.Node{input}, []*model.Node{out}, model.Seed(seed))
}

// maxFlatten is the largest feature map SmallCNN flattens into its dense
// layer; past it, it pools globally instead.
const maxFlatten = 8192

// SmallCNN returns a small convolutional classifier for images of shape
// in (channels, height, width) and a number of classes, its weights drawn
// from seed, as Keras's examples build one for their own images: two
// blocks of a 3×3 'same' convolution (32, then 64 filters, ReLU) and a 2×2
// max pool, then a dense layer of 128 and the softmax output. The second
// block's maps are flattened into the dense layer when they hold at most
// 8,192 values (up to 44×44 images); larger images get a third block of
// 128 filters and global average pooling instead, so that the network
// stays small whatever the size.
func SmallCNN(in []int, classes int, seed uint64) (*model.Model, error) {
	if len(in) != 3 {
		return nil, errors.Errorf("recipe: SmallCNN takes images (channels, height, width), not examples of shape %v", in)
	}
	same, relu := layers.Padding(layers.Same), layers.Activation(ops.ReLU)
	ls := []layers.Layer{
		layers.Conv2D(32, 3, 3, same, relu), layers.MaxPool2D(2, 2),
		layers.Conv2D(64, 3, 3, same, relu), layers.MaxPool2D(2, 2),
	}
	if 64*(in[1]/4)*(in[2]/4) <= maxFlatten {
		ls = append(ls, layers.Flatten())
	} else {
		ls = append(ls, layers.Conv2D(128, 3, 3, same, relu), layers.GlobalAveragePooling2D())
	}
	ls = append(ls, layers.Dense(128, relu), layers.Dense(classes, layers.Activation(ops.Softmax)))
	return model.NewSequential(in, ls, model.Seed(seed))
}

// ResNetSchedule is the modern network's learning rate over epochs
// epochs: a warm-up epoch at a tenth of peak, then a cosine from peak
// down to a hundredth of it.
func ResNetSchedule(peak float64, epochs int) optimizers.Schedule {
	return optimizers.PerEpoch(optimizers.CosineDecay(peak/10, max(epochs-2, 1), 0.01, 1, peak))
}

// ResNetAugmentation is the modern network's augmentation: shifts of up
// to a tenth, rotations of up to 10 degrees and zooms of up to 10%.
func ResNetAugmentation(seed uint64) *data.Augmentation {
	return &data.Augmentation{Shift: 0.1, Rotation: 10, Zoom: 0.1, Seed: seed}
}
