package serve

import (
	"path/filepath"
	"strings"

	"github.com/pkg/errors"

	"github.com/gocnn/cnn/model"
)

// Model is a model as the server offers it.
type Model struct {
	// Name is the NAME of /v1/models/NAME.
	Name string
	// Net is the model; its Predict serves the requests.
	Net *model.Model
	// Metadata holds entries added to the "metadata" object of the
	// model's metadata answer, such as what is known of its accuracy;
	// they do not replace the entries the server writes itself (inputs,
	// outputs, summary, class_names). The values must encode as JSON.
	Metadata map[string]any
}

// A LoadFunc reads the model file at path as a Model named name, or after
// its file if name is "". Load is one; see Loader.
type LoadFunc func(path, name string, opts ...model.Option) (*Model, error)

// Load reads the whole-model file (or ONNX file: see ONNXExt) at path.
// The model is named name, or after its file without the extension if
// name is "".
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
	return &Model{Name: name, Net: net}, nil
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
