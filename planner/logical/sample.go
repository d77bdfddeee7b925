package logical

import "fmt"

// Sample keeps a random subset of rows: each row draws u in [0, 1) from a generator seeded by
// Seed and the partition index, and is kept when LowerBound <= u < UpperBound (Bernoulli). With
// replacement a row is repeated Poisson(UpperBound-LowerBound) times instead. Disjoint bounds
// with one seed give disjoint samples, which is how randomSplit works.
type Sample struct {
	Input                  Plan
	LowerBound, UpperBound float64
	WithReplacement        bool
	Seed                   int64
}

func (s *Sample) Output() []*ColumnRef { return s.Input.Output() }
func (s *Sample) Children() []Plan     { return []Plan{s.Input} }
func (s *Sample) WithChildren(c []Plan) Plan {
	cp := *s
	cp.Input = c[0]
	return &cp
}
func (s *Sample) Describe() string {
	return fmt.Sprintf("Sample %g, %g, %t, %d", s.LowerBound, s.UpperBound, s.WithReplacement, s.Seed)
}
