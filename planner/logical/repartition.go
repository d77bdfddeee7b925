package logical

import (
	"fmt"
	"strings"
)

// RepartitionKind says how Repartition distributes rows.
type RepartitionKind int

const (
	// RoundRobinPartitioning spreads rows evenly (repartition(n)).
	RoundRobinPartitioning RepartitionKind = iota
	// HashPartitioning sends equal keys to the same partition (repartition(n, *cols)).
	HashPartitioning
	// RangePartitioning splits by sampled key bounds (repartitionByRange).
	RangePartitioning
	// CoalescePartitioning merges neighbouring partitions without a shuffle (coalesce(n)).
	CoalescePartitioning
)

// Repartition changes the partitioning of its input. Expressions are the hash keys, or the sort
// orders of a range partitioning.
type Repartition struct {
	Input         Plan
	Kind          RepartitionKind
	NumPartitions int
	Expressions   []Expr
}

func (r *Repartition) Output() []*ColumnRef { return r.Input.Output() }
func (r *Repartition) Children() []Plan     { return []Plan{r.Input} }
func (r *Repartition) WithChildren(c []Plan) Plan {
	cp := *r
	cp.Input = c[0]
	return &cp
}
func (r *Repartition) Describe() string {
	switch r.Kind {
	case HashPartitioning:
		return fmt.Sprintf("RepartitionByExpression [%s], %d", JoinExprs(r.Expressions, ", "), r.NumPartitions)
	case RangePartitioning:
		parts := make([]string, len(r.Expressions))
		for i, e := range r.Expressions {
			parts[i] = e.String()
		}
		return fmt.Sprintf("RepartitionByRange [%s], %d", strings.Join(parts, ", "), r.NumPartitions)
	case CoalescePartitioning:
		return fmt.Sprintf("Repartition %d, false", r.NumPartitions)
	}
	return fmt.Sprintf("Repartition %d, true", r.NumPartitions)
}
