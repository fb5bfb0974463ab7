// Package optimizers holds the update rules a train.Trainer applies to the
// parameters — RMSprop, Adam, AdamW, AdaGrad, SGD with momentum and
// Nesterov, with Keras's default hyper-parameters — their options (weight
// decay and gradient clipping: WeightDecay, ClipNorm, GlobalClipNorm,
// ClipValue), and the learning-rate schedules (StepDecay,
// ExponentialDecay, CosineDecay with warm-up, PerEpoch).
//
//	opt := optimizers.AdamW(1e-3, optimizers.ClipNorm(1))
//	tr, err := train.New(m, train.Optimizer(opt), train.Schedule(optimizers.CosineDecay(1e-3, 5000, 0, 500, 0)))
//
// An optimiser of one's own implements Optimizer (and LRSetter, to follow
// a schedule, and Stateful, to be checkpointed). The package knows the
// parameters only as graph.Param values and their gradients as tensors.
package optimizers
