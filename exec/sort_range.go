package exec

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// Range partitioning (global sort, repartitionByRange): before the stage's tasks start, the
// factory samples the sort keys of every input partition (a reservoir per partition, as Spark's
// RangePartitioner does), sorts the sample and takes NumPartitions-1 evenly spaced bounds. Each
// row then goes to the first partition whose upper bound it does not exceed, found by binary
// search, so partition i holds keys ordered before partition i+1's.

// rangeSamplePerPartition is how many rows each output partition's bounds are chosen from.
const rangeSamplePerPartition = 100

func init() {
	RegisterPartitioner(physical.RangePartitioning, newRangePartitioner)
}

func newRangePartitioner(ctx context.Context, tc *TaskContext, e *physical.Exchange) (func(int) Partitioner, error) {
	orders := e.Partitioning.SortOrders
	n := e.Partitioning.OutputPartitions()
	var bounds []arrow.Array
	if e.Partitioning.Bounds != nil {
		bounds = e.Partitioning.Bounds.Columns()
	} else if n > 1 {
		b, err := sampleRangeBounds(ctx, tc, e.Input, orders, n)
		if err != nil {
			return nil, err
		}
		bounds = b
	}
	owned := e.Partitioning.Bounds == nil
	return func(int) Partitioner { return &rangePartitioner{orders: orders, bounds: bounds, ownsBounds: owned} }, nil
}

type rangePartitioner struct {
	orders []*logical.SortOrder
	bounds []arrow.Array // one array per order; row k is the upper bound of partition k
	// ownsBounds is set when the bounds were sampled for this stage (not given by the plan).
	ownsBounds bool
}

// ReleaseStageResources frees the sampled bounds every task of the stage shared.
func (r *rangePartitioner) ReleaseStageResources() {
	if r.ownsBounds {
		releaseArrayList(r.bounds)
	}
}

func (r *rangePartitioner) Partition(ec *EvalContext, b arrow.RecordBatch, out []int32) error {
	if len(r.bounds) == 0 || r.bounds[0].Len() == 0 {
		clear(out)
		return nil
	}
	keys, err := evalSortKeys(ec, r.orders, b)
	if err != nil {
		return err
	}
	defer releaseArrayList(keys)
	nb := r.bounds[0].Len()
	for i := range out {
		out[i] = int32(sort.Search(nb, func(k int) bool {
			return compareKeysAt(keys, i, r.bounds, k, r.orders) <= 0
		}))
	}
	return nil
}

// sampleRangeBounds runs every partition of input, keeps a reservoir sample of sort keys from
// each, and returns n-1 bounds (owned by the partitioner for the life of the process' stage).
func sampleRangeBounds(ctx context.Context, tc *TaskContext, input physical.Node, orders []*logical.SortOrder, n int) ([]arrow.Array, error) {
	per := rangeSamplePerPartition * n / max(input.NumPartitions(), 1)
	per = max(per, rangeSamplePerPartition)
	var samples []arrow.RecordBatch
	defer func() {
		for _, s := range samples {
			s.Release()
		}
	}()
	keyFields := make([]arrow.Field, len(orders))
	for i, o := range orders {
		keyFields[i] = arrow.Field{Name: o.Child.String(), Type: o.Child.DataType(), Nullable: true}
	}
	keySchema := arrow.NewSchema(keyFields, nil)
	for p := 0; p < input.NumPartitions(); p++ {
		s, err := samplePartitionKeys(ctx, tc, input, p, orders, keySchema, per)
		if err != nil {
			return nil, err
		}
		if s != nil {
			samples = append(samples, s)
		}
	}
	all, err := concatRecordBatches(tc, keySchema, samples)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	rows := int(all.NumRows())
	if rows == 0 {
		return nil, nil
	}
	idx := sortIndices(all.Columns(), orders, rows)
	var picks []int32
	for k := 1; k < n; k++ {
		pick := idx[min(k*rows/n, rows-1)]
		if len(picks) > 0 && compareKeysAt(all.Columns(), int(picks[len(picks)-1]), all.Columns(), int(pick), orders) == 0 {
			continue // duplicate bound: fewer, fuller partitions rather than empty ones
		}
		picks = append(picks, pick)
	}
	indices := int32Indices(tc, picks)
	defer indices.Release()
	bounds, err := takeRecordRows(ctx, tc, all, indices)
	if err != nil {
		return nil, err
	}
	defer bounds.Release()
	out := make([]arrow.Array, len(orders))
	for i, c := range bounds.Columns() {
		c.Retain()
		out[i] = c
	}
	return out, nil
}

// samplePartitionKeys returns up to want sampled key rows of one input partition.
func samplePartitionKeys(ctx context.Context, tc *TaskContext, input physical.Node, partition int, orders []*logical.SortOrder, keySchema *arrow.Schema, want int) (arrow.RecordBatch, error) {
	op, err := Build(tc, input, partition)
	if err != nil {
		return nil, err
	}
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(uint64(partition), 0x5eed))
	var kept []arrow.RecordBatch
	defer func() {
		for _, k := range kept {
			k.Release()
		}
	}()
	seen := 0
	// Reservoir over (batch, row) positions; batches of keys are kept until the end.
	type slot struct{ batch, row int }
	var reservoir []slot
	ec := &EvalContext{Ctx: ctx, Task: tc}
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		keys, err := evalSortKeys(ec, orders, b)
		rows := int(b.NumRows())
		b.Release()
		if err != nil {
			return nil, err
		}
		kb := array.NewRecordBatch(keySchema, keys, int64(rows))
		releaseArrayList(keys)
		kept = append(kept, kb)
		for r := 0; r < rows; r++ {
			seen++
			if len(reservoir) < want {
				reservoir = append(reservoir, slot{len(kept) - 1, r})
			} else if j := rng.IntN(seen); j < want {
				reservoir[j] = slot{len(kept) - 1, r}
			}
		}
	}
	if len(reservoir) == 0 {
		return nil, nil
	}
	all, err := concatRecordBatches(tc, keySchema, kept)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	offsets := make([]int, len(kept)+1)
	for i, k := range kept {
		offsets[i+1] = offsets[i] + int(k.NumRows())
	}
	picks := make([]int32, len(reservoir))
	for i, s := range reservoir {
		picks[i] = int32(offsets[s.batch] + s.row)
	}
	indices := int32Indices(tc, picks)
	defer indices.Release()
	return takeRecordRows(ctx, tc, all, indices)
}
