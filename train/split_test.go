package train_test

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/train"
)

// numbered is n one-pixel images whose pixel is the image's index.
func numbered(n int) *data.Dataset {
	ds := &data.Dataset{X: make([]float32, n), Y: make([]float32, n*2), Labels: make([]int, n), N: n, C: 1, H: 1, W: 1, Classes: 2}
	for i := 0; i < n; i++ {
		ds.X[i] = float32(i)
		ds.Labels[i] = i % 2
		ds.Y[i*2+i%2] = 1
	}
	return ds
}

func TestValidationSplit(t *testing.T) {
	tests := []struct {
		name            string
		ds              *data.Dataset
		fraction        float64
		wantTrain, wVal int
		wantErr         string
	}{
		{"keras 0.2 of 100", numbered(100), 0.2, 80, 20, ""},
		{"mnist 1/6 of 60", numbered(60), 1.0 / 6, 50, 10, ""},
		{"rounds", numbered(7), 0.3, 5, 2, ""},
		{"one each", numbered(2), 0.5, 1, 1, ""},
		{"zero", numbered(10), 0, 0, 0, "not in (0, 1)"},
		{"one", numbered(10), 1, 0, 0, "not in (0, 1)"},
		{"negative", numbered(10), -0.1, 0, 0, "not in (0, 1)"},
		{"NaN", numbered(10), math.NaN(), 0, 0, "not in (0, 1)"},
		{"empty validation", numbered(3), 0.1, 0, 0, "0 for validation"},
		{"empty training", numbered(3), 0.9, 0, 0, "0 for training"},
		{"empty data set", &data.Dataset{}, 0.2, 0, 0, "empty"},
		{"nil data set", nil, 0.2, 0, 0, "empty"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, val, err := train.ValidationSplit(tc.ds, tc.fraction, 3)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.N != tc.wantTrain || val.N != tc.wVal {
				t.Fatalf("split %d/%d, want %d/%d", tr.N, val.N, tc.wantTrain, tc.wVal)
			}
			// Together the two sides hold every example exactly once.
			all := append(append([]float32(nil), tr.X...), val.X...)
			sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
			for i, v := range all {
				if v != float32(i) {
					t.Fatalf("the sides do not partition the data: %v", all)
				}
			}
			tr2, _, err := train.ValidationSplit(tc.ds, tc.fraction, 3)
			if err != nil || fmt.Sprint(tr2.X) != fmt.Sprint(tr.X) {
				t.Error("the same seed gave another split")
			}
		})
	}
}

func ExampleValidationSplit() {
	ds := &data.Dataset{X: make([]float32, 100), Y: make([]float32, 200), Labels: make([]int, 100), N: 100, C: 1, H: 1, W: 1, Classes: 2}
	trainSet, val, err := train.ValidationSplit(ds, 0.2, 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(trainSet.N, val.N)
	_, _, err = train.ValidationSplit(ds, 1.5, 1)
	fmt.Println(err)
	// Output:
	// 80 20
	// train: validation split 1.5 is not in (0, 1)
}
