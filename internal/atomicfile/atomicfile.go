// Package atomicfile writes files atomically: to a temporary file in the
// same directory, synced to disk, then renamed over the target. A reader
// sees the old file or the new one, never half of one, and a failed write
// leaves the old file as it was.
package atomicfile

import (
	"bufio"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"
)

// Write creates or replaces path with what fn writes.
func Write(path string, fn func(w io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriter(f)
	if err = fn(bw); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err = bw.Flush(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err = f.Sync(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err = f.Close(); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err = os.Chmod(f.Name(), 0o644); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return errors.Wrapf(err, "writing %s", path)
	}
	return nil
}
