package serve

import (
	"net/http"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

// TestImageBomb: a flood of the largest uploads allowed and one image that
// declares 2^32 pixels keep the server's peak memory bounded
// (testutil.ImageBomb): the pixel limit is checked before decoding, and
// few images decode at once.
func TestImageBomb(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector multiplies memory and time; go test without -race checks the bound")
	}
	testutil.ImageBomb(t, "TestImageBomb", func(t testing.TB) http.Handler {
		s, _ := newServer(t)
		return s
	}, "/v1/models/digits:predict")
}
