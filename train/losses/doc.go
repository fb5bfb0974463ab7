// Package losses holds the losses a train.Trainer minimises: the Loss
// interface, the built-in losses with Keras's names and definitions
// (categorical and sparse categorical cross-entropy, with label smoothing
// or from logits; binary cross-entropy; MSE, MAE and Huber), and Func, a
// loss written as any function of Gorgonia (or package ops) nodes, as
// Keras takes loss=fn.
//
//	tr, err := train.New(m, train.Loss(losses.SparseCategoricalCrossEntropy))
//
// The built-in losses run on package ops' fused loss kernels. The package
// knows nothing of the trainer, the model or the data: a Loss sees one
// output's nodes of one batch (Input).
package losses
