package train_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/train"
)

// stopAfter interrupts Fit after the given batch of the given epoch, as
// cmd/mnist does on SIGINT.
func stopAfter(epoch, batch int) train.Callback {
	return train.BatchFunc(func(_ *train.Trainer, b train.BatchEnd) error {
		if b.Epoch == epoch && b.Batch == batch {
			return errInterrupted
		}
		return nil
	})
}

var errInterrupted = errors.New("interrupted")

func weights(tr *train.Trainer) [][]float32 {
	var out [][]float32
	for _, p := range tr.Model().Params().List() {
		out = append(out, append([]float32(nil), p.Value.Float32s()...))
	}
	return out
}

// TestResumeIsExact: a run of 3 epochs interrupted at a batch in the middle
// of epoch 2, checkpointed and resumed in a fresh process-like trainer,
// ends with the same weights and history as an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	full, _ := realMNIST(t)
	trainSet, val, err := full.Limit(1100).Split(1000, 3)
	if err != nil {
		t.Fatal(err)
	}
	checkResumeIsExact(t, trainSet, val, 100, 2, 4, func(cbs ...train.Callback) *train.Trainer {
		tr, err := train.New(newRecipe(t, 3), train.WithOptimizer(train.RMSprop(1e-3)), train.WithSeed(3), train.WithCallbacks(cbs...))
		if err != nil {
			t.Fatal(err)
		}
		return tr
	})
}

// checkResumeIsExact fits a trainer from newTrainer for 3 epochs in batches
// of batch; fits another that is interrupted after the given batch of the
// given epoch, saves its checkpoint and loads it into a third, which fits
// to the end; and checks that the resumed run ends with the same weights
// and history as the uninterrupted one.
func checkResumeIsExact(t *testing.T, trainSet, val *data.Dataset, batch, epoch, stopBatch int, newTrainer func(...train.Callback) *train.Trainer) {
	t.Helper()
	const epochs = 3
	whole := newTrainer()
	defer whole.Close()
	want, err := whole.Fit(trainSet, val, epochs, batch)
	if err != nil {
		t.Fatal(err)
	}

	first := newTrainer(stopAfter(epoch, stopBatch))
	defer first.Close()
	if _, err := first.Fit(trainSet, val, epochs, batch); !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want the interruption", err)
	}
	if s := first.State(); s.Epoch != epoch-1 || s.Batch != stopBatch {
		t.Fatalf("state after the interruption: %+v", s)
	}
	path := filepath.Join(t.TempDir(), "checkpoint.bin")
	if err := first.SaveCheckpoint(path); err != nil {
		t.Fatal(err)
	}

	second := newTrainer()
	defer second.Close()
	if err := second.LoadCheckpoint(path); err != nil {
		t.Fatal(err)
	}
	got, err := second.Fit(trainSet, val, epochs, batch)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(second), weights(whole)) {
		t.Error("resumed run ended with different weights")
	}
	if len(got.Epochs) != epochs {
		t.Fatalf("resumed history has %d epochs", len(got.Epochs))
	}
	for i := range got.Epochs {
		a, b := got.Epochs[i], want.Epochs[i]
		if a.Loss != b.Loss || a.Acc != b.Acc || a.ValLoss != b.ValLoss || a.ValAcc != b.ValAcc {
			t.Errorf("epoch %d: resumed %+v, uninterrupted %+v", i+1, a, b)
		}
	}
}

// TestBrokenCheckpoints: a truncated, corrupt or mismatched checkpoint is an
// error naming the file and the problem, and changes nothing.
func TestBrokenCheckpoints(t *testing.T) {
	full, _ := realMNIST(t)
	tr, err := train.New(newRecipe(t, 1), train.WithOptimizer(train.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(full.Limit(200), nil, 1, 100); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := tr.WriteCheckpoint(&good); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good.Bytes())
	flipped[len(flipped)/3] ^= 1
	other, err := train.New(newRecipe(t, 1), train.WithOptimizer(train.Adam(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tests := []struct {
		name string
		file []byte
		into *train.Trainer
		want string
	}{
		{"empty", nil, tr, "not a checkpoint"},
		{"weights file instead", []byte("GOCNNWTS" + strings.Repeat("x", 40)), tr, "not a checkpoint"},
		{"truncated", good.Bytes()[:good.Len()/2], tr, "checksum"},
		{"bit flip", flipped, tr, "checksum"},
		{"other optimizer", good.Bytes(), other, "made with RMSprop"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := weights(tc.into)
			path := filepath.Join(t.TempDir(), "checkpoint.bin")
			if err := os.WriteFile(path, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			err := tc.into.LoadCheckpoint(path)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v; want one naming %s and saying %q", err, path, tc.want)
			}
			if !reflect.DeepEqual(before, weights(tc.into)) {
				t.Error("a failed load changed the weights")
			}
		})
	}
}

// goldenTrainer returns a trainer of a tiny model whose weights and
// optimiser state are fixed numbers, so that its checkpoint is the same on
// every machine.
func goldenTrainer(t *testing.T) *train.Trainer {
	t.Helper()
	m, err := layers.NewSequential([]int{4}, []layers.Layer{layers.Dense(3, layers.Activation("softmax"))}, layers.Seed(1))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.WithOptimizer(train.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	var slots [][]float64
	k := 0
	for _, p := range m.Params().List() {
		d := p.Value.Float32s()
		s := make([]float64, len(d))
		for i := range d {
			d[i] = float32(k)*0.25 - 1
			s[i] = float64(k) / 8
			k++
		}
		slots = append(slots, s)
	}
	if err := tr.Optimizer().(train.Stateful).SetState(7, slots); err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestCheckpointGolden: testdata/checkpoint-v1.bin was written by the
// version-1 writer before the framing moved to internal/frame. Today's
// writer must produce the same bytes, and today's reader must restore it.
func TestCheckpointGolden(t *testing.T) {
	const file = "testdata/checkpoint-v1.bin"
	const sum = "a54c0ab73bc2aa02c5db171b1df8ef7345e811fd060903664c31f4900f309831" // sha256 of the file, so that it cannot be regenerated unnoticed
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprintf("%x", sha256.Sum256(want)); got != sum {
		t.Fatalf("%s has sha256 %s, want %s: the golden file was changed", file, got, sum)
	}
	src := goldenTrainer(t)
	defer src.Close()
	var got bytes.Buffer
	if err := src.WriteCheckpoint(&got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("WriteCheckpoint wrote %d bytes that differ from the %d of %s", got.Len(), len(want), file)
	}
	m, err := layers.NewSequential([]int{4}, []layers.Layer{layers.Dense(3, layers.Activation("softmax"))}, layers.Seed(2))
	if err != nil {
		t.Fatal(err)
	}
	dst, err := train.New(m, train.WithOptimizer(train.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	if err := dst.LoadCheckpoint(file); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(dst), weights(src)) {
		t.Errorf("loaded weights %v, want %v", weights(dst), weights(src))
	}
	step, slots := dst.Optimizer().(train.Stateful).State()
	wantStep, wantSlots := src.Optimizer().(train.Stateful).State()
	if step != wantStep || !reflect.DeepEqual(slots, wantSlots) {
		t.Errorf("loaded optimizer state %d %v, want %d %v", step, slots, wantStep, wantSlots)
	}
}
