package exec_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var (
	joinLeftSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	joinRightSchema = arrow.NewSchema([]arrow.Field{
		{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
)

func joinInputs() []exectest.Table {
	left := exectest.Table{Schema: joinLeftSchema, Partitions: []exectest.Rows{
		{{1, "a"}, {2, "b"}, {2, "c"}, {nil, "d"}, {5, "e"}},
		{{7, "f"}, {7, "g"}, {9, nil}, {3, "h"}},
	}}
	right := exectest.Table{Schema: joinRightSchema, Partitions: []exectest.Rows{
		{{2, 10.0}, {3, 20.0}, {nil, 30.0}, {7, 1.5}},
		{{5, nil}, {7, 70.0}, {11, 0.5}, {2, 2.5}},
	}}
	return []exectest.Table{left, right}
}

// referenceJoin is a nested-loop join over rows: null keys never match; cond, when set, must
// hold for a pair to match.
func referenceJoin(left, right exectest.Rows, jt logical.JoinType, cond func(l, r []any) bool) exectest.Rows {
	var out exectest.Rows
	rightMatched := make([]bool, len(right))
	nulls := func(n int) []any { return make([]any, n) }
	for _, l := range left {
		matched := false
		for j, r := range right {
			if l[0] == nil || r[0] == nil || asInt64(l[0]) != asInt64(r[0]) || (cond != nil && !cond(l, r)) {
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
			out = append(out, append(append([]any{}, l...), nulls(len(right[0]))...))
		}
	}
	if jt == logical.RightOuterJoin || jt == logical.FullOuterJoin {
		for j, r := range right {
			if !rightMatched[j] {
				out = append(out, append(nulls(len(left[0])), r...))
			}
		}
	}
	return out
}

func joinOutSchema(jt logical.JoinType) *arrow.Schema {
	if jt == logical.LeftSemiJoin || jt == logical.LeftAntiJoin {
		return joinLeftSchema
	}
	fields := append(append([]arrow.Field(nil), joinLeftSchema.Fields()...), joinRightSchema.Fields()...)
	return arrow.NewSchema(fields, nil)
}

func TestHashJoin(t *testing.T) {
	types := []logical.JoinType{logical.InnerJoin, logical.LeftOuterJoin, logical.RightOuterJoin, logical.FullOuterJoin, logical.LeftSemiJoin, logical.LeftAntiJoin}
	both := arrow.NewSchema(append(append([]arrow.Field(nil), joinLeftSchema.Fields()...), joinRightSchema.Fields()...), nil)
	// Residual: v > k (right value above the key).
	residual := &logical.Call{Function: "gt", Type: arrow.FixedWidthTypes.Boolean, Null: true, Args: []logical.Expr{
		exectest.Col(both, 3), &logical.Cast{Child: exectest.Col(both, 0), To: arrow.PrimitiveTypes.Float64}}}
	residualRef := func(l, r []any) bool { return r[1] != nil && r[1].(float64) > float64(asInt64(l[0])) }
	for _, jt := range types {
		for _, build := range []physical.JoinSide{physical.BuildRight, physical.BuildLeft} {
			if build == physical.BuildLeft && jt == logical.LeftOuterJoin {
				continue // the planner never builds the left side of these
			}
			for _, broadcast := range []bool{false, true} {
				if broadcast && (jt == logical.FullOuterJoin || (build == physical.BuildRight && jt == logical.RightOuterJoin) ||
					(build == physical.BuildLeft && (jt == logical.LeftSemiJoin || jt == logical.LeftAntiJoin))) {
					// Broadcast semi and anti joins that build the left side share their marks
					// through the broadcast stage (TestBroadcastLeftBuildSemiAntiJoin).
					continue
				}
				for _, withResidual := range []bool{false, true} {
					jt, build, broadcast, withResidual := jt, build, broadcast, withResidual
					name := fmt.Sprintf("%s/build=%d/broadcast=%t/residual=%t", jt, build, broadcast, withResidual)
					exectest.RunPlan(t, exectest.PlanTest{
						Name:   name,
						Inputs: joinInputs(),
						Plan: func(s []*exectest.Source) physical.Node {
							node := &physical.HashJoin{Left: s[0], Right: s[1], Type: jt,
								LeftKeys: []logical.Expr{exectest.Col(joinLeftSchema, 0)}, RightKeys: []logical.Expr{exectest.Col(joinRightSchema, 0)},
								NullSafe: []bool{false}, Build: build, Broadcast: broadcast, OutSchema: nullableSchema(joinOutSchema(jt), jt)}
							if withResidual {
								node.Condition = residual
							}
							return node
						},
						Expected: func(in []exectest.Table) (exectest.Rows, error) {
							var cond func(l, r []any) bool
							if withResidual {
								cond = residualRef
							}
							if broadcast {
								return referenceJoin(in[0].AllRows(), in[1].AllRows(), jt, cond), nil
							}
							// Partitioned: partition i joins with partition i.
							var out exectest.Rows
							for p := range in[0].Partitions {
								out = append(out, referenceJoin(in[0].Partitions[p], in[1].Partitions[p], jt, cond)...)
							}
							return out, nil
						},
					})
				}
			}
		}
	}
}

func nullableSchema(s *arrow.Schema, jt logical.JoinType) *arrow.Schema {
	fields := append([]arrow.Field(nil), s.Fields()...)
	for i := range fields {
		fields[i].Nullable = true
	}
	return arrow.NewSchema(fields, nil)
}

func TestNestedLoopJoin(t *testing.T) {
	both := arrow.NewSchema(append(append([]arrow.Field(nil), joinLeftSchema.Fields()...), joinRightSchema.Fields()...), nil)
	// l.k < r.k, a non-equi condition.
	cond := &logical.Call{Function: "lt", Type: arrow.FixedWidthTypes.Boolean, Null: true, Args: []logical.Expr{exectest.Col(both, 0), exectest.Col(both, 2)}}
	for _, jt := range []logical.JoinType{logical.InnerJoin, logical.LeftOuterJoin, logical.LeftAntiJoin, logical.CrossJoin} {
		jt := jt
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   jt.String(),
			Inputs: joinInputs(),
			Plan: func(s []*exectest.Source) physical.Node {
				node := &physical.HashJoin{Left: s[0], Right: s[1], Type: jt, Build: physical.BuildRight, Broadcast: true,
					OutSchema: nullableSchema(joinOutSchema(jt), jt)}
				if jt != logical.CrossJoin {
					node.Condition = cond
				}
				return node
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				var out exectest.Rows
				for _, l := range in[0].AllRows() {
					matched := false
					for _, r := range in[1].AllRows() {
						ok := jt == logical.CrossJoin || (l[0] != nil && r[0] != nil && asInt64(l[0]) < asInt64(r[0]))
						if ok {
							matched = true
							if jt != logical.LeftAntiJoin {
								out = append(out, append(append([]any{}, l...), r...))
							}
						}
					}
					if !matched && jt == logical.LeftOuterJoin {
						out = append(out, append(append([]any{}, l...), nil, nil))
					}
					if !matched && jt == logical.LeftAntiJoin {
						out = append(out, l)
					}
				}
				return out, nil
			},
		})
	}
}

func asInt64(v any) int64 {
	switch x := v.(type) {
	case int:
		return int64(x)
	case int64:
		return x
	}
	panic(fmt.Sprintf("not an integer: %T", v))
}

// TestGraceHashJoin joins a build side larger than the memory pool: both sides go to disk in
// hash partitions and are joined partition by partition, with the same result as in memory.
func TestGraceHashJoin(t *testing.T) {
	var left, right exectest.Rows
	for i := 0; i < 200; i++ {
		left = append(left, []any{int64(i % 50), fmt.Sprintf("l%d", i)})
		if i%4 != 0 {
			right = append(right, []any{int64(i % 70), float64(i)})
		}
	}
	left = append(left, []any{nil, "null key"})
	right = append(right, []any{nil, -1.0})
	for _, c := range []struct {
		jt    logical.JoinType
		build physical.JoinSide
	}{{logical.FullOuterJoin, physical.BuildRight}, {logical.LeftAntiJoin, physical.BuildRight}, {logical.LeftSemiJoin, physical.BuildLeft}, {logical.LeftAntiJoin, physical.BuildLeft}} {
		jt, build := c.jt, c.build
		exectest.RunPlan(t, exectest.PlanTest{
			Name:            fmt.Sprintf("%s/build=%d", jt, build),
			Inputs:          []exectest.Table{exectest.NewTable(joinLeftSchema, left), exectest.NewTable(joinRightSchema, right)},
			NoNullInjection: true,
			Setup: func(t *testing.T, tc *exec.TaskContext, _ []exectest.Table) {
				pool := exec.NewMemoryPool(1 << 10)
				pool.SpillDir = t.TempDir()
				tc.SetMemoryPool(pool)
			},
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.HashJoin{Left: s[0], Right: s[1], Type: jt,
					LeftKeys: []logical.Expr{exectest.Col(joinLeftSchema, 0)}, RightKeys: []logical.Expr{exectest.Col(joinRightSchema, 0)},
					NullSafe: []bool{false}, Build: build, OutSchema: nullableSchema(joinOutSchema(jt), jt)}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				return referenceJoin(in[0].AllRows(), in[1].AllRows(), jt, nil), nil
			},
		})
	}
}
