package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// loadResult is what a load run measured.
type loadResult struct {
	errors              int
	p50, p99, wall      time.Duration
	requests, instances int
}

func (r loadResult) String() string {
	return fmt.Sprintf("%d requests (%d instances), %d errors: p50 %v, p99 %v, %.0f requests/s, %.0f instances/s",
		r.requests, r.instances, r.errors, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
		float64(r.requests)/r.wall.Seconds(), float64(r.instances)/r.wall.Seconds())
}

// loadRequest is one request of a load run and the answer a serial
// Predict gives for it.
type loadRequest struct {
	body []byte
	want [][]float32
}

// loadRequests makes n requests of 1 to most distinct instances each,
// with the answers of serial Predict calls.
func loadRequests(t testing.TB, m *Model, n, most int) []loadRequest {
	t.Helper()
	reqs := make([]loadRequest, n)
	for i := range reqs {
		var xs []any
		var flat []float32
		for k := range 1 + i%most {
			x := testInput(i*3 + k)
			xs = append(xs, nested(x))
			flat = append(flat, x...)
		}
		y, err := m.Net.Predict(flat)
		if err != nil {
			t.Fatal(err)
		}
		reqs[i].body = instances(xs...)
		for k := range len(xs) {
			reqs[i].want = append(reqs[i].want, y[k*10:(k+1)*10])
		}
	}
	return reqs
}

// load sends total requests, cycling through reqs, from clients
// goroutines over HTTP, each client its share in turn, checks every answer
// against want and reports.
func load(t testing.TB, url string, reqs []loadRequest, clients, total int) loadResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	lat := make([]time.Duration, total)
	var mu sync.Mutex
	res := loadResult{requests: total}
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			for i := c; i < total; i += clients {
				r := reqs[i%len(reqs)]
				t0 := time.Now()
				err := check(client, url, r)
				lat[i] = time.Since(t0)
				mu.Lock()
				res.instances += len(r.want)
				if err != nil {
					res.errors++
					if res.errors <= 3 {
						t.Errorf("request %d: %v", i, err)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.wall = time.Since(start)
	slices.Sort(lat)
	res.p50, res.p99 = lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
	return res
}

// check posts one request and compares the answer with what serial
// Predict gave.
func check(client *http.Client, url string, r loadRequest) error {
	resp, err := client.Post(url, "application/json", bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	var out struct{ Predictions [][]float32 }
	if err := json.Unmarshal(b, &out); err != nil {
		return err
	}
	if len(out.Predictions) != len(r.want) {
		return fmt.Errorf("%d predictions, want %d", len(out.Predictions), len(r.want))
	}
	for k, p := range out.Predictions {
		if !slices.Equal(p, r.want[k]) {
			return fmt.Errorf("instance %d: %v, serial Predict gives %v", k, p, r.want[k])
		}
	}
	return nil
}

// heapMiB is the live heap after a full collection.
func heapMiB() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapAlloc) / (1 << 20)
}

// TestLoad: 16 clients send 480 requests on loopback, with batching on and
// off. There are no errors, every answer equals a serial Predict of the
// same instances, and the heap after the load is back near its level
// before it (a second run of the load, after a first that compiled the
// graphs, must not grow it by more than 32 MiB).
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the load test sends 960 requests")
	}
	const clients, requests = 16, 240
	for _, tc := range []struct {
		name     string
		maxBatch int
	}{{"batching", 32}, {"no batching", 1}} {
		t.Run(tc.name, func(t *testing.T) {
			s, m := newServer(t, MaxBatch(tc.maxBatch))
			reqs := loadRequests(t, m, requests, 3)
			ts := httptest.NewServer(s)
			defer ts.Close()
			url := ts.URL + "/v1/models/digits:predict"
			warm := load(t, url, reqs, clients, requests) // compiles the graphs the batches need
			before := heapMiB()
			res := load(t, url, reqs, clients, requests)
			after := heapMiB()
			t.Logf("%d clients, max batch %d: %v (first run: %v)", clients, tc.maxBatch, res, warm)
			t.Logf("heap %.1f MiB before the second run, %.1f MiB after", before, after)
			if warm.errors+res.errors > 0 {
				t.Errorf("%d errors", warm.errors+res.errors)
			}
			if after > before+32 {
				t.Errorf("heap grew from %.1f MiB to %.1f MiB over the load", before, after)
			}
		})
	}
}

// BenchmarkServe measures what batching buys: single-instance predict
// requests over loopback HTTP from 1, 8, 32 and 128 concurrent clients,
// with batching on (max batch 32, timeout 2ms) and off. It reports
// requests per second, the p50 and p99 latency and the mean number of
// instances per forward pass; bench/serve.sh runs it and prints the table.
func BenchmarkServe(b *testing.B) {
	for _, clients := range []int{1, 8, 32, 128} {
		for _, batching := range []bool{true, false} {
			maxBatch := 1
			if batching {
				maxBatch = DefaultMaxBatch
			}
			b.Run(fmt.Sprintf("clients=%d/batching=%v", clients, batching), func(b *testing.B) {
				s, m := newServer(b, MaxBatch(maxBatch))
				ts := httptest.NewServer(s)
				defer ts.Close()
				url := ts.URL + "/v1/models/digits:predict"
				reqs := loadRequests(b, m, 64, 1)
				load(b, url, reqs, clients, 2*clients) // warm up: compile the graphs
				sum0, count0 := batchSizes(b, s)
				b.ResetTimer()
				res := load(b, url, reqs, clients, max(b.N, clients))
				b.StopTimer()
				sum1, count1 := batchSizes(b, s)
				b.ReportMetric((sum1-sum0)/float64(count1-count0), "inst/batch")
				if res.errors > 0 {
					b.Fatalf("%d errors", res.errors)
				}
				b.ReportMetric(float64(res.requests)/res.wall.Seconds(), "req/s")
				b.ReportMetric(float64(res.p50.Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(res.p99.Microseconds())/1000, "p99-ms")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}

// batchSizes returns the sum and the count of the batch sizes the server
// has recorded in /metrics.
func batchSizes(t testing.TB, s *Server) (float64, uint64) {
	mfs, err := s.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "gocnn_serve_batch_size" {
			h := mf.GetMetric()[0].GetHistogram()
			return h.GetSampleSum(), h.GetSampleCount()
		}
	}
	t.Fatal("no gocnn_serve_batch_size in the registry")
	return 0, 0
}
