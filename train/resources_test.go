package train_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/gocnn/cnn/train"
	"github.com/gocnn/cnn/train/optimizers"
)

// TestResourcesStayFlat trains for many batches and checks that the live
// heap does not grow with the number of batches and that no goroutine
// outlives the trainer (Gorgonia's VMs are known to leak them, upstream
// issue 226).
func TestResourcesStayFlat(t *testing.T) {
	full, _ := realMNIST(t)
	ds := full.Limit(640)
	goroutines := runtime.NumGoroutine()
	tr, err := train.New(newRecipe(t, 1), train.Optimizer(optimizers.RMSprop(1e-3)))
	if err != nil {
		t.Fatal(err)
	}
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	if _, err := tr.Fit(ds, train.Epochs(2), train.BatchSize(64)); err != nil { // 20 batches: every graph is built
		t.Fatal(err)
	}
	before := heap()
	if _, err := tr.Fit(ds, train.Epochs(20), train.BatchSize(64)); err != nil { // 200 more batches
		t.Fatal(err)
	}
	after := heap()
	const slack = 4 << 20 // the history grows by a few hundred bytes an epoch
	if after > before+slack {
		t.Errorf("live heap grew from %d to %d bytes over 200 batches", before, after)
	}
	tr.Close()
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > goroutines && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > goroutines {
		t.Errorf("%d goroutines before training, %d after Close", goroutines, n)
	}
}
