package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// encodings are img as PNG, JPEG and GIF uploads.
func encodings(t testing.TB, img image.Image) []struct {
	contentType string
	body        []byte
} {
	t.Helper()
	var j, g bytes.Buffer
	if err := jpeg.Encode(&j, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if err := gif.Encode(&g, img, nil); err != nil {
		t.Fatal(err)
	}
	return []struct {
		contentType string
		body        []byte
	}{{"image/png", testutil.EncodePNG(t, img)}, {"image/jpeg", j.Bytes()}, {"image/gif", g.Bytes()}}
}

// flatInput undoes imageRows: the values of an "input" of C planes, or of
// one plane's rows.
func flatInput(t *testing.T, raw json.RawMessage, c int) []float32 {
	t.Helper()
	var out []float32
	if c == 1 {
		var rows [][]float32
		if err := json.Unmarshal(raw, &rows); err != nil {
			t.Fatal(err)
		}
		return slices.Concat(rows...)
	}
	var planes [][][]float32
	if err := json.Unmarshal(raw, &planes); err != nil {
		t.Fatal(err)
	}
	for _, p := range planes {
		out = append(out, slices.Concat(p...)...)
	}
	return out
}

// TestAnyImageModel: a PNG, JPEG or GIF of another size than the model's
// input, uploaded to an RGB or a grey model, is converted by
// data.ImageValues and answered with the class's name.
func TestAnyImageModel(t *testing.T) {
	rgb := modeltest.ImageModel(t, []int{3, 16, 20}, "cat", "dog", "bird")
	grey := modeltest.ImageModel(t, []int{1, 32, 32}, "circle", "square")
	s, err := New([]*Model{{Name: "pets", Net: rgb}, {Name: "shapes", Net: grey}}, Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name string
		net  *model.Model
	}{{"pets", rgb}, {"shapes", grey}} {
		shape := tc.net.InputShape(0)
		mode, _ := data.ColorModeOf(shape[0])
		for _, up := range encodings(t, testutil.ColourImage(40, 33)) {
			t.Run(tc.name+"/"+up.contentType, func(t *testing.T) {
				code, body, _ := testutil.Do(t, s, "POST", "/v1/models/"+tc.name+":predict", up.contentType, up.body)
				if code != 200 {
					t.Fatalf("%d %s", code, body)
				}
				var resp struct {
					Predictions [][]float32
					Classes     []string
					Class       int
					Input       json.RawMessage
				}
				if err := json.Unmarshal(body, &resp); err != nil {
					t.Fatal(err)
				}
				decoded, _, err := image.Decode(bytes.NewReader(up.body))
				if err != nil {
					t.Fatal(err)
				}
				x, err := data.ImageValues(decoded, mode, shape[1], shape[2], nil)
				if err != nil {
					t.Fatal(err)
				}
				if got := flatInput(t, resp.Input, shape[0]); !slices.Equal(got, x) {
					t.Fatalf("the answer's input (%d values) is not data.ImageValues' (%d values)", len(got), len(x))
				}
				want, err := tc.net.Predict(x)
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Predictions) != 1 || !slices.Equal(resp.Predictions[0], want) {
					t.Fatalf("predictions %v, Predict gives %v", resp.Predictions, want)
				}
				best := model.Argmax(want)
				if name := tc.net.ClassNames()[best]; len(resp.Classes) != 1 || resp.Classes[0] != name || resp.Class != best {
					t.Errorf("classes %q, class %d; want [%q], %d", resp.Classes, resp.Class, name, best)
				}
			})
		}
	}
	t.Run("JSON instances", func(t *testing.T) {
		x := make([]float32, 2*3*16*20)
		for i := range x {
			x[i] = float32(i%17) / 16
		}
		want, err := rgb.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		code, body, _ := testutil.Do(t, s, "POST", "/v1/models/pets:predict", "application/json", instances(x[:960], x[960:]))
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var resp struct {
			Predictions [][]float32
			Classes     []string
		}
		if err := json.Unmarshal(body, &resp); err != nil {
			t.Fatal(err)
		}
		names := rgb.ClassNames()
		wantClasses := []string{names[model.Argmax(want[:3])], names[model.Argmax(want[3:])]}
		if len(resp.Predictions) != 2 || !slices.Equal(resp.Classes, wantClasses) {
			t.Errorf("%s, want classes %q", body, wantClasses)
		}
	})
	t.Run("metadata", func(t *testing.T) {
		code, body, _ := testutil.Do(t, s, "GET", "/v1/models/pets/metadata", "", nil)
		var md struct {
			Metadata struct {
				ClassNames []string `json:"class_names"`
				Summary    string
			}
		}
		if err := json.Unmarshal(body, &md); code != 200 || err != nil {
			t.Fatalf("%d %s %v", code, body, err)
		}
		if !slices.Equal(md.Metadata.ClassNames, []string{"cat", "dog", "bird"}) || !strings.Contains(md.Metadata.Summary, "Classes: cat, dog, bird") {
			t.Errorf("metadata %s", body)
		}
	})
}

// TestNoClassNames: a model without class names answers as before, with
// no "classes".
func TestNoClassNames(t *testing.T) {
	s, _ := newServer(t)
	code, body, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "image/png", testutil.EncodePNG(t, testutil.DigitImage(30, 30)))
	if code != 200 || bytes.Contains(body, []byte(`"classes"`)) {
		t.Errorf("%d %s", code, body)
	}
	code, body, _ = testutil.Do(t, s, "GET", "/v1/models/digits/metadata", "", nil)
	if code != 200 || bytes.Contains(body, []byte("class_names")) {
		t.Errorf("metadata %d %s", code, body)
	}
}

// TestNotAnImageModel: a model of 2 channels, or of vectors, refuses image
// uploads; DecodeImage says why.
func TestNotAnImageModel(t *testing.T) {
	for _, shape := range [][]int{{2, 8, 8}, {4}, {3, 4, 4, 1}} {
		_, err := DecodeImage(testutil.EncodePNG(t, testutil.ColourImage(8, 8)), "image/png", shape, DefaultMaxPixels)
		if err == nil || !strings.Contains(err.Error(), "not grey images (1×H×W) or RGB images (3×H×W)") {
			t.Errorf("shape %v: error %v", shape, err)
		}
	}
	net, err := model.NewSequential([]int{2, 8, 8}, []layers.Layer{layers.Flatten(), layers.Dense(2)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New([]*Model{{Name: "two", Net: net}}, Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	code, body, _ := testutil.Do(t, s, "POST", "/v1/models/two:predict", "image/png", testutil.EncodePNG(t, testutil.ColourImage(8, 8)))
	if code != 400 || !bytes.Contains(body, []byte("model two: the model takes 2×8×8 inputs")) {
		t.Errorf("%d %s", code, body)
	}
}

// FuzzDecodeImage: no upload makes the decoder panic, and whatever it
// accepts is exactly one input of the model's shape with values in
// [0, 1], for MNIST's, a grey and an RGB shape.
func FuzzDecodeImage(f *testing.F) {
	for _, e := range encodings(f, testutil.ColourImage(12, 9)) {
		for k := range byte(3) {
			f.Add(e.body, e.contentType == "image/jpeg", e.contentType == "image/gif", k)
		}
	}
	f.Add(testutil.HugePNG(f, 1<<16, 1<<16), false, false, byte(0))
	f.Add([]byte("GIF89a"), false, true, byte(1))
	shapes := [][]int{{1, 28, 28}, {1, 7, 5}, {3, 6, 4}}
	f.Fuzz(func(t *testing.T, body []byte, isJPEG, isGIF bool, k byte) {
		ct := "image/png"
		switch {
		case isGIF:
			ct = "image/gif"
		case isJPEG:
			ct = "image/jpeg"
		}
		shape := shapes[int(k)%len(shapes)]
		x, err := DecodeImage(body, ct, shape, 1<<14)
		if err != nil {
			if x != nil {
				t.Fatalf("error %v with %d values", err, len(x))
			}
			return
		}
		if len(x) != shape[0]*shape[1]*shape[2] {
			t.Fatalf("%d values for shape %v", len(x), shape)
		}
		for i, v := range x {
			if !(v >= 0 && v <= 1) || math.IsNaN(float64(v)) {
				t.Fatalf("value %d is %v", i, v)
			}
		}
	})
}

// TestImageOutput: a model whose output is an image (an autoencoder)
// answers each instance with an image laid out as an upload's "input" is:
// rows of one channel, or planes of them, and no class.
func TestImageOutput(t *testing.T) {
	for _, shape := range [][]int{{1, 8, 8}, {3, 6, 5}} {
		net, err := model.NewSequential(shape, []layers.Layer{
			layers.Conv2D(shape[0], 3, 3, layers.Padding(layers.Same), layers.Activation(ops.Sigmoid)),
		}, model.Seed(4))
		if err != nil {
			t.Fatal(err)
		}
		s, err := New([]*Model{{Name: "ae", Net: net}}, Logger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		size := shape[0] * shape[1] * shape[2]
		x := make([]float32, 2*size)
		for i := range x {
			x[i] = float32(i%11) / 10
		}
		want, err := net.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("%dx%dx%d", shape[0], shape[1], shape[2])
		t.Run(name+"/JSON", func(t *testing.T) {
			code, body, _ := testutil.Do(t, s, "POST", "/v1/models/ae:predict", "application/json", instances(x[:size], x[size:]))
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			var resp struct{ Predictions []json.RawMessage }
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			if len(resp.Predictions) != 2 || bytes.Contains(body, []byte(`"class`)) {
				t.Fatalf("%s", body)
			}
			for i, p := range resp.Predictions {
				if got := flatInput(t, p, shape[0]); !slices.Equal(got, want[i*size:(i+1)*size]) {
					t.Errorf("instance %d: %v, Predict gives %v", i, got, want[i*size:(i+1)*size])
				}
			}
		})
		t.Run(name+"/PNG", func(t *testing.T) {
			code, body, _ := testutil.Do(t, s, "POST", "/v1/models/ae:predict", "image/png", testutil.EncodePNG(t, testutil.ColourImage(12, 9)))
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
			var resp struct {
				Predictions []json.RawMessage
				Input       json.RawMessage
			}
			if err := json.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			in := flatInput(t, resp.Input, shape[0])
			out, err := net.Predict(in)
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Predictions) != 1 || !slices.Equal(flatInput(t, resp.Predictions[0], shape[0]), out) || bytes.Contains(body, []byte(`"class`)) {
				t.Errorf("%s", body)
			}
		})
	}
}
