package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClassNamesRoundTrip: class names survive Save and Load, show in Spec
// and Summary, and ClassNames returns a copy.
func TestClassNamesRoundTrip(t *testing.T) {
	names := []string{"cat", "dog", "bird"}
	m := small(t, ClassNames(names...))
	path := filepath.Join(t.TempDir(), "m.gocnn")
	if err := m.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	got, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.ClassNames(), names) {
		t.Errorf("loaded class names %q, want %q", got.ClassNames(), names)
	}
	got.ClassNames()[0] = "changed"
	if got.ClassNames()[0] != "cat" {
		t.Error("ClassNames does not return a copy")
	}
	spec, err := got.Spec()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(spec.ClassNames, names) {
		t.Errorf("Spec().ClassNames = %q, want %q", spec.ClassNames, names)
	}
	var sum strings.Builder
	if err := got.Summary(&sum); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(sum.String(), "\nClasses: cat, dog, bird\n") {
		t.Errorf("summary does not end with the classes:\n%s", sum.String())
	}
	// Removing the names writes the bytes of a model that never had them.
	if err := got.SetClassNames(nil); err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := got.Write(&a, nil); err != nil {
		t.Fatal(err)
	}
	if err := small(t).Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("a model whose class names were removed writes different bytes from one that never had them")
	}
	if strings.Contains(a.String(), "class_names") {
		t.Error("class_names written for a model without them")
	}
}

// TestClassNamesRefused: names that do not fit the model are refused by the
// option and by SetClassNames, which then leaves the names as they were.
func TestClassNamesRefused(t *testing.T) {
	many := make([]string, MaxClassNames+1)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	for _, tc := range []struct {
		name  string
		names []string
		want  string
	}{
		{"too few", []string{"a", "b"}, "2 names for an output of 3 values"},
		{"too many", []string{"a", "b", "c", "d"}, "4 names for an output of 3 values"},
		{"empty", []string{"a", "", "c"}, "name 2 is empty"},
		{"repeated", []string{"a", "b", "a"}, `names 1 and 3 are both "a"`},
		{"long", []string{"a", strings.Repeat("x", MaxClassNameBytes+1), "c"}, "name 2 is 257 bytes long"},
		{"control", []string{"a", "b\nc", "d"}, "control character"},
		{"not UTF-8", []string{"a", "\xff", "c"}, "not valid UTF-8"},
		{"over the cap", many, "more than the 65536 allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewSequential([]int{2, 5, 5}, smallLayers(), ClassNames(tc.names...))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("option: error %v, want one containing %q", err, tc.want)
			}
			m := small(t, ClassNames("x", "y", "z"))
			if err := m.SetClassNames(tc.names); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("SetClassNames: error %v, want one containing %q", err, tc.want)
			}
			if !slices.Equal(m.ClassNames(), []string{"x", "y", "z"}) {
				t.Errorf("a refused SetClassNames changed the names to %q", m.ClassNames())
			}
		})
	}
	t.Run("several outputs", func(t *testing.T) {
		m := everyLayer(t)
		if err := m.SetClassNames([]string{"a"}); err == nil || !strings.Contains(err.Error(), "only a model of one output") {
			t.Errorf("error %v, want one about several outputs", err)
		}
	})
}

// withArchitecture rewrites the architecture of the model file b through
// edit.
func withArchitecture(t *testing.T, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	secs, err := modelFormat.Read(bytes.NewReader(b), MaxArchitectureBytes, MaxWeightsBytes, MaxStateBytes)
	if err != nil {
		t.Fatal(err)
	}
	var a map[string]any
	if err := json.Unmarshal(secs[0], &a); err != nil {
		t.Fatal(err)
	}
	edit(a)
	arch, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := modelFormat.Write(&out, arch, secs[1], secs[2]); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestClassNamesInFile: Read refuses class names in a file that do not fit
// its model, saying so, and takes good ones.
func TestClassNamesInFile(t *testing.T) {
	var b bytes.Buffer
	if err := small(t).Write(&b, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		names any
		want  string // "" for a file that loads
	}{
		{"good", []string{"a", "b", "c"}, ""},
		{"bad count", []string{"a", "b"}, "model file: architecture: class_names: 2 names for an output of 3 values"},
		{"long name", []string{"a", "b", strings.Repeat("é", 200)}, "name 3 is 400 bytes long"},
		{"repeated", []string{"a", "b", "b"}, `names 2 and 3 are both "b"`},
		{"not a list", "abc", "model file: architecture"},
		{"numbers", []int{1, 2, 3}, "model file: architecture"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := withArchitecture(t, b.Bytes(), func(a map[string]any) { a["class_names"] = tc.names })
			m, _, err := Read(bytes.NewReader(file))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(m.ClassNames(), tc.names.([]string)) {
					t.Errorf("class names %q, want %q", m.ClassNames(), tc.names)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestClassesLine: many class names are cut short on one line.
func TestClassesLine(t *testing.T) {
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("class%d", i)
	}
	got := classesLine(names, 65)
	if !strings.HasPrefix(got, "Classes: class0, class1, ") || !strings.HasSuffix(got, ", ... (100 in all)") || len(got) > 65 {
		t.Errorf("classesLine = %q (%d characters)", got, len(got))
	}
	if got := classesLine([]string{strings.Repeat("x", 100), "y"}, 65); got != "Classes: "+strings.Repeat("x", 100)+", ... (2 in all)" {
		t.Errorf("a long first name: %q", got)
	}
}
