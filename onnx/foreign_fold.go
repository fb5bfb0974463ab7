package onnx

import (
	"github.com/pkg/errors"

	"github.com/gocnn/cnn/onnx/internal/onnxpb"
)

// foldMore computes ConstantOfShape, and Reshape, Slice and Transpose of
// constants: what PyTorch writes to turn nn.ZeroPad2d's padding into
// Pad's order.
func (im *foreign) foldMore(n *onnxpb.NodeProto) error {
	in := n.GetInput()
	op := n.GetOpType()
	if len(in) == 0 {
		return errors.New("no input")
	}
	if op == "ConstantOfShape" {
		as, err := nodeAttrs(n, "value")
		if err != nil {
			return err
		}
		shape, err := im.ints(in[0])
		if err != nil {
			return err
		}
		out := &constant{floats: []float32{0}}
		if a, ok := as["value"]; ok {
			if a.GetT() == nil {
				return errors.New("a value that is not a tensor")
			}
			if out, err = decodeConstant(a.GetT()); err != nil {
				return err
			}
			if out.size() != 1 {
				return errors.New("a value of other than one value")
			}
		}
		dims, size, err := constDims(shape)
		if err != nil {
			return err
		}
		idx := make([]int, size)
		return im.set(n, &value{c: gather(out, dims, idx)})
	}
	c, err := im.constant(in[0])
	if err != nil {
		return err
	}
	switch op {
	case "Reshape":
		if _, err := nodeAttrs(n, "allowzero"); err != nil || len(in) != 2 {
			return errors.Errorf("a Reshape of %d inputs (%v)", len(in), err)
		}
		shape, err := im.ints(in[1])
		if err != nil {
			return err
		}
		want := append([]int64{}, shape...)
		free, known := -1, 1
		for i, d := range want {
			switch {
			case d == 0 && i < len(c.dims):
				want[i] = int64(c.dims[i])
			case d == -1 && free < 0:
				free = i
				continue
			case d <= 0:
				return errors.Errorf("a Reshape of shape %v to %v", c.dims, shape)
			}
			if known *= int(want[i]); known > c.size() {
				return errors.Errorf("a Reshape of shape %v to %v", c.dims, shape)
			}
		}
		if free >= 0 {
			want[free] = int64(c.size() / max(known, 1))
		}
		dims, size, err := constDims(want)
		if err != nil || size != c.size() {
			return errors.Errorf("a Reshape of shape %v to %v (%v)", c.dims, shape, err)
		}
		return im.set(n, &value{c: &constant{dims: dims, floats: c.floats, ints: c.ints}})
	case "Transpose":
		as, err := nodeAttrs(n, "perm")
		if err != nil || len(in) != 1 {
			return errors.Errorf("a Transpose of %d inputs (%v)", len(in), err)
		}
		r := len(c.dims)
		perm := make([]int, r)
		for i := range perm {
			perm[i] = r - 1 - i
		}
		if a, ok := as["perm"]; ok {
			if len(a.GetInts()) != r {
				return errors.Errorf("perm %v of rank %d", a.GetInts(), r)
			}
			seen := map[int64]bool{}
			for i, p := range a.GetInts() {
				if p < 0 || p >= int64(r) || seen[p] {
					return errors.Errorf("perm %v", a.GetInts())
				}
				seen[p], perm[i] = true, int(p)
			}
		}
		dims := make([]int, r)
		for i, p := range perm {
			dims[i] = c.dims[p]
		}
		strides := rowStrides(c.dims)
		idx := make([]int, 0, c.size())
		forEach(dims, func(at []int) {
			k := 0
			for i, p := range perm {
				k += at[i] * strides[p]
			}
			idx = append(idx, k)
		})
		return im.set(n, &value{c: gather(c, dims, idx)})
	default: // Slice
		if _, err := nodeAttrs(n); err != nil || len(in) < 3 || len(in) > 5 {
			return errors.Errorf("a Slice of %d inputs; starts and ends as inputs (opset 10 on) are read (%v)", len(in), err)
		}
		var lists [4][]int64
		for i := 1; i < len(in); i++ {
			if in[i] == "" {
				continue
			}
			if lists[i-1], err = im.ints(in[i]); err != nil {
				return err
			}
		}
		starts, ends, axes, steps := lists[0], lists[1], lists[2], lists[3]
		r := int64(len(c.dims))
		if axes == nil {
			for i := range starts {
				axes = append(axes, int64(i))
			}
		}
		if steps == nil {
			steps = make([]int64, len(starts))
			for i := range steps {
				steps[i] = 1
			}
		}
		if len(ends) != len(starts) || len(axes) != len(starts) || len(steps) != len(starts) {
			return errors.New("a Slice of lists of different lengths")
		}
		begin, step := make([]int, r), make([]int, r)
		dims := append([]int{}, c.dims...)
		for i := range step {
			step[i] = 1
		}
		for i, a := range axes {
			if a < -r || a >= r || steps[i] == 0 {
				return errors.Errorf("a Slice on axis %d of rank %d by %d", a, r, steps[i])
			}
			a = clampAxis(a, r)
			d := int64(c.dims[a])
			s, e, st := starts[i], ends[i], steps[i]
			if s < 0 {
				s += d
			}
			if e < 0 {
				e += d
			}
			if st > 0 {
				s, e = min(max(s, 0), d), min(max(e, 0), d)
			} else {
				s, e = min(max(s, -1), d-1), min(max(e, -1), d-1)
			}
			cnt := int64(0)
			if st > 0 && e > s {
				cnt = (e - s + st - 1) / st
			} else if st < 0 && s > e {
				cnt = (s - e - st - 1) / -st
			}
			begin[a], step[a], dims[a] = int(s), int(st), int(cnt)
		}
		strides := rowStrides(c.dims)
		var idx []int
		forEach(dims, func(at []int) {
			k := 0
			for i := range at {
				k += (begin[i] + at[i]*step[i]) * strides[i]
			}
			idx = append(idx, k)
		})
		return im.set(n, &value{c: gather(c, dims, idx)})
	}
}

// constDims checks a folded shape and returns it with its size.
func constDims(shape []int64) ([]int, int, error) {
	dims := make([]int, len(shape))
	size := 1
	for i, d := range shape {
		if d < 0 || d > maxConstValues || size*int(d) > maxConstValues {
			return nil, 0, errors.Errorf("a shape %v of more than %d values", shape, maxConstValues)
		}
		dims[i] = int(d)
		size *= int(d)
	}
	return dims, size, nil
}

// rowStrides returns the row-major strides of a shape.
func rowStrides(dims []int) []int {
	s := make([]int, len(dims))
	k := 1
	for i := len(dims) - 1; i >= 0; i-- {
		s[i] = k
		k *= dims[i]
	}
	return s
}

// forEach calls f with every index of a shape, in row-major order.
func forEach(dims []int, f func(at []int)) {
	for _, d := range dims {
		if d == 0 {
			return
		}
	}
	at := make([]int, len(dims))
	for {
		f(at)
		i := len(dims) - 1
		for ; i >= 0; i-- {
			if at[i]++; at[i] < dims[i] {
				break
			}
			at[i] = 0
		}
		if i < 0 {
			return
		}
	}
}

// gather returns the constant of shape dims whose values are c's at idx.
func gather(c *constant, dims []int, idx []int) *constant {
	out := &constant{dims: dims}
	if c.floats != nil {
		out.floats = make([]float32, len(idx))
		for i, k := range idx {
			out.floats[i] = c.floats[k]
		}
	} else {
		out.ints = make([]int64, len(idx))
		for i, k := range idx {
			out.ints[i] = c.ints[k]
		}
	}
	return out
}
