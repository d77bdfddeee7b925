package exec

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// A window partition larger than the memory limit is written to an Arrow IPC spill file and
// computed in chunks read back in order (spilledWindow). Chunks end at peer-group boundaries,
// so a row's peers are always in its chunk. Each function needs only:
//   - ranking functions: the chunk's start row and the dense rank so far (and the partition's
//     row count, known once spilled, for percent_rank, cume_dist and ntile);
//   - lag/lead and frames bounded on both sides: a bounded look-back and look-ahead of rows
//     around the chunk (the offsets), evaluated by the in-memory code;
//   - frames from UNBOUNDED PRECEDING: the aggregate of every row before the chunk (a carried
//     partial) merged with the chunk's own running aggregate;
//   - whole-partition frames: a first pass over the file for the partition's aggregate.
// Memory is about one chunk plus the look-back and look-ahead, unless one peer group is larger.

// minimumSpilledChunkRows keeps chunks from being tiny when batches are: each chunk costs a few
// array concatenations and function evaluations.
const minimumSpilledChunkRows = 128

// spillFunctionKind is how one window function is computed over a spilled partition.
type spillFunctionKind int

const (
	spillRanking spillFunctionKind = iota
	spillAround                    // lag/lead, bounded frames: evaluated with look-back/ahead rows
	spillRunning                   // UNBOUNDED PRECEDING to a bounded end: carried partial
	spillWhole                     // the whole partition: first pass
)

// spillPlan is how each of the node's functions is computed over a spilled partition.
type spillPlan struct {
	kinds       []spillFunctionKind
	names       []string // aggregate names (sum, count, ...) for running and whole frames
	back, ahead int64
}

// planSpilledWindow classifies the node's functions, or explains which one cannot be computed
// over a partition larger than the memory limit.
func planSpilledWindow(node *physical.Window) (*spillPlan, error) {
	p := &spillPlan{}
	for _, we := range node.Functions {
		kind, name, back, ahead, err := classifySpilledFunction(we)
		if err != nil {
			return nil, err
		}
		p.kinds = append(p.kinds, kind)
		p.names = append(p.names, name)
		p.back, p.ahead = max(p.back, back), max(p.ahead, ahead)
	}
	return p, nil
}

func classifySpilledFunction(we *logical.WindowExpr) (spillFunctionKind, string, int64, int64, error) {
	if call, ok := we.Function.(*logical.Call); ok {
		switch call.Function {
		case "row_number", "rank", "dense_rank", "ntile", "percent_rank", "cume_dist":
			return spillRanking, "", 0, 0, nil
		case "lag", "lead":
			offset := call.Args[1].(*logical.Literal).Value.(*scalar.Int64).Value
			if offset < 0 {
				offset = -offset
			}
			return spillAround, "", offset, offset, nil
		}
	}
	name, _, ok := protoplan.WindowAggregate(we.Function)
	unsupported := func(why string) (spillFunctionKind, string, int64, int64, error) {
		return 0, "", 0, 0, errkind.ResourceExhausted("a window partition does not fit the memory limit and %s over %s cannot be computed in chunks (%s); partition the window more finely (Window.partitionBy) or raise the memory limit (quiver serve --memory-limit, spark.quiver.memory.limit)",
			we.Function.String(), we.Frame.String(), why)
	}
	if !ok {
		return unsupported("not an aggregate")
	}
	fr := we.Frame
	rangeOffsets := fr.Type == logical.RangeFrame && (!fr.Lower.Unbounded && fr.Lower.Offset != 0 || !fr.Upper.Unbounded && fr.Upper.Offset != 0)
	if rangeOffsets {
		return unsupported("RANGE frames with value offsets need every row within the offset")
	}
	offsetsOf := func() (int64, int64) {
		if fr.Type != logical.RowFrame {
			return 0, 0 // CURRENT ROW in a RANGE frame: the row's peers, always in its chunk
		}
		var back, ahead int64
		if !fr.Lower.Unbounded {
			back, ahead = max(back, -fr.Lower.Offset), max(ahead, fr.Lower.Offset)
		}
		if !fr.Upper.Unbounded {
			back, ahead = max(back, -fr.Upper.Offset), max(ahead, fr.Upper.Offset)
		}
		return back, ahead
	}
	mergeable := name == "sum" || name == "count" || name == "min" || name == "max" || name == "avg" || name == "mean"
	switch {
	case !fr.Lower.Unbounded && !fr.Upper.Unbounded:
		back, ahead := offsetsOf()
		return spillAround, name, back, ahead, nil
	case fr.Lower.Unbounded && fr.Upper.Unbounded && mergeable:
		return spillWhole, name, 0, 0, nil
	case fr.Lower.Unbounded && mergeable:
		_, ahead := offsetsOf()
		return spillRunning, name, 0, ahead, nil
	case !mergeable:
		return unsupported(name + " over a frame with an unbounded end")
	}
	return unsupported("frames ending at UNBOUNDED FOLLOWING need every later row")
}

// windowPartial is a mergeable aggregate of the rows before a chunk (or of a whole partition).
type windowPartial struct {
	count   int64 // non-null values
	integer int64
	float   float64
	decimal decimal128.Num
	// best is the min/max value so far (one row), nil before the first non-null value.
	best arrow.Array
}

func (p *windowPartial) release() {
	if p.best != nil {
		p.best.Release()
		p.best = nil
	}
}

// spilledWindow computes one spilled window partition chunk by chunk.
type spilledWindow struct {
	w        *windowOperator
	plan     *spillPlan
	file     *arrowio.SpillFile
	reader   *arrowio.SpillReader
	rows     int64 // the partition's row count
	partials []windowPartial
	wholes   []arrow.Array // whole-partition results (one row each)
	dense    int32         // dense rank of the last row emitted
	// pending holds rows [pendingStart, pendingStart+pendingRows) read from the file.
	pending      []arrow.RecordBatch
	pendingStart int64
	pendingRows  int64
	eof          bool
	next         int64 // first row not yet emitted
	// res accounts the pending rows, so other operators of the query see them; the rows a
	// chunk needs are kept even when the pool is full (they are bounded by the chunk size).
	res *MemoryReservation
}

func newSpilledWindow(ctx context.Context, w *windowOperator, plan *spillPlan, file *arrowio.SpillFile) (*spilledWindow, error) {
	s := &spilledWindow{w: w, plan: plan, file: file, rows: file.Rows(), partials: make([]windowPartial, len(plan.kinds)),
		wholes: make([]arrow.Array, len(plan.kinds)), res: w.tc.MemoryPool().NewReservation("WindowSpilledPartition")}
	needWhole := false
	for _, k := range plan.kinds {
		needWhole = needWhole || k == spillWhole
	}
	if needWhole {
		if err := s.wholePass(ctx); err != nil {
			s.close()
			return nil, err
		}
	}
	reader, err := file.Open(w.tc.Allocator)
	if err != nil {
		s.close()
		return nil, err
	}
	s.reader = reader
	return s, nil
}

func (s *spilledWindow) close() {
	s.res.Free()
	if s.reader != nil {
		s.reader.Close()
		s.reader = nil
	}
	releaseBatchList(s.pending)
	s.pending = nil
	for i := range s.partials {
		s.partials[i].release()
	}
	releaseArrayList(s.wholes)
	s.wholes = nil
	if s.file != nil {
		s.file.Close()
		s.file = nil
	}
}

// wholePass reads the file once and computes every whole-partition aggregate.
func (s *spilledWindow) wholePass(ctx context.Context) error {
	reader, err := s.file.Open(s.w.tc.Allocator)
	if err != nil {
		return err
	}
	defer reader.Close()
	partials := make([]windowPartial, len(s.plan.kinds))
	defer func() {
		for i := range partials {
			partials[i].release()
		}
	}()
	for {
		b, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		err = func() error {
			defer b.Release()
			for i, kind := range s.plan.kinds {
				if kind != spillWhole {
					continue
				}
				if err := s.mergeChunk(ctx, i, b, &partials[i]); err != nil {
					return err
				}
			}
			return nil
		}()
		if err != nil {
			return err
		}
	}
	for i, kind := range s.plan.kinds {
		if kind != spillWhole {
			continue
		}
		out, err := s.finishPartial(ctx, i, &partials[i])
		if err != nil {
			return err
		}
		s.wholes[i] = out
	}
	return nil
}

// fill reads until the pending rows reach row end (or the file ends).
func (s *spilledWindow) fill(end int64) error {
	for !s.eof && s.pendingStart+s.pendingRows < end {
		b, err := s.reader.Next()
		if errors.Is(err, io.EOF) {
			s.eof = true
			return nil
		}
		if err != nil {
			return err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		s.pending = append(s.pending, b)
		s.pendingRows += b.NumRows()
		s.res.TryGrow(BatchBytes(b))
	}
	return nil
}

// window returns rows [from, to) of the partition (all read already) as one batch; release it.
func (s *spilledWindow) window(ctx context.Context, from, to int64) (arrow.RecordBatch, error) {
	all, err := concatRecordBatches(s.w.tc, s.w.node.Input.Schema(), s.pending)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	return all.NewSlice(from-s.pendingStart, to-s.pendingStart), nil
}

// drop forgets pending rows before row keep.
func (s *spilledWindow) drop(keep int64) error {
	if keep <= s.pendingStart {
		return nil
	}
	end := s.pendingStart + s.pendingRows
	rest, err := s.window(context.Background(), keep, end)
	if err != nil {
		return err
	}
	// Copy the kept rows so the dropped ones are freed.
	idx := make([]int32, rest.NumRows())
	for i := range idx {
		idx[i] = int32(i)
	}
	indices := int32Indices(s.w.tc, idx)
	copied, err := takeRecordRows(context.Background(), s.w.tc, rest, indices)
	indices.Release()
	rest.Release()
	if err != nil {
		return err
	}
	releaseBatchList(s.pending)
	s.pending = []arrow.RecordBatch{copied}
	s.pendingStart, s.pendingRows = keep, end-keep
	s.res.Free()
	s.res.TryGrow(BatchBytes(copied))
	return nil
}

// chunkEnd picks where the chunk starting at start ends: at a peer-group boundary at or after
// start + target rows when there is one in the rows read, else the end of the partition.
func (s *spilledWindow) chunkEnd(ctx context.Context, start, target int64) (int64, error) {
	for {
		if err := s.fill(start + target + 1); err != nil {
			return 0, err
		}
		readEnd := s.pendingStart + s.pendingRows
		if s.eof && readEnd <= start+target {
			return readEnd, nil
		}
		if len(s.w.node.OrderSpec) == 0 {
			return min(start+target, readEnd), nil // every row is a peer of every other: no ties matter
		}
		b, err := s.window(ctx, start, readEnd)
		if err != nil {
			return 0, err
		}
		orderExprs := make([]logical.Expr, len(s.w.node.OrderSpec))
		for i, o := range s.w.node.OrderSpec {
			orderExprs[i] = o.Child
		}
		keys, err := evalExprList(&EvalContext{Ctx: ctx, Task: s.w.tc}, orderExprs, b)
		n := int(b.NumRows())
		b.Release()
		if err != nil {
			return 0, err
		}
		var enc KeyEncoder
		buf, offs := enc.Encode(s.w.tc.Allocator, keys, n)
		releaseArrayList(keys)
		for cut := int(target); cut < n; cut++ {
			if !bytes.Equal(buf[offs[cut-1]:offs[cut]], buf[offs[cut]:offs[cut+1]]) {
				return start + int64(cut), nil
			}
		}
		if s.eof {
			return readEnd, nil
		}
		target *= 2 // one peer group is longer than the chunk: take more rows
	}
}

// nextBatch computes the next chunk: the input columns of its rows, then the functions.
func (s *spilledWindow) nextBatch(ctx context.Context) (arrow.RecordBatch, error) {
	if s.next >= s.rows {
		return nil, io.EOF
	}
	start := s.next
	end, err := s.chunkEnd(ctx, start, int64(max(s.w.tc.BatchSize, minimumSpilledChunkRows)))
	if err != nil {
		return nil, err
	}
	if err := s.fill(end + s.plan.ahead); err != nil {
		return nil, err
	}
	aroundStart := max(start-s.plan.back, s.pendingStart)
	aroundEnd := min(end+s.plan.ahead, s.pendingStart+s.pendingRows)
	around, err := s.window(ctx, aroundStart, aroundEnd)
	if err != nil {
		return nil, err
	}
	defer around.Release()
	core := around.NewSlice(start-aroundStart, end-aroundStart)
	defer core.Release()
	ahead := around.NewSlice(start-aroundStart, aroundEnd-aroundStart)
	defer ahead.Release()

	ec := &EvalContext{Ctx: ctx, Task: s.w.tc}
	coreFrames, release, err := s.w.framesOf(ec, core)
	if err != nil {
		return nil, err
	}
	defer release()
	cols := make([]arrow.Array, 0, s.w.node.OutSchema.NumFields())
	defer func() { releaseArrayList(cols) }()
	for _, c := range core.Columns() {
		c.Retain()
		cols = append(cols, c)
	}
	n := int(core.NumRows())
	for i, we := range s.w.node.Functions {
		var col arrow.Array
		switch s.plan.kinds[i] {
		case spillRanking:
			col, err = s.ranking(we, start, coreFrames)
		case spillAround:
			col, err = s.evalSliced(ec, we, around, start-aroundStart, n)
		case spillRunning:
			col, err = s.running(ec, i, we, ahead, core)
		case spillWhole:
			col, err = repeatRow(ec, s.wholes[i], n)
		}
		if err != nil {
			return nil, err
		}
		cols = append(cols, col)
	}
	s.dense = s.lastDense(coreFrames)
	s.next = end
	if err := s.drop(end - s.plan.back); err != nil {
		return nil, err
	}
	return array.NewRecordBatch(s.w.node.OutSchema, cols, int64(n)), nil
}

// lastDense is the dense rank of the chunk's last row.
func (s *spilledWindow) lastDense(f *windowFrames) int32 {
	groups := int32(0)
	for i := 0; i < f.n; i++ {
		if f.peerStart[i] == int32(i) {
			groups++
		}
	}
	return s.dense + groups
}

// ranking computes a ranking function for a chunk starting at partition row start, whose
// peer groups are complete.
func (s *spilledWindow) ranking(we *logical.WindowExpr, start int64, f *windowFrames) (arrow.Array, error) {
	call := we.Function.(*logical.Call)
	n := f.n
	if call.Function == "percent_rank" || call.Function == "cume_dist" {
		out := make([]float64, n)
		for i := 0; i < n; i++ {
			if call.Function == "percent_rank" {
				if s.rows > 1 {
					out[i] = float64(start+int64(f.peerStart[i])) / float64(s.rows-1)
				}
			} else {
				out[i] = float64(start+int64(f.peerEnd[i])) / float64(s.rows)
			}
		}
		b := array.NewFloat64Builder(s.w.tc.Allocator)
		defer b.Release()
		b.AppendValues(out, nil)
		return b.NewArray(), nil
	}
	out := make([]int32, n)
	dense := s.dense
	for i := 0; i < n; i++ {
		row := start + int64(i)
		switch call.Function {
		case "row_number":
			out[i] = int32(row + 1)
		case "rank":
			out[i] = int32(start + int64(f.peerStart[i]) + 1)
		case "dense_rank":
			if f.peerStart[i] == int32(i) {
				dense++
			}
			out[i] = dense
		case "ntile":
			buckets := call.Args[0].(*logical.Literal).Value.(*scalar.Int64).Value
			out[i] = ntileOf(row, s.rows, buckets)
		}
	}
	b := array.NewInt32Builder(s.w.tc.Allocator)
	defer b.Release()
	b.AppendValues(out, nil)
	return b.NewArray(), nil
}

// evalSliced evaluates we over b as one partition and keeps rows [from, from+n).
func (s *spilledWindow) evalSliced(ec *EvalContext, we *logical.WindowExpr, b arrow.RecordBatch, from int64, n int) (arrow.Array, error) {
	f, release, err := s.w.framesOf(ec, b)
	if err != nil {
		return nil, err
	}
	defer release()
	col, err := s.w.evalFunction(ec, we, b, f)
	if err != nil {
		return nil, err
	}
	defer col.Release()
	return array.NewSlice(col, from, from+int64(n)), nil
}

// running computes a frame from UNBOUNDED PRECEDING: the chunk's own running aggregate (over
// ahead: the chunk and its look-ahead rows, as if the partition began at the chunk) merged
// with the partial of every earlier row; then the chunk joins the partial.
func (s *spilledWindow) running(ec *EvalContext, i int, we *logical.WindowExpr, ahead, core arrow.RecordBatch) (arrow.Array, error) {
	n := int(core.NumRows())
	name := s.plan.names[i]
	partial := &s.partials[i]
	var out arrow.Array
	switch name {
	case "count", "sum":
		local, err := s.evalSliced(ec, we, ahead, 0, n)
		if err != nil {
			return nil, err
		}
		defer local.Release()
		out, err = s.addPartial(we, name, local, partial, false)
		if err != nil {
			return nil, err
		}
	case "avg", "mean":
		sums, err := s.evalAs(ec, we, "sum", ahead, n)
		if err != nil {
			return nil, err
		}
		defer sums.Release()
		counts, err := s.evalAs(ec, we, "count", ahead, n)
		if err != nil {
			return nil, err
		}
		defer counts.Release()
		out, err = s.average(we, sums, counts, partial, false)
		if err != nil {
			return nil, err
		}
	case "min", "max":
		local, err := s.evalSliced(ec, we, ahead, 0, n)
		if err != nil {
			return nil, err
		}
		defer local.Release()
		out, err = s.bestWithPartial(ec, name, local, partial)
		if err != nil {
			return nil, err
		}
	}
	if err := s.mergeChunk(ec.Ctx, i, core, partial); err != nil {
		out.Release()
		return nil, err
	}
	return out, nil
}

// evalAs evaluates we's argument with another aggregate (sum or count) over b's first n rows'
// frames, b beginning the partition.
func (s *spilledWindow) evalAs(ec *EvalContext, we *logical.WindowExpr, name string, b arrow.RecordBatch, n int) (arrow.Array, error) {
	f, release, err := s.w.framesOf(ec, b)
	if err != nil {
		return nil, err
	}
	defer release()
	_, args, _ := protoplan.WindowAggregate(we.Function)
	col, err := s.w.frameAggregate(ec, we, name, args, b, f)
	if err != nil {
		return nil, err
	}
	defer col.Release()
	return array.NewSlice(col, 0, int64(n)), nil
}

// mergeChunk adds every row of b to the partial of function i.
func (s *spilledWindow) mergeChunk(ctx context.Context, i int, b arrow.RecordBatch, partial *windowPartial) error {
	we := s.w.node.Functions[i]
	ec := &EvalContext{Ctx: ctx, Task: s.w.tc}
	whole := *we
	whole.Frame = &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}, Upper: logical.FrameBound{Unbounded: true}}
	name := s.plan.names[i]
	switch name {
	case "count", "sum":
		local, err := s.evalSliced(ec, &whole, b, 0, 1)
		if err != nil {
			return err
		}
		defer local.Release()
		merged, err := s.addPartial(we, name, local, partial, true)
		if err != nil {
			return err
		}
		merged.Release()
		return nil
	case "avg", "mean":
		sums, err := s.evalAs(ec, &whole, "sum", b, 1)
		if err != nil {
			return err
		}
		defer sums.Release()
		counts, err := s.evalAs(ec, &whole, "count", b, 1)
		if err != nil {
			return err
		}
		defer counts.Release()
		merged, err := s.average(we, sums, counts, partial, true)
		if err != nil {
			return err
		}
		merged.Release()
		return nil
	case "min", "max":
		local, err := s.evalSliced(ec, &whole, b, 0, 1)
		if err != nil {
			return err
		}
		defer local.Release()
		merged, err := s.bestWithPartial(ec, name, local, partial)
		if err != nil {
			return err
		}
		if merged.IsValid(0) {
			partial.release()
			partial.best = merged
		} else {
			merged.Release()
		}
		return nil
	}
	return errkind.Internal("window partial for %s", name)
}

// addPartial returns local + partial row by row (count or sum); with advance (local is one
// row: a chunk's total) it also moves the partial forward.
func (s *spilledWindow) addPartial(we *logical.WindowExpr, name string, local arrow.Array, partial *windowPartial, advance bool) (arrow.Array, error) {
	n := local.Len()
	switch a := local.(type) {
	case *array.Int64:
		out := make([]int64, n)
		valid := make([]bool, n)
		for r := 0; r < n; r++ {
			v, ok := partial.integer, partial.count > 0 || name == "count"
			if a.IsValid(r) {
				x := a.Value(r)
				sum := v + x
				if (x > 0 && sum < v) || (x < 0 && sum > v) {
					if s.w.tc.ANSI {
						return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed bigint. Cast the argument to decimal (e.g. cast(x as decimal(38,0))) or set spark.sql.ansi.enabled=false", we.Function.String())
					}
				}
				v, ok = sum, true
			}
			out[r], valid[r] = v, ok
		}
		if advance && a.IsValid(0) {
			partial.integer = out[0]
			partial.count++
		}
		return buildInt64(s.w.tc, out, valid), nil
	case *array.Float64:
		out := make([]float64, n)
		valid := make([]bool, n)
		for r := 0; r < n; r++ {
			v, ok := partial.float, partial.count > 0
			if a.IsValid(r) {
				v, ok = v+a.Value(r), true
			}
			out[r], valid[r] = v, ok
		}
		if advance && a.IsValid(0) {
			partial.float = out[0]
			partial.count++
		}
		b := array.NewFloat64Builder(s.w.tc.Allocator)
		defer b.Release()
		b.AppendValues(out, valid)
		return b.NewArray(), nil
	case *array.Decimal128:
		dt := a.DataType().(*arrow.Decimal128Type)
		out := make([]decimal128.Num, n)
		valid := make([]bool, n)
		for r := 0; r < n; r++ {
			v, ok := partial.decimal, partial.count > 0
			if a.IsValid(r) {
				v, ok = v.Add(a.Value(r)), true
				if !v.FitsInPrecision(dt.Precision) {
					if s.w.tc.ANSI {
						return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s does not fit in %s. Set spark.sql.ansi.enabled=false to get null instead",
							we.Function.String(), logical.SparkTypeName(dt))
					}
					ok = false
				}
			}
			out[r], valid[r] = v, ok
		}
		if advance && a.IsValid(0) {
			partial.decimal = out[0]
			partial.count++
		}
		b := array.NewDecimal128Builder(s.w.tc.Allocator, dt)
		defer b.Release()
		b.AppendValues(out, valid)
		return b.NewArray(), nil
	}
	return nil, errkind.NotImplemented("%s over a spilled window partition of %s values", name, logical.SparkTypeName(local.DataType()))
}

// average returns (partial sum + sums) / (partial count + counts) row by row; with advance
// (one row: a chunk's totals) it also moves the partial forward. Only double averages merge
// (decimal averages round).
func (s *spilledWindow) average(we *logical.WindowExpr, sums, counts arrow.Array, partial *windowPartial, advance bool) (arrow.Array, error) {
	floats, ok := sums.(*array.Float64)
	if !ok {
		return nil, errkind.ResourceExhausted("a window partition does not fit the memory limit and %s of %s values cannot be computed in chunks; partition the window more finely or raise the memory limit",
			we.Function.String(), logical.SparkTypeName(sums.DataType()))
	}
	counted := counts.(*array.Int64)
	n := sums.Len()
	out := make([]float64, n)
	valid := make([]bool, n)
	for r := 0; r < n; r++ {
		sum, count := partial.float, partial.integer
		if floats.IsValid(r) {
			sum += floats.Value(r)
		}
		count += counted.Value(r)
		if count > 0 {
			out[r], valid[r] = sum/float64(count), true
		}
	}
	if advance {
		if floats.IsValid(0) {
			partial.float += floats.Value(0)
		}
		partial.integer += counted.Value(0)
	}
	b := array.NewFloat64Builder(s.w.tc.Allocator)
	defer b.Release()
	b.AppendValues(out, valid)
	return b.NewArray(), nil
}

// bestWithPartial returns, row by row, the smaller (min) or larger (max) of local and the
// partial's best value.
func (s *spilledWindow) bestWithPartial(ec *EvalContext, name string, local arrow.Array, partial *windowPartial) (arrow.Array, error) {
	if partial.best == nil {
		local.Retain()
		return local, nil
	}
	n := local.Len()
	both, err := array.Concatenate([]arrow.Array{local, partial.best}, s.w.tc.Allocator)
	if err != nil {
		return nil, err
	}
	defer both.Release()
	compare := valueComparator(both, both)
	idx := make([]int32, n)
	for r := 0; r < n; r++ {
		idx[r] = int32(n) // the partial's row
		if local.IsValid(r) {
			c := compare(r, n)
			if (name == "min" && c < 0) || (name == "max" && c > 0) {
				idx[r] = int32(r)
			}
		}
	}
	indices := int32Indices(s.w.tc, idx)
	defer indices.Release()
	return compute.TakeArray(ec.ComputeContext(), both, indices)
}

// finishPartial turns a whole-partition partial into the function's one-row result.
func (s *spilledWindow) finishPartial(ctx context.Context, i int, partial *windowPartial) (arrow.Array, error) {
	we := s.w.node.Functions[i]
	mem := s.w.tc.Allocator
	resultType := we.Function.DataType()
	switch s.plan.names[i] {
	case "count":
		return buildInt64(s.w.tc, []int64{partial.integer}, []bool{true}), nil
	case "sum":
		if partial.count == 0 {
			return array.MakeArrayOfNull(mem, resultType, 1), nil
		}
		switch t := resultType.(type) {
		case *arrow.Decimal128Type:
			b := array.NewDecimal128Builder(mem, t)
			defer b.Release()
			b.Append(partial.decimal)
			return b.NewArray(), nil
		case *arrow.Float64Type:
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			b.Append(partial.float)
			return b.NewArray(), nil
		}
		return buildInt64(s.w.tc, []int64{partial.integer}, []bool{true}), nil
	case "avg", "mean":
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		if partial.integer == 0 {
			b.AppendNull()
		} else {
			b.Append(partial.float / float64(partial.integer))
		}
		return b.NewArray(), nil
	case "min", "max":
		if partial.best == nil {
			return array.MakeArrayOfNull(mem, resultType, 1), nil
		}
		partial.best.Retain()
		return partial.best, nil
	}
	return nil, errkind.Internal("window partial for %s", s.plan.names[i])
}

// repeatRow repeats a one-row array n times; release the result.
func repeatRow(ec *EvalContext, one arrow.Array, n int) (arrow.Array, error) {
	idx := make([]int32, n)
	indices := int32Indices(ec.Task, idx)
	defer indices.Release()
	return compute.TakeArray(ec.ComputeContext(), one, indices)
}

// startSpill begins spilling the window partition that holds every row of all (the caller
// keeps ownership of all).
func (w *windowOperator) startSpill(ctx context.Context, all arrow.RecordBatch) error {
	plan, err := planSpilledWindow(w.node)
	if err != nil {
		return err
	}
	if len(w.node.PartitionSpec) > 0 {
		keys, err := evalExprList(&EvalContext{Ctx: ctx, Task: w.tc}, w.node.PartitionSpec, all)
		if err != nil {
			return err
		}
		var enc KeyEncoder
		buf, offs := enc.Encode(w.tc.Allocator, keys, int(all.NumRows()))
		releaseArrayList(keys)
		w.spillKey = append([]byte(nil), buf[offs[0]:offs[1]]...)
	}
	writer, err := w.tc.NewSpillFile(w.node.Input.Schema())
	if err != nil {
		return err
	}
	if err := writer.Write(all); err != nil {
		writer.Abort()
		return err
	}
	w.spilling, w.spillPlan = writer, plan
	return nil
}

// spillRows writes b's leading rows of the spilling partition to the spill file; at the first
// row of another partition it finishes the spill and keeps the rest buffered. The caller keeps
// ownership of b.
func (w *windowOperator) spillRows(ctx context.Context, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	same := n
	if len(w.node.PartitionSpec) > 0 {
		keys, err := evalExprList(&EvalContext{Ctx: ctx, Task: w.tc}, w.node.PartitionSpec, b)
		if err != nil {
			return err
		}
		var enc KeyEncoder
		buf, offs := enc.Encode(w.tc.Allocator, keys, n)
		releaseArrayList(keys)
		for same = 0; same < n && bytes.Equal(buf[offs[same]:offs[same+1]], w.spillKey); same++ {
		}
	}
	if same > 0 {
		head := b.NewSlice(0, int64(same))
		err := w.spilling.Write(head)
		head.Release()
		if err != nil {
			return err
		}
	}
	if same == n {
		return nil
	}
	if err := w.finishSpill(ctx); err != nil {
		return err
	}
	rest := b.NewSlice(int64(same), int64(n))
	w.buffered = append(w.buffered, rest)
	w.res.TryGrow(BatchBytes(rest))
	return nil
}

// finishSpill closes the spill file of the complete partition and starts computing it.
func (w *windowOperator) finishSpill(ctx context.Context) error {
	file, err := w.spilling.Finish()
	w.spilling = nil
	if err != nil {
		return err
	}
	spilled, err := newSpilledWindow(ctx, w, w.spillPlan, file)
	if err != nil {
		return err
	}
	w.spilled = spilled
	return nil
}
