package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// projection evaluates expressions over each input batch.
type projection struct {
	tc    *TaskContext
	node  *physical.Projection
	input Operator
}

func buildProjection(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.Projection)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &projection{tc: tc, node: node, input: in}, nil
}

func (p *projection) Open(ctx context.Context) error { return p.input.Open(ctx) }
func (p *projection) Schema() *arrow.Schema          { return p.node.OutSchema }
func (p *projection) Close() error                   { return p.input.Close() }

func (p *projection) Next(ctx context.Context) (arrow.RecordBatch, error) {
	b, err := p.input.Next(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	return ProjectBatch(&EvalContext{Ctx: ctx, Task: p.tc}, p.node.Expressions, p.node.OutSchema, b)
}

// ProjectBatch evaluates exprs over b into a new batch with schema (owned by the caller).
func ProjectBatch(ec *EvalContext, exprs []logical.Expr, schema *arrow.Schema, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(exprs))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, e := range exprs {
		c, err := EvalArray(ec, e, b)
		if err != nil {
			return nil, err
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, b.NumRows()), nil
}

// filter keeps rows where the predicate is true.
type filter struct {
	tc    *TaskContext
	node  *physical.Filter
	input Operator
}

func buildFilter(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.Filter)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &filter{tc: tc, node: node, input: in}, nil
}

func (f *filter) Open(ctx context.Context) error { return f.input.Open(ctx) }
func (f *filter) Schema() *arrow.Schema          { return f.input.Schema() }
func (f *filter) Close() error                   { return f.input.Close() }

func (f *filter) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		b, err := f.input.Next(ctx)
		if err != nil {
			return nil, err
		}
		out, err := FilterBatch(&EvalContext{Ctx: ctx, Task: f.tc}, f.node.Predicate, b)
		b.Release()
		if err != nil {
			return nil, err
		}
		if out.NumRows() == 0 {
			out.Release()
			continue
		}
		return out, nil
	}
}

// FilterBatch returns the rows of b where pred is true (nulls drop). The result is owned by the
// caller; b is not released.
func FilterBatch(ec *EvalContext, pred logical.Expr, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	mask, err := EvalArray(ec, pred, b)
	if err != nil {
		return nil, err
	}
	defer mask.Release()
	bm := mask.(*array.Boolean)
	if bm.NullN() == 0 {
		// A word-at-a-time count: the bit-by-bit loop this replaces cost as much as a comparison.
		values := boolValues(bm)
		switch bitutil.CountSetBits(values.bits, values.offset, bm.Len()) {
		case bm.Len():
			b.Retain()
			return b, nil
		case 0:
			return b.NewSlice(0, 0), nil
		}
	}
	// Typed gathers (take_fast.go) for the usual columns; arrow's take for the others.
	rows := selectedRows(bm)
	var indices arrow.Array
	defer func() {
		if indices != nil {
			indices.Release()
		}
	}()
	columns := make([]arrow.Array, b.NumCols())
	defer releaseArrayList(columns)
	for i, c := range b.Columns() {
		if out, ok := gatherRows(ec.Task.Allocator, c, rows); ok {
			columns[i] = out
			continue
		}
		if indices == nil {
			builder := array.NewInt32Builder(ec.Task.Allocator)
			builder.AppendValues(rows, nil)
			indices = builder.NewArray()
			builder.Release()
		}
		out, err := compute.TakeArray(ec.ComputeContext(), c, indices)
		if err != nil {
			return nil, err
		}
		columns[i] = out
	}
	return array.NewRecordBatch(b.Schema(), columns, int64(len(rows))), nil
}

// limit skips offset rows and then passes at most count rows (count < 0: no limit).
type limit struct {
	input         Operator
	count, offset int64
	seen          int64 // rows consumed from input, including skipped ones
}

func buildLocalLimit(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.LocalLimit)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &limit{input: in, count: node.Count}, nil
}

func buildGlobalLimit(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.GlobalLimit)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &limit{input: in, count: node.Count, offset: node.Offset}, nil
}

// NewLimit wraps an operator with a limit.
func NewLimit(input Operator, count, offset int64) Operator {
	return &limit{input: input, count: count, offset: offset}
}

func (l *limit) Open(ctx context.Context) error { return l.input.Open(ctx) }
func (l *limit) Schema() *arrow.Schema          { return l.input.Schema() }
func (l *limit) Close() error                   { return l.input.Close() }

func (l *limit) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if l.count >= 0 && l.seen >= l.offset+l.count {
			return nil, io.EOF
		}
		b, err := l.input.Next(ctx)
		if err != nil {
			return nil, err
		}
		n := b.NumRows()
		start := max(l.offset-l.seen, 0)
		end := n
		if l.count >= 0 {
			end = min(n, l.offset+l.count-l.seen)
		}
		l.seen += n
		if start >= end {
			b.Release()
			continue
		}
		if start == 0 && end == n {
			return b, nil
		}
		out := b.NewSlice(start, end)
		b.Release()
		return out, nil
	}
}

// coalesce reads every partition of its input in order, one after another.
type coalesce struct {
	tc      *TaskContext
	node    *physical.CoalescePartitions
	current Operator
	next    int
}

func buildCoalesce(tc *TaskContext, n physical.Node, _ int) (Operator, error) {
	return &coalesce{tc: tc, node: n.(*physical.CoalescePartitions)}, nil
}

func (c *coalesce) Open(context.Context) error { return nil }
func (c *coalesce) Schema() *arrow.Schema      { return c.node.Schema() }

func (c *coalesce) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if c.current == nil {
			if c.next >= c.node.Input.NumPartitions() {
				return nil, io.EOF
			}
			op, err := Build(c.tc, c.node.Input, c.next)
			if err != nil {
				return nil, err
			}
			c.next++
			if err := op.Open(ctx); err != nil {
				op.Close()
				return nil, err
			}
			c.current = op
		}
		b, err := c.current.Next(ctx)
		if errors.Is(err, io.EOF) {
			if err := c.current.Close(); err != nil {
				return nil, err
			}
			c.current = nil
			continue
		}
		return b, err
	}
}

func (c *coalesce) Close() error {
	if c.current != nil {
		err := c.current.Close()
		c.current = nil
		return err
	}
	return nil
}
