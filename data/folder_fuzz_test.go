package data

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// FuzzImageFolderFile writes the fuzzer's bytes as the one image file of a
// class folder, next to a good one, and iterates over the folder: it must
// never panic, and either yield batches of the right shape or an error
// naming the file; under SkipBad, no error.
func FuzzImageFolderFile(f *testing.F) {
	for _, format := range []string{"png", "jpeg", "gif"} {
		f.Add(encodeImage(f, squareImage(1, 1, 5, 7), format))
	}
	f.Add(pngHeader(3, 2))
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("GIF89a"))
	good := encodeImage(f, squareImage(0, 0, 4, 4), "png")
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "a", "good.png"), good)
		bad := filepath.Join(dir, "b", "fuzz.png")
		writeFile(t, bad, b)
		for _, skip := range []bool{false, true} {
			opts := []FolderOption{ImageSize(4, 4), Color(RGB), MaxPixels(1 << 16), Workers(2)}
			if skip {
				opts = append(opts, SkipBad())
			}
			folder, err := OpenImageFolder(dir, opts...)
			if err != nil {
				t.Fatal(err)
			}
			it, err := folder.Batches(2)
			if err != nil {
				t.Fatal(err)
			}
			bs, err := drain(it)
			it.Close()
			switch {
			case err != nil && (skip || !strings.Contains(err.Error(), bad)):
				t.Fatalf("SkipBad %v: error %v", skip, err)
			case err == nil && len(bs) != 1:
				t.Fatalf("%d batches", len(bs))
			case err == nil:
				n := bs[0].N
				if n != 2-folder.Skipped() || len(bs[0].X) != n*3*4*4 || !slices.Equal(bs[0].Labels, []int{0, 1}[:n]) {
					t.Fatalf("batch of %d examples, %d values, labels %v, %d skipped", n, len(bs[0].X), bs[0].Labels, folder.Skipped())
				}
			}
		}
		os.RemoveAll(dir)
	})
}
