// Package train fits a model.Model to data: losses, metrics,
// optimisers (RMSprop, Adam, AdamW, AdaGrad, SGD with momentum and
// Nesterov) with Keras's default hyper-parameters, each with optional
// weight decay and gradient clipping (WeightDecay, ClipNorm,
// GlobalClipNorm, ClipValue), and a Trainer whose Fit and Evaluate read
// like Keras's. Prediction needs no trainer: it is model.Model's.
//
//	t, err := train.New(model, train.WithOptimizer(train.RMSprop(1e-4)))
//	hist, err := t.Fit(trainSet, train.Epochs(50), train.BatchSize(128), train.Validation(valSet))
//	loss, acc, err := t.Evaluate(testSet)
//
// Fit returns a History with loss, accuracy, validation loss and accuracy
// and seconds per epoch. Losses are means over the batch, as Keras's are.
//
// A loss is a Loss: a built-in one (CategoricalCrossEntropy,
// SparseCategoricalCrossEntropy, BinaryCrossEntropy, MSE, MAE, Huber, ...)
// or any function of Gorgonia nodes that returns each example's loss, a
// LossFunc, as Keras takes loss=fn; the trainer weighs the examples and
// takes the mean. A model of several outputs takes a loss per output
// (WithLosses) and weights for them (LossWeights). Metrics beyond loss and
// accuracy are Meters (NewMeanAbsoluteError, NewTopKAccuracy, NewF1, ... or
// one's own type), given with WithMetrics or WithOutputMetrics; History
// records them by Keras's names: "mae", "val_mae", and for a model of
// several outputs, each output's layer name in front: "head_loss",
// "head_acc", "val_head_loss".
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
