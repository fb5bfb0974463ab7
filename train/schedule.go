package train

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/pkg/errors"
)

// A Schedule gives the learning rate of every training step, as Keras's
// learning-rate schedules do. WithSchedule attaches one to a Trainer, which
// sets the optimiser's rate before each step. The rate depends on the step
// and epoch numbers alone, so a run resumed from a checkpoint follows the
// same schedule as an uninterrupted one.
type Schedule interface {
	// Rate returns the learning rate of step (counted from 0 over the
	// whole run), which falls in epoch (counted from 0).
	Rate(step uint64, epoch int) float64
	// String describes the schedule.
	String() string
}

// scheduleFunc is a Schedule made of a description and a function.
type scheduleFunc struct {
	name string
	rate func(step uint64, epoch int) float64
}

func (s scheduleFunc) Rate(step uint64, epoch int) float64 { return s.rate(step, epoch) }
func (s scheduleFunc) String() string                      { return s.name }

// StepDecay multiplies the rate by factor every everyEpochs epochs:
// initial · factor^⌊epoch/everyEpochs⌋.
func StepDecay(initial, factor float64, everyEpochs int) Schedule {
	every := max(everyEpochs, 1)
	return scheduleFunc{fmt.Sprintf("StepDecay(initial=%g, factor=%g, every=%d)", initial, factor, everyEpochs), func(_ uint64, epoch int) float64 {
		return initial * math.Pow(factor, float64(epoch/every))
	}}
}

// ExponentialDecay is Keras's ExponentialDecay: initial ·
// rate^(step/decaySteps), with the exponent rounded down if staircase.
func ExponentialDecay(initial, rate float64, decaySteps int, staircase bool) Schedule {
	steps := float64(max(decaySteps, 1))
	return scheduleFunc{fmt.Sprintf("ExponentialDecay(initial=%g, rate=%g, steps=%d, staircase=%v)", initial, rate, decaySteps, staircase), func(step uint64, _ int) float64 {
		p := float64(step) / steps
		if staircase {
			p = math.Floor(p)
		}
		return initial * math.Pow(rate, p)
	}}
}

// CosineDecay is Keras's CosineDecay with warm-up: for the first
// warmupSteps steps the rate climbs linearly from initial to target; then
// over decaySteps steps it follows a half cosine from target down to
// alpha·target, and stays there. With warmupSteps 0 the target is initial
// and there is no warm-up.
func CosineDecay(initial float64, decaySteps int, alpha float64, warmupSteps int, target float64) Schedule {
	if warmupSteps <= 0 {
		warmupSteps, target = 0, initial
	}
	decay := float64(max(decaySteps, 1))
	name := fmt.Sprintf("CosineDecay(initial=%g, steps=%d, alpha=%g, warmup=%d, target=%g)", initial, decaySteps, alpha, warmupSteps, target)
	return scheduleFunc{name, func(step uint64, _ int) float64 {
		if step < uint64(warmupSteps) {
			return initial + (target-initial)*float64(step)/float64(warmupSteps)
		}
		p := math.Min(float64(step-uint64(warmupSteps)), decay) / decay
		return target * ((1-alpha)*0.5*(1+math.Cos(math.Pi*p)) + alpha)
	}}
}

// PerEpoch evaluates s at the epoch number instead of the step: one rate
// for each whole epoch, as Keras's LearningRateScheduler callback sets it.
// CosineDecay's steps, for one, then count epochs.
func PerEpoch(s Schedule) Schedule {
	return scheduleFunc{"PerEpoch(" + s.String() + ")", func(_ uint64, epoch int) float64 { return s.Rate(uint64(epoch), epoch) }}
}

// WithSchedule makes the trainer set the optimiser's learning rate from s
// before every training step. The optimiser must be an LRSetter (the
// built-in ones are).
func WithSchedule(s Schedule) Option { return func(t *Trainer) { t.schedule = s } }

// LearningRate returns the optimiser's current learning rate, or 0 if it
// does not say (it is not an LRSetter).
func (t *Trainer) LearningRate() float64 {
	if s, ok := t.opt.(LRSetter); ok {
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
	monitor  Metric
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
// together with WithSchedule, which sets the rate at every step.
func ReduceLROnPlateau(monitor Metric, factor float64, patience int, minLR float64) Callback {
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
	s, ok := t.opt.(LRSetter)
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
	s := t.opt.(LRSetter)
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
