package demo

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/atomicfile"
)

// marionette is a client of Firefox's Marionette protocol (its WebDriver
// endpoint): each message is a decimal length, a colon and a JSON array,
// [0, id, command, parameters] one way and [1, id, error, result] back.
type marionette struct {
	conn net.Conn
	r    *bufio.Reader
	id   int
}

// call sends one command and returns its result's "value" field.
func (c *marionette) call(command string, params any) (json.RawMessage, error) {
	c.id++
	b, err := json.Marshal([]any{0, c.id, command, params})
	if err != nil {
		return nil, err
	}
	if _, err := fmt.Fprintf(c.conn, "%d:%s", len(b), b); err != nil {
		return nil, errors.Wrap(err, command)
	}
	var reply []json.RawMessage
	if err := c.read(&reply); err != nil {
		return nil, errors.Wrap(err, command)
	}
	if len(reply) != 4 {
		return nil, errors.Errorf("%s: a reply of %d fields", command, len(reply))
	}
	if string(reply[2]) != "null" {
		return nil, errors.Errorf("%s: %s", command, reply[2])
	}
	var res struct{ Value json.RawMessage }
	if err := json.Unmarshal(reply[3], &res); err != nil {
		return nil, errors.Wrap(err, command)
	}
	return res.Value, nil
}

// read reads one message into v.
func (c *marionette) read(v any) error {
	n, err := c.r.ReadString(':')
	if err != nil {
		return err
	}
	size, err := strconv.Atoi(strings.TrimSuffix(n, ":"))
	if err != nil || size < 0 || size > 64<<20 {
		return errors.Errorf("bad message length %q", n)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(c.r, b); err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// eval runs a script in the page and decodes what it returns into v.
func (c *marionette) eval(script string, v any) error {
	res, err := c.call("WebDriver:ExecuteScript", map[string]any{"script": script, "args": []any{}})
	if err != nil {
		return err
	}
	return json.Unmarshal(res, v)
}

// TestFirefox opens the page in headless Firefox, draws a "1" with the
// mouse and then with a finger (real input through WebDriver actions,
// which the page receives as pointer events) and checks, as TestBrowser
// does in Chromium, that the class the page shows is what the API answers
// for the 28×28 input the page sent; it saves a screenshot.
func TestFirefox(t *testing.T) {
	firefox, err := exec.LookPath("firefox-esr")
	if err != nil {
		if firefox, err = exec.LookPath("firefox"); err != nil {
			t.Skip("no firefox-esr or firefox on PATH (apt-get install firefox-esr): the Firefox test needs it")
		}
	}
	if testing.Short() {
		t.Skip("-short: the Firefox test starts Firefox")
	}
	ts, m := pageServer(t)

	// A free port for Marionette, set in a fresh profile.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	profile := t.TempDir()
	if err := os.WriteFile(filepath.Join(profile, "user.js"), []byte(fmt.Sprintf("user_pref(\"marionette.port\", %d);\n", port)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(firefox, "--headless", "--marionette", "--no-remote", "--profile", profile, "--window-size=1000,900")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// A guard against a hung browser, not a timed assertion.
	guard := time.AfterFunc(2*time.Minute, func() { cmd.Process.Kill() })
	defer guard.Stop()

	var conn net.Conn
	for i := 0; ; i++ {
		if conn, err = net.Dial("tcp", fmt.Sprint("127.0.0.1:", port)); err == nil {
			break
		}
		if i == 300 {
			t.Fatalf("Firefox's Marionette port never opened: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	defer conn.Close()
	c := &marionette{conn: conn, r: bufio.NewReader(conn)}
	var hello map[string]any
	if err := c.read(&hello); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call("WebDriver:NewSession", map[string]any{"capabilities": map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.call("WebDriver:Navigate", map[string]any{"url": ts.URL}); err != nil {
		t.Fatal(err)
	}
	var agent string
	if err := c.eval(`return navigator.userAgent`, &agent); err != nil {
		t.Fatal(err)
	}
	// waitFor polls a script until it returns true.
	waitFor := func(what, script string) {
		t.Helper()
		for i := 0; ; i++ {
			var ok bool
			if err := c.eval(script, &ok); err != nil {
				t.Fatal(err)
			}
			if ok {
				return
			}
			if i == 300 {
				t.Fatalf("%s: the page never got there", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("ready", `return document.body.hasAttribute("data-ready")`)
	url := ts.URL + "/v1/models/" + m.Name + ":predict"
	for i, pointer := range []string{"mouse", "touch"} {
		var r [4]float64
		if err := c.eval(`const r = document.getElementById("pad").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]`, &r); err != nil {
			t.Fatal(err)
		}
		// A "1": a slight slant from the top right to the bottom, in steps.
		at := func(f float64) map[string]any {
			return map[string]any{"type": "pointerMove", "origin": "viewport", "duration": 10,
				"x": int(r[0] + r[2]*(0.55-0.08*f)), "y": int(r[1] + r[3]*(0.18+0.66*f))}
		}
		acts := []any{at(0), map[string]any{"type": "pointerDown", "button": 0}}
		for s := 1; s <= 12; s++ {
			acts = append(acts, at(float64(s)/12))
		}
		acts = append(acts, map[string]any{"type": "pointerUp", "button": 0})
		if _, err := c.call("WebDriver:PerformActions", map[string]any{"actions": []any{map[string]any{
			"type": "pointer", "id": pointer, "parameters": map[string]any{"pointerType": pointer}, "actions": acts}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.call("WebDriver:ReleaseActions", map[string]any{}); err != nil {
			t.Fatal(err)
		}
		waitFor(pointer+" stroke", fmt.Sprintf(`return document.body.dataset.predictions == "%d"`, i+1))
		var sent [][]float32
		var shown string
		if err := c.eval(`return window.lastInstance`, &sent); err != nil {
			t.Fatal(err)
		}
		if err := c.eval(`return document.getElementById("cls").textContent`, &shown); err != nil {
			t.Fatal(err)
		}
		checkSent(t, pointer, url, sent, shown)
	}
	shot, err := c.call("WebDriver:TakeScreenshot", map[string]any{"full": false})
	if err != nil {
		t.Fatal(err)
	}
	var b64 string
	if err := json.Unmarshal(shot, &b64); err != nil {
		t.Fatal(err)
	}
	png, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "firefox.png")
	if err := atomicfile.Write(path, func(w io.Writer) error { _, err := w.Write(png); return err }); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s; screenshot: %s (%d bytes)", agent, path, len(png))
}
