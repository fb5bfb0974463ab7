package data

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		opts    []CSVOption
		n, c, k int
		x       []float32
		labels  []int
		y       []float32
		names   []string
	}{
		{name: "plain", text: "1,2,0\n3,4,2\n", n: 2, c: 2, k: 3, x: []float32{1, 2, 3, 4}, labels: []int{0, 2}},
		{name: "header detected", text: "a,b,class\n1,2,1\n3,4,0\n", n: 2, c: 2, k: 2, x: []float32{1, 2, 3, 4}, labels: []int{1, 0}},
		{name: "numeric header kept", text: "1,2,1\n3,4,0\n", opts: []CSVOption{Header(false)}, n: 2, c: 2, k: 2, x: []float32{1, 2, 3, 4}, labels: []int{1, 0}},
		{name: "header forced", text: "1,2,1\n3,4,0\n", opts: []CSVOption{Header(true)}, n: 1, c: 2, k: 1, x: []float32{3, 4}, labels: []int{0}},
		{name: "string labels", text: "x,y,species\n1,2,setosa\n3,4,virginica\n5,6,setosa\n", n: 3, c: 2, k: 2,
			x: []float32{1, 2, 3, 4, 5, 6}, labels: []int{0, 1, 0}, names: []string{"setosa", "virginica"}},
		{name: "string labels, no header", text: "1,2,b\n3,4,a\n", n: 2, c: 2, k: 2, x: []float32{1, 2, 3, 4}, labels: []int{1, 0}, names: []string{"a", "b"}},
		{name: "mixed labels are names", text: "1,2,1\n3,4,x\n", n: 2, c: 2, k: 2, x: []float32{1, 2, 3, 4}, labels: []int{0, 1}, names: []string{"1", "x"}},
		{name: "label first", text: "2,1.5,-3\n0,4,5e-1\n", opts: []CSVOption{LabelColumn(0)}, n: 2, c: 2, k: 3, x: []float32{1.5, -3, 4, 0.5}, labels: []int{2, 0}},
		{name: "label middle negative", text: "1,7,2\n3,8,4\n", opts: []CSVOption{LabelColumn(-2)}, n: 2, c: 2, k: 9, x: []float32{1, 2, 3, 4}, labels: []int{7, 8}},
		{name: "regression", text: "a,b,price\n1,2,3.5\n3,4,-1\n", opts: []CSVOption{Regression()}, n: 2, c: 2, k: 1, x: []float32{1, 2, 3, 4}, y: []float32{3.5, -1}},
		{name: "spaces, blank lines, CRLF, BOM, quotes", text: "\ufeff 1, 2 ,0\r\n\r\n\"3\",4, 1\r\n", n: 2, c: 2, k: 2, x: []float32{1, 2, 3, 4}, labels: []int{0, 1}},
		{name: "no trailing newline", text: "1,0", n: 1, c: 1, k: 1, x: []float32{1}, labels: []int{0}},
		{name: "quoted label with newline and quote", text: "1,\"a\n\"\"b\"\"\"\n2,c\n", n: 2, c: 1, k: 2, x: []float32{1, 2}, labels: []int{0, 1}, names: []string{"a\n\"b\"", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.text), "t.csv", tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if err := d.Check(); err != nil {
				t.Fatal(err)
			}
			if d.N != tt.n || d.C != tt.c || d.H != 0 || d.W != 0 || d.Classes != tt.k {
				t.Errorf("got N %d C %d H %d W %d Classes %d, want %d %d 0 0 %d", d.N, d.C, d.H, d.W, d.Classes, tt.n, tt.c, tt.k)
			}
			if !slices.Equal(d.X, tt.x) || !slices.Equal(d.Labels, tt.labels) || !slices.Equal(d.Y, tt.y) || !slices.Equal(d.ClassNames, tt.names) {
				t.Errorf("got X %v Labels %v Y %v ClassNames %q, want %v %v %v %q", d.X, d.Labels, d.Y, d.ClassNames, tt.x, tt.labels, tt.y, tt.names)
			}
		})
	}
}

func TestReadCSVBad(t *testing.T) {
	tests := []struct {
		name string
		text string
		opts []CSVOption
		want string
	}{
		{name: "empty", text: "", want: "t.csv: no rows of data"},
		{name: "blank", text: "\n\n", want: "no rows of data"},
		{name: "header only", text: "a,b,c\n", want: "no rows of data"},
		{name: "one column", text: "1\n2\n", want: "line 1: 1 column"},
		{name: "ragged short", text: "1,2,0\n3,0\n", want: "line 2: 2 fields, but the first row has 3"},
		{name: "ragged long", text: "a,b,c\n1,2,0\n\n3,4,5,0\n", want: "line 4: 4 fields, but the first row has 3"},
		{name: "non-numeric", text: "1,2,0\n3,x,1\n", want: `line 2: column 2: "x" is not a number`},
		{name: "empty feature", text: "1,2,0\n3,,1\n", want: `line 2: column 2: "" is not a number`},
		{name: "NaN", text: "1,2,0\nNaN,4,1\n", want: `line 2: column 1: "NaN" is not a finite float32`},
		{name: "Inf", text: "1,2,0\n1,-Inf,1\n", want: `line 2: column 2: "-Inf" is not a finite float32`},
		{name: "overflow", text: "1,2,0\n1,1e39,1\n", want: `"1e39" is not a finite float32`},
		{name: "empty label", text: "1,2,0\n3,4,\n", want: "line 2: empty label in column 3"},
		{name: "bad quote", text: "1,2,0\n3,\"4,1\n", want: "t.csv: line 2"},
		{name: "label column out of range", text: "1,2,0\n", opts: []CSVOption{LabelColumn(3)}, want: "label column 3 is not among the 3 columns"},
		{name: "label column negative", text: "1,2,0\n", opts: []CSVOption{LabelColumn(-4)}, want: "label column -4"},
		{name: "regression target", text: "1,2,x\n", opts: []CSVOption{Regression(), Header(false)}, want: `example 0: target "x" is not a finite float32`},
		{name: "regression NaN", text: "1,2,3\n1,2,nan\n", opts: []CSVOption{Regression()}, want: `example 1: target "nan"`},
		{name: "long line", text: strings.Repeat("1", MaxCSVLineBytes+1), want: "a row longer than the limit"},
		{name: "long quoted field", text: "1,2,0\n\"" + strings.Repeat("\n", MaxCSVLineBytes+1), want: "a row longer than the limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ReadCSV(strings.NewReader(tt.text), "t.csv", tt.opts...)
			if err == nil {
				t.Fatalf("got %+v, want an error", d)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "t.csv") {
				t.Errorf("got %q, want an error naming t.csv and saying %q", err, tt.want)
			}
		})
	}
}

// TestReadCSVValueCap checks that a file of more values than the cap is
// refused at the row that passes it.
func TestReadCSVValueCap(t *testing.T) {
	text := "a,b,c\n1,2,0\n3,4,1\n5,6,0\n"
	if _, err := readCSV(strings.NewReader(text), "big.csv", csvConfig{label: -1}, 9); err != nil {
		t.Errorf("9 values under a cap of 9: %v", err)
	}
	_, err := readCSV(strings.NewReader(text), "big.csv", csvConfig{label: -1}, 8)
	if err == nil || !strings.Contains(err.Error(), "big.csv: line 4: more than the limit of 8 values") {
		t.Errorf("9 values under a cap of 8: got %v", err)
	}
}

func TestReadCSVFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "iris.csv")
	if err := os.WriteFile(path, []byte("sepal,petal,class\n5.1,1.4,setosa\n7.0,4.7,versicolor\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := ReadCSVFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 2 || !slices.Equal(d.ClassNames, []string{"setosa", "versicolor"}) {
		t.Errorf("got %+v", d)
	}
	if _, err := ReadCSVFile(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Errorf("reading a directory: got %v", err)
	}
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("1,2\n1\n"), 0o644)
	if _, err := ReadCSVFile(bad); err == nil || !strings.Contains(err.Error(), bad+": line 2") {
		t.Errorf("got %v, want an error naming %s and line 2", err, bad)
	}
}

func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"1,2,0\n3,4,2\n",
		"a,b,class\n1,2,setosa\n3,4,virginica\n",
		"\ufeff1, 2 ,0\r\n\"3\",4, 1\r\n",
		"1,2,3\n4,5\n",
		"1,NaN,0\n",
		"x\n",
		"",
		"\"a\nb\",1,2\n",
		"1,2,99999999999\n",
		"1,2,16777215\n",
	} {
		f.Add([]byte(s), int8(-1), uint8(0))
	}
	f.Fuzz(func(t *testing.T, text []byte, label int8, flags uint8) {
		opts := []CSVOption{LabelColumn(int(label))}
		if flags&1 != 0 {
			opts = append(opts, Regression())
		}
		if flags&2 != 0 {
			opts = append(opts, Header(flags&4 != 0))
		}
		d, err := ReadCSV(bytes.NewReader(text), "f.csv", opts...)
		if err != nil {
			if !strings.Contains(err.Error(), "f.csv") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if err := d.Check(); err != nil {
			t.Errorf("inconsistent dataset: %v", err)
		}
		if d.H != 0 || d.W != 0 || d.N == 0 || d.C == 0 {
			t.Errorf("got N %d C %d H %d W %d", d.N, d.C, d.H, d.W)
		}
	})
}
