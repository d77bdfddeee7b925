package exec_test

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// TestSetOperation checks INTERSECT/EXCEPT [ALL] against multiset counting in plain Go; NULLs
// compare equal to NULLs, as in Spark's set operations.
func TestSetOperation(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	left := exectest.NewTable(schema, exectest.Rows{{1, "x"}, {1, "x"}, {1, "x"}, {2, "y"}, {nil, "z"}, {nil, "z"}, {3, nil}, {4, "w"}})
	right := exectest.NewTable(schema, exectest.Rows{{1, "x"}, {nil, "z"}, {3, nil}, {3, nil}, {5, "v"}})
	key := func(r []any) string { return fmt.Sprint(r...) }
	for _, kind := range []logical.SetOperationKind{logical.Intersect, logical.Except} {
		for _, all := range []bool{false, true} {
			kind, all := kind, all
			exectest.RunPlan(t, exectest.PlanTest{
				Name:   fmt.Sprintf("kind=%d/all=%t", kind, all),
				Inputs: []exectest.Table{left, right},
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
						n, rc := seen[k], rightCount[k]
						seen[k]++
						keep := false
						switch {
						case kind == logical.Intersect && !all:
							keep = n == 0 && rc > 0
						case kind == logical.Intersect:
							keep = n < rc
						case !all:
							keep = n == 0 && rc == 0
						default:
							keep = n >= rc
						}
						if keep {
							out = append(out, r)
						}
					}
					return out, nil
				},
			})
		}
	}
}
