package physical

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Union concatenates its inputs' partitions: partition i of the union is partition i of the
// first input, then the second input's partitions follow, and so on. No rows move.
type Union struct {
	Inputs    []Node
	OutSchema *arrow.Schema
}

func (u *Union) Schema() *arrow.Schema { return u.OutSchema }
func (u *Union) Children() []Node      { return u.Inputs }
func (u *Union) NumPartitions() int {
	n := 0
	for _, in := range u.Inputs {
		n += in.NumPartitions()
	}
	return n
}
func (u *Union) Describe() string { return fmt.Sprintf("Union (%d inputs)", len(u.Inputs)) }

// InputPartition maps a union partition to its input and the input's partition.
func (u *Union) InputPartition(partition int) (Node, int) {
	for _, in := range u.Inputs {
		if partition < in.NumPartitions() {
			return in, partition
		}
		partition -= in.NumPartitions()
	}
	return nil, -1
}

// SetOperation is INTERSECT [ALL] or EXCEPT [ALL] over inputs partitioned alike on every column:
// task i compares partition i of both sides.
type SetOperation struct {
	Left, Right Node
	Kind        logical.SetOperationKind
	All         bool
}

func (s *SetOperation) Schema() *arrow.Schema { return s.Left.Schema() }
func (s *SetOperation) Children() []Node      { return []Node{s.Left, s.Right} }
func (s *SetOperation) NumPartitions() int    { return s.Left.NumPartitions() }
func (s *SetOperation) Describe() string {
	name := "HashIntersect"
	if s.Kind == logical.Except {
		name = "HashExcept"
	}
	if s.All {
		name += " All"
	}
	return name
}

// Coalesce merges neighbouring input partitions into Partitions partitions without a shuffle.
type Coalesce struct {
	Input      Node
	Partitions int
}

func (c *Coalesce) Schema() *arrow.Schema { return c.Input.Schema() }
func (c *Coalesce) Children() []Node      { return []Node{c.Input} }
func (c *Coalesce) NumPartitions() int    { return c.Partitions }
func (c *Coalesce) Describe() string      { return fmt.Sprintf("Coalesce %d", c.Partitions) }

// InputRange is the input partitions [lo, hi) that output partition i reads.
func (c *Coalesce) InputRange(i int) (int, int) {
	n := c.Input.NumPartitions()
	return i * n / c.Partitions, (i + 1) * n / c.Partitions
}

// Sample keeps a random subset of each partition (see logical.Sample).
type Sample struct {
	Input                  Node
	LowerBound, UpperBound float64
	WithReplacement        bool
	Seed                   int64
}

func (s *Sample) Schema() *arrow.Schema { return s.Input.Schema() }
func (s *Sample) Children() []Node      { return []Node{s.Input} }
func (s *Sample) NumPartitions() int    { return s.Input.NumPartitions() }
func (s *Sample) Describe() string {
	return fmt.Sprintf("Sample %g, %g, %t, %d", s.LowerBound, s.UpperBound, s.WithReplacement, s.Seed)
}

func init() {
	RegisterLowering(&logical.Union{}, lowerUnion)
	RegisterLowering(&logical.SetOperation{}, lowerSetOperation)
	RegisterLowering(&logical.Repartition{}, lowerRepartition)
	RegisterLowering(&logical.Sample{}, lowerSample)
}

func lowerUnion(p *Planner, n logical.Plan) (Node, error) {
	u := n.(*logical.Union)
	out := &Union{OutSchema: logical.OutputSchema(u)}
	for _, in := range u.Inputs {
		node, err := p.Plan(in)
		if err != nil {
			return nil, err
		}
		out.Inputs = append(out.Inputs, node)
	}
	return out, nil
}

func lowerSetOperation(p *Planner, n logical.Plan) (Node, error) {
	s := n.(*logical.SetOperation)
	left, err := p.Plan(s.Left)
	if err != nil {
		return nil, err
	}
	right, err := p.Plan(s.Right)
	if err != nil {
		return nil, err
	}
	keys := func(schema *arrow.Schema) []logical.Expr {
		out := make([]logical.Expr, schema.NumFields())
		for i, f := range schema.Fields() {
			out[i] = &logical.BoundRef{Ordinal: i, ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
		}
		return out
	}
	parts := max(p.DefaultParallelism, 1)
	return &SetOperation{Left: HashDistribute(left, keys(left.Schema()), parts), Right: HashDistribute(right, keys(right.Schema()), parts), Kind: s.Kind, All: s.All}, nil
}

func lowerRepartition(p *Planner, n logical.Plan) (Node, error) {
	r := n.(*logical.Repartition)
	input, err := p.Plan(r.Input)
	if err != nil {
		return nil, err
	}
	attrs := r.Input.Output()
	switch r.Kind {
	case logical.CoalescePartitioning:
		if r.NumPartitions >= input.NumPartitions() {
			return input, nil
		}
		return &Coalesce{Input: input, Partitions: r.NumPartitions}, nil
	case logical.RoundRobinPartitioning:
		if !ExchangeAvailable() {
			return SinglePartition(input), nil
		}
		return &Exchange{Input: input, Partitioning: Partitioning{Kind: RoundRobinPartitioning, NumPartitions: r.NumPartitions}}, nil
	case logical.HashPartitioning:
		keys := make([]logical.Expr, len(r.Expressions))
		for i, e := range r.Expressions {
			if keys[i], err = Bind(e, attrs); err != nil {
				return nil, err
			}
		}
		return HashDistribute(input, keys, r.NumPartitions), nil
	case logical.RangePartitioning:
		orders := make([]*logical.SortOrder, len(r.Expressions))
		for i, e := range r.Expressions {
			orders[i] = e.(*logical.SortOrder)
		}
		bound, err := BindOrders(orders, attrs)
		if err != nil {
			return nil, err
		}
		return RangeDistribute(input, bound, r.NumPartitions), nil
	}
	return nil, errkind.Internal("unknown repartitioning %v", r.Kind)
}

func lowerSample(p *Planner, n logical.Plan) (Node, error) {
	s := n.(*logical.Sample)
	input, err := p.Plan(s.Input)
	if err != nil {
		return nil, err
	}
	return &Sample{Input: input, LowerBound: s.LowerBound, UpperBound: s.UpperBound, WithReplacement: s.WithReplacement, Seed: s.Seed}, nil
}
