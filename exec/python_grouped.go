package exec

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
	"github.com/quiverdata/quiver/udf"
)

// Grouped Python operators: applyInPandas, grouped aggregate pandas UDFs and cogrouped
// applyInPandas. The input partition (hash-partitioned on the keys by the exchange below) is
// gathered, its rows ordered by group, and streamed to a worker with a group-number column;
// the worker cuts the stream back into groups, so a group may span batches.

func init() {
	RegisterBuilder(&physical.GroupedPython{}, buildGroupedPython)
	RegisterBuilder(&physical.CoGroupedPython{}, buildCoGroupedPython)
}

// drainOperator reads every batch of an operator; the caller releases them.
func drainOperator(ctx context.Context, op Operator) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			releaseBatches(out)
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		out = append(out, b)
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// concatBatches joins batches of one schema into one (an empty batch when there are none).
func concatBatches(mem memory.Allocator, schema *arrow.Schema, bs []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(bs) == 1 {
		bs[0].Retain()
		return bs[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	var n int64
	for _, b := range bs {
		n += b.NumRows()
	}
	for i := range cols {
		parts := make([]arrow.Array, len(bs))
		for j, b := range bs {
			parts[j] = b.Column(i)
		}
		if len(parts) == 0 {
			cols[i] = array.MakeArrayOfNull(mem, schema.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, x := range cols[:i] {
				x.Release()
			}
			return nil, err
		}
		cols[i] = c
	}
	out := array.NewRecordBatch(schema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	return out, nil
}

// groupNumbers assigns each row a group number by its key values, numbering groups in order of
// first appearance; groups maps encoded keys to numbers and is shared between cogrouped sides.
func groupNumbers(mem memory.Allocator, keys []arrow.Array, n int, groups map[string]int32) []int32 {
	ids := make([]int32, n)
	if len(keys) == 0 {
		if _, ok := groups[""]; !ok && n > 0 {
			groups[""] = int32(len(groups))
		}
		for i := range ids {
			ids[i] = groups[""]
		}
		return ids
	}
	var enc KeyEncoder
	buf, offsets := enc.Encode(mem, keys, n)
	for i := 0; i < n; i++ {
		k := string(buf[offsets[i]:offsets[i+1]])
		g, ok := groups[k]
		if !ok {
			g = int32(len(groups))
			groups[k] = g
		}
		ids[i] = g
	}
	return ids
}

// orderByGroup returns row indices sorted by group number (stable) and where each group starts.
func orderByGroup(ids []int32, numGroups int) (order []int32, starts []int32) {
	counts := make([]int32, numGroups+1)
	for _, g := range ids {
		counts[g+1]++
	}
	for g := 1; g <= numGroups; g++ {
		counts[g] += counts[g-1]
	}
	starts = append([]int32(nil), counts[:numGroups]...)
	order = make([]int32, len(ids))
	next := append([]int32(nil), counts[:numGroups]...)
	for i, g := range ids {
		order[next[g]] = int32(i)
		next[g]++
	}
	return order, starts
}

func int64Array(mem memory.Allocator, v []int32) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.Reserve(len(v))
	for _, x := range v {
		b.UnsafeAppend(int64(x))
	}
	return b.NewArray()
}

// -- GroupedPython -------------------------------------------------------------------------------

type groupedPython struct {
	tc    *TaskContext
	node  *physical.GroupedPython
	input Operator

	stream *pythonStream
	// keysAtStarts holds each group's key values in group order (aggregates prepend them).
	keysAtStarts []arrow.Array
	groupCursor  int64
	// sortedInput holds the input rows in the order sent (by group) for window calls, whose
	// output is one value per row; rowCursor is the next row to pair with the worker's output.
	sortedInput arrow.RecordBatch
	rowCursor   int64
	// Streaming over sorted input (GroupedPython.Sorted): what the worker has not answered yet,
	// and its current answer.
	queue        *rowQueue
	answer       arrow.RecordBatch
	answerOffset int64
	done         bool
}

func buildGroupedPython(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.GroupedPython)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &groupedPython{tc: tc, node: node, input: in}, nil
}

func (g *groupedPython) Schema() *arrow.Schema          { return g.node.OutSchema }
func (g *groupedPython) Open(ctx context.Context) error { return g.input.Open(ctx) }

func (g *groupedPython) functions() []*logical.PythonFunction {
	if g.node.Function != nil {
		return []*logical.PythonFunction{g.node.Function}
	}
	out := make([]*logical.PythonFunction, len(g.node.Calls))
	for i, c := range g.node.Calls {
		out[i] = c.Function
	}
	return out
}

// sendPlan is what goes to the worker: for applyInPandas the input columns then the keys; for
// aggregates the distinct call arguments; then the group number (sendSchema's last field).
// offsets are each function's argument columns (applyInPandas: the keys).
func (g *groupedPython) sendPlan() (sendExprs []logical.Expr, fields []arrow.Field, offsets [][]int32, sendSchema *arrow.Schema) {
	inSchema := g.node.Input.Schema()
	if g.node.Function != nil {
		for i, f := range inSchema.Fields() {
			sendExprs = append(sendExprs, &logical.BoundRef{Ordinal: i, ColumnName: f.Name, Type: f.Type, Null: true})
			fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true, Metadata: f.Metadata})
		}
		keyOffsets := make([]int32, len(g.node.Grouping))
		for i, k := range g.node.Grouping {
			keyOffsets[i] = int32(len(sendExprs))
			sendExprs = append(sendExprs, k)
			fields = append(fields, arrow.Field{Name: fmt.Sprintf("__key%d", i), Type: k.DataType(), Nullable: true})
		}
		offsets = [][]int32{keyOffsets}
	} else {
		index := map[string]int32{}
		for _, c := range g.node.Calls {
			offs := make([]int32, len(c.Args))
			for j, a := range c.Args {
				key := a.String() + "|" + fmt.Sprint(a.DataType())
				idx, ok := index[key]
				if !ok {
					idx = int32(len(sendExprs))
					index[key] = idx
					sendExprs = append(sendExprs, a)
					fields = append(fields, arrow.Field{Name: fmt.Sprintf("_%d", idx), Type: a.DataType(), Nullable: true})
				}
				offs[j] = idx
			}
			offsets = append(offsets, offs)
		}
	}
	sendSchema = arrow.NewSchema(append(fields, arrow.Field{Name: "__group", Type: arrow.PrimitiveTypes.Int64}), nil)
	return sendExprs, fields, offsets, sendSchema
}

// header is the worker task for this operator's functions.
func (g *groupedPython) header(sendSchema *arrow.Schema, offsets [][]int32) *pb.WorkerTask {
	mem := g.tc.Allocator
	h := &pb.WorkerTask{GroupColumn: int32(sendSchema.NumFields() - 1)}
	var returnSchema *arrow.Schema
	if g.node.Function != nil {
		h.EvalType = pb.PythonEvalType(g.node.Function.EvalType)
		h.NumKeyColumns = int32(len(g.node.Grouping))
		h.Functions = []*pb.WorkerFunction{pythonFunction(g.node.Function, offsets[0], mem)}
		returnSchema = g.node.OutSchema
	} else {
		h.EvalType = pb.PythonEvalType(logical.PythonGroupedAggPandas)
		if g.node.Window {
			h.EvalType = pb.PythonEvalType(logical.PythonWindowAggPandas)
		}
		var rf []arrow.Field
		for i, c := range g.node.Calls {
			h.Functions = append(h.Functions, pythonFunction(c.Function, offsets[i], mem))
			rf = append(rf, arrow.Field{Name: fmt.Sprintf("_%d", i), Type: c.Function.ReturnType, Nullable: true})
		}
		returnSchema = arrow.NewSchema(rf, nil)
	}
	h.ReturnSchema = &pb.Schema{ArrowSchema: flight.SerializeSchema(returnSchema, mem)}
	return h
}

// prepare gathers the partition, orders it by group and starts the worker task. It reports
// false when the partition is empty.
func (g *groupedPython) prepare(ctx context.Context) (bool, error) {
	mem := g.tc.Allocator
	batches, err := drainOperator(ctx, g.input)
	if err != nil {
		return false, err
	}
	defer releaseBatches(batches)
	if len(batches) == 0 {
		return false, nil
	}
	inSchema := g.node.Input.Schema()
	all, err := concatBatches(mem, inSchema, batches)
	if err != nil {
		return false, err
	}
	defer all.Release()
	ec := &EvalContext{Ctx: ctx, Task: g.tc}
	n := int(all.NumRows())

	sendExprs, fields, offsets, sendSchema := g.sendPlan()
	sent, err := ProjectBatch(ec, sendExprs, arrow.NewSchema(fields, nil), all)
	if err != nil {
		return false, err
	}
	defer sent.Release()

	keys := make([]arrow.Array, len(g.node.Grouping))
	defer func() {
		for _, k := range keys {
			if k != nil {
				k.Release()
			}
		}
	}()
	for i, k := range g.node.Grouping {
		if keys[i], err = EvalArray(ec, k, all); err != nil {
			return false, err
		}
	}
	groups := map[string]int32{}
	ids := groupNumbers(mem, keys, n, groups)
	order, starts := orderByGroup(ids, len(groups))
	orderArr := int32Array(mem, order)
	defer orderArr.Release()
	sorted, err := TakeRecordBatch(ec, sent, orderArr)
	if err != nil {
		return false, err
	}
	sortedIDs := make([]int32, n)
	for i, row := range order {
		sortedIDs[i] = ids[row]
	}
	if g.node.Window {
		if g.sortedInput, err = TakeRecordBatch(ec, all, orderArr); err != nil {
			sorted.Release()
			return false, err
		}
	}
	groupCol := int64Array(mem, sortedIDs)
	cols := make([]arrow.Array, 0, sorted.NumCols()+1)
	for _, c := range sorted.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	cols = append(cols, groupCol)
	sorted.Release()
	defer func() { releaseArrays(cols) }()
	var frameConfig map[string]string
	if len(g.node.Frames) > 0 {
		// Framed window calls: each row's frame as [begin, end) within its group, in columns
		// before the group number; the worker calls such a function once per row.
		bounds, fields, config, err := g.frameColumns(ec, sortedIDs, sendSchema.NumFields()-1)
		if err != nil {
			return false, err
		}
		last := len(cols) - 1
		cols = append(append(cols[:last:last], bounds...), cols[last])
		schemaFields := sendSchema.Fields()
		sendSchema = arrow.NewSchema(append(append(schemaFields[:len(schemaFields)-1:len(schemaFields)-1], fields...), schemaFields[len(schemaFields)-1]), nil)
		frameConfig = config
	}
	payload := array.NewRecordBatch(sendSchema, cols, int64(n))

	if g.node.Function == nil && !g.node.Window {
		// The aggregate's output starts with each group's key values.
		startRows := make([]int32, len(starts))
		for i, s := range starts {
			startRows[i] = order[s]
		}
		startArr := int32Array(mem, startRows)
		defer startArr.Release()
		for _, k := range keys {
			taken, err := takeArray(ec, k, startArr)
			if err != nil {
				payload.Release()
				return false, err
			}
			g.keysAtStarts = append(g.keysAtStarts, taken)
		}
	}

	h := g.header(sendSchema, offsets)
	for k, v := range frameConfig {
		if h.Config == nil {
			h.Config = map[string]string{}
		}
		h.Config[k] = v
	}
	batchSize := g.tc.BatchSize
	feed := func(ctx context.Context, task *udf.Task) error {
		defer payload.Release()
		if err := sendSliced(payload, batchSize, task.WriteBatch); err != nil {
			return err
		}
		return task.CloseInput(sendSchema)
	}
	s, err := startPythonStream(ctx, g.tc, h, g.functions(), false, feed)
	if err != nil {
		payload.Release()
		return false, err
	}
	g.stream = s
	return true, nil
}

// frameColumns computes, for each window call over an ordered or bounded frame, every row's
// frame in g.sortedInput (rows in (group, order) order, groups numbered by ids) as begin and end
// columns relative to the row's group start (PySpark's bounded window protocol). config tells
// the worker which columns hold function i's bounds: "quiver.window.frame.<i>" = "begin,end"
// (offsets into the sent schema, counted from first).
func (g *groupedPython) frameColumns(ec *EvalContext, ids []int32, first int) ([]arrow.Array, []arrow.Field, map[string]string, error) {
	n := len(ids)
	partStart, partEnd := make([]int32, n), make([]int32, n)
	for start := 0; start < n; {
		end := start + 1
		for end < n && ids[end] == ids[start] {
			end++
		}
		for i := start; i < end; i++ {
			partStart[i], partEnd[i] = int32(start), int32(end)
		}
		start = end
	}
	var columns []arrow.Array
	var fields []arrow.Field
	config := map[string]string{}
	for i, frame := range g.node.Frames {
		if frame == nil || frame.IsWholePartition() {
			continue
		}
		lo, hi, err := frameBounds(ec, g.sortedInput, partStart, partEnd, g.node.OrderSpec, frame)
		if err != nil {
			releaseArrays(columns)
			return nil, nil, nil, err
		}
		begin, end := make([]int64, n), make([]int64, n)
		for r := 0; r < n; r++ {
			begin[r] = int64(lo[r] - partStart[r])
			end[r] = max(int64(hi[r]-partStart[r])+1, begin[r])
		}
		at := first + len(fields)
		config[fmt.Sprintf("quiver.window.frame.%d", i)] = fmt.Sprintf("%d,%d", at, at+1)
		columns = append(columns, buildInt64(g.tc, begin, nil), buildInt64(g.tc, end, nil))
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("__begin%d", i), Type: arrow.PrimitiveTypes.Int64},
			arrow.Field{Name: fmt.Sprintf("__end%d", i), Type: arrow.PrimitiveTypes.Int64})
	}
	return columns, fields, config, nil
}

func takeArray(ec *EvalContext, a arrow.Array, indices arrow.Array) (arrow.Array, error) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: a.DataType(), Nullable: true}}, nil)
	b := array.NewRecordBatch(schema, []arrow.Array{a}, int64(a.Len()))
	defer b.Release()
	t, err := TakeRecordBatch(ec, b, indices)
	if err != nil {
		return nil, err
	}
	defer t.Release()
	c := t.Column(0)
	c.Retain()
	return c, nil
}

func (g *groupedPython) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if g.done {
		return nil, io.EOF
	}
	if g.stream == nil {
		prepare := g.prepare
		if g.node.Sorted {
			prepare = g.startSorted
		}
		ok, err := prepare(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			g.done = true
			return nil, io.EOF
		}
	}
	if g.node.Sorted {
		return g.nextSorted()
	}
	if g.node.Function != nil {
		return g.stream.nextBatch(g.node.OutSchema, &g.done)
	}
	b, err := g.stream.nextBatch(nil, &g.done)
	if errors.Is(err, io.EOF) && g.node.Window && g.rowCursor != g.sortedInput.NumRows() {
		return nil, errkind.Internal("the Python worker returned %d window values for %d rows", g.rowCursor, g.sortedInput.NumRows())
	}
	if err != nil {
		return nil, err
	}
	if g.node.Window {
		return g.pairWithRows(b)
	}
	n := b.NumRows()
	if g.groupCursor+n > int64(len(g.keysAtStarts)) && len(g.keysAtStarts) > 0 && g.groupCursor+n > int64(g.keysAtStarts[0].Len()) {
		b.Release()
		return nil, errkind.Internal("the Python worker returned more aggregate rows than there are groups")
	}
	cols := make([]arrow.Array, 0, len(g.node.OutSchema.Fields()))
	for _, k := range g.keysAtStarts {
		cols = append(cols, array.NewSlice(k, g.groupCursor, g.groupCursor+n))
	}
	for _, c := range b.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	out := array.NewRecordBatch(g.node.OutSchema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	b.Release()
	g.groupCursor += n
	return out, nil
}

// pairWithRows appends the worker's per-row window values (b, released here) to the input rows
// they belong to: the worker answers in the order the rows were sent.
func (g *groupedPython) pairWithRows(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer b.Release()
	n := b.NumRows()
	if g.rowCursor+n > g.sortedInput.NumRows() {
		return nil, errkind.Internal("the Python worker returned more window values than there are rows")
	}
	cols := make([]arrow.Array, 0, len(g.node.OutSchema.Fields()))
	for _, c := range g.sortedInput.Columns() {
		cols = append(cols, array.NewSlice(c, g.rowCursor, g.rowCursor+n))
	}
	for _, c := range b.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	out := array.NewRecordBatch(g.node.OutSchema, cols, n)
	for _, c := range cols {
		c.Release()
	}
	g.rowCursor += n
	return out, nil
}

func (g *groupedPython) Close() error {
	if g.stream != nil {
		g.stream.close()
		g.stream = nil
	}
	if g.sortedInput != nil {
		g.sortedInput.Release()
		g.sortedInput = nil
	}
	if g.answer != nil {
		g.answer.Release()
		g.answer = nil
	}
	if g.queue != nil {
		g.queue.release()
	}
	for _, k := range g.keysAtStarts {
		k.Release()
	}
	g.keysAtStarts = nil
	return g.input.Close()
}

// -- CoGroupedPython -----------------------------------------------------------------------------

type coGroupedPython struct {
	tc          *TaskContext
	node        *physical.CoGroupedPython
	left, right Operator
	stream      *pythonStream
	done        bool
}

func buildCoGroupedPython(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.CoGroupedPython)
	l, err := Build(tc, node.Left, partition)
	if err != nil {
		return nil, err
	}
	r, err := Build(tc, node.Right, partition)
	if err != nil {
		l.Close()
		return nil, err
	}
	return &coGroupedPython{tc: tc, node: node, left: l, right: r}, nil
}

func (c *coGroupedPython) Schema() *arrow.Schema { return c.node.OutSchema }
func (c *coGroupedPython) Open(ctx context.Context) error {
	if err := c.left.Open(ctx); err != nil {
		return err
	}
	return c.right.Open(ctx)
}

// side gathers one input and evaluates its keys.
func (c *coGroupedPython) side(ctx context.Context, op Operator, schema *arrow.Schema, grouping []logical.Expr) (arrow.RecordBatch, []arrow.Array, error) {
	batches, err := drainOperator(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	defer releaseBatches(batches)
	all, err := concatBatches(c.tc.Allocator, schema, batches)
	if err != nil {
		return nil, nil, err
	}
	ec := &EvalContext{Ctx: ctx, Task: c.tc}
	keys := make([]arrow.Array, len(grouping))
	for i, k := range grouping {
		if keys[i], err = EvalArray(ec, k, all); err != nil {
			for _, x := range keys[:i] {
				x.Release()
			}
			all.Release()
			return nil, nil, err
		}
	}
	return all, keys, nil
}

// cogroupFields is the layout sent to the worker: left columns, left keys, right columns, right
// keys, group number, side (0 left, 1 right). Rows of the other side are null in a side's
// columns.
func cogroupFields(ls, rs *arrow.Schema, lkeys, rkeys []arrow.Array) []arrow.Field {
	var fields []arrow.Field
	for i, f := range ls.Fields() {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("l%d", i), Type: f.Type, Nullable: true, Metadata: arrow.NewMetadata([]string{"quiver.name"}, []string{f.Name})})
	}
	for i, k := range lkeys {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("lk%d", i), Type: k.DataType(), Nullable: true})
	}
	for i, f := range rs.Fields() {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("r%d", i), Type: f.Type, Nullable: true, Metadata: arrow.NewMetadata([]string{"quiver.name"}, []string{f.Name})})
	}
	for i, k := range rkeys {
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("rk%d", i), Type: k.DataType(), Nullable: true})
	}
	return append(fields, arrow.Field{Name: "__group", Type: arrow.PrimitiveTypes.Int64}, arrow.Field{Name: "__side", Type: arrow.PrimitiveTypes.Int64})
}

// header is the worker task for the layout of cogroupFields. The worker reads the left frame
// from [0, numLeft) and the right frame from the columns after the left keys.
func (c *coGroupedPython) header(fields []arrow.Field) *pb.WorkerTask {
	mem := c.tc.Allocator
	numLeft := len(c.node.Left.Schema().Fields())
	numRight := len(c.node.Right.Schema().Fields())
	k := len(c.node.LeftGrouping)
	keyOffsets := make([]int32, 0, 2*k)
	for i := 0; i < k; i++ {
		keyOffsets = append(keyOffsets, int32(numLeft+i))
	}
	rightStart := numLeft + k
	for i := 0; i < k; i++ {
		keyOffsets = append(keyOffsets, int32(rightStart+numRight+i))
	}
	f := c.node.Function
	return &pb.WorkerTask{
		EvalType: pb.PythonEvalType(f.EvalType), Functions: []*pb.WorkerFunction{pythonFunction(f, keyOffsets, mem)},
		ReturnSchema:  &pb.Schema{ArrowSchema: flight.SerializeSchema(c.node.OutSchema, mem)},
		NumKeyColumns: int32(k), NumLeftColumns: int32(numLeft),
		GroupColumn: int32(len(fields) - 2),
		Config:      map[string]string{"quiver.cogroup.right_start": fmt.Sprint(rightStart), "quiver.cogroup.right_columns": fmt.Sprint(numRight)},
	}
}

func (c *coGroupedPython) prepare(ctx context.Context) (bool, error) {
	mem := c.tc.Allocator
	ls, rs := c.node.Left.Schema(), c.node.Right.Schema()
	left, lkeys, err := c.side(ctx, c.left, ls, c.node.LeftGrouping)
	if err != nil {
		return false, err
	}
	defer left.Release()
	defer releaseArrays(lkeys)
	right, rkeys, err := c.side(ctx, c.right, rs, c.node.RightGrouping)
	if err != nil {
		return false, err
	}
	defer right.Release()
	defer releaseArrays(rkeys)
	nl, nr := int(left.NumRows()), int(right.NumRows())
	if nl+nr == 0 {
		return false, nil
	}
	groups := map[string]int32{}
	lids := groupNumbers(mem, lkeys, nl, groups)
	rids := groupNumbers(mem, rkeys, nr, groups)

	fields := cogroupFields(ls, rs, lkeys, rkeys)
	var lcols, rcols []arrow.Array
	for i := range ls.Fields() {
		lcols = append(lcols, left.Column(i))
	}
	lcols = append(lcols, lkeys...)
	for i := range rs.Fields() {
		rcols = append(rcols, right.Column(i))
	}
	rcols = append(rcols, rkeys...)
	schema := arrow.NewSchema(fields, nil)

	// Concatenate [left rows; right rows] column by column, padding with nulls.
	cols := make([]arrow.Array, 0, len(fields))
	defer func() { releaseArrays(cols) }()
	pad := func(a arrow.Array, before, after int) (arrow.Array, error) {
		parts := []arrow.Array{}
		if before > 0 {
			parts = append(parts, array.MakeArrayOfNull(mem, a.DataType(), before))
		}
		parts = append(parts, a)
		if after > 0 {
			parts = append(parts, array.MakeArrayOfNull(mem, a.DataType(), after))
		}
		out, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			if p != a {
				p.Release()
			}
		}
		return out, err
	}
	for _, a := range lcols {
		p, err := pad(a, 0, nr)
		if err != nil {
			return false, err
		}
		cols = append(cols, p)
	}
	for _, a := range rcols {
		p, err := pad(a, nl, 0)
		if err != nil {
			return false, err
		}
		cols = append(cols, p)
	}
	ids := append(append([]int32(nil), lids...), rids...)
	sides := make([]int32, nl+nr)
	for i := nl; i < nl+nr; i++ {
		sides[i] = 1
	}
	// Order by group; within a group left rows come first because they precede right rows.
	order, _ := orderByGroup(ids, len(groups))
	sortedIDs := make([]int32, len(order))
	sortedSides := make([]int32, len(order))
	for i, row := range order {
		sortedIDs[i], sortedSides[i] = ids[row], sides[row]
	}
	combined := array.NewRecordBatch(arrow.NewSchema(fields[:len(fields)-2], nil), cols, int64(nl+nr))
	defer combined.Release()
	orderArr := int32Array(mem, order)
	defer orderArr.Release()
	ec := &EvalContext{Ctx: ctx, Task: c.tc}
	sorted, err := TakeRecordBatch(ec, combined, orderArr)
	if err != nil {
		return false, err
	}
	g, s := int64Array(mem, sortedIDs), int64Array(mem, sortedSides)
	payload := array.NewRecordBatch(schema, append(append([]arrow.Array(nil), sorted.Columns()...), g, s), int64(nl+nr))
	sorted.Release()
	g.Release()
	s.Release()

	h := c.header(fields)
	batchSize := c.tc.BatchSize
	feed := func(ctx context.Context, task *udf.Task) error {
		defer payload.Release()
		if err := sendSliced(payload, batchSize, task.WriteBatch); err != nil {
			return err
		}
		return task.CloseInput(schema)
	}
	st, err := startPythonStream(ctx, c.tc, h, []*logical.PythonFunction{c.node.Function}, false, feed)
	if err != nil {
		payload.Release()
		return false, err
	}
	c.stream = st
	return true, nil
}

func (c *coGroupedPython) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if c.done {
		return nil, io.EOF
	}
	if c.stream == nil {
		start := c.prepare
		if c.node.Sorted {
			start = c.startSorted
		}
		ok, err := start(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			c.done = true
			return nil, io.EOF
		}
	}
	return c.stream.nextBatch(c.node.OutSchema, &c.done)
}

func (c *coGroupedPython) Close() error {
	if c.stream != nil {
		c.stream.close()
		c.stream = nil
	}
	err := c.left.Close()
	if rerr := c.right.Close(); err == nil {
		err = rerr
	}
	return err
}
