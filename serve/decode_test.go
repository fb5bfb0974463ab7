package serve

import (
	"math"
	"slices"
	"strings"
	"testing"
)

// TestDecodeRequest: the forms an instance may take, and what is refused.
func TestDecodeRequest(t *testing.T) {
	img := []int{1, 2, 2}
	for _, tc := range []struct {
		name  string
		body  string
		shape []int
		want  []float32
		n     int
		err   string
	}{
		{"C×H×W", `{"instances": [[[[1, 2], [3, 4]]]]}`, img, []float32{1, 2, 3, 4}, 1, ""},
		{"H×W", `{"instances": [[[1, 2], [3, 4]], [[5, 6], [7, 8]]]}`, img, []float32{1, 2, 3, 4, 5, 6, 7, 8}, 2, ""},
		{"flat", `{"instances": [[1, 2, 3, 4]]}`, img, []float32{1, 2, 3, 4}, 1, ""},
		{"numbers", ` { "instances" : [ [ -1.5e0 , 0.25,3E-1, 0 ] ] } ` + "\n", img, []float32{-1.5, 0.25, 0.3, 0}, 1, ""},
		{"vector model", `{"instances": [[1, 2, 3]]}`, []int{3}, []float32{1, 2, 3}, 1, ""},
		{"signature", `{"signature_name": "serving_default", "instances": [[1, 2, 3, 4]]}`, img, []float32{1, 2, 3, 4}, 1, ""},
		{"tiny underflows to 0", `{"instances": [[1e-50, 2, 3, 4]]}`, img, []float32{0, 2, 3, 4}, 1, ""},
		{"malformed", `{"instances": [[1, 2, 3, 4]]`, img, nil, 0, "malformed JSON"},
		{"bare NaN", `{"instances": [[NaN, 2, 3, 4]]}`, img, nil, 0, "malformed JSON"},
		{"trailing", `{"instances": [[1, 2, 3, 4]]} {}`, img, nil, 0, "data after"},
		{"not an object", `[1, 2, 3, 4]`, img, nil, 0, "malformed JSON"},
		{"null", `{"instances": null}`, img, nil, 0, `no "instances"`},
		{"not a list", `{"instances": 3}`, img, nil, 0, `"instances" is not a list`},
		{"empty", `{"instances": []}`, img, nil, 0, `"instances" is empty`},
		{"number instance", `{"instances": [1, 2, 3, 4]}`, img, nil, 0, "instance 0: wrong shape [] (a single number)"},
		{"wrong shape", `{"instances": [[1, 2, 3, 4]], "x": 1}`, img, nil, 0, "unknown field"},
		{"short", `{"instances": [[1, 2, 3, 4], [1, 2, 3]]}`, img, nil, 0, "instance 1: wrong shape 3; the model takes 1×2×2 or 2×2 or a flat list of 4 values"},
		{"transposed", `{"instances": [[[1, 2]], [[3, 4]]]}`, img, nil, 0, "instance 0: wrong shape 1×2"},
		{"long", `{"instances": [[1, 2, 3, 4, 5]]}`, img, nil, 0, "more than the 4 values"},
		{"ragged", `{"instances": [[[1, 2], [3]]]}`, img, nil, 0, "ragged"},
		{"empty list", `{"instances": [[]]}`, img, nil, 0, "empty list"},
		{"deep", `{"instances": [[[[[[[[[[1]]]]]]]]]]}`, img, nil, 0, "nested deeper than 8"},
		{"string NaN", `{"instances": [["NaN", 2, 3, 4]]}`, img, nil, 0, `value "NaN" is not finite`},
		{"string -Infinity", `{"instances": [["-Infinity", 2, 3, 4]]}`, img, nil, 0, `value "-Infinity" is not finite`},
		{"string", `{"instances": [["1", 2, 3, 4]]}`, img, nil, 0, "a string where a number belongs"},
		{"float32 overflow", `{"instances": [[1e39, 2, 3, 4]]}`, img, nil, 0, "value 1e39 is not a finite float32"},
		{"float64 overflow", `{"instances": [[-1e400, 2, 3, 4]]}`, img, nil, 0, "value -1e400 is not a finite float32"},
		{"object", `{"instances": [{"x": [1, 2, 3, 4]}]}`, img, nil, 0, "an object where"},
		{"bool", `{"instances": [[true, 2, 3, 4]]}`, img, nil, 0, "unexpected 't'"},
		{"too many", `{"instances": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]}`, img, nil, 0, "too many instances: more than 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x, n, err := DecodeRequest([]byte(tc.body), tc.shape, 2)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.n || !slices.Equal(x, tc.want) {
				t.Errorf("got %v (%d), want %v (%d)", x, n, tc.want, tc.n)
			}
		})
	}
}

// FuzzDecodeRequest: no body makes the decoder panic, and whatever it
// accepts is whole instances of finite values, no more than the limit.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		`{"instances": [[[1, 2], [3, 4]]]}`,
		`{"instances": [[1, 2, 3, 4], [[5, 6], [7, 8]]]}`,
		`{"signature_name": "", "instances": [[[[0.5, -1], [1e-3, 2E2]]]]}`,
		`{"instances": [["NaN", 1, 2, 3]]}`,
		`{"instances": [[1e39, 1, 2, 3]]}`,
		`{"instances": [[[1, 2], [3]]]}`,
		`{"instances": [[[[[[[[[[1]]]]]]]]]]}`,
		`{"instances": [{"a": 1}]}`,
		`{"instances": []}`,
		`{"instances": "x"}`,
		`{"instances": [[1,2,3,4]]}trailing`,
		`{"instances": [[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]}`,
		`[`,
		``,
	} {
		f.Add([]byte(s))
	}
	shape := []int{1, 2, 2}
	f.Fuzz(func(t *testing.T, body []byte) {
		x, n, err := DecodeRequest(body, shape, 3)
		if err != nil {
			if x != nil || n != 0 {
				t.Fatalf("error %v with %d instances", err, n)
			}
			return
		}
		if n < 1 || n > 3 || len(x) != 4*n {
			t.Fatalf("%d instances, %d values", n, len(x))
		}
		for _, v := range x {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				t.Fatalf("accepted %v", v)
			}
		}
	})
}
