package demo_test

import (
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"strings"

	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/serve"
	"github.com/gocnn/cnn/serve/demo"
)

// Attach adds the drawing page and its /ui/ routes to a server made as
// Run makes it, beside TensorFlow Serving's API.
func ExampleAttach() {
	net, err := model.NewSequential([]int{3}, []layers.Layer{layers.Softmax()}, model.ClassNames("cat", "dog", "bird"))
	if err != nil {
		log.Fatal(err)
	}
	srv, err := serve.New([]*serve.Model{{Name: "pets", Net: net}}, serve.Logger(slog.New(slog.DiscardHandler)),
		serve.ImageConverter(demo.Convert), serve.Loader(demo.Load))
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	if err := demo.Attach(srv); err != nil {
		log.Fatal(err)
	}
	for _, path := range []string{"/", "/ui/info", "/ui/random"} {
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", path, nil))
		fmt.Println(path, w.Code, w.Header().Get("Content-Type"), strings.Contains(w.Body.String(), `"class_names":["cat","dog","bird"]`))
	}
	// Output:
	// / 200 text/html; charset=utf-8 false
	// /ui/info 200 application/json true
	// /ui/random 404 application/json false
}
