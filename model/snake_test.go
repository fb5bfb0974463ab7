package model

import "testing"

// TestSnake checks the default layer-name prefixes against Keras's.
func TestSnake(t *testing.T) {
	for typ, want := range map[string]string{
		"Conv2D": "conv2d", "MaxPooling2D": "max_pooling2d", "GlobalAveragePooling2D": "global_average_pooling2d",
		"BatchNormalization": "batch_normalization", "Dense": "dense", "Conv2DTranspose": "conv2d_transpose",
		"SeparableConv2D": "separable_conv2d", "DepthwiseConv2D": "depthwise_conv2d", "UpSampling2D": "up_sampling2d",
		"ZeroPadding2D": "zero_padding2d", "Cropping2D": "cropping2d", "LayerNormalization": "layer_normalization",
	} {
		t.Run(typ, func(t *testing.T) {
			if got := snake(typ); got != want {
				t.Errorf("snake(%q) = %q, want %q", typ, got, want)
			}
		})
	}
}
