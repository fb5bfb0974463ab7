package train_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/internal/testutil"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
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

func weights(tr *train.Trainer) [][]float32 { return weightsOf(tr.Model()) }

// weightsOf returns a copy of the values of every parameter of m.
func weightsOf(m *model.Model) [][]float32 {
	var out [][]float32
	for _, p := range m.Params().List() {
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
		tr, err := train.New(newRecipe(t, 3), train.Optimizer(optimizers.RMSprop(1e-3)), train.Seed(3), train.Callbacks(cbs...))
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
	want, err := whole.Fit(trainSet, train.Epochs(epochs), train.BatchSize(batch), train.Validation(val))
	if err != nil {
		t.Fatal(err)
	}

	first := newTrainer(stopAfter(epoch, stopBatch))
	defer first.Close()
	if _, err := first.Fit(trainSet, train.Epochs(epochs), train.BatchSize(batch), train.Validation(val)); !errors.Is(err, errInterrupted) {
		t.Fatalf("err = %v, want the interruption", err)
	}
	if s := first.Position(); s.Epoch != epoch-1 || s.Batch != stopBatch {
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
	got, err := second.Fit(trainSet, train.UntilEpoch(epochs), train.BatchSize(batch), train.Validation(val))
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
	tr, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if _, err := tr.Fit(full.Limit(200), train.Epochs(1), train.BatchSize(100)); err != nil {
		t.Fatal(err)
	}
	var good bytes.Buffer
	if err := tr.WriteCheckpoint(&good); err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good.Bytes())
	flipped[len(flipped)/3] ^= 1
	other, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.Adam(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	// A run that diverged saves NaN weights; they are refused on loading.
	diverged, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	defer diverged.Close()
	kernel := diverged.Model().Params().List()[0]
	kernel.Value.Float32s()[5] = float32(math.NaN())
	var nan bytes.Buffer
	if err := diverged.WriteCheckpoint(&nan); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		file []byte
		into *train.Trainer
		want string
	}{
		{"empty", nil, tr, "not a checkpoint"},
		{"weights file instead", []byte("GOCNNWTS" + strings.Repeat("x", 40)), tr, "not a checkpoint"},
		{"truncated", good.Bytes()[:good.Len()/2], tr, "checkpoint is truncated: it ends after"},
		{"bit flip", flipped, tr, "checksum"},
		{"other optimizer", good.Bytes(), other, "made with RMSprop"},
		{"NaN weight", nan.Bytes(), tr, fmt.Sprintf("parameter %q value 5 is NaN", kernel.Name)},
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
	tr := tinyTrainer(t, 1, 3)
	m := tr.Model()
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
	if err := tr.Optimizer().(optimizers.Stateful).SetState(m.Params().Trainable(), 7, slots); err != nil {
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
	dst := tinyTrainer(t, 2, 3)
	defer dst.Close()
	if err := dst.LoadCheckpoint(file); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(weights(dst), weights(src)) {
		t.Errorf("loaded weights %v, want %v", weights(dst), weights(src))
	}
	step, slots := dst.Optimizer().(optimizers.Stateful).State()
	wantStep, wantSlots := src.Optimizer().(optimizers.Stateful).State()
	if step != wantStep || !reflect.DeepEqual(slots, wantSlots) {
		t.Errorf("loaded optimizer state %d %v, want %d %v", step, slots, wantStep, wantSlots)
	}
}

// tinyTrainer returns a trainer of the tiny model of goldenTrainer, its
// weights drawn from seed.
func tinyTrainer(t testing.TB, seed uint64, units int) *train.Trainer {
	t.Helper()
	m, err := model.NewSequential([]int{4}, []layers.Layer{layers.Dense(units, layers.Activation(ops.Softmax))}, model.Seed(seed))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := train.New(m, train.Optimizer(optimizers.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestReadCheckpointReadsNoMoreThanExpected: a file with the right magic
// that claims or holds a huge payload (64 MiB here, gigabytes in the wild)
// is rejected after reading no more than its header, its metadata, the
// model's weights file and the checksum (and a byte to see whether the
// file goes on), with an error naming the sizes. The bytes are counted, so
// the test is exact and needs no memory.
func TestReadCheckpointReadsNoMoreThanExpected(t *testing.T) {
	tr := tinyTrainer(t, 1, 3)
	defer tr.Close()
	golden, err := os.ReadFile("testdata/checkpoint-v1.bin")
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	metaLen := int64(le.Uint32(golden[12:]))
	meta := golden[:16+metaLen] // header, metadata length and metadata
	wsize := tr.Model().Params().BinarySize()
	bigger := tinyTrainer(t, 1, 300)
	defer bigger.Close()
	var biggerFile bytes.Buffer
	if err := bigger.WriteCheckpoint(&biggerFile); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		prefix []byte // then 64 MiB of zeros
		want   string
		most   int64
	}{
		{"wrong magic", []byte("GOCNNWTS\x01\x00\x00\x00"), "not a checkpoint", 12},
		{"wrong version", []byte("GOCNNCKP\x07\x00\x00\x00"), "checkpoint version 7; this program reads version 1", 12},
		{"metadata claims 4 GiB", []byte("GOCNNCKP\x01\x00\x00\x00\xff\xff\xff\xff"), "the metadata section holds 4294967295 bytes, at most", 16},
		{"weights claim 4 EiB", append(bytes.Clone(meta), le.AppendUint64(nil, 1<<62)...),
			fmt.Sprintf("checkpoint's weights take 4611686018427387904 bytes, this model's take %d", wsize), 16 + metaLen + 8},
		{"weights of the right size, then more", append(bytes.Clone(meta), le.AppendUint64(nil, uint64(wsize))...),
			"checkpoint is corrupt or truncated (checksum mismatch)", 16 + metaLen + 8 + wsize + 4 + 1},
		{"a larger model's checkpoint", biggerFile.Bytes(), fmt.Sprintf("this model's take %d", wsize), 16 + int64(le.Uint32(biggerFile.Bytes()[12:])) + 8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := weights(tr)
			c := &testutil.Counter{R: io.MultiReader(bytes.NewReader(tc.prefix), io.LimitReader(testutil.Zeros{}, 64<<20))}
			err := tr.ReadCheckpoint(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if c.N > tc.most {
				t.Errorf("read %d bytes, want at most %d", c.N, tc.most)
			}
			if !reflect.DeepEqual(before, weights(tr)) {
				t.Error("a failed load changed the weights")
			}
		})
	}
}

// FuzzReadCheckpoint feeds arbitrary bytes to the checkpoint reader: it
// must return an error or load, never panic, and change nothing (weights,
// optimiser state, run state, history) when it fails. The seed corpus runs
// with every go test.
func FuzzReadCheckpoint(f *testing.F) {
	golden, err := os.ReadFile("testdata/checkpoint-v1.bin")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(golden)
	f.Add(golden[:len(golden)/2])
	f.Add(golden[:20])
	f.Add([]byte("GOCNNCKP\x01\x00\x00\x00\xff\xff\xff\xff"))
	f.Add([]byte("GOCNNCKP"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tr := tinyTrainer(t, 2, 3)
		defer tr.Close()
		st := tr.Optimizer().(optimizers.Stateful)
		before, state, hist := weights(tr), tr.Position(), len(tr.History().Epochs)
		step, slots := st.State()
		if err := tr.ReadCheckpoint(bytes.NewReader(b)); err == nil {
			return
		}
		if !reflect.DeepEqual(before, weights(tr)) {
			t.Error("a failed load changed the weights")
		}
		if s, sl := st.State(); s != step || !reflect.DeepEqual(sl, slots) {
			t.Error("a failed load changed the optimizer state")
		}
		if tr.Position() != state || len(tr.History().Epochs) != hist {
			t.Error("a failed load changed the run state or history")
		}
	})
}
