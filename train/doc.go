// Package train fits a model.Model to data with a Trainer whose Fit and
// Evaluate read like Keras's. What it trains with lives in packages of its
// own, as in Keras: train/losses (the losses and the Loss interface),
// train/metrics (the metrics and their names) and train/optimizers (the
// optimisers and the learning-rate schedules). Package train owns the loop:
// the Trainer, its options, callbacks, the History, checkpoints. Prediction
// needs no trainer: it is model.Model's.
//
//	t, err := train.New(model, train.Optimizer(optimizers.RMSprop(1e-4)))
//	hist, err := t.Fit(trainSet, train.Epochs(50), train.BatchSize(128), train.Validation(valSet))
//	loss, acc, err := t.Evaluate(testSet)
//
// Fit returns a History with loss, accuracy, validation loss and accuracy
// and seconds per epoch. Losses are means over the batch, as Keras's are.
//
// A loss is a losses.Loss: a built-in one (losses.CategoricalCrossEntropy,
// losses.MSE, losses.Huber, ...) or any function of Gorgonia nodes that
// returns each example's loss, a losses.Func, as Keras takes loss=fn; the
// trainer weighs the examples and takes the mean. A model of several
// outputs takes a loss per output (Losses) and weights for them
// (LossWeights). Metrics beyond loss and accuracy are metrics.Metric
// values (metrics.NewMeanAbsoluteError, metrics.NewF1, ... or one's own
// type), given with Metrics or OutputMetrics; History records them by
// Keras's names (metrics.Name): "mae", "val_mae", and for a model of
// several outputs, each output's layer name in front: "head_loss",
// "head_acc", "val_head_loss".
//
// Options are functional options named for what they set, with no With
// prefix (Loss, Optimizer, Seed, Epochs, BatchSize), the rule of every
// package of the module.
// Progress, early stopping and checkpoints attach to the loop as
// callbacks rather than living inside it; a callback implements only the
// hooks it needs (TrainBeginner, EpochBeginner, BatchBeginner, BatchEnder,
// EpochEnder, TrainEnder). PreciseBN recomputes BatchNormalization's
// running statistics after every epoch, so that short runs validate with
// statistics that fit their weights.
//
// A Trainer compiles one training graph per batch size it meets (the
// training batch and the last partial batch) and evaluation graphs for the
// evaluation batch and powers of two below it; all of them share the
// model's parameters. TrainBatch takes one step for loops of one's own.
//
// Runs are reproducible: the same model seed and trainer seed give the same
// history, bit for bit, on any number of cores (of one kind of CPU: the
// AVX2 and the pure-Go kernels round differently). Every training batch is
// numbered over the whole run (graph.Machine.SetStep), so randomness such
// as dropout masks depends on the batch, not on how the run got there: a
// run resumed from a checkpoint (ReadCheckpoint) ends with exactly the
// weights of an uninterrupted one.
//
// Layers frozen with model.Model.SetTrainable are left alone: no gradient,
// no update, no optimiser state, and a frozen BatchNormalization keeps its
// statistics. Freezing may change between calls of Fit (the trainer
// rebuilds its graphs), and checkpoints record it. See examples/transfer.
//
// Fit, Validation and Evaluate take any data.Source: an in-memory
// data.Dataset, a folder of images (data.ImageFolder), or a source of
// one's own. Targets are integer labels (sparse, as Keras's
// sparse_categorical_crossentropy takes them), one-hot rows or real
// values; examples are images or plain vectors.
//
// The package knows the model only through model.Model and the data
// only through data.Source.
package train
