package train

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"

	"github.com/pkg/errors"
)

// Epoch is what one epoch of training measured. When no validation set was
// given, HasVal is false and the validation fields are 0.
type Epoch struct {
	Epoch        int     `json:"epoch"` // 1-based
	Loss         float64 `json:"loss"`
	Acc          float64 `json:"acc"`
	ValLoss      float64 `json:"val_loss"`
	ValAcc       float64 `json:"val_acc"`
	HasVal       bool    `json:"has_val"`
	Seconds      float64 `json:"seconds"`       // wall time of the epoch's training steps and validation
	TrainSeconds float64 `json:"train_seconds"` // wall time of the training steps alone
	Images       int     `json:"images"`        // training images seen
	ImagesPS     float64 `json:"images_per_s"`  // training images per second (training steps only)
	// LR is the learning rate of the epoch's last step when a schedule
	// or ReduceLROnPlateau sets it, and 0 otherwise.
	LR float64 `json:"lr,omitempty"`
}

// History is the per-epoch record of a Fit, like Keras's History.
type History struct {
	Epochs []Epoch `json:"epochs"`
}

// Metric names a per-epoch measurement of a History.
type Metric int

// The metrics.
const (
	MetricLoss         Metric = iota // mean training loss
	MetricAcc                        // training accuracy
	MetricValLoss                    // validation loss
	MetricValAcc                     // validation accuracy
	MetricSeconds                    // wall time of the epoch
	MetricTrainSeconds               // wall time of its training steps
	MetricImagesPerS                 // training images per second
	MetricLR                         // learning rate (0 unless scheduled)
)

// String returns the metric's Keras-style name, such as "val_loss".
func (m Metric) String() string {
	if v, ok := metricNames[m]; ok {
		return v
	}
	return fmt.Sprintf("Metric(%d)", int(m))
}

var metricNames = map[Metric]string{MetricLoss: "loss", MetricAcc: "acc", MetricValLoss: "val_loss", MetricValAcc: "val_acc",
	MetricSeconds: "seconds", MetricTrainSeconds: "train_seconds", MetricImagesPerS: "images_per_s", MetricLR: "lr"}

// value returns the metric of e.
func (m Metric) value(e Epoch) (float64, error) {
	switch m {
	case MetricLoss:
		return e.Loss, nil
	case MetricAcc:
		return e.Acc, nil
	case MetricValLoss:
		return e.ValLoss, nil
	case MetricValAcc:
		return e.ValAcc, nil
	case MetricSeconds:
		return e.Seconds, nil
	case MetricTrainSeconds:
		return e.TrainSeconds, nil
	case MetricImagesPerS:
		return e.ImagesPS, nil
	case MetricLR:
		return e.LR, nil
	}
	return 0, errors.Errorf("train: unknown metric %d", int(m))
}

// Series returns one metric over the epochs. An unknown metric is an
// error.
func (h *History) Series(m Metric) ([]float64, error) {
	if _, ok := metricNames[m]; !ok {
		return nil, errors.Errorf("train: unknown metric %d", int(m))
	}
	out := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		out[i], _ = m.value(e)
	}
	return out, nil
}

// Median returns the median over the epochs of one metric, such as
// MetricSeconds (0 for no epochs).
func (h *History) Median(m Metric) (float64, error) {
	s, err := h.Series(m)
	if err != nil || len(s) == 0 {
		return 0, err
	}
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2], nil
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2, nil
}

// series is Series for a metric known to exist.
func (h *History) series(m Metric) []float64 {
	s, _ := h.Series(m)
	return s
}

// WriteJSON writes the history as JSON: Keras's history.history layout
// (a list per metric) plus the per-epoch records.
func (h *History) WriteJSON(w io.Writer) error {
	v := map[string]any{
		"loss":     h.series(MetricLoss),
		"acc":      h.series(MetricAcc),
		"val_loss": h.series(MetricValLoss),
		"val_acc":  h.series(MetricValAcc),
		"seconds":  h.series(MetricSeconds),
		"epochs":   h.Epochs,
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// ReadJSON reads a history written by WriteJSON.
func ReadJSON(r io.Reader) (*History, error) {
	var v struct {
		Epochs []Epoch `json:"epochs"`
	}
	if err := json.NewDecoder(r).Decode(&v); err != nil {
		return nil, err
	}
	return &History{Epochs: v.Epochs}, nil
}

// WriteCSV writes one row per epoch with a header.
func (h *History) WriteCSV(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "epoch,loss,acc,val_loss,val_acc,seconds,images_per_s"); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	for _, e := range h.Epochs {
		if _, err := fmt.Fprintf(w, "%d,%s,%s,%s,%s,%s,%s\n", e.Epoch, f(e.Loss), f(e.Acc), f(e.ValLoss), f(e.ValAcc), f(e.Seconds), f(e.ImagesPS)); err != nil {
			return err
		}
	}
	return nil
}
