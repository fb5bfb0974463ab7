package serve

import (
	"net/http"
	"os"
	"sync"
	"testing"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
)

const bombRGBEnv = "GOCNN_SERVE_BOMB_RGB_CHILD"

// TestImageBombRGB: 32 concurrent uploads of the largest image allowed
// (2048×2048) to an RGB model, which converts them with data.ImageValues
// (a decoded image and its RGBA copy, 8 bytes a pixel or more), keep the
// server's peak memory under 250 MiB whatever GOMAXPROCS: no more than
// twice the largest image's pixels decode at once. The work runs in a
// child process, whose peak RSS the parent reads.
func TestImageBombRGB(t *testing.T) {
	if os.Getenv(bombRGBEnv) != "" {
		net := modeltest.ImageModel(t, []int{3, 16, 20}, "cat", "dog", "bird")
		s, err := New([]*Model{{Name: "pets", Net: net}}, Logger(quiet))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		big := testutil.EncodePNG(t, testutil.ColourImage(2048, 2048))
		var wg sync.WaitGroup
		for i := range 32 {
			wg.Go(func() {
				code, body, _ := testutil.Do(t, s, "POST", "/v1/models/pets:predict", "image/png", big)
				if code != http.StatusOK {
					t.Errorf("upload %d: %d %s", i, code, body)
				}
			})
		}
		wg.Wait()
		t.Logf("PNG of %d bytes", len(big))
		return
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory and time; go test without -race checks the bound")
	}
	out, rss := testutil.Child(t, "TestImageBombRGB", bombRGBEnv, "1")
	const bound = 250 << 20
	t.Logf("child's peak RSS %.0f MiB (bound %d MiB)", float64(rss)/(1<<20), bound>>20)
	if rss > bound {
		t.Errorf("peak RSS %.0f MiB, over %d MiB\n%s", float64(rss)/(1<<20), bound>>20, out)
	}
}
