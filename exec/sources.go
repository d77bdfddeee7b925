package exec

import (
	"context"
	"io"

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
	parts := int64(node.Partitions)
	lo := total * int64(partition) / parts
	hi := total * int64(partition+1) / parts
	return &rangeScan{tc: tc, node: node, next: lo, end: hi}, nil
}

func rangeCount(start, end, step int64) int64 {
	if step > 0 && end > start {
		return (end - start + step - 1) / step
	}
	if step < 0 && end < start {
		return (start - end - step - 1) / -step
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
