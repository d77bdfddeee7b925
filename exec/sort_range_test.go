package exec_test

import (
	"context"
	"math/rand"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/exec"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var rangeSortSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// A global sort over a range exchange (the plan of sorts of large inputs) returns every row
// in order across its partitions: sampled bounds, ties broken by the second key.
func TestRangePartitionedSortOrdersAcrossPartitions(t *testing.T) {
	r := rand.New(rand.NewSource(3))
	input := exectest.Table{Schema: rangeSortSchema}
	id := int64(0)
	for p := 0; p < 3; p++ {
		var rows exectest.Rows
		for i := 0; i < 150+p*40; i++ {
			rows = append(rows, []any{int64(r.Intn(60)), id})
			id++
		}
		input.Partitions = append(input.Partitions, rows)
	}
	orders := []*logical.SortOrder{
		{Child: exectest.Col(rangeSortSchema, 0), Direction: logical.Ascending, Nulls: logical.NullsFirst},
		{Child: exectest.Col(rangeSortSchema, 1), Direction: logical.Descending, Nulls: logical.NullsLast},
	}
	want := input.AllRows()
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i][0].(int64), want[j][0].(int64)
		if a != b {
			return a < b
		}
		return want[i][1].(int64) > want[j][1].(int64)
	})
	for _, batchSize := range []int{1, 7, exec.DefaultBatchSize} {
		for _, partitions := range []int{2, 4} {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			tc := exectest.NewTaskContext(mem)
			tc.BatchSize = batchSize
			exchange := &physical.Exchange{Input: &exectest.Source{Table: input}, Partitioning: physical.Partitioning{
				Kind: physical.RangePartitioning, NumPartitions: partitions, SortOrders: orders}}
			parts, _, _, err := exec.CollectResult(context.Background(), tc, &physical.Sort{Input: exchange, Order: orders})
			require.NoError(t, err)
			var got exectest.Rows
			nonEmpty := 0
			for _, batches := range parts {
				if len(batches) > 0 {
					nonEmpty++
				}
				for _, b := range batches {
					got = append(got, exectest.BatchRows(b)...)
					b.Release()
				}
			}
			require.Equal(t, want, got, "batch size %d, %d partitions", batchSize, partitions)
			require.Greater(t, nonEmpty, 1, "the bounds should spread the rows over partitions")
			mem.AssertSize(t, 0)
		}
	}
}
