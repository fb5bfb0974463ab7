package graph

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/internal/frame"
)

// The weights file format, version 1, little-endian:
//
//	magic    [8]byte "GOCNNWTS"
//	version  uint32  1
//	dtype    uint8   4 (float32) or 8 (float64)
//	count    uint32  number of parameters
//	per parameter:
//	  name   uint16 length, then the bytes
//	  shape  uint8 rank, then uint32 per dimension
//	  values rank-product values of the dtype
//	crc32    uint32  IEEE checksum of everything before it
//
// The names and shapes record the architecture: loading into a model whose
// parameters differ is an error that says what differs.
//
// The framing (magic, version, checksum) is internal/frame's: the body is
// one raw section. Loading reads at most the size that the model's own
// weights file has (BinarySize), so a huge or hostile file costs nothing.
var weightsFormat = frame.Format{
	Name:     "weights file",
	Magic:    "GOCNNWTS",
	Version:  1,
	Sections: []frame.Section{{Name: "parameters", Length: frame.Raw}},
}

// MarshalBinaryTo writes every parameter, with its name and shape, in the
// weights format.
func (p *Params) MarshalBinaryTo(w io.Writer) error {
	var b bytes.Buffer
	b.Grow(int(p.bodySize()))
	le := binary.LittleEndian
	b.WriteByte(byte(p.dtype.Size()))
	b.Write(le.AppendUint32(nil, uint32(len(p.list))))
	for _, q := range p.list {
		b.Write(le.AppendUint16(nil, uint16(len(q.Name))))
		b.WriteString(q.Name)
		s := q.Value.Shape()
		b.WriteByte(byte(len(s)))
		for _, d := range s {
			b.Write(le.AppendUint32(nil, uint32(d)))
		}
		switch q.Value.Dtype() {
		case tensor.Float32:
			for _, v := range q.Value.Float32s() {
				b.Write(le.AppendUint32(nil, math.Float32bits(v)))
			}
		case tensor.Float64:
			for _, v := range q.Value.Float64s() {
				b.Write(le.AppendUint64(nil, math.Float64bits(v)))
			}
		}
	}
	return weightsFormat.Write(w, b.Bytes())
}

// BinarySize returns the size of the weights file of these parameters:
// what MarshalBinaryTo writes, and the most UnmarshalBinaryFrom reads.
func (p *Params) BinarySize() int64 {
	return frame.HeaderSize + p.bodySize() + frame.TrailerSize
}

// bodySize is the size of the parameters section.
func (p *Params) bodySize() int64 { return p.body }

// UnmarshalBinaryFrom reads weights written by MarshalBinaryTo into the
// existing parameters. The file must hold exactly the same parameter names,
// shapes and dtype; nothing is changed unless the whole file is valid. It
// reads no more than BinarySize bytes (and one to see whether the file goes
// on): a longer file is an error that says how it differs from the model.
// A value that is NaN or infinite is an error that names its parameter.
func (p *Params) UnmarshalBinaryFrom(r io.Reader) error {
	sections, err := weightsFormat.Read(r, p.bodySize())
	if err != nil {
		var large *frame.TooLargeError
		if errors.As(err, &large) {
			const tooLarge = "weights file holds more than the %d bytes this model's weights take"
			// Say what differs, if the part read shows it.
			if _, why := p.decode(large.Partial); why != nil && why != errMalformed {
				return errors.Wrapf(why, tooLarge, p.BinarySize())
			}
			return errors.Errorf(tooLarge, p.BinarySize())
		}
		var sum *frame.ChecksumError
		if errors.As(err, &sum) && sum.Size != p.BinarySize() {
			return errors.Errorf("%v: the file has %d bytes, this model's weights take %d", err, sum.Size, p.BinarySize())
		}
		return err
	}
	vals, err := p.decode(sections[0])
	if err != nil {
		return err
	}
	if err := p.checkFinite(vals); err != nil {
		return err
	}
	le := binary.LittleEndian
	for i, q := range p.list {
		switch q.Value.Dtype() {
		case tensor.Float32:
			d := q.Value.Float32s()
			for j := range d {
				d[j] = math.Float32frombits(le.Uint32(vals[i][4*j:]))
			}
		case tensor.Float64:
			d := q.Value.Float64s()
			for j := range d {
				d[j] = math.Float64frombits(le.Uint64(vals[i][8*j:]))
			}
		}
	}
	return nil
}

// checkFinite returns an error naming the first parameter value that is
// NaN or infinite: weights that hold one make every prediction NaN, so a
// file that holds one is refused (a diverged training run writes them).
func (p *Params) checkFinite(vals [][]byte) error {
	le := binary.LittleEndian
	for i, q := range p.list {
		b := vals[i]
		n := q.Value.Size()
		for j := 0; j < n; j++ {
			var v float64
			if p.dtype == tensor.Float32 {
				v = float64(math.Float32frombits(le.Uint32(b[4*j:])))
			} else {
				v = math.Float64frombits(le.Uint64(b[8*j:]))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return errors.Errorf("weights: parameter %q value %d is %v: the weights are not finite (did training diverge?)", q.Name, j, v)
			}
		}
	}
	return nil
}

// errMalformed is decode's error for a body whose sizes do not add up.
var errMalformed = errors.New("weights file is malformed (sizes do not add up)")

// decode checks the parameters section body against the model and returns
// the bytes of each parameter's values. A body of the model's architecture
// whose sizes do not add up is errMalformed; a body of another architecture
// is an error saying what differs, as soon as what it holds shows it.
func (p *Params) decode(body []byte) ([][]byte, error) {
	rd := &reader{b: body}
	dsize := int(rd.u8())
	if rd.err == nil && dsize != int(p.dtype.Size()) {
		return nil, errors.Errorf("weights file holds %d-byte values, the model uses %v", dsize, p.dtype)
	}
	count := int(rd.u32())
	if rd.err == nil && count != len(p.list) {
		return nil, errors.Errorf("weights file has %d parameters, the model has %d", count, len(p.list))
	}
	vals := make([][]byte, len(p.list))
	for i, q := range p.list {
		name := string(rd.bytes(int(rd.u16())))
		rank := int(rd.u8())
		shape := make(tensor.Shape, rank)
		for j := range shape {
			shape[j] = int(rd.u32())
		}
		if rd.err != nil {
			break
		}
		if name != q.Name || !shape.Eq(q.Value.Shape()) {
			return nil, errors.Errorf("parameter %d is %q %v in the file but %q %v in the model: different architecture", i+1, name, shape, q.Name, q.Value.Shape())
		}
		vals[i] = rd.bytes(q.Value.Size() * dsize)
	}
	if rd.err != nil || len(rd.b) != 0 {
		return nil, errMalformed
	}
	return vals, nil
}

// reader reads little-endian fields from a byte slice, remembering the
// first overrun.
type reader struct {
	b   []byte
	err error
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.err = io.ErrUnexpectedEOF
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) u8() uint8 {
	if b := r.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if b := r.bytes(2); b != nil {
		return binary.LittleEndian.Uint16(b)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// SaveFile writes the weights to path atomically (temporary file, fsync,
// rename): an interrupted save leaves the previous file intact.
func (p *Params) SaveFile(path string) error {
	return atomicfile.Write(path, p.MarshalBinaryTo)
}

// LoadFile reads weights saved by SaveFile. Errors name the file.
func (p *Params) LoadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Wrap(err, "loading weights")
	}
	defer f.Close()
	return errors.Wrapf(p.UnmarshalBinaryFrom(f), "loading weights from %s", path)
}
