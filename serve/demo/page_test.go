package demo

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/serve"
)

// TestPage: the page, its /ui/ routes and the test accuracy of
// result.json answer 200 with what they should, beside the server's API.
func TestPage(t *testing.T) {
	s, _ := newServer(t)
	for _, tc := range []struct {
		name, method, path string
		contentType, want  string
	}{
		{"page", "GET", "/", "text/html", "<canvas"},
		{"page head", "HEAD", "/", "text/html", ""},
		{"info", "GET", "/ui/info", "application/json", `"random_images":3`},
		{"info accuracy", "GET", "/ui/info", "application/json", `"test_accuracy":0.25,"test_images":10000`},
		{"info mnist", "GET", "/ui/info", "application/json", `"mnist":true`},
		{"random", "GET", "/ui/random", "application/json", `"pixels":[[`},
		{"metadata accuracy", "GET", "/v1/models/digits/metadata", "application/json", `"test_accuracy":0.25`},
		{"healthz", "GET", "/healthz", "text/plain", "ok"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := testutil.Do(t, s, tc.method, tc.path, "", nil)
			if code != http.StatusOK {
				t.Fatalf("%s %s: %d %s", tc.method, tc.path, code, body)
			}
			if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, tc.contentType) {
				t.Errorf("Content-Type %q, want %s", ct, tc.contentType)
			}
			if !bytes.Contains(body, []byte(tc.want)) {
				t.Errorf("body lacks %q:\n%s", tc.want, body)
			}
		})
	}
	_, body, _ := testutil.Do(t, s, "GET", "/metrics", "", nil)
	for _, want := range []string{`handler="page",method="get"} 1`, `handler="ui",method="get"} 4`} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestPageErrors: a wrong method, another path, or the random button
// without test images get a JSON error with the status that says so.
func TestPageErrors(t *testing.T) {
	s, _ := newServer(t)
	none, _ := newServer(t, TestImages(nil))
	for _, tc := range []struct {
		name, method, path string
		server             http.Handler
		code               int
		want               string
	}{
		{"wrong method page", "POST", "/", s, 405, "method POST not allowed"},
		{"wrong method info", "DELETE", "/ui/info", s, 405, "method DELETE not allowed"},
		{"other path", "GET", "/index.html", s, 404, "no such endpoint /index.html"},
		{"other ui path", "GET", "/ui/", s, 404, "no such endpoint /ui/"},
		{"no random images", "GET", "/ui/random", none, 404, "no test images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, h := testutil.Do(t, tc.server, tc.method, tc.path, "", nil)
			if code != tc.code {
				t.Errorf("status %d, want %d: %s", code, tc.code, body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || h.Get("Content-Type") != "application/json" {
				t.Fatalf("not a JSON error (%v, %s): %s", err, h.Get("Content-Type"), body)
			}
			if !strings.Contains(e.Error, tc.want) {
				t.Errorf("error %q lacks %q", e.Error, tc.want)
			}
			if code == 405 && h.Get("Allow") == "" {
				t.Error("405 without an Allow header")
			}
		})
	}
	if code, body, _ := testutil.Do(t, none, "GET", "/ui/info", "", nil); code != 200 || !bytes.Contains(body, []byte(`"random_images":0`)) {
		t.Errorf("info without images: %d %s", code, body)
	}
	if err := Attach(s); err == nil || !strings.Contains(err.Error(), "route /{$}") {
		t.Errorf("attached twice: %v", err)
	}
}

// TestPageInfo: /ui/info describes an RGB and a grey model that are not
// MNIST's, with their shapes and class names, and no accuracy.
func TestPageInfo(t *testing.T) {
	rgb := modeltest.ImageModel(t, []int{3, 16, 20}, "cat", "dog", "bird")
	grey := modeltest.ImageModel(t, []int{1, 32, 32}, "circle", "square")
	s := newPage(t, []*serve.Model{{Name: "pets", Net: rgb}, {Name: "shapes", Net: grey}})
	code, body, _ := testutil.Do(t, s, "GET", "/ui/info", "", nil)
	var info struct{ Models []modelInfo }
	if err := json.Unmarshal(body, &info); code != 200 || err != nil {
		t.Fatalf("%d %s %v", code, body, err)
	}
	if len(info.Models) != 2 {
		t.Fatalf("%s", body)
	}
	p, g := info.Models[0], info.Models[1]
	if p.Name != "pets" || !slices.Equal(p.InputShape, []int{3, 16, 20}) || !slices.Equal(p.OutputShape, []int{3}) ||
		!slices.Equal(p.ClassNames, []string{"cat", "dog", "bird"}) || p.MNIST || p.TestAccuracy != nil ||
		!slices.Equal(g.InputShape, []int{1, 32, 32}) || !slices.Equal(g.ClassNames, []string{"circle", "square"}) || g.MNIST ||
		!strings.Contains(p.Summary, "Classes: cat, dog, bird") {
		t.Errorf("info %s", body)
	}
}
