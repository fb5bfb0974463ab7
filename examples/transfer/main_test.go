package main

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestTransfer runs the example with tiny sizes: it pretrains, saves,
// fine-tunes in a fresh process, finds the frozen base bit-identical and
// reports both accuracies.
func TestTransfer(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST; skipped in -short mode")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "transfer")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	small := []string{"-images", "1500", "-epochs", "1", "-per-class", "5", "-tune-epochs", "2", "-test", "300"}
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{name: "whole run", args: append([]string{"-dir", dir}, small...), want: []string{
			"fine-tuning in a fresh process", "dense_2 (Dense)", "Trainable params: 2,005", "bit-identical", "fine-tuned 0.", "from scratch 0."}},
		{name: "fine-tune only", args: append([]string{"-finetune", dir}, small...), want: []string{"bit-identical", "fine-tuned 0."}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := exec.Command(bin, tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, b)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(b), w) {
					t.Errorf("the output lacks %q:\n%s", w, b)
				}
			}
			if regexp.MustCompile(`dense_1 \(Dense\)`).Match(b) && strings.Contains(tc.name, "fine") {
				t.Errorf("the new head took the old head's name:\n%s", b)
			}
		})
	}
	if b, err := exec.Command(bin, "-finetune", filepath.Join(dir, "missing")).CombinedOutput(); err == nil || !strings.Contains(string(b), "pretrained.gocnn") {
		t.Errorf("a missing model: %v\n%s", err, b)
	}
}
