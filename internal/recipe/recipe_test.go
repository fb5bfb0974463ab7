package recipe

import (
	"reflect"
	"testing"

	"github.com/gocnn/cnn/data"
)

func TestModel(t *testing.T) {
	m, err := Model(1)
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Params().Count(); n != 38390 {
		t.Errorf("%d parameters, want 38,390", n)
	}
	if out := m.OutputShape(0); !reflect.DeepEqual(out, []int{10}) {
		t.Errorf("output shape %v, want [10]", out)
	}
}

func TestSplit(t *testing.T) {
	full := &data.Dataset{Pixels: make([]uint8, 12000), Labels: make([]int, 12000), N: 12000, C: 1, H: 1, W: 1, Classes: 10}
	trainSet, val, err := Split(full, 1)
	if err != nil {
		t.Fatal(err)
	}
	if trainSet.N != 2000 || val.N != ValidationImages {
		t.Errorf("split 12,000 into %d and %d, want 2,000 and %d", trainSet.N, val.N, ValidationImages)
	}
}
