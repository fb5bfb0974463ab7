package train

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"regexp"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/internal/frame"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/train/optimizers"
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
//
// The framing (magic, version, length-prefixed sections, checksum) is
// internal/frame's. Loading reads at most maxMetaSize bytes of metadata
// and the size of the model's own weights file.
var checkpointFormat = frame.Format{
	Name:    "checkpoint",
	Magic:   "GOCNNCKP",
	Version: 1,
	Sections: []frame.Section{
		{Name: "metadata", Length: frame.Uint32},
		{Name: "weights", Length: frame.Uint64},
	},
}

// The metadata limit: room for the run state, the history of many
// thousand epochs and the optimiser's name, plus, for each parameter value,
// maxSlots state values (optimiser slots and callbacks' copies of the
// weights) of at most slotBytes bytes of JSON each.
const (
	metaBaseSize = 16 << 20
	maxSlots     = 8
	slotBytes    = 32
)

// maxMetaSize returns the most metadata a checkpoint of a model with n
// parameter values may hold.
func maxMetaSize(n int) int64 { return metaBaseSize + int64(n)*maxSlots*slotBytes }

type checkpointMeta struct {
	State   Position `json:"state"`
	History []Epoch  `json:"history"`
	optimizerState
	// Callbacks holds the state of each of the trainer's callbacks, in
	// order: null for one that is not a StatefulCallback.
	Callbacks []json.RawMessage `json:"callbacks,omitempty"`
	// Frozen names the model's frozen layers (model.Model.SetTrainable).
	Frozen []string `json:"frozen,omitempty"`
}

// A StatefulCallback is a callback whose state a checkpoint saves, so that
// a run resumed from it behaves as an uninterrupted one. EarlyStopping and
// ModelCheckpoint are.
type StatefulCallback interface {
	Callback
	// CallbackState returns the callback's state as JSON.
	CallbackState() (json.RawMessage, error)
	// RestoreCallbackState restores a state CallbackState returned; the
	// next OnTrainBegin then keeps it rather than starting afresh.
	RestoreCallbackState(json.RawMessage) error
}

// callbackStates returns the state of each callback, nil if none is
// stateful.
func (t *Trainer) callbackStates() ([]json.RawMessage, error) {
	var out []json.RawMessage
	any := false
	for i, cb := range t.callbacks {
		var st json.RawMessage
		if s, ok := cb.(StatefulCallback); ok {
			var err error
			if st, err = s.CallbackState(); err != nil {
				return nil, errors.Wrapf(err, "train: checkpoint: callback %d", i+1)
			}
			any = true
		}
		out = append(out, st)
	}
	if !any {
		return nil, nil
	}
	return out, nil
}

// WriteCheckpoint writes the trainer's weights, optimiser state, run state
// and history to w.
func (t *Trainer) WriteCheckpoint(w io.Writer) error {
	st, ok := t.opt.(optimizers.Stateful)
	if !ok {
		return errors.Errorf("train: optimizer %v cannot save its state", t.opt)
	}
	step, slots := st.State()
	cbs, err := t.callbackStates()
	if err != nil {
		return err
	}
	meta, err := json.Marshal(checkpointMeta{State: t.prog, History: t.hist.Epochs, optimizerState: optimizerState{Optimizer: t.opt.String(), Step: step, Slots: slots}, Callbacks: cbs, Frozen: t.model.FrozenLayers()})
	if err != nil {
		return errors.Wrap(err, "train: checkpoint")
	}
	var weights bytes.Buffer
	if err := t.model.Params().MarshalBinaryTo(&weights); err != nil {
		return err
	}
	return checkpointFormat.Write(w, meta, weights.Bytes())
}

// ReadCheckpoint restores a checkpoint written by WriteCheckpoint into the
// trainer: its weights, optimiser state, run state and history, and which
// layers are frozen (model.Model.SetTrainable): the model's layers are
// frozen and unfrozen as they were when it was written, so freeze or
// unfreeze after restoring to go on differently. The model's architecture
// and the optimiser must be the ones the checkpoint was made with. Nothing
// is changed unless the whole checkpoint is valid.
func (t *Trainer) ReadCheckpoint(r io.Reader) error {
	sections, err := checkpointFormat.Read(r, maxMetaSize(t.model.Params().Count()), t.model.Params().BinarySize())
	if err != nil {
		var large *frame.TooLargeError
		if errors.As(err, &large) && large.Section == "weights" {
			return errors.Errorf("checkpoint's weights take %d bytes, this model's take %d: it was made for another model", large.Size, large.Max)
		}
		return err
	}
	var meta checkpointMeta
	if err := json.Unmarshal(sections[0], &meta); err != nil {
		return errors.Wrap(err, "checkpoint metadata")
	}
	st, err := t.checkOptimizerState(meta.optimizerState, false)
	if err != nil {
		return errors.Wrap(err, "checkpoint")
	}
	if meta.State.Epoch < 0 || meta.State.Batch < 0 || meta.State.Seen < 0 || meta.State.Epoch != len(meta.History) {
		return errors.Errorf("checkpoint state %+v does not match its %d history epochs", meta.State, len(meta.History))
	}
	if meta.Callbacks != nil && len(meta.Callbacks) != len(t.callbacks) {
		return errors.Errorf("checkpoint holds the state of %d callbacks, this trainer has %d: resume with the callbacks of the original run", len(meta.Callbacks), len(t.callbacks))
	}
	for i, raw := range meta.Callbacks {
		s, ok := t.callbacks[i].(StatefulCallback)
		if ok != (len(raw) > 0 && string(raw) != "null") {
			return errors.Errorf("checkpoint's state of callback %d does not fit this trainer's callback %d", i+1, i+1)
		}
		if ok {
			if err := s.RestoreCallbackState(raw); err != nil {
				return errors.Wrapf(err, "checkpoint: callback %d", i+1)
			}
		}
	}
	for _, name := range meta.Frozen {
		if _, err := t.model.Trainable(name); err != nil {
			return errors.Wrapf(err, "checkpoint: frozen layer %q", name)
		}
	}
	// The weights check their own architecture and change nothing on error.
	if err := t.model.Params().UnmarshalBinaryFrom(bytes.NewReader(sections[1])); err != nil {
		return err
	}
	if err := t.model.SetTrainable(true); err != nil {
		return errors.Wrap(err, "checkpoint: unfreezing")
	}
	if len(meta.Frozen) > 0 {
		if err := t.model.SetTrainable(false, meta.Frozen...); err != nil {
			return errors.Wrap(err, "checkpoint: freezing")
		}
	}
	if err := st.SetState(t.model.Params().Trainable(), meta.Step, meta.Slots); err != nil {
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

// optimizerState is how a model file records an optimiser's state (see
// SaveModel).
type optimizerState struct {
	Optimizer string      `json:"optimizer"`
	Step      int         `json:"step"`
	Slots     [][]float64 `json:"slots"`
}

// checkOptimizerState checks that s is a state of the trainer's optimiser
// for the model's parameters, and returns the optimiser to restore it into.
// With anyLR the learning rates may differ.
func (t *Trainer) checkOptimizerState(s optimizerState, anyLR bool) (optimizers.Stateful, error) {
	if saved, now := s.Optimizer, t.opt.String(); saved != now && (!anyLR || withoutLR(saved) != withoutLR(now)) {
		if anyLR {
			return nil, errors.Errorf("made with %s, this run uses %s: only the learning rate may differ", saved, now)
		}
		return nil, errors.Errorf("made with %s, this run uses %s", saved, now)
	}
	st, ok := t.opt.(optimizers.Stateful)
	if !ok {
		return nil, errors.Errorf("optimizer %v cannot restore its state", t.opt)
	}
	params := t.model.Params().Trainable()
	if s.Slots != nil && len(s.Slots) != len(params) {
		return nil, errors.Errorf("optimizer state for %d parameters, the model has %d", len(s.Slots), len(params))
	}
	for i, sl := range s.Slots {
		size := params[i].Value.Size()
		if len(sl) == 0 {
			continue // no state yet: a parameter frozen since the start
		}
		if size == 0 || len(sl)%size != 0 {
			return nil, errors.Errorf("optimizer state for %q has %d values, the parameter %d", params[i].Name, len(sl), size)
		}
	}
	if s.Step < 0 {
		return nil, errors.Errorf("negative optimizer step %d", s.Step)
	}
	return st, nil
}

// lrArg is an optimiser name's learning rate argument.
var lrArg = regexp.MustCompile(`\blr=[^,)]*`)

// withoutLR returns an optimiser's name (String) with its learning rate
// left out, so that two optimisers that differ only in it compare equal.
func withoutLR(name string) string { return lrArg.ReplaceAllString(name, "lr=?") }

// OptimizerStateKey names the optimiser's state in a model file's State.
const OptimizerStateKey = "optimizer"

// SaveModel writes the whole model (architecture and weights, see
// model.Model.Save) to path and, with withOptimizer, the optimiser's state,
// so that training can go on from the file with RestoreOptimizer.
func (t *Trainer) SaveModel(path string, withOptimizer bool) error {
	var state model.State
	if withOptimizer {
		st, ok := t.opt.(optimizers.Stateful)
		if !ok {
			return errors.Errorf("train: optimizer %v cannot save its state", t.opt)
		}
		step, slots := st.State()
		b, err := json.Marshal(optimizerState{Optimizer: t.opt.String(), Step: step, Slots: slots})
		if err != nil {
			return errors.Wrap(err, "train: save model")
		}
		state = model.State{OptimizerStateKey: b}
	}
	return t.model.Save(path, state)
}

// RestoreOptimizer sets the trainer's optimiser to the state saved by
// SaveModel in a model file's State (see model.Load). The optimiser must
// be of the kind the state was saved from, with the same hyper-parameters
// (betas, weight decay, clipping) and parameter shapes, except the
// learning rate: fine-tuning may go on with another rate or a schedule,
// keeping the moments and the step count (an optimiser of one's own
// qualifies when its String writes the rate as lr=…, as the built-in
// ones do). A checkpoint (ReadCheckpoint), which resumes a run exactly,
// needs the same learning rate too.
func (t *Trainer) RestoreOptimizer(state model.State) error {
	raw, ok := state[OptimizerStateKey]
	if !ok {
		return errors.New("train: the model file holds no optimizer state; save it with SaveModel(path, true)")
	}
	var s optimizerState
	if err := json.Unmarshal(raw, &s); err != nil {
		return errors.Wrap(err, "train: optimizer state")
	}
	st, err := t.checkOptimizerState(s, true)
	if err != nil {
		return errors.Wrap(err, "train: model file")
	}
	return errors.Wrap(st.SetState(t.model.Params().Trainable(), s.Step, s.Slots), "train: optimizer state")
}
