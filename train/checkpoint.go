package train

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"os"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/atomicfile"
)

// A training checkpoint, version 1, holds everything a run needs to go on
// exactly where it stopped, little-endian:
//
//	magic    [8]byte "GOCNNCKP"
//	version  uint32  1
//	meta     uint32 length, then JSON: the run state, the history, the
//	         optimiser's name and state
//	weights  uint64 length, then the model's weights file (see
//	         graph.Params.MarshalBinaryTo), which records the architecture
//	crc32    uint32  IEEE checksum of everything before it
const (
	checkpointMagic   = "GOCNNCKP"
	checkpointVersion = 1
	maxCheckpointSize = 1 << 31
)

type checkpointMeta struct {
	State     State       `json:"state"`
	History   []Epoch     `json:"history"`
	Optimizer string      `json:"optimizer"`
	Step      int         `json:"step"`
	Slots     [][]float64 `json:"slots"`
}

// WriteCheckpoint writes the trainer's weights, optimiser state, run state
// and history to w.
func (t *Trainer) WriteCheckpoint(w io.Writer) error {
	st, ok := t.opt.(Stateful)
	if !ok {
		return errors.Errorf("train: optimizer %v cannot save its state", t.opt)
	}
	step, slots := st.State()
	meta, err := json.Marshal(checkpointMeta{State: t.prog, History: t.hist.Epochs, Optimizer: t.opt.String(), Step: step, Slots: slots})
	if err != nil {
		return errors.Wrap(err, "train: checkpoint")
	}
	var weights bytes.Buffer
	if err := t.model.Params().MarshalBinaryTo(&weights); err != nil {
		return err
	}
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString(checkpointMagic)
	b.Write(le.AppendUint32(nil, checkpointVersion))
	b.Write(le.AppendUint32(nil, uint32(len(meta))))
	b.Write(meta)
	b.Write(le.AppendUint64(nil, uint64(weights.Len())))
	b.Write(weights.Bytes())
	b.Write(le.AppendUint32(nil, crc32.ChecksumIEEE(b.Bytes())))
	_, err = w.Write(b.Bytes())
	return err
}

// ReadCheckpoint restores a checkpoint written by WriteCheckpoint into the
// trainer: its weights, optimiser state, run state and history. The model's
// architecture and the optimiser must be the ones the checkpoint was made
// with. Nothing is changed unless the whole checkpoint is valid.
func (t *Trainer) ReadCheckpoint(r io.Reader) error {
	buf, err := io.ReadAll(io.LimitReader(r, maxCheckpointSize+1))
	if err != nil {
		return err
	}
	if len(buf) > maxCheckpointSize {
		return errors.New("checkpoint is larger than 2 GiB")
	}
	if len(buf) < len(checkpointMagic)+4+4+8+4 || string(buf[:len(checkpointMagic)]) != checkpointMagic {
		return errors.New("not a checkpoint file (bad magic or too short)")
	}
	le := binary.LittleEndian
	body, sum := buf[:len(buf)-4], le.Uint32(buf[len(buf)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return errors.New("checkpoint is corrupt or truncated (checksum mismatch)")
	}
	if v := le.Uint32(body[8:]); v != checkpointVersion {
		return errors.Errorf("checkpoint version %d; this program reads version %d", v, checkpointVersion)
	}
	rest := body[12:]
	n := int(le.Uint32(rest))
	if n > len(rest)-4-8 {
		return errors.New("checkpoint is malformed (sizes do not add up)")
	}
	var meta checkpointMeta
	if err := json.Unmarshal(rest[4:4+n], &meta); err != nil {
		return errors.Wrap(err, "checkpoint metadata")
	}
	rest = rest[4+n:]
	if m := le.Uint64(rest); m != uint64(len(rest)-8) {
		return errors.New("checkpoint is malformed (sizes do not add up)")
	}
	if meta.Optimizer != t.opt.String() {
		return errors.Errorf("checkpoint was made with %s, this run uses %s", meta.Optimizer, t.opt)
	}
	st, ok := t.opt.(Stateful)
	if !ok {
		return errors.Errorf("train: optimizer %v cannot restore its state", t.opt)
	}
	params := t.model.Params().List()
	if meta.Slots != nil && len(meta.Slots) != len(params) {
		return errors.Errorf("checkpoint has optimizer state for %d parameters, the model has %d", len(meta.Slots), len(params))
	}
	for i, s := range meta.Slots {
		if size := params[i].Value.Size(); size == 0 || len(s)%size != 0 {
			return errors.Errorf("checkpoint's optimizer state for %q has %d values, the parameter %d", params[i].Name, len(s), size)
		}
	}
	if meta.Step < 0 {
		return errors.Errorf("checkpoint has a negative optimizer step %d", meta.Step)
	}
	if meta.State.Epoch < 0 || meta.State.Batch < 0 || meta.State.Seen < 0 || meta.State.Epoch != len(meta.History) {
		return errors.Errorf("checkpoint state %+v does not match its %d history epochs", meta.State, len(meta.History))
	}
	// The weights check their own architecture and change nothing on error.
	if err := t.model.Params().UnmarshalBinaryFrom(bytes.NewReader(rest[8:])); err != nil {
		return err
	}
	if err := st.SetState(meta.Step, meta.Slots); err != nil {
		return err
	}
	t.prog, t.hist = meta.State, &History{Epochs: meta.History}
	return nil
}

// SaveCheckpoint writes a checkpoint to path atomically: to a temporary
// file, synced, then renamed, so an interrupted save leaves the previous
// checkpoint intact.
func (t *Trainer) SaveCheckpoint(path string) error {
	return atomicfile.Write(path, t.WriteCheckpoint)
}

// LoadCheckpoint restores the checkpoint at path. Errors name the file and
// say what does not match.
func (t *Trainer) LoadCheckpoint(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return errors.Wrap(err, "loading checkpoint")
	}
	defer f.Close()
	return errors.Wrapf(t.ReadCheckpoint(f), "loading checkpoint %s", path)
}
