package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/pkg/errors"
)

// maxDepth bounds the nesting of one instance: channels×height×width is 3.
const maxDepth = 8

// predictRequest is the body of a JSON predict request, in TensorFlow
// Serving's row format.
type predictRequest struct {
	SignatureName string          `json:"signature_name"`
	Instances     json.RawMessage `json:"instances"`
}

// DecodeRequest decodes a predict request body, {"instances": [...]}, for
// a model whose examples have the given shape (channels, height, width
// for images). Each instance is either nested arrays of that shape, the
// same without a leading 1 (28×28 for a model of 1×28×28), or a flat list
// of all its values. It returns the values of the instances one after the
// other and their number. It refuses malformed JSON, a missing or empty
// "instances", more than maxInstances of them, an instance of the wrong
// shape, and values that are not finite float32 numbers (NaN, Inf, a
// number out of float32's range, or the strings "NaN" and "Infinity"),
// each with an error that names the instance and what is wrong.
func DecodeRequest(body []byte, shape []int, maxInstances int) ([]float32, int, error) {
	var req predictRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, 0, errors.Wrap(err, "malformed JSON")
	}
	if len(bytes.TrimSpace(body[dec.InputOffset():])) > 0 {
		return nil, 0, errors.New("malformed JSON: data after the request object")
	}
	if len(req.Instances) == 0 || string(req.Instances) == "null" {
		return nil, 0, errors.New(`the request has no "instances"`)
	}
	size := 1
	for _, d := range shape {
		size *= d
	}
	p := &parser{b: req.Instances, limit: size}
	p.space()
	if !p.eat('[') {
		return nil, 0, errors.New(`"instances" is not a list`)
	}
	var x []float32
	n := 0
	for p.space(); !p.eat(']'); {
		if n > 0 && !p.eat(',') {
			return nil, 0, p.errorf("instance %d: expected ',' or ']'", n)
		}
		if n == maxInstances {
			return nil, 0, errors.Errorf("too many instances: more than %d in one request", maxInstances)
		}
		start := len(x)
		p.vals = x
		got, err := p.value(0)
		if err != nil {
			return nil, 0, errors.Wrapf(err, "instance %d", n)
		}
		x = p.vals
		if err := checkShape(got, shape, len(x)-start); err != nil {
			return nil, 0, errors.Wrapf(err, "instance %d", n)
		}
		n++
		p.space()
	}
	if n == 0 {
		return nil, 0, errors.New(`"instances" is empty`)
	}
	return x, n, nil
}

// checkShape accepts an instance of shape got (count values) for a model
// of example shape want: the shape itself, without a leading 1, or flat.
func checkShape(got, want []int, count int) error {
	size := 1
	for _, d := range want {
		size *= d
	}
	ok := slices.Equal(got, want) ||
		(len(want) > 1 && want[0] == 1 && slices.Equal(got, want[1:])) ||
		(len(got) == 1 && count == size)
	if !ok {
		alts := []string{dims(want)}
		if len(want) > 1 && want[0] == 1 {
			alts = append(alts, dims(want[1:]))
		}
		if len(want) > 1 {
			alts = append(alts, fmt.Sprintf("a flat list of %d values", size))
		}
		return errors.Errorf("wrong shape %s; the model takes %s", dims(got), strings.Join(alts, " or "))
	}
	return nil
}

// dims formats a shape as 28×28; a single number is [].
func dims(s []int) string {
	if len(s) == 0 {
		return "[] (a single number)"
	}
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "×")
}

// parser reads nested arrays of numbers from JSON that encoding/json has
// already checked for syntax, appending the numbers to vals.
type parser struct {
	b     []byte
	i     int
	vals  []float32
	limit int // most values of one instance
	count int // values of the current instance so far
}

func (p *parser) errorf(format string, args ...any) error {
	return errors.Errorf(format+" at offset %d of \"instances\"", append(args, p.i)...)
}

func (p *parser) space() {
	for p.i < len(p.b) && (p.b[p.i] == ' ' || p.b[p.i] == '\t' || p.b[p.i] == '\n' || p.b[p.i] == '\r') {
		p.i++
	}
}

func (p *parser) eat(c byte) bool {
	p.space()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// value parses a number or a rectangular nested array and returns its
// shape ([] for a number).
func (p *parser) value(depth int) ([]int, error) {
	if depth == 0 {
		p.count = 0
	}
	p.space()
	if p.i >= len(p.b) {
		return nil, p.errorf("unexpected end")
	}
	switch c := p.b[p.i]; {
	case c == '[':
		if depth == maxDepth {
			return nil, p.errorf("nested deeper than %d", maxDepth)
		}
		p.i++
		var inner []int
		k := 0
		for !p.eat(']') {
			if k > 0 && !p.eat(',') {
				return nil, p.errorf("expected ',' or ']'")
			}
			s, err := p.value(depth + 1)
			if err != nil {
				return nil, err
			}
			if k == 0 {
				inner = s
			} else if !slices.Equal(s, inner) {
				return nil, p.errorf("ragged: element %d has shape %s, element 0 %s", k, dims(s), dims(inner))
			}
			k++
		}
		if k == 0 {
			return nil, p.errorf("empty list")
		}
		return append([]int{k}, inner...), nil
	case c == '-' || (c >= '0' && c <= '9'):
		j := p.i
		for j < len(p.b) && strings.IndexByte("+-.eE0123456789", p.b[j]) >= 0 {
			j++
		}
		v, err := strconv.ParseFloat(string(p.b[p.i:j]), 32)
		if err != nil || math.IsInf(v, 0) {
			return nil, p.errorf("value %s is not a finite float32 (NaN and Inf are refused)", p.b[p.i:j])
		}
		p.i = j
		if p.count++; p.count > p.limit {
			return nil, p.errorf("more than the %d values of an example", p.limit)
		}
		p.vals = append(p.vals, float32(v))
		return []int{}, nil
	case c == '"':
		j := p.i + 1
		for j < len(p.b) && p.b[j] != '"' {
			j++
		}
		s := string(p.b[p.i+1 : min(j, len(p.b))])
		if l := strings.ToLower(strings.TrimLeft(s, "+-")); l == "nan" || l == "inf" || l == "infinity" {
			return nil, p.errorf("value %q is not finite: NaN and Inf are refused", s)
		}
		return nil, p.errorf("a string where a number belongs")
	case c == '{':
		return nil, p.errorf("an object where a number or a list belongs (named inputs are not supported)")
	default:
		return nil, p.errorf("unexpected %q where a number or a list belongs", c)
	}
}
