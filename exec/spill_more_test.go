package exec_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// spillRuns gives every run of a PlanTest a small memory pool and records its metrics, so the
// test can check afterwards that each run really spilled.
type spillRuns struct {
	limit int64
	pools []*exec.MemoryPool
}

func (s *spillRuns) setup(t *testing.T, tc *exec.TaskContext, _ []exectest.Table) {
	pool := exec.NewMemoryPool(s.limit)
	pool.SpillDir = t.TempDir()
	tc.SetMemoryPool(pool)
	s.pools = append(s.pools, pool)
}

func (s *spillRuns) requireSpilled(t *testing.T) {
	t.Helper()
	require.NotEmpty(t, s.pools)
	for i, pool := range s.pools {
		require.Greater(t, pool.SpilledBytes(), int64(0), "run %d did not spill", i)
	}
}

// TestNestedLoopJoinSpills joins without equality keys over a build side several times the
// memory pool: the build side goes to disk in blocks, each joined with a replay of the probe
// side, and every join type gives the nested-loop reference's answer.
func TestNestedLoopJoinSpills(t *testing.T) {
	var left, right exectest.Rows
	for i := 0; i < 20; i++ {
		left = append(left, []any{int64(i % 23), fmt.Sprintf("left row %d", i)})
	}
	for i := 0; i < 100; i++ {
		right = append(right, []any{int64((i * 7) % 41), float64(i)})
	}
	left = append(left, []any{nil, "null key"})
	right = append(right, []any{nil, -1.0})
	inputs := []exectest.Table{exectest.NewTable(joinLeftSchema, left), exectest.NewTable(joinRightSchema, right)}
	both := arrow.NewSchema(append(append([]arrow.Field(nil), joinLeftSchema.Fields()...), joinRightSchema.Fields()...), nil)
	// l.k > r.k + 10: about half the left rows match nothing, the others match several.
	cond := &logical.Call{Function: "gt", Type: boolType, Null: true, Args: []logical.Expr{
		exectest.Col(both, 0),
		&logical.Call{Function: "add", Type: int64Type, Null: true, Args: []logical.Expr{exectest.Col(both, 2), logical.NewLiteral(scalar.NewInt64Scalar(10))}},
	}}
	match := func(l, r []any) bool { return l[0] != nil && r[0] != nil && asInt64(l[0]) > asInt64(r[0])+10 }
	for _, jt := range []logical.JoinType{logical.InnerJoin, logical.LeftOuterJoin, logical.RightOuterJoin, logical.FullOuterJoin,
		logical.LeftSemiJoin, logical.LeftAntiJoin, logical.CrossJoin} {
		runs := &spillRuns{limit: 1 << 10}
		exectest.RunPlan(t, exectest.PlanTest{
			Name:            jt.String(),
			Inputs:          inputs,
			NoNullInjection: true,
			Setup:           runs.setup,
			Plan: func(s []*exectest.Source) physical.Node {
				node := &physical.HashJoin{Left: s[0], Right: s[1], Type: jt, Build: physical.BuildRight,
					OutSchema: nullableSchema(joinOutSchema(jt), jt)}
				if jt != logical.CrossJoin {
					node.Condition = cond
				}
				return node
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				return referenceNestedLoop(in[0].AllRows(), in[1].AllRows(), jt, match), nil
			},
		})
		runs.requireSpilled(t)
	}
}

// referenceNestedLoop joins rows pair by pair; match nil means every pair matches (cross join).
func referenceNestedLoop(left, right exectest.Rows, jt logical.JoinType, match func(l, r []any) bool) exectest.Rows {
	var out exectest.Rows
	rightMatched := make([]bool, len(right))
	for _, l := range left {
		matched := false
		for j, r := range right {
			if jt != logical.CrossJoin && !match(l, r) {
				continue
			}
			matched = true
			rightMatched[j] = true
			if jt != logical.LeftSemiJoin && jt != logical.LeftAntiJoin {
				out = append(out, append(append([]any{}, l...), r...))
			}
		}
		switch {
		case jt == logical.LeftSemiJoin && matched, jt == logical.LeftAntiJoin && !matched:
			out = append(out, l)
		case !matched && (jt == logical.LeftOuterJoin || jt == logical.FullOuterJoin):
			out = append(out, append(append([]any{}, l...), nil, nil))
		}
	}
	if jt == logical.RightOuterJoin || jt == logical.FullOuterJoin {
		for j, r := range right {
			if !rightMatched[j] {
				out = append(out, append([]any{nil, nil}, r...))
			}
		}
	}
	return out
}

// TestSetOperationSpills runs INTERSECT/EXCEPT [ALL] with count maps about 8 times the memory
// pool: both maps and the rest of both inputs go to disk in hash parts, and the answer is the
// multiset reference's. (python/tests/test_memory_spill_operators.py covers parts split again.)
func TestSetOperationSpills(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var left, right exectest.Rows
	for i := 0; i < 300; i++ {
		left = append(left, []any{int64(i % 97), fmt.Sprintf("value %d", i%5)})
	}
	for i := 0; i < 200; i++ {
		right = append(right, []any{int64((i * 3) % 89), fmt.Sprintf("value %d", i%3)})
	}
	left = append(left, []any{nil, "null"}, []any{nil, "null"})
	right = append(right, []any{nil, "null"})
	key := func(r []any) string { return fmt.Sprint(r...) }
	for _, kind := range []logical.SetOperationKind{logical.Intersect, logical.Except} {
		for _, all := range []bool{false, true} {
			runs := &spillRuns{limit: 4 << 10}
			exectest.RunPlan(t, exectest.PlanTest{
				Name:            fmt.Sprintf("kind=%d/all=%t", kind, all),
				Inputs:          []exectest.Table{exectest.NewTable(schema, left), exectest.NewTable(schema, right)},
				NoNullInjection: true,
				Setup:           runs.setup,
				Plan: func(s []*exectest.Source) physical.Node {
					return &physical.SetOperation{Left: s[0], Right: s[1], Kind: kind, All: all}
				},
				Expected: func(in []exectest.Table) (exectest.Rows, error) {
					rightCount := map[string]int{}
					for _, r := range in[1].AllRows() {
						rightCount[key(r)]++
					}
					seen := map[string]int{}
					var out exectest.Rows
					for _, r := range in[0].AllRows() {
						k := key(r)
						n, count := seen[k], rightCount[k]
						seen[k]++
						if (kind == logical.Intersect && !all && n == 0 && count > 0) || (kind == logical.Intersect && all && n < count) ||
							(kind == logical.Except && !all && n == 0 && count == 0) || (kind == logical.Except && all && n >= count) {
							out = append(out, r)
						}
					}
					return out, nil
				},
			})
			runs.requireSpilled(t)
		}
	}
}

// TestWindowOverTheMemoryLimit computes windows over input several times the memory pool: the
// operator emits the window partitions it holds completely whenever the pool fills, and the
// answer is the plain-Go reference's. (Before, gathering the whole input failed.)
func TestWindowOverTheMemoryLimit(t *testing.T) {
	var rows exectest.Rows
	for i := 0; i < 600; i++ {
		// t is unique within each k, so every ordering is defined.
		var k, v any = int64(i % 37), int64((i*13)%50 - 25)
		if i%53 == 0 {
			k = nil
		}
		if i%7 == 0 {
			v = nil
		}
		rows = append(rows, []any{k, int64(i), v})
	}
	in := exectest.Table{Schema: windowSchema, Partitions: []exectest.Rows{rows[:250], rows[250:]}}
	k, tt, v := exectest.Col(windowSchema, 0), exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
	rowFrame := &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}}
	whole := &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}, Upper: logical.FrameBound{Unbounded: true}}
	functions := []*logical.WindowExpr{
		{Function: &logical.Call{Function: "row_number", Type: arrow.PrimitiveTypes.Int32}, Frame: rowFrame},
		{Function: &logical.Call{Function: "lag", Type: arrow.PrimitiveTypes.Int64, Null: true, Args: []logical.Expr{v,
			logical.NewLiteral(scalar.NewInt64Scalar(1)), logical.NewLiteral(scalar.NewInt64Scalar(-99))}},
			Frame: &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Offset: -1}, Upper: logical.FrameBound{Offset: -1}}},
		{Function: &logical.AggregateCall{Function: "sum", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true}, Frame: logical.DefaultFrame(true)},
		{Function: &logical.AggregateCall{Function: "sum", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true}, Frame: whole},
	}
	out := arrow.NewSchema(append(append([]arrow.Field(nil), windowSchema.Fields()...),
		arrow.Field{Name: "rn", Type: arrow.PrimitiveTypes.Int32}, arrow.Field{Name: "lag", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "running", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "total", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), nil)
	runs := &spillRuns{limit: 4 << 10}
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		// NULLs are placed above: injected ones would make the NULL key one partition larger
		// than the limit.
		NoNullInjection: true,
		Setup:           runs.setup,
		Plan: func(s []*exectest.Source) physical.Node {
			sorted := &physical.Sort{Input: &physical.CoalescePartitions{Input: s[0]}, Order: []*logical.SortOrder{{Child: k}, {Child: tt}}}
			return &physical.Window{Input: sorted, PartitionSpec: []logical.Expr{k}, OrderSpec: []*logical.SortOrder{{Child: tt}}, Functions: functions, OutSchema: out}
		},
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			groups := map[any][][]any{}
			for _, r := range in[0].AllRows() {
				groups[r[0]] = append(groups[r[0]], r)
			}
			var res exectest.Rows
			for _, group := range groups {
				slices.SortFunc(group, func(a, b []any) int { return cmp.Compare(asInt64(a[1]), asInt64(b[1])) })
				var total, running any
				for _, r := range group {
					if r[2] != nil {
						total = addNullable(total, asInt64(r[2]))
					}
				}
				for i, r := range group {
					var lag any = int64(-99)
					if i > 0 {
						lag = group[i-1][2]
					}
					if r[2] != nil {
						running = addNullable(running, asInt64(r[2]))
					}
					res = append(res, append(append([]any{}, r...), int64(i+1), lag, running, total))
				}
			}
			return res, nil
		},
	})
}

func addNullable(sum any, v int64) any {
	if sum == nil {
		return v
	}
	return sum.(int64) + v
}

// TestWindowPartitionLargerThanTheLimitFails: one window partition (no PARTITION BY) over input
// several times the pool is spilled and computed in chunks, but a frame running to UNBOUNDED
// FOLLOWING from each row needs every later row, so the window fails with RESOURCE_EXHAUSTED
// instead of growing past the limit (window_spill_test.go covers the frames that work).
func TestWindowPartitionLargerThanTheLimitFails(t *testing.T) {
	var rows exectest.Rows
	for i := 0; i < 600; i++ {
		rows = append(rows, []any{int64(i % 37), int64(i), int64(i)})
	}
	tt, v := exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
	functions := []*logical.WindowExpr{{Function: &logical.AggregateCall{Function: "sum", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true},
		Frame: &logical.WindowFrame{Type: logical.RowFrame, Upper: logical.FrameBound{Unbounded: true}}}}
	out := arrow.NewSchema(append(append([]arrow.Field(nil), windowSchema.Fields()...), arrow.Field{Name: "rest", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), nil)
	runs := &spillRuns{limit: 4 << 10}
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs:          []exectest.Table{exectest.NewTable(windowSchema, rows)},
		NoNullInjection: true,
		Setup:           runs.setup,
		Plan: func(s []*exectest.Source) physical.Node {
			sorted := &physical.Sort{Input: s[0], Order: []*logical.SortOrder{{Child: tt}}}
			return &physical.Window{Input: sorted, OrderSpec: []*logical.SortOrder{{Child: tt}}, Functions: functions, OutSchema: out}
		},
		Expected: func([]exectest.Table) (exectest.Rows, error) { return nil, errkind.ErrResourceExhausted },
	})
}
