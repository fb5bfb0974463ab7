package layers

import (
	"bytes"
	"encoding/json"
	"io"
	"sort"
	"sync"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
)

// A Layer emits the Gorgonia nodes of one step of a model.
//
// Build is called once per graph (a model has one graph per batch size);
// a layer asks g for its parameters by name, so every graph shares them.
// x has a batch axis first. Build must return an error, never panic, when
// x's shape does not suit the layer. While a model builds a layer, the
// graph accepts only parameters named after the layer ("name/..."; see
// Base.Param): a layer cannot reach another layer's parameters.
//
// A layer of one's own embeds Base for its name, builds from ops or plain
// Gorgonia ops, and registers a Constructor (Register) so that model files
// that hold it can be loaded.
type Layer interface {
	// Type is the layer's kind as Summary shows it, such as "Conv2D". It
	// is also the name its Constructor is registered under.
	Type() string
	// Name is the layer's unique name in its model, such as "conv2d_1".
	Name() string
	// SetName names the layer; a model names unnamed layers Keras-style.
	SetName(string)
	// Build emits the layer's nodes for the input x into g.
	Build(g *graph.Graph, x *G.Node) (*G.Node, error)
}

// A MultiInput layer takes several inputs, as the merge layers (Add,
// Concatenate, Multiply) do. A model calls BuildMulti when the layer is
// applied to more than one input.
type MultiInput interface {
	Layer
	// BuildMulti emits the layer's nodes for the inputs xs into g.
	BuildMulti(g *graph.Graph, xs []*G.Node) (*G.Node, error)
}

// A Configurable layer can describe its settings, so that a model file can
// record it and its Constructor can make it again. Every built-in layer is
// Configurable. Config must return JSON that the layer's registered
// Constructor accepts.
type Configurable interface {
	Layer
	Config() (json.RawMessage, error)
}

// A Constructor makes a layer from the JSON its Config returned.
type Constructor func(config json.RawMessage) (Layer, error)

// Base implements the naming half of Layer. Embed it in a layer of one's
// own:
//
//	type scale struct{ layers.Base }
//	func (l *scale) Type() string { return "Scale" }
//	func (l *scale) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
//		w, err := l.Param(g, "w", []int{1}, graph.Constant(1))
//		...
//	}
type Base struct{ name string }

// Name returns the layer's name.
func (b *Base) Name() string { return b.name }

// SetName names the layer.
func (b *Base) SetName(name string) { b.name = name }

// Param returns the layer's parameter called local (its full name is the
// layer's name, a slash and local), creating it with init on first use.
func (b *Base) Param(g *graph.Graph, local string, shape []int, init graph.Initializer) (*G.Node, error) {
	return g.Param(b.name+"/"+local, shape, init)
}

// State returns the layer's non-trainable parameter called local, such as
// a running statistic, creating it with init on first use (see
// graph.Graph.State).
func (b *Base) State(g *graph.Graph, local string, shape []int, init graph.Initializer) (*G.Node, error) {
	return g.State(b.name+"/"+local, shape, init)
}

var (
	registryMu sync.RWMutex
	registry   = map[string]Constructor{}
)

// Register makes the layer type typ known to FromConfig, and so to model
// files. Registering a type twice is an error. It is safe for concurrent
// use.
func Register(typ string, c Constructor) error {
	if typ == "" || c == nil {
		return errors.New("layers: register: empty type or nil constructor")
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, ok := registry[typ]; ok {
		return errors.Errorf("layers: register: layer type %q is registered already", typ)
	}
	registry[typ] = c
	return nil
}

// mustRegister registers a built-in layer.
func mustRegister(typ string, c Constructor) {
	if err := Register(typ, c); err != nil {
		panic(err)
	}
}

// Registered returns the registered layer types, sorted.
func Registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([]string, 0, len(registry))
	for t := range registry {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// FromConfig makes a layer of type typ from its Config. An unregistered
// type is an error that names it.
func FromConfig(typ string, config json.RawMessage) (Layer, error) {
	registryMu.RLock()
	c, ok := registry[typ]
	registryMu.RUnlock()
	if !ok {
		return nil, errors.Errorf("layers: layer type %q is not registered (a custom layer must be registered with layers.Register before loading)", typ)
	}
	l, err := c(config)
	if err != nil {
		return nil, errors.Wrapf(err, "layers: %s config %s", typ, config)
	}
	if l == nil || l.Type() != typ {
		return nil, errors.Errorf("layers: the constructor of %q made a different layer", typ)
	}
	return l, nil
}

// ConfigOf returns the configuration of l, or an error if l is not
// Configurable.
func ConfigOf(l Layer) (json.RawMessage, error) {
	c, ok := l.(Configurable)
	if !ok {
		return nil, errors.Errorf("layers: layer %s (%s) cannot describe itself: implement layers.Configurable", l.Name(), l.Type())
	}
	return c.Config()
}

// decodeStrict unmarshals config into v, refusing unknown fields, so that
// a misspelt option in a model file is an error rather than a default, and
// anything after the JSON value.
func decodeStrict(config json.RawMessage, v any) error {
	if len(bytes.TrimSpace(config)) == 0 {
		config = json.RawMessage("{}")
	}
	d := json.NewDecoder(bytes.NewReader(config))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return errors.WithStack(err)
	}
	end := d.InputOffset()
	if _, err := d.Token(); err != io.EOF {
		return errors.Errorf("data after the JSON value, at byte %d", end)
	}
	return nil
}

// isImage reports whether s is an image batch [N, C, H, W].
func isImage(s tensor.Shape) error {
	if len(s) != 4 {
		return errors.Errorf("input shape %v is not an image batch [N,C,H,W]", s)
	}
	return nil
}
