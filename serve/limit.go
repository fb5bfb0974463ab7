package serve

import (
	"bytes"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/pkg/errors"
)

// DefaultBodyBudget is the default of BodyBudget where no memory limit
// (GOMEMLIMIT) is set: 64 MiB of request bodies held at once. A JSON body
// holds about four times its size while it is decoded (the body, the
// decoder's copy of "instances", the values), and the garbage collector
// lets the heap grow to about twice what is live, so this keeps the
// bodies' share of memory near half a GiB however many requests come.
const DefaultBodyBudget = 64 << 20

// DefaultMaxInflight is the default of MaxInflight: 16 requests per
// core that Go may use (GOMAXPROCS), and at least 64. Requests past the
// body budget wait for it without reading their bodies, so they cost
// little memory; the bound keeps their number, and so the server's
// goroutines and the time they wait, in proportion to the cores that
// serve them.
func DefaultMaxInflight() int { return max(64, 16*runtime.GOMAXPROCS(0)) }

// defaultBodyBudget is the memory limit's eighth where one is set
// (GOMEMLIMIT, or debug.SetMemoryLimit), DefaultBodyBudget otherwise, and
// at least one body of maxBody bytes.
func defaultBodyBudget(maxBody int64) int64 {
	b := int64(DefaultBodyBudget)
	if lim := debug.SetMemoryLimit(-1); lim > 0 && lim < math.MaxInt64 {
		b = lim / 8
	}
	return max(b, maxBody)
}

// MaxInflight sets the most requests to /v1/ served at once (default
// DefaultMaxInflight()); past it a request gets 503 with a Retry-After
// header at once. /healthz, /metrics and the page do not count.
func MaxInflight(n int) Option { return func(c *config) { c.maxInflight = n } }

// BodyBudget sets the most bytes of request bodies that are read or
// decoded at once (default: an eighth of GOMEMLIMIT if set, else
// DefaultBodyBudget; at least the max body). A request whose body does not
// fit waits, without reading it, until earlier ones are answered, in the
// order they came, or until its client gives up. A request of unknown
// length (chunked) counts as the max body.
func BodyBudget(n int64) Option { return func(c *config) { c.bodyBudget = n } }

// retryAfter is the Retry-After, in seconds, of a 503 for overload.
const retryAfter = 1

// limitInflight answers 503 with Retry-After to requests past the
// in-flight bound, and serves the others with h.
func (s *Server) limitInflight(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case s.inflight <- struct{}{}:
			defer func() { <-s.inflight }()
			h.ServeHTTP(w, r)
		default:
			s.rejected.Inc()
			w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
			// The body is not read: close the connection after the answer
			// rather than read what may be megabytes to keep it.
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusServiceUnavailable, errors.Errorf("overloaded: %d requests are being served; retry after %ds", cap(s.inflight), retryAfter))
		}
	})
}

// readBody waits until the request's body fits the body budget, then
// reads it, up to the max body, answering 413 past it. The caller must
// call release, once the body and what was decoded from it are no longer
// needed, when ok is true.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), ok bool) {
	n := r.ContentLength
	if n > s.cfg.maxBody {
		w.Header().Set("Connection", "close")
		writeError(w, http.StatusRequestEntityTooLarge, errors.Errorf("request body over the limit of %d bytes", s.cfg.maxBody))
		return nil, nil, false
	}
	if n < 0 {
		n = s.cfg.maxBody
	}
	got, err := s.bodies.acquire(r.Context(), n)
	if err != nil {
		// The client has gone while waiting: nobody reads an answer.
		return nil, nil, false
	}
	release = func() { s.bodies.release(got) }
	buf := bytes.NewBuffer(make([]byte, 0, min(n, s.cfg.maxBody)+bytes.MinRead))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, s.cfg.maxBody)); err != nil {
		release()
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			writeError(w, http.StatusRequestEntityTooLarge, errors.Errorf("request body over the limit of %d bytes", mb.Limit))
		} else {
			writeError(w, http.StatusBadRequest, errors.Wrap(err, "reading the request body"))
		}
		return nil, nil, false
	}
	return buf.Bytes(), release, true
}
