package data

import (
	"encoding/csv"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
)

// Limits enforced by ReadCSV and ReadCSVFile.
const (
	// MaxCSVValues is the most values, rows times columns, that ReadCSV
	// reads from one file.
	MaxCSVValues = 1 << 28

	// MaxCSVLineBytes is the longest row, in bytes, that ReadCSV
	// accepts, so that a file without line breaks, or with a quoted field
	// that never ends, cannot make it buffer without bound.
	MaxCSVLineBytes = 1 << 24
)

// csvConfig is what the CSVOptions given to ReadCSV ask for.
type csvConfig struct {
	label      int   // index of the label column; negative counts from the end
	header     *bool // whether the first row is a header, or nil to detect it
	regression bool  // the label is a real target, not a class
}

// A CSVOption configures ReadCSV and ReadCSVFile.
type CSVOption func(*csvConfig)

// LabelColumn makes column i, counting from 0, the label column; a negative
// i counts from the end, -1 being the last column, the default.
func LabelColumn(i int) CSVOption {
	return func(c *csvConfig) { c.label = i }
}

// Header says whether the first row is a header of column names, to be
// skipped. Without it, the first row is taken for a header when any of its
// fields other than the label is not a number.
func Header(has bool) CSVOption {
	return func(c *csvConfig) { c.header = &has }
}

// Regression makes the label column a real target: the Dataset gets Y, one
// value per example, with Classes = 1 and no Labels.
func Regression() CSVOption {
	return func(c *csvConfig) { c.regression = true }
}

// ReadCSVFile reads the CSV file at path, which must be a regular file (or
// a symbolic link to one); see ReadCSV.
func ReadCSVFile(path string, opts ...CSVOption) (*Dataset, error) {
	f, err := regular.Open(path)
	if err != nil {
		return nil, errors.Wrap(err, "data: reading CSV file")
	}
	defer f.Close()
	return ReadCSV(f, path, opts...)
}

// ReadCSV reads a data set of feature vectors from comma-separated values
// in r; name identifies r in errors, usually the file name.
//
// Each row is one example: one column is its label (the last, unless
// LabelColumn says otherwise) and the others its features, which must be
// finite numbers and become a vector of C = columns-1 float32 values
// (H = W = 0). A first row with a non-numeric field other than the label
// is a header and is skipped, unless Header says otherwise. Blank lines are
// skipped; leading spaces in fields are ignored.
//
// Labels are classes unless Regression is given. When every label is a
// whole number of at least 0 (and below 1<<24) the classes are those
// numbers, and Classes is the largest plus 1; otherwise every
// distinct label is a class name, the classes are the names in sorted
// order, and ClassNames holds them. A classifier's Dataset has Labels and
// no Y. With Regression the labels must be finite numbers, which become Y
// with Classes = 1.
//
// ReadCSV returns an error naming the file and the line for rows of
// differing lengths, a non-numeric, NaN or infinite feature, an empty
// label, and malformed quoting; for a file with no rows; and for more
// than MaxCSVValues values or a row over MaxCSVLineBytes.
func ReadCSV(r io.Reader, name string, opts ...CSVOption) (*Dataset, error) {
	cfg := csvConfig{label: -1}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	return readCSV(r, name, cfg, MaxCSVValues)
}

// readCSV is ReadCSV under cfg with a cap of most values.
func readCSV(r io.Reader, name string, cfg csvConfig, most int) (*Dataset, error) {
	cr := csv.NewReader(&lineLimiter{r: r, most: MaxCSVLineBytes})
	cr.FieldsPerRecord = -1 // checked here, for a clearer error
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true

	var (
		cols   int // fields per row, set by the first
		label  int // index of the label column
		x      []float32
		labels []string
		rows   int
	)
	for first := true; ; first = false {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var lerr *lineTooLong
			if errors.As(err, &lerr) {
				return nil, errors.Errorf("data: %s: a row longer than the limit of %d bytes (MaxCSVLineBytes)", name, MaxCSVLineBytes)
			}
			var perr *csv.ParseError
			if errors.As(err, &perr) {
				return nil, errors.Errorf("data: %s: line %d: %v", name, perr.Line, perr.Err)
			}
			return nil, errors.Wrapf(err, "data: %s", name)
		}
		line, _ := cr.FieldPos(0)
		if first {
			rec[0] = strings.TrimPrefix(rec[0], "\ufeff") // a byte order mark
			cols = len(rec)
			if cols < 2 {
				return nil, errors.Errorf("data: %s: line %d: %d column: want features and a label, at least 2", name, line, cols)
			}
			label = cfg.label
			if label < 0 {
				label += cols
			}
			if label < 0 || label >= cols {
				return nil, errors.Errorf("data: %s: label column %d is not among the %d columns", name, cfg.label, cols)
			}
			header := false
			if cfg.header != nil {
				header = *cfg.header
			} else {
				for i, f := range rec {
					if _, err := strconv.ParseFloat(strings.TrimSpace(f), 32); i != label && err != nil {
						header = true
						break
					}
				}
			}
			if header {
				continue
			}
		}
		if len(rec) != cols {
			return nil, errors.Errorf("data: %s: line %d: %d fields, but the first row has %d", name, line, len(rec), cols)
		}
		if uint64(rows+1)*uint64(cols) > uint64(most) {
			return nil, errors.Errorf("data: %s: line %d: more than the limit of %d values", name, line, most)
		}
		for i, f := range rec {
			f = strings.TrimSpace(f)
			if i == label {
				if f == "" {
					return nil, errors.Errorf("data: %s: line %d: empty label in column %d", name, line, i+1)
				}
				labels = append(labels, strings.Clone(f))
				continue
			}
			v, err := strconv.ParseFloat(f, 32)
			if err != nil && !errors.Is(err, strconv.ErrRange) {
				return nil, errors.Errorf("data: %s: line %d: column %d: %q is not a number", name, line, i+1, clip(f))
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.Errorf("data: %s: line %d: column %d: %q is not a finite float32", name, line, i+1, clip(f))
			}
			x = append(x, float32(v))
		}
		rows++
	}
	if rows == 0 {
		return nil, errors.Errorf("data: %s: no rows of data", name)
	}

	d := &Dataset{X: x, N: rows, C: cols - 1}
	if cfg.regression {
		d.Y, d.Classes = make([]float32, rows), 1
		for i, s := range labels {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, errors.Errorf("data: %s: example %d: target %q is not a finite float32", name, i, clip(s))
			}
			d.Y[i] = float32(v)
		}
		return d, nil
	}
	d.Labels = make([]int, rows)
	most, numeric := 0, true
	for i, s := range labels {
		l, err := strconv.Atoi(s)
		if err != nil || l < 0 || l >= maxLabel {
			numeric = false
			break
		}
		d.Labels[i] = l
		most = max(most, l)
	}
	if numeric {
		d.Classes = most + 1
		return d, nil
	}
	index := map[string]int{}
	for _, s := range labels {
		index[s] = 0
	}
	d.ClassNames = make([]string, 0, len(index))
	for s := range index {
		d.ClassNames = append(d.ClassNames, s)
	}
	sort.Strings(d.ClassNames)
	for i, s := range d.ClassNames {
		index[s] = i
	}
	for i, s := range labels {
		d.Labels[i] = index[s]
	}
	d.Classes = len(d.ClassNames)
	return d, nil
}

// lineTooLong is the error of a lineLimiter.
type lineTooLong struct{}

func (*lineTooLong) Error() string { return "row too long" }

// lineLimiter reads from r, failing once more than most bytes come without
// a line break outside quotes, so that no row, even one whose quoted
// fields span lines, holds more. A quote inside a quoted field is doubled
// and so leaves the count of quotes even; a bare quote elsewhere is an
// error of the CSV reader anyway.
type lineLimiter struct {
	r      io.Reader
	most   int
	run    int  // bytes since the last line break outside quotes
	quoted bool // within a quoted field
}

func (l *lineLimiter) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	for _, b := range p[:n] {
		switch {
		case b == '"':
			l.quoted = !l.quoted
		case (b == '\n' || b == '\r') && !l.quoted:
			l.run = 0
			continue
		}
		if l.run++; l.run > l.most {
			return 0, &lineTooLong{}
		}
	}
	return n, err
}
