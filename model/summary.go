package model

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// shapeString formats an example shape as Summary and errors do: in the
// library's own order, channels first for images, with None for the batch,
// as Keras prints a batch: [10 24 24] → (None, 10, 24, 24).
func shapeString(s []int) string {
	parts := []string{"None"}
	for _, v := range s {
		parts = append(parts, strconv.Itoa(v))
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// inputsString describes the layout of an example, for errors.
func (m *Model) inputsString() string {
	var parts []string
	for _, in := range m.inputs {
		dims := make([]string, len(in.shape))
		for i, d := range in.shape {
			dims[i] = strconv.Itoa(d)
		}
		p := m.names[in] + " " + strings.Join(dims, "×")
		if len(in.shape) == 3 {
			p += " channels-first (C×H×W)"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", then ")
}

// Summary writes a table of the layers, their output shapes and parameter
// counts, like Keras's model.summary(), with shapes in the library's own
// channels-first order, as everywhere in the module: (None, C, H, W) for
// images, None standing for the batch. A model made by New also lists its
// inputs and, for each layer, the layers it is connected to. A model with
// class names lists them on one line after the table, cut short when
// there are many.
func (m *Model) Summary(w io.Writer) error {
	head := []string{"Layer (type)", "Output Shape", "Param #"}
	var rows [][]string
	if !m.sequential {
		head = append(head, "Connected to")
		for _, in := range m.inputs {
			rows = append(rows, []string{m.names[in] + " (InputLayer)", shapeString(in.shape), "0", ""})
		}
	}
	total := 0
	for _, n := range m.nodes {
		r := []string{m.names[n] + " (" + n.layer.Type() + ")", shapeString(m.shapes[n]), commas(m.counts[n])}
		if !m.sequential {
			var from []string
			for _, in := range n.inputs {
				from = append(from, m.names[in])
			}
			r = append(r, strings.Join(from, ", "))
		}
		rows = append(rows, r)
		total += m.counts[n]
	}
	width := make([]int, len(head))
	for i, h := range head {
		width[i] = len(h)
		for _, r := range rows {
			width[i] = max(width[i], len(r[i]))
		}
	}
	rule := 65
	if !m.sequential {
		rule = max(rule, width[0]+width[1]+width[2]+len(head[3])+6, width[0]+width[1]+width[2]+width[3]+6)
	}
	var b strings.Builder
	line := func(c string) { b.WriteString(strings.Repeat(c, rule) + "\n") }
	row := func(r []string) {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(strings.TrimRight(c, " ") + "\n")
			} else {
				fmt.Fprintf(&b, "%-*s  ", width[i], c)
			}
		}
	}
	line("_")
	row(head)
	line("=")
	for _, r := range rows {
		row(r)
	}
	line("=")
	trainable := m.params.TrainableCount()
	fmt.Fprintf(&b, "Total params: %s\nTrainable params: %s\nNon-trainable params: %s\n", commas(total), commas(trainable), commas(total-trainable))
	line("_")
	if len(m.classes) > 0 {
		b.WriteString(classesLine(m.classes, rule) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// classesLine lists the class names on one line of about width
// characters: "Classes: cat, dog", or, when they do not fit, as many as
// fit (at least one) and "... (N in all)".
func classesLine(names []string, width int) string {
	line := "Classes: " + strings.Join(names, ", ")
	if utf8.RuneCountInString(line) <= width {
		return line
	}
	tail := ", ... (" + commas(len(names)) + " in all)"
	line = "Classes: " + names[0]
	for _, n := range names[1:] {
		if utf8.RuneCountInString(line)+2+utf8.RuneCountInString(n)+len(tail) > width {
			break
		}
		line += ", " + n
	}
	return line + tail
}

// commas formats n with thousands separators: 38390 → 38,390.
func commas(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
