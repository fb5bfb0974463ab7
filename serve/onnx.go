package serve

import (
	"path/filepath"
	"strings"

	"github.com/gocnn/cnn/model"
	"github.com/gocnn/cnn/onnx"
)

// ONNXExt is the extension of the files that Load reads as ONNX models
// (onnx.Load) rather than as whole-model files (model.Load).
const ONNXExt = ".onnx"

// loadNet reads the model at path: an ONNX file if its name ends in
// ONNXExt (in any case), or if it is not a whole-model file; a whole-model
// file otherwise.
func loadNet(path string, opts ...model.Option) (*model.Model, error) {
	isONNX := strings.EqualFold(filepath.Ext(path), ONNXExt)
	if !isONNX {
		if ok, err := model.IsModelFile(path); err == nil && !ok && !strings.EqualFold(filepath.Ext(path), ".gocnn") {
			isONNX = true
		}
	}
	if isONNX {
		return onnx.Load(path, opts...)
	}
	m, _, err := model.Load(path, opts...)
	return m, err
}
