// Package train fits a layers.Sequential model to data: losses, metrics,
// optimisers (RMSprop, Adam, AdaGrad, SGD with momentum and Nesterov) with
// Keras's default hyper-parameters, and a Trainer whose Fit, Evaluate and
// Predict read like Keras's.
//
//	t, err := train.New(model, train.WithOptimizer(train.RMSprop(1e-4)))
//	hist, err := t.Fit(trainSet, valSet, 50, 128)
//	loss, acc, err := t.Evaluate(testSet)
//
// Fit returns a History with loss, accuracy, validation loss and accuracy
// and seconds per epoch. Losses are means over the batch, as Keras's are.
// Progress, early stopping and checkpoints attach to the loop as
// callbacks rather than living inside it.
//
// A Trainer compiles one Gorgonia graph per batch size it meets (the
// training batch, the last partial batch, the evaluation batch); all of
// them share the model's parameters, so a model trained in batches of 128
// predicts any number of images.
//
// Runs are reproducible: the same model seed and trainer seed give the same
// history, bit for bit, on any number of cores (of one kind of CPU: the
// AVX2 and the pure-Go kernels round differently). Every training batch is
// numbered over the whole run (graph.Machine.SetStep), so randomness such
// as dropout masks depends on the batch, not on how the run got there: a
// run resumed from a checkpoint (ReadCheckpoint) ends with exactly the
// weights of an uninterrupted one.
//
// The package knows the model only through layers.Sequential and the data
// only through data.Dataset.
package train
