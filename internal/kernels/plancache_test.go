package kernels

import (
	"fmt"
	"sync"
	"testing"
)

// TestPlanCacheConcurrent asks for the plans of a few shapes from many
// goroutines at once (run it with -race) and checks that every request
// for a shape gets the same plan, made once, whatever the batch size.
func TestPlanCacheConcurrent(t *testing.T) {
	var c planCache[int, string]
	made := make([]int, 5)
	var mu sync.Mutex
	got := make([][]*string, 8)
	var wg sync.WaitGroup
	for g := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				key := (i + g) % len(made)
				got[g] = append(got[g], c.get(key, func() *string {
					mu.Lock()
					made[key]++
					mu.Unlock()
					s := fmt.Sprint("plan ", key)
					return &s
				}))
			}
		}()
	}
	wg.Wait()
	for key, n := range made {
		if n != 1 {
			t.Errorf("plan %d made %d times, want 1", key, n)
		}
	}
	for g, ps := range got {
		for i, p := range ps {
			key := (i + g) % len(made)
			if want := c.get(key, nil); p != want || *p != fmt.Sprint("plan ", key) {
				t.Fatalf("goroutine %d, request %d: plan %q at %p, want %q at %p", g, i, *p, p, *want, want)
			}
		}
	}
	// Plans of one shape at two batch sizes are one plan.
	s1 := ConvShape{N: 1, C: 1, H: 12, W: 12, F: 4, KH: 3, KW: 3, SH: 1, SW: 1, OH: 10, OW: 10}
	s7 := s1
	s7.N = 7
	if newConvPlanFwd(&s1) != newConvPlanFwd(&s7) {
		t.Error("the forward plans of batches of 1 and 7 differ")
	}
	p1 := PoolShape{N: 1, C: 4, H: 24, W: 24, KH: 2, KW: 2, SH: 2, SW: 2, OH: 12, OW: 12}
	p7 := p1
	p7.N = 7
	if a, b := cachedPool2x2(&p1), cachedPool2x2(&p7); a == nil || a != b {
		t.Errorf("the pooling plans of batches of 1 and 7 are %p and %p, want one non-nil plan", a, b)
	}
}
