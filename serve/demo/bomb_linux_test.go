package demo

import (
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/gocnn/cnn/internal/testutil"
)

const bombEnv = "GOCNN_SERVE_BOMB_CHILD"

// TestImageBomb: 32 concurrent uploads of the largest image allowed
// (2048×2048, a few KiB of PNG that decodes to 4 Mi pixels each) and one
// that declares 2^32 pixels keep the server's peak memory under 150 MiB:
// the pixel limit is checked before decoding, and few images decode at
// once. The work runs in a child process, whose peak RSS the parent reads.
func TestImageBomb(t *testing.T) {
	if os.Getenv(bombEnv) != "" {
		s, _ := newServer(t)
		big := encodePNG(t, digitImage(2048, 2048))
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				code, body, _ := do(t, s, "POST", "/v1/models/digits:predict", "image/png", big)
				if code != http.StatusOK {
					t.Errorf("upload %d: %d %s", i, code, body)
				}
			})
		}
		wg.Go(func() {
			if code, body, _ := do(t, s, "POST", "/v1/models/digits:predict", "image/png", hugePNG(t, 1<<16, 1<<16)); code != http.StatusRequestEntityTooLarge {
				t.Errorf("2^32 pixels: %d %s", code, body)
			}
		})
		wg.Wait()
		t.Logf("PNG of %d bytes", len(big))
		return
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory and time; go test without -race checks the bound")
	}
	out, rss := testutil.Child(t, "TestImageBomb", bombEnv, "1")
	const bound = 150 << 20
	t.Logf("child's peak RSS %.0f MiB (bound %d MiB)", float64(rss)/(1<<20), bound>>20)
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB\n%s", float64(rss)/(1<<20), bound>>20, out)
	}
}
