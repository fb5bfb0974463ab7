package train

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
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
}

// History is the per-epoch record of a Fit, like Keras's History.
type History struct {
	Epochs []Epoch `json:"epochs"`
}

// Series returns one metric over the epochs: "loss", "acc", "val_loss",
// "val_acc", "seconds", "train_seconds" or "images_per_s".
func (h *History) Series(name string) []float64 {
	out := make([]float64, len(h.Epochs))
	for i, e := range h.Epochs {
		switch name {
		case "loss":
			out[i] = e.Loss
		case "acc":
			out[i] = e.Acc
		case "val_loss":
			out[i] = e.ValLoss
		case "val_acc":
			out[i] = e.ValAcc
		case "seconds":
			out[i] = e.Seconds
		case "images_per_s":
			out[i] = e.ImagesPS
		case "train_seconds":
			out[i] = e.TrainSeconds
		}
	}
	return out
}

// Median returns the median over the epochs of one metric of Series, such
// as "seconds".
func (h *History) Median(name string) float64 {
	s := h.Series(name)
	if len(s) == 0 {
		return 0
	}
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// WriteJSON writes the history as JSON: Keras's history.history layout
// (a list per metric) plus the per-epoch records.
func (h *History) WriteJSON(w io.Writer) error {
	v := map[string]any{
		"loss":     h.Series("loss"),
		"acc":      h.Series("acc"),
		"val_loss": h.Series("val_loss"),
		"val_acc":  h.Series("val_acc"),
		"seconds":  h.Series("seconds"),
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
