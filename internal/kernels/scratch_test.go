package kernels

import "testing"

func TestSizeClass(t *testing.T) {
	prevClass, prevCap := 0, 16
	for n := 1; n <= 1<<20; n++ {
		class, capacity := sizeClass(n)
		if capacity < n || (n > 16 && 4*capacity > 5*n) {
			t.Fatalf("n %d: capacity %d, want n … 1.25n", n, capacity)
		}
		if class < prevClass || (class == prevClass) != (capacity == prevCap) {
			t.Fatalf("n %d: class %d capacity %d after class %d capacity %d", n, class, capacity, prevClass, prevCap)
		}
		if c2, cap2 := sizeClass(capacity); c2 != class || cap2 != capacity {
			t.Fatalf("n %d: a buffer of capacity %d falls in class %d (capacity %d), not %d", n, capacity, c2, cap2, class)
		}
		if class >= len(bufPools) {
			t.Fatalf("n %d: class %d past the pools", n, class)
		}
		prevClass, prevCap = class, capacity
	}
	for _, n := range []int{0, 1, 17, 1000, 1 << 20} {
		p := getBuf(n)
		if len(*p) != n {
			t.Errorf("getBuf(%d) has length %d", n, len(*p))
		}
		putBuf(p)
	}
}
