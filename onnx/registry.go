package onnx

import (
	"encoding/json"
	"sort"
	"sync"

	"github.com/pkg/errors"
	"google.golang.org/protobuf/proto"

	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// An Exporter writes the ONNX form of one layer: the nodes that compute
// the value c.Output from the values c.Inputs, and the initializers they
// use (see ExportContext). Export calls the Exporter registered for each
// layer's type (RegisterLayer).
type Exporter func(c *ExportContext) error

// An Importer rebuilds one layer from the nodes that Export wrote for it
// (see ImportContext): it reads them, records the layer's parameters with
// c.Param and returns the layer's configuration and output shape.
// Import calls the Importer registered for the layer's type
// (RegisterImporter), which the file records.
type Importer func(c *ImportContext) (Imported, error)

// Imported is what an Importer makes of a layer's nodes.
type Imported struct {
	// Config is the layer's configuration, which layers.FromConfig takes
	// with the layer's type. Nil leaves the layer out: its value is then
	// its first input's, as for Dropout, which ONNX writes as Identity.
	Config json.RawMessage
	// Shape is the example shape of the layer's output, without the batch
	// dimension.
	Shape []int
	// Inputs names the ONNX values the layer takes, each computed by an
	// earlier layer or a graph input; nil is the first node's first input.
	Inputs []string
}

// An Attr is an attribute of an ONNX node. Value is an int64, a []int64,
// a float32, a []float32 or a string (INT, INTS, FLOAT, FLOATS, STRING);
// AttrInt and the like make them from Go's usual types.
type Attr struct {
	Name  string
	Value any
}

// AttrInt is an INT attribute.
func AttrInt(name string, v int) Attr { return Attr{name, int64(v)} }

// AttrInts is an INTS attribute.
func AttrInts(name string, vs ...int) Attr {
	ints := make([]int64, len(vs))
	for i, v := range vs {
		ints[i] = int64(v)
	}
	return Attr{name, ints}
}

// AttrFloat is a FLOAT attribute, v rounded to float32.
func AttrFloat(name string, v float64) Attr { return Attr{name, float32(v)} }

// AttrString is a STRING attribute.
func AttrString(name, v string) Attr { return Attr{name, v} }

// toProto encodes a.
func (a Attr) toProto() (*onnxpb.AttributeProto, error) {
	p := &onnxpb.AttributeProto{Name: proto.String(a.Name)}
	switch v := a.Value.(type) {
	case int64:
		p.Type, p.I = onnxpb.AttributeProto_INT.Enum(), proto.Int64(v)
	case []int64:
		p.Type, p.Ints = onnxpb.AttributeProto_INTS.Enum(), append([]int64{}, v...)
	case float32:
		p.Type, p.F = onnxpb.AttributeProto_FLOAT.Enum(), proto.Float32(v)
	case []float32:
		p.Type, p.Floats = onnxpb.AttributeProto_FLOATS.Enum(), append([]float32{}, v...)
	case string:
		p.Type, p.S = onnxpb.AttributeProto_STRING.Enum(), []byte(v)
	default:
		return nil, errors.Errorf("attribute %q holds a %T; want int64, []int64, float32, []float32 or string", a.Name, a.Value)
	}
	if a.Name == "" {
		return nil, errors.New("an attribute with no name")
	}
	return p, nil
}

// attrFromProto decodes the attributes that Attr can hold; others come
// back with a nil Value.
func attrFromProto(p *onnxpb.AttributeProto) Attr {
	a := Attr{Name: p.GetName()}
	switch p.GetType() {
	case onnxpb.AttributeProto_INT:
		a.Value = p.GetI()
	case onnxpb.AttributeProto_INTS:
		a.Value = append([]int64{}, p.GetInts()...)
	case onnxpb.AttributeProto_FLOAT:
		a.Value = p.GetF()
	case onnxpb.AttributeProto_FLOATS:
		a.Value = append([]float32{}, p.GetFloats()...)
	case onnxpb.AttributeProto_STRING:
		a.Value = string(p.GetS())
	}
	return a
}

// A layerForm is the ONNX form of a layer type: how to export it, how to
// import it, and the op types of the first node of its nodes, by which a
// file that does not record its layers' types is read.
type layerForm struct {
	export Exporter
	imp    Importer
	ops    []string
}

var (
	formsMu sync.RWMutex
	forms   = map[string]*layerForm{}
	byOp    = map[string][]string{} // the layer types whose nodes may start with an op, in registration order
)

// RegisterLayer gives the layer type typ (layers.Layer.Type) an ONNX form:
// Export calls export for each layer of that type. A custom layer must be
// layers.Configurable, as for a model file. Registering a type that has
// an Exporter already, a built-in one included, is an error. It is safe
// for concurrent use.
func RegisterLayer(typ string, export Exporter) error {
	if typ == "" || export == nil {
		return errors.New("onnx: register: empty layer type or nil Exporter")
	}
	formsMu.Lock()
	defer formsMu.Unlock()
	f := formLocked(typ)
	if f.export != nil {
		return errors.Errorf("onnx: register: layer type %q has an Exporter already", typ)
	}
	f.export = export
	return nil
}

// RegisterImporter lets Import read back the layers of type typ that an
// Exporter registered with RegisterLayer wrote: Import gives imp the
// nodes of each such layer. The layer type must be registered with
// layers.Register too, for Import makes the layer with layers.FromConfig.
// Registering a type that has an Importer already is an error. It is safe
// for concurrent use.
func RegisterImporter(typ string, imp Importer) error {
	if typ == "" || imp == nil {
		return errors.New("onnx: register: empty layer type or nil Importer")
	}
	formsMu.Lock()
	defer formsMu.Unlock()
	f := formLocked(typ)
	if f.imp != nil {
		return errors.Errorf("onnx: register: layer type %q has an Importer already", typ)
	}
	f.imp = imp
	return nil
}

// formLocked returns typ's entry of forms, made empty if there is none;
// formsMu must be held.
func formLocked(typ string) *layerForm {
	f := forms[typ]
	if f == nil {
		f = &layerForm{}
		forms[typ] = f
	}
	return f
}

// Registered returns the layer types that have an Exporter, sorted.
func Registered() []string {
	formsMu.RLock()
	defer formsMu.RUnlock()
	var out []string
	for typ, f := range forms {
		if f.export != nil {
			out = append(out, typ)
		}
	}
	sort.Strings(out)
	return out
}

// builtin registers the ONNX form of a built-in layer type; ops are the
// op types its first node may have.
func builtin(typ string, export Exporter, imp Importer, ops ...string) {
	if err := RegisterLayer(typ, export); err != nil {
		panic(err)
	}
	if err := RegisterImporter(typ, imp); err != nil {
		panic(err)
	}
	formsMu.Lock()
	defer formsMu.Unlock()
	forms[typ].ops = ops
	for _, op := range ops {
		byOp[op] = append(byOp[op], typ)
	}
}

// exporterOf returns the Exporter of a layer type, or nil.
func exporterOf(typ string) Exporter {
	formsMu.RLock()
	defer formsMu.RUnlock()
	if f := forms[typ]; f != nil {
		return f.export
	}
	return nil
}

// importerOf returns the Importer of a layer type, or nil.
func importerOf(typ string) Importer {
	formsMu.RLock()
	defer formsMu.RUnlock()
	if f := forms[typ]; f != nil {
		return f.imp
	}
	return nil
}

// typesOf returns the built-in layer types whose nodes may start with op.
func typesOf(op string) []string {
	formsMu.RLock()
	defer formsMu.RUnlock()
	return append([]string{}, byOp[op]...)
}
