package serve

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

// TestMaxInflight: with every in-flight slot taken, a predict, a status
// and a metadata request get 503 with Retry-After, while /healthz and
// /metrics answer; once a slot is free, predicts are served again.
func TestMaxInflight(t *testing.T) {
	s, _ := newServer(t, MaxInflight(2))
	s.inflight <- struct{}{}
	s.inflight <- struct{}{}
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"POST", "/v1/models/digits:predict", http.StatusServiceUnavailable},
		{"GET", "/v1/models/digits", http.StatusServiceUnavailable},
		{"GET", "/v1/models/digits/metadata", http.StatusServiceUnavailable},
		{"GET", "/healthz", http.StatusOK},
		{"GET", "/metrics", http.StatusOK},
	} {
		code, body, h := testutil.Do(t, s, tc.method, tc.path, "application/json", instances(testInput(0)))
		if code != tc.code {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, code, body, tc.code)
		}
		if code == http.StatusServiceUnavailable && (h.Get("Retry-After") != "1" || !bytes.Contains(body, []byte("overloaded"))) {
			t.Errorf("%s %s: 503 with Retry-After %q: %s", tc.method, tc.path, h.Get("Retry-After"), body)
		}
	}
	<-s.inflight
	if code, body, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "application/json", instances(testInput(0))); code != http.StatusOK {
		t.Errorf("with a slot free: %d %s", code, body)
	}
	_, body, _ := testutil.Do(t, s, "GET", "/metrics", "", nil)
	if !bytes.Contains(body, []byte("gocnn_serve_overload_rejections_total 3")) {
		t.Errorf("/metrics does not count the 3 rejections")
	}
}

// TestBodyBudget: a body that declares more than the max body is refused
// unread; one that waits for the budget and whose client gives up gets
// no answer and takes nothing from the budget.
func TestBodyBudget(t *testing.T) {
	s, _ := newServer(t, MaxBody(1<<20), BodyBudget(1<<20))
	r := httptest.NewRequest("POST", "/v1/models/digits:predict", bytes.NewReader(make([]byte, 10)))
	r.ContentLength = 2 << 20
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body declaring 2 MiB: %d %s", w.Code, w.Body)
	}
	// Take the whole budget, as a request being decoded would.
	got, err := s.bodies.acquire(context.Background(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r = httptest.NewRequestWithContext(ctx, "POST", "/v1/models/digits:predict", bytes.NewReader(instances(testInput(0))))
	w = httptest.NewRecorder()
	done := make(chan struct{})
	go func() { s.ServeHTTP(w, r); close(done) }()
	cancel() // the client gives up while it waits (or before)
	<-done
	if w.Body.Len() != 0 {
		t.Errorf("a request whose client had gone got %d %s", w.Code, w.Body)
	}
	s.bodies.release(got)
	if code, body, _ := testutil.Do(t, s, "POST", "/v1/models/digits:predict", "application/json", instances(testInput(0))); code != http.StatusOK {
		t.Errorf("with the budget free: %d %s", code, body)
	}
}
