package graph

import (
	"math/rand/v2"

	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/internal/frame"
)

// MaxParamValues caps the number of values of one parameter, so that an
// absurd layer size is an error rather than an out-of-memory death.
const MaxParamValues = 1 << 28

// A Param is a named learnable tensor. Its Value is shared by every graph
// built on the same Params.
type Param struct {
	Name  string
	Value *tensor.Dense
	// Trainable is false for state that layers update themselves, such
	// as BatchNormalization's running statistics: no gradient is taken
	// with respect to it and no optimiser changes it.
	Trainable bool
	// Frozen is true for a parameter whose layer is frozen for now (see
	// model.Model.SetTrainable): a Trainable weight that gradient descent
	// leaves alone until it is unfrozen. No gradient is taken with respect
	// to a frozen parameter (Graph.Compile leaves it out) and no optimiser
	// changes it or its state. Frozen is separate from Trainable so that
	// freezing never changes what kind of parameter a layer asks for.
	// Change it only while no graph of the store trains or runs.
	Frozen bool
}

// Params is the store of a model's learnable parameters, in the order they
// were created.
type Params struct {
	dtype  tensor.Dtype
	seed   uint64
	rng    *rand.Rand
	list   []*Param
	byName map[string]*Param
	count  int   // values of all parameters
	body   int64 // bodySize, kept as parameters are created
	// The caps of SetLimits; negative is none.
	maxValues int
	maxBytes  int64
}

// NewParams returns an empty store whose parameters have the given dtype
// (tensor.Float32 or tensor.Float64) and whose initialisers draw from a
// generator seeded with seed.
func NewParams(dtype tensor.Dtype, seed uint64) (*Params, error) {
	if dtype != tensor.Float32 && dtype != tensor.Float64 {
		return nil, errors.Errorf("graph: dtype %v is not supported; use float32 or float64", dtype)
	}
	return &Params{
		dtype:     dtype,
		seed:      seed,
		rng:       rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		byName:    map[string]*Param{},
		body:      1 + 4, // dtype, count
		maxValues: -1,
		maxBytes:  -1,
	}, nil
}

// Dtype returns the element type of the parameters.
func (p *Params) Dtype() tensor.Dtype { return p.dtype }

// Seed returns the seed the store was made with. Layers that draw random
// numbers while training, such as Dropout, derive their generators from it
// so that a model's seed fixes them too.
func (p *Params) Seed() uint64 { return p.seed }

// List returns the parameters in creation order.
func (p *Params) List() []*Param { return p.list }

// Lookup returns the parameter with the given name, or nil.
func (p *Params) Lookup(name string) *Param { return p.byName[name] }

// Count returns the total number of scalar values in all parameters.
func (p *Params) Count() int { return p.count }

// SetLimits caps the parameters that Get and GetState may still create:
// at most maxValues scalar values in all, and a weights file
// (BinarySize) of at most maxBytes bytes. A negative cap is off, as both
// are in a new store. A parameter that would exceed a cap is an error before its
// values are allocated, so that an architecture read from a file cannot
// make the store allocate more than the caps, or more than the file's
// weights could fill.
func (p *Params) SetLimits(maxValues int, maxBytes int64) {
	p.maxValues, p.maxBytes = maxValues, maxBytes
}

// paramBodySize is the size of one parameter in the parameters section.
func paramBodySize(name string, rank, size int, dtype tensor.Dtype) int64 {
	return int64(2+len(name)+1+4*rank) + int64(size)*int64(dtype.Size())
}

// TrainableCount returns the number of scalar values in the parameters
// that training updates now: the trainable ones that are not frozen, as
// Keras counts "Trainable params".
func (p *Params) TrainableCount() int {
	n := 0
	for _, q := range p.Trainable() {
		if !q.Frozen {
			n += q.Value.Size()
		}
	}
	return n
}

// Trainable returns the trainable parameters in creation order: those an
// optimiser updates, frozen ones included (an optimiser's state follows
// this list, whatever is frozen; it skips the frozen ones).
func (p *Params) Trainable() []*Param {
	var out []*Param
	for _, q := range p.list {
		if q.Trainable {
			out = append(out, q)
		}
	}
	return out
}

// Get returns the trainable parameter called name. On first use it is
// created with the given shape and filled by init; later calls must ask for
// the same shape and get the same tensor back.
func (p *Params) Get(name string, shape []int, init Initializer) (*Param, error) {
	return p.get(name, shape, init, true)
}

// GetState is Get for a non-trainable parameter: state that a layer
// updates itself, such as running statistics.
func (p *Params) GetState(name string, shape []int, init Initializer) (*Param, error) {
	return p.get(name, shape, init, false)
}

func (p *Params) get(name string, shape []int, init Initializer, trainable bool) (*Param, error) {
	if q, ok := p.byName[name]; ok {
		if !q.Value.Shape().Eq(tensor.Shape(shape)) {
			return nil, errors.Errorf("graph: parameter %q exists with shape %v, asked for %v", name, q.Value.Shape(), shape)
		}
		if q.Trainable != trainable {
			return nil, errors.Errorf("graph: parameter %q exists, trainable %v, asked for trainable %v (to freeze a layer set Param.Frozen or use model.Model.SetTrainable, not Param.Trainable)", name, q.Trainable, trainable)
		}
		return q, nil
	}
	size := 1
	for _, d := range shape {
		if d <= 0 {
			return nil, errors.Errorf("graph: parameter %q: shape %v has a non-positive dimension", name, shape)
		}
		if size > MaxParamValues/d {
			return nil, errors.Errorf("graph: parameter %q of shape %v has more than %d values (graph.MaxParamValues)", name, shape, MaxParamValues)
		}
		size *= d
	}
	if init == nil {
		return nil, errors.Errorf("graph: parameter %q has no initializer", name)
	}
	if p.maxValues >= 0 && size > p.maxValues-p.count {
		return nil, errors.Errorf("graph: parameter %q of shape %v would bring the parameters to %d values, over the cap of %d values", name, shape, int64(p.count)+int64(size), p.maxValues)
	}
	body := paramBodySize(name, len(shape), size, p.dtype)
	if p.maxBytes >= 0 && frame.HeaderSize+p.bodySize()+body+frame.TrailerSize > p.maxBytes {
		return nil, errors.Errorf("graph: parameter %q of shape %v would need a weights file of at least %d bytes, more than the %d available", name, shape, frame.HeaderSize+p.bodySize()+body+frame.TrailerSize, p.maxBytes)
	}
	vals := make([]float64, size)
	init.Fill(p.rng, shape, vals)
	var backing any = vals
	if p.dtype == tensor.Float32 {
		f := make([]float32, size)
		for i, v := range vals {
			f[i] = float32(v)
		}
		backing = f
	}
	q := &Param{Name: name, Value: tensor.New(tensor.WithShape(shape...), tensor.WithBacking(backing)), Trainable: trainable}
	p.list = append(p.list, q)
	p.byName[name] = q
	p.count += size
	p.body += body
	return q, nil
}

// Share adds q, a parameter of another store, to p: both stores then hold
// the same Param, so they share its tensor and its Frozen flag, and
// training through either changes both. It is how a model made from
// another model's layers (model.Model.SubModel, a new head on a loaded
// model) reuses their weights without copying them. p must not hold a
// parameter of q's name, and q must have p's dtype.
func (p *Params) Share(q *Param) error {
	if q == nil || q.Value == nil {
		return errors.New("graph: share: nil parameter")
	}
	if old, ok := p.byName[q.Name]; ok {
		if old == q {
			return nil
		}
		return errors.Errorf("graph: share: the store already holds a parameter %q", q.Name)
	}
	if q.Value.Dtype() != p.dtype {
		return errors.Errorf("graph: share: parameter %q is %v, the store holds %v", q.Name, q.Value.Dtype(), p.dtype)
	}
	size := q.Value.Shape().TotalSize()
	if p.maxValues >= 0 && size > p.maxValues-p.count {
		return errors.Errorf("graph: share: parameter %q of shape %v would bring the parameters to %d values, over the cap of %d values", q.Name, q.Value.Shape(), int64(p.count)+int64(size), p.maxValues)
	}
	p.list = append(p.list, q)
	p.byName[q.Name] = q
	p.count += size
	p.body += paramBodySize(q.Name, q.Value.Dims(), size, p.dtype)
	return nil
}
