package layers

import (
	"encoding/binary"
	"encoding/json"
	"hash/fnv"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

func init() {
	mustRegister("Dropout", func(raw json.RawMessage) (Layer, error) {
		var c struct {
			Rate float64 `json:"rate"`
			optionsJSON
		}
		opts, err := decodeOptions(raw, &c, &c.optionsJSON)
		if err != nil {
			return nil, err
		}
		return Dropout(c.Rate, opts...), nil
	})
}

// dropout is an inverted-dropout layer.
type dropout struct {
	Base
	rate float64
	cfg  config
}

// Dropout sets a fraction rate of its inputs to 0 in training graphs (see
// graph.Training) and scales the others by 1/(1−rate), so that the expected
// value of each output equals its input: inverted dropout, as in Keras.
// In inference graphs it passes its input through unchanged (it returns x
// itself and adds no node). rate must be in [0, 1).
//
// Each run of a training graph draws a new mask from the model's seed
// (graph.Params.Seed), the layer's name, the input shape and the training
// step (graph.Graph.Step, which train.Trainer sets to the number of the
// batch in the whole run): the same model seed gives the same masks, and a
// run resumed from a checkpoint draws the very masks an uninterrupted run
// would have. The only option is FreezeMask.
func Dropout(rate float64, opts ...Option) Layer {
	return &dropout{rate: rate, cfg: newConfig(opts)}
}

// FreezeMask makes a Dropout layer draw its mask once, on the first run of
// each training graph, and keep it. It exists for gradient checks, which need
// the layer to be a fixed function; do not use it for real training.
func FreezeMask() Option {
	return func(c *config) { c.freezeMask = true }
}

func (l *dropout) Type() string { return "Dropout" }

// Config describes the layer's settings.
func (l *dropout) Config() (json.RawMessage, error) {
	return marshal(struct {
		Rate float64 `json:"rate"`
		optionsJSON
	}{l.rate, l.cfg.json()})
}

func (l *dropout) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	if err := l.cfg.only(optFreezeMask); err != nil {
		return nil, err
	}
	if !(l.rate >= 0 && l.rate < 1) {
		return nil, errors.Errorf("dropout rate %v is not in [0, 1)", l.rate)
	}
	if !g.Training() || l.rate == 0 {
		return x, nil
	}
	opts := []ops.DropoutOption{ops.StepMasks(g.Step)}
	if l.cfg.freezeMask {
		opts = append(opts, ops.FreezeMask())
	}
	return ops.Dropout(x, l.rate, dropoutSeed(g.Params().Seed(), l.Name(), x.Shape()), opts...)
}

// dropoutSeed derives a dropout layer's seed from the model's seed, the
// layer's name and its input shape, so that two dropout layers, or the
// graphs of two batch sizes, do not draw the same masks.
func dropoutSeed(modelSeed uint64, name string, shape []int) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], modelSeed)
	h.Write(b[:])
	h.Write([]byte(name))
	for _, d := range shape {
		binary.LittleEndian.PutUint64(b[:], uint64(d))
		h.Write(b[:])
	}
	return h.Sum64()
}
