package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/model"
)

// digitNames name the MNIST classes in the folders of these tests, so
// that class names are words and sort as the digits do not.
var digitNames = []string{"0-zero", "1-one", "2-two", "3-three", "4-four", "5-five", "6-six", "7-seven", "8-eight", "9-nine"}

// digitFolder writes the first n real MNIST training digits into a new
// folder of class folders of PNG files, and returns it.
func digitFolder(t *testing.T, n int) string {
	t.Helper()
	ds, err := data.ReadMNISTN(filepath.Join(mnistDir(t), data.MNISTTrainImages+".gz"), filepath.Join(mnistDir(t), data.MNISTTrainLabels+".gz"), n)
	if err != nil {
		t.Fatal(err)
	}
	ds.ClassNames = digitNames
	dir := t.TempDir()
	if err := data.WriteImageFolder(dir, ds); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestTrainFolder runs cmd/train end to end on a folder of real digits:
// every output file, the class names in the model file and the confusion
// matrix, and an interrupted run that, resumed, ends with the weights of
// an uninterrupted one.
func TestTrainFolder(t *testing.T) {
	images := digitFolder(t, 400)
	args := func(extra ...string) []string {
		return append([]string{"-images", images, "-epochs", "2", "-batch", "40"}, extra...)
	}
	whole := t.TempDir()
	var stdout strings.Builder
	if err := runAs(context.Background(), Train, args("-out", whole), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Images from " + images + ": 320 training, 80 validation, 80 test images", "Epoch 2/2", "val_acc", "Test: loss", "0-zero"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, f := range outFiles {
		if fi, err := os.Stat(filepath.Join(whole, f)); err != nil || fi.Size() == 0 && f != lockFile {
			t.Errorf("%s: %v", f, err)
		}
	}
	m, _, err := model.Load(filepath.Join(whole, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.ClassNames(); !reflect.DeepEqual(got, digitNames) {
		t.Errorf("model file's class names %v, want %v", got, digitNames)
	}
	if got := m.InputShape(0); !reflect.DeepEqual(got, []int{1, 28, 28}) {
		t.Errorf("model input %v, want the images' 1×28×28", got)
	}
	csv, err := os.ReadFile(filepath.Join(whole, "confusion.csv"))
	if err != nil || !strings.HasPrefix(string(csv), `true\pred,0-zero,1-one,`) {
		t.Errorf("confusion.csv starts %.40q (%v), want the class names", csv, err)
	}

	parted := t.TempDir()
	interrupted, cancel := context.WithCancel(context.Background())
	defer cancel()
	err = runAs(interrupted, Train, args("-out", parted), &cancelOn{text: "Epoch 1/2", cancel: cancel}, io.Discard)
	if !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want an interruption", err)
	}
	if err := runAs(context.Background(), Train, []string{"-resume", parted, "-quiet"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(whole, weightsFile))
	b, _ := os.ReadFile(filepath.Join(parted, weightsFile))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Error("the resumed run ended with different weights")
	}

	// Training on from the model file, with its input's size and colour,
	// one more epoch, with AdamW and clipping.
	more := t.TempDir()
	if err := runAs(context.Background(), Train, []string{"-images", images, "-model", filepath.Join(whole, modelFile), "-epochs", "1", "-out", more, "-quiet",
		"-optimizer", "adamw", "-weight-decay", "0.01", "-clipnorm", "1"}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	rb, err := os.ReadFile(filepath.Join(more, resultFile))
	if err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal(rb, &res); err != nil {
		t.Fatal(err)
	}
	if want := "AdamW(lr=0.001, weight_decay=0.01, clipnorm=1)"; res.Optimizer != want {
		t.Errorf("optimizer %q, want %q", res.Optimizer, want)
	}
}

// TestTrainColour trains the ResNet on RGB images of coloured squares on
// noise, of odd sizes scaled to 20×24, with augmentation, and tests on a
// folder of its own: the network must tell the colours apart.
func TestTrainColour(t *testing.T) {
	colours := map[string]color.NRGBA{"blue": {0, 0, 255, 255}, "green": {0, 200, 0, 255}, "red": {230, 0, 0, 255}}
	write := func(n int, seed int) string {
		dir := t.TempDir()
		for name, c := range colours {
			os.Mkdir(filepath.Join(dir, name), 0o755)
			for i := range n {
				w, h := 30+(i*7+seed)%20, 25+(i*5+seed)%15
				img := image.NewNRGBA(image.Rect(0, 0, w, h))
				for j := range img.Pix {
					img.Pix[j] = uint8((j*131 + i*17 + seed) % 97)
				}
				for y := h / 4; y < 3*h/4; y++ {
					for x := w / 4; x < 3*w/4; x++ {
						img.SetNRGBA(x, y, c)
					}
				}
				var b bytes.Buffer
				png.Encode(&b, img)
				os.WriteFile(filepath.Join(dir, name, fmt.Sprintf("%d.png", i)), b.Bytes(), 0o644)
			}
		}
		return dir
	}
	images, test := write(40, 0), write(10, 3)
	out := t.TempDir()
	err := runAs(context.Background(), Train, []string{"-images", images, "-test", test, "-size", "20x24", "-color", "rgb", "-model", "resnet",
		"-augment", "-epochs", "4", "-batch", "16", "-lr", "3e-3", "-out", out, "-quiet"}, io.Discard, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, resultFile))
	if err != nil {
		t.Fatal(err)
	}
	var res result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.TestImages != 30 || res.TestAcc < 0.9 {
		t.Errorf("%d test images at accuracy %v; want 30 and at least 0.9", res.TestImages, res.TestAcc)
	}
	m, _, err := model.Load(filepath.Join(out, modelFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := m.InputShape(0); !reflect.DeepEqual(got, []int{3, 20, 24}) {
		t.Errorf("model input %v, want 3×20×24", got)
	}
}

// TestTrainUsage: cmd/train's own usage errors.
func TestTrainUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no images", []string{"-epochs", "1"}, "-images DIR is needed"},
		{"bad size", []string{"-images", dir, "-size", "big"}, `-size "big"`},
		{"zero size", []string{"-images", dir, "-size", "0x5"}, `-size "0x5"`},
		{"bad colour", []string{"-images", dir, "-color", "cmyk"}, "-color"},
		{"val split", []string{"-images", dir, "-val-split", "1"}, "-val-split 1"},
		{"mnist flag", []string{"-images", dir, "-limit", "5"}, "-limit"},
		{"resume new images", []string{"-resume", dir, "-images", dir}, "-images cannot change"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr strings.Builder
			err := runAs(context.Background(), Train, tc.args, io.Discard, &stderr)
			if code := exitCode(Train, err, &stderr); code != exitUsage || !strings.Contains(stderr.String(), tc.want) || !strings.HasPrefix(stderr.String(), "train: ") {
				t.Errorf("exit code %d, stderr %q; want %d and a line mentioning %q", code, stderr.String(), exitUsage, tc.want)
			}
		})
	}
	// An empty folder is an error naming it, not a usage error.
	err := runAs(context.Background(), Train, []string{"-images", dir}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("empty folder: %v", err)
	}
}

// TestTrainSkipBad: a file that is not an image stops a run with an error
// naming it, and -skip-bad trains without it and says how many it skipped.
func TestTrainSkipBad(t *testing.T) {
	images := digitFolder(t, 100)
	bad := filepath.Join(images, digitNames[3], "broken.png")
	if err := os.WriteFile(bad, []byte("not a png"), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"-images", images, "-epochs", "1", "-batch", "20"}
	if err := runAs(context.Background(), Train, args, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("error %v, want one naming %s", err, bad)
	}
	var stdout strings.Builder
	if err := runAs(context.Background(), Train, append(args, "-skip-bad"), &stdout, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout.String(), "Skipped 1 files") {
		t.Errorf("output lacks the count of skipped files:\n%s", stdout.String())
	}
}
