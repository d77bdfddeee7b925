package exec_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var sortSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func sortInput() exectest.Table {
	var p0, p1 exectest.Rows
	nan := math.NaN()
	floats := []any{3.5, -1.0, nan, 0.0, math.Copysign(0, -1), 7.25, nil, 3.5, -20.0, 1e9}
	strs := []any{"b", "a", nil, "aa", "", "z", "b", "Ab", "b", "c"}
	for i := 0; i < 30; i++ {
		row := []any{int64(i), floats[i%len(floats)], strs[(i*7)%len(strs)]}
		if i%2 == 0 {
			p0 = append(p0, row)
		} else {
			p1 = append(p1, row)
		}
	}
	return exectest.Table{Schema: sortSchema, Partitions: []exectest.Rows{p0, p1}}
}

// compareRef orders two values the way Spark does: nil by nullsFirst, NaN largest, -0 == 0.
func compareRef(a, b any, desc, nullsFirst bool) int {
	if a == nil || b == nil {
		switch {
		case a == nil && b == nil:
			return 0
		case (a == nil) == nullsFirst:
			return -1
		}
		return 1
	}
	var r int
	switch x := a.(type) {
	case float64:
		y := b.(float64)
		switch {
		case math.IsNaN(x) && math.IsNaN(y):
			r = 0
		case math.IsNaN(x):
			r = 1
		case math.IsNaN(y):
			r = -1
		default:
			r = cmp.Compare(x, y)
		}
	case string:
		r = cmp.Compare(x, b.(string))
	case int64:
		r = cmp.Compare(x, b.(int64))
	}
	if desc {
		return -r
	}
	return r
}

func TestSort(t *testing.T) {
	type key struct {
		col              int
		desc, nullsFirst bool
	}
	cases := map[string][]key{
		"f asc":                 {{1, false, true}, {0, false, true}},
		"f desc nulls last":     {{1, true, false}, {0, false, true}},
		"s desc, f asc, id":     {{2, true, false}, {1, false, true}, {0, false, true}},
		"s asc nulls last, id":  {{2, false, false}, {0, true, true}},
		"f desc nulls first, s": {{1, true, true}, {2, false, true}, {0, false, true}},
	}
	for name, keys := range cases {
		for _, limit := range []int64{0, 1, 5} {
			keys, limit := keys, limit
			orders := make([]*logical.SortOrder, len(keys))
			for i, k := range keys {
				o := &logical.SortOrder{Child: exectest.Col(sortSchema, k.col), Nulls: logical.NullsLast}
				if k.desc {
					o.Direction = logical.Descending
				}
				if k.nullsFirst {
					o.Nulls = logical.NullsFirst
				}
				orders[i] = o
			}
			exectest.RunPlan(t, exectest.PlanTest{
				Name:    name + "/limit=" + string(rune('0'+limit)),
				Inputs:  []exectest.Table{sortInput()},
				Ordered: true,
				Plan: func(s []*exectest.Source) physical.Node {
					return &physical.Sort{Input: &physical.CoalescePartitions{Input: s[0]}, Order: orders, Limit: limit}
				},
				Expected: func(in []exectest.Table) (exectest.Rows, error) {
					rows := in[0].AllRows()
					slices.SortStableFunc(rows, func(a, b []any) int {
						for _, k := range keys {
							if r := compareRef(a[k.col], b[k.col], k.desc, k.nullsFirst); r != 0 {
								return r
							}
						}
						return 0
					})
					if limit > 0 && int64(len(rows)) > limit {
						rows = rows[:limit]
					}
					return rows, nil
				},
			})
		}
	}
}

// TestExternalSortSpills sorts input larger than the memory pool: the sort must write runs and
// merge them into the same order as the in-memory reference.
func TestExternalSortSpills(t *testing.T) {
	var rows exectest.Rows
	for i := 0; i < 800; i++ {
		rows = append(rows, []any{int64(i), float64((i * 7919) % 1000), nil})
	}
	orders := []*logical.SortOrder{{Child: exectest.Col(sortSchema, 1)}, {Child: exectest.Col(sortSchema, 0), Direction: logical.Descending}}
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs:          []exectest.Table{exectest.NewTable(sortSchema, rows)},
		Ordered:         true,
		NoNullInjection: true,
		Setup: func(t *testing.T, tc *exec.TaskContext, _ []exectest.Table) {
			pool := exec.NewMemoryPool(4 << 10)
			pool.SpillDir = t.TempDir()
			tc.SetMemoryPool(pool)
		},
		Plan: func(s []*exectest.Source) physical.Node { return &physical.Sort{Input: s[0], Order: orders} },
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			out := in[0].AllRows()
			slices.SortStableFunc(out, func(a, b []any) int {
				if r := cmp.Compare(a[1].(float64), b[1].(float64)); r != 0 {
					return r
				}
				return cmp.Compare(b[0].(int64), a[0].(int64))
			})
			return out, nil
		},
	})
}
