package metrics

// Name names a per-epoch measurement of a training history, as Keras
// names it: "loss", "acc", "val_loss", or, for a model of several outputs,
// the output's layer name in front ("head_loss", "val_head_acc"). The
// constants name what every history holds; Metric.Name names the rest,
// and Of and Val compose names.
type Name string

// The names of what every history holds.
const (
	Loss         Name = "loss"          // mean training loss (over all outputs, weighted)
	Acc          Name = "acc"           // training accuracy (a classifier of one output)
	ValLoss      Name = "val_loss"      // validation loss
	ValAcc       Name = "val_acc"       // validation accuracy
	Seconds      Name = "seconds"       // wall time of the epoch
	TrainSeconds Name = "train_seconds" // wall time of its training steps
	ImagesPerS   Name = "images_per_s"  // training images per second
	LR           Name = "lr"            // learning rate (0 unless scheduled)
)

// String returns the name.
func (m Name) String() string { return string(m) }

// Val returns the name of m measured on the validation set: "val_" + m.
func (m Name) Val() Name { return "val_" + m }

// Of returns the name of m for the named output of a model of several
// outputs: output + "_" + m, such as "head_loss".
func (m Name) Of(output string) Name { return Name(output) + "_" + m }

// Correct counts the rows of the k-wide matrix pred whose largest entry
// (the first, on ties) is at the class in labels.
func Correct(pred []float32, labels []int, k int) int {
	n := 0
	for i, l := range labels {
		if argmax(pred[i*k:(i+1)*k]) == l {
			n++
		}
	}
	return n
}
