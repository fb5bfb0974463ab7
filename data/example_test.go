package data_test

import (
	"bytes"
	"fmt"
	"log"
	"strings"

	"github.com/gocnn/cnn/data"
)

func ExampleReadIDX() {
	// A 2×3 array of unsigned bytes: magic 0 0, type 0x08, 2 dimensions,
	// the sizes 2 and 3 as big-endian uint32s, then the six values.
	file := []byte{
		0, 0, 0x08, 2,
		0, 0, 0, 2,
		0, 0, 0, 3,
		1, 2, 3,
		4, 5, 6,
	}
	x, err := data.ReadIDX(bytes.NewReader(file), "tiny.idx")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.Type, x.Dims, x.Data)

	// The same file cut short.
	_, err = data.ReadIDX(bytes.NewReader(file[:15]), "tiny.idx")
	fmt.Println(err)
	// Output:
	// ubyte [2 3] [1 2 3 4 5 6]
	// data: tiny.idx: truncated payload: dimensions [2 3] of ubyte need 6 bytes, got 3
}

func ExampleIterator() {
	// Five one-pixel images whose value is their index, in two classes.
	ds := &data.Dataset{N: 5, C: 1, H: 1, W: 1, Classes: 2}
	for i := range ds.N {
		ds.X = append(ds.X, float32(i))
		ds.Labels = append(ds.Labels, i%2)
		onehot := []float32{0, 0}
		onehot[i%2] = 1
		ds.Y = append(ds.Y, onehot...)
	}

	it, err := data.NewIterator(ds, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(it.NumBatches(), "batches")
	for e := range 2 {
		it.Epoch(e)
		for it.Next() {
			b := it.Batch()
			fmt.Println("epoch", e, "N", b.N, "X", b.X, "labels", b.Labels)
		}
	}
	// Output:
	// 3 batches
	// epoch 0 N 2 X [0 1] labels [0 1]
	// epoch 0 N 2 X [2 3] labels [0 1]
	// epoch 0 N 1 X [4] labels [0]
	// epoch 1 N 2 X [0 1] labels [0 1]
	// epoch 1 N 2 X [2 3] labels [0 1]
	// epoch 1 N 1 X [4] labels [0]
}

func ExampleShuffle() {
	ds := &data.Dataset{N: 6, C: 1, H: 1, W: 1, Classes: 1,
		X: make([]float32, 6), Y: make([]float32, 6), Labels: make([]int, 6)}
	it, err := data.NewIterator(ds, 6, data.Shuffle(1))
	if err != nil {
		log.Fatal(err)
	}
	// The order of an epoch depends only on the seed and the epoch.
	order := func(e int) []int {
		it.Epoch(e)
		it.Next()
		return append([]int(nil), it.Batch().Index...)
	}
	a, b, c := order(0), order(1), order(0)
	fmt.Println(fmt.Sprint(a) == fmt.Sprint(c), fmt.Sprint(a) == fmt.Sprint(b))
	// Output:
	// true false
}

func ExampleReadIDXN() {
	// Four entries of two bytes; the header's count says 4.
	file := []byte{
		0, 0, 0x08, 2,
		0, 0, 0, 4,
		0, 0, 0, 2,
		1, 2, 3, 4, 5, 6, 7, 8,
	}
	// Only the header and the first three entries are read.
	x, err := data.ReadIDXN(bytes.NewReader(file), "pairs.idx", 3)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.Dims, x.Data)
	// Output:
	// [3 2] [1 2 3 4 5 6]
}

func ExampleReadCSV() {
	// Two features and a class name per row, under a header.
	file := "sepal,petal,species\n" +
		"5.1,1.4,setosa\n" +
		"7.0,4.7,versicolor\n" +
		"6.3,6.0,virginica\n" +
		"4.9,1.5,setosa\n"
	ds, err := data.ReadCSV(strings.NewReader(file), "iris.csv")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.N, ds.Shape(), ds.Classes, ds.ClassNames, ds.Labels)
	fmt.Println(ds.Image(1))

	// A row one field short.
	_, err = data.ReadCSV(strings.NewReader(file+"5.0,setosa\n"), "iris.csv")
	fmt.Println(err)
	// Output:
	// 4 [2] 3 [setosa versicolor virginica] [0 1 2 0]
	// [7 4.7]
	// data: iris.csv: line 6: 2 fields, but the first row has 3
}

func ExampleFromArrays() {
	// Three grey 2×2 images, as NumPy's np.load would give x of shape
	// (3, 2, 2), and their integer labels y of shape (3,).
	x := &data.Array{Shape: []int{3, 2, 2}, Data: []float32{
		0, 1, 1, 0,
		1, 0, 0, 1,
		1, 1, 1, 1,
	}}
	y := &data.Array{Shape: []int{3}, Data: []float32{0, 1, 2}}
	ds, err := data.FromArrays(x, y, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.N, ds.Shape(), ds.Classes, ds.Labels, ds.Y == nil)

	// One-hot rows instead: Y, and the labels they imply.
	y = &data.Array{Shape: []int{3, 3}, Data: []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}}
	ds, err = data.FromArrays(x, y, 0)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(ds.Classes, ds.Labels, ds.Y[3:6])

	// Labels that are not whole numbers.
	_, err = data.FromArrays(x, &data.Array{Shape: []int{3}, Data: []float32{0, 1.5, 2}}, 0)
	fmt.Println(err)
	// Output:
	// 3 [1 2 2] 3 [0 1 2] true
	// 3 [0 1 2] [0 1 0]
	// data: y: label 1.5 at index 1 is not a whole number
}
