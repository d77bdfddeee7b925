package exec_test

import (
	"cmp"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var windowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "t", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// TestWindow computes row_number, rank, lag and a running sum per partition over unsorted,
// (order keys are unique per partition, so row order is defined; ties are covered by the Python
// tests against DuckDB)
// multi-partition input (the plan sorts it as the planner would) and checks each row against a
// reference that groups and sorts in plain Go.
func TestWindow(t *testing.T) {
	var p0, p1 exectest.Rows
	for i := 0; i < 40; i++ {
		var k any = int64(i % 3)
		if i%11 == 0 {
			k = nil
		}
		row := []any{k, int64((i * 7) % 41), int64(i - 20)}
		if i%2 == 0 {
			p0 = append(p0, row)
		} else {
			p1 = append(p1, row)
		}
	}
	in := exectest.Table{Schema: windowSchema, Partitions: []exectest.Rows{p0, p1}}
	k, tt, v := exectest.Col(windowSchema, 0), exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
	order := []*logical.SortOrder{{Child: tt}}
	frameRows := &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}}
	running := logical.DefaultFrame(true)
	functions := []*logical.WindowExpr{
		{Function: &logical.Call{Function: "row_number", Type: arrow.PrimitiveTypes.Int32}, Frame: frameRows},
		{Function: &logical.Call{Function: "rank", Type: arrow.PrimitiveTypes.Int32}, Frame: frameRows},
		{Function: &logical.Call{Function: "lag", Type: arrow.PrimitiveTypes.Int64, Null: true, Args: []logical.Expr{v,
			logical.NewLiteral(scalar.NewInt64Scalar(1)), logical.NewLiteral(scalar.NewInt64Scalar(-99))}},
			Frame: &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Offset: -1}, Upper: logical.FrameBound{Offset: -1}}},
		{Function: &logical.AggregateCall{Function: "sum", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true}, Frame: running},
	}
	out := arrow.NewSchema(append(append([]arrow.Field(nil), windowSchema.Fields()...),
		arrow.Field{Name: "rn", Type: arrow.PrimitiveTypes.Int32}, arrow.Field{Name: "rk", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "lag", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "sum", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			sorted := &physical.Sort{Input: &physical.CoalescePartitions{Input: s[0]}, Order: []*logical.SortOrder{{Child: k}, {Child: tt}}}
			return &physical.Window{Input: sorted, PartitionSpec: []logical.Expr{k}, OrderSpec: order, Functions: functions, OutSchema: out}
		},
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			groups := map[any][][]any{}
			for _, r := range in[0].AllRows() {
				groups[r[0]] = append(groups[r[0]], r)
			}
			var res exectest.Rows
			for _, rows := range groups {
				slices.SortStableFunc(rows, func(a, b []any) int { return cmp.Compare(asInt64(a[1]), asInt64(b[1])) })
				for i, r := range rows {
					rank := i + 1
					for rank > 1 && asInt64(rows[rank-2][1]) == asInt64(r[1]) {
						rank--
					}
					var lag any = int64(-99)
					if i > 0 {
						lag = rows[i-1][2]
					}
					// RANGE frame: the running sum includes every peer with the same t.
					var sum any
					for _, x := range rows {
						if asInt64(x[1]) <= asInt64(r[1]) && x[2] != nil {
							if sum == nil {
								sum = int64(0)
							}
							sum = sum.(int64) + asInt64(x[2])
						}
					}
					res = append(res, append(append([]any{}, r...), int64(i+1), int64(rank), lag, sum))
				}
			}
			return res, nil
		},
	})
}
