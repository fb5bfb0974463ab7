package train

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/gocnn/cnn/train/metrics"
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
	// Metrics holds what the fields above do not: each output's loss and
	// metrics of a model of several outputs ("head_loss", "head_acc") and
	// the metrics asked for with Metrics ("mae"), with their
	// validation values ("val_head_loss"). It is nil for a model of one
	// output trained without Metrics.
	Metrics map[metrics.Name]float64 `json:"metrics,omitempty"`
}

// History is the per-epoch record of a Fit, like Keras's History.
type History struct {
	Epochs []Epoch `json:"epochs"`
}

// fixed reports whether m is one of the Epoch's own fields.
func fixed(m metrics.Name) bool {
	switch m {
	case metrics.Loss, metrics.Acc, metrics.ValLoss, metrics.ValAcc, metrics.Seconds, metrics.TrainSeconds, metrics.ImagesPerS, metrics.LR:
		return true
	}
	return false
}

// value returns the metric of e: a field of e, or one of e.Metrics.
func value(m metrics.Name, e Epoch) (float64, error) {
	switch m {
	case metrics.Loss:
		return e.Loss, nil
	case metrics.Acc:
		return e.Acc, nil
	case metrics.ValLoss:
		return e.ValLoss, nil
	case metrics.ValAcc:
		return e.ValAcc, nil
	case metrics.Seconds:
		return e.Seconds, nil
	case metrics.TrainSeconds:
		return e.TrainSeconds, nil
	case metrics.ImagesPerS:
		return e.ImagesPS, nil
	case metrics.LR:
		return e.LR, nil
	}
	if v, ok := e.Metrics[m]; ok {
		return v, nil
	}
	return 0, errors.Errorf("train: unknown metric %q (epoch %d has %s)", string(m), e.Epoch, metricList(e))
}

// metricList lists the metrics of e.
func metricList(e Epoch) string {
	s := "loss, acc, val_loss, val_acc, seconds, train_seconds, images_per_s, lr"
	for _, m := range e.names() {
		s += ", " + string(m)
	}
	return s
}

// names returns the names of e.Metrics: training ones, sorted, then
// validation ones, sorted.
func (e Epoch) names() []metrics.Name {
	var tr, val []metrics.Name
	for m := range e.Metrics {
		if strings.HasPrefix(string(m), "val_") {
			val = append(val, m)
		} else {
			tr = append(tr, m)
		}
	}
	sort.Slice(tr, func(i, j int) bool { return tr[i] < tr[j] })
	sort.Slice(val, func(i, j int) bool { return val[i] < val[j] })
	return append(tr, val...)
}

// Names returns the names of the metrics the epochs hold beyond the
// Epoch's own fields (Epoch.Metrics), training ones first, each group
// sorted.
func (h *History) Names() []metrics.Name {
	seen := map[metrics.Name]bool{}
	all := Epoch{Metrics: map[metrics.Name]float64{}}
	for _, e := range h.Epochs {
		for m := range e.Metrics {
			if !seen[m] {
				seen[m], all.Metrics[m] = true, 0
			}
		}
	}
	return all.names()
}

// Series returns one metric over the epochs. A metric that is neither
// one of the Epoch's fields nor in the Metrics of every epoch is an error.
func (h *History) Series(m metrics.Name) ([]float64, error) {
	out := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		v, err := value(m, e)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	if !fixed(m) && len(h.Epochs) == 0 {
		return nil, errors.Errorf("train: unknown metric %q", string(m))
	}
	return out, nil
}

// Median returns the median over the epochs of one metric, such as
// MetricSeconds (0 for no epochs).
func (h *History) Median(m metrics.Name) (float64, error) {
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
func (h *History) series(m metrics.Name) []float64 {
	s, _ := h.Series(m)
	return s
}

// partial is m over the epochs, nil (JSON null) where an epoch lacks it.
func (h *History) partial(m metrics.Name) []*float64 {
	out := make([]*float64, len(h.Epochs))
	for i, e := range h.Epochs {
		if v, ok := e.Metrics[m]; ok {
			out[i] = &v
		}
	}
	return out
}

// WriteJSON writes the history as JSON: Keras's history.history layout
// (a list per metric) plus the per-epoch records.
func (h *History) WriteJSON(w io.Writer) error {
	v := map[string]any{
		"loss":     h.series(metrics.Loss),
		"acc":      h.series(metrics.Acc),
		"val_loss": h.series(metrics.ValLoss),
		"val_acc":  h.series(metrics.ValAcc),
		"seconds":  h.series(metrics.Seconds),
		"epochs":   h.Epochs,
	}
	for _, m := range h.Names() {
		v[string(m)] = h.partial(m)
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

// WriteCSV writes one row per epoch with a header: epoch, loss, acc,
// val_loss, val_acc, seconds and images_per_s, then a column for each of
// Names (empty where an epoch lacks it).
func (h *History) WriteCSV(w io.Writer) error {
	names := h.Names()
	head := "epoch,loss,acc,val_loss,val_acc,seconds,images_per_s"
	for _, m := range names {
		head += "," + string(m)
	}
	if _, err := fmt.Fprintln(w, head); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', 8, 64) }
	for _, e := range h.Epochs {
		row := fmt.Sprintf("%d,%s,%s,%s,%s,%s,%s", e.Epoch, f(e.Loss), f(e.Acc), f(e.ValLoss), f(e.ValAcc), f(e.Seconds), f(e.ImagesPS))
		for _, m := range names {
			row += ","
			if v, ok := e.Metrics[m]; ok {
				row += f(v)
			}
		}
		if _, err := fmt.Fprintln(w, row); err != nil {
			return err
		}
	}
	return nil
}
