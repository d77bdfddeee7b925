package exec_test

import (
	"fmt"
	"testing"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// TestHashJoinKeyLayouts joins build keys spread over about 35 values per row (the integer
// table's ranked layout) with a probe side whose first partition matches one build row per row
// in order (output sliced from the probe batch) and whose second has misses, duplicates of
// matches and keys outside the build range.
func TestHashJoinKeyLayouts(t *testing.T) {
	var build, probe, misses exectest.Rows
	for i := 0; i < 40; i++ {
		build = append(build, []any{int64(i * 37), float64(i)})
		probe = append(probe, []any{int64((i * 7 % 40) * 37), fmt.Sprintf("p%d", i)})
	}
	build = append(build, []any{int64(5 * 37), -1.0}) // a duplicate key
	for i := 0; i < 30; i++ {
		misses = append(misses, []any{int64(i*53 - 100), fmt.Sprintf("m%d", i)})
	}
	inputs := []exectest.Table{
		{Schema: joinLeftSchema, Partitions: []exectest.Rows{probe, misses}},
		{Schema: joinRightSchema, Partitions: []exectest.Rows{build}},
	}
	for _, jt := range []logical.JoinType{logical.InnerJoin, logical.LeftOuterJoin, logical.LeftSemiJoin, logical.LeftAntiJoin} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   jt.String(),
			Inputs: inputs,
			Plan: func(s []*exectest.Source) physical.Node {
				return &physical.HashJoin{Left: s[0], Right: s[1], Type: jt,
					LeftKeys: []logical.Expr{exectest.Col(joinLeftSchema, 0)}, RightKeys: []logical.Expr{exectest.Col(joinRightSchema, 0)},
					NullSafe: []bool{false}, Build: physical.BuildRight, Broadcast: true, OutSchema: nullableSchema(joinOutSchema(jt), jt)}
			},
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				return referenceJoin(in[0].AllRows(), in[1].AllRows(), jt, nil), nil
			},
		})
	}
}
