package exec_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// TestBroadcastLeftBuildSemiAntiJoin runs semi and anti joins that broadcast their left
// (tested) side and stream the right side's partitions in several tasks, as the scheduler makes
// them when the left side's stage turns out small: the tasks share one hash table and one set
// of marks, so each left row is emitted once by the task that matched it first (semi), or once,
// by the last task to finish, when no task matched it (anti). The left side has repeated keys
// and NULL keys; the right side's partitions repeat keys across tasks. Compared with a
// nested-loop reference, at every source batch size, with and without injected NULLs, on a
// checked allocator.
func TestBroadcastLeftBuildSemiAntiJoin(t *testing.T) {
	var left exectest.Rows
	for i := 0; i < 120; i++ {
		left = append(left, []any{int64(i % 45), fmt.Sprintf("l%d", i)})
	}
	left = append(left, []any{nil, "null key"})
	rightParts := make([]exectest.Rows, 3)
	for i := 0; i < 150; i++ {
		if i%5 == 0 {
			continue
		}
		rightParts[i%3] = append(rightParts[i%3], []any{int64(i % 60), float64(i % 17)})
	}
	rightParts[1] = append(rightParts[1], []any{nil, 3.0})
	inputs := []exectest.Table{
		{Schema: joinLeftSchema, Partitions: []exectest.Rows{left[:70], left[70:]}},
		{Schema: joinRightSchema, Partitions: rightParts},
	}
	both := arrow.NewSchema(append(append([]arrow.Field(nil), joinLeftSchema.Fields()...), joinRightSchema.Fields()...), nil)
	// Residual: v > k, so that keys below 17 match only some of their partners.
	residual := &logical.Call{Function: "gt", Type: arrow.FixedWidthTypes.Boolean, Null: true, Args: []logical.Expr{
		exectest.Col(both, 3), &logical.Cast{Child: exectest.Col(both, 0), To: arrow.PrimitiveTypes.Float64}}}
	residualRef := func(l, r []any) bool { return r[1] != nil && r[1].(float64) > float64(asInt64(l[0])) }
	for _, jt := range []logical.JoinType{logical.LeftSemiJoin, logical.LeftAntiJoin} {
		for _, withResidual := range []bool{false, true} {
			for _, nulls := range []bool{false, true} {
				for _, size := range exectest.BatchSizes {
					name := fmt.Sprintf("%s/residual=%t/nulls=%t/batch=%d", jt, withResidual, nulls, size)
					t.Run(name, func(t *testing.T) {
						in := []exectest.Table{exectest.NormalizeTable(inputs[0]), exectest.NormalizeTable(inputs[1])}
						if nulls {
							in = exectest.InjectNulls(in, int64(len(name)))
						}
						var cond func(l, r []any) bool
						if withResidual {
							cond = residualRef
						}
						want := referenceJoin(in[0].AllRows(), in[1].AllRows(), jt, cond)

						mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
						defer mem.AssertSize(t, 0)
						tc := exectest.NewTaskContext(mem)
						defer tc.Store.Close()
						tc.BatchSize = size
						tc.SetTaskSlots(2)
						join := &physical.HashJoin{
							Left:  &physical.Exchange{Input: &exectest.Source{Table: in[0]}, Partitioning: physical.Partitioning{Kind: physical.BroadcastPartitioning, NumPartitions: 1}},
							Right: &exectest.Source{Table: in[1]}, Type: jt,
							LeftKeys: []logical.Expr{exectest.Col(joinLeftSchema, 0)}, RightKeys: []logical.Expr{exectest.Col(joinRightSchema, 0)},
							NullSafe: []bool{false}, Build: physical.BuildLeft, Broadcast: true, OutSchema: nullableSchema(joinLeftSchema, jt)}
						if withResidual {
							join.Condition = residual
						}
						// The join runs in a shuffle stage of three tasks, one per right partition.
						root := &physical.Exchange{Input: join, Partitioning: physical.Partitioning{Kind: physical.HashPartitioning, NumPartitions: 2,
							Keys: []logical.Expr{exectest.Col(joinLeftSchema, 1)}}}
						parts, _, _, err := exec.CollectResult(context.Background(), tc, root)
						if err != nil {
							t.Fatal(err)
						}
						var got exectest.Rows
						for _, p := range parts {
							for _, b := range p {
								got = append(got, exectest.BatchRows(b)...)
								b.Release()
							}
						}
						if !exectest.RowsEqual(want, got, false) {
							t.Fatalf("want %d rows: %v\ngot %d rows: %v", len(want), want, len(got), got)
						}
					})
				}
			}
		}
	}
}
