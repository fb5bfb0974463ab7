package serve

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/internal/regular"
	"github.com/gocnn/cnn/model"
)

// ResultFile is the file beside a model file whose test accuracy the page
// shows: the result.json that cmd/mnist -out writes.
const ResultFile = "result.json"

// maxResultBytes caps the result.json read beside a model.
const maxResultBytes = 1 << 20

// Model is a model as the server offers it.
type Model struct {
	// Name is the NAME of /v1/models/NAME.
	Name string
	// Net is the model; its Predict serves the requests.
	Net *model.Model
	// TestAccuracy is the accuracy on the test set, or nil if unknown.
	TestAccuracy *float64
	// TestImages is the number of test images TestAccuracy was measured on.
	TestImages int
}

// Load reads the whole-model file (or ONNX file: see ONNXExt) at path
// and, if a result.json sits
// beside it (as cmd/mnist -out writes one), its test accuracy. The model
// is named name, or after its file without the extension if name is "".
func Load(path, name string, opts ...model.Option) (*Model, error) {
	if name == "" {
		name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	if err := checkName(name); err != nil {
		return nil, errors.Wrapf(err, "model %s", path)
	}
	net, err := loadNet(path, opts...)
	if err != nil {
		return nil, err
	}
	m := &Model{Name: name, Net: net}
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
	m.TestAccuracy, m.TestImages = res.TestAcc, res.TestImages
	return m, nil
}

// checkName refuses a model name that cannot sit in /v1/models/NAME.
func checkName(name string) error {
	if name == "" {
		return errors.New("empty model name")
	}
	if strings.ContainsAny(name, "/:?#% \t\n") {
		return errors.Errorf("model name %q may not contain '/', ':', '?', '#', '%%' or spaces", name)
	}
	return nil
}
