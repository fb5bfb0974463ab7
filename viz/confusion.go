package viz

import (
	"encoding/csv"
	"fmt"
	"image/color"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Confusion is a confusion matrix of a classifier: Confusion[t][p] counts the
// examples whose true class is t and whose predicted class is p. Rows are
// true classes and columns predicted classes; correct predictions lie on the
// diagonal.
type Confusion [][]int

// NewConfusion returns an all-zero classes×classes confusion matrix.
func NewConfusion(classes int) Confusion {
	if classes < 0 {
		panic(fmt.Sprintf("viz.NewConfusion: negative number of classes %d", classes))
	}
	c := make(Confusion, classes)
	cells := make([]int, classes*classes)
	for i := range c {
		c[i] = cells[i*classes : (i+1)*classes : (i+1)*classes]
	}
	return c
}

// Add counts one example of true class actual predicted as class pred. It
// panics if either class is out of range.
func (c Confusion) Add(actual, pred int) {
	if actual < 0 || actual >= len(c) || pred < 0 || pred >= len(c[actual]) {
		panic(fmt.Sprintf("viz.Confusion.Add(%d, %d): class out of range [0, %d)", actual, pred, len(c)))
	}
	c[actual][pred]++
}

// Total returns the number of examples counted.
func (c Confusion) Total() int {
	n := 0
	for _, row := range c {
		for _, v := range row {
			n += v
		}
	}
	return n
}

// Correct returns the number of examples whose prediction was right, the sum
// of the diagonal.
func (c Confusion) Correct() int {
	n := 0
	for i, row := range c {
		if i < len(row) {
			n += row[i]
		}
	}
	return n
}

// Accuracy returns Correct()/Total(), or 0 if nothing was counted.
func (c Confusion) Accuracy() float64 {
	t := c.Total()
	if t == 0 {
		return 0
	}
	return float64(c.Correct()) / float64(t)
}

// check reports an error unless c is square.
func (c Confusion) check() error {
	for i, row := range c {
		if len(row) != len(c) {
			return errors.Errorf("confusion matrix is not square: row %d has %d columns, want %d", i, len(row), len(c))
		}
	}
	return nil
}

// WriteCSV writes c as CSV: a header row `true\pred,0,1,...` naming the
// predicted classes, then one row per true class that starts with the class
// number and continues with the counts.
func (c Confusion) WriteCSV(w io.Writer) error { return c.WriteCSVNamed(w, nil) }

// WriteCSVNamed writes c as WriteCSV does, with the classes named by names
// (one per class, in class order) instead of numbered; nil names numbers
// them.
func (c Confusion) WriteCSVNamed(w io.Writer, names []string) error {
	if err := c.check(); err != nil {
		return errors.Wrap(err, "viz")
	}
	name, err := c.namer(names)
	if err != nil {
		return errors.Wrap(err, "viz")
	}
	cw := csv.NewWriter(w)
	rec := make([]string, len(c)+1)
	rec[0] = `true\pred`
	for j := range c {
		rec[j+1] = name(j)
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i, row := range c {
		rec[0] = name(i)
		for j, v := range row {
			rec[j+1] = strconv.Itoa(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ConfusionCellSize is the size in pixels of one cell of a [Confusion.PNG]
// heat map; the picture is (classes+2)*ConfusionCellSize pixels square, but
// at least 400.
const ConfusionCellSize = 48

// PNG writes c to path as a heat map PNG: true classes top to bottom, predicted
// classes left to right, both labelled 0, 1, .... Each cell shows its count.
// Its shade depends on the count as a fraction f of its row (the share of
// class t that was predicted as p), so the diagonal shows per-class recall
// whatever the class sizes: it goes from white for f = 0 to dark blue for
// f = 1 in proportion to sqrt(f), which keeps error rates of a few per cent
// visible. The title gives
// the overall accuracy. The file is written atomically; errors name path.
func (c Confusion) PNG(path string) error { return c.PNGNamed(path, nil) }

// PNGNamed writes c as PNG does, with the classes named by names (one per
// class, in class order) on the axes instead of numbered; nil names
// numbers them.
func (c Confusion) PNGNamed(path string, names []string) error {
	name, err := c.namer(names)
	if err != nil {
		return errors.Wrapf(err, "viz: Confusion.PNG %s", path)
	}
	p, err := c.plot(name)
	if err != nil {
		return errors.Wrapf(err, "viz: Confusion.PNG %s", path)
	}
	size := max(400, (len(c)+2)*ConfusionCellSize)
	return writePlot(path, p, size, size)
}

// namer returns the name of class i: names[i], or its number when names
// is nil.
func (c Confusion) namer(names []string) (func(int) string, error) {
	if names == nil {
		return strconv.Itoa, nil
	}
	if len(names) != len(c) {
		return nil, errors.Errorf("%d class names for a confusion matrix of %d classes", len(names), len(c))
	}
	return func(i int) string { return names[i] }, nil
}

// confusionGrid adapts a Confusion to plotter.GridXYZ, whose rows count
// from the bottom, so that confusion row 0 is at the top; its values are the
// square roots of the counts as fractions of their confusion row's total.
type confusionGrid struct{ c Confusion }

func (g confusionGrid) Dims() (int, int)  { return len(g.c), len(g.c) }
func (g confusionGrid) X(col int) float64 { return float64(col) }
func (g confusionGrid) Y(row int) float64 { return float64(row) }
func (g confusionGrid) Z(col, row int) float64 {
	r := g.c[len(g.c)-1-row]
	t := 0
	for _, v := range r {
		t += v
	}
	if t == 0 {
		return 0
	}
	// The square root makes error rates of a few per cent visible next to
	// a diagonal close to 1.
	return math.Sqrt(float64(r[col]) / float64(t))
}

// shades is a white to dark blue palette.
type shades int

func (n shades) Colors() []color.Color {
	lo := [3]float64{0xff, 0xff, 0xff}
	hi := [3]float64{0x08, 0x30, 0x6b}
	cs := make([]color.Color, n)
	for i := range cs {
		t := float64(i) / float64(n-1)
		var v [3]uint8
		for k := range v {
			v[k] = uint8(math.Round(lo[k] + t*(hi[k]-lo[k])))
		}
		cs[i] = color.RGBA{v[0], v[1], v[2], 0xff}
	}
	return cs
}

// classTicks labels the integer positions 0..n-1; if top is true the label
// of position y is n-1-y, for an axis whose class 0 is at the top.
type classTicks struct {
	n    int
	top  bool
	name func(int) string
}

func (t classTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := make([]plot.Tick, t.n)
	for i := range ticks {
		l := i
		if t.top {
			l = t.n - 1 - i
		}
		ticks[i] = plot.Tick{Value: float64(i), Label: t.name(l)}
	}
	return ticks
}

// plot builds the heat map plot that PNG draws.
func (c Confusion) plot(name func(int) string) (*plot.Plot, error) {
	if len(c) == 0 {
		return nil, errors.New("confusion matrix has no classes")
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	n := len(c)
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Confusion matrix (accuracy %.2f%%, n=%d)", 100*c.Accuracy(), c.Total())
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(8)
	p.X.Label.Text = "predicted class"
	p.Y.Label.Text = "true class"
	p.X.Tick.Marker = classTicks{n: n, name: name}
	p.Y.Tick.Marker = classTicks{n: n, top: true, name: name}
	p.X.Padding, p.Y.Padding = 0, 0

	hm := plotter.NewHeatMap(confusionGrid{c}, shades(256))
	hm.Min, hm.Max = 0, 1
	p.Add(hm)

	fontSize := vg.Points(11)
	if n > 12 {
		fontSize = vg.Points(8)
	}
	grid := confusionGrid{c}
	var xys plotter.XYs
	var labels []string
	for r := 0; r < n; r++ {
		for col := 0; col < n; col++ {
			xys = append(xys, plotter.XY{X: float64(col), Y: float64(n - 1 - r)})
			labels = append(labels, strconv.Itoa(c[r][col]))
		}
	}
	ls, err := plotter.NewLabels(plotter.XYLabels{XYs: xys, Labels: labels})
	if err != nil {
		return nil, err
	}
	for i := range ls.TextStyle {
		r, col := i/n, i%n
		st := &ls.TextStyle[i]
		st.XAlign, st.YAlign = draw.XCenter, draw.YCenter
		st.Font.Size = fontSize
		st.Color = color.Black
		if grid.Z(col, n-1-r) > 0.5 { // dark cell
			st.Color = color.White
		}
	}
	p.Add(ls)
	return p, nil
}
