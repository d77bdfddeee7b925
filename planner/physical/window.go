package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Window evaluates window functions over its input, which is distributed by the partition keys
// and sorted by (partition keys, order keys) below it. Output: the input's columns, then one
// column per function.
type Window struct {
	Input Node
	// PartitionSpec and OrderSpec are bound to the input schema.
	PartitionSpec []logical.Expr
	OrderSpec     []*logical.SortOrder
	// Functions are the window expressions with bound arguments; their specs equal the node's.
	Functions []*logical.WindowExpr
	OutSchema *arrow.Schema
}

func (w *Window) Schema() *arrow.Schema { return w.OutSchema }
func (w *Window) Children() []Node      { return []Node{w.Input} }
func (w *Window) NumPartitions() int    { return w.Input.NumPartitions() }
func (w *Window) Describe() string {
	parts := make([]string, len(w.Functions))
	for i, f := range w.Functions {
		parts[i] = fmt.Sprintf("%s %s", f.Function.String(), f.Frame.String())
	}
	return fmt.Sprintf("Window [%s], [%s], [%s]", strings.Join(parts, ", "), logical.JoinExprs(w.PartitionSpec, ", "), describeOrders(w.OrderSpec))
}

func init() {
	RegisterLowering(&logical.Window{}, lowerWindow)
}

func lowerWindow(p *Planner, n logical.Plan) (Node, error) {
	w := n.(*logical.Window)
	input, err := p.Plan(w.Input)
	if err != nil {
		return nil, err
	}
	attrs := w.Input.Output()
	partition := make([]logical.Expr, len(w.PartitionSpec))
	for i, e := range w.PartitionSpec {
		if partition[i], err = Bind(e, attrs); err != nil {
			return nil, err
		}
	}
	order, err := BindOrders(w.OrderSpec, attrs)
	if err != nil {
		return nil, err
	}
	functions := make([]*logical.WindowExpr, len(w.Expressions))
	for i, a := range w.Expressions {
		we := a.Child.(*logical.WindowExpr)
		fn, err := Bind(we.Function, attrs)
		if err != nil {
			return nil, err
		}
		functions[i] = &logical.WindowExpr{Function: fn, PartitionSpec: partition, OrderSpec: order, Frame: we.Frame}
	}
	if len(partition) > 0 {
		input = HashDistribute(input, partition, max(p.DefaultParallelism, 1))
	} else {
		input = SinglePartition(input)
	}
	sortKeys := make([]*logical.SortOrder, 0, len(partition)+len(order))
	for _, e := range partition {
		sortKeys = append(sortKeys, &logical.SortOrder{Child: e})
	}
	sortKeys = append(sortKeys, order...)
	if len(sortKeys) > 0 {
		input = &Sort{Input: input, Order: sortKeys}
	}
	return &Window{Input: input, PartitionSpec: partition, OrderSpec: order, Functions: functions, OutSchema: logical.OutputSchema(w)}, nil
}
