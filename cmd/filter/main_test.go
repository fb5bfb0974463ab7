package main

import (
	"bytes"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// argsEnv carries the arguments of a re-executed test binary that runs main.
const argsEnv = "FILTER_TEST_MAIN_ARGS"

// TestMain runs the command's main instead of the tests when argsEnv is
// set, so that TestExitStatus can check exit statuses and stderr.
func TestMain(m *testing.M) {
	if a, ok := os.LookupEnv(argsEnv); ok {
		os.Args = append([]string{"filter"}, strings.Split(a, "\x1f")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// writePNG writes img to a new file in dir and returns its path.
func writePNG(t *testing.T, dir, name string, img image.Image) string {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// picture is a w×h test pattern, grey or colour.
func picture(w, h int, gray bool) image.Image {
	if gray {
		img := image.NewGray(image.Rect(0, 0, w, h))
		for i := range img.Pix {
			img.Pix[i] = uint8(i * 29)
		}
		return img
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.SetRGBA(x, y, color.RGBA{uint8(x * 40), uint8(y * 30), uint8((x + y) * 17), 255})
		}
	}
	return img
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	in := writePNG(t, dir, "in.png", picture(4, 4, true))
	out := filepath.Join(dir, "out.png")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"-size", "3", in, out}, "size"},
		{"no kernel", []string{in, out}, "-kernel is required"},
		{"unknown kernel", []string{"-kernel", "emboss", in, out}, "emboss"},
		{"no files", []string{"-kernel", "edge"}, "got 0"},
		{"no output", []string{"-kernel", "edge", in}, "got 1"},
		{"extra argument", []string{"-kernel", "edge", in, out, "more.png"}, "more.png"},
		{"flag without value", []string{"-kernel"}, "kernel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run(tc.args, io.Discard, io.Discard)
			var ue usageError
			if !errors.As(err, &ue) {
				t.Fatalf("err = %v (%T), want a usage error", err, err)
			}
			var stderr strings.Builder
			if code := report(err, &stderr); code != 2 {
				t.Errorf("exit status %d, want 2", code)
			}
			if msg := stderr.String(); !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q: want one line mentioning %q", msg, tc.want)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("an output file was written")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	var stderr strings.Builder
	err := run([]string{"-help"}, io.Discard, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("err = %v, want flag.ErrHelp", err)
	}
	if code := report(err, io.Discard); code != 0 {
		t.Errorf("exit status %d, want 0", code)
	}
	for _, want := range []string{"-kernel", "identity", "edge", "sharpen", "box-blur", "gaussian-blur", "[[0,-1,0],[-1,5,-1],[0,-1,0]]"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestFileErrors(t *testing.T) {
	dir := t.TempDir()
	good := writePNG(t, dir, "good.png", picture(4, 4, false))
	text := filepath.Join(dir, "notes.png")
	if err := os.WriteFile(text, []byte("not a picture\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.png")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(truncated, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.png")
	noDir := filepath.Join(dir, "no", "such", "dir", "out.png")
	tests := []struct {
		name    string
		in, out string
		want    string
	}{
		{"missing input", missing, filepath.Join(dir, "o1.png"), missing},
		{"input is a directory", dir, filepath.Join(dir, "o2.png"), dir},
		{"not an image", text, filepath.Join(dir, "o3.png"), text},
		{"truncated image", truncated, filepath.Join(dir, "o4.png"), truncated},
		{"unwritable output", good, noDir, noDir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := run([]string{"-kernel", "edge", tc.in, tc.out}, io.Discard, io.Discard)
			var ue usageError
			if err == nil || errors.As(err, &ue) {
				t.Fatalf("err = %v, want a file error", err)
			}
			var stderr strings.Builder
			if code := report(err, &stderr); code != 1 {
				t.Errorf("exit status %d, want 1", code)
			}
			if msg := stderr.String(); !strings.Contains(msg, tc.want) || strings.Count(msg, "\n") != 1 {
				t.Errorf("stderr %q: want one line naming %s", msg, tc.want)
			}
			if _, err := os.Stat(tc.out); err == nil {
				t.Error("an output file was written")
			}
		})
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestIdentityEndToEnd runs the command with the identity kernel on
// generated PNGs: the output is the input, pixel for pixel.
func TestIdentityEndToEnd(t *testing.T) {
	for _, gray := range []bool{true, false} {
		name := map[bool]string{true: "gray", false: "colour"}[gray]
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			src := picture(9, 7, gray)
			in := writePNG(t, dir, "in.png", src)
			out := filepath.Join(dir, "out.png")
			if err := run([]string{"-kernel", "identity", in, out}, io.Discard, io.Discard); err != nil {
				t.Fatal(err)
			}
			got := readPNG(t, out)
			if got.Bounds() != src.Bounds() {
				t.Fatalf("bounds %v, want %v", got.Bounds(), src.Bounds())
			}
			for y := 0; y < 7; y++ {
				for x := 0; x < 9; x++ {
					r0, g0, b0, a0 := src.At(x, y).RGBA()
					r1, g1, b1, a1 := got.At(x, y).RGBA()
					if r0 != r1 || g0 != g1 || b0 != b1 || a0 != a1 {
						t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, got.At(x, y), src.At(x, y))
					}
				}
			}
		})
	}
}

// TestJPEGInput filters a JPEG into a PNG of the same size.
func TestJPEGInput(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(16, 10, false), nil); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.jpg")
	if err := os.WriteFile(in, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.png")
	if err := run([]string{"-kernel", "gaussian-blur", in, out}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	if got := readPNG(t, out).Bounds(); got != image.Rect(0, 0, 16, 10) {
		t.Errorf("bounds %v, want 16x10", got)
	}
}

// TestExitStatus runs main in a child process and checks its exit status
// and that stderr is one line, never a stack trace.
func TestExitStatus(t *testing.T) {
	dir := t.TempDir()
	in := writePNG(t, dir, "in.png", picture(5, 5, true))
	tests := []struct {
		name string
		args []string
		code int
	}{
		{"success", []string{"-kernel", "sharpen", in, filepath.Join(dir, "out.png")}, 0},
		{"unknown kernel", []string{"-kernel", "nope", in, filepath.Join(dir, "x.png")}, 2},
		{"missing input", []string{"-kernel", "edge", filepath.Join(dir, "none.png"), filepath.Join(dir, "y.png")}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), argsEnv+"="+strings.Join(tc.args, "\x1f"))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if code != tc.code {
				t.Errorf("exit status %d, want %d (stderr %q)", code, tc.code, stderr.String())
			}
			lines := strings.Count(stderr.String(), "\n")
			if (tc.code == 0 && lines != 0) || (tc.code != 0 && lines != 1) || strings.Contains(stderr.String(), "goroutine") {
				t.Errorf("stderr %q", stderr.String())
			}
		})
	}
}
