package data_test

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"os"
	"path/filepath"

	"github.com/gocnn/cnn/data"
)

func ExampleOpenImageFolder() {
	// A folder of two classes, "cat" with three tiny PNGs and "dog" with
	// two.
	dir, err := os.MkdirTemp("", "folder")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	for class, n := range map[string]int{"cat": 3, "dog": 2} {
		if err := os.Mkdir(filepath.Join(dir, class), 0o755); err != nil {
			log.Fatal(err)
		}
		for i := range n {
			img := image.NewGray(image.Rect(0, 0, 4, 3))
			img.SetGray(1, 1, color.Gray{Y: uint8(50 * i)})
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				log.Fatal(err)
			}
			name := filepath.Join(dir, class, fmt.Sprintf("%d.png", i))
			if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
				log.Fatal(err)
			}
		}
	}

	f, err := data.OpenImageFolder(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.ClassNames(), f.Len(), f.Info().Shape, f.Labels())

	it, err := f.Batches(2)
	if err != nil {
		log.Fatal(err)
	}
	defer it.Close()
	for it.Next() {
		b := it.Batch()
		fmt.Println(b.N, b.Labels, len(b.X))
	}
	if err := it.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// [cat dog] 5 [1 3 4] [0 0 0 1 1]
	// 2 [0 0] 24
	// 2 [0 1] 24
	// 1 [1] 12
}
