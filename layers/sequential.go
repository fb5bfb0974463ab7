package layers

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/ops"
)

// DefaultSeed seeds the initialisers of a model made without the Seed
// option.
const DefaultSeed = 1

// Sequential is a stack of layers applied one after the other, like
// Keras's Sequential model.
type Sequential struct {
	input  []int
	layers []Layer
	params *graph.Params
	shapes [][]int // output shape of each layer, without the batch axis
	counts []int   // parameter count of each layer
}

// A ModelOption configures a model.
type ModelOption func(*modelConfig)

type modelConfig struct {
	seed  uint64
	dtype tensor.Dtype
}

// Seed seeds the model's initialisers: the same seed gives the same
// initial weights.
func Seed(seed uint64) ModelOption { return func(c *modelConfig) { c.seed = seed } }

// Float64 makes the model compute in float64 instead of float32. It is
// slower and exists for gradient checks and numerical experiments.
func Float64() ModelOption { return func(c *modelConfig) { c.dtype = tensor.Float64 } }

// NewSequential makes a model of the given layers for inputs of the given
// shape (channels, height, width for images; features for vectors). It
// names unnamed layers as Keras does (conv2d_1, dense_2, ...), creates and
// initialises every parameter, and checks every shape: a layer that cannot
// take its input is an error naming the layer and the shapes.
func NewSequential(input []int, ls []Layer, opts ...ModelOption) (*Sequential, error) {
	c := modelConfig{seed: DefaultSeed, dtype: tensor.Float32}
	for _, o := range opts {
		o(&c)
	}
	if len(input) == 0 {
		return nil, errors.New("sequential: empty input shape")
	}
	for _, d := range input {
		if d <= 0 {
			return nil, errors.Errorf("sequential: input shape %v has a non-positive dimension", input)
		}
	}
	if len(ls) == 0 {
		return nil, errors.New("sequential: no layers")
	}
	params, err := graph.NewParams(c.dtype, c.seed)
	if err != nil {
		return nil, err
	}
	m := &Sequential{input: append([]int(nil), input...), layers: ls, params: params}
	counters := map[string]int{}
	names := map[string]bool{}
	for i, l := range ls {
		if l == nil {
			return nil, errors.Errorf("sequential: layer %d is nil", i+1)
		}
		if l.Name() == "" {
			key := snake(l.Type())
			counters[key]++
			l.SetName(key + "_" + strconv.Itoa(counters[key]))
		}
		if names[l.Name()] {
			return nil, errors.Errorf("sequential: two layers are named %q", l.Name())
		}
		names[l.Name()] = true
	}
	// Building once with a batch of one checks the shapes and creates the
	// parameters, in layer order, so that the seed fixes their values.
	g := graph.New(params)
	x := g.Input("x", append([]int{1}, input...)...)
	for _, l := range ls {
		before := params.Count()
		y, err := build(l, g, x)
		if err != nil {
			return nil, errors.Wrapf(err, "layer %s (%s) with input shape %v", l.Name(), l.Type(), shapeString(x.Shape()[1:]))
		}
		m.shapes = append(m.shapes, []int(y.Shape()[1:].Clone()))
		m.counts = append(m.counts, params.Count()-before)
		x = y
	}
	return m, nil
}

// build calls l.Build, turning a panic inside it (or inside Gorgonia) into
// an error, so that no model a user can describe crashes the program.
func build(l Layer, g *graph.Graph, x *G.Node) (y *G.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			y, err = nil, errors.Errorf("internal panic: %v", r)
		}
	}()
	return l.Build(g, x)
}

// snake turns a Keras type name into its default layer-name prefix:
// Conv2D → conv2d, MaxPooling2D → max_pooling2d.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 && !(s[i-1] >= 'A' && s[i-1] <= 'Z') && !(s[i-1] >= '0' && s[i-1] <= '9') {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Params returns the model's parameter store.
func (m *Sequential) Params() *graph.Params { return m.params }

// Layers returns the model's layers.
func (m *Sequential) Layers() []Layer { return m.layers }

// InputShape returns the shape of one input example.
func (m *Sequential) InputShape() []int { return m.input }

// OutputShape returns the shape of one output example.
func (m *Sequential) OutputShape() []int { return m.shapes[len(m.shapes)-1] }

// Outputs are the nodes a built model exposes.
type Outputs struct {
	// Output is the model's output: class probabilities for a classifier.
	Output *G.Node
	// Logits is the input of a final softmax, or nil if the model does not
	// end in one. Cross-entropy uses it instead of Output for stability.
	Logits *G.Node
	// Layers holds every layer's output node, in order.
	Layers []*G.Node
}

// Build emits the model into g for the input x, whose shape must be the
// model's input shape with a batch axis in front.
func (m *Sequential) Build(g *graph.Graph, x *G.Node) (Outputs, error) {
	var out Outputs
	if s := x.Shape(); len(s) != len(m.input)+1 || !s[1:].Eq(tensor.Shape(m.input)) {
		return out, errors.Errorf("sequential: input shape %v does not match the model's [N %s]", s, strings.Trim(fmt.Sprint(m.input), "[]"))
	}
	if g.Params() != m.params {
		return out, errors.New("sequential: the graph is not bound to this model's parameters")
	}
	for _, l := range m.layers {
		y, err := build(l, g, x)
		if err != nil {
			return out, errors.Wrapf(err, "layer %s (%s)", l.Name(), l.Type())
		}
		out.Layers = append(out.Layers, y)
		x = y
	}
	out.Output = x
	if logits, ok := ops.SoftmaxLogits(x); ok {
		out.Logits = logits
	}
	return out, nil
}

// shapeString formats an example shape as Summary does, channels last for
// images so that it reads like Keras: [10 24 24] → (None, 24, 24, 10).
func shapeString(s []int) string {
	d := append([]int(nil), s...)
	if len(d) == 3 {
		d = []int{d[1], d[2], d[0]}
	}
	parts := []string{"None"}
	for _, v := range d {
		parts = append(parts, strconv.Itoa(v))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// Summary writes a table of the layers, their output shapes and parameter
// counts, like Keras's model.summary().
func (m *Sequential) Summary(w io.Writer) error {
	rows := [][3]string{}
	total := 0
	for i, l := range m.layers {
		rows = append(rows, [3]string{l.Name() + " (" + l.Type() + ")", shapeString(m.shapes[i]), commas(m.counts[i])})
		total += m.counts[i]
	}
	w0, w1 := len("Layer (type)"), len("Output Shape")
	for _, r := range rows {
		w0, w1 = max(w0, len(r[0])), max(w1, len(r[1]))
	}
	var b strings.Builder
	line := func(c string) { b.WriteString(strings.Repeat(c, 65) + "\n") }
	row := func(r [3]string) { fmt.Fprintf(&b, "%-*s  %-*s  %s\n", w0, r[0], w1, r[1], r[2]) }
	line("_")
	row([3]string{"Layer (type)", "Output Shape", "Param #"})
	line("=")
	for _, r := range rows {
		row(r)
	}
	line("=")
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: 0\n", commas(total), commas(total))
	line("_")
	_, err := io.WriteString(w, b.String())
	return err
}

// commas formats n with thousands separators: 38390 → 38,390.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
