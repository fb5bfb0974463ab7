// Package regular opens files for reading only when they are regular
// files, so that a named pipe, a device or a directory given where a data
// or model file belongs is an error rather than a hang (opening a named
// pipe waits for a writer) or an endless read.
package regular

import (
	"os"
	"syscall"

	"github.com/pkg/errors"
)

// Open opens path for reading if it is a regular file. It checks the
// file's type before opening it and again, through the open descriptor,
// after, in case the path was replaced in between; the open itself is
// non-blocking, so that such a replacement cannot make it wait either.
// The error names path and what it is instead.
func Open(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	if err := CheckMode(path, fi.Mode()); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errors.WithStack(err)
	}
	if fi, err = f.Stat(); err == nil {
		err = CheckMode(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, errors.WithStack(err)
	}
	return f, nil
}

// CheckMode returns an error naming path unless mode is that of a regular
// file.
func CheckMode(path string, mode os.FileMode) error {
	if mode.IsRegular() {
		return nil
	}
	kind := "special file"
	switch {
	case mode&os.ModeNamedPipe != 0:
		kind = "named pipe"
	case mode.IsDir():
		kind = "directory"
	case mode&os.ModeDevice != 0:
		kind = "device"
	case mode&os.ModeSocket != 0:
		kind = "socket"
	}
	return errors.Errorf("%s is a %s, not a regular file", path, kind)
}
