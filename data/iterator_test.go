package data

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// epochOrder runs one epoch of it and returns the indices in the order
// served, checking each batch against its Index and the batch size.
func epochOrder(t *testing.T, it *Iterator, e int) (order []int, sizes []int) {
	t.Helper()
	it.Epoch(e)
	ds := it.ds
	for it.Next() {
		b := it.Batch()
		if b.N < 1 || b.N > it.BatchSize() {
			t.Fatalf("batch of %d examples, batch size %d", b.N, it.BatchSize())
		}
		got := indices(t, b.X, b.Y, b.Labels, b.N, ds.ImageSize(), ds.Classes)
		if !reflect.DeepEqual(got, b.Index) {
			t.Fatalf("batch content %v does not match Index %v", got, b.Index)
		}
		order = append(order, got...)
		sizes = append(sizes, b.N)
	}
	if it.Next() {
		t.Fatal("Next returned true after the end of the epoch")
	}
	if b := it.Batch(); b.N != 0 || b.X != nil {
		t.Fatalf("Batch after the epoch = %+v, want empty", b)
	}
	return order, sizes
}

func TestIteratorCoverage(t *testing.T) {
	for _, n := range []int{1, 7, 10, 23} {
		for _, bs := range []int{1, 3, 10, 32} {
			for _, shuffle := range []bool{false, true} {
				for _, dropLast := range []bool{false, true} {
					name := fmt.Sprintf("n=%d/bs=%d/shuffle=%v/droplast=%v", n, bs, shuffle, dropLast)
					t.Run(name, func(t *testing.T) {
						var opts []Option
						if shuffle {
							opts = append(opts, Shuffle(7))
						}
						if dropLast {
							opts = append(opts, DropLast())
						}
						it, err := NewIterator(numbered(n), bs, opts...)
						if err != nil {
							t.Fatal(err)
						}
						for e := range 3 {
							order, sizes := epochOrder(t, it, e)
							if len(sizes) != it.NumBatches() {
								t.Fatalf("epoch %d: %d batches, NumBatches() = %d", e, len(sizes), it.NumBatches())
							}
							want := n
							if dropLast {
								want = n / bs * bs
							}
							if len(order) != want {
								t.Fatalf("epoch %d: %d examples, want %d", e, len(order), want)
							}
							for i, s := range sizes {
								if i < len(sizes)-1 && s != bs {
									t.Fatalf("epoch %d: batch %d of %d examples in the middle", e, i, s)
								}
							}
							if !dropLast && n%bs != 0 && sizes[len(sizes)-1] != n%bs {
								t.Fatalf("epoch %d: last batch %d, want %d", e, sizes[len(sizes)-1], n%bs)
							}
							sorted := slices.Sorted(slices.Values(order))
							if !dropLast {
								for i, v := range sorted {
									if v != i {
										t.Fatalf("epoch %d: examples %v, want each of 0..%d once", e, sorted, n-1)
									}
								}
							} else if len(slices.Compact(sorted)) != len(order) {
								t.Fatalf("epoch %d: repeated examples %v", e, order)
							}
							if !shuffle && !slices.IsSorted(order) {
								t.Fatalf("epoch %d: sequential order %v is not sorted", e, order)
							}
						}
					})
				}
			}
		}
	}
}

func TestIteratorShuffle(t *testing.T) {
	ds := numbered(100)
	newIt := func(seed uint64) *Iterator {
		it, err := NewIterator(ds, 16, Shuffle(seed))
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	it := newIt(3)
	e0, _ := epochOrder(t, it, 0)
	e1, _ := epochOrder(t, it, 1)
	e0again, _ := epochOrder(t, it, 0)
	if reflect.DeepEqual(e0, e1) {
		t.Error("epochs 0 and 1 have the same order")
	}
	if !reflect.DeepEqual(e0, e0again) {
		t.Error("epoch 0 repeated gives a different order")
	}
	if slices.IsSorted(e0) {
		t.Error("shuffled epoch is sorted")
	}

	// A fresh iterator resumed at epoch 1 sees what the first saw.
	resumed, _ := epochOrder(t, newIt(3), 1)
	if !reflect.DeepEqual(e1, resumed) {
		t.Error("a resumed run at epoch 1 differs from an uninterrupted one")
	}

	other, _ := epochOrder(t, newIt(4), 0)
	if reflect.DeepEqual(e0, other) {
		t.Error("seeds 3 and 4 give the same order")
	}

	// NewIterator starts at epoch 0 without an explicit call to Epoch.
	fresh := newIt(3)
	var implicit []int
	for fresh.Next() {
		implicit = append(implicit, fresh.Batch().Index...)
	}
	if !reflect.DeepEqual(e0, implicit) {
		t.Error("NewIterator does not start at epoch 0")
	}
}

func TestIteratorNoAllocs(t *testing.T) {
	it, err := NewIterator(numbered(50), 8, Shuffle(1))
	if err != nil {
		t.Fatal(err)
	}
	e := 0
	var sink int
	allocs := testing.AllocsPerRun(200, func() {
		if !it.Next() {
			e++
			it.Epoch(e)
			it.Next()
		}
		sink += it.Batch().N
	})
	if allocs != 0 {
		t.Errorf("Next and Epoch allocate %v times per call, want 0", allocs)
	}
	_ = sink
}

func TestIteratorReusesBuffers(t *testing.T) {
	it, err := NewIterator(numbered(10), 4)
	if err != nil {
		t.Fatal(err)
	}
	it.Next()
	first := it.Batch()
	it.Next()
	second := it.Batch()
	if &first.X[0] != &second.X[0] || &first.Index[0] != &second.Index[0] {
		t.Error("batches do not share buffers")
	}
}

func TestNewIteratorErrors(t *testing.T) {
	tests := []struct {
		name string
		ds   *Dataset
		bs   int
		want string
	}{
		{"zero batch", numbered(3), 0, "batch size 0"},
		{"negative batch", numbered(3), -2, "batch size -2"},
		{"nil dataset", nil, 4, "nil dataset"},
		{"empty dataset", numbered(0), 4, "empty dataset"},
		{"inconsistent", &Dataset{N: 3, C: 1, H: 2, W: 2, Classes: 2}, 4, "image values"},
		{"short labels", func() *Dataset { d := numbered(3); d.Labels = d.Labels[:2]; return d }(), 4, "labels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it, err := NewIterator(tt.ds, tt.bs)
			if err == nil {
				t.Fatalf("NewIterator = %v, nil; want error", it)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestPermutation: Permutation gives the order in which a shuffled
// Iterator visits its examples, epoch by epoch.
func TestPermutation(t *testing.T) {
	const n, seed = 23, 7
	ds := &Dataset{N: n, C: 1, H: 1, W: 1, Classes: 1, X: make([]float32, n), Labels: make([]int, n)}
	it, err := NewIterator(ds, n, Shuffle(seed))
	if err != nil {
		t.Fatal(err)
	}
	for e := range 3 {
		it.Epoch(e)
		if !it.Next() {
			t.Fatal("no batch")
		}
		if got, want := Permutation(n, seed, e), it.Batch().Index; !reflect.DeepEqual(got, want) {
			t.Errorf("epoch %d: Permutation %v, Iterator's order %v", e, got, want)
		}
	}
}
