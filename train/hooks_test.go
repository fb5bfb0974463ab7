package train_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/gocnn/cnn/train"
)

// recorder implements every hook and writes down each call.
type recorder struct {
	name string
	log  *[]string
}

func (r recorder) add(s string) { *r.log = append(*r.log, r.name+" "+s) }

func (r recorder) OnTrainBegin(_ *train.Trainer, info train.RunInfo) error {
	r.add(fmt.Sprintf("train-begin %d", info.Epochs))
	return nil
}

func (r recorder) OnEpochBegin(_ *train.Trainer, e train.EpochBegin) error {
	r.add(fmt.Sprintf("epoch-begin %d", e.Epoch))
	return nil
}

func (r recorder) OnBatchBegin(_ *train.Trainer, b train.BatchBegin) error {
	r.add(fmt.Sprintf("batch-begin %d.%d", b.Epoch, b.Batch))
	return nil
}

func (r recorder) OnBatchEnd(_ *train.Trainer, b train.BatchEnd) error {
	r.add(fmt.Sprintf("batch-end %d.%d", b.Epoch, b.Batch))
	return nil
}

func (r recorder) OnEpochEnd(_ *train.Trainer, e train.Epoch) error {
	r.add(fmt.Sprintf("epoch-end %d", e.Epoch))
	return nil
}

func (r recorder) OnTrainEnd(_ *train.Trainer, h *train.History, err error) error {
	r.add(fmt.Sprintf("train-end %d %v", len(h.Epochs), err))
	return nil
}

// epochBeginOnly implements one hook only.
type epochBeginOnly struct{ epochs []int }

func (c *epochBeginOnly) OnEpochBegin(_ *train.Trainer, e train.EpochBegin) error {
	c.epochs = append(c.epochs, e.Epoch)
	return nil
}

// batchStopper stops Fit before a given batch.
type batchStopper struct{ epoch, batch int }

func (c batchStopper) OnBatchBegin(_ *train.Trainer, b train.BatchBegin) error {
	if b.Epoch == c.epoch && b.Batch == c.batch {
		return train.ErrStop
	}
	return nil
}

// TestHookOrder: Fit calls every hook in order, and at each point the
// callbacks in the order they were given.
func TestHookOrder(t *testing.T) {
	var log []string
	tr, err := train.New(tinyModel(t), train.Callbacks(recorder{"a", &log}, recorder{"b", &log}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(tinyData(4), train.Epochs(2), train.BatchSize(2)); err != nil {
		t.Fatal(err)
	}
	var want []string
	both := func(s string) { want = append(want, "a "+s, "b "+s) }
	both("train-begin 2")
	for e := 1; e <= 2; e++ {
		both(fmt.Sprintf("epoch-begin %d", e))
		for b := 1; b <= 2; b++ {
			both(fmt.Sprintf("batch-begin %d.%d", e, b))
			both(fmt.Sprintf("batch-end %d.%d", e, b))
		}
		both(fmt.Sprintf("epoch-end %d", e))
	}
	both("train-end 2 <nil>")
	if !reflect.DeepEqual(log, want) {
		t.Fatalf("hooks called\n%s\nwant\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
}

// TestOptionalHooks: a callback need implement only the hooks it uses; one
// that implements none, or nil, is refused; ErrStop from OnBatchBegin stops
// Fit before that batch without an error.
func TestOptionalHooks(t *testing.T) {
	t.Run("one hook", func(t *testing.T) {
		cb := &epochBeginOnly{}
		tr, err := train.New(tinyModel(t), train.Callbacks(cb))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(tinyData(4), train.Epochs(3), train.BatchSize(2)); err != nil {
			t.Fatal(err)
		}
		if want := []int{1, 2, 3}; !reflect.DeepEqual(cb.epochs, want) {
			t.Fatalf("OnEpochBegin saw epochs %v, want %v", cb.epochs, want)
		}
	})
	t.Run("stop before a batch", func(t *testing.T) {
		tr, err := train.New(tinyModel(t), train.Callbacks(batchStopper{epoch: 2, batch: 2}))
		if err != nil {
			t.Fatal(err)
		}
		h, err := tr.Fit(tinyData(6), train.Epochs(3), train.BatchSize(2))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := tr.Position(), (train.Position{Epoch: 1, Batch: 1}); len(h.Epochs) != 1 || got.Epoch != want.Epoch || got.Batch != want.Batch {
			t.Fatalf("stopped with %d epochs, state %+v; want 1 epoch, state %+v", len(h.Epochs), got, want)
		}
	})
	for _, tc := range []struct {
		name string
		cb   train.Callback
		want string
	}{
		{"no hook", struct{ X int }{}, "implements none of the hooks"},
		{"wrong signature", func(*train.Trainer) error { return nil }, "implements none of the hooks"},
		{"nil", nil, "callback 1 is nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := train.New(tinyModel(t), train.Callbacks(tc.cb))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
