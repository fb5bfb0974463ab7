package layers_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/gradcheck"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// TestNewLayerGradients checks the gradients of the reshaping,
// normalisation and convolution layers with respect to their inputs and
// parameters (gradcheck.Layer).
func TestNewLayerGradients(t *testing.T) {
	tests := []struct {
		name  string
		layer layers.Layer
		input []int
	}{
		{"reshape", layers.Reshape(3, -1), []int{2, 3, 2}},
		{"zero padding", layers.ZeroPadding2D(1, 0, 2, 1), []int{2, 3, 3}},
		{"cropping", layers.Cropping2D(1, 2, 0, 1), []int{2, 5, 4}},
		{"upsampling nearest", layers.UpSampling2D(2, 3), []int{2, 2, 3}},
		{"upsampling bilinear", layers.UpSampling2D(3, 2, layers.Interpolation(layers.Bilinear)), []int{1, 3, 4}},
		{"layer norm channels", layers.LayerNormalization(), []int{3, 2, 2}},
		{"layer norm matrix", layers.LayerNormalization(layers.Epsilon(0.1)), []int{4}},
		{"layer norm image", layers.LayerNormalization(layers.NormAxes(1, 2, 3)), []int{2, 2, 3}},
		{"depthwise", layers.DepthwiseConv2D(3, 3, layers.Activation(ops.Tanh)), []int{2, 5, 4}},
		{"depthwise multiplier same stride", layers.DepthwiseConv2D(3, 2, layers.DepthMultiplier(2), layers.Padding(layers.Same), layers.Strides(2, 1)), []int{2, 5, 4}},
		{"depthwise dilated no bias", layers.DepthwiseConv2D(2, 2, layers.DilationRate(2, 1), layers.UseBias(false)), []int{2, 5, 4}},
		{"separable", layers.SeparableConv2D(3, 3, 3, layers.Activation(ops.Sigmoid)), []int{2, 5, 5}},
		{"separable multiplier dilated same", layers.SeparableConv2D(2, 2, 3, layers.DepthMultiplier(2), layers.DilationRate(1, 2), layers.Padding(layers.Same)), []int{2, 4, 5}},
		{"separable no bias", layers.SeparableConv2D(2, 3, 3, layers.UseBias(false), layers.Strides(2, 2)), []int{1, 5, 5}},
		{"conv2d dilated", layers.Conv2D(2, 3, 3, layers.DilationRate(2, 2), layers.Padding(layers.Same)), []int{2, 5, 6}},
		{"conv2d no bias", layers.Conv2D(3, 3, 2, layers.UseBias(false), layers.Activation(ops.Tanh)), []int{2, 5, 4}},
		{"dense no bias", layers.Dense(3, layers.UseBias(false), layers.Activation(ops.Sigmoid)), []int{4}},
		{"conv transpose valid", layers.Conv2DTranspose(2, 3, 3, layers.Activation(ops.Tanh)), []int{2, 3, 2}},
		{"conv transpose same stride", layers.Conv2DTranspose(3, 3, 2, layers.Strides(2, 2), layers.Padding(layers.Same)), []int{2, 3, 3}},
		{"conv transpose no bias stride above kernel", layers.Conv2DTranspose(2, 2, 2, layers.Strides(3, 2), layers.UseBias(false)), []int{1, 2, 3}},
		{"conv transpose dilated same", layers.Conv2DTranspose(2, 2, 3, layers.DilationRate(2, 2), layers.Padding(layers.Same)), []int{2, 3, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradcheck.Layer(t, tc.layer, tc.input) })
	}
}

// TestNewLayerShapes builds each layer in a model and checks its output
// shape and parameter count against Keras's.
func TestNewLayerShapes(t *testing.T) {
	tests := []struct {
		name   string
		layer  layers.Layer
		input  []int
		shape  []int
		params int
	}{
		{"reshape -1 first", layers.Reshape(-1, 4), []int{2, 3, 4}, []int{6, 4}, 0},
		{"reshape to image", layers.Reshape(1, 2, 12), []int{24}, []int{1, 2, 12}, 0},
		{"zero padding", layers.ZeroPadding2D(1, 2, 3, 4), []int{3, 5, 6}, []int{3, 8, 13}, 0},
		{"cropping", layers.Cropping2D(1, 2, 3, 0), []int{3, 5, 6}, []int{3, 2, 3}, 0},
		{"upsampling", layers.UpSampling2D(2, 3), []int{3, 5, 6}, []int{3, 10, 18}, 0},
		{"layer norm channels", layers.LayerNormalization(), []int{8, 5, 6}, []int{8, 5, 6}, 16},
		{"layer norm image", layers.LayerNormalization(layers.NormAxes(3, 1, 2)), []int{8, 5, 6}, []int{8, 5, 6}, 480},
		{"layer norm matrix", layers.LayerNormalization(), []int{10}, []int{10}, 20},
		// Keras: SeparableConv2D(32, 3) on 16 channels has 16·9 + 16·32 + 32 = 688 parameters.
		{"separable keras count", layers.SeparableConv2D(32, 3, 3), []int{16, 12, 12}, []int{32, 10, 10}, 688},
		{"separable multiplier same no bias", layers.SeparableConv2D(8, 3, 3, layers.DepthMultiplier(2), layers.Padding(layers.Same), layers.UseBias(false)), []int{4, 9, 9}, []int{8, 9, 9}, 4*2*9 + 8*8},
		{"separable stride 2 same", layers.SeparableConv2D(8, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same)), []int{4, 9, 9}, []int{8, 5, 5}, 4*9 + 4*8 + 8},
		{"depthwise", layers.DepthwiseConv2D(3, 3), []int{16, 12, 12}, []int{16, 10, 10}, 16*9 + 16},
		{"depthwise multiplier stride", layers.DepthwiseConv2D(5, 3, layers.DepthMultiplier(3), layers.Strides(2, 2)), []int{2, 12, 11}, []int{6, 4, 5}, 6*15 + 6},
		{"depthwise dilated", layers.DepthwiseConv2D(3, 3, layers.DilationRate(2, 3)), []int{2, 12, 11}, []int{2, 8, 5}, 2*9 + 2},
		{"conv2d dilated valid", layers.Conv2D(4, 3, 3, layers.DilationRate(2, 2)), []int{3, 10, 9}, []int{4, 6, 5}, 4*3*9 + 4},
		// Keras: Conv2D(4, 3, use_bias=False) on 3 channels has 4·3·9 parameters.
		{"conv2d no bias", layers.Conv2D(4, 3, 3, layers.UseBias(false)), []int{3, 10, 9}, []int{4, 8, 7}, 4 * 3 * 9},
		{"dense no bias", layers.Dense(7, layers.UseBias(false)), []int{10}, []int{7}, 70},
		{"conv2d dilated same", layers.Conv2D(4, 3, 3, layers.DilationRate(3, 2), layers.Padding(layers.Same)), []int{3, 10, 9}, []int{4, 10, 9}, 4*3*9 + 4},
		{"conv transpose valid", layers.Conv2DTranspose(4, 3, 3, layers.Strides(2, 2)), []int{3, 5, 6}, []int{4, 11, 13}, 3*4*9 + 4},
		{"conv transpose same", layers.Conv2DTranspose(4, 3, 3, layers.Strides(2, 2), layers.Padding(layers.Same)), []int{3, 5, 6}, []int{4, 10, 12}, 3*4*9 + 4},
		{"conv transpose kernel below stride", layers.Conv2DTranspose(4, 2, 1, layers.Strides(3, 3), layers.UseBias(false)), []int{3, 5, 6}, []int{4, 15, 18}, 3 * 4 * 2},
		// Keras: a 3×3 kernel dilated by 2 spans 5: 'valid' gives in + 4.
		{"conv transpose dilated valid", layers.Conv2DTranspose(4, 3, 3, layers.DilationRate(2, 3)), []int{3, 5, 6}, []int{4, 9, 12}, 3*4*9 + 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := model.NewSequential(tc.input, []layers.Layer{tc.layer})
			if err != nil {
				t.Fatalf("%+v", err)
			}
			if got := m.LayerShape(tc.layer.Name()); !slices.Equal(got, tc.shape) {
				t.Errorf("output shape %v, want %v", got, tc.shape)
			}
			if got := m.Params().Count(); got != tc.params {
				t.Errorf("%d parameters, want %d", got, tc.params)
			}
		})
	}
}

// TestNewLayerBuildErrors checks that settings and input shapes that do not
// fit are errors at Build, naming the problem, never panics.
func TestNewLayerBuildErrors(t *testing.T) {
	tests := []struct {
		name  string
		layer layers.Layer
		input []int
		want  string
	}{
		{"reshape two -1", layers.Reshape(-1, -1), []int{4}, "more than one -1"},
		{"reshape size", layers.Reshape(5), []int{2, 3}, "holds 5 values"},
		{"reshape not divisible", layers.Reshape(-1, 5), []int{2, 3}, "does not divide"},
		{"reshape zero", layers.Reshape(0, 6), []int{2, 3}, "positive"},
		{"reshape empty", layers.Reshape(), []int{2, 3}, "empty"},
		{"padding negative", layers.ZeroPadding2D(-1, 0, 0, 0), []int{1, 3, 3}, "negative"},
		{"padding matrix", layers.ZeroPadding2D(1, 1, 1, 1), []int{4}, "not an image"},
		{"cropping everything", layers.Cropping2D(2, 1, 0, 0), []int{1, 3, 3}, "leaves nothing"},
		{"upsampling zero", layers.UpSampling2D(0, 2), []int{1, 3, 3}, "positive"},
		{"upsampling bad mode", layers.UpSampling2D(2, 2, layers.Interpolation(7)), []int{1, 3, 3}, "unknown interpolation"},
		{"upsampling foreign option", layers.UpSampling2D(2, 2, layers.Strides(1, 1)), []int{1, 3, 3}, "does not apply"},
		{"layer norm axis out of range", layers.LayerNormalization(layers.NormAxes(2)), []int{4}, "not an axis"},
		{"layer norm batch axis", layers.LayerNormalization(layers.NormAxes(0, 1)), []int{4}, "distinct and positive"},
		{"layer norm repeated axis", layers.LayerNormalization(layers.NormAxes(1, 1)), []int{4}, "distinct and positive"},
		{"layer norm bad epsilon", layers.LayerNormalization(layers.Epsilon(-1)), []int{4}, "must be positive"},
		{"depthwise matrix", layers.DepthwiseConv2D(3, 3), []int{4}, "not an image"},
		{"depthwise kernel too large", layers.DepthwiseConv2D(3, 3, layers.DilationRate(2, 2)), []int{1, 4, 9}, "larger than input"},
		{"depthwise zero multiplier", layers.DepthwiseConv2D(3, 3, layers.DepthMultiplier(0)), []int{1, 4, 4}, "must be positive"},
		{"depthwise dilation with strides", layers.DepthwiseConv2D(3, 3, layers.DilationRate(2, 2), layers.Strides(2, 2)), []int{1, 9, 9}, "need strides of 1"},
		{"separable zero filters", layers.SeparableConv2D(0, 3, 3), []int{1, 4, 4}, "must be positive"},
		{"conv2d dilation with strides", layers.Conv2D(2, 3, 3, layers.DilationRate(1, 2), layers.Strides(1, 2)), []int{1, 9, 9}, "need strides of 1"},
		{"conv2d bad dilation", layers.Conv2D(2, 3, 3, layers.DilationRate(0, 2)), []int{1, 9, 9}, "must be positive"},
		{"conv transpose dilation with strides", layers.Conv2DTranspose(2, 3, 3, layers.DilationRate(2, 2), layers.Strides(2, 2)), []int{1, 4, 4}, "need strides of 1"},
		{"conv transpose matrix", layers.Conv2DTranspose(2, 3, 3), []int{4}, "not an image"},
		{"conv transpose zero kernel", layers.Conv2DTranspose(2, 0, 3), []int{1, 4, 4}, "must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := model.NewSequential(tc.input, []layers.Layer{tc.layer})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

// TestNewLayerConfigs checks that each layer's Config makes the same layer
// again, and that its constructor refuses unknown fields.
func TestNewLayerConfigs(t *testing.T) {
	ls := []layers.Layer{
		layers.Reshape(2, -1, 3), layers.ZeroPadding2D(1, 2, 3, 4), layers.Cropping2D(4, 3, 2, 1),
		layers.UpSampling2D(2, 3), layers.UpSampling2D(2, 2, layers.Interpolation(layers.Bilinear)),
		layers.LayerNormalization(), layers.LayerNormalization(layers.NormAxes(2, 3), layers.Epsilon(1e-5)),
		layers.DepthwiseConv2D(3, 2), layers.DepthwiseConv2D(3, 3, layers.DepthMultiplier(2), layers.DilationRate(2, 1), layers.UseBias(false), layers.Padding(layers.Same)),
		layers.SeparableConv2D(4, 3, 3, layers.Strides(2, 2), layers.Activation(ops.ReLU)),
		layers.Conv2D(3, 3, 3, layers.DilationRate(2, 2)), layers.Conv2DTranspose(3, 4, 4, layers.Strides(2, 2), layers.Padding(layers.Same), layers.UseBias(false)),
		layers.Conv2DTranspose(2, 3, 2, layers.DilationRate(2, 3)),
	}
	for _, l := range ls {
		c, err := layers.ConfigOf(l)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(l.Type()+string(c), func(t *testing.T) {
			again, err := layers.FromConfig(l.Type(), c)
			if err != nil {
				t.Fatal(err)
			}
			c2, err := layers.ConfigOf(again)
			if err != nil || string(c2) != string(c) {
				t.Fatalf("config %s came back as %s (%v)", c, c2, err)
			}
			var fields map[string]json.RawMessage
			if err := json.Unmarshal(c, &fields); err != nil {
				t.Fatal(err)
			}
			fields["no_such_option"] = json.RawMessage("1")
			bad, _ := json.Marshal(fields)
			if _, err := layers.FromConfig(l.Type(), bad); err == nil {
				t.Errorf("config %s was accepted", bad)
			}
		})
	}
}
