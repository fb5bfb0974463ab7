package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/recipe"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
)

// TestMain runs main itself when the test binary is started as the server
// by TestSignal.
func TestMain(m *testing.M) {
	if os.Getenv("GOCNN_SERVE_MAIN") == "1" {
		os.Args = append([]string{"serve"}, strings.Fields(os.Getenv("GOCNN_SERVE_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// fixture writes the recipe network, untrained, and a tiny MNIST folder
// (one training image, two test images) into a temporary folder, and
// returns the model file and the data folder.
func fixture(t *testing.T) (string, string) {
	t.Helper()
	dir := t.TempDir()
	m, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.gocnn")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	idx := func(name string, dims []uint32, payload []byte) {
		var b bytes.Buffer
		b.Write([]byte{0, 0, 8, byte(len(dims))})
		for _, d := range dims {
			binary.Write(&b, binary.BigEndian, d)
		}
		b.Write(payload)
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	idx(data.MNISTTrainImages, []uint32{1, 28, 28}, make([]byte, 784))
	idx(data.MNISTTrainLabels, []uint32{1}, []byte{0})
	idx(data.MNISTTestImages, []uint32{2, 28, 28}, bytes.Repeat([]byte{7}, 2*784))
	idx(data.MNISTTestLabels, []uint32{2}, []byte{3, 5})
	return path, dir
}

// TestUsage: bad command lines exit 64 with one line; -help exits 0.
func TestUsage(t *testing.T) {
	path, _ := fixture(t)
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no model", nil, 64, "no -model given: usage: serve -model FILE"},
		{"unknown flag", []string{"-model", path, "-nope"}, 64, "flag provided but not defined: -nope"},
		{"argument", []string{"-model", path, "extra"}, 64, `unexpected argument "extra"`},
		{"too many names", []string{"-model", path, "-name", "a", "-name", "b"}, 64, "2 -name flags for 1 -model flags"},
		{"bad max batch", []string{"-model", path, "-max-batch", "0"}, 64, "max batch 0"},
		{"bad max inflight", []string{"-model", path, "-max-inflight", "0"}, 64, "-max-inflight 0"},
		{"bad body budget", []string{"-model", path, "-body-budget", "-1"}, 64, "-body-budget -1"},
		{"bad poll", []string{"-model-dir", t.TempDir(), "-poll", "-1s"}, 64, "-poll -1s"},
		{"missing model dir", []string{"-model-dir", filepath.Join(t.TempDir(), "none")}, 1, "-model-dir"},
		{"bad log level", []string{"-model", path, "-log-level", "loud"}, 64, `-log-level "loud"`},
		{"bad name", []string{"-model", path, "-name", "a:b"}, 1, `model name "a:b" may not contain`},
		{"missing model", []string{"-model", filepath.Join(t.TempDir(), "none.gocnn")}, 1, "-model"},
		{"missing data", []string{"-model", path, "-data", t.TempDir()}, 1, "-data"},
		{"help", []string{"-help"}, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tc.args, &stderr, nil)
			var out bytes.Buffer
			code := exitCode(err, &out)
			if code != tc.code {
				t.Fatalf("exit %d, want %d: %v", code, tc.code, err)
			}
			if tc.code != 0 {
				if !strings.Contains(out.String(), tc.want) || strings.Count(out.String(), "\n") != 1 {
					t.Errorf("message %q, want one line containing %q", out.String(), tc.want)
				}
			}
		})
	}
}

// TestRun serves two models, named by file and by -name, answers a
// predict and a random test image, and stops without error when its
// context ends.
func TestRun(t *testing.T) {
	path, dir := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-model", path, "-model", path, "-name", "first", "-addr", "127.0.0.1:0", "-data", dir},
			io.Discard, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path, body, want string }{
		{"GET", "/healthz", "", "ok"},
		{"GET", "/v1/models/first", "", "AVAILABLE"},
		{"GET", "/v1/models/model/metadata", "", `"shape":[-1,10]`},
		{"POST", "/v1/models/model:predict", `{"instances": [[` + strings.Repeat("0,", 783) + `1]]}`, `"predictions":[[`},
		{"GET", "/ui/random", "", `"label":`},
		{"GET", "/ui/info", "", `"random_images":2`},
	} {
		req, _ := http.NewRequest(tc.method, "http://"+addr+tc.path, strings.NewReader(tc.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s %s: %d %s, want %q", tc.method, tc.path, resp.StatusCode, b, tc.want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after the context ends: %v", err)
	}
}

// TestSignal: the command, started as a process, shuts down on SIGTERM
// and SIGINT and exits 0.
func TestSignal(t *testing.T) {
	path, dir := fixture(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			srv := testutil.StartServer(t, "GOCNN_SERVE_MAIN=1", "GOCNN_SERVE_ARGS=-model "+path+" -addr 127.0.0.1:0 -data "+dir)
			addr := srv.Addr
			resp, err := http.Get("http://" + addr + "/v1/models/model")
			if err != nil {
				t.Fatal(err)
			}
			var status map[string]any
			json.NewDecoder(resp.Body).Decode(&status)
			resp.Body.Close()
			if status["model_version_status"] == nil {
				t.Errorf("status: %v", status)
			}
			if err := srv.Cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			rest := srv.Rest()
			if err := srv.Cmd.Wait(); err != nil {
				t.Errorf("exit: %v\n%s%s", err, srv.Log, rest)
			}
			if !strings.Contains(rest, "msg=stopped") {
				t.Errorf("no graceful stop in the log:\n%s", rest)
			}
		})
	}
}

// TestShutdownFinishesInFlight: a request waiting in a batch when the
// shutdown begins is still answered, and run returns without error.
func TestShutdownFinishesInFlight(t *testing.T) {
	path, dir := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-model", path, "-addr", "127.0.0.1:0", "-data", dir, "-max-batch", "8", "-batch-timeout", "2s"},
			io.Discard, func(a string) { addrs <- a })
	}()
	addr := <-addrs
	answer := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+addr+"/v1/models/model:predict", "application/json",
			strings.NewReader(`{"instances": [[`+strings.Repeat("0,", 783)+`1]]}`))
		if err != nil {
			t.Error(err)
			answer <- 0
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		answer <- resp.StatusCode
	}()
	// Wait until the request is in flight: the scrape itself is the other.
	for len(answer) == 0 {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "gocnn_serve_in_flight_requests 2") {
			break
		}
	}
	cancel()
	if code := <-answer; code != http.StatusOK {
		t.Errorf("the request in flight got %d", code)
	}
	if err := <-done; err != nil {
		t.Errorf("shutdown: %v", err)
	}
}

// TestRunImageModel serves an RGB model with class names, as one trained on
// a folder of one's own images would be, and answers a JPEG upload of
// another size with the class's name.
func TestRunImageModel(t *testing.T) {
	dir := t.TempDir()
	net, err := model.NewSequential([]int{3, 12, 10}, []layers.Layer{layers.Conv2D(2, 3, 3), layers.Flatten(),
		layers.Dense(2, layers.Activation(ops.Softmax))}, model.ClassNames("apple", "pear"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.gocnn")
	if err := net.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 31, 17))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, img, nil); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	_, mnist := fixture(t) // MNIST's test images, so that nothing depends on the module cache
	go func() {
		done <- run(ctx, []string{"-model", path, "-addr", "127.0.0.1:0", "-data", mnist}, io.Discard, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+addr+"/v1/models/model:predict", "image/jpeg", &jpg)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct {
		Predictions [][]float32
		Classes     []string
	}
	if err := json.Unmarshal(b, &answer); resp.StatusCode != 200 || err != nil || len(answer.Predictions) != 1 || len(answer.Classes) != 1 {
		t.Fatalf("%d %s (%v)", resp.StatusCode, b, err)
	}
	want := "apple"
	if answer.Predictions[0][1] > answer.Predictions[0][0] {
		want = "pear"
	}
	if answer.Classes[0] != want {
		t.Errorf("class %q for predictions %v, want %q", answer.Classes[0], answer.Predictions[0], want)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after the context ends: %v", err)
	}
}

// TestShutdownSlowClient: a client that sends half a request and then
// nothing does not turn a graceful stop into an error: after
// -shutdown-timeout its connection is closed, the log says so, and run
// returns nil (exit 0).
func TestShutdownSlowClient(t *testing.T) {
	path, dir := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	var log testutil.SyncBuffer
	go func() {
		done <- run(ctx, []string{"-model", path, "-addr", "127.0.0.1:0", "-data", dir, "-shutdown-timeout", "100ms"},
			&log, func(a string) { addrs <- a })
	}()
	addr := <-addrs
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The headers promise 1000 bytes of body; 10 come.
	fmt.Fprintf(conn, "POST /v1/models/model:predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"instanc")
	// Wait until the request is in flight: the scrape itself is the other.
	for {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(b), "gocnn_serve_in_flight_requests 2") {
			break
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("shutdown with a slow client: %v\n%s", err, log.String())
	}
	if !strings.Contains(log.String(), "closing the connections still open") {
		t.Errorf("the log does not say the slow connection was closed:\n%s", log.String())
	}
}

// TestRunModelDir serves a model directory, polled every 50ms: version 1
// is served, and version 2, dropped in while the server runs, becomes the
// one served and is listed in the status.
func TestRunModelDir(t *testing.T) {
	path, mnist := fixture(t)
	dir := t.TempDir()
	put := func(v string) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		tmp := filepath.Join(dir, "digits", "."+v)
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, "model.gocnn"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "digits", v)); err != nil {
			t.Fatal(err)
		}
	}
	put("1")
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-model-dir", dir, "-poll", "50ms", "-addr", "127.0.0.1:0", "-data", mnist}, io.Discard, func(a string) { addrs <- a })
	}()
	var addr string
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatal(err)
	}
	get := func(p string) string {
		resp, err := http.Get("http://" + addr + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return string(b)
	}
	if got := get("/v1/models/digits/metadata"); !strings.Contains(got, `"version":"1"`) {
		t.Errorf("metadata: %s", got)
	}
	put("2")
	for i := 0; !strings.Contains(get("/v1/models/digits/metadata"), `"version":"2"`); i++ {
		if i == 6000 {
			t.Fatal("version 2 not served within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := get("/v1/models/digits"); !strings.Contains(got, `"version":"2"`) || !strings.Contains(got, `"version":"1"`) {
		t.Errorf("status: %s", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("after the context ends: %v", err)
	}
}
