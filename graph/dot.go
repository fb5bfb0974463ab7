package graph

// DOT returns the graph in Graphviz's DOT language, as Gorgonia's
// ExprGraph.ToDot writes it: one node per operation, parameter and input,
// grouped into clusters, with an edge from each input of an operation to
// the operation. Render it with, for example, `dot -Tsvg graph.dot`.
//
// A graph that has been compiled with a loss includes its gradient nodes.
// Gorgonia's writer can panic on a graph it does not expect; DOT returns
// that as an error instead.
func (g *Graph) DOT() (s string, err error) {
	defer recoverAs(&err, "graph: dot")
	return g.g.ToDot(), nil
}
