package cli

import (
	"io"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/data"
	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/atomicfile"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/viz"
)

// Sizes of the pictures.
const (
	filterScale     = 16 // a 5x5 filter becomes 80x80 pixels
	featureMapScale = 4  // a 24x24 feature map becomes 96x96 pixels
)

// writeFilters writes the learned kernels of the model's first Conv2D
// layer as a grid of grey pictures to path: one KH×KW map per filter and
// input channel, scaled up 16 times. With one input channel (MNIST) the F
// filters form one row; otherwise each filter is a row of C maps.
func writeFilters(path string, model *model.Model) error {
	for _, l := range model.Layers() {
		if l.Type() != "Conv2D" {
			continue
		}
		p := model.Params().Lookup(l.Name() + "/kernel")
		if p == nil {
			return errors.Errorf("filters: layer %s has no kernel", l.Name())
		}
		s := p.Value.Shape()
		if len(s) != 4 {
			return errors.Errorf("filters: kernel of %s has shape %v, not [F,C,KH,KW]", l.Name(), s)
		}
		f, c, kh, kw := s[0], s[1], s[2], s[3]
		vals, err := picValues(p.Value)
		if err != nil {
			return errors.Wrapf(err, "filters: kernel of %s", l.Name())
		}
		maps := make([][]float32, f*c)
		for i := range maps {
			maps[i] = vals[i*kh*kw : (i+1)*kh*kw]
		}
		cols := f
		if c > 1 {
			cols = c
		}
		return viz.GrayGrid(path, maps, kh, kw, cols, filterScale)
	}
	return errors.New("filters: the model has no Conv2D layer")
}

// picValues returns a parameter's values as float32.
func picValues(t *tensor.Dense) ([]float32, error) {
	switch t.Dtype() {
	case tensor.Float32:
		return t.Float32s(), nil
	case tensor.Float64:
		v := make([]float32, t.Size())
		for i, x := range t.Float64s() {
			v[i] = float32(x)
		}
		return v, nil
	}
	return nil, errors.Errorf("dtype %v is not supported", t.Dtype())
}

// writeFeatureMaps writes to path the feature maps that one input image
// (in the model's input layout, such as 1×28×28) produces after each
// Conv2D layer and its activation (a fused one, or stand-alone activation
// layers right after it). Each map is scaled to the size of the largest
// ones by nearest-neighbour sampling, so that all fit one grid, and each
// convolution layer starts a new row: the grid has as many columns as the
// convolution with the fewest filters, and a layer whose maps do not fill
// its last row is padded with blank (mid-grey) cells. For the MNIST recipe
// that is a row of 10 maps of 24×24 and two rows of 20 maps of 8×8.
func writeFeatureMaps(path string, model *model.Model, image []float32) error {
	in := model.InputShape(0)
	size := 1
	for _, d := range in {
		size *= d
	}
	if len(image) != size {
		return errors.Errorf("feature maps: the image has %d values, the model takes %v", len(image), in)
	}
	g := graph.New(model.Params())
	x := g.Input("x", append([]int{1}, in...)...)
	if err := graph.Set(x, image); err != nil {
		return errors.Wrap(err, "feature maps")
	}
	out, err := model.Build(g, x)
	if err != nil {
		return errors.Wrap(err, "feature maps")
	}
	var nodes []*G.Node
	ls := model.Layers()
	for i, l := range ls {
		if l.Type() != "Conv2D" {
			continue
		}
		j := i
		for j+1 < len(ls) && ls[j+1].Type() == "Activation" {
			j++
		}
		nodes = append(nodes, out.Layers[ls[j].Name()])
	}
	if len(nodes) == 0 {
		return errors.New("feature maps: the model has no Conv2D layer")
	}
	m, err := g.CompileInference()
	if err != nil {
		return errors.Wrap(err, "feature maps")
	}
	defer m.Close()
	if err := m.Run(); err != nil {
		return errors.Wrap(err, "feature maps")
	}
	type layerMaps struct {
		f, h, w int
		vals    []float32
	}
	var all []layerMaps
	h, w, cols := 0, 0, 0
	for _, n := range nodes {
		s := n.Shape()
		if len(s) != 4 {
			return errors.Errorf("feature maps: layer output %v is not [1,F,H,W]", s)
		}
		vals, err := graph.Read[float32](n, nil)
		if err != nil {
			return errors.Wrap(err, "feature maps")
		}
		lm := layerMaps{f: s[1], h: s[2], w: s[3], vals: vals}
		all = append(all, lm)
		h, w = max(h, lm.h), max(w, lm.w)
		if cols == 0 || lm.f < cols {
			cols = lm.f
		}
	}
	var maps [][]float32
	for _, lm := range all {
		for k := 0; k < lm.f; k++ {
			maps = append(maps, picResize(lm.vals[k*lm.h*lm.w:(k+1)*lm.h*lm.w], lm.h, lm.w, h, w))
		}
		for len(maps)%cols != 0 {
			maps = append(maps, make([]float32, h*w))
		}
	}
	return viz.GrayGrid(path, maps, h, w, cols, featureMapScale)
}

// picResize scales the h×w map m to oh×ow by nearest-neighbour sampling.
func picResize(m []float32, h, w, oh, ow int) []float32 {
	if h == oh && w == ow {
		return m
	}
	out := make([]float32, oh*ow)
	for y := 0; y < oh; y++ {
		sy := y * h / oh
		for x := 0; x < ow; x++ {
			out[y*ow+x] = m[sy*w+x*w/ow]
		}
	}
	return out
}

// writeConfusion predicts every image of test and writes the confusion
// matrix of true against predicted classes as a heat map to pngPath and as
// CSV to csvPath, with the classes' names where test has them. An empty
// path skips that file.
func writeConfusion(pngPath, csvPath string, m *model.Model, test data.Source) error {
	if test == nil || test.Len() == 0 {
		return errors.New("confusion: the test set is empty")
	}
	in := test.Info()
	k := in.Targets
	if k <= 0 || !in.HasLabels {
		return errors.Errorf("confusion: the test set has no labels of its %d classes", k)
	}
	if got := m.OutputSize(); got != k {
		return errors.Errorf("confusion: the model gives %d outputs per image, the test set has %d classes", got, k)
	}
	it, err := test.Batches(500)
	if err != nil {
		return errors.Wrap(err, "confusion")
	}
	defer it.Close()
	c := viz.NewConfusion(k)
	seen := 0
	for it.Next() {
		b := it.Batch()
		pred, err := m.Predict(b.X)
		if err != nil {
			return errors.Wrap(err, "confusion")
		}
		for i, label := range b.Labels {
			if label < 0 || label >= k {
				return errors.Errorf("confusion: image %d has label %d, not in [0, %d)", seen+i, label, k)
			}
			c.Add(label, model.Argmax(pred[i*k:(i+1)*k]))
		}
		seen += b.N
	}
	if err := it.Err(); err != nil {
		return errors.Wrap(err, "confusion")
	}
	if pngPath != "" {
		if err := c.PNGNamed(pngPath, in.ClassNames); err != nil {
			return err
		}
	}
	if csvPath != "" {
		return atomicfile.Write(csvPath, func(w io.Writer) error { return c.WriteCSVNamed(w, in.ClassNames) })
	}
	return nil
}
