package data

import (
	"fmt"
	"image"
	"path/filepath"
	"testing"
)

// BenchmarkImageFolder reads an epoch of 2000 28×28 grey PNGs in batches
// of 128: from an in-memory Iterator (the same examples, loaded), from the
// folder decoding every file, and from the folder with every example
// cached. It reports images/s.
func BenchmarkImageFolder(b *testing.B) {
	const n, classes = 2000, 10
	dir := b.TempDir()
	for i := range n {
		c := i % classes
		writeFile(b, filepath.Join(dir, fmt.Sprintf("%d", c), fmt.Sprintf("%05d.png", i)), encodeImage(b, grayDigit(i), "png"))
	}
	epochs := func(b *testing.B, src Source) {
		it, err := src.Batches(128, Shuffle(1))
		if err != nil {
			b.Fatal(err)
		}
		defer it.Close()
		run := func(e int) {
			it.Epoch(e)
			for it.Next() {
			}
			if err := it.Err(); err != nil {
				b.Fatal(err)
			}
		}
		run(0) // fills a cache
		b.ResetTimer()
		for e := 0; e < b.N; e++ {
			run(e)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "images/s")
	}
	b.Run("memory", func(b *testing.B) {
		f, err := OpenImageFolder(dir)
		if err != nil {
			b.Fatal(err)
		}
		ds, err := f.Load()
		if err != nil {
			b.Fatal(err)
		}
		epochs(b, ds)
	})
	b.Run("folder", func(b *testing.B) {
		f, err := OpenImageFolder(dir)
		if err != nil {
			b.Fatal(err)
		}
		epochs(b, f)
	})
	b.Run("folder-cached", func(b *testing.B) {
		f, err := OpenImageFolder(dir, CacheDecoded(n*28*28))
		if err != nil {
			b.Fatal(err)
		}
		epochs(b, f)
	})
}

// grayDigit returns a 28×28 grey picture that differs with i.
func grayDigit(i int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 28, 28))
	for y := range 28 {
		for x := range 28 {
			if (x-14)*(x-14)+(y-14)*(y-14) < 20+i%80 {
				img.Pix[y*img.Stride+x] = uint8(255 - i%50)
			}
		}
	}
	return img
}
