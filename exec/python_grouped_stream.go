package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/udf"
)

// Streaming grouped Python operators: when the planner sorts the input by the grouping keys
// (GroupedPython.Sorted), rows of a group arrive together, so batches go to the worker as they
// come, with a group number that changes where the key changes. Nothing is gathered: the
// operator holds only what the worker has not answered yet (the key values of pending groups, or
// for window calls the pending input rows).

// rowQueue is a FIFO of batches shared by the feeding goroutine and the operator.
type rowQueue struct {
	mu      sync.Mutex
	batches []arrow.RecordBatch
	offset  int64 // rows of batches[0] already taken
}

// push takes ownership of b.
func (q *rowQueue) push(b arrow.RecordBatch) {
	q.mu.Lock()
	q.batches = append(q.batches, b)
	q.mu.Unlock()
}

// take returns up to n rows from the head (fewer when the head batch ends first), or false when
// the queue is empty. Release the batch.
func (q *rowQueue) take(n int64) (arrow.RecordBatch, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.batches) > 0 && q.offset >= q.batches[0].NumRows() {
		q.batches[0].Release()
		q.batches = q.batches[1:]
		q.offset = 0
	}
	if len(q.batches) == 0 {
		return nil, false
	}
	head := q.batches[0]
	m := min(n, head.NumRows()-q.offset)
	out := head.NewSlice(q.offset, q.offset+m)
	q.offset += m
	return out, true
}

func (q *rowQueue) empty() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	var remaining int64
	for _, b := range q.batches {
		remaining += b.NumRows()
	}
	return remaining <= q.offset
}

func (q *rowQueue) release() {
	q.mu.Lock()
	for _, b := range q.batches {
		b.Release()
	}
	q.batches = nil
	q.mu.Unlock()
}

// startSorted starts the worker task over the sorted input. It reports false when the
// partition is empty (no worker is borrowed then).
func (g *groupedPython) startSorted(ctx context.Context) (bool, error) {
	first, err := g.input.Next(ctx)
	for err == nil && first.NumRows() == 0 {
		first.Release()
		first, err = g.input.Next(ctx)
	}
	if errors.Is(err, io.EOF) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	sendExprs, fields, offsets, sendSchema := g.sendPlan()
	argumentSchema := arrow.NewSchema(fields, nil)
	// Aggregates answer one row per group that starts with the group's key values.
	var keyFields []arrow.Field
	if g.node.Function == nil && !g.node.Window {
		keyFields = g.node.OutSchema.Fields()[:len(g.node.Grouping)]
	}
	keySchema := arrow.NewSchema(keyFields, nil)
	g.queue = &rowQueue{}
	aggregate := g.node.Function == nil && !g.node.Window
	batchSize := g.tc.BatchSize
	feed := func(ctx context.Context, task *udf.Task) error {
		ec := &EvalContext{Ctx: ctx, Task: g.tc}
		var encoder KeyEncoder
		var previous []byte
		group := int64(-1)
		next := first
		first = nil
		for {
			if next == nil {
				b, err := g.input.Next(ctx)
				if errors.Is(err, io.EOF) {
					return task.CloseInput(sendSchema)
				}
				if err != nil {
					return err
				}
				next = b
			}
			b := next
			next = nil
			err := func() error {
				defer b.Release()
				n := int(b.NumRows())
				if n == 0 {
					return nil
				}
				keys := make([]arrow.Array, len(g.node.Grouping))
				defer func() {
					for _, k := range keys {
						if k != nil {
							k.Release()
						}
					}
				}()
				for i, k := range g.node.Grouping {
					var err error
					if keys[i], err = EvalArray(ec, k, b); err != nil {
						return err
					}
				}
				ids := make([]int64, n)
				var starts []int32
				if len(keys) == 0 {
					if group < 0 {
						group, starts = 0, []int32{0}
					}
					for i := range ids {
						ids[i] = group
					}
				} else {
					buf, ends := encoder.Encode(g.tc.Allocator, keys, n)
					for i := 0; i < n; i++ {
						key := buf[ends[i]:ends[i+1]]
						if group < 0 || !bytes.Equal(key, previous) {
							group++
							starts = append(starts, int32(i))
						}
						ids[i] = group
						previous = key
					}
					// The encoder's buffer is reused by the next batch: keep a copy of the last key.
					previous = append([]byte(nil), previous...)
				}
				if aggregate && len(starts) > 0 {
					at := int32Array(g.tc.Allocator, starts)
					taken := make([]arrow.Array, len(keys))
					for i, k := range keys {
						var err error
						if taken[i], err = takeArray(ec, k, at); err != nil {
							at.Release()
							for _, x := range taken[:i] {
								x.Release()
							}
							return err
						}
					}
					at.Release()
					g.queue.push(array.NewRecordBatch(keySchema, taken, int64(len(starts))))
					for _, x := range taken {
						x.Release()
					}
				}
				if g.node.Window {
					b.Retain()
					g.queue.push(b)
				}
				sent, err := ProjectBatch(ec, sendExprs, argumentSchema, b)
				if err != nil {
					return err
				}
				builder := array.NewInt64Builder(g.tc.Allocator)
				builder.AppendValues(ids, nil)
				groupColumn := builder.NewArray()
				builder.Release()
				payload := array.NewRecordBatch(sendSchema, append(append([]arrow.Array(nil), sent.Columns()...), groupColumn), int64(n))
				sent.Release()
				groupColumn.Release()
				defer payload.Release()
				return sendSliced(payload, batchSize, task.WriteBatch)
			}()
			if err != nil {
				return err
			}
		}
	}
	s, err := startPythonStream(ctx, g.tc, g.header(sendSchema, offsets), g.functions(), false, func(ctx context.Context, task *udf.Task) error {
		defer func() {
			if first != nil {
				first.Release()
			}
		}()
		return feed(ctx, task)
	})
	if err != nil {
		first.Release()
		return false, err
	}
	g.stream = s
	return true, nil
}

// nextSorted pairs the worker's answers with what they belong to: each aggregate row with its
// group's key values, each window value with its input row, in the order they were sent.
func (g *groupedPython) nextSorted() (arrow.RecordBatch, error) {
	if g.node.Function != nil {
		return g.stream.nextBatch(g.node.OutSchema, &g.done)
	}
	for g.answer == nil || g.answerOffset >= g.answer.NumRows() {
		if g.answer != nil {
			g.answer.Release()
			g.answer = nil
		}
		b, err := g.stream.nextBatch(nil, &g.done)
		if errors.Is(err, io.EOF) {
			if !g.queue.empty() {
				return nil, errkind.Internal("the Python worker answered fewer rows than it was sent (%s)", describeFunctions(g.functions()))
			}
			return nil, io.EOF
		}
		if err != nil {
			return nil, err
		}
		g.answer, g.answerOffset = b, 0
	}
	head, ok := g.queue.take(g.answer.NumRows() - g.answerOffset)
	if !ok {
		return nil, errkind.Internal("the Python worker answered more rows than it was sent (%s)", describeFunctions(g.functions()))
	}
	defer head.Release()
	n := head.NumRows()
	cols := make([]arrow.Array, 0, len(g.node.OutSchema.Fields()))
	for _, c := range head.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	for _, c := range g.answer.Columns() {
		cols = append(cols, array.NewSlice(c, g.answerOffset, g.answerOffset+n))
	}
	out := array.NewRecordBatch(g.node.OutSchema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	g.answerOffset += n
	return out, nil
}
