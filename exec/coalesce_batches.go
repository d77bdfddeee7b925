package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/physical"
)

// coalescesOutput says which operators' output is joined into bigger batches: a selective
// filter or a join whose probe batches find few matches emits a few rows per input batch, and
// every operator above pays a fixed round of kernel calls per batch whatever its size (TPC-H
// Q3's partial aggregate spent 190 ms on 30,000 join rows in 601 batches).
func coalescesOutput(node physical.Node) bool {
	switch node.(type) {
	case *physical.Filter, *physical.HashJoin:
		return true
	}
	return false
}

// batchCoalescer passes batches of at least a quarter of the batch size through and joins
// smaller ones, in order, until they hold half of it. It holds at most that many rows.
type batchCoalescer struct {
	input       Operator
	tc          *TaskContext
	target      int64
	pending     []arrow.RecordBatch
	pendingRows int64
	done        bool
}

func newBatchCoalescer(tc *TaskContext, input Operator) Operator {
	target := int64(tc.BatchSize)
	if target < 8 {
		return input // a one-row batch is already a quarter of such a batch
	}
	return &batchCoalescer{input: input, tc: tc, target: target}
}

func (c *batchCoalescer) Open(ctx context.Context) error { return c.input.Open(ctx) }

func (c *batchCoalescer) Schema() *arrow.Schema { return c.input.Schema() }

func (c *batchCoalescer) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for !c.done {
		b, err := c.input.Next(ctx)
		if errors.Is(err, io.EOF) {
			c.done = true
			break
		}
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if len(c.pending) == 0 && b.NumRows() >= c.target/4 {
			return b, nil
		}
		c.pending = append(c.pending, b)
		c.pendingRows += b.NumRows()
		if c.pendingRows >= c.target/2 {
			return c.flush()
		}
	}
	if len(c.pending) > 0 {
		return c.flush()
	}
	return nil, io.EOF
}

func (c *batchCoalescer) flush() (arrow.RecordBatch, error) {
	pending, rows := c.pending, c.pendingRows
	c.pending, c.pendingRows = nil, 0
	defer func() {
		for _, b := range pending {
			b.Release()
		}
	}()
	return arrowio.ConcatBatches(pending, rows, c.tc.Allocator)
}

func (c *batchCoalescer) Close() error {
	for _, b := range c.pending {
		b.Release()
	}
	c.pending, c.pendingRows = nil, 0
	return c.input.Close()
}
