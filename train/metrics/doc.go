// Package metrics holds what a train.Trainer measures besides the loss:
// the Metric interface (update from a batch, result, reset, as Keras's
// metric objects), the built-in metrics (accuracy, top-k accuracy, MAE,
// MSE, precision, recall, F1 and a confusion matrix), and Name, the typed
// name under which a History records a measurement ("loss", "val_acc",
// "head_mae").
//
//	tr, err := train.New(m, train.Metrics(metrics.NewTopKAccuracy(3), metrics.NewF1()))
//	stop := train.EarlyStopping(metrics.ValLoss, 3, true)
//
// A metric of one's own is a type with the Metric interface's methods.
// The package knows nothing of Gorgonia, the model or the trainer: a
// Metric sees a Batch of host values.
package metrics
