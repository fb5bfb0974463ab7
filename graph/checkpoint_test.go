package graph_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
	"github.com/gocnn/cnn/internal/testutil"
)

func newParams(t *testing.T, seed uint64, shapes map[string][]int, order ...string) *graph.Params {
	t.Helper()
	p, err := graph.NewParams(tensor.Float32, seed)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range order {
		if _, err := p.Get(name, shapes[name], graph.GlorotUniform); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func TestWeightsRoundTrip(t *testing.T) {
	shapes := map[string][]int{"conv/kernel": {2, 1, 3, 3}, "conv/bias": {2}, "dense/bias": {1}}
	order := []string{"conv/kernel", "conv/bias", "dense/bias"}
	src := newParams(t, 1, shapes, order...)
	path := filepath.Join(t.TempDir(), "weights.bin")
	if err := src.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	dst := newParams(t, 2, shapes, order...)
	if err := dst.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	for i, p := range src.List() {
		if got, want := dst.List()[i].Value.Float32s(), p.Value.Float32s(); !slices.Equal(got, want) {
			t.Errorf("%s: loaded %v, saved %v", p.Name, got, want)
		}
	}
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x40
	tests := []struct {
		name string
		file []byte
		into *graph.Params
		want string
	}{
		{"empty", nil, dst, "not a weights file"},
		{"wrong magic", append([]byte("NOTWEIGH"), good[8:]...), dst, "not a weights file"},
		{"truncated", good[:len(good)-7], dst, fmt.Sprintf("checksum mismatch): the file has %d bytes, this model's weights take %d", len(good)-7, len(good))},
		{"bit flip", flipped, dst, "checksum"},
		{"different architecture", good, newParams(t, 1, map[string][]int{"conv/kernel": {3, 1, 3, 3}, "conv/bias": {3}, "dense/bias": {1}}, order...), "different architecture"},
		{"different count", good, newParams(t, 1, shapes, "conv/kernel", "conv/bias"), "has 3 parameters, the model has 2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := append([]float32(nil), tc.into.List()[0].Value.Float32s()...)
			p := filepath.Join(t.TempDir(), "w.bin")
			if err := os.WriteFile(p, tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			err := tc.into.LoadFile(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), p) {
				t.Fatalf("err = %v, want one naming %s and saying %q", err, p, tc.want)
			}
			if !slices.Equal(before, tc.into.List()[0].Value.Float32s()) {
				t.Error("a failed load changed the weights")
			}
		})
	}
}

func TestGlorotUniformSeeded(t *testing.T) {
	shapes := map[string][]int{"k": {20, 10, 5, 5}}
	a, b, c := newParams(t, 1, shapes, "k"), newParams(t, 1, shapes, "k"), newParams(t, 2, shapes, "k")
	va, vb, vc := a.List()[0].Value.Float32s(), b.List()[0].Value.Float32s(), c.List()[0].Value.Float32s()
	if !slices.Equal(va, vb) {
		t.Error("same seed, different weights")
	}
	if slices.Equal(va, vc) {
		t.Error("different seeds, same weights")
	}
	// fan_in = 250, fan_out = 500: limit = sqrt(6/750).
	limit := float32(0.0894427191)
	var lo, hi float32
	for _, v := range va {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo < -limit || hi > limit || hi < 0.9*limit || lo > -0.9*limit {
		t.Errorf("values span [%g, %g], want about ±%g", lo, hi, limit)
	}
}

// FuzzUnmarshalWeights feeds arbitrary bytes to the weights reader: it must
// return an error or load, never panic, and never change the weights when
// it fails. The seed corpus runs with every go test.
func FuzzUnmarshalWeights(f *testing.F) {
	shapes := map[string][]int{"k": {2, 1, 2, 2}, "b": {2}}
	src, err := graph.NewParams(tensor.Float32, 1)
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range []string{"k", "b"} {
		if _, err := src.Get(name, shapes[name], graph.GlorotUniform); err != nil {
			f.Fatal(err)
		}
	}
	var good bytes.Buffer
	if err := src.MarshalBinaryTo(&good); err != nil {
		f.Fatal(err)
	}
	f.Add(good.Bytes())
	f.Add(good.Bytes()[:20])
	f.Add([]byte("GOCNNWTS"))
	f.Add([]byte{})
	var larger bytes.Buffer // a file longer than the model's: read in part
	if err := goldenParams(f, tensor.Float32).MarshalBinaryTo(&larger); err != nil {
		f.Fatal(err)
	}
	f.Add(larger.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		dst, err := graph.NewParams(tensor.Float32, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"k", "b"} {
			if _, err := dst.Get(name, shapes[name], graph.Zeros); err != nil {
				t.Fatal(err)
			}
		}
		if err := dst.UnmarshalBinaryFrom(bytes.NewReader(b)); err != nil {
			for _, p := range dst.List() {
				for _, v := range p.Value.Float32s() {
					if v != 0 {
						t.Fatalf("a failed load changed %s", p.Name)
					}
				}
			}
		}
	})
}

// goldenParams returns a small store of the given dtype whose values are
// fixed numbers (not drawn from a generator), so that its weights file is
// the same on every machine.
func goldenParams(t testing.TB, dtype tensor.Dtype) *graph.Params {
	t.Helper()
	p, err := newGoldenParams(dtype)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newGoldenParams(dtype tensor.Dtype) (*graph.Params, error) {
	p, err := graph.NewParams(dtype, 1)
	if err != nil {
		return nil, err
	}
	shapes := []struct {
		name  string
		shape []int
	}{{"conv/kernel", []int{2, 1, 3, 3}}, {"conv/bias", []int{2}}, {"dense/bias", []int{1}}}
	k := 0
	for _, s := range shapes {
		q, err := p.Get(s.name, s.shape, graph.Zeros)
		if err != nil {
			return nil, err
		}
		switch dtype {
		case tensor.Float32:
			d := q.Value.Float32s()
			for i := range d {
				d[i] = float32(k)*0.375 - 2
				k++
			}
		case tensor.Float64:
			d := q.Value.Float64s()
			for i := range d {
				d[i] = float64(k)*0.375 - 2
				k++
			}
		}
	}
	return p, nil
}

// TestWeightsGolden: the weights files in testdata were written by the
// version-1 writer before the framing moved to internal/frame. Today's
// writer must produce the same bytes, and today's reader must load them.
func TestWeightsGolden(t *testing.T) {
	tests := []struct {
		name  string
		dtype tensor.Dtype
		file  string
		sum   string // sha256 of the file, so that it cannot be regenerated unnoticed
	}{
		{"float32", tensor.Float32, "weights-v1-float32.bin", "ace91c342fbe2a5ad11748a5be00652f85adaf9476c99cac1e32fafafdc1e0b4"},
		{"float64", tensor.Float64, "weights-v1-float64.bin", "567f6ab5c08dd2f94837938126f91c80ea35956dd06ce5de13b6405e9c5992e7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if sum := fmt.Sprintf("%x", sha256.Sum256(want)); sum != tc.sum {
				t.Fatalf("%s has sha256 %s, want %s: the golden file was changed", tc.file, sum, tc.sum)
			}
			src := goldenParams(t, tc.dtype)
			var got bytes.Buffer
			if err := src.MarshalBinaryTo(&got); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("MarshalBinaryTo wrote %d bytes that differ from the %d of %s", got.Len(), len(want), tc.file)
			}
			dst, err := graph.NewParams(tc.dtype, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range src.List() {
				if _, err := dst.Get(q.Name, q.Value.Shape(), graph.GlorotUniform); err != nil {
					t.Fatal(err)
				}
			}
			if err := dst.LoadFile(filepath.Join("testdata", tc.file)); err != nil {
				t.Fatal(err)
			}
			for i, q := range src.List() {
				if a, b := q.Value.Data(), dst.List()[i].Value.Data(); !reflect.DeepEqual(a, b) {
					t.Errorf("%s: loaded %v, want %v", q.Name, b, a)
				}
			}
		})
	}
}

// TestLoadReadsNoMoreThanExpected: a file with the right magic followed by
// a huge payload (64 MiB here, gigabytes in the wild) is rejected after
// reading no more than the model's weights file takes (one byte more, to
// see that the file goes on), with an error that says why. The bytes are
// counted, so the test is exact and needs no memory.
func TestLoadReadsNoMoreThanExpected(t *testing.T) {
	p := goldenParams(t, tensor.Float32)
	expected := p.BinarySize()
	head := []byte("GOCNNWTS\x01\x00\x00\x00")
	weightsOf := func(p *graph.Params) []byte {
		var b bytes.Buffer
		if err := p.MarshalBinaryTo(&b); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	bigger := newParams(t, 1, map[string][]int{"conv/kernel": {64, 1, 3, 3}, "conv/bias": {64}, "dense/bias": {1}}, "conv/kernel", "conv/bias", "dense/bias")
	tests := []struct {
		name   string
		prefix []byte // then 64 MiB of zeros
		want   string
		most   int64
	}{
		{"magic then zeros", head, fmt.Sprintf("weights file holds more than the %d bytes this model's weights take", expected), expected + 1},
		{"a larger model's weights", weightsOf(bigger), `parameter 1 is "conv/kernel" (64, 1, 3, 3) in the file but "conv/kernel" (2, 1, 3, 3) in the model: different architecture`, expected + 1},
		{"a float64 model's weights", weightsOf(goldenParams(t, tensor.Float64)), "weights file holds 8-byte values, the model uses float32", expected + 1},
		{"wrong magic", []byte("GOCNNCKP\x01\x00\x00\x00"), "not a weights file", 12},
		{"wrong version", []byte("GOCNNWTS\x02\x00\x00\x00"), "weights file version 2; this program reads version 1", 12},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &testutil.Counter{R: io.MultiReader(bytes.NewReader(tc.prefix), io.LimitReader(testutil.Zeros{}, 64<<20))}
			err := p.UnmarshalBinaryFrom(c)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one saying %q", err, tc.want)
			}
			if c.N > tc.most {
				t.Errorf("read %d bytes, want at most %d", c.N, tc.most)
			}
		})
	}
}

// TestWeightsNotFinite checks that a weights file holding a NaN or an
// infinity is refused with an error naming the file, the parameter and the
// value's index, and changes nothing.
func TestWeightsNotFinite(t *testing.T) {
	for _, dtype := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
		for _, tc := range []struct {
			name string
			v    float64
			want string
		}{
			{"NaN", math.NaN(), `parameter "b/kernel" value 3 is NaN`},
			{"+Inf", math.Inf(1), `parameter "b/kernel" value 3 is +Inf`},
			{"-Inf", math.Inf(-1), `parameter "b/kernel" value 3 is -Inf`},
		} {
			t.Run(dtype.String()+"/"+tc.name, func(t *testing.T) {
				mk := func(seed uint64) *graph.Params {
					p, err := graph.NewParams(dtype, seed)
					if err != nil {
						t.Fatal(err)
					}
					for _, name := range []string{"a/kernel", "b/kernel"} {
						if _, err := p.Get(name, []int{2, 3}, graph.GlorotUniform); err != nil {
							t.Fatal(err)
						}
					}
					return p
				}
				src := mk(1)
				if dtype == tensor.Float32 {
					src.List()[1].Value.Float32s()[3] = float32(tc.v)
				} else {
					src.List()[1].Value.Float64s()[3] = tc.v
				}
				path := filepath.Join(t.TempDir(), "weights.bin")
				if err := src.SaveFile(path); err != nil {
					t.Fatal(err)
				}
				dst := mk(2)
				before := fmt.Sprint(dst.List()[0].Value.Data(), dst.List()[1].Value.Data())
				err := dst.LoadFile(path)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), path) {
					t.Fatalf("got %v; want an error naming %s and containing %q", err, path, tc.want)
				}
				if after := fmt.Sprint(dst.List()[0].Value.Data(), dst.List()[1].Value.Data()); after != before {
					t.Error("a refused file changed the weights")
				}
			})
		}
	}
}

// TestParamsLimits checks the caps of SetLimits: a parameter that would
// exceed either is refused before it is made, and one that fits exactly
// is made.
func TestParamsLimits(t *testing.T) {
	for _, tc := range []struct {
		name      string
		maxValues int
		maxBytes  int64
		want      string // "" for no error
	}{
		{"no caps", -1, -1, ""},
		{"values exactly", 12, -1, ""},
		{"values over", 11, -1, `parameter "b/kernel" of shape [2 3] would bring the parameters to 12 values, over the cap of 11 values`},
		{"zero values", 0, -1, `parameter "a/kernel" of shape [2 3] would bring the parameters to 6 values, over the cap of 0 values`},
		{"bytes exactly", -1, 107, ""},
		{"bytes over", -1, 106, `parameter "b/kernel" of shape [2 3] would need a weights file of at least 107 bytes, more than the 106 available`},
		{"no bytes", -1, 0, `parameter "a/kernel" of shape [2 3] would need a weights file of at least`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := graph.NewParams(tensor.Float32, 1)
			if err != nil {
				t.Fatal(err)
			}
			p.SetLimits(tc.maxValues, tc.maxBytes)
			for _, name := range []string{"a/kernel", "b/kernel"} {
				if _, err = p.Get(name, []int{2, 3}, graph.GlorotUniform); err != nil {
					break
				}
			}
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if p.Count() != 12 || p.BinarySize() != 107 {
					t.Fatalf("count %d, binary size %d; want 12 and 107", p.Count(), p.BinarySize())
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error containing %q", err, tc.want)
			}
		})
	}
}
