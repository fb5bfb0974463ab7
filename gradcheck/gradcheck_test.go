package gradcheck_test

import (
	"testing"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/ops"
)

// TestMergeLayers checks the merge layers' gradients with respect to each
// of their inputs.
func TestMergeLayers(t *testing.T) {
	tests := []struct {
		name   string
		l      layers.Layer
		shapes [][]int
	}{
		{"add two", layers.Add(), [][]int{{2, 3, 3}, {2, 3, 3}}},
		{"add three vectors", layers.Add(), [][]int{{4}, {4}, {4}}},
		{"multiply two", layers.Multiply(), [][]int{{2, 3, 3}, {2, 3, 3}}},
		{"multiply three", layers.Multiply(), [][]int{{5}, {5}, {5}}},
		{"concatenate channels", layers.Concatenate(), [][]int{{1, 3, 2}, {3, 3, 2}}},
		{"concatenate vectors", layers.Concatenate(), [][]int{{2}, {3}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradcheck.Layer(t, tc.l, tc.shapes...) })
	}
}

// TestBuiltinLayers checks every built-in layer through Layer, the path a
// user's layer takes.
func TestBuiltinLayers(t *testing.T) {
	tests := []struct {
		name  string
		l     layers.Layer
		shape []int
	}{
		{"conv2d same stride 2 tanh", layers.Conv2D(2, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same), layers.Activation(ops.Tanh)), []int{2, 5, 5}},
		{"dense sigmoid", layers.Dense(3, layers.Activation(ops.Sigmoid)), []int{4}},
		{"dense softmax", layers.Dense(3, layers.Activation(ops.Softmax)), []int{4}},
		{"avgpool", layers.AvgPool2D(2, 2), []int{1, 4, 4}},
		{"flatten", layers.Flatten(), []int{2, 2, 2}},
		{"tanh", layers.Tanh(), []int{5}},
		{"leaky relu", layers.LeakyReLU(0.3), []int{7}},
		{"elu", layers.ELU(0.7), []int{7}},
		{"gelu", layers.GELU(), []int{2, 3, 3}},
		{"dense leaky relu option", layers.Dense(3, layers.Activation(ops.LeakyReLU)), []int{4}},
		{"conv elu option", layers.Conv2D(2, 2, 2, layers.Activation(ops.ELU)), []int{1, 3, 3}},
		{"dense gelu option", layers.Dense(3, layers.Activation(ops.GELU)), []int{4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradcheck.Layer(t, tc.l, tc.shape) })
	}
}

// TestNormalizationAndGlobalPooling checks BatchNormalization in training
// mode (after a convolution, per channel, and on features) and the global
// poolings.
func TestNormalizationAndGlobalPooling(t *testing.T) {
	tests := []struct {
		name  string
		l     layers.Layer
		shape []int
	}{
		{"batchnorm channels", layers.BatchNormalization(), []int{3, 4, 5}},
		{"batchnorm features", layers.BatchNormalization(layers.Epsilon(0.01)), []int{6}},
		{"global average pooling", layers.GlobalAveragePooling2D(), []int{3, 4, 5}},
		{"global max pooling", layers.GlobalMaxPooling2D(), []int{2, 3, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradcheck.Layer(t, tc.l, tc.shape) })
	}
}
