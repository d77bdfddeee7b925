package exec_test

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var distinctSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "w", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// distinctInput has few keys and few values per column, so most rows repeat a value their
// group has already seen.
func distinctInput(partitions int) exectest.Table {
	r := rand.New(rand.NewSource(7))
	t := exectest.Table{Schema: distinctSchema}
	for p := 0; p < partitions; p++ {
		var rows exectest.Rows
		for i := 0; i < 60+p*11; i++ {
			rows = append(rows, []any{int64(r.Intn(4)), int64(r.Intn(9) - 4), int32(r.Intn(6)), fmt.Sprintf("s%d", r.Intn(5))})
		}
		t.Partitions = append(t.Partitions, rows)
	}
	return t
}

func distinctCalls() []*logical.AggregateCall {
	v, w, s := exectest.Col(distinctSchema, 1), exectest.Col(distinctSchema, 2), exectest.Col(distinctSchema, 3)
	calls := []*logical.AggregateCall{
		call("count", arrow.PrimitiveTypes.Int64, v),
		call("count", arrow.PrimitiveTypes.Int64, w),
		call("count", arrow.PrimitiveTypes.Int64, s),
		call("sum", arrow.PrimitiveTypes.Int64, v),
	}
	for _, c := range calls {
		c.Distinct = true
	}
	return calls
}

// distinctReference computes count(DISTINCT v), count(DISTINCT w), count(DISTINCT s) and
// sum(DISTINCT v) per key (or over all rows when grouped is false) with Go sets.
func distinctReference(rows exectest.Rows, grouped bool) exectest.Rows {
	type sets struct {
		v, w, s map[any]bool
	}
	groups := map[any]*sets{}
	var order []any
	if !grouped {
		groups[nil] = &sets{map[any]bool{}, map[any]bool{}, map[any]bool{}}
		order = append(order, nil)
	}
	for _, row := range rows {
		var key any
		if grouped {
			key = row[0]
		}
		g := groups[key]
		if g == nil {
			g = &sets{map[any]bool{}, map[any]bool{}, map[any]bool{}}
			groups[key] = g
			order = append(order, key)
		}
		for i, set := range []map[any]bool{g.v, g.w, g.s} {
			if row[i+1] != nil {
				set[row[i+1]] = true
			}
		}
	}
	var out exectest.Rows
	for _, key := range order {
		g := groups[key]
		var sum any
		for value := range g.v {
			if sum == nil {
				sum = int64(0)
			}
			sum = sum.(int64) + value.(int64)
		}
		row := []any{int64(len(g.v)), int64(len(g.w)), int64(len(g.s)), sum}
		if grouped {
			row = append([]any{key}, row...)
		}
		out = append(out, row)
	}
	sort.Slice(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

func distinctPlan(source physical.Node, grouped bool) physical.Node {
	result := []arrow.Field{
		{Name: "cv", Type: arrow.PrimitiveTypes.Int64},
		{Name: "cw", Type: arrow.PrimitiveTypes.Int64},
		{Name: "cs", Type: arrow.PrimitiveTypes.Int64},
		{Name: "sv", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	}
	var keys []logical.Expr
	if grouped {
		keys = []logical.Expr{exectest.Col(distinctSchema, 0)}
		result = append([]arrow.Field{distinctSchema.Field(0)}, result...)
	}
	return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: source}, Mode: physical.AggregateComplete,
		Keys: keys, Calls: distinctCalls(), OutSchema: arrow.NewSchema(result, nil)}
}

// DISTINCT aggregates over integer arguments key a typed set, over strings an encoded map; both
// must skip NULLs, count each value once per group and feed sum(DISTINCT) each value once.
func TestDistinctAggregatesMatchReference(t *testing.T) {
	for _, grouped := range []bool{true, false} {
		for _, partitions := range []int{0, 3} {
			exectest.RunPlan(t, exectest.PlanTest{
				Name:   fmt.Sprintf("grouped=%v/partitions=%d", grouped, partitions),
				Inputs: []exectest.Table{distinctInput(partitions)},
				Plan: func(s []*exectest.Source) physical.Node {
					return distinctPlan(s[0], grouped)
				},
				Expected: func(in []exectest.Table) (exectest.Rows, error) {
					return distinctReference(in[0].AllRows(), grouped), nil
				},
			})
		}
	}
}
