package exec_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// TestExpand runs a rollup(age, name) expansion: each row three times, keys nulled outside the
// set and the set's grouping id last.
func TestExpand(t *testing.T) {
	in := people()
	id, age, name := exectest.Col(peopleSchema, 0), exectest.Col(peopleSchema, 1), exectest.Col(peopleSchema, 2)
	out := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: int64Type},
		{Name: "age", Type: int64Type, Nullable: true},
		{Name: "name", Type: stringType, Nullable: true},
		{Name: logical.GroupingIDName, Type: int64Type},
	}, nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.Expand{Input: s[0], OutSchema: out, Projections: [][]logical.Expr{
				{id, age, name, literal(int64(0))},
				{id, age, logical.NullLiteral(stringType), literal(int64(1))},
				{id, logical.NullLiteral(int64Type), logical.NullLiteral(stringType), literal(int64(3))},
			}}
		},
		Expected: func(inputs []exectest.Table) (exectest.Rows, error) {
			var want exectest.Rows
			for _, r := range inputs[0].AllRows() {
				want = append(want,
					[]any{r[0], r[1], r[2], int64(0)},
					[]any{r[0], r[1], nil, int64(1)},
					[]any{r[0], nil, nil, int64(3)})
			}
			return want, nil
		},
	})
}
