package onnx_test

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/layers"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
)

// featureScale is a custom layer: y = x·w + shift, w a learned weight per
// feature of a vector and shift a setting.
type featureScale struct {
	layers.Base
	Shift float64 `json:"shift"`
}

func (l *featureScale) Type() string { return "FeatureScale" }

func (l *featureScale) Config() (json.RawMessage, error) { return json.Marshal(l) }

func (l *featureScale) Build(g *graph.Graph, x *G.Node) (*G.Node, error) {
	s := x.Shape()
	if len(s) != 2 {
		return nil, errors.Errorf("input %v is not a matrix", s)
	}
	w, err := l.Param(g, "w", []int{s[1]}, graph.Constant(1))
	if err != nil {
		return nil, err
	}
	y, err := G.BroadcastHadamardProd(x, w, nil, []byte{0})
	if err != nil {
		return nil, err
	}
	var shift *G.Node
	if x.Dtype() == tensor.Float64 {
		shift = G.NewConstant(l.Shift)
	} else {
		shift = G.NewConstant(float32(l.Shift))
	}
	return G.Add(y, shift)
}

// exportFeatureScale writes a FeatureScale as Mul and Add.
func exportFeatureScale(c *onnx.ExportContext) error {
	var cfg featureScale
	if err := json.Unmarshal(c.Config, &cfg); err != nil {
		return err
	}
	w, err := c.Param("w")
	if err != nil {
		return err
	}
	y := c.Temp("mul")
	c.Node("Mul", []string{c.Inputs[0], w}, y)
	c.Node("Add", []string{y, c.Floats("shift", nil, []float32{float32(cfg.Shift)})}, c.Output)
	return nil
}

// importFeatureScale reads what exportFeatureScale writes.
func importFeatureScale(c *onnx.ImportContext) (onnx.Imported, error) {
	ns := c.Nodes()
	if len(ns) != 2 || ns[0].Op != "Mul" || ns[1].Op != "Add" || len(ns[0].Inputs) != 2 || len(ns[1].Inputs) != 2 || ns[1].Inputs[0] != ns[0].Output {
		return onnx.Imported{}, errors.New("not the Mul and Add of a FeatureScale")
	}
	if len(c.InputShape) != 1 {
		return onnx.Imported{}, errors.Errorf("input shape %v is not a vector", c.InputShape)
	}
	if err := c.Param("w", ns[0].Inputs[1], c.InputShape[0]); err != nil {
		return onnx.Imported{}, err
	}
	shift, _, err := c.Floats(ns[1].Inputs[1])
	if err != nil || len(shift) != 1 {
		return onnx.Imported{}, errors.Errorf("shift %v (%v)", shift, err)
	}
	cfg, err := json.Marshal(map[string]float64{"shift": float64(shift[0])})
	return onnx.Imported{Config: cfg, Shape: c.InputShape}, err
}

func init() {
	if err := layers.Register("FeatureScale", func(raw json.RawMessage) (layers.Layer, error) {
		l := &featureScale{}
		return l, json.Unmarshal(raw, l)
	}); err != nil {
		panic(err)
	}
	if err := onnx.RegisterLayer("FeatureScale", exportFeatureScale); err != nil {
		panic(err)
	}
	if err := onnx.RegisterImporter("FeatureScale", importFeatureScale); err != nil {
		panic(err)
	}
}

// customModel is Dense, FeatureScale and Dense, with random weights.
func customModel(t *testing.T) *model.Model {
	t.Helper()
	in := model.Input(6)
	y := model.Apply(layers.Dense(3), model.Apply(&featureScale{Shift: 0.25}, model.Apply(layers.Dense(5), in)))
	m, err := model.New([]*model.Node{in}, []*model.Node{y})
	if err != nil {
		t.Fatal(err)
	}
	randomize(m.Params(), 5)
	return m
}

// TestCustomLayer exports a model that holds a custom layer with the
// Exporter registered for it, runs the file in ONNX Runtime and
// onnx.checker, and imports it back with the registered Importer.
func TestCustomLayer(t *testing.T) {
	m := customModel(t)
	x, dims := batch(m, 4, 1)
	want, err := m.Predict(x)
	if err != nil {
		t.Fatal(err)
	}
	b := export(t, m)
	t.Run("import", func(t *testing.T) {
		got, err := onnx.Import(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%+v", err)
		}
		if lt, wt := layerTypes(got), layerTypes(m); !slices.Equal(lt, wt) {
			t.Errorf("layers %v, want %v", lt, wt)
		}
		y, err := got.Predict(x)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(y, want) {
			t.Errorf("the imported model predicts differently: max difference %g", maxDiff(t, y, want))
		}
		if !bytes.Equal(export(t, got), b) {
			t.Error("exporting the imported model gives another file")
		}
	})
	t.Run("registration", func(t *testing.T) {
		if err := onnx.RegisterLayer("FeatureScale", exportFeatureScale); err == nil {
			t.Error("registering FeatureScale twice succeeded")
		}
		if err := onnx.RegisterLayer("Conv2D", exportFeatureScale); err == nil {
			t.Error("registering over Conv2D succeeded")
		}
		if !slices.Contains(onnx.Registered(), "FeatureScale") || !slices.Contains(onnx.Registered(), "Conv2D") {
			t.Errorf("Registered() = %v", onnx.Registered())
		}
	})
	t.Run("checker", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "custom.onnx")
		if err := onnx.Save(m, path); err != nil {
			t.Fatal(err)
		}
		checkONNX(t, path)
	})
	t.Run("ort", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "custom.onnx")
		if err := onnx.Save(m, path); err != nil {
			t.Fatal(err)
		}
		got := runORT(t, []ortJob{{model: path, x: x, dims: dims}})[0]
		d := maxDiff(t, got, want)
		t.Logf("max |ORT - Predict| = %.3g", d)
		if d > 1e-5 {
			t.Errorf("ONNX Runtime differs from Predict by %g", d)
		}
	})
}

// badExporter writes no node for its layer, or one of a bad attribute.
type badExporter struct {
	layers.Base
	typ string
}

func (l *badExporter) Type() string                     { return l.typ }
func (l *badExporter) Config() (json.RawMessage, error) { return json.RawMessage("{}"), nil }
func (l *badExporter) Build(_ *graph.Graph, x *G.Node) (*G.Node, error) {
	return x, nil
}

// TestBadExporters checks that an Exporter that does not compute its
// layer's value, or gives a bad attribute, fails the export with an
// error naming the layer.
func TestBadExporters(t *testing.T) {
	for _, tc := range []struct {
		typ    string
		export onnx.Exporter
		want   string
	}{
		{"TestNoNode", func(*onnx.ExportContext) error { return nil }, "does not compute the layer's value"},
		{"TestBadAttr", func(c *onnx.ExportContext) error {
			c.Node("Relu", c.Inputs, c.Output, onnx.Attr{Name: "x", Value: 3})
			return nil
		}, `attribute "x" holds a int`},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			if err := onnx.RegisterLayer(tc.typ, tc.export); err != nil {
				t.Fatal(err)
			}
			in := model.Input(3)
			m, err := model.New([]*model.Node{in}, []*model.Node{model.Apply(&badExporter{typ: tc.typ}, in)})
			if err != nil {
				t.Fatal(err)
			}
			err = onnx.Export(m, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.typ) {
				t.Errorf("error %v, want one naming %s and containing %q", err, tc.typ, tc.want)
			}
		})
	}
}
