package viz

import (
	"image/color"
	"io"
	"math"
	"strconv"

	"github.com/pkg/errors"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Style selects how a [Series] is drawn.
type Style int

const (
	// Line joins the points of a series with a solid line (matplotlib's 'r'
	// format). It is the zero value.
	Line Style = iota
	// Dots draws a filled dot at each point and no line (matplotlib's 'bo').
	Dots
	// LineDots draws both a line and a dot at each point ('r-o').
	LineDots
)

// String returns the name of the style.
func (s Style) String() string {
	switch s {
	case Line:
		return "Line"
	case Dots:
		return "Dots"
	case LineDots:
		return "LineDots"
	}
	return "Style(" + strconv.Itoa(int(s)) + ")"
}

// Series is one curve of a [LinePlot]: the values Y[0], Y[1], ... are
// plotted at x = 1, 2, ..., len(Y), as suits values recorded once per epoch.
type Series struct {
	// Name is the series' entry in the legend. Series with an empty name
	// have no legend entry.
	Name string
	// Y holds the values; it must not be empty and must not hold NaN or
	// infinite values.
	Y []float64
	// Style is how the series is drawn; the zero value is Line.
	Style Style
	// Color is the colour of the series. If it is nil the i-th series gets
	// DefaultColors[i%len(DefaultColors)]: blue, then red, and so on.
	Color color.Color
}

// DefaultColors are the colours given to series without a Color, in order.
// The first two are blue and red, matching the Keras recipe that plots
// training accuracy in blue and validation accuracy in red.
var DefaultColors = []color.Color{
	color.RGBA{0x1f, 0x77, 0xb4, 0xff}, // blue
	color.RGBA{0xd6, 0x27, 0x28, 0xff}, // red
	color.RGBA{0x2c, 0xa0, 0x2c, 0xff}, // green
	color.RGBA{0xff, 0x7f, 0x0e, 0xff}, // orange
	color.RGBA{0x94, 0x67, 0xbd, 0xff}, // purple
	color.RGBA{0x8c, 0x56, 0x4b, 0xff}, // brown
	color.RGBA{0xe3, 0x77, 0xc2, 0xff}, // pink
	color.RGBA{0x7f, 0x7f, 0x7f, 0xff}, // grey
	color.RGBA{0xbc, 0xbd, 0x22, 0xff}, // olive
	color.RGBA{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// Size of LinePlot pictures.
const (
	// LinePlotWidth is the width of a LinePlot picture in pixels.
	LinePlotWidth = 768
	// LinePlotHeight is the height of a LinePlot picture in pixels.
	LinePlotHeight = 480
	// dpi is the resolution at which plots are rasterised.
	dpi = 96
)

// LinePlot writes a PNG line plot of LinePlotWidth×LinePlotHeight pixels to
// path with the given title and axis labels. Each series is plotted against
// x = 1..len(Y), so series may have different lengths; the x axis has integer
// ticks. A legend lists the named series and is placed in the corner of the
// plot that the data leave most empty.
//
// The Keras MNIST recipe "training accuracy as blue dots, validation accuracy
// as a red line" is
//
//	viz.LinePlot("accuracy.png", "Training and validation accuracy", "epoch", "accuracy",
//		viz.Series{Name: "training", Y: trainAcc, Style: viz.Dots},
//		viz.Series{Name: "validation", Y: valAcc, Style: viz.Line})
//
// It returns an error, without writing anything, if there are no series, a
// series is empty or a value is NaN or infinite. The file is written
// atomically; errors name path.
func LinePlot(path, title, xlabel, ylabel string, series ...Series) error {
	p, err := linePlot(title, xlabel, ylabel, series)
	if err != nil {
		return errors.Wrapf(err, "viz: LinePlot %s", path)
	}
	return writePlot(path, p, LinePlotWidth, LinePlotHeight)
}

// linePlot builds the plot that LinePlot draws.
func linePlot(title, xlabel, ylabel string, series []Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, errors.New("no series")
	}
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(14)
	p.Title.Padding = vg.Points(6)
	p.X.Label.Text = xlabel
	p.Y.Label.Text = ylabel
	p.X.Tick.Marker = integerTicks{}
	p.Y.Tick.Marker = niceTicks{}
	grid := plotter.NewGrid()
	grid.Vertical.Color = color.Gray{Y: 0xe0}
	grid.Horizontal.Color = color.Gray{Y: 0xe0}
	p.Add(grid)

	var pts [][]normPoint // for legend placement
	maxName := 0
	named := 0
	for i, s := range series {
		if len(s.Y) == 0 {
			return nil, errors.Errorf("series %d (%q) is empty", i, s.Name)
		}
		xys := make(plotter.XYs, len(s.Y))
		for j, y := range s.Y {
			if math.IsNaN(y) || math.IsInf(y, 0) {
				return nil, errors.Errorf("series %d (%q): Y[%d] is %v", i, s.Name, j, y)
			}
			xys[j] = plotter.XY{X: float64(j + 1), Y: y}
		}
		c := s.Color
		if c == nil {
			c = DefaultColors[i%len(DefaultColors)]
		}
		var thumbs []plot.Thumbnailer
		if s.Style == Line || s.Style == LineDots {
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, errors.Wrapf(err, "series %d (%q)", i, s.Name)
			}
			l.Color = c
			l.Width = vg.Points(1.75)
			p.Add(l)
			thumbs = append(thumbs, l)
		}
		if s.Style == Dots || s.Style == LineDots {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return nil, errors.Wrapf(err, "series %d (%q)", i, s.Name)
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: c, Radius: vg.Points(3), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			thumbs = append(thumbs, sc)
		}
		if thumbs == nil {
			return nil, errors.Errorf("series %d (%q): unknown style %v", i, s.Name, s.Style)
		}
		if s.Name != "" {
			p.Legend.Add(s.Name, thumbs...)
			maxName = max(maxName, len(s.Name))
			named++
		}
		pts = append(pts, sampled(xys))
	}
	if named > 0 {
		placeLegend(p, pts, maxName, named)
	}
	return p, nil
}

// writePlot rasterises p at w×h pixels and writes it atomically as PNG.
func writePlot(path string, p *plot.Plot, w, h int) error {
	c := vgimg.NewWith(
		vgimg.UseWH(vg.Length(w)*vg.Inch/dpi, vg.Length(h)*vg.Inch/dpi),
		vgimg.UseDPI(dpi),
	)
	pad := vg.Points(8)
	p.Draw(draw.Crop(draw.New(c), pad, -pad, pad, -pad))
	return writeAtomic(path, func(wr io.Writer) error {
		_, err := vgimg.PngCanvas{Canvas: c}.WriteTo(wr)
		return err
	})
}

// integerTicks marks whole numbers only, with a step of 1, 2 or 5 times a
// power of ten chosen so that there are at most about ten labelled ticks.
type integerTicks struct{}

// Ticks implements plot.Ticker.
func (integerTicks) Ticks(lo, hi float64) []plot.Tick {
	span := hi - lo
	step := 1.0
	for span/step > 10 {
		switch m := step / math.Pow(10, math.Floor(math.Log10(step))); {
		case m < 1.5:
			step *= 2
		case m < 3:
			step = step / 2 * 5
		default:
			step *= 2
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return ticks
}

// niceTicks labels 4 to 10 evenly spaced values, the step being 1, 2, 2.5 or
// 5 times a power of ten, with an unlabelled tick half way between labels.
type niceTicks struct{}

// Ticks implements plot.Ticker.
func (niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: strconv.FormatFloat(lo, 'g', 6, 64)}}
	}
	e := math.Floor(math.Log10((hi - lo) / 5))
	var step float64
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		step = m * math.Pow(10, e)
		if (hi-lo)/step <= 8 {
			break
		}
	}
	// Decimals needed to write multiples of step exactly.
	dec := 0
	for d := 0; d < 15; d++ {
		scaled := step * math.Pow(10, float64(d))
		if math.Abs(scaled-math.Round(scaled)) < 1e-9*scaled {
			dec = d
			break
		}
	}
	var ticks []plot.Tick
	k0 := math.Ceil(lo/step - 1e-9)
	for k := k0 - 1; ; k++ {
		v := k * step
		if v-step/2 > hi {
			break
		}
		if m := v - step/2; m >= lo && m <= hi {
			ticks = append(ticks, plot.Tick{Value: m})
		}
		if k < k0 || v > hi+1e-9*step {
			continue
		}
		if k == 0 {
			v = 0
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', dec, 64)})
	}
	return ticks
}

// normPoint is a point of a series, to be normalised to the data range.
type normPoint struct{ x, y float64 }

// sampled returns the points of xys and, for lines, points along the
// segments between them, so that legend placement avoids lines too.
func sampled(xys plotter.XYs) []normPoint {
	const perSegment = 8
	out := []normPoint{{xys[0].X, xys[0].Y}}
	for i := 1; i < len(xys); i++ {
		a, b := xys[i-1], xys[i]
		for k := 1; k <= perSegment; k++ {
			t := float64(k) / perSegment
			out = append(out, normPoint{a.X + t*(b.X-a.X), a.Y + t*(b.Y-a.Y)})
		}
	}
	return out
}

// placeLegend puts the legend in the corner of the data area that holds the
// fewest data points, preferring top right, top left, bottom right, bottom
// left in that order when there is a tie.
func placeLegend(p *plot.Plot, series [][]normPoint, maxName, entries int) {
	// Rough legend extent as a fraction of the data area, which is about
	// 7.3in × 4.3in of the 8in × 5in picture.
	fontPt := float64(p.Legend.TextStyle.Font.Size.Points())
	wFrac := (float64(maxName)*0.6*fontPt + 40) / (7.3 * 72)
	hFrac := (float64(entries)*1.5*fontPt + 8) / (4.3 * 72)
	xlo, xhi, ylo, yhi := p.X.Min, p.X.Max, p.Y.Min, p.Y.Max
	if xhi <= xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	if yhi <= ylo {
		ylo, yhi = ylo-1, yhi+1
	}
	type corner struct{ top, left bool }
	best, bestN := corner{true, false}, -1
	for _, c := range []corner{{true, false}, {true, true}, {false, false}, {false, true}} {
		n := 0
		for _, s := range series {
			for _, q := range s {
				x := (q.x - xlo) / (xhi - xlo)
				y := (q.y - ylo) / (yhi - ylo)
				inX := (c.left && x <= wFrac+0.02) || (!c.left && x >= 1-wFrac-0.02)
				inY := (c.top && y >= 1-hFrac-0.02) || (!c.top && y <= hFrac+0.02)
				if inX && inY {
					n++
				}
			}
		}
		if bestN < 0 || n < bestN {
			best, bestN = c, n
		}
	}
	p.Legend.Top, p.Legend.Left = best.top, best.left
	off := vg.Points(6)
	if best.left {
		p.Legend.XOffs = off
	} else {
		p.Legend.XOffs = -off
	}
	if best.top {
		p.Legend.YOffs = -off
	} else {
		p.Legend.YOffs = off
	}
}
