package train

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/train/metrics"
)

// monitor is a metric that EarlyStopping and ModelCheckpoint watch.
type monitor struct {
	m   metrics.Name
	max bool // larger is better (accuracies)
	val bool // needs validation data
}

// monitorOf returns the monitor of m: MetricValLoss, MetricValAcc,
// MetricLoss, MetricAcc, or any other metric whose name tells whether
// larger is better, as Keras's mode "auto" does: a loss, mae or mse
// (smaller is better) or an accuracy, precision, recall or f1 (larger is
// better), of an output ("head_loss") or of the validation set
// ("val_head_acc").
func monitorOf(m metrics.Name) (monitor, error) {
	switch m {
	case metrics.ValLoss:
		return monitor{m: m, val: true}, nil
	case metrics.ValAcc:
		return monitor{m: m, max: true, val: true}, nil
	case metrics.Loss:
		return monitor{m: m}, nil
	case metrics.Acc:
		return monitor{m: m, max: true}, nil
	}
	name := strings.TrimPrefix(string(m), "val_")
	mon := monitor{m: m, val: name != string(m)}
	is := func(suffixes ...string) bool {
		for _, s := range suffixes {
			if name == s || strings.HasSuffix(name, "_"+s) {
				return true
			}
		}
		return false
	}
	switch {
	case !fixed(m) && is("loss", "mae", "mse"):
		return mon, nil
	case !fixed(m) && (is("acc", "precision", "recall", "f1") || strings.HasSuffix(name, "_acc")):
		mon.max = true
		return mon, nil
	}
	return monitor{}, errors.Errorf("cannot monitor %v (want metrics.ValLoss, metrics.ValAcc, metrics.Loss, metrics.Acc or another loss, mae, mse, accuracy, precision, recall or f1)", m)
}

// value returns the monitored metric of e.
func (m monitor) value(e Epoch) (float64, error) {
	if m.val && !e.HasVal {
		return 0, errors.Errorf("monitor %v: epoch %d has no validation data; pass a validation set to Fit or monitor loss or acc", m.m, e.Epoch)
	}
	return value(m.m, e)
}

// worst returns the value every real value improves on.
func (m monitor) worst() float64 {
	if m.max {
		return math.Inf(-1)
	}
	return math.Inf(1)
}

// better reports whether v improves on best. NaN never does.
func (m monitor) better(v, best float64) bool {
	if m.max {
		return v > best
	}
	return v < best
}

// earlyStopping is the callback EarlyStopping returns.
type earlyStopping struct {
	NopCallback
	monitorName metrics.Name
	patience    int
	restoreBest bool

	mon       monitor
	best      float64
	bestEpoch int
	wait      int
	lastEpoch int
	saved     []*tensor.Dense // the parameters' values at bestEpoch
	restored  bool            // RestoreCallbackState ran: keep the state
	pending   [][]float64     // the restored copy, until OnTrainBegin
}

// EarlyStopping returns a callback that stops Fit (with ErrStop, so Fit
// returns no error) once the monitored metric has not improved for patience
// epochs in a row, like Keras's EarlyStopping with min_delta 0. monitor is
// MetricValLoss or MetricLoss (lower is better) or MetricValAcc or
// MetricAcc (higher is better); the validation metrics need a validation
// set. With patience 0 training
// stops at the first epoch that does not improve.
//
// With restoreBest the callback keeps a copy of the model's parameters from
// the best epoch and, when training ends (stopped early or run to the end),
// copies them back into the model if a later epoch was worse. When
// training fails or a callback interrupts it, the weights stay those of the
// last step, so that a checkpoint saved then holds the weights of the step
// it names; the checkpoint saves the callback's state too (it is a
// StatefulCallback), and a resumed run stops and restores exactly as an
// uninterrupted one.
//
// An unknown monitor or a negative patience is an error when Fit begins.
// The callback's state is reset at the start of every Fit, unless it was
// just restored from a checkpoint.
func EarlyStopping(monitor metrics.Name, patience int, restoreBest bool) Callback {
	return &earlyStopping{monitorName: monitor, patience: patience, restoreBest: restoreBest}
}

// OnTrainBegin checks the arguments and resets the state.
func (c *earlyStopping) OnTrainBegin(t *Trainer, _ RunInfo) error {
	mon, err := monitorOf(c.monitorName)
	if err != nil {
		return errors.Wrap(err, "train: early stopping")
	}
	if c.patience < 0 {
		return errors.Errorf("train: early stopping: patience %d must be 0 or more", c.patience)
	}
	if c.restored {
		c.mon, c.restored = mon, false
		saved, err := fromFloat64s(t, c.pending)
		c.saved, c.pending = saved, nil
		return errors.Wrap(err, "train: early stopping: the restored copy of the best weights")
	}
	c.mon, c.best, c.bestEpoch, c.wait, c.lastEpoch, c.saved = mon, mon.worst(), 0, 0, 0, nil
	return nil
}

// earlyStoppingState is the JSON of an earlyStopping's state. Best is nil
// before any epoch (JSON has no infinities).
type earlyStoppingState struct {
	Monitor   string      `json:"monitor"`
	Best      *float64    `json:"best"`
	BestEpoch int         `json:"best_epoch"`
	Wait      int         `json:"wait"`
	LastEpoch int         `json:"last_epoch"`
	Saved     [][]float64 `json:"saved,omitempty"`
}

// CallbackState returns the best value and epoch, the epochs waited and the
// copy of the best weights.
func (c *earlyStopping) CallbackState() (json.RawMessage, error) {
	st := earlyStoppingState{Monitor: c.monitorName.String(), BestEpoch: c.bestEpoch, Wait: c.wait, LastEpoch: c.lastEpoch}
	if c.bestEpoch > 0 {
		st.Best = &c.best
	}
	for _, t := range c.saved {
		st.Saved = append(st.Saved, float64s(t))
	}
	b, err := json.Marshal(st)
	return b, errors.Wrap(err, "train: early stopping")
}

// RestoreCallbackState restores a state CallbackState returned.
func (c *earlyStopping) RestoreCallbackState(raw json.RawMessage) error {
	var st earlyStoppingState
	if err := json.Unmarshal(raw, &st); err != nil {
		return errors.Wrap(err, "train: early stopping state")
	}
	mon, err := monitorOf(c.monitorName)
	if err != nil {
		return errors.Wrap(err, "train: early stopping")
	}
	if st.Monitor != c.monitorName.String() || st.BestEpoch < 0 || st.Wait < 0 || st.LastEpoch < st.BestEpoch || (st.Best == nil) != (st.BestEpoch == 0) {
		return errors.Errorf("train: early stopping state %s does not fit a callback monitoring %v", raw, c.monitorName)
	}
	c.mon, c.best, c.bestEpoch, c.wait, c.lastEpoch, c.saved, c.pending, c.restored = mon, mon.worst(), st.BestEpoch, st.Wait, st.LastEpoch, nil, st.Saved, true
	if st.Best != nil {
		c.best = *st.Best
	}
	return nil
}

// fromFloat64s makes a copy of the model's parameters from their values
// as float64, checking their number and sizes.
func fromFloat64s(t *Trainer, vals [][]float64) ([]*tensor.Dense, error) {
	if vals == nil {
		return nil, nil
	}
	ps, err := trainerParams(t)
	if err != nil {
		return nil, err
	}
	if len(vals) != len(ps) {
		return nil, errors.Errorf("the model has %d parameters, the copy %d", len(ps), len(vals))
	}
	out := make([]*tensor.Dense, len(ps))
	for i, p := range ps {
		if len(vals[i]) != p.Value.Size() {
			return nil, errors.Errorf("parameter %s has %d values, the copy %d", p.Name, p.Value.Size(), len(vals[i]))
		}
		out[i] = tensor.New(tensor.Of(p.Value.Dtype()), tensor.WithShape(p.Value.Shape()...))
		if p.Value.Dtype() == tensor.Float64 {
			copy(out[i].Float64s(), vals[i])
			continue
		}
		for j, v := range vals[i] {
			out[i].Float32s()[j] = float32(v)
		}
	}
	return out, nil
}

// float64s returns a tensor's values as float64.
func float64s(t *tensor.Dense) []float64 {
	if t.Dtype() == tensor.Float64 {
		return append([]float64(nil), t.Float64s()...)
	}
	out := make([]float64, t.Size())
	for i, v := range t.Float32s() {
		out[i] = float64(v)
	}
	return out
}

// OnEpochEnd records an improvement or counts an epoch without one, and
// returns ErrStop when patience runs out.
func (c *earlyStopping) OnEpochEnd(t *Trainer, e Epoch) error {
	v, err := c.mon.value(e)
	if err != nil {
		return errors.Wrap(err, "train: early stopping")
	}
	c.lastEpoch = e.Epoch
	if c.mon.better(v, c.best) {
		c.best, c.bestEpoch, c.wait = v, e.Epoch, 0
		if c.restoreBest {
			if c.saved, err = snapshot(t, c.saved); err != nil {
				return errors.Wrap(err, "train: early stopping")
			}
		}
		return nil
	}
	c.wait++
	if c.wait >= c.patience {
		return ErrStop
	}
	return nil
}

// OnTrainEnd restores the best weights if asked to, training ended without
// an error and a later epoch was worse.
func (c *earlyStopping) OnTrainEnd(t *Trainer, _ *History, err error) error {
	if err != nil || !c.restoreBest || c.saved == nil || c.bestEpoch == c.lastEpoch {
		return nil
	}
	return errors.Wrapf(restore(t, c.saved), "train: early stopping: restoring the weights of epoch %d", c.bestEpoch)
}

// snapshot copies the values of the model's parameters into dst, reusing
// its tensors when it holds a copy of the same parameters.
func snapshot(t *Trainer, dst []*tensor.Dense) ([]*tensor.Dense, error) {
	ps, err := trainerParams(t)
	if err != nil {
		return nil, err
	}
	if len(dst) != len(ps) {
		dst = make([]*tensor.Dense, len(ps))
	}
	for i, p := range ps {
		if dst[i] == nil || !dst[i].Shape().Eq(p.Value.Shape()) || dst[i].Dtype() != p.Value.Dtype() {
			dst[i] = tensor.New(tensor.Of(p.Value.Dtype()), tensor.WithShape(p.Value.Shape()...))
		}
		if err := copyValues(dst[i], p.Value); err != nil {
			return nil, errors.Wrapf(err, "parameter %s", p.Name)
		}
	}
	return dst, nil
}

// restore copies a snapshot back into the model's parameters.
func restore(t *Trainer, saved []*tensor.Dense) error {
	ps, err := trainerParams(t)
	if err != nil {
		return err
	}
	if len(saved) != len(ps) {
		return errors.Errorf("the model has %d parameters, the copy %d", len(ps), len(saved))
	}
	for i, p := range ps {
		if !saved[i].Shape().Eq(p.Value.Shape()) {
			return errors.Errorf("parameter %s has shape %v, the copy %v", p.Name, p.Value.Shape(), saved[i].Shape())
		}
		if err := copyValues(p.Value, saved[i]); err != nil {
			return errors.Wrapf(err, "parameter %s", p.Name)
		}
	}
	return nil
}

func trainerParams(t *Trainer) ([]*graph.Param, error) {
	if t == nil || t.Model() == nil {
		return nil, errors.New("no trainer or model")
	}
	return t.Model().Params().List(), nil
}

// copyValues copies the values of src into dst, which must have its dtype
// and size.
func copyValues(dst, src *tensor.Dense) error {
	if dst.Dtype() != src.Dtype() || dst.Size() != src.Size() {
		return errors.Errorf("cannot copy %v %v into %v %v", src.Dtype(), src.Shape(), dst.Dtype(), dst.Shape())
	}
	switch src.Dtype() {
	case tensor.Float32:
		copy(dst.Float32s(), src.Float32s())
	case tensor.Float64:
		copy(dst.Float64s(), src.Float64s())
	default:
		return errors.Errorf("dtype %v is not supported", src.Dtype())
	}
	return nil
}

// modelCheckpoint is the callback ModelCheckpoint returns.
type modelCheckpoint struct {
	NopCallback
	path         string
	monitorName  metrics.Name
	saveBestOnly bool

	mon      monitor
	best     float64
	restored bool // RestoreCallbackState ran: keep best
	began    bool // best is set
}

// ModelCheckpoint returns a callback that saves the model's weights to
// path with Params.SaveFile (atomically: an interrupted save leaves the
// previous file intact), like Keras's ModelCheckpoint with
// save_weights_only. Without saveBestOnly it saves after every epoch;
// with it, only after epochs whose monitored metric improves on every
// earlier epoch of the Fit, so that path always holds the best weights so far.
// monitor is MetricValLoss, MetricValAcc, MetricLoss or MetricAcc, as for
// EarlyStopping.
//
// An empty path or an unknown monitor is an error when Fit begins, and a
// failed save is an error that stops Fit.
func ModelCheckpoint(path string, monitor metrics.Name, saveBestOnly bool) Callback {
	return &modelCheckpoint{path: path, monitorName: monitor, saveBestOnly: saveBestOnly}
}

// OnTrainBegin checks the arguments and resets the best value.
func (c *modelCheckpoint) OnTrainBegin(*Trainer, RunInfo) error {
	if c.path == "" {
		return errors.New("train: model checkpoint: empty path")
	}
	mon, err := monitorOf(c.monitorName)
	if err != nil {
		return errors.Wrap(err, "train: model checkpoint")
	}
	c.began = true
	if c.restored {
		c.mon, c.restored = mon, false
		return nil
	}
	c.mon, c.best = mon, mon.worst()
	return nil
}

// modelCheckpointState is the JSON of a modelCheckpoint's state; Best is
// nil before any save (JSON has no infinities).
type modelCheckpointState struct {
	Monitor string   `json:"monitor"`
	Best    *float64 `json:"best"`
}

// CallbackState returns the best value so far.
func (c *modelCheckpoint) CallbackState() (json.RawMessage, error) {
	st := modelCheckpointState{Monitor: c.monitorName.String()}
	if c.began && !math.IsInf(c.best, 0) {
		st.Best = &c.best
	}
	b, err := json.Marshal(st)
	return b, errors.Wrap(err, "train: model checkpoint")
}

// RestoreCallbackState restores a state CallbackState returned.
func (c *modelCheckpoint) RestoreCallbackState(raw json.RawMessage) error {
	var st modelCheckpointState
	if err := json.Unmarshal(raw, &st); err != nil {
		return errors.Wrap(err, "train: model checkpoint state")
	}
	mon, err := monitorOf(c.monitorName)
	if err != nil {
		return errors.Wrap(err, "train: model checkpoint")
	}
	if st.Monitor != c.monitorName.String() {
		return errors.Errorf("train: model checkpoint state %s does not fit a callback monitoring %v", raw, c.monitorName)
	}
	c.mon, c.best, c.restored, c.began = mon, mon.worst(), true, true
	if st.Best != nil {
		c.best = *st.Best
	}
	return nil
}

// OnEpochEnd saves the weights, every epoch or when the monitored metric
// improves.
func (c *modelCheckpoint) OnEpochEnd(t *Trainer, e Epoch) error {
	if c.saveBestOnly {
		v, err := c.mon.value(e)
		if err != nil {
			return errors.Wrap(err, "train: model checkpoint")
		}
		if !c.mon.better(v, c.best) {
			return nil
		}
		c.best = v
	}
	if t == nil || t.Model() == nil {
		return errors.New("train: model checkpoint: no trainer or model")
	}
	return errors.Wrapf(t.Model().Params().SaveFile(c.path), "train: model checkpoint after epoch %d", e.Epoch)
}
