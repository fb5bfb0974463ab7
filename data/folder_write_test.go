package data

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestWriteImageFolder writes grey and RGB data sets as folders and reads
// them back with OpenImageFolder: the same values (they are multiples of
// 1/255), labels and class names, in the order of the data set within
// each class.
func TestWriteImageFolder(t *testing.T) {
	make8bit := func(n, c, h, w, classes int, names []string) *Dataset {
		d := &Dataset{N: n, C: c, H: h, W: w, Classes: classes, ClassNames: names, Pixels: make([]uint8, n*c*h*w), Labels: make([]int, n)}
		for i := range d.Pixels {
			d.Pixels[i] = uint8(i * 37 % 256)
		}
		for i := range d.Labels {
			d.Labels[i] = i * 7 % classes
		}
		return d
	}
	for _, tc := range []struct {
		name string
		d    *Dataset
		mode ColorMode
	}{
		{"grey, numbered", make8bit(23, 1, 5, 4, 12, nil), Gray},
		{"rgb, named", make8bit(9, 3, 3, 6, 3, []string{"blue", "green", "red"}), RGB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "out")
			if err := WriteImageFolder(dir, tc.d); err != nil {
				t.Fatal(err)
			}
			f, err := OpenImageFolder(dir, Color(tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			back, err := f.Load()
			if err != nil {
				t.Fatal(err)
			}
			// The folder lists examples by class, then index.
			var order []int
			for c := range tc.d.Classes {
				for i, l := range tc.d.Labels {
					if l == c {
						order = append(order, i)
					}
				}
			}
			want := tc.d.Subset(order)
			if !reflect.DeepEqual(back.Images(), want.Images()) || !reflect.DeepEqual(back.Labels, want.Labels) {
				t.Error("the folder read back differs from the data set")
			}
			if tc.d.ClassNames != nil && !reflect.DeepEqual(f.ClassNames(), tc.d.ClassNames) {
				t.Errorf("class names %v, want %v", f.ClassNames(), tc.d.ClassNames)
			}
			if tc.d.ClassNames == nil && f.ClassNames()[10] != "10" || tc.d.ClassNames == nil && f.ClassNames()[2] != "02" {
				t.Errorf("numbered classes %v", f.ClassNames())
			}
		})
	}
	for _, bad := range []struct {
		name string
		d    *Dataset
		want string
	}{
		{"no labels", &Dataset{N: 1, C: 1, H: 1, W: 1, Classes: 1, X: []float32{0}, Y: []float32{1}}, "no labels"},
		{"vectors", &Dataset{N: 1, C: 2, Classes: 1, X: []float32{0, 0}, Labels: []int{0}}, "not grey or RGB"},
		{"bad label", &Dataset{N: 1, C: 1, H: 1, W: 1, Classes: 1, X: []float32{0}, Labels: []int{3}}, "label 3"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			err := WriteImageFolder(t.TempDir(), bad.d)
			if err == nil || !strings.Contains(err.Error(), bad.want) {
				t.Errorf("error %v, want one saying %q", err, bad.want)
			}
		})
	}
	// A file in the way of a class folder is an error naming the folder.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "0"), nil, 0o644) // where class 0 goes
	if err := WriteImageFolder(dir, &Dataset{N: 1, C: 1, H: 1, W: 1, Classes: 1, X: []float32{0}, Labels: []int{0}}); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("class folder blocked by a file: %v", err)
	}
}
