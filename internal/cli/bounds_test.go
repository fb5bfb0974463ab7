package cli

import (
	"context"
	"io"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocnn/cnn/internal/recipe"
)

// TestLoadRefusesBadWeights: -load of a model file or a weights file whose
// weights hold a NaN or an infinity (as a diverged run writes them) is an
// error naming the file and the parameter, before any training.
func TestLoadRefusesBadWeights(t *testing.T) {
	fake := fakeMNIST(t, 40, 10, 28)
	m, err := recipe.Model(1)
	if err != nil {
		t.Fatal(err)
	}
	p := m.Params().List()[0]
	p.Value.Float32s()[2] = float32(math.NaN())
	dir := t.TempDir()
	modelPath, weightsPath := filepath.Join(dir, "nan.gocnn"), filepath.Join(dir, "nan.bin")
	if err := m.Save(modelPath, nil); err != nil {
		t.Fatal(err)
	}
	if err := m.Params().SaveFile(weightsPath); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path string }{{"model file", modelPath}, {"weights file", weightsPath}} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout strings.Builder
			err := run(context.Background(), fakeArgs(fake, "-epochs", "1", "-load", tc.path), &stdout, io.Discard)
			want := "parameter \"" + p.Name + "\" value 2 is NaN"
			if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), tc.path) {
				t.Fatalf("err = %v; want one naming %s and saying %q", err, tc.path, want)
			}
			if strings.Contains(stdout.String(), "Training for") {
				t.Error("it trained")
			}
		})
	}
}
