package serve

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocnn/cnn/internal/testutil"
)

const overloadEnv = "GOCNN_SERVE_OVERLOAD_CHILD"

// overloadBody is a predict request of about 7 MiB: 1025 instances of 784
// values written with 8 digits each. The server reads and decodes 1024
// instances, 3 MiB of values, before it refuses the 1025th, so each
// request costs what a full one does while it is decoded.
func overloadBody() []byte {
	row := "[" + strings.TrimSuffix(strings.Repeat("0.000000,", 784), ",") + "]"
	return []byte(`{"instances": [` + strings.TrimSuffix(strings.Repeat(row+",", 1025), ",") + `]}`)
}

// TestOverload: 300 concurrent requests of about 7 MiB each over loopback
// keep the server's peak memory under 1 GiB (unbounded, each held about
// 30 MiB at once). Requests past the in-flight bound get 503 with
// Retry-After, the others their answer (a 400 for the 1025th instance),
// /healthz answers during the load, and the server stays up. The server
// runs in a child process, whose peak RSS the parent reads; the clients
// run in the parent, and each sends one request.
func TestOverload(t *testing.T) {
	if os.Getenv(overloadEnv) != "" {
		s, _ := newServer(t)        // the default bounds
		ts := httptest.NewServer(s) // 127.0.0.1
		defer ts.Close()
		fmt.Printf("addr=%s\n", ts.URL)
		io.Copy(io.Discard, os.Stdin) // until the parent closes it
		return
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory and time; go test without -race checks the bound")
	}
	if testing.Short() {
		t.Skip("-short: the overload test sends 2 GiB over loopback")
	}
	clients := 300
	if v, err := strconv.Atoi(os.Getenv("GOCNN_SERVE_OVERLOAD_CLIENTS")); err == nil && v > 0 {
		clients = v // to measure the server without a bound on fewer clients
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestOverload$")
	cmd.Env = append(os.Environ(), overloadEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	var url string
	for url == "" && lines.Scan() {
		url, _ = strings.CutPrefix(lines.Text(), "addr=")
	}
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("the child did not serve on loopback: %q\n%s", url, stderr.String())
	}
	go io.Copy(io.Discard, stdout)

	body := overloadBody()
	client := &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{}}
	var (
		mu        sync.Mutex
		codes     = map[int]int{}
		noRetry   int
		transport []error
		wg        sync.WaitGroup
		first503  = make(chan struct{})
		once      sync.Once
	)
	for range clients {
		wg.Go(func() {
			resp, err := client.Post(url+"/v1/models/digits:predict", "application/json", bytes.NewReader(body))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				transport = append(transport, err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes[resp.StatusCode]++
			if resp.StatusCode == http.StatusServiceUnavailable {
				if resp.Header.Get("Retry-After") == "" {
					noRetry++
				}
				once.Do(func() { close(first503) })
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-first503:
		// The server is overloaded now: it must still say it is alive.
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			t.Errorf("/healthz during the overload: %v", err)
		} else {
			if resp.StatusCode != http.StatusOK {
				t.Errorf("/healthz during the overload: %d", resp.StatusCode)
			}
			resp.Body.Close()
		}
	case <-done:
		t.Errorf("no request got 503")
	}
	<-done
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatalf("/healthz after the overload: %v\n%s", err, stderr.String())
	}
	resp.Body.Close()
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v\n%s", err, stderr.String())
	}
	rss := testutil.PeakRSS(cmd.ProcessState)
	const bound = 1 << 30
	t.Logf("%d clients: answers by status %v, %d transport errors; child's peak RSS %.0f MiB (bound %d MiB)",
		clients, codes, len(transport), float64(rss)/(1<<20), bound>>20)
	for i, err := range transport[:min(3, len(transport))] {
		t.Logf("transport error %d: %v", i, err)
	}
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB", float64(rss)/(1<<20), bound>>20)
	}
	for code, n := range codes {
		if code != http.StatusBadRequest && code != http.StatusServiceUnavailable {
			t.Errorf("%d answers of status %d", n, code)
		}
	}
	if noRetry > 0 {
		t.Errorf("%d answers of 503 without Retry-After", noRetry)
	}
}
