package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Sort sorts each partition of its input. A global sort is a range exchange (partition i holds
// keys before partition i+1) followed by this. Limit > 0 keeps only the first Limit rows.
type Sort struct {
	Input Node
	// Order is bound to the input schema.
	Order []*logical.SortOrder
	Limit int64
}

func (s *Sort) Schema() *arrow.Schema { return s.Input.Schema() }
func (s *Sort) Children() []Node      { return []Node{s.Input} }
func (s *Sort) NumPartitions() int    { return s.Input.NumPartitions() }
func (s *Sort) Describe() string {
	out := "Sort [" + describeOrders(s.Order) + "]"
	if s.Limit > 0 {
		out = fmt.Sprintf("TopK %d [%s]", s.Limit, describeOrders(s.Order))
	}
	return out
}

func describeOrders(orders []*logical.SortOrder) string {
	parts := make([]string, len(orders))
	for i, o := range orders {
		parts[i] = o.String()
	}
	return strings.Join(parts, ", ")
}

// Tail keeps the last Count rows of its single input partition.
type Tail struct {
	Input Node
	Count int64
}

func (t *Tail) Schema() *arrow.Schema { return t.Input.Schema() }
func (t *Tail) Children() []Node      { return []Node{t.Input} }
func (t *Tail) NumPartitions() int    { return 1 }
func (t *Tail) Describe() string      { return fmt.Sprintf("Tail %d", t.Count) }

func init() {
	RegisterLowering(&logical.Sort{}, lowerSort)
	RegisterLowering(&logical.Tail{}, func(p *Planner, n logical.Plan) (Node, error) {
		t := n.(*logical.Tail)
		input, err := p.Plan(t.Input)
		if err != nil {
			return nil, err
		}
		return &Tail{Input: SinglePartition(input), Count: t.Count}, nil
	})
}

// BindOrders binds sort keys to attrs.
func BindOrders(orders []*logical.SortOrder, attrs []*logical.ColumnRef) ([]*logical.SortOrder, error) {
	out := make([]*logical.SortOrder, len(orders))
	for i, o := range orders {
		b, err := Bind(o.Child, attrs)
		if err != nil {
			return nil, err
		}
		out[i] = &logical.SortOrder{Child: b, Direction: o.Direction, Nulls: o.Nulls}
	}
	return out, nil
}

func lowerSort(p *Planner, n logical.Plan) (Node, error) {
	s := n.(*logical.Sort)
	input, err := p.Plan(s.Input)
	if err != nil {
		return nil, err
	}
	order, err := BindOrders(s.Order, s.Input.Output())
	if err != nil {
		return nil, err
	}
	if !s.Global || input.NumPartitions() == 1 {
		return &Sort{Input: input, Order: order, Limit: s.Limit}, nil
	}
	if s.Limit > 0 {
		// Top-K: each partition keeps its first Limit rows, one task merges them.
		local := &Sort{Input: input, Order: order, Limit: s.Limit}
		return &Sort{Input: SinglePartition(local), Order: order, Limit: s.Limit}, nil
	}
	if size, _ := EstimateSize(s.Input); size <= singleTaskSortBytes {
		return &Sort{Input: SinglePartition(input), Order: order}, nil
	}
	return &Sort{Input: RangeDistribute(input, order, max(p.DefaultParallelism, input.NumPartitions())), Order: order}, nil
}

// singleTaskSortBytes is the estimated input size up to which a global sort gathers its input
// into one task instead of range partitioning it. Range bounds are sampled by running every
// input partition once more before the exchange starts: over an aggregate that re-runs the
// aggregate (TPC-H Q16: a quarter of the query's CPU, for 18,000 result rows), which costs more
// than sorting a few MB in one task. Estimates over-count aggregates (Q16's is 17 MB).
const singleTaskSortBytes = 32 << 20

// RangeDistribute repartitions node so partition i holds the keys ordered before partition
// i+1's (bounds sampled at run time); one partition when exchanges are not available.
func RangeDistribute(node Node, order []*logical.SortOrder, n int) Node {
	if !ExchangeAvailable() {
		return SinglePartition(node)
	}
	return &Exchange{Input: node, Partitioning: Partitioning{Kind: RangePartitioning, NumPartitions: n, SortOrders: order}}
}
