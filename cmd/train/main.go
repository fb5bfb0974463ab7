// Command train trains a convolutional network on a folder of your own
// images and reports its accuracy, as Keras's image_dataset_from_directory
// examples do:
//
//	go run ./cmd/train -images DIR -out OUT
//	go run ./cmd/serve -model OUT/model.gocnn
//
// DIR holds one sub-folder per class, named after it (the class names are
// the folder names, sorted), of PNG, JPEG or GIF files of any size. Every
// image is read as -color (gray or rgb) and scaled to -size (HxW; by
// default the first image's size). A fraction of the images (-val-split,
// 0.2), chosen by -seed, is held out for validation; the run is tested on
// -test DIR, a folder of the same classes, or else on the validation
// images. Images are decoded by several goroutines ahead of training, and
// kept decoded in memory up to 1 GiB a set (a byte a value), so that a
// folder larger than that streams from disk. -skip-bad skips files that
// are not readable images, and counts them, instead of stopping.
//
// -model picks the network: cnn (a small CNN sized to the images), resnet
// (the BatchNormalization ResNet of mnist -model resnet, sized to the
// images) or a model.gocnn file to go on training (its input sets -size
// and -color). Adam at 1e-3, batches of 32 and 10 epochs are the defaults;
// -augment adds random shifts, rotations and zooms.
//
// With -out OUT it writes what cmd/mnist writes, atomically: run.json,
// history.json and history.csv, accuracy.png and loss.png, a checkpoint
// after every epoch, and at the end model.gocnn (with the class names, so
// that cmd/serve answers with them), weights.bin, the first layer's
// filters, one image's feature maps, the test confusion matrix with the
// class names, and result.json. Locks, signals (a first SIGINT, SIGTERM or
// SIGHUP saves a checkpoint and exits 130), -resume OUT and the exit
// statuses (0, 1 error, 64 usage, 130 interrupted) are cmd/mnist's. Run
// with -help for every flag.
package main

import (
	"os"

	"github.com/gocnn/cnn/internal/cli"
)

func main() { os.Exit(cli.Main(cli.Train, os.Args[1:])) }
