package train

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/pkg/errors"
)

// ErrStop, returned by a callback, ends Fit without an error: returned
// from OnEpochEnd, after that epoch (the other callbacks still see the
// epoch); from OnBatchEnd, right after that batch, mid-epoch (Position then
// says which batch, and a checkpoint resumes from there).
var ErrStop = errors.New("stop training")

// RunInfo describes a Fit to its callbacks. Batches and Images are those
// of one epoch, -1 when the training data is a stream of unknown length.
type RunInfo struct {
	Epochs, Batches, Images, BatchSize int
	// Accuracy says whether the loss is a classification loss, so that
	// the epochs' Acc and ValAcc mean something.
	Accuracy bool
}

// BatchEnd is what a callback learns after each training batch: running
// means over the epoch so far.
type BatchEnd struct {
	Epoch, Batch, Seen int
	Loss, Acc          float64
}

// EpochBegin is what a callback learns before each epoch: the epoch's
// number (from 1) and the batches of it already done, which are not 0
// only when Fit resumes an epoch that a checkpoint left part-way.
type EpochBegin struct {
	Epoch, Done int
}

// BatchBegin is what a callback learns before each training batch: the
// epoch's number and the batch's, both from 1.
type BatchBegin struct {
	Epoch, Batch int
}

// A Callback hooks into Fit. It is any value that implements one or more
// of the hook interfaces TrainBeginner, EpochBeginner, BatchBeginner,
// BatchEnder, EpochEnder and TrainEnder: a callback implements only the
// hooks it uses, and hooks added later break no callback. New refuses a
// callback that implements none (a method with a mistyped signature, say).
// A non-nil error from any hook stops Fit; ErrStop stops it without an
// error. Fit calls the hooks in this order:
//
//	OnTrainBegin
//	for each epoch: OnEpochBegin, then for each batch OnBatchBegin and
//	  OnBatchEnd, then (after validation) OnEpochEnd
//	OnTrainEnd, also when a hook or training failed
//
// and, at each point, the callbacks in the order they were given.
type Callback interface{}

// A TrainBeginner's OnTrainBegin runs once at the start of every Fit.
type TrainBeginner interface {
	OnTrainBegin(t *Trainer, info RunInfo) error
}

// An EpochBeginner's OnEpochBegin runs before each epoch. ErrStop from it
// ends Fit before the epoch.
type EpochBeginner interface {
	OnEpochBegin(t *Trainer, e EpochBegin) error
}

// A BatchBeginner's OnBatchBegin runs before each training batch, after
// the schedule, if any, is known but before the step. ErrStop from it
// ends Fit before the batch: Position then says the batches done, and a
// checkpoint resumes at this batch.
type BatchBeginner interface {
	OnBatchBegin(t *Trainer, b BatchBegin) error
}

// A BatchEnder's OnBatchEnd runs after each training batch.
type BatchEnder interface {
	OnBatchEnd(t *Trainer, b BatchEnd) error
}

// An EpochEnder's OnEpochEnd runs after each epoch and its validation.
type EpochEnder interface {
	OnEpochEnd(t *Trainer, e Epoch) error
}

// A TrainEnder's OnTrainEnd runs last, also when training failed (err is
// then the failure).
type TrainEnder interface {
	OnTrainEnd(t *Trainer, h *History, err error) error
}

// hooks returns the callbacks of cbs that implement the hook H, in order.
func hooks[H any](cbs []Callback) []H {
	var out []H
	for _, cb := range cbs {
		if h, ok := cb.(H); ok {
			out = append(out, h)
		}
	}
	return out
}

// checkCallback reports a callback that is nil or implements no hook.
func checkCallback(i int, cb Callback) error {
	switch cb.(type) {
	case nil:
		return errors.Errorf("train: callback %d is nil", i+1)
	case TrainBeginner, EpochBeginner, BatchBeginner, BatchEnder, EpochEnder, TrainEnder:
		return nil
	}
	return errors.Errorf("train: callback %d (%T) implements none of the hooks (OnTrainBegin, OnEpochBegin, OnBatchBegin, OnBatchEnd, OnEpochEnd, OnTrainEnd)", i+1, cb)
}

// NopCallback has the four hooks of the earlier Callback interface, doing
// nothing. Callbacks that embedded it to implement only some of them keep
// working; new callbacks need not embed it, since every hook is optional.
type NopCallback struct{}

// OnTrainBegin does nothing.
func (NopCallback) OnTrainBegin(*Trainer, RunInfo) error { return nil }

// OnBatchEnd does nothing.
func (NopCallback) OnBatchEnd(*Trainer, BatchEnd) error { return nil }

// OnEpochEnd does nothing.
func (NopCallback) OnEpochEnd(*Trainer, Epoch) error { return nil }

// OnTrainEnd does nothing.
func (NopCallback) OnTrainEnd(*Trainer, *History, error) error { return nil }

// EpochFunc is a callback that calls f after every epoch.
type EpochFunc func(t *Trainer, e Epoch) error

// OnEpochEnd calls f.
func (f EpochFunc) OnEpochEnd(t *Trainer, e Epoch) error { return f(t, e) }

// BatchFunc is a callback that calls f after every batch.
type BatchFunc func(t *Trainer, b BatchEnd) error

// OnBatchEnd calls f.
func (f BatchFunc) OnBatchEnd(t *Trainer, b BatchEnd) error { return f(t, b) }

// Progress reports training on w. On a terminal it redraws a progress bar
// with the ETA and the running loss and accuracy after every batch, as
// Keras does; otherwise it prints one plain line per epoch.
type Progress struct {
	w        io.Writer
	terminal bool
	info     RunInfo
	start    time.Time
	last     time.Time
}

// NewProgress returns a progress display writing to w. It draws a bar only
// if w is a terminal.
func NewProgress(w io.Writer) *Progress {
	p := &Progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.terminal = true
		}
	}
	return p
}

// OnTrainBegin records the run's size.
func (p *Progress) OnTrainBegin(_ *Trainer, info RunInfo) error {
	p.info = info
	return nil
}

// OnBatchEnd redraws the bar, at most ten times a second.
func (p *Progress) OnBatchEnd(_ *Trainer, b BatchEnd) error {
	if !p.terminal {
		return nil
	}
	now := time.Now()
	if b.Batch == 1 {
		p.start = now
	}
	if b.Batch != p.info.Batches && now.Sub(p.last) < 100*time.Millisecond {
		return nil
	}
	p.last = now
	if p.info.Batches < 0 {
		fmt.Fprintf(p.w, "\rEpoch %d/%d %d - loss: %.4f ", b.Epoch, p.info.Epochs, b.Seen, b.Loss)
		return nil
	}
	const width = 30
	done := width * b.Batch / max(p.info.Batches, 1)
	bar := strings.Repeat("=", done) + strings.Repeat(".", width-done)
	eta := time.Duration(float64(now.Sub(p.start)) / float64(b.Batch) * float64(p.info.Batches-b.Batch))
	fmt.Fprintf(p.w, "\rEpoch %d/%d %d/%d [%s] ETA %4.1fs - loss: %.4f", b.Epoch, p.info.Epochs, b.Seen, p.info.Images, bar, eta.Seconds(), b.Loss)
	if p.info.Accuracy {
		fmt.Fprintf(p.w, " - acc: %.4f", b.Acc)
	}
	fmt.Fprint(p.w, " ")
	return nil
}

// OnEpochEnd prints the epoch's line.
func (p *Progress) OnEpochEnd(_ *Trainer, e Epoch) error {
	if p.terminal {
		fmt.Fprint(p.w, "\r\033[K")
	}
	_, err := fmt.Fprintln(p.w, FormatEpoch(e, p.info.Epochs, p.info.Accuracy))
	return err
}

// OnTrainEnd does nothing.
func (p *Progress) OnTrainEnd(*Trainer, *History, error) error { return nil }

// FormatEpoch formats one epoch of epochs as a line: seconds, images per
// second, loss, when acc is true (a classification loss) acc, the
// training metrics of e.Metrics by name ("head_loss: 0.1234"), val_loss,
// val_acc and the validation metrics, and the learning rate when a
// schedule sets it.
func FormatEpoch(e Epoch, epochs int, acc bool) string {
	s := fmt.Sprintf("Epoch %d/%d - %.1fs - %.0f img/s - loss: %.4f", e.Epoch, epochs, e.Seconds, e.ImagesPS, e.Loss)
	if acc {
		s += fmt.Sprintf(" - acc: %.4f", e.Acc)
	}
	names := e.names()
	for _, m := range names {
		if !strings.HasPrefix(string(m), "val_") {
			s += fmt.Sprintf(" - %s: %.4f", m, e.Metrics[m])
		}
	}
	if e.HasVal {
		s += fmt.Sprintf(" - val_loss: %.4f", e.ValLoss)
		if acc {
			s += fmt.Sprintf(" - val_acc: %.4f", e.ValAcc)
		}
		for _, m := range names {
			if strings.HasPrefix(string(m), "val_") {
				s += fmt.Sprintf(" - %s: %.4f", m, e.Metrics[m])
			}
		}
	}
	if e.LR != 0 {
		s += fmt.Sprintf(" - lr: %.4g", e.LR)
	}
	return s
}
