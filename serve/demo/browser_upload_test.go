package demo

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gocnn/cnn/internal/modeltest"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/serve"
)

// TestBrowserUpload opens the page of an RGB model with class names in
// headless Chromium, uploads a PNG through the file input, and checks that
// the page shows the class name the API answers for the same file, and
// what the model saw: 3 planes of 16×20.
func TestBrowserUpload(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (apt-get install chromium): the browser test needs Debian's Chromium")
	}
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	net := modeltest.ImageModel(t, []int{3, 16, 20}, "cat", "dog", "bird")
	s := newPage(t, []*serve.Model{{Name: "pets", Net: net}})
	ts := httptest.NewServer(s)
	defer ts.Close()
	png := testutil.EncodePNG(t, testutil.ColourImage(40, 33))
	path := filepath.Join(t.TempDir(), "pet.png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	code, body, _ := testutil.Do(t, s, "POST", "/v1/models/pets:predict", "image/png", png)
	var api struct{ Classes []string }
	if err := json.Unmarshal(body, &api); code != 200 || err != nil || len(api.Classes) != 1 {
		t.Fatalf("API: %d %s %v", code, body, err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(960, 760))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// A guard against a hung browser, not a timed assertion.
	guard := time.AfterFunc(2*time.Minute, cancel)
	defer guard.Stop()

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL), chromedp.WaitReady("body[data-ready]"),
		chromedp.SetUploadFiles("#file", []string{path}), chromedp.WaitReady(`body[data-predictions="1"]`)); err != nil {
		t.Fatal(err)
	}
	shown, err := chromedp.Run(ctx, chromedp.Text("#cls"))
	if err != nil {
		t.Fatal(err)
	}
	if shown != api.Classes[0] {
		t.Errorf("the page shows %q, the API answers %q", shown, api.Classes[0])
	}
	seen, err := chromedp.Run(ctx, chromedp.Evaluate[[][][]float32](`window.lastInstance`))
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 3 || len(seen[0]) != 16 || len(seen[0][0]) != 20 {
		t.Errorf("the page's input is not 3 planes of 16 rows of 20 values: %d planes", len(seen))
	}
	title, err := chromedp.Run(ctx, chromedp.Text("#title"))
	if err != nil || title != "Classify an image" {
		t.Errorf("title %q (%v)", title, err)
	}
	random, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.getElementById("random").disabled`))
	if err != nil || !random {
		t.Errorf("the random MNIST button is not disabled for an RGB model (%v)", err)
	}
	t.Logf("page and API: %s", shown)
}
