package layers

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestConfigStrict checks that FromConfig refuses configurations with
// data after the JSON value or a field of the wrong length, naming the
// field, and still takes the valid ones.
func TestConfigStrict(t *testing.T) {
	for _, tc := range []struct {
		name, typ, config, want string // want "" for no error
	}{
		{"conv", "Conv2D", `{"filters":2,"kernel_size":[3,3]}`, ""},
		{"conv, trailing space", "Conv2D", `{"filters":2,"kernel_size":[3,3]} `, ""},
		{"conv, trailing object", "Conv2D", `{"filters":2,"kernel_size":[3,3]}{}`, "data after the JSON value, at byte 33"},
		{"conv, three kernel sizes", "Conv2D", `{"filters":2,"kernel_size":[3,3,3]}`, "kernel_size [3 3 3]: want two values"},
		{"conv, one kernel size", "Conv2D", `{"filters":2,"kernel_size":[3]}`, "kernel_size [3]: want two values"},
		{"conv, no kernel size", "Conv2D", `{"filters":2}`, "kernel_size []: want two values"},
		{"conv, three strides", "Conv2D", `{"filters":2,"kernel_size":[3,3],"strides":[1,1,1]}`, "strides [1 1 1]: want two values"},
		{"max pool", "MaxPooling2D", `{"pool_size":[2,2]}`, ""},
		{"max pool, three sizes", "MaxPooling2D", `{"pool_size":[2,2,2]}`, "pool_size [2 2 2]: want two values"},
		{"average pool, no size", "AveragePooling2D", `{}`, "pool_size []: want two values"},
		{"flatten, trailing", "Flatten", `{} x`, "data after the JSON value"},
		{"add, trailing", "Add", `{}]`, "data after the JSON value"},
		{"dense, trailing", "Dense", `{"units":3} 4`, "data after the JSON value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromConfig(tc.typ, json.RawMessage(tc.config))
			switch {
			case tc.want == "" && err != nil:
				t.Fatal(err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.typ)):
				t.Fatalf("got %v; want an error naming %s and containing %q", err, tc.typ, tc.want)
			}
		})
	}
}

// FuzzFromConfig feeds arbitrary configurations to every registered
// layer type's constructor, which must return a layer or an error and
// never panic.
func FuzzFromConfig(f *testing.F) {
	for _, s := range []string{`{"filters":2,"kernel_size":[3,3,3]}`, `{"pool_size":[2,2]} {}`, `{"units":3,"activation":"relu"}`,
		`{"rate":0.5}`, `{"activation":"leaky_relu","alpha":0.1}`, `{"momentum":0.9,"epsilon":0.001}`, ``, `null`} {
		for i := range Registered() {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, typ uint8, config []byte) {
		types := Registered()
		_, _ = FromConfig(types[int(typ)%len(types)], json.RawMessage(config))
	})
}
