package train

import (
	"encoding/json"
	"math"

	"github.com/gocnn/cnn/train/metrics"
	"github.com/gocnn/cnn/train/optimizers"
	"github.com/pkg/errors"
)

// Schedule makes the trainer set the optimiser's learning rate from s
// before every training step. The optimiser must be an LRSetter (the
// built-in ones are).
func Schedule(s optimizers.Schedule) Option { return func(t *Trainer) { t.schedule = s } }

// LearningRate returns the optimiser's current learning rate, or 0 if it
// does not say (it is not an LRSetter).
func (t *Trainer) LearningRate() float64 {
	if s, ok := t.opt.(optimizers.LRSetter); ok {
		return s.LearningRate()
	}
	return 0
}

// setsLR marks callbacks that change the learning rate, so that the
// epochs record it.
type setsLR interface{ setsLR() }

// tracksLR reports whether the learning rate can change during a run, so
// that each epoch records it.
func (t *Trainer) tracksLR() bool {
	if t.schedule != nil {
		return true
	}
	for _, cb := range t.callbacks {
		if _, ok := cb.(setsLR); ok {
			return true
		}
	}
	return false
}

// reduceLROnPlateau is the callback ReduceLROnPlateau returns.
type reduceLROnPlateau struct {
	NopCallback
	monitor  metrics.Name
	factor   float64
	patience int
	minLR    float64

	mon      monitor
	best     float64 // NaN before the first Fit, ±Inf before the first epoch
	wait     int
	lr       float64 // the rate it set last, or 0
	restored bool
}

// plateauMinDelta is how much the monitored metric must improve to count,
// as Keras's default min_delta.
const plateauMinDelta = 1e-4

// ReduceLROnPlateau returns a callback that multiplies the learning rate by
// factor (in (0, 1)) once the monitored metric has not improved by more
// than 1e-4 for patience epochs, never going below minLR, like Keras's
// ReduceLROnPlateau (cooldown 0). It is a StatefulCallback: a checkpoint
// keeps its best value, its wait and the rate it set. It cannot be used
// together with Schedule, which sets the rate at every step.
func ReduceLROnPlateau(monitor metrics.Name, factor float64, patience int, minLR float64) Callback {
	return &reduceLROnPlateau{monitor: monitor, factor: factor, patience: patience, minLR: minLR, best: math.NaN()}
}

func (c *reduceLROnPlateau) setsLR() {}

// OnTrainBegin checks the arguments and the optimiser, and resets the
// state unless it was just restored (then it sets the rate it had).
func (c *reduceLROnPlateau) OnTrainBegin(t *Trainer, _ RunInfo) error {
	mon, err := monitorOf(c.monitor)
	if err != nil {
		return errors.Wrap(err, "train: reduce lr on plateau")
	}
	if !(c.factor > 0 && c.factor < 1) || c.patience < 0 || c.minLR < 0 {
		return errors.Errorf("train: reduce lr on plateau: factor %v must be in (0, 1), patience %d and min lr %v not negative", c.factor, c.patience, c.minLR)
	}
	s, ok := t.opt.(optimizers.LRSetter)
	if !ok {
		return errors.Errorf("train: reduce lr on plateau: optimizer %v has no settable learning rate", t.opt)
	}
	if t.schedule != nil {
		return errors.New("train: reduce lr on plateau cannot be combined with a schedule, which sets the rate at every step")
	}
	c.mon = mon
	if c.restored {
		c.restored = false
		if c.lr > 0 {
			s.SetLearningRate(c.lr)
		}
		return nil
	}
	c.best, c.wait, c.lr = mon.worst(), 0, 0
	return nil
}

// OnEpochEnd counts epochs without improvement and lowers the rate.
func (c *reduceLROnPlateau) OnEpochEnd(t *Trainer, e Epoch) error {
	v, err := c.mon.value(e)
	if err != nil {
		return errors.Wrap(err, "train: reduce lr on plateau")
	}
	improved := v < c.best-plateauMinDelta
	if c.mon.max {
		improved = v > c.best+plateauMinDelta
	}
	if improved || math.IsInf(c.best, 0) && !math.IsNaN(v) {
		c.best, c.wait = v, 0
		return nil
	}
	c.wait++
	if c.wait < c.patience {
		return nil
	}
	s := t.opt.(optimizers.LRSetter)
	if lr := math.Max(s.LearningRate()*c.factor, c.minLR); lr < s.LearningRate() {
		s.SetLearningRate(lr)
		c.lr = lr
	}
	c.wait = 0
	return nil
}

// plateauState is the JSON of the callback's state; Best is nil before any
// epoch.
type plateauState struct {
	Monitor string   `json:"monitor"`
	Best    *float64 `json:"best"`
	Wait    int      `json:"wait"`
	LR      float64  `json:"lr"`
}

// CallbackState returns the best value, the wait and the rate it set.
func (c *reduceLROnPlateau) CallbackState() (json.RawMessage, error) {
	st := plateauState{Monitor: c.monitor.String(), Wait: c.wait, LR: c.lr}
	if !math.IsInf(c.best, 0) && !math.IsNaN(c.best) {
		st.Best = &c.best
	}
	b, err := json.Marshal(st)
	return b, errors.Wrap(err, "train: reduce lr on plateau")
}

// RestoreCallbackState restores a state CallbackState returned.
func (c *reduceLROnPlateau) RestoreCallbackState(raw json.RawMessage) error {
	var st plateauState
	if err := json.Unmarshal(raw, &st); err != nil {
		return errors.Wrap(err, "train: reduce lr on plateau state")
	}
	mon, err := monitorOf(c.monitor)
	if err != nil {
		return errors.Wrap(err, "train: reduce lr on plateau")
	}
	if st.Monitor != c.monitor.String() || st.Wait < 0 || st.LR < 0 {
		return errors.Errorf("train: reduce lr on plateau state %s does not fit a callback monitoring %v", raw, c.monitor)
	}
	c.mon, c.best, c.wait, c.lr, c.restored = mon, mon.worst(), st.Wait, st.LR, true
	if st.Best != nil {
		c.best = *st.Best
	}
	return nil
}
