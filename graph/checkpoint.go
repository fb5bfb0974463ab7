package graph

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"math"
	"os"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/atomicfile"
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
const (
	weightsMagic   = "GOCNNWTS"
	weightsVersion = 1
	maxWeightsSize = 1 << 31
)

// MarshalBinaryTo writes every parameter, with its name and shape, in the
// weights format.
func (p *Params) MarshalBinaryTo(w io.Writer) error {
	var b bytes.Buffer
	b.WriteString(weightsMagic)
	le := binary.LittleEndian
	b.Write(le.AppendUint32(nil, weightsVersion))
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
	b.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	_, err := w.Write(b.Bytes())
	return err
}

// UnmarshalBinaryFrom reads weights written by MarshalBinaryTo into the
// existing parameters. The file must hold exactly the same parameter names,
// shapes and dtype; nothing is changed unless the whole file is valid.
func (p *Params) UnmarshalBinaryFrom(r io.Reader) error {
	buf, err := io.ReadAll(io.LimitReader(r, maxWeightsSize+1))
	if err != nil {
		return err
	}
	if len(buf) > maxWeightsSize {
		return errors.New("weights file is larger than 2 GiB")
	}
	if len(buf) < len(weightsMagic)+4+1+4+4 || string(buf[:len(weightsMagic)]) != weightsMagic {
		return errors.New("not a weights file (bad magic or too short)")
	}
	le := binary.LittleEndian
	body, sum := buf[:len(buf)-4], le.Uint32(buf[len(buf)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return errors.New("weights file is corrupt or truncated (checksum mismatch)")
	}
	if v := le.Uint32(body[8:]); v != weightsVersion {
		return errors.Errorf("weights file version %d; this program reads version %d", v, weightsVersion)
	}
	rd := &reader{b: body[12:]}
	dsize := int(rd.u8())
	if dsize != int(p.dtype.Size()) {
		return errors.Errorf("weights file holds %d-byte values, the model uses %v", dsize, p.dtype)
	}
	count := int(rd.u32())
	if count != len(p.list) {
		return errors.Errorf("weights file has %d parameters, the model has %d", count, len(p.list))
	}
	vals := make([][]byte, count)
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
			return errors.Errorf("parameter %d is %q %v in the file but %q %v in the model: different architecture", i+1, name, shape, q.Name, q.Value.Shape())
		}
		vals[i] = rd.bytes(q.Value.Size() * dsize)
	}
	if rd.err != nil || len(rd.b) != 0 {
		return errors.New("weights file is malformed (sizes do not add up)")
	}
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
