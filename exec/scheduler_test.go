package exec

import (
	"context"
	"errors"
	"os"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// testSourceNode is a leaf whose partitions are built by a test function.
type testSourceNode struct {
	schema *arrow.Schema
	parts  int
	build  func(tc *TaskContext, partition int) (Operator, error)
}

func (n *testSourceNode) Schema() *arrow.Schema     { return n.schema }
func (n *testSourceNode) Children() []physical.Node { return nil }
func (n *testSourceNode) NumPartitions() int        { return n.parts }
func (n *testSourceNode) Describe() string          { return "TestSource" }

func init() {
	RegisterBuilder(&testSourceNode{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		return n.(*testSourceNode).build(tc, partition)
	})
}

var idSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)

func rangeNode(n int64, parts int) *physical.RangeScan {
	return &physical.RangeScan{Start: 0, End: n, Step: 1, Partitions: parts, OutSchema: idSchema}
}

func newTestTaskContext(t *testing.T) (*TaskContext, *memory.CheckedAllocator) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	tc := NewTaskContext(mem, NewBlockStore(), nil)
	tc.SetTaskSlots(2)
	return tc, mem
}

// int64Column reads column c of every batch.
func int64Column(batches []arrow.RecordBatch, c int) []int64 {
	var out []int64
	for _, b := range batches {
		out = append(out, b.Column(c).(*array.Int64).Int64Values()...)
	}
	return out
}

func releaseAll(parts [][]arrow.RecordBatch) {
	for _, p := range parts {
		for _, b := range p {
			b.Release()
		}
	}
}

func TestHashShuffleKeepsEveryRowAndGroupsKeys(t *testing.T) {
	for _, batchSize := range []int{1, 2, 7, DefaultBatchSize} {
		tc, mem := newTestTaskContext(t)
		tc.BatchSize = batchSize
		const rows = 500
		key := &logical.BoundRef{Ordinal: 0, ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}
		ex := &physical.Exchange{Input: rangeNode(rows, 3), Partitioning: physical.Partitioning{
			Kind: physical.HashPartitioning, NumPartitions: 4, Keys: []logical.Expr{key}}}
		parts, plan, jm, err := CollectResult(context.Background(), tc, ex)
		require.NoError(t, err)
		require.Len(t, plan.Stages, 2)
		require.Equal(t, physical.StageSucceeded, plan.Stages[0].State())
		require.Len(t, parts, 4)
		var all []int64
		seenIn := map[int64]int{}
		for p, batches := range parts {
			for _, v := range int64Column(batches, 0) {
				all = append(all, v)
				seenIn[v] = p
			}
		}
		sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
		require.Len(t, all, rows)
		for i, v := range all {
			require.Equal(t, int64(i), v)
		}
		// Rows of equal keys land together: rehash each value independently per partition.
		for p, batches := range parts {
			for _, b := range batches {
				h := make([]uint64, b.NumRows())
				HashColumns(mem, []arrow.Array{b.Column(0)}, h)
				for _, x := range h {
					require.Equal(t, p, int(x%4))
				}
			}
		}
		// Metrics: the shuffle stage's tasks read and wrote every row.
		var in, out int64
		for _, task := range jm.TasksOf(1) {
			in += task.RowsIn.Load()
			out += task.RowsOut.Load()
			require.Greater(t, task.RunTime, int64(0))
		}
		require.Equal(t, int64(rows), in)
		require.Equal(t, int64(rows), out)
		om, ok := jm.Operator(ex.Input)
		require.True(t, ok)
		require.Equal(t, int64(rows), om.Rows)
		require.Equal(t, 3, om.Tasks)
		releaseAll(parts)
		mem.AssertSize(t, 0)
	}
}

func TestRoundRobinAndSingleShuffle(t *testing.T) {
	tc, mem := newTestTaskContext(t)
	tc.BatchSize = 7
	rr := &physical.Exchange{Input: rangeNode(100, 2), Partitioning: physical.Partitioning{Kind: physical.RoundRobinPartitioning, NumPartitions: 3}}
	single := &physical.Exchange{Input: rr, Partitioning: physical.Partitioning{Kind: physical.SinglePartitioning}}
	parts, plan, _, err := CollectResult(context.Background(), tc, single)
	require.NoError(t, err)
	require.Len(t, plan.Stages, 3)
	require.Len(t, parts, 1)
	values := int64Column(parts[0], 0)
	sort.Slice(values, func(i, j int) bool { return values[i] < values[j] })
	require.Len(t, values, 100)
	for i, v := range values {
		require.Equal(t, int64(i), v)
	}
	releaseAll(parts)
	mem.AssertSize(t, 0)
}

func TestShuffleSpillsPastMemoryLimit(t *testing.T) {
	tc, mem := newTestTaskContext(t)
	pool := NewMemoryPool(16 << 10) // 16 KiB; the input is 80 KB of int64
	pool.SpillDir = t.TempDir()
	tc.SetMemoryPool(pool)
	tc.BatchSize = 512
	const rows = 10000
	key := &logical.BoundRef{Ordinal: 0, ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}
	ex := &physical.Exchange{Input: rangeNode(rows, 2), Partitioning: physical.Partitioning{
		Kind: physical.HashPartitioning, NumPartitions: 3, Keys: []logical.Expr{key}}}
	parts, _, jm, err := CollectResult(context.Background(), tc, ex)
	require.NoError(t, err)
	var spilled int64
	for _, task := range jm.TasksOf(1) {
		spilled += task.SpillBytes.Load()
	}
	require.Greater(t, spilled, int64(0), "the shuffle should have spilled")
	var sum, n int64
	for _, p := range parts {
		for _, v := range int64Column(p, 0) {
			sum += v
			n++
		}
	}
	require.Equal(t, int64(rows), n)
	require.Equal(t, int64(rows*(rows-1)/2), sum)
	releaseAll(parts)
	entries, err := os.ReadDir(pool.SpillDir)
	require.NoError(t, err)
	require.Empty(t, entries, "spill files must be deleted when the job is released")
	require.Equal(t, int64(0), pool.Used())
	mem.AssertSize(t, 0)
}

// blockingOperator returns nothing until its context is cancelled.
type blockingOperator struct{ schema *arrow.Schema }

func (b *blockingOperator) Open(context.Context) error { return nil }
func (b *blockingOperator) Close() error               { return nil }
func (b *blockingOperator) Schema() *arrow.Schema      { return b.schema }
func (b *blockingOperator) Next(ctx context.Context) (arrow.RecordBatch, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

type failingOperator struct {
	blockingOperator
	panics bool
}

func (f *failingOperator) Next(context.Context) (arrow.RecordBatch, error) {
	if f.panics {
		var m map[string]int
		m["boom"]++ // a nil map write: a real runtime panic
	}
	return nil, errkind.Invalid("task failed on purpose")
}

func TestSchedulerFailureCancelsJobAndPanicBecomesError(t *testing.T) {
	for _, panics := range []bool{false, true} {
		tc, mem := newTestTaskContext(t)
		src := &testSourceNode{schema: idSchema, parts: 2, build: func(_ *TaskContext, p int) (Operator, error) {
			if p == 1 {
				return &failingOperator{blockingOperator{idSchema}, panics}, nil
			}
			return &blockingOperator{idSchema}, nil // would block forever without cancellation
		}}
		ex := &physical.Exchange{Input: src, Partitioning: physical.Partitioning{Kind: physical.SinglePartitioning}}
		job, node, err := PrepareJob(context.Background(), tc, &physical.GlobalLimit{Input: ex, Count: 10})
		require.Error(t, err)
		require.Nil(t, job)
		require.Nil(t, node)
		if panics {
			require.True(t, errors.Is(err, errkind.ErrInternal), "%v", err)
			require.Contains(t, err.Error(), "panicked")
		} else {
			require.True(t, errors.Is(err, errkind.ErrInvalid), "the first failure is the job's error: %v", err)
		}
		require.Equal(t, physical.StageFailed, ex.Stage.State())
		mem.AssertSize(t, 0)
	}
}

func TestSchedulerStopsOnContextCancel(t *testing.T) {
	tc, mem := newTestTaskContext(t)
	src := &testSourceNode{schema: idSchema, parts: 3, build: func(_ *TaskContext, p int) (Operator, error) {
		return &blockingOperator{idSchema}, nil
	}}
	ex := &physical.Exchange{Input: src, Partitioning: physical.Partitioning{Kind: physical.SinglePartitioning}}
	ctx, cancel := context.WithCancel(context.Background())
	go cancel()
	_, _, err := PrepareJob(ctx, tc, ex)
	require.Error(t, err)
	require.True(t, errors.Is(err, errkind.ErrCanceled), "%v", err)
	mem.AssertSize(t, 0)
}

func TestPrepareJobStreamsResultStage(t *testing.T) {
	tc, mem := newTestTaskContext(t)
	key := &logical.BoundRef{Ordinal: 0, ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}
	ex := &physical.Exchange{Input: rangeNode(50, 2), Partitioning: physical.Partitioning{
		Kind: physical.HashPartitioning, NumPartitions: 2, Keys: []logical.Expr{key}}}
	job, node, err := PrepareJob(context.Background(), tc, &physical.CoalescePartitions{Input: ex})
	require.NoError(t, err)
	require.NotNil(t, job)
	batches, err := drainPartition(context.Background(), tc, node, 0)
	require.NoError(t, err)
	require.Len(t, int64Column(batches, 0), 50)
	for _, b := range batches {
		b.Release()
	}
	job.Release()
	mem.AssertSize(t, 0)
	text := FormatPhysical(&physical.CoalescePartitions{Input: ex})
	require.Contains(t, text, "Stage 1: 2 tasks -> hashpartitioning(id#0, 2)")
	require.Contains(t, text, "Stage 2 (result): 1 tasks")
}
