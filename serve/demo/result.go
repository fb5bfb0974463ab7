package demo

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/serve"
)

// ResultFile is the file beside a model file whose test accuracy the page
// shows: the result.json that cmd/mnist -out writes.
const ResultFile = "result.json"

// maxResultBytes caps the result.json read beside a model.
const maxResultBytes = 1 << 20

// The keys of a model's serve.Model.Metadata that Load sets from its
// result.json: the test accuracy (a float64) and the number of test
// images it was measured on (an int).
const (
	AccuracyKey   = "test_accuracy"
	TestImagesKey = "test_images"
)

// Load is serve.Load, a serve.LoadFunc, that also reads the test accuracy
// of a result.json beside the model file (as cmd/mnist -out writes one),
// if there is one, into the model's Metadata (AccuracyKey and
// TestImagesKey), which the metadata answer and the page show. A
// result.json that cannot be read or parsed is an error naming it.
func Load(path, name string, opts ...model.Option) (*serve.Model, error) {
	m, err := serve.Load(path, name, opts...)
	if err != nil {
		return nil, err
	}
	rp := filepath.Join(filepath.Dir(path), ResultFile)
	if _, err := os.Stat(rp); err != nil {
		return m, nil
	}
	f, err := regular.Open(rp)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxResultBytes+1))
	if err != nil {
		return nil, errors.Wrapf(err, "reading %s", rp)
	}
	if len(b) > maxResultBytes {
		return nil, errors.Errorf("%s is over %d bytes", rp, maxResultBytes)
	}
	var res struct {
		TestAcc    *float64 `json:"test_acc"`
		TestImages int      `json:"test_images"`
	}
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, errors.Wrapf(err, "reading %s", rp)
	}
	if res.TestAcc != nil {
		m.Metadata = map[string]any{AccuracyKey: *res.TestAcc, TestImagesKey: res.TestImages}
	}
	return m, nil
}

// accuracy returns the test accuracy that Load found for m, or nil, and
// the number of test images it was measured on.
func accuracy(m *serve.Model) (*float64, int) {
	acc, ok := m.Metadata[AccuracyKey].(float64)
	if !ok {
		return nil, 0
	}
	n, _ := m.Metadata[TestImagesKey].(int)
	return &acc, n
}
