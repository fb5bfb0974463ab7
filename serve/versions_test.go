package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// vecInput is the instance the version tests send.
var vecInput = []float32{1, 2, 3, 4}

// writeVersion saves a small vector model of the given seed as version v
// of model name under dir, writing it beside the folder and renaming it
// into place, as a deployment should, and returns its answer to vecInput.
func writeVersion(t testing.TB, dir, name string, v int, seed uint64, file string) []float32 {
	t.Helper()
	net, y := vecModel(t, seed)
	tmp := filepath.Join(dir, name, fmt.Sprintf(".%d.tmp", v))
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := net.Save(filepath.Join(tmp, file), nil); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name, fmt.Sprint(v))); err != nil {
		t.Fatal(err)
	}
	return y
}

// vecModel is a small vector model of the given seed and its answer to
// vecInput.
func vecModel(t testing.TB, seed uint64) (*model.Model, []float32) {
	t.Helper()
	net, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(3, layers.Activation(ops.Softmax))}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	y, err := net.Predict(vecInput)
	if err != nil {
		t.Fatal(err)
	}
	return net, y
}

// writeFiles makes version v of model name under dir holding the given
// files and contents.
func writeFiles(t testing.TB, dir, name string, v int, files map[string]string) {
	t.Helper()
	tmp := filepath.Join(dir, name, fmt.Sprintf(".%d.tmp", v))
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(tmp, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(tmp, filepath.Join(dir, name, fmt.Sprint(v))); err != nil {
		t.Fatal(err)
	}
}

// versionStatus is TensorFlow Serving's model status answer.
type versionStatus struct {
	ModelVersionStatus []struct {
		Version string
		State   string
		Status  struct {
			ErrorCode    string `json:"error_code"`
			ErrorMessage string `json:"error_message"`
		}
	} `json:"model_version_status"`
}

// TestModelDir: every version of every model under the directory is
// served, the highest by default; the status lists the versions, highest
// first, with a broken one's error; a folder that is no version is
// skipped.
func TestModelDir(t *testing.T) {
	dir := t.TempDir()
	want1 := writeVersion(t, dir, "a", 1, 1, "model.gocnn")
	want2 := writeVersion(t, dir, "a", 2, 2, "mine.gocnn") // any one *.gocnn
	writeVersion(t, dir, "b", 1, 3, "model.gocnn")
	writeFiles(t, dir, "b", 7, map[string]string{"model.gocnn": "not a model"})
	writeFiles(t, dir, "b", 8, map[string]string{"x.gocnn": "", "y.gocnn": ""})
	writeFiles(t, dir, "b", 9, map[string]string{"notes.txt": "no model"})
	writeFiles(t, dir, "b", 0, map[string]string{"model.gocnn": "version 0 is no version"})
	os.MkdirAll(filepath.Join(dir, "b", "latest"), 0o755)
	var log testutil.SyncBuffer
	s, err := New(nil, ModelDir(dir), Logger(slog.New(slog.NewTextHandler(&log, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	body := []byte(`{"instances": [[1, 2, 3, 4]]}`)
	for _, tc := range []struct {
		method, path string
		body         []byte
		code         int
		want         string
	}{
		{"POST", "/v1/models/a:predict", body, 200, string(floats(want2))},
		{"POST", "/v1/models/a/versions/2:predict", body, 200, string(floats(want2))},
		{"POST", "/v1/models/a/versions/1:predict", body, 200, string(floats(want1))},
		{"POST", "/v1/models/a/versions/3:predict", body, 404, "model a has no version 3; its available versions are [2, 1]"},
		{"POST", "/v1/models/a/versions/x:predict", body, 404, `is not a positive number`},
		{"POST", "/v1/models/b/versions/7:predict", body, 503, "model b version 7 is not available"},
		{"GET", "/v1/models/a/metadata", nil, 200, `"version":"2"`},
		{"GET", "/v1/models/a/versions/1/metadata", nil, 200, `"version":"1"`},
		{"GET", "/v1/models/a", nil, 200, `{"model_version_status":[{"state":"AVAILABLE","status":{"error_code":"OK","error_message":""},"version":"2"},{"state":"AVAILABLE","status":{"error_code":"OK","error_message":""},"version":"1"}]}`},
		{"GET", "/v1/models/a/versions/1", nil, 200, `{"model_version_status":[{"state":"AVAILABLE","status":{"error_code":"OK","error_message":""},"version":"1"}]}`},
		{"GET", "/v1/models/b", nil, 200, `"version":"9"`},
		{"GET", "/v1/models/b/versions/5", nil, 404, "model b has no version 5"},
		{"GET", "/v1/models/c", nil, 404, `; this server has a, b`},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			code, got, _ := testutil.Do(t, s, tc.method, tc.path, "application/json", tc.body)
			if code != tc.code || !bytes.Contains(got, []byte(tc.want)) {
				t.Errorf("%d %s, want %d and %s", code, got, tc.code, tc.want)
			}
		})
	}
	// b's status: 1 available, 7, 8 and 9 failed, each saying why.
	_, got, _ := testutil.Do(t, s, "GET", "/v1/models/b", "", nil)
	var st versionStatus
	if err := json.Unmarshal(got, &st); err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, v := range st.ModelVersionStatus {
		states[v.Version] = v.State + " " + v.Status.ErrorCode + " " + v.Status.ErrorMessage
	}
	for v, want := range map[string]string{"1": "AVAILABLE OK ", "7": "END UNKNOWN ", "8": "END UNKNOWN no model.gocnn or other *.gocnn file", "9": "END UNKNOWN no model.gocnn"} {
		if !strings.HasPrefix(states[v], want) {
			t.Errorf("b version %s: %q, want %q...", v, states[v], want)
		}
	}
	if len(states) != 4 {
		t.Errorf("b's versions: %v, want 1, 7, 8 and 9", states)
	}
	if !strings.Contains(log.String(), "loading a model version failed") || !strings.Contains(log.String(), "version=7") {
		t.Errorf("the log does not report version 7's failure:\n%s", log.String())
	}
}

// TestReload: while 8 clients send predicts over loopback, a new version
// is dropped in, then a broken one, then the new one is removed. No request
// fails; answers switch to the new version, stay on it while the broken
// one is reported, and go back to the old one once the new one is
// removed. The directory is polled every 50ms; the waits for each change
// are bounded, with generous timeouts, and so is the number of requests.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	want1 := writeVersion(t, dir, "a", 1, 1, "model.gocnn")
	s, err := New(nil, ModelDir(dir), Poll(50*time.Millisecond), Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ts := httptest.NewServer(s) // 127.0.0.1
	defer ts.Close()
	url := ts.URL + "/v1/models/a:predict"

	const clients, most = 8, 5000 // requests per client at most
	var (
		want2    atomic.Pointer[[]float32]
		seen     [3]atomic.Int64 // answers of version 1, 2, and of neither
		failures atomic.Int64
		mu       sync.Mutex
		firstErr error
		stop     = make(chan struct{})
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		failures.Add(1)
		mu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		mu.Unlock()
	}
	for range clients {
		wg.Go(func() {
			for range most {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := http.Post(url, "application/json", strings.NewReader(`{"instances": [[1, 2, 3, 4]]}`))
				if err != nil {
					fail(err)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var out struct{ Predictions [][]float32 }
				if err := json.Unmarshal(b, &out); resp.StatusCode != 200 || err != nil || len(out.Predictions) != 1 {
					fail(fmt.Errorf("%d %s", resp.StatusCode, b))
					continue
				}
				switch p := out.Predictions[0]; {
				case slices.Equal(p, want1):
					seen[0].Add(1)
				case want2.Load() != nil && slices.Equal(p, *want2.Load()):
					seen[1].Add(1)
				default:
					seen[2].Add(1)
					fail(fmt.Errorf("an answer of neither version: %v", p))
				}
			}
		})
	}
	// wait waits, at most a minute, for cond.
	wait := func(what string, cond func() bool) {
		t.Helper()
		for i := 0; !cond(); i++ {
			if i == 6000 {
				t.Fatalf("no %s within a minute", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	wait("answers of version 1", func() bool { return seen[0].Load() >= 20 })

	_, w2 := vecModel(t, 2) // known before version 2 can be served
	want2.Store(&w2)
	writeVersion(t, dir, "a", 2, 2, "model.gocnn")
	wait("answers of version 2", func() bool { return seen[1].Load() >= 20 })
	before1 := seen[0].Load()

	writeFiles(t, dir, "a", 3, map[string]string{"model.gocnn": "broken"})
	wait("version 3's failure in the status", func() bool {
		_, b, _ := testutil.Do(t, s, "GET", "/v1/models/a/versions/3", "", nil)
		return bytes.Contains(b, []byte(`"state":"END"`))
	})
	n2 := seen[1].Load()
	wait("answers of version 2 after version 3 failed", func() bool { return seen[1].Load() >= n2+20 })
	if seen[0].Load() > before1+clients {
		// A client may have had a version 1 answer on its way as 2 came in.
		t.Errorf("%d answers of version 1 after version 2 was serving", seen[0].Load()-before1)
	}

	if err := os.RemoveAll(filepath.Join(dir, "a", "2")); err != nil {
		t.Fatal(err)
	}
	n1 := seen[0].Load()
	wait("answers of version 1 after version 2 was removed", func() bool { return seen[0].Load() >= n1+20 })
	close(stop)
	wg.Wait()
	t.Logf("answers: %d of version 1, %d of version 2, %d failures", seen[0].Load(), seen[1].Load(), failures.Load())
	if failures.Load() > 0 {
		t.Errorf("%d requests failed; the first: %v", failures.Load(), firstErr)
	}
	_, b, _ := testutil.Do(t, s, "GET", "/v1/models/a", "", nil)
	if bytes.Contains(b, []byte(`"version":"2"`)) || !bytes.Contains(b, []byte(`"version":"1"`)) {
		t.Errorf("status after version 2 was removed: %s", b)
	}
}

// TestUnloadWaits: a version removed from the directory takes no new
// requests, but one that holds it still gets its answer: the version is
// unloaded only once that request has finished.
func TestUnloadWaits(t *testing.T) {
	dir := t.TempDir()
	writeVersion(t, dir, "a", 1, 1, "model.gocnn")
	want2 := writeVersion(t, dir, "a", 2, 2, "model.gocnn")
	s, err := New(nil, ModelDir(dir), Logger(quiet))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sv, _, err := s.acquire("a", 0) // a request in flight on version 2
	if err != nil || sv.version != 2 {
		t.Fatalf("acquire: version %v, %v", sv, err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "a", "2")); err != nil {
		t.Fatal(err)
	}
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	if code, body, _ := testutil.Do(t, s, "POST", "/v1/models/a/versions/2:predict", "application/json", []byte(`{"instances": [[1, 2, 3, 4]]}`)); code != http.StatusNotFound {
		t.Errorf("a new request for the removed version: %d %s", code, body)
	}
	y, err := sv.batch.do(t.Context(), vecInput, 1, nil)
	if err != nil || !slices.Equal(y, want2) {
		t.Errorf("the request in flight on the removed version: %v %v, want %v", y, err, want2)
	}
	sv.release()
	s.unloads.Wait() // the unload ends once the request has
	if _, err := sv.batch.do(t.Context(), vecInput, 1, nil); !errors.Is(err, errClosed) {
		t.Errorf("after the unload the version's batcher answers %v, want it closed", err)
	}
}
