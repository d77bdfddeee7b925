package exec_test

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// packedKeySchema has key columns that pack into one int64 (two short strings and an int16, or
// a short string and an int32) and a value to sum.
var packedKeySchema = arrow.NewSchema([]arrow.Field{
	{Name: "flag", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "small", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "medium", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// packedKeyInput draws short strings (empty ones too) and negative integers; with longTail the
// last partition's strings are too long to pack, so the aggregate moves its groups to the
// byte-keyed table midway.
func packedKeyInput(longTail bool) exectest.Table {
	r := rand.New(rand.NewSource(7))
	t := exectest.Table{Schema: packedKeySchema}
	flags := []string{"A", "N", "R", ""}
	statuses := []string{"F", "O", "", "Z"}
	for p := 0; p < 3; p++ {
		var rows exectest.Rows
		for i := 0; i < 50+p*9; i++ {
			flag := flags[r.Intn(len(flags))]
			if longTail && p == 2 && r.Intn(3) == 0 {
				flag = fmt.Sprintf("long-%d", r.Intn(3))
			}
			rows = append(rows, []any{flag, statuses[r.Intn(len(statuses))], int16(r.Intn(7) - 3),
				int32(r.Intn(5) - 100_000), int64(r.Intn(1000) - 500)})
		}
		t.Partitions = append(t.Partitions, rows)
	}
	return t
}

// packedKeyReference counts rows and sums v per key (the key columns keyColumns of each row),
// with plain maps.
func packedKeyReference(rows exectest.Rows, keyColumns []int) exectest.Rows {
	type group struct {
		key     []any
		count   int64
		sum     int64
		sumSeen bool
	}
	var order []string
	groups := map[string]*group{}
	for _, row := range rows {
		key := make([]any, len(keyColumns))
		for i, c := range keyColumns {
			key[i] = row[c]
		}
		name := fmt.Sprintf("%#v", key)
		g, ok := groups[name]
		if !ok {
			g = &group{key: key}
			groups[name] = g
			order = append(order, name)
		}
		g.count++
		if row[4] != nil {
			g.sum += row[4].(int64)
			g.sumSeen = true
		}
	}
	var out exectest.Rows
	for _, name := range order {
		g := groups[name]
		var sum any
		if g.sumSeen {
			sum = g.sum
		}
		out = append(out, append(append([]any(nil), g.key...), g.count, sum))
	}
	return out
}

func packedKeyPlan(source physical.Node, keyColumns []int, twoPhase bool) physical.Node {
	count := &logical.AggregateCall{Function: "count", Type: arrow.PrimitiveTypes.Int64}
	sum := call("sum", arrow.PrimitiveTypes.Int64, exectest.Col(packedKeySchema, 4))
	calls := []*logical.AggregateCall{count, sum}
	var keys, finalKeys []logical.Expr
	var keyFields []arrow.Field
	for i, c := range keyColumns {
		keys = append(keys, exectest.Col(packedKeySchema, c))
		f := packedKeySchema.Field(c)
		keyFields = append(keyFields, f)
		finalKeys = append(finalKeys, &logical.BoundRef{Ordinal: i, ColumnName: f.Name, Type: f.Type, Null: true})
	}
	result := append(append([]arrow.Field(nil), keyFields...),
		arrow.Field{Name: "c", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "s", Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	if !twoPhase {
		return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: source}, Mode: physical.AggregateComplete,
			Keys: keys, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
	}
	state := append(append([]arrow.Field(nil), keyFields...), physical.AggregateStateFields(count, "_0")...)
	state = append(state, physical.AggregateStateFields(sum, "_1")...)
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: keys, Calls: calls,
		OutSchema: arrow.NewSchema(state, nil)}
	return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
		Keys: finalKeys, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
}

// TestHashAggregatePackedKeys groups by key sets that pack into an int64, with nulls, empty
// strings and negative integers, and with strings that stop fitting midway.
func TestHashAggregatePackedKeys(t *testing.T) {
	keySets := map[string][]int{
		"two_strings":            {0, 1},
		"two_strings_and_int16":  {0, 1, 2},
		"string_and_int32":       {1, 3},
		"int16_and_int32":        {2, 3},
		"int32_string_reordered": {3, 0},
	}
	for name, keyColumns := range keySets {
		for _, longTail := range []bool{false, true} {
			for _, twoPhase := range []bool{false, true} {
				exectest.RunPlan(t, exectest.PlanTest{
					Name:   fmt.Sprintf("%s/long_tail=%v/two_phase=%v", name, longTail, twoPhase),
					Inputs: []exectest.Table{packedKeyInput(longTail)},
					Plan: func(s []*exectest.Source) physical.Node {
						return packedKeyPlan(s[0], keyColumns, twoPhase)
					},
					Expected: func(in []exectest.Table) (exectest.Rows, error) {
						return packedKeyReference(in[0].AllRows(), keyColumns), nil
					},
				})
			}
		}
	}
}
