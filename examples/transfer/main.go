// Command transfer is a runnable example of transfer learning, Keras's
// "freeze the base, train a new head" recipe, on real MNIST.
//
//	go run ./examples/transfer                 # pretrain, then fine-tune in a fresh process
//	go run ./examples/transfer -finetune DIR   # fine-tune the model saved in DIR only
//
// It pretrains a small CNN with BatchNormalization on the digits 0 to 4
// and saves it. A fresh process (the program runs itself again with
// -finetune) loads the file, freezes the convolutional base, puts a new
// head on its features for the digits 5 to 9 (labels 0 to 4), and trains
// it on a few labelled examples (-per-class of each digit). It checks that
// the base's weights and BatchNormalization statistics are bit for bit
// what the file held, and compares the fine-tuned accuracy on the test
// digits 5 to 9 with the same network trained from scratch on the same
// examples.
package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/ops"
	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "transfer:", err)
		os.Exit(1)
	}
}

// The saved pretrained model, in the directory of -dir or -finetune.
const baseFile = "pretrained.gocnn"

// The layers the base ends with: the new head takes its output.
const featureLayer = "flatten_1"

// config is the sizes a run uses, passed on to the fine-tuning process.
type config struct {
	images, epochs, perClass, tuneEpochs, test int
	seed                                       uint64
}

// flags returns c as command-line flags.
func (c config) flags() []string {
	return []string{"-images", strconv.Itoa(c.images), "-epochs", strconv.Itoa(c.epochs), "-per-class", strconv.Itoa(c.perClass),
		"-tune-epochs", strconv.Itoa(c.tuneEpochs), "-test", strconv.Itoa(c.test), "-seed", strconv.FormatUint(c.seed, 10)}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("transfer", flag.ContinueOnError)
	finetune := fs.String("finetune", "", "fine-tune the model saved in this directory (skip pretraining)")
	dir := fs.String("dir", "", "directory to save the pretrained model in (default: a temporary one)")
	var c config
	fs.IntVar(&c.images, "images", 60000, "MNIST training images to draw the digits 0 to 4 from for pretraining")
	fs.IntVar(&c.epochs, "epochs", 4, "pretraining epochs")
	fs.IntVar(&c.perClass, "per-class", 50, "labelled examples of each digit 5 to 9 to fine-tune on")
	fs.IntVar(&c.tuneEpochs, "tune-epochs", 40, "fine-tuning epochs (and epochs from scratch)")
	fs.IntVar(&c.test, "test", 10000, "MNIST test images to draw the test digits from")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the models' initial weights")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.images <= 0 || c.epochs <= 0 || c.perClass <= 0 || c.tuneEpochs <= 0 || c.test <= 0 {
		return errors.New("-images, -epochs, -per-class, -tune-epochs and -test must be positive")
	}
	mnist, err := data.DefaultMNISTDir()
	if err != nil {
		return err
	}
	trainSet, testSet, err := data.LoadMNIST(mnist, data.MaxExamples(max(c.images, 20000)), data.MaxTestExamples(c.test))
	if err != nil {
		return err
	}
	if *finetune != "" {
		return fineTune(*finetune, c, trainSet, testSet, stdout)
	}
	if *dir == "" {
		if *dir, err = os.MkdirTemp("", "transfer"); err != nil {
			return errors.Wrap(err, "temporary directory")
		}
		defer os.RemoveAll(*dir)
	}
	if err := pretrain(*dir, c, trainSet.Limit(c.images), testSet, stdout); err != nil {
		return err
	}
	// Fine-tune in a fresh process: only the file carries the model over.
	self, err := os.Executable()
	if err != nil {
		return errors.Wrap(err, "finding this program to run it again")
	}
	fmt.Fprintf(stdout, "\nfine-tuning in a fresh process: %s -finetune %s\n", filepath.Base(self), *dir)
	cmd := exec.Command(self, append([]string{"-finetune", *dir}, c.flags()...)...)
	cmd.Stdout, cmd.Stderr = stdout, os.Stderr
	return errors.Wrap(cmd.Run(), "fine-tuning process")
}

// digits returns the examples of d whose labels are in [lo, hi), at most
// perClass of each (all if perClass is 0), labelled 0 to hi-lo-1.
func digits(d *data.Dataset, lo, hi, perClass int) *data.Dataset {
	var idx []int
	count := make([]int, hi-lo)
	for i, l := range d.Labels {
		if l >= lo && l < hi && (perClass == 0 || count[l-lo] < perClass) {
			idx = append(idx, i)
			count[l-lo]++
		}
	}
	s := d.Subset(idx)
	for i := range s.Labels {
		s.Labels[i] -= lo
	}
	s.Y, s.Classes, s.ClassNames = nil, hi-lo, nil
	for l := lo; l < hi; l++ {
		s.ClassNames = append(s.ClassNames, strconv.Itoa(l))
	}
	return s
}

// base returns the convolutional base's layers, named by the model.
func base() []layers.Layer {
	return []layers.Layer{
		layers.Conv2D(8, 3, 3), layers.BatchNormalization(), layers.ReLU(), layers.MaxPool2D(2, 2),
		layers.Conv2D(16, 3, 3), layers.BatchNormalization(), layers.ReLU(), layers.MaxPool2D(2, 2),
		layers.Flatten(),
	}
}

// head returns the classifier on the base's features.
func head() layers.Layer { return layers.Dense(5, layers.Activation(ops.Softmax)) }

// pretrain trains base and head on the digits 0 to 4 and saves the model
// in dir.
func pretrain(dir string, c config, trainSet, testSet *data.Dataset, stdout io.Writer) error {
	tr04, te04 := digits(trainSet, 0, 5, 0), digits(testSet, 0, 5, 0)
	m, err := model.NewSequential([]int{1, 28, 28}, append(base(), head()), model.Seed(c.seed), model.ClassNames(tr04.ClassNames...))
	if err != nil {
		return err
	}
	defer m.Close()
	fmt.Fprintf(stdout, "pretraining on %d images of the digits 0 to 4, %d epochs\n", tr04.N, c.epochs)
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(2e-3)))
	if err != nil {
		return err
	}
	defer tr.Close()
	if _, err := tr.Fit(tr04, train.Epochs(c.epochs), train.BatchSize(64)); err != nil {
		return err
	}
	_, acc, err := tr.Evaluate(te04)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "pretrained accuracy on %d test digits 0 to 4: %.4f\n", te04.N, acc)
	path := filepath.Join(dir, baseFile)
	if err := m.Save(path, nil); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "saved %s\n", path)
	return nil
}

// fineTune loads the pretrained model from dir, freezes its base, trains a
// new head for the digits 5 to 9 on perClass examples of each, checks the
// base is untouched, and compares with training from scratch.
func fineTune(dir string, c config, trainSet, testSet *data.Dataset, stdout io.Writer) error {
	few, te59 := digits(trainSet, 5, 10, c.perClass), digits(testSet, 5, 10, 0)
	if few.N < 5*c.perClass {
		return errors.Errorf("only %d training examples of the digits 5 to 9; raise -images or lower -per-class", few.N)
	}
	path := filepath.Join(dir, baseFile)
	pre, _, err := model.Load(path)
	if err != nil {
		return err
	}
	defer pre.Close()
	// The base is every layer up to the features; the old head stays
	// out of the new model, and its name (dense_1) stays taken.
	var baseLayers []string
	for _, l := range pre.Layers() {
		baseLayers = append(baseLayers, l.Name())
		if l.Name() == featureLayer {
			break
		}
	}
	if err := pre.SetTrainable(false, baseLayers...); err != nil {
		return err
	}
	feats, err := pre.Output(featureLayer)
	if err != nil {
		return err
	}
	out := model.Apply(head(), feats)
	tuned, err := model.New(pre.Inputs(), []*model.Node{out}, model.Seed(c.seed+1), model.ClassNames(few.ClassNames...))
	if err != nil {
		return errors.Wrap(err, "new head")
	}
	defer tuned.Close()
	if err := tuned.Summary(stdout); err != nil {
		return err
	}
	before, err := digest(tuned, baseLayers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "fine-tuning the new head on %d examples (%d of each digit 5 to 9), base frozen, %d epochs\n", few.N, c.perClass, c.tuneEpochs)
	tunedAcc, err := fit(tuned, few, te59, c.tuneEpochs)
	if err != nil {
		return err
	}
	after, err := digest(tuned, baseLayers)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "base weights and BatchNormalization statistics: sha256 %x before, %x after: ", before[:8], after[:8])
	if !bytes.Equal(before, after) {
		fmt.Fprintln(stdout, "CHANGED")
		return errors.New("fine-tuning changed the frozen base")
	}
	fmt.Fprintln(stdout, "bit-identical")

	scratch, err := model.NewSequential([]int{1, 28, 28}, append(base(), head()), model.Seed(c.seed+1))
	if err != nil {
		return err
	}
	defer scratch.Close()
	fmt.Fprintf(stdout, "training the same network from scratch on the same %d examples, %d epochs\n", few.N, c.tuneEpochs)
	scratchAcc, err := fit(scratch, few, te59, c.tuneEpochs)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "test accuracy on %d digits 5 to 9: fine-tuned %.4f, from scratch %.4f\n", te59.N, tunedAcc, scratchAcc)
	return nil
}

// fit trains m on few and returns its accuracy on test.
func fit(m *model.Model, few, test *data.Dataset, epochs int) (float64, error) {
	tr, err := train.New(m, train.Optimizer(optimizers.Adam(3e-3)), train.Seed(2))
	if err != nil {
		return 0, err
	}
	defer tr.Close()
	if _, err := tr.Fit(few, train.Epochs(epochs), train.BatchSize(25)); err != nil {
		return 0, err
	}
	_, acc, err := tr.Evaluate(test)
	return acc, err
}

// digest returns the SHA-256 of the values of every parameter of the named
// layers of m, running statistics included, in order.
func digest(m *model.Model, names []string) ([]byte, error) {
	h := sha256.New()
	n := 0
	for _, q := range m.Params().List() {
		layer, _, _ := strings.Cut(q.Name, "/")
		for _, name := range names {
			if layer == name {
				h.Write([]byte(q.Name))
				var b []byte
				for _, v := range q.Value.Float32s() {
					b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
				}
				h.Write(b)
				n++
			}
		}
	}
	if n == 0 {
		return nil, errors.Errorf("no parameters in the layers %v", names)
	}
	return h.Sum(nil), nil
}
