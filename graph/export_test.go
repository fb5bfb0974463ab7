package graph

// SumSteps returns the number of m's steps that add on all cores in place
// of Gorgonia's addition (see sumOp).
func SumSteps(m *Machine) int {
	n := 0
	for _, s := range m.steps {
		if _, ok := s.op.(*sumOp); ok {
			n++
		}
	}
	return n
}
