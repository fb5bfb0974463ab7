package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"slices"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
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

// Limits enforced by ReadIDX and ReadIDXN.
const (
	// MaxIDXDims is the largest number of dimensions accepted in an IDX
	// header. The format allows up to 255; real files use one to four.
	MaxIDXDims = 8

	// MaxIDXBytes is the largest payload, in bytes, that ReadIDX reads, or
	// that ReadIDXN reads of the entries it was asked for. No single
	// dimension may exceed it either, so every dimension fits an int on all
	// platforms.
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

// openRegular opens path for reading if it is a regular file (see
// regular.Open: a named pipe is refused, never waited on).
func openRegular(path string) (*os.File, error) {
	f, err := regular.Open(path)
	return f, errors.Wrap(err, "data: reading IDX file")
}

// ReadIDX reads an IDX array from r, which may be gzip-compressed (detected
// from its first two bytes). The name identifies the stream in error
// messages, usually the file name.
//
// ReadIDX validates everything it reads and returns an error, never panics,
// for an empty stream, a bad magic number, an unknown element type, zero or
// more than MaxIDXDims dimensions, a dimension or payload larger than
// MaxIDXBytes, a payload shorter or longer than the dimensions say, and
// truncated or corrupt gzip data. The payload size is checked against
// MaxIDXBytes before anything is allocated, and memory for the payload then
// grows with the bytes actually read, so a header that lies about its size
// cannot force a large allocation.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	return ReadIDXN(r, name, 0)
}

// ReadIDXFileN is ReadIDXFile reading at most the first n entries of the
// outermost dimension; see ReadIDXN.
func ReadIDXFileN(path string, n int) (*IDX, error) {
	f, err := openRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadIDXN(f, path, n)
}

// ReadIDXN is ReadIDX reading at most the first n entries of the outermost
// dimension, such as the first n images of a file of images; n <= 0 means
// all of them. The result's Dims[0] is the number of entries read, the
// smaller of n and the number the header declares.
//
// When n is smaller than that number, ReadIDXN reads, and decompresses, no
// more of r than the header and those n entries, so time and memory follow
// n rather than the size of the file. It is their payload, not the whole
// array's, that must fit in MaxIDXBytes, and the rest of r is not checked:
// neither bytes beyond the payload nor a bad gzip checksum is reported.
// When n covers every entry, ReadIDXN is exactly ReadIDX.
func ReadIDXN(r io.Reader, name string, n int) (*IDX, error) {
	src, err := idxSource(r, name)
	if err != nil {
		return nil, err
	}
	x, err := readIDXHeader(src, name)
	if err != nil {
		return nil, err
	}
	if err := readIDXData(src, name, x, n); err != nil {
		return nil, err
	}
	return x, nil
}

// idxSource returns a reader of the IDX bytes in r, which decompresses them
// if r holds gzip data.
func idxSource(r io.Reader, name string) (io.Reader, error) {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, errors.Wrapf(err, "data: %s: corrupt or truncated gzip header", name)
		}
		return gzipReader{zr}, nil
	}
	return br, nil
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

// readIDXHeader reads and validates an IDX header from r and returns its
// type and dimensions, with no Data.
func readIDXHeader(r io.Reader, name string) (*IDX, error) {
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
	if t.Size() == 0 {
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
	for i := range dims {
		d := binary.BigEndian.Uint32(raw[4*i:])
		if d > MaxIDXBytes {
			return nil, errors.Errorf("data: %s: dimension %d is %d, more than the limit of %d", name, i, d, MaxIDXBytes)
		}
		dims[i] = int(d)
	}
	return &IDX{Type: t, Dims: dims}, nil
}

// readIDXData reads from r, which is positioned just after the header x
// was read from, the payload of the first n entries of x's outermost
// dimension, or of all of them if n <= 0 or n is not smaller than their
// number. It sets x.Data to it and x.Dims[0] to the number of entries read.
// Only when it reads all of them does it check that nothing follows.
func readIDXData(r io.Reader, name string, x *IDX, n int) error {
	t, dims := x.Type, x.Dims
	rows := dims[0]
	what := fmt.Sprintf("dimensions %v of %s", dims, t)
	limited := n > 0 && n < rows
	if limited {
		rows = n
		what = fmt.Sprintf("the first %d entries of %s", rows, what)
	}

	// Each factor is at most MaxIDXBytes < 1<<31 and the running total is
	// checked against MaxIDXBytes after each step, so the uint64 product
	// cannot overflow.
	size := uint64(0)
	if rows > 0 && !slices.Contains(dims[1:], 0) {
		size = uint64(t.Size())
		for i, d := range dims {
			if i == 0 {
				d = rows
			}
			size *= uint64(d)
			if size > MaxIDXBytes {
				return errors.Errorf("data: %s: %s need more than the limit of %d bytes", name, what, MaxIDXBytes)
			}
		}
	}

	payload, err := readPayload(r, int(size))
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.Errorf("data: %s: truncated payload: %s need %d bytes, got %d", name, what, size, len(payload))
	} else if err != nil {
		return errors.Wrapf(err, "data: %s: reading payload", name)
	}

	if !limited {
		if err := checkEnd(r, name, size, dims); err != nil {
			return err
		}
	}
	x.Dims[0], x.Data = rows, payload
	return nil
}

// checkEnd returns an error if r, which is positioned after the size-byte
// payload of an array of the given dimensions, holds anything more: the
// header and the data then disagree.
func checkEnd(r io.Reader, name string, size uint64, dims []int) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	if n == 1 {
		const most = 1 << 20
		extra, _ := io.Copy(io.Discard, io.LimitReader(r, most))
		if extra == most {
			return errors.Errorf("data: %s: more than %d trailing bytes after the %d-byte payload (file longer than its dimensions %v say)", name, extra, size, dims)
		}
		return errors.Errorf("data: %s: %d trailing bytes after the %d-byte payload (file longer than its dimensions %v say)", name, extra+1, size, dims)
	}
	if err != io.EOF {
		return errors.Wrapf(err, "data: %s: reading past the payload", name)
	}
	return nil
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
