package serve_test

import (
	"encoding/json"
	"fmt"
	"image"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/serve"
)

// classifier is a model of 3 named classes whose probabilities are the
// softmax of its 3 inputs, so that its answers are known without training.
func classifier() *model.Model {
	net, err := model.NewSequential([]int{3}, []layers.Layer{layers.Softmax()}, model.ClassNames("cat", "dog", "bird"))
	if err != nil {
		log.Fatal(err)
	}
	return net
}

// A server of one model answers a TensorFlow Serving predict request of
// two instances with a row of probabilities and a class name for each.
func Example() {
	srv, err := serve.New([]*serve.Model{{Name: "pets", Net: classifier()}}, serve.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()

	req := `{"instances": [[1, 2, 3], [2, 0, 0]]}`
	resp, err := http.Post(ts.URL+"/v1/models/pets:predict", "application/json", strings.NewReader(req))
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		Predictions [][]float32
		Classes     []string
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.Status)
	for i, p := range answer.Predictions {
		fmt.Printf("%.3f %s\n", p, answer.Classes[i])
	}
	// Output:
	// 200 OK
	// [0.090 0.245 0.665] bird
	// [0.787 0.107 0.107] cat
}

// The metadata answer gives a model's input and output shapes, -1 for the
// batch, and its class names.
func ExampleNew_metadata() {
	srv, err := serve.New([]*serve.Model{{Name: "pets", Net: classifier(), Metadata: map[string]any{"owner": "the zoo"}}},
		serve.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/v1/models/pets/metadata", nil))
	var md struct {
		ModelSpec struct{ Name, Version string } `json:"model_spec"`
		Metadata  struct {
			Inputs     map[string]struct{ Shape []int }
			Outputs    map[string]struct{ Shape []int }
			ClassNames []string `json:"class_names"`
			Owner      string
		}
	}
	if err := json.Unmarshal(w.Body.Bytes(), &md); err != nil {
		log.Fatal(err)
	}
	fmt.Println(md.ModelSpec.Name, "version", md.ModelSpec.Version)
	fmt.Println("input", md.Metadata.Inputs["input"].Shape, "output", md.Metadata.Outputs["output"].Shape)
	fmt.Println("classes", md.Metadata.ClassNames, "owner", md.Metadata.Owner)
	// Output:
	// pets version 1
	// input [-1 3] output [-1 3]
	// classes [cat dog bird] owner the zoo
}

// Handle serves a route of one's own beside the API, counted in /metrics;
// paths that no route serves get a JSON 404.
func ExampleServer_Handle() {
	srv, err := serve.New([]*serve.Model{{Name: "pets", Net: classifier()}}, serve.Logger(slog.New(slog.DiscardHandler)))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	err = srv.Handle("GET /hello", "hello", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello\n")
	}))
	if err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{"/hello", "/goodbye"} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Print(w.Code, " ", w.Body.String())
	}
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	fmt.Println(strings.Contains(w.Body.String(), `gocnn_serve_requests_total{code="200",handler="hello",method="get"} 1`))
	// Output:
	// 200 hello
	// 404 {"error":"no such endpoint /goodbye"}
	// true
}

// DecodeRequest reads TensorFlow Serving's row format: each instance
// nested as the model's example shape, or flat.
func ExampleDecodeRequest() {
	body := []byte(`{"instances": [[[1, 2], [3, 4]], [5, 6, 7, 8]]}`)
	x, n, err := serve.DecodeRequest(body, []int{2, 2}, 10)
	fmt.Println(x, n, err)
	_, _, err = serve.DecodeRequest([]byte(`{"instances": [[1, NaN]]}`), []int{2}, 10)
	fmt.Println(err != nil)
	_, _, err = serve.DecodeRequest([]byte(`{"instances": [[1, 2, 3]]}`), []int{2, 2}, 10)
	fmt.Println(err)
	// Output:
	// [1 2 3 4 5 6 7 8] 2 <nil>
	// true
	// instance 0: wrong shape 3; the model takes 2×2 or a flat list of 4 values
}

// ConvertImage, the default Converter, makes an image the input of a
// model: here a grey 2×2 image, one value per pixel in [0, 1].
func ExampleConvertImage() {
	img := image.NewGray(image.Rect(0, 0, 2, 2))
	copy(img.Pix, []uint8{0, 255, 51, 204})
	x, err := serve.ConvertImage(img, []int{1, 2, 2})
	fmt.Println(x, err)
	_, err = serve.ConvertImage(img, []int{2, 2, 2})
	fmt.Println(err)
	// Output:
	// [0 1 0.2 0.8] <nil>
	// the model takes 2×2×2 inputs, not grey images (1×H×W) or RGB images (3×H×W)
}
