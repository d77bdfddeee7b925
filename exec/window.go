package exec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/big"
	"sort"

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

func init() {
	RegisterBuilder(&physical.Window{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Window)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		return &windowOperator{tc: tc, node: node, input: in}, nil
	})
}

// windowOperator evaluates window functions over one task's input, which arrives sorted by
// (partition keys, order keys). It gathers the input into one batch, finds partition and peer
// (equal order key) boundaries by comparing encoded keys of neighbouring rows, computes each
// function as a whole column with typed loops, and emits the input columns plus those.
//
// The gathered rows are accounted in the memory pool. When they no longer fit, the operator
// computes and emits the window partitions it holds completely (every row but those of the
// last partition, which may continue in the next batch) and keeps only that last partition, so
// it holds at most about one window partition plus one batch at a time. A single window
// partition larger than the memory limit is an error.
type windowOperator struct {
	tc       *TaskContext
	node     *physical.Window
	input    Operator
	res      *MemoryReservation
	buffered []arrow.RecordBatch
	inputEOF bool
	output   arrow.RecordBatch
	pos      int64
	// spilling receives the rows of a window partition larger than the memory limit while it
	// is read (spillKey is its encoded partition key); spilled computes it once complete.
	spilling  *arrowio.SpillWriter
	spillKey  []byte
	spillPlan *spillPlan
	spilled   *spilledWindow
}

func (w *windowOperator) Open(ctx context.Context) error {
	w.res = w.tc.MemoryPool().NewReservation("Window")
	return w.input.Open(ctx)
}
func (w *windowOperator) Schema() *arrow.Schema { return w.node.OutSchema }

func (w *windowOperator) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if w.output != nil && w.pos < w.output.NumRows() {
			end := min(w.pos+int64(w.tc.BatchSize), w.output.NumRows())
			out := w.output.NewSlice(w.pos, end)
			w.pos = end
			return out, nil
		}
		if w.output != nil {
			w.output.Release()
			w.output = nil
		}
		if w.spilled != nil {
			b, err := w.spilled.nextBatch(ctx)
			if errors.Is(err, io.EOF) {
				w.spilled.close()
				w.spilled = nil
				continue
			}
			if err != nil {
				return nil, err
			}
			w.output, w.pos = b, 0
			continue
		}
		if w.inputEOF && w.spilling != nil {
			if err := w.finishSpill(ctx); err != nil {
				return nil, err
			}
			continue
		}
		if w.inputEOF {
			if len(w.buffered) == 0 {
				return nil, io.EOF
			}
			all, err := concatRecordBatches(w.tc, w.node.Input.Schema(), w.buffered)
			w.releaseBuffered()
			if err != nil {
				return nil, err
			}
			err = w.compute(ctx, all)
			all.Release()
			if err != nil {
				return nil, err
			}
			continue
		}
		b, err := w.input.Next(ctx)
		if errors.Is(err, io.EOF) {
			w.inputEOF = true
			continue
		}
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if w.spilling != nil {
			err := w.spillRows(ctx, b)
			b.Release()
			if err != nil {
				return nil, err
			}
			continue
		}
		w.buffered = append(w.buffered, b)
		if !w.res.TryGrow(BatchBytes(b)) {
			if err := w.computeCompletePartitions(ctx); err != nil {
				return nil, err
			}
		}
	}
}

func (w *windowOperator) releaseBuffered() {
	releaseBatchList(w.buffered)
	w.buffered = nil
	w.res.Free()
}

// computeCompletePartitions computes the window over every buffered window partition but the
// last and keeps only the last one buffered.
func (w *windowOperator) computeCompletePartitions(ctx context.Context) error {
	all, err := concatRecordBatches(w.tc, w.node.Input.Schema(), w.buffered)
	w.releaseBuffered()
	if err != nil {
		return err
	}
	defer all.Release()
	n := int(all.NumRows())
	cut := 0
	if len(w.node.PartitionSpec) > 0 {
		partKeys, err := evalExprList(&EvalContext{Ctx: ctx, Task: w.tc}, w.node.PartitionSpec, all)
		if err != nil {
			return err
		}
		var enc KeyEncoder
		buf, offs := enc.Encode(w.tc.Allocator, partKeys, n)
		releaseArrayList(partKeys)
		last := buf[offs[n-1]:offs[n]]
		for cut = n - 1; cut > 0 && bytes.Equal(buf[offs[cut-1]:offs[cut]], last); cut-- {
		}
	}
	if cut == 0 {
		// One window partition holds every buffered row: write it to a spill file and compute it
		// in chunks once it is complete.
		return w.startSpill(ctx, all)
	}
	head := all.NewSlice(0, int64(cut))
	err = w.compute(ctx, head)
	head.Release()
	if err != nil {
		return err
	}
	// The last partition is copied so the rows already computed can be freed.
	rest := make([]int32, n-cut)
	for i := range rest {
		rest[i] = int32(cut + i)
	}
	idx := int32Indices(w.tc, rest)
	defer idx.Release()
	tail, err := takeRecordRows(ctx, w.tc, all, idx)
	if err != nil {
		return err
	}
	w.buffered = []arrow.RecordBatch{tail}
	w.res.TryGrow(BatchBytes(tail))
	return nil
}

func (w *windowOperator) Close() error {
	if w.output != nil {
		w.output.Release()
		w.output = nil
	}
	if w.spilling != nil {
		w.spilling.Abort()
		w.spilling = nil
	}
	if w.spilled != nil {
		w.spilled.close()
		w.spilled = nil
	}
	releaseBatchList(w.buffered)
	w.buffered = nil
	if w.res != nil {
		w.res.Free()
	}
	return w.input.Close()
}

// windowFrames holds, per row, the bounds of its partition and of its peer group.
type windowFrames struct {
	n                  int
	partStart, partEnd []int32 // [start, end) of the row's partition
	peerStart, peerEnd []int32 // [start, end) of the row's peer group
	orderKeys          []arrow.Array
}

// framesOf computes the partition, peer and order-key bounds of b taken as one window
// partition; call release when done with them.
func (w *windowOperator) framesOf(ec *EvalContext, b arrow.RecordBatch) (*windowFrames, func(), error) {
	orderExprs := make([]logical.Expr, len(w.node.OrderSpec))
	for i, o := range w.node.OrderSpec {
		orderExprs[i] = o.Child
	}
	orderKeys, err := evalExprList(ec, orderExprs, b)
	if err != nil {
		return nil, nil, err
	}
	n := int(b.NumRows())
	f := &windowFrames{n: n, orderKeys: orderKeys}
	f.partStart, f.partEnd = groupBounds(w.tc, nil, n, nil)
	f.peerStart, f.peerEnd = groupBounds(w.tc, orderKeys, n, f.partStart)
	return f, func() { releaseArrayList(orderKeys) }, nil
}

// compute evaluates the window functions over complete window partitions and sets w.output
// (the caller keeps ownership of all).
func (w *windowOperator) compute(ctx context.Context, all arrow.RecordBatch) error {
	ec := &EvalContext{Ctx: ctx, Task: w.tc}
	n := int(all.NumRows())
	partKeys, err := evalExprList(ec, w.node.PartitionSpec, all)
	if err != nil {
		return err
	}
	defer releaseArrayList(partKeys)
	orderExprs := make([]logical.Expr, len(w.node.OrderSpec))
	for i, o := range w.node.OrderSpec {
		orderExprs[i] = o.Child
	}
	orderKeys, err := evalExprList(ec, orderExprs, all)
	if err != nil {
		return err
	}
	defer releaseArrayList(orderKeys)
	f := &windowFrames{n: n, orderKeys: orderKeys}
	f.partStart, f.partEnd = groupBounds(w.tc, partKeys, n, nil)
	f.peerStart, f.peerEnd = groupBounds(w.tc, orderKeys, n, f.partStart)

	cols := append([]arrow.Array(nil), all.Columns()...)
	for _, c := range cols {
		c.Retain()
	}
	defer func() { releaseArrayList(cols) }()
	for _, fn := range w.node.Functions {
		col, err := w.evalFunction(ec, fn, all, f)
		if err != nil {
			return err
		}
		cols = append(cols, col)
	}
	w.output = array.NewRecordBatch(w.node.OutSchema, cols, int64(n))
	w.pos = 0
	return nil
}

// groupBounds splits rows into runs of equal keys (within the runs of outer, when given) and
// returns each row's run [start, end).
func groupBounds(tc *TaskContext, keys []arrow.Array, n int, outer []int32) ([]int32, []int32) {
	start, end := make([]int32, n), make([]int32, n)
	var buf []byte
	var offs []int32
	if len(keys) > 0 {
		var enc KeyEncoder
		buf, offs = enc.Encode(tc.Allocator, keys, n)
	}
	s := 0
	for i := 1; i <= n; i++ {
		boundary := i == n
		if !boundary && outer != nil && outer[i] != outer[i-1] {
			boundary = true
		}
		if !boundary && len(keys) > 0 && !bytes.Equal(buf[offs[i-1]:offs[i]], buf[offs[i]:offs[i+1]]) {
			boundary = true
		}
		if boundary {
			for k := s; k < i; k++ {
				start[k], end[k] = int32(s), int32(i)
			}
			s = i
		}
	}
	return start, end
}

func (w *windowOperator) evalFunction(ec *EvalContext, we *logical.WindowExpr, b arrow.RecordBatch, f *windowFrames) (arrow.Array, error) {
	n := f.n
	if call, ok := we.Function.(*logical.Call); ok {
		switch call.Function {
		case "row_number", "rank", "dense_rank", "ntile":
			out := make([]int32, n)
			dense := int32(0)
			buckets := int64(0)
			if call.Function == "ntile" {
				buckets = call.Args[0].(*logical.Literal).Value.(*scalar.Int64).Value
			}
			for i := 0; i < n; i++ {
				r := int32(i) - f.partStart[i]
				switch call.Function {
				case "row_number":
					out[i] = r + 1
				case "rank":
					out[i] = f.peerStart[i] - f.partStart[i] + 1
				case "dense_rank":
					if i == int(f.partStart[i]) {
						dense = 1
					} else if f.peerStart[i] == int32(i) {
						dense++
					}
					out[i] = dense
				case "ntile":
					out[i] = ntileOf(int64(r), int64(f.partEnd[i]-f.partStart[i]), buckets)
				}
			}
			bld := array.NewInt32Builder(w.tc.Allocator)
			defer bld.Release()
			bld.AppendValues(out, nil)
			return bld.NewArray(), nil
		case "percent_rank", "cume_dist":
			out := make([]float64, n)
			for i := 0; i < n; i++ {
				size := float64(f.partEnd[i] - f.partStart[i])
				if call.Function == "percent_rank" {
					if size > 1 {
						out[i] = float64(f.peerStart[i]-f.partStart[i]) / (size - 1)
					}
				} else {
					out[i] = float64(f.peerEnd[i]-f.partStart[i]) / size
				}
			}
			bld := array.NewFloat64Builder(w.tc.Allocator)
			defer bld.Release()
			bld.AppendValues(out, nil)
			return bld.NewArray(), nil
		case "lag", "lead":
			return w.offsetFunction(ec, call, b, f)
		}
	}
	name, args, ok := protoplan.WindowAggregate(we.Function)
	if !ok {
		return nil, errkind.NotImplemented("window function %s is not supported", we.Function.String())
	}
	return w.frameAggregate(ec, we, name, args, b, f)
}

// ntileOf is Spark's NTILE: the first size % buckets buckets get one extra row.
func ntileOf(r, size, buckets int64) int32 {
	q, rem := size/buckets, size%buckets
	if r < rem*(q+1) {
		return int32(r/(q+1) + 1)
	}
	return int32((r-rem*(q+1))/max(q, 1) + rem + 1)
}

// offsetFunction computes lag/lead: the value offset rows away within the partition, else the
// default.
func (w *windowOperator) offsetFunction(ec *EvalContext, call *logical.Call, b arrow.RecordBatch, f *windowFrames) (arrow.Array, error) {
	values, err := EvalArray(ec, call.Args[0], b)
	if err != nil {
		return nil, err
	}
	defer values.Release()
	offset := call.Args[1].(*logical.Literal).Value.(*scalar.Int64).Value
	if call.Function == "lag" {
		offset = -offset
	}
	defaults, err := EvalArray(ec, call.Args[2], b)
	if err != nil {
		return nil, err
	}
	defer defaults.Release()
	both, err := array.Concatenate([]arrow.Array{values, defaults}, w.tc.Allocator)
	if err != nil {
		return nil, err
	}
	defer both.Release()
	idx := make([]int32, f.n)
	for i := range idx {
		t := int64(i) + offset
		if t >= int64(f.partStart[i]) && t < int64(f.partEnd[i]) {
			idx[i] = int32(t)
		} else {
			idx[i] = int32(f.n + i)
		}
	}
	indices := int32Indices(w.tc, idx)
	defer indices.Release()
	return compute.TakeArray(ec.ComputeContext(), both, indices)
}

// frameBounds computes each row's frame [lo, hi] (inclusive row numbers of b; lo > hi is empty)
// for rows of b ordered by (partition, order), given each row's partition [start, end).
func frameBounds(ec *EvalContext, b arrow.RecordBatch, partStart, partEnd []int32, order []*logical.SortOrder, frame *logical.WindowFrame) (lo, hi []int32, err error) {
	orderExprs := make([]logical.Expr, len(order))
	for i, o := range order {
		orderExprs[i] = o.Child
	}
	orderKeys, err := evalExprList(ec, orderExprs, b)
	if err != nil {
		return nil, nil, err
	}
	defer releaseArrayList(orderKeys)
	n := int(b.NumRows())
	f := &windowFrames{n: n, orderKeys: orderKeys, partStart: partStart, partEnd: partEnd}
	f.peerStart, f.peerEnd = groupBounds(ec.Task, orderKeys, n, partStart)
	return frameRange(frame, order, f)
}

// frameRange computes each row's frame [lo, hi] (inclusive; lo > hi is empty).
func frameRange(fr *logical.WindowFrame, orders []*logical.SortOrder, f *windowFrames) (lo, hi []int32, err error) {
	n := f.n
	lo, hi = make([]int32, n), make([]int32, n)
	for i := 0; i < n; i++ {
		ps, pe := f.partStart[i], f.partEnd[i]-1
		switch {
		case fr.Lower.Unbounded:
			lo[i] = ps
		case fr.Type == logical.RowFrame:
			lo[i] = int32(max(int64(ps), int64(i)+fr.Lower.Offset))
		case fr.Lower.Offset == 0:
			lo[i] = f.peerStart[i]
		}
		switch {
		case fr.Upper.Unbounded:
			hi[i] = pe
		case fr.Type == logical.RowFrame:
			hi[i] = int32(min(int64(pe), int64(i)+fr.Upper.Offset))
		case fr.Upper.Offset == 0:
			hi[i] = f.peerEnd[i] - 1
		}
	}
	if fr.Type == logical.RangeFrame && (!fr.Lower.Unbounded && fr.Lower.Offset != 0 || !fr.Upper.Unbounded && fr.Upper.Offset != 0) {
		if err := rangeOffsets(fr, orders[0], f, lo, hi); err != nil {
			return nil, nil, err
		}
	}
	return lo, hi, nil
}

// rangeOffsets sets RANGE frame bounds with value offsets: rows whose order value lies within
// [v + lower, v + upper] (reversed for descending order); null order values frame their peers.
func rangeOffsets(fr *logical.WindowFrame, order *logical.SortOrder, f *windowFrames, lo, hi []int32) error {
	key := f.orderKeys[0]
	var value func(i int) float64
	switch a := key.(type) {
	case *array.Int8:
		value = func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int16:
		value = func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int32:
		value = func(i int) float64 { return float64(a.Value(i)) }
	case *array.Int64:
		value = func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float32:
		value = func(i int) float64 { return float64(a.Value(i)) }
	case *array.Float64:
		value = func(i int) float64 { return a.Value(i) }
	case *array.Date32:
		value = func(i int) float64 { return float64(a.Value(i)) }
	default:
		return errkind.NotImplemented("RANGE frames with offsets over %s order keys", logical.SparkTypeName(key.DataType()))
	}
	desc := order.Direction == logical.Descending
	sign := 1.0
	if desc {
		sign = -1
	}
	for i := 0; i < f.n; i++ {
		if key.IsNull(i) {
			if !fr.Lower.Unbounded {
				lo[i] = f.peerStart[i]
			}
			if !fr.Upper.Unbounded {
				hi[i] = f.peerEnd[i] - 1
			}
			continue
		}
		// The non-null rows of the partition, in order.
		ps, pe := int(f.partStart[i]), int(f.partEnd[i])
		for ps < pe && key.IsNull(ps) {
			ps++
		}
		for pe > ps && key.IsNull(pe-1) {
			pe--
		}
		v := value(i)
		// pos(x) orders values along the sort direction.
		pos := func(k int) float64 { return sign * value(k) }
		if !fr.Lower.Unbounded && fr.Lower.Offset != 0 {
			target := sign*v + float64(fr.Lower.Offset)
			lo[i] = int32(ps + sort.Search(pe-ps, func(k int) bool { return pos(ps+k) >= target }))
		}
		if !fr.Upper.Unbounded && fr.Upper.Offset != 0 {
			target := sign*v + float64(fr.Upper.Offset)
			hi[i] = int32(ps+sort.Search(pe-ps, func(k int) bool { return pos(ps+k) > target })) - 1
		}
	}
	return nil
}

// frameAggregate computes an aggregate over each row's frame.
func (w *windowOperator) frameAggregate(ec *EvalContext, we *logical.WindowExpr, name string, args []logical.Expr, b arrow.RecordBatch, f *windowFrames) (arrow.Array, error) {
	lo, hi, err := frameRange(we.Frame, w.node.OrderSpec, f)
	if err != nil {
		return nil, err
	}
	switch name {
	case "count", "sum", "avg", "mean", "min", "max", "first", "last":
	default:
		if call, ok := we.Function.(*logical.AggregateCall); ok {
			return w.frameAccumulate(ec, call, b, lo, hi)
		}
	}
	n := f.n
	var values arrow.Array
	if len(args) > 0 {
		if values, err = EvalArray(ec, args[0], b); err != nil {
			return nil, err
		}
	} else {
		// count(*) counts rows: a column without nulls.
		if values, err = scalar.MakeArrayFromScalar(scalar.NewBooleanScalar(true), n, w.tc.Allocator); err != nil {
			return nil, err
		}
	}
	defer values.Release()
	resultType := we.Function.DataType()
	// Prefix counts of non-null values make count and the emptiness test O(1) per row.
	nonNull := make([]int64, n+1)
	for i := 0; i < n; i++ {
		nonNull[i+1] = nonNull[i]
		if values.IsValid(i) {
			nonNull[i+1]++
		}
	}
	countIn := func(i int) int64 {
		if lo[i] > hi[i] {
			return 0
		}
		return nonNull[hi[i]+1] - nonNull[lo[i]]
	}
	switch name {
	case "count":
		out := make([]int64, n)
		for i := range out {
			out[i] = countIn(i)
		}
		return buildInt64(w.tc, out, nil), nil
	case "sum", "avg", "mean":
		if decimals, ok := values.(*array.Decimal128); ok {
			if out, ok := resultType.(*arrow.Decimal128Type); ok {
				return w.decimalSumAverage(we.Function.String(), name, decimals, out, lo, hi, f.partStart, countIn)
			}
		}
		out, err := w.sumAverage(we.Function.String(), name, values, resultType, lo, hi, f.partStart, countIn)
		if err != nil || arrow.TypeEqual(out.DataType(), resultType) {
			return out, err
		}
		defer out.Release()
		return castArray(ec, out, resultType)
	case "min", "max", "first", "last":
		idx := make([]int32, n)
		valid := make([]bool, n)
		switch name {
		case "first", "last":
			ignoreNulls := false
			if call, ok := we.Function.(*logical.AggregateCall); ok {
				ignoreNulls = call.IgnoreNulls
			}
			for i := 0; i < n; i++ {
				if ignoreNulls {
					for k := lo[i]; k <= hi[i]; k++ {
						at := k
						if name == "last" {
							at = hi[i] - (k - lo[i])
						}
						if values.IsValid(int(at)) {
							idx[i], valid[i] = at, true
							break
						}
					}
					continue
				}
				if lo[i] <= hi[i] {
					valid[i] = true
					idx[i] = lo[i]
					if name == "last" {
						idx[i] = hi[i]
					}
				}
			}
		default:
			cmpValues := valueComparator(values, values)
			better := func(a, b int32) bool {
				c := cmpValues(int(a), int(b))
				if name == "min" {
					return c < 0
				}
				return c > 0
			}
			for i := 0; i < n; i++ {
				if countIn(i) == 0 {
					continue
				}
				best := int32(-1)
				// Running frames reuse the previous row's answer when the frame only grew.
				if i > 0 && lo[i] == lo[i-1] && hi[i] >= hi[i-1] && valid[i-1] && f.partStart[i] == f.partStart[i-1] {
					best = idx[i-1]
					for k := hi[i-1] + 1; k <= hi[i]; k++ {
						if values.IsValid(int(k)) && better(k, best) {
							best = k
						}
					}
				} else {
					for k := lo[i]; k <= hi[i]; k++ {
						if values.IsValid(int(k)) && (best < 0 || better(k, best)) {
							best = k
						}
					}
				}
				idx[i], valid[i] = best, true
			}
		}
		bld := array.NewInt32Builder(w.tc.Allocator)
		defer bld.Release()
		bld.AppendValues(idx, valid)
		indices := bld.NewArray()
		defer indices.Release()
		out, err := compute.TakeArray(ec.ComputeContext(), values, indices)
		if err != nil {
			return nil, err
		}
		if !arrow.TypeEqual(out.DataType(), resultType) {
			defer out.Release()
			return castArray(ec, out, resultType)
		}
		return out, nil
	}
	return nil, errkind.NotImplemented("aggregate %s over a window", we.Function.String())
}

func (w *windowOperator) sumAverage(display, name string, values arrow.Array, resultType arrow.DataType, lo, hi, partStart []int32, countIn func(int) int64) (arrow.Array, error) {
	n := len(lo)
	valid := make([]bool, n)
	for i := range valid {
		valid[i] = countIn(i) > 0
	}
	integral := name == "sum" && isIntegerType(resultType)
	if integral {
		ints, ok := int64Values(values)
		if !ok {
			return nil, errkind.NotImplemented("sum over a window of %s values", logical.SparkTypeName(values.DataType()))
		}
		// cum[i] is the sum of the partition's values up to row i; frames never cross partitions.
		cum := make([]int64, n)
		for i := 0; i < n; i++ {
			v := int64(0)
			if values.IsValid(i) {
				v = ints(i)
			}
			prev := int64(0)
			if int32(i) != partStart[i] {
				prev = cum[i-1]
			}
			s := prev + v
			if (v > 0 && s < prev) || (v < 0 && s > prev) {
				if w.tc.ANSI {
					return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed bigint. Cast the argument to decimal (e.g. cast(x as decimal(38,0))) or set spark.sql.ansi.enabled=false", display)
				}
			}
			cum[i] = s
		}
		out := make([]int64, n)
		for i := range out {
			if valid[i] {
				out[i] = cum[hi[i]]
				if lo[i] > partStart[i] {
					out[i] -= cum[lo[i]-1]
				}
			}
		}
		return buildInt64(w.tc, out, valid), nil
	}
	floats, ok := float64Values(values)
	if !ok {
		return nil, errkind.NotImplemented("%s over a window of %s values", name, logical.SparkTypeName(values.DataType()))
	}
	out := make([]float64, n)
	// sums[i] is row i's frame sum (avg divides it into out[i]); a growing frame adds to the
	// previous row's sum rather than recovering it from an average, which would lose bits.
	sums := make([]float64, n)
	for i := 0; i < n; i++ {
		if !valid[i] {
			continue
		}
		// Frames are summed in order, as Spark does, so results match to the last bit.
		s := 0.0
		if i > 0 && valid[i-1] && lo[i] == lo[i-1] && hi[i] >= hi[i-1] && lo[i] <= hi[i-1] {
			s = sums[i-1]
			for k := hi[i-1] + 1; k <= hi[i]; k++ {
				if values.IsValid(int(k)) {
					s += floats(int(k))
				}
			}
		} else {
			for k := lo[i]; k <= hi[i]; k++ {
				if values.IsValid(int(k)) {
					s += floats(int(k))
				}
			}
		}
		sums[i] = s
		if name != "sum" {
			s /= float64(countIn(i))
		}
		out[i] = s
	}
	bld := array.NewFloat64Builder(w.tc.Allocator)
	defer bld.Release()
	bld.AppendValues(out, valid)
	return bld.NewArray(), nil
}

// decimalSumAverage computes sum and avg of decimals exactly, as Spark does: the sum keeps the
// input's scale (result decimal(p+10, s)); avg divides it by the count with HALF_UP rounding
// into the result's scale (decimal(p+4, s+4)). A result beyond its precision raises in ANSI
// mode and is null otherwise.
func (w *windowOperator) decimalSumAverage(display, name string, values *array.Decimal128, out *arrow.Decimal128Type, lo, hi, partStart []int32, countIn func(int) int64) (arrow.Array, error) {
	n := len(lo)
	raw := values.Values()
	// cum[i] is the sum of the partition's values up to row i. 128-bit sums wrap, but a frame's
	// sum is a difference of two of them, exact whenever the frame's own sum fits in 128 bits.
	cum := make([]decimal128.Num, n)
	for i := 0; i < n; i++ {
		var prev decimal128.Num
		if int32(i) != partStart[i] {
			prev = cum[i-1]
		}
		if values.IsValid(i) {
			cum[i] = prev.Add(raw[i])
		} else {
			cum[i] = prev
		}
	}
	inScale := values.DataType().(*arrow.Decimal128Type).Scale
	scaleUp := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(out.Scale-inScale, 0))), nil)
	scaleDown := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(inScale-out.Scale, 0))), nil)
	result := make([]decimal128.Num, n)
	valid := make([]bool, n)
	for i := 0; i < n; i++ {
		count := countIn(i)
		if count == 0 {
			continue
		}
		sum := cum[hi[i]]
		if lo[i] > partStart[i] {
			sum = sum.Sub(cum[lo[i]-1])
		}
		v := sum
		if name != "sum" {
			num := new(big.Int).Mul(sum.BigInt(), scaleUp)
			den := new(big.Int).Mul(big.NewInt(count), scaleDown)
			q, r := new(big.Int).QuoRem(num, den, new(big.Int))
			// HALF_UP: away from zero when the remainder is at least half the divisor.
			if new(big.Int).Mul(new(big.Int).Abs(r), big.NewInt(2)).Cmp(den) >= 0 {
				if num.Sign() < 0 {
					q.Sub(q, big.NewInt(1))
				} else {
					q.Add(q, big.NewInt(1))
				}
			}
			v = decimal128.FromBigInt(q)
		}
		if !v.FitsInPrecision(out.Precision) {
			if w.tc.ANSI {
				return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s does not fit in %s. Set spark.sql.ansi.enabled=false to get null instead",
					display, logical.SparkTypeName(out))
			}
			continue
		}
		result[i], valid[i] = v, true
	}
	b := array.NewDecimal128Builder(w.tc.Allocator, out)
	defer b.Release()
	b.AppendValues(result, valid)
	return b.NewArray(), nil
}

func isIntegerType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func int64Values(a arrow.Array) (func(int) int64, bool) {
	switch x := a.(type) {
	case *array.Int8:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	case *array.Int16:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	case *array.Int32:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	case *array.Int64:
		return x.Value, true
	case *array.Uint8:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	case *array.Uint16:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	case *array.Uint32:
		return func(i int) int64 { return int64(x.Value(i)) }, true
	}
	return nil, false
}

func float64Values(a arrow.Array) (func(int) float64, bool) {
	if f, ok := int64Values(a); ok {
		return func(i int) float64 { return float64(f(i)) }, true
	}
	switch x := a.(type) {
	case *array.Float32:
		return func(i int) float64 { return float64(x.Value(i)) }, true
	case *array.Float64:
		return x.Value, true
	case *array.Uint64:
		return func(i int) float64 { return float64(x.Value(i)) }, true
	case *array.Decimal128:
		scale := x.DataType().(*arrow.Decimal128Type).Scale
		return func(i int) float64 { return x.Value(i).ToFloat64(scale) }, true
	}
	return nil, false
}

func buildInt64(tc *TaskContext, values []int64, valid []bool) arrow.Array {
	b := array.NewInt64Builder(tc.Allocator)
	defer b.Release()
	b.AppendValues(values, valid)
	return b.NewArray()
}

// castArray casts with the task's ANSI mode; release the result.
func castArray(ec *EvalContext, a arrow.Array, to arrow.DataType) (arrow.Array, error) {
	mode := logical.EvalANSI
	if !ec.Task.ANSI {
		mode = logical.EvalLegacy
	}
	// compute.NewDatum retains a; release that reference once the cast is done.
	in := compute.NewDatum(a)
	defer in.Release()
	d, err := CastDatum(ec, in, to, mode, int64(a.Len()))
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return DatumToArray(ec, d, int64(a.Len()), to)
}
