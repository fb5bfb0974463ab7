package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"syscall"

	"github.com/pkg/errors"
)

// DType is the element type code stored in the third byte of an IDX file.
type DType byte

// The element types an IDX file may hold. Multi-byte values are big-endian.
const (
	UByte   DType = 0x08 // unsigned 8-bit integer
	SByte   DType = 0x09 // signed 8-bit integer
	Int16   DType = 0x0B // signed 16-bit integer
	Int32   DType = 0x0C // signed 32-bit integer
	Float32 DType = 0x0D // IEEE 754 single precision
	Float64 DType = 0x0E // IEEE 754 double precision
)

// Size returns the size in bytes of one element of type t, or 0 if t is not
// a known IDX type.
func (t DType) Size() int {
	switch t {
	case UByte, SByte:
		return 1
	case Int16:
		return 2
	case Int32, Float32:
		return 4
	case Float64:
		return 8
	}
	return 0
}

// String returns the name of t, such as "ubyte", or a hexadecimal code for
// an unknown type.
func (t DType) String() string {
	switch t {
	case UByte:
		return "ubyte"
	case SByte:
		return "sbyte"
	case Int16:
		return "int16"
	case Int32:
		return "int32"
	case Float32:
		return "float32"
	case Float64:
		return "float64"
	}
	return fmt.Sprintf("DType(0x%02x)", byte(t))
}

// Limits enforced by ReadIDX.
const (
	// MaxIDXDims is the largest number of dimensions accepted in an IDX
	// header. The format allows up to 255; real files use one to four.
	MaxIDXDims = 8

	// MaxIDXBytes is the largest payload, in bytes, that ReadIDX accepts.
	// No single dimension may exceed it either, so every dimension fits an
	// int on all platforms.
	MaxIDXBytes = math.MaxInt32
)

// IDX is the content of an IDX file: an n-dimensional array of elements of
// one type, stored in row-major order.
//
// Data holds the payload exactly as stored in the file, big-endian, so its
// length is the product of Dims times Type.Size(). A dimension may be zero,
// in which case the array, and Data, are empty; this lets an IDX file
// describe an empty set, such as zero images of 28×28 pixels.
type IDX struct {
	Type DType  // element type
	Dims []int  // size of each dimension, outermost first; at least one
	Data []byte // raw big-endian payload
}

// Len returns the number of elements in x, the product of its dimensions.
func (x *IDX) Len() int {
	n := 1
	for _, d := range x.Dims {
		n *= d
	}
	return n
}

// ReadIDXFile reads the IDX file at path. The file may be gzip-compressed;
// compression is detected from the content (the gzip magic bytes 0x1f 0x8b),
// not from the file name. Errors name the file.
//
// The path must name a regular file (or a symbolic link to one): a named
// pipe, device, socket or directory is refused with an error, so that a
// pipe nobody writes to cannot make the read wait forever.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// openRegular opens path for reading if it is a regular file. It checks
// the file's type both before opening it, since opening a named pipe waits
// for a writer, and after, through the open descriptor, in case the path
// was replaced in between; the open itself is non-blocking, so that such a
// replacement cannot make it wait either.
func openRegular(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, errors.Wrap(err, "data: reading IDX file")
	}
	if err := regular(path, fi.Mode()); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, errors.Wrap(err, "data: reading IDX file")
	}
	if fi, err = f.Stat(); err == nil {
		err = regular(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, errors.Wrap(err, "data: reading IDX file")
	}
	return f, nil
}

// regular returns an error naming path unless mode is that of a regular
// file.
func regular(path string, mode os.FileMode) error {
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
	return errors.Errorf("data: %s is a %s, not a regular file", path, kind)
}

// ReadIDX reads an IDX array from r, which may be gzip-compressed (detected
// from its first two bytes). The name identifies the stream in error
// messages, usually the file name.
//
// ReadIDX validates everything it reads and returns an error, never panics,
// for an empty stream, a bad magic number, an unknown element type, zero or
// more than MaxIDXDims dimensions, a dimension or payload larger than
// MaxIDXBytes, a payload shorter or longer than the dimensions say, and
// truncated or corrupt gzip data. Memory for the payload grows with the
// bytes actually read, so a header that lies about its size cannot force a
// large allocation.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrapf(err, "data: %s: corrupt or truncated gzip header", name)
		}
		defer zr.Close()
		src = gzipReader{zr}
	}
	return parseIDX(src, name)
}

// gzipReader marks errors of the decompressor, so that a truncated gzip
// stream is not mistaken for a truncated IDX payload.
type gzipReader struct{ r io.Reader }

func (g gzipReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF {
		err = errors.Wrap(err, "corrupt or truncated gzip data")
	}
	return n, err
}

func parseIDX(r io.Reader, name string) (*IDX, error) {
	var hdr [4]byte
	n, err := io.ReadFull(r, hdr[:])
	switch {
	case n == 0 && err == io.EOF:
		return nil, errors.Errorf("data: %s: empty file", name)
	case err == io.ErrUnexpectedEOF:
		return nil, errors.Errorf("data: %s: truncated header: got %d of 4 bytes", name, n)
	case err != nil:
		return nil, errors.Wrapf(err, "data: %s: reading header", name)
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, errors.Errorf("data: %s: bad magic bytes 0x%02x 0x%02x: not an IDX file (it must start with two zero bytes)", name, hdr[0], hdr[1])
	}
	t := DType(hdr[2])
	esize := t.Size()
	if esize == 0 {
		return nil, errors.Errorf("data: %s: unknown data type 0x%02x (want one of 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e)", name, hdr[2])
	}
	nd := int(hdr[3])
	if nd == 0 {
		return nil, errors.Errorf("data: %s: header declares no dimensions", name)
	}
	if nd > MaxIDXDims {
		return nil, errors.Errorf("data: %s: header declares %d dimensions, more than the limit of %d", name, nd, MaxIDXDims)
	}

	raw := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, raw); err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, errors.Errorf("data: %s: truncated header: %d dimension sizes need %d bytes, got %d", name, nd, len(raw), n)
	} else if err != nil {
		return nil, errors.Wrapf(err, "data: %s: reading header", name)
	}
	dims := make([]int, nd)
	empty := false
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		if d > MaxIDXBytes {
			return nil, errors.Errorf("data: %s: dimension %d is %d, more than the limit of %d", name, i, d, MaxIDXBytes)
		}
		dims[i] = int(d)
		empty = empty || d == 0
	}

	// Each dimension is at most MaxIDXBytes < 1<<31 and the running total
	// is checked against MaxIDXBytes after each step, so the uint64
	// product cannot overflow.
	size := uint64(0)
	if !empty {
		size = uint64(esize)
		for _, d := range dims {
			size *= uint64(d)
			if size > MaxIDXBytes {
				return nil, errors.Errorf("data: %s: dimensions %v of %s need more than the limit of %d bytes", name, dims, t, MaxIDXBytes)
			}
		}
	}

	payload, err := readPayload(r, int(size))
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil, errors.Errorf("data: %s: truncated payload: dimensions %v of %s need %d bytes, got %d", name, dims, t, size, len(payload))
	} else if err != nil {
		return nil, errors.Wrapf(err, "data: %s: reading payload", name)
	}

	// Anything after the payload means the header and the data disagree.
	var one [1]byte
	if n, err := io.ReadFull(r, one[:]); n == 1 {
		const most = 1 << 20
		extra, _ := io.Copy(io.Discard, io.LimitReader(r, most))
		if extra == most {
			return nil, errors.Errorf("data: %s: more than %d trailing bytes after the %d-byte payload (file longer than its dimensions %v say)", name, extra, size, dims)
		}
		return nil, errors.Errorf("data: %s: %d trailing bytes after the %d-byte payload (file longer than its dimensions %v say)", name, extra+1, size, dims)
	} else if err != io.EOF {
		return nil, errors.Wrapf(err, "data: %s: reading past the payload", name)
	}

	return &IDX{Type: t, Dims: dims, Data: payload}, nil
}

// readPayload reads exactly size bytes from r. It starts with a small buffer
// and doubles it as data arrives, so memory follows the bytes present in the
// stream, not the size claimed by the header. On success the returned slice
// has length and capacity size. On error it returns the bytes read so far.
func readPayload(r io.Reader, size int) ([]byte, error) {
	const chunk = 64 << 10
	buf := make([]byte, min(size, chunk))
	n := 0
	for {
		m, err := io.ReadFull(r, buf[n:])
		n += m
		if err != nil {
			return buf[:n], err
		}
		if n == size {
			return buf, nil
		}
		next := make([]byte, min(size, 2*len(buf)))
		copy(next, buf)
		buf = next
	}
}
