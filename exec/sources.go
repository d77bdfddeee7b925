package exec

import (
	"context"
	"io"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/planner/physical"
)

// BatchSource replays a list of batches. It takes ownership of the batches: each is either
// handed to the caller by Next or released by Close.
type BatchSource struct {
	schema  *arrow.Schema
	batches []arrow.RecordBatch
	pos     int
}

// NewBatchSource returns an operator over batches (owned by the operator).
func NewBatchSource(schema *arrow.Schema, batches []arrow.RecordBatch) *BatchSource {
	return &BatchSource{schema: schema, batches: batches}
}

func (s *BatchSource) Open(context.Context) error { return nil }
func (s *BatchSource) Schema() *arrow.Schema      { return s.schema }

func (s *BatchSource) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.pos >= len(s.batches) {
		return nil, io.EOF
	}
	b := s.batches[s.pos]
	s.batches[s.pos] = nil
	s.pos++
	return b, nil
}

func (s *BatchSource) Close() error {
	for i := s.pos; i < len(s.batches); i++ {
		if s.batches[i] != nil {
			s.batches[i].Release()
			s.batches[i] = nil
		}
	}
	s.pos = len(s.batches)
	return nil
}

// storedScan reads one partition of a stored DataFrame, projecting columns without copying.
type storedScan struct {
	tc     *TaskContext
	node   *physical.StoredScan
	part   int
	source *BatchSource
}

func buildStoredScan(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	return &storedScan{tc: tc, node: n.(*physical.StoredScan), part: partition}, nil
}

func (s *storedScan) Schema() *arrow.Schema { return s.node.OutSchema }

func (s *storedScan) Open(context.Context) error {
	batches, _, err := s.tc.Store.RetainPartition(s.node.DataFrameID, s.part)
	if err != nil {
		return err
	}
	s.source = NewBatchSource(s.node.OutSchema, batches)
	return nil
}

func (s *storedScan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		b, err := s.source.Next(ctx)
		if err != nil {
			return nil, err
		}
		if s.node.Projection == nil {
			if b.Schema().Equal(s.node.OutSchema) {
				return b, nil
			}
			// Stored batches may carry schema metadata the plan drops; rewrap without copying.
			out := array.NewRecordBatch(s.node.OutSchema, b.Columns(), b.NumRows())
			b.Release()
			return out, nil
		}
		cols := make([]arrow.Array, len(s.node.Projection))
		for i, p := range s.node.Projection {
			cols[i] = b.Column(p)
		}
		out := array.NewRecordBatch(s.node.OutSchema, cols, b.NumRows())
		b.Release()
		return out, nil
	}
}

func (s *storedScan) Close() error {
	if s.source != nil {
		return s.source.Close()
	}
	return nil
}

// rangeScan produces partition i of range(start, end, step) in batches.
type rangeScan struct {
	tc        *TaskContext
	node      *physical.RangeScan
	next, end int64 // row indexes within the whole range
}

func buildRangeScan(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.RangeScan)
	total := rangeCount(node.Start, node.End, node.Step)
	parts := uint64(node.Partitions)
	// total * partition can exceed 64 bits for ranges that span most of int64.
	share := func(p uint64) int64 {
		hi, lo := bits.Mul64(total, p)
		q, _ := bits.Div64(hi, lo, parts)
		return int64(q)
	}
	return &rangeScan{tc: tc, node: node, next: share(uint64(partition)), end: share(uint64(partition + 1))}, nil
}

// rangeCount is the number of values of range(start, end, step), computed in unsigned
// arithmetic: end - start overflows int64 when the range spans more than half of it.
func rangeCount(start, end, step int64) uint64 {
	if step > 0 && end > start {
		span, s := uint64(end)-uint64(start), uint64(step)
		return span/s + min(span%s, 1)
	}
	if step < 0 && end < start {
		// uint64(-step) is right for math.MinInt64 too: the negation wraps to 1<<63.
		span, s := uint64(start)-uint64(end), uint64(-step)
		return span/s + min(span%s, 1)
	}
	return 0
}

func (r *rangeScan) Open(context.Context) error { return nil }
func (r *rangeScan) Schema() *arrow.Schema      { return r.node.OutSchema }
func (r *rangeScan) Close() error               { return nil }

func (r *rangeScan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if r.next >= r.end {
		return nil, io.EOF
	}
	n := min(int64(r.tc.BatchSize), r.end-r.next)
	b := array.NewInt64Builder(r.tc.Allocator)
	defer b.Release()
	b.Reserve(int(n))
	v := r.node.Start + r.next*r.node.Step
	for i := int64(0); i < n; i++ {
		b.UnsafeAppend(v)
		v += r.node.Step
	}
	r.next += n
	col := b.NewArray()
	defer col.Release()
	return array.NewRecordBatch(r.node.OutSchema, []arrow.Array{col}, n), nil
}
