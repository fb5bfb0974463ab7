package data

import (
	"slices"
	"strings"
	"testing"
)

// TestWarp checks the resampling on a 3×4 plane whose values name their
// place: a shift, a mirror, a quarter turn and a zoom move them as said.
func TestWarp(t *testing.T) {
	src := []float32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}
	sq := []float32{
		1, 2, 3,
		4, 5, 6,
		7, 8, 9,
	}
	tests := []struct {
		name                string
		src                 []float32
		h, w                int
		ty, tx, angle, zoom float64
		flip                bool
		want                []float32
	}{
		{"identity", src, 3, 4, 0, 0, 0, 1, false, src},
		{"down one row", src, 3, 4, 1, 0, 0, 1, false, []float32{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
		{"right one column", src, 3, 4, 0, 1, 0, 1, false, []float32{0, 1, 2, 3, 0, 5, 6, 7, 0, 9, 10, 11}},
		{"mirror", src, 3, 4, 0, 0, 0, 1, true, []float32{4, 3, 2, 1, 8, 7, 6, 5, 12, 11, 10, 9}},
		{"quarter turn", sq, 3, 3, 0, 0, 90, 1, false, []float32{3, 6, 9, 2, 5, 8, 1, 4, 7}},
		{"zoom out by 2 keeps the centre", sq, 3, 3, 0, 0, 0, 2, false, []float32{3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5, 7}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, len(tc.src))
			warp(tc.src, dst, 1, tc.h, tc.w, tc.ty, tc.tx, tc.angle, tc.zoom, tc.flip)
			for i := range dst {
				if d := dst[i] - tc.want[i]; d > 1e-5 || d < -1e-5 {
					t.Fatalf("got %v, want %v", dst, tc.want)
				}
			}
		})
	}
}

// TestAugmentationApply checks that Apply depends on the seed, the step
// and the image's place alone, changes the images, and refuses nonsense.
func TestAugmentationApply(t *testing.T) {
	a := &Augmentation{Shift: 0.1, Rotation: 10, Zoom: 0.1, Seed: 3}
	img := make([]float32, 2*28*28)
	for i := range img {
		img[i] = float32(i%28) / 28
	}
	run := func(step uint64) []float32 {
		x := slices.Clone(img)
		if err := a.Apply(x, 2, 1, 28, 28, step); err != nil {
			t.Fatal(err)
		}
		return x
	}
	s1, again, s2 := run(1), run(1), run(2)
	if !slices.Equal(s1, again) {
		t.Error("the same step gave other images")
	}
	if slices.Equal(s1, s2) || slices.Equal(s1, img) {
		t.Error("the images did not change, or did not change from one step to the next")
	}
	if slices.Equal(s1[:784], s1[784:]) {
		t.Error("two images of one batch were changed alike")
	}
	for _, bad := range []*Augmentation{{Shift: 1}, {Rotation: -1}, {Zoom: 1.5}, nil} {
		if err := bad.Apply(slices.Clone(img), 2, 1, 28, 28, 0); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
	if err := a.Apply(img[:100], 2, 1, 28, 28, 0); err == nil || !strings.Contains(err.Error(), "given 100 values") {
		t.Errorf("a short batch gave %v", err)
	}
}
