package graph_test

import (
	"slices"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/gocnn/cnn/graph"
)

// linear builds y = sum(x·w + b) over the parameters w, b and a state s,
// and returns the graph and the loss.
func linear(t *testing.T, p *graph.Params) (*graph.Graph, *G.Node) {
	t.Helper()
	g := graph.New(p, graph.Training(true))
	x := g.Input("x", 2, 3)
	w, err := g.Param("l/w", []int{3, 1}, graph.Ones)
	if err != nil {
		t.Fatal(err)
	}
	b, err := g.Param("l/b", []int{1}, graph.Zeros)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.State("l/s", []int{1}, graph.Zeros); err != nil {
		t.Fatal(err)
	}
	y := G.Must(G.BroadcastAdd(G.Must(G.Mul(x, w)), b, nil, []byte{0}))
	return g, G.Must(G.Sum(y))
}

// TestCompileLeavesFrozenOut checks that a frozen parameter gets no
// gradient node: Machine.Params and Grads omit it, and a graph whose
// trainable parameters are all frozen has nothing to train.
func TestCompileLeavesFrozenOut(t *testing.T) {
	for _, tc := range []struct {
		name   string
		frozen []string
		want   []string
		err    string
	}{
		{name: "none frozen", want: []string{"l/w", "l/b"}},
		{name: "kernel frozen", frozen: []string{"l/w"}, want: []string{"l/b"}},
		{name: "all frozen", frozen: []string{"l/w", "l/b"}, err: "all frozen"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := graph.NewParams(tensor.Float32, 1)
			if err != nil {
				t.Fatal(err)
			}
			linear(t, p) // creates the parameters
			for _, name := range tc.frozen {
				p.Lookup(name).Frozen = true
			}
			g, loss := linear(t, p) // a frozen parameter is asked for as before
			m, err := g.Compile(loss)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Compile: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			var got []string
			for _, q := range m.Params() {
				got = append(got, q.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Machine.Params = %v, want %v", got, tc.want)
			}
			if err := m.Run(); err != nil {
				t.Fatal(err)
			}
			grads, err := m.Grads()
			if err != nil {
				t.Fatal(err)
			}
			if len(grads) != len(tc.want) {
				t.Errorf("%d gradients, want %d", len(grads), len(tc.want))
			}
			wantCount := 0
			for _, q := range p.Trainable() {
				if !q.Frozen {
					wantCount += q.Value.Size()
				}
			}
			if got := p.TrainableCount(); got != wantCount || len(p.Trainable()) != 2 {
				t.Errorf("TrainableCount %d, want %d; Trainable lists %d, want 2 (frozen ones included)", got, wantCount, len(p.Trainable()))
			}
		})
	}
}

// TestShare checks that a store can hold another store's parameters,
// sharing their tensors, and refuses clashes.
func TestShare(t *testing.T) {
	src, _ := graph.NewParams(tensor.Float32, 1)
	q, err := src.Get("a/w", []int{2}, graph.Ones)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := graph.NewParams(tensor.Float32, 2)
	if _, err := other.Get("a/w", []int{2}, graph.Zeros); err != nil {
		t.Fatal(err)
	}
	f64, _ := graph.NewParams(tensor.Float64, 1)
	for _, tc := range []struct {
		name string
		dst  *graph.Params
		q    *graph.Param
		err  string
	}{
		{name: "fresh store", dst: func() *graph.Params { p, _ := graph.NewParams(tensor.Float32, 3); return p }(), q: q},
		{name: "same param twice", dst: src, q: q},
		{name: "name taken", dst: other, q: q, err: "already holds"},
		{name: "dtype", dst: f64, q: q, err: "float32"},
		{name: "nil", dst: other, q: nil, err: "nil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.dst.Share(tc.q)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Share: %v, want an error saying %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.dst.Lookup("a/w") != q {
				t.Error("the store does not hold the shared parameter itself")
			}
			got, err := tc.dst.Get("a/w", []int{2}, graph.Zeros)
			if err != nil || got != q {
				t.Errorf("Get after Share = %v, %v; want the shared parameter", got, err)
			}
		})
	}
}

// TestSetFrozen checks that a graph reports the frozen flag of the layer
// being built.
func TestSetFrozen(t *testing.T) {
	p, _ := graph.NewParams(tensor.Float32, 1)
	g := graph.New(p, graph.Training(true))
	for _, want := range []bool{false, true, false} {
		t.Run("", func(t *testing.T) {
			g.SetFrozen(want)
			if g.Frozen() != want || !g.Training() {
				t.Errorf("Frozen() = %v, Training() = %v; want %v, true", g.Frozen(), g.Training(), want)
			}
		})
	}
}
