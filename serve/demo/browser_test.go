package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/serve"
)

// The browser test's environment: GOCNN_SERVE_SCREENSHOT is a path to
// write the page's screenshot to as well (such as docs/serve.png for the
// README), and GOCNN_SERVE_MODEL a model file to serve instead of the
// untrained test model (a trained one, for a screenshot worth showing).
const (
	screenshotEnv = "GOCNN_SERVE_SCREENSHOT"
	modelEnv      = "GOCNN_SERVE_MODEL"
)

// pressed holds the left button down during a mouse event.
func pressed(p *input.DispatchMouseEventParams) {
	p.Button, p.Buttons, p.ClickCount = input.MouseButtonLeft, 1, 1
}

// TestBrowser opens the page in headless Chromium, draws a "1" with the
// mouse (real input events, sent through the DevTools protocol, which the
// page receives as pointer events), and checks that the class the page
// shows is what the API answers for the 28×28 input the page sent, and
// that the input is a tall thin stroke. It saves a screenshot, checks
// that clear and the random test image work, then, on a phone-sized
// screen with touch, that the page fits the screen's width and that the
// same stroke drawn with a finger passes the same checks.
func TestBrowser(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (apt-get install chromium): the browser test needs Debian's Chromium")
	}
	if testing.Short() {
		t.Skip("-short: the browser test starts Chromium")
	}
	ts, m := pageServer(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(960, 760))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// A guard against a hung browser, not a timed assertion.
	guard := time.AfterFunc(2*time.Minute, cancel)
	defer guard.Stop()

	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL), chromedp.WaitReady("body[data-ready]")); err != nil {
		t.Fatal(err)
	}
	var box struct{ X, Y, W, H float64 }
	if box, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y, W, H float64 }](
		`(r => ({X: r.left, Y: r.top, W: r.width, H: r.height}))(document.getElementById("pad").getBoundingClientRect())`)); err != nil {
		t.Fatal(err)
	}
	// A "1": a slight slant from the top right to the bottom, in steps.
	x0, y0, x1, y1 := box.X+box.W*0.55, box.Y+box.H*0.18, box.X+box.W*0.47, box.Y+box.H*0.84
	stroke := []chromedp.Action[chromedp.Void]{chromedp.MouseEvent(chromedp.MousePressed, x0, y0, pressed)}
	for i := 1; i <= 12; i++ {
		f := float64(i) / 12
		stroke = append(stroke, chromedp.MouseEvent(chromedp.MouseMoved, x0+(x1-x0)*f, y0+(y1-y0)*f, pressed))
	}
	stroke = append(stroke, chromedp.MouseEvent(chromedp.MouseReleased, x1, y1, pressed),
		chromedp.WaitReady(`body[data-predictions="1"]`))
	if err := chromedp.Do(ctx, stroke...); err != nil {
		t.Fatal(err)
	}
	checkStroke(ctx, t, "mouse", ts.URL+"/v1/models/"+m.Name+":predict")

	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dst := []string{filepath.Join(t.TempDir(), "serve.png")}
	if p := os.Getenv(screenshotEnv); p != "" {
		dst = append(dst, p)
	}
	for _, p := range dst {
		if err := atomicfile.Write(p, func(w io.Writer) error { _, err := w.Write(shot); return err }); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s (%d bytes)", p, len(shot))
	}

	// Clear, then a random test image.
	if err := chromedp.Do(ctx, chromedp.Click("#clear"), chromedp.WaitReady(`#conf`)); err != nil {
		t.Fatal(err)
	}
	if cls, err := chromedp.Run(ctx, chromedp.Text("#cls")); err != nil || cls != "?" {
		t.Errorf("after clear the class is %q (%v)", cls, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click("#random"), chromedp.WaitReady(`body[data-predictions="2"]`)); err != nil {
		t.Fatal(err)
	}
	if note, err := chromedp.Run(ctx, chromedp.Text("#note")); err != nil || !bytes.Contains([]byte(note), []byte("labelled")) {
		t.Errorf("after the random image the note says %q (%v)", note, err)
	}

	// A phone: nothing wider than the screen.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Navigate(ts.URL), chromedp.WaitReady("body[data-ready]")); err != nil {
		t.Fatal(err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 360 {
		t.Errorf("on a 360-pixel-wide phone the page is %d pixels wide", width)
	}

	// A finger: the same stroke with touch events.
	if box, err = chromedp.Run(ctx, chromedp.Evaluate[struct{ X, Y, W, H float64 }](
		`(r => ({X: r.left, Y: r.top, W: r.width, H: r.height}))(document.getElementById("pad").getBoundingClientRect())`)); err != nil {
		t.Fatal(err)
	}
	touch := func(typ input.DispatchTouchEventType, f float64) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			p := input.DispatchTouchEventParams{Type: typ, TouchPoints: []*input.TouchPoint{}}
			if typ != input.DispatchTouchEventTypeTouchEnd {
				p.TouchPoints = []*input.TouchPoint{{X: box.X + box.W*(0.55-0.08*f), Y: box.Y + box.H*(0.18+0.66*f)}}
			}
			_, err := cdp.Call(ctx, tg, input.DispatchTouchEvent, p)
			return err
		})
	}
	fingers := []chromedp.Action[chromedp.Void]{touch(input.DispatchTouchEventTypeTouchStart, 0)}
	for i := 1; i <= 12; i++ {
		fingers = append(fingers, touch(input.DispatchTouchEventTypeTouchMove, float64(i)/12))
	}
	fingers = append(fingers, touch(input.DispatchTouchEventTypeTouchEnd, 1), chromedp.WaitReady(`body[data-predictions="1"]`))
	if err := chromedp.Do(ctx, fingers...); err != nil {
		t.Fatal(err)
	}
	checkStroke(ctx, t, "touch", ts.URL+"/v1/models/"+m.Name+":predict")
}

// pageServer serves the page for the browser tests: the untrained test
// model, or the model file GOCNN_SERVE_MODEL names, with test images. The
// server closes when the test ends.
func pageServer(t *testing.T) (*httptest.Server, *serve.Model) {
	t.Helper()
	path := modelFile(t)
	if p := os.Getenv(modelEnv); p != "" {
		path = p
	}
	m, err := Load(path, "")
	if err != nil {
		t.Fatal(err)
	}
	s := newPage(t, []*serve.Model{m})
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, m
}

// checkStroke reads what the page in Chromium shows and sent after a
// stroke, and checks it with checkSent.
func checkStroke(ctx context.Context, t *testing.T, pointer, url string) {
	t.Helper()
	shown, err := chromedp.Run(ctx, chromedp.Text("#cls"))
	if err != nil {
		t.Fatal(err)
	}
	sent, err := chromedp.Run(ctx, chromedp.Evaluate[[][]float32](`window.lastInstance`))
	if err != nil {
		t.Fatal(err)
	}
	checkSent(t, pointer, url, sent, shown)
}

// checkSent checks that the input the page sent for a "1" drawn by pointer
// is a tall thin stroke, and that the class the page shows is the one the
// API at url answers for that input.
func checkSent(t *testing.T, pointer, url string, sent [][]float32, shown string) {
	t.Helper()
	if len(sent) != 28 || len(sent[0]) != 28 {
		t.Fatalf("%s: the page sent a %d-row input", pointer, len(sent))
	}
	var flat []float32
	for _, row := range sent {
		flat = append(flat, row...)
	}
	_, cx, cy, ink := moments(flat)
	if ink.Dy() < 18 || ink.Dx() > 10 {
		t.Errorf("%s: the stroke is not a tall thin 1: its box is %v", pointer, ink)
	}
	body, _ := json.Marshal(map[string]any{"instances": [][][]float32{sent}})
	resp, err := http.Post(url, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var api struct{ Predictions [][]float32 }
	if err := json.Unmarshal(b, &api); err != nil || len(api.Predictions) != 1 {
		t.Fatalf("%s: API: %v: %s", pointer, err, b)
	}
	want := model.Argmax(api.Predictions[0])
	if shown != strconv.Itoa(want) {
		t.Errorf("%s: the page shows class %s, the API answers %d for the same input (%v)", pointer, shown, want, api.Predictions[0])
	}
	t.Logf("%s: ink box %v, centre of mass (%.1f, %.1f); page class %s, API class %d (p = %.3f)", pointer, ink, cx, cy, shown, want, api.Predictions[0][want])
}
