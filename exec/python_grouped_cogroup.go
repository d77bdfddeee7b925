package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/udf"
)

// Streaming cogroup (CoGroupedPython.Sorted): both inputs arrive sorted by their keys, so the
// operator merges them like a sort-merge join, sending each key's left rows then its right
// rows under one group number, as they come. It holds one input batch per side plus the rows
// not yet sent (under one batch size); the worker holds one group pair at a time.

// cogroupSide reads one sorted input and evaluates its keys batch by batch.
type cogroupSide struct {
	input    Operator
	grouping []logical.Expr
	batch    arrow.RecordBatch
	keys     []arrow.Array
	pos      int
	done     bool
}

// fill makes pos point at a row, reading batches as needed; done is set at the end of input.
func (s *cogroupSide) fill(ec *EvalContext) error {
	for !s.done && (s.batch == nil || s.pos >= int(s.batch.NumRows())) {
		s.releaseBatch()
		b, err := s.input.Next(ec.Ctx)
		if errors.Is(err, io.EOF) {
			s.done = true
			return nil
		}
		if err != nil {
			return err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		keys, err := evalExprList(ec, s.grouping, b)
		if err != nil {
			b.Release()
			return err
		}
		s.batch, s.keys, s.pos = b, keys, 0
	}
	return nil
}

// keyHere returns the current row's key values as one-row arrays; release them.
func (s *cogroupSide) keyHere() []arrow.Array {
	out := make([]arrow.Array, len(s.keys))
	for i, k := range s.keys {
		out[i] = array.NewSlice(k, int64(s.pos), int64(s.pos+1))
	}
	return out
}

func (s *cogroupSide) releaseBatch() {
	if s.batch != nil {
		s.batch.Release()
		s.batch = nil
	}
	releaseArrays(s.keys)
	s.keys = nil
}

// cogroupKeyOrder is the order the planner sorts both sides in (ascending, nulls first).
func cogroupKeyOrder(n int) []*logical.SortOrder {
	order := make([]*logical.SortOrder, n)
	for i := range order {
		order[i] = &logical.SortOrder{Direction: logical.Ascending, Nulls: logical.NullsFirst}
	}
	return order
}

// startSorted merges the two sorted inputs into the worker's layout and starts the worker. It
// reports false when both inputs are empty (no worker is borrowed then).
func (c *coGroupedPython) startSorted(ctx context.Context) (bool, error) {
	ec := &EvalContext{Ctx: ctx, Task: c.tc}
	sides := [2]*cogroupSide{
		{input: c.left, grouping: c.node.LeftGrouping},
		{input: c.right, grouping: c.node.RightGrouping},
	}
	release := func() {
		for _, s := range sides {
			s.releaseBatch()
		}
	}
	for _, s := range sides {
		if err := s.fill(ec); err != nil {
			release()
			return false, err
		}
	}
	if sides[0].done && sides[1].done {
		return false, nil
	}
	ls, rs := c.node.Left.Schema(), c.node.Right.Schema()
	leftKeyTypes := make([]arrow.Array, len(c.node.LeftGrouping))
	rightKeyTypes := make([]arrow.Array, len(c.node.RightGrouping))
	for i := range leftKeyTypes {
		leftKeyTypes[i] = array.MakeArrayOfNull(c.tc.Allocator, c.node.LeftGrouping[i].DataType(), 0)
		rightKeyTypes[i] = array.MakeArrayOfNull(c.tc.Allocator, c.node.RightGrouping[i].DataType(), 0)
	}
	fields := cogroupFields(ls, rs, leftKeyTypes, rightKeyTypes)
	releaseArrays(leftKeyTypes)
	releaseArrays(rightKeyTypes)
	schema := arrow.NewSchema(fields, nil)
	numLeft, numRight, numKeys := len(ls.Fields()), len(rs.Fields()), len(c.node.LeftGrouping)
	order := cogroupKeyOrder(numKeys)
	batchSize := max(c.tc.BatchSize, 1)
	mem := c.tc.Allocator

	feed := func(ctx context.Context, task *udf.Task) error {
		defer release()
		ec := &EvalContext{Ctx: ctx, Task: c.tc}
		var pending []arrow.RecordBatch
		pendingRows := 0
		defer func() { releaseBatchList(pending) }()
		flush := func() error {
			if pendingRows == 0 {
				return nil
			}
			joined, err := concatRecordBatches(c.tc, schema, pending)
			releaseBatchList(pending)
			pending, pendingRows = nil, 0
			if err != nil {
				return err
			}
			defer joined.Release()
			return sendSliced(joined, batchSize, task.WriteBatch)
		}
		// emit queues rows [from, to) of side's current batch under group number group.
		emit := func(side int, group int64, from, to int) error {
			s := sides[side]
			n := to - from
			cols := make([]arrow.Array, 0, len(fields))
			appendOwn := func() {
				for _, col := range s.batch.Columns() {
					cols = append(cols, array.NewSlice(col, int64(from), int64(to)))
				}
				for _, k := range s.keys {
					cols = append(cols, array.NewSlice(k, int64(from), int64(to)))
				}
			}
			appendNulls := func(first, count int) {
				for _, f := range fields[first : first+count] {
					cols = append(cols, array.MakeArrayOfNull(mem, f.Type, n))
				}
			}
			if side == 0 {
				appendOwn()
				appendNulls(numLeft+numKeys, numRight+numKeys)
			} else {
				appendNulls(0, numLeft+numKeys)
				appendOwn()
			}
			groups, sideNumbers := make([]int64, n), make([]int64, n)
			for i := range groups {
				groups[i], sideNumbers[i] = group, int64(side)
			}
			cols = append(cols, buildInt64(c.tc, groups, nil), buildInt64(c.tc, sideNumbers, nil))
			piece := array.NewRecordBatch(schema, cols, int64(n))
			releaseArrays(cols)
			pending = append(pending, piece)
			pendingRows += n
			if pendingRows >= batchSize {
				return flush()
			}
			return nil
		}
		// run sends every row of side whose key equals key, across batches.
		run := func(side int, group int64, key []arrow.Array) error {
			s := sides[side]
			for {
				if err := s.fill(ec); err != nil || s.done {
					return err
				}
				end := s.pos
				rows := int(s.batch.NumRows())
				for end < rows && compareKeysAt(s.keys, end, key, 0, order) == 0 {
					end++
				}
				if end == s.pos {
					return nil
				}
				if err := emit(side, group, s.pos, end); err != nil {
					return err
				}
				s.pos = end
				if end < rows {
					return nil
				}
			}
		}
		for group := int64(0); ; group++ {
			for _, s := range sides {
				if err := s.fill(ec); err != nil {
					return err
				}
			}
			left, right := sides[0], sides[1]
			if left.done && right.done {
				break
			}
			var key []arrow.Array
			switch {
			case right.done:
				key = left.keyHere()
			case left.done:
				key = right.keyHere()
			case compareKeysAt(left.keys, left.pos, right.keys, right.pos, order) <= 0:
				key = left.keyHere()
			default:
				key = right.keyHere()
			}
			err := run(0, group, key)
			if err == nil {
				err = run(1, group, key)
			}
			releaseArrays(key)
			if err != nil {
				return err
			}
		}
		if err := flush(); err != nil {
			return err
		}
		return task.CloseInput(schema)
	}
	st, err := startPythonStream(ctx, c.tc, c.header(fields), []*logical.PythonFunction{c.node.Function}, false, feed)
	if err != nil {
		release()
		return false, err
	}
	c.stream = st
	return true, nil
}
