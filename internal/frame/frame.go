// Package frame reads and writes the framing that the project's binary
// files share (the weights file, the training checkpoint). A framed file
// is, little-endian:
//
//	magic     [8]byte  which kind of file it is
//	version   uint32   the version of that kind
//	sections  in the order of the Format, each as its Length says:
//	            Raw     the bytes alone (last section only: it runs to the checksum)
//	            Uint32  uint32 length, then the bytes
//	            Uint64  uint64 length, then the bytes
//	crc32     uint32   IEEE checksum of everything before it
//
// Read checks the magic and the version from the first 12 bytes before it
// reads anything else, never reads more of a section than the caller's
// maximum for it, and returns the sections only when the checksum matches.
package frame

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"

	"github.com/pkg/errors"
)

// HeaderSize is the size of the magic and the version; TrailerSize is the
// size of the checksum.
const (
	HeaderSize  = 12
	TrailerSize = 4
)

// Length says how a section's length is recorded.
type Length uint8

const (
	// Raw sections have no recorded length: only the last section may be
	// raw, and it runs to the checksum.
	Raw Length = iota
	// Uint32 sections start with their length as a uint32.
	Uint32
	// Uint64 sections start with their length as a uint64.
	Uint64
)

// prefixSize is the size of the recorded length.
func (l Length) prefixSize() int {
	switch l {
	case Uint32:
		return 4
	case Uint64:
		return 8
	}
	return 0
}

// A Section is one part of a framed file.
type Section struct {
	Name   string // what errors call it, such as "metadata"
	Length Length // how its length is recorded
}

// A Format is one kind of framed file.
type Format struct {
	Name     string    // what errors call the file, such as "weights file"
	Magic    string    // exactly 8 bytes
	Version  uint32    // the version written, and the only one read
	Sections []Section // the sections, in file order
}

// check reports a Format that cannot be written or read.
func (f Format) check() error {
	if len(f.Magic) != 8 {
		return errors.Errorf("frame: %s: magic %q is not 8 bytes", f.Name, f.Magic)
	}
	for i, s := range f.Sections {
		if s.Length > Uint64 {
			return errors.Errorf("frame: %s: section %s has an unknown length kind %d", f.Name, s.Name, s.Length)
		}
		if s.Length == Raw && i != len(f.Sections)-1 {
			return errors.Errorf("frame: %s: raw section %s is not the last", f.Name, s.Name)
		}
	}
	return nil
}

// Write writes the magic, the version, the sections (one per section of
// the Format, in order) and the checksum to w.
func (f Format) Write(w io.Writer, sections ...[]byte) error {
	if err := f.check(); err != nil {
		return err
	}
	if len(sections) != len(f.Sections) {
		return errors.Errorf("frame: %s has %d sections, %d given", f.Name, len(f.Sections), len(sections))
	}
	sum := crc32.NewIEEE()
	out := io.MultiWriter(w, sum)
	le := binary.LittleEndian
	head := le.AppendUint32([]byte(f.Magic), f.Version)
	if _, err := out.Write(head); err != nil {
		return err
	}
	for i, s := range f.Sections {
		b := sections[i]
		var prefix []byte
		switch s.Length {
		case Uint32:
			if uint64(len(b)) > math.MaxUint32 {
				return errors.Errorf("frame: %s: section %s has %d bytes, more than a uint32 length can say", f.Name, s.Name, len(b))
			}
			prefix = le.AppendUint32(nil, uint32(len(b)))
		case Uint64:
			prefix = le.AppendUint64(nil, uint64(len(b)))
		}
		if _, err := out.Write(prefix); err != nil {
			return err
		}
		if _, err := out.Write(b); err != nil {
			return err
		}
	}
	_, err := w.Write(le.AppendUint32(nil, sum.Sum32()))
	return err
}

// A TooLargeError is returned by Read for a section longer than the
// caller's maximum for it.
type TooLargeError struct {
	Format  string // the Format's Name
	Section string // the Section's Name
	Max     int64  // the caller's maximum
	// Size is the length the file records, or -1 for a raw section, which
	// is only known to be longer than Max.
	Size int64
	// Partial holds the first Max bytes of a raw section, unverified, for
	// a caller that wants to say why it is too large; it is nil for other
	// sections, of which nothing is read.
	Partial []byte
}

// Error says which section is too large, its size and the maximum.
func (e *TooLargeError) Error() string {
	if e.Size < 0 {
		return fmt.Sprintf("%s: the %s section holds more than the %d bytes expected", e.Format, e.Section, e.Max)
	}
	return fmt.Sprintf("%s: the %s section holds %d bytes, at most %d are expected", e.Format, e.Section, e.Size, e.Max)
}

// A ChecksumError is returned by Read when the checksum does not match what
// was read: the file is corrupt, or was cut short in a raw section.
type ChecksumError struct {
	Format string // the Format's Name
	Size   int64  // the bytes read, checksum included
}

// Error says that the file is corrupt or truncated.
func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s is corrupt or truncated (checksum mismatch)", e.Format)
}

// Read reads a file of the Format from r and returns its sections, given
// the most bytes the caller accepts for each (one per section, in order).
// It reads the header first, and fails on a wrong magic or version before
// reading more; it reads no more of any section than its maximum (for a
// raw section, at most one byte more, to tell whether it is longer), plus
// at most one byte after the checksum to check that nothing follows.
// Errors say what is wrong; a section longer than its maximum is a
// *TooLargeError and a checksum mismatch a *ChecksumError.
func (f Format) Read(r io.Reader, max ...int64) ([][]byte, error) {
	if err := f.check(); err != nil {
		return nil, err
	}
	if len(max) != len(f.Sections) {
		return nil, errors.Errorf("frame: %s has %d sections, %d maxima given", f.Name, len(f.Sections), len(max))
	}
	for i, m := range max {
		if m < 0 {
			return nil, errors.Errorf("frame: %s: negative maximum %d for section %s", f.Name, m, f.Sections[i].Name)
		}
	}
	rd := &reader{r: r, sum: crc32.NewIEEE()}
	head := make([]byte, HeaderSize)
	if _, err := io.ReadFull(rd, head); err != nil || string(head[:8]) != f.Magic {
		if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
			return nil, errors.Wrapf(err, "reading %s", f.Name)
		}
		return nil, errors.Errorf("not a %s (bad magic or too short)", f.Name)
	}
	le := binary.LittleEndian
	if v := le.Uint32(head[8:]); v != f.Version {
		return nil, errors.Errorf("%s version %d; this program reads version %d", f.Name, v, f.Version)
	}
	out := make([][]byte, len(f.Sections))
	for i, s := range f.Sections {
		if s.Length == Raw {
			b, sum, err := rd.readRaw(f.Name, s.Name, max[i])
			if err != nil {
				return nil, err
			}
			out[i] = b
			if err := rd.verify(f.Name, sum, false); err != nil {
				return nil, err
			}
			return out, nil
		}
		b, err := rd.readSized(f.Name, s, max[i])
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	got := rd.sum.Sum32()
	sum := make([]byte, TrailerSize)
	if err := rd.full(sum, f.Name, "its checksum"); err != nil {
		return nil, err
	}
	if err := rd.verify(f.Name, le.Uint32(sum)^got, true); err != nil {
		return nil, err
	}
	return out, nil
}

// reader reads the file, counting the bytes and summing those it is told to.
type reader struct {
	r   io.Reader
	sum hash.Hash32
	n   int64
}

func (r *reader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.n += int64(n)
	r.sum.Write(p[:n])
	return n, err
}

// full fills b, saying where the file ended if it ends first.
func (r *reader) full(b []byte, file, what string) error {
	n, err := io.ReadFull(r, b)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return errors.Wrapf(io.ErrUnexpectedEOF, "%s is truncated: it ends after %d of the %d bytes of %s", file, n, len(b), what)
	case err != nil:
		return errors.Wrapf(err, "reading %s", file)
	}
	return nil
}

// readSized reads a section with a recorded length.
func (r *reader) readSized(file string, s Section, max int64) ([]byte, error) {
	prefix := make([]byte, s.Length.prefixSize())
	if err := r.full(prefix, file, "the length of its "+s.Name+" section"); err != nil {
		return nil, err
	}
	var n uint64
	if s.Length == Uint32 {
		n = uint64(binary.LittleEndian.Uint32(prefix))
	} else {
		n = binary.LittleEndian.Uint64(prefix)
	}
	if n > uint64(max) {
		size := int64(n)
		if n > math.MaxInt64 {
			size = math.MaxInt64
		}
		return nil, &TooLargeError{Format: file, Section: s.Name, Max: max, Size: size}
	}
	// Grow the buffer as bytes arrive rather than trusting the recorded
	// length: a short file that claims a huge section costs no more
	// memory than the file's own size.
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if err != nil && err != io.EOF {
		return nil, errors.Wrapf(err, "reading %s", file)
	}
	if uint64(got) != n {
		return nil, errors.Wrapf(io.ErrUnexpectedEOF, "%s is truncated: it ends after %d of the %d bytes of its %s section", file, got, n, s.Name)
	}
	return buf.Bytes(), nil
}

// readRaw reads the last section, which runs to the checksum, and returns
// it with the checksum of everything before it xor the checksum stored.
func (r *reader) readRaw(file, name string, max int64) ([]byte, uint32, error) {
	before := r.sum.Sum32()
	var buf bytes.Buffer
	limit := max + TrailerSize + 1
	if _, err := buf.ReadFrom(io.LimitReader(r.r, limit)); err != nil {
		return nil, 0, errors.Wrapf(err, "reading %s", file)
	}
	b := buf.Bytes()
	r.n += int64(len(b))
	if int64(len(b)) == limit {
		return nil, 0, &TooLargeError{Format: file, Section: name, Max: max, Size: -1, Partial: b[:max]}
	}
	if len(b) < TrailerSize {
		return nil, 0, &ChecksumError{Format: file, Size: r.n}
	}
	body := b[:len(b)-TrailerSize]
	sum := crc32.Update(before, crc32.IEEETable, body)
	return body, sum ^ binary.LittleEndian.Uint32(b[len(body):]), nil
}

// verify turns a checksum difference into an error and, if probe is set,
// checks that nothing follows the checksum.
func (r *reader) verify(file string, diff uint32, probe bool) error {
	if diff != 0 {
		return &ChecksumError{Format: file, Size: r.n}
	}
	if probe {
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n != 0 {
			return errors.Errorf("%s has data after its checksum", file)
		}
	}
	return nil
}
