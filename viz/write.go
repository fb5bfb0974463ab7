package viz

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
)

// writeAtomic writes the output of fill to path atomically: the data go to a
// temporary file in the same directory, which is synced, closed and renamed
// to path. On any failure the temporary file is removed and the returned
// error names path.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	if path == "" {
		return fmt.Errorf("viz: empty output path")
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("viz: write %s: %w", path, err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close() // may already be closed; the error is moot then
			_ = os.Remove(tmpName)
			err = fmt.Errorf("viz: write %s: %w", path, err)
		}
	}()
	bw := bufio.NewWriter(tmp)
	if err = fill(bw); err != nil {
		return err
	}
	if err = bw.Flush(); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmpName, path)
}

// writePNG encodes img as PNG and writes it atomically to path.
func writePNG(path string, img image.Image) error {
	return writeAtomic(path, func(w io.Writer) error {
		return png.Encode(w, img)
	})
}
