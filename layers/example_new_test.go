package layers_test

import (
	"fmt"
	"os"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// A small segmentation-style network of the newer layers: a separable
// convolution (Keras's parameter count: 16·9 + 16·32 + 32 = 688), a
// strided depthwise convolution, layer normalisation over the channels,
// and a transposed convolution and bilinear upsampling back up. Summary
// shows Keras's channels-last shapes.
func ExampleSeparableConv2D() {
	m, err := model.NewSequential([]int{16, 32, 32}, []layers.Layer{
		layers.SeparableConv2D(32, 3, 3, layers.Padding(layers.Same), layers.Activation(ops.ReLU)),
		layers.DepthwiseConv2D(3, 3, layers.Strides(2, 2), layers.Padding(layers.Same)),
		layers.LayerNormalization(),
		layers.Conv2DTranspose(8, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same)),
		layers.UpSampling2D(2, 2, layers.Interpolation(layers.Bilinear)),
		layers.Cropping2D(1, 1, 1, 1),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := m.Summary(os.Stdout); err != nil {
		fmt.Println(err)
	}
	// Output:
	// _________________________________________________________________
	// Layer (type)                                Output Shape        Param #
	// =================================================================
	// separable_conv2d_1 (SeparableConv2D)        (None, 32, 32, 32)  688
	// depthwise_conv2d_1 (DepthwiseConv2D)        (None, 32, 16, 16)  320
	// layer_normalization_1 (LayerNormalization)  (None, 32, 16, 16)  64
	// conv2d_transpose_1 (Conv2DTranspose)        (None, 8, 32, 32)   2,312
	// up_sampling2d_1 (UpSampling2D)              (None, 8, 64, 64)   0
	// cropping2d_1 (Cropping2D)                   (None, 8, 62, 62)   0
	// =================================================================
	// Total params: 3,384
	// Trainable params: 3,384
	// Non-trainable params: 0
	// _________________________________________________________________
}
