package exec_test

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// TestPartialAggregateOfClusteredKeysFlushes groups 300K rows whose keys come in runs of three
// (as lineitem's l_orderkey), enough groups for the partial aggregate to emit its table several
// times: the final sums and counts equal plain loops', every key once.
func TestPartialAggregateOfClusteredKeysFlushes(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}, {Name: "v", Type: arrow.PrimitiveTypes.Int64}}, nil)
	const rows = 300_000
	var input exectest.Rows
	sums := map[int64]int64{}
	counts := map[int64]int64{}
	for i := int64(0); i < rows; i++ {
		k, v := i/3, i%7-3
		input = append(input, []any{k, v})
		sums[k] += v
		counts[k]++
	}
	sum := call("sum", arrow.PrimitiveTypes.Int64, exectest.Col(schema, 1))
	count := &logical.AggregateCall{Function: "count", Type: arrow.PrimitiveTypes.Int64}
	calls := []*logical.AggregateCall{sum, count}
	state := append([]arrow.Field{schema.Field(0)}, append(physical.AggregateStateFields(sum, "_0"), physical.AggregateStateFields(count, "_1")...)...)
	result := arrow.NewSchema([]arrow.Field{schema.Field(0), {Name: "s", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "c", Type: arrow.PrimitiveTypes.Int64}}, nil)
	tc := exectest.NewTaskContext(mem)
	defer tc.Store.Close()
	source := &exectest.Source{Table: exectest.NewTable(schema, input)}
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: []logical.Expr{exectest.Col(schema, 0)},
		Calls: calls, OutSchema: arrow.NewSchema(state, nil)}
	final := &physical.HashAggregate{Input: partial, Mode: physical.AggregateFinal,
		Keys: []logical.Expr{&logical.BoundRef{Ordinal: 0, ColumnName: "k", Type: arrow.PrimitiveTypes.Int64}}, Calls: calls, OutSchema: result}
	partialRows, err := exectest.Collect(t, tc, partial)
	require.NoError(t, err)
	// A flush between batches splits the key whose run crosses the batch boundary, so a flush
	// shows as one row more than the keys; without one there would be exactly one per key.
	require.Greater(t, len(partialRows), rows/3, "the partial aggregate flushed")
	require.Less(t, len(partialRows), rows/3+10, "clustered keys: nearly every key in one flush")
	got, err := exectest.Collect(t, tc, final)
	require.NoError(t, err)
	require.Equal(t, len(sums), len(got))
	for _, r := range got {
		k := r[0].(int64)
		require.Equal(t, sums[k], r[1], "sum of key %d", k)
		require.Equal(t, counts[k], r[2], "count of key %d", k)
	}
}
