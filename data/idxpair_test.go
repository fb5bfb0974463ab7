package data

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestReadIDXPair(t *testing.T) {
	images := fakeImages(4, 3, 2)
	tests := []struct {
		name    string
		labels  []byte
		gz      bool
		classes int
		want    string
	}{
		{name: "mnist-like", labels: fakeLabels(4), classes: 10},
		{name: "more classes", labels: idxBytes(UByte, []uint32{4}, []byte{0, 12, 3, 4}), classes: 13},
		{name: "gzipped", labels: idxBytes(UByte, []uint32{4}, []byte{0, 1, 2, 1}), gz: true, classes: 3},
		{name: "one class", labels: idxBytes(UByte, []uint32{4}, []byte{0, 0, 0, 0}), classes: 2},
		{name: "count mismatch", labels: fakeLabels(3), want: "holds 4 images but"},
		{name: "labels not 1-D", labels: idxBytes(UByte, []uint32{2, 2}, []byte{0, 1, 2, 3}), want: "IDX labels must be a 1-D ubyte IDX array"},
		{name: "labels not ubyte", labels: idxBytes(Int32, []uint32{4}, make([]byte, 16)), want: "IDX labels must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ip, lp := filepath.Join(dir, "images"), filepath.Join(dir, "labels")
			im, lb := images, tt.labels
			if tt.gz {
				im, lb = gzipBytes(t, im), gzipBytes(t, lb)
			}
			writeFiles(t, dir, map[string][]byte{"images": im, "labels": lb})
			d, err := ReadIDXPair(ip, lp)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("got %v, want an error saying %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if d.Classes != tt.classes || d.N != 4 || d.C != 1 || d.H != 3 || d.W != 2 || len(d.Y) != 4*tt.classes {
				t.Errorf("got N %d C %d H %d W %d Classes %d len(Y) %d, want 4 1 3 2 %d", d.N, d.C, d.H, d.W, d.Classes, len(d.Y), tt.classes)
			}
			if !bytes.Equal(d.Pixels, images[len(images)-4*3*2:]) {
				t.Errorf("pixels %v, want the file's", d.Pixels)
			}
		})
	}
}

// TestReadIDXPairMatchesMNIST checks that a pair of MNIST files reads the
// same by ReadIDXPair as by ReadMNIST when its labels span 0 to 9.
func TestReadIDXPairMatchesMNIST(t *testing.T) {
	dir := fakeMNIST(t)
	ip, lp := filepath.Join(dir, MNISTTestImages), filepath.Join(dir, MNISTTestLabels)
	want, err := ReadMNIST(ip, lp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ReadIDXPair(ip, lp)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("ReadIDXPair differs from ReadMNIST on MNIST files")
	}
}

// TestReadMNISTStillRefusesLabel10 checks that MNIST keeps its ten classes.
func TestReadMNISTStillRefusesLabel10(t *testing.T) {
	images := fakeImages(2, 1, 1)
	labels := idxBytes(UByte, []uint32{2}, []byte{3, 10})
	_, err := readMNIST(bytes.NewReader(images), bytes.NewReader(labels), "images", "labels", 0)
	if err == nil || !strings.Contains(err.Error(), "labels: label 10 at index 1 is not in [0, 10)") {
		t.Errorf("got %v", err)
	}
	dir := t.TempDir()
	writeFiles(t, dir, map[string][]byte{"i": images, "l": labels})
	d, err := ReadIDXPair(filepath.Join(dir, "i"), filepath.Join(dir, "l"))
	if err != nil || d.Classes != 11 {
		t.Errorf("ReadIDXPair: got %v, %v, want 11 classes", d, err)
	}
	if _, err := ReadIDXPair(filepath.Join(dir, "none"), filepath.Join(dir, "l")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing images: got %v", err)
	}
}
