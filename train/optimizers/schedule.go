package optimizers

import (
	"fmt"
	"math"
)

// A Schedule gives the learning rate of every training step, as Keras's
// learning-rate schedules do. train.Schedule attaches one to a Trainer, which
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
