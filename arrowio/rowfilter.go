package arrowio

import (
	"context"
	"math"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
)

// rowFilter drops the rows of a scan's batches that cannot satisfy the scan's pushed predicate,
// with plain typed loops over dates, integers, decimals (their unscaled integers) and strings.
// It is conservative, like row-group pruning: a row is dropped only when the comparison is
// certainly false; nulls, NaN, unsupported types and comparisons near float rounding are kept.
// The Filter above the scan still evaluates the exact condition on what is left, so answers do
// not change; what changes is that the Filter (and the expression casts it evaluates, e.g. a
// decimal column cast to double for TPC-H Q6's discount range) sees only rows that may match.
type rowFilter struct {
	predicate *Predicate
	// columnOf maps a dataset column to its position in the scan's batches.
	columnOf map[int]int
	mem      memory.Allocator
	// spare masks, reused batch after batch (the reader's goroutine only)
	spare [][]bool
	// passed counts consecutive batches that went through whole; past rowFilterGiveUp the
	// filter only checks one batch in rowFilterProbe (TPC-H Q1's date filter keeps 98% of
	// rows), and starts again when that batch loses rows (data sorted on the column).
	passed, skipped int
}

const (
	rowFilterGiveUp = 16
	rowFilterProbe  = 32
)

// mask returns a scratch mask of n rows (contents undefined).
func (f *rowFilter) mask(n int) []bool {
	if last := len(f.spare) - 1; last >= 0 && cap(f.spare[last]) >= n {
		m := f.spare[last][:n]
		f.spare = f.spare[:last]
		return m
	}
	return make([]bool, n)
}

func (f *rowFilter) recycle(m []bool) {
	if m != nil {
		f.spare = append(f.spare, m)
	}
}

// rowFilterMaxKept: when more than this share of a batch may match, the batch passes whole:
// the Filter above does the same work anyway, and copying would only add to it.
const rowFilterMaxKept = 0.75

func newRowFilter(predicate *Predicate, projection []int, mem memory.Allocator) *rowFilter {
	columnOf := map[int]int{}
	for i, p := range projection {
		columnOf[p] = i
	}
	return &rowFilter{predicate: predicate, columnOf: columnOf, mem: mem}
}

// apply returns b with the rows that cannot match removed; it consumes b. The result may be
// empty (the caller skips it) and is owned by the caller.
func (f *rowFilter) apply(b arrow.RecordBatch) (arrow.RecordBatch, error) {
	n := int(b.NumRows())
	if f.passed >= rowFilterGiveUp {
		if f.skipped++; f.skipped%rowFilterProbe != 0 {
			return b, nil
		}
	}
	keep := f.evaluate(f.predicate, b, n)
	if keep == nil {
		f.passed = rowFilterGiveUp // nothing here can be checked
		return b, nil
	}
	defer f.recycle(keep)
	kept := 0
	for _, k := range asBytes(keep) {
		kept += int(k)
	}
	if kept == n || float64(kept) > rowFilterMaxKept*float64(n) {
		f.passed++
		return b, nil
	}
	f.passed = 0
	if kept == 0 {
		columns := emptyColumns(b, f.mem)
		out := array.NewRecordBatch(b.Schema(), columns, 0)
		for _, c := range columns {
			c.Release() // the batch holds its own reference
		}
		b.Release()
		return out, nil
	}
	builder := array.NewBooleanBuilder(f.mem)
	builder.AppendValues(keep, nil)
	mask := builder.NewBooleanArray()
	builder.Release()
	defer mask.Release()
	defer b.Release()
	ctx := compute.WithAllocator(context.Background(), f.mem)
	out, err := compute.FilterRecordBatch(ctx, b, mask, compute.DefaultFilterOptions())
	if err != nil {
		return nil, errkind.Internal("filtering scanned rows: %v", err)
	}
	return out, nil
}

func emptyColumns(b arrow.RecordBatch, mem memory.Allocator) []arrow.Array {
	columns := make([]arrow.Array, b.NumCols())
	for i := range columns {
		columns[i] = array.MakeArrayOfNull(mem, b.Column(i).DataType(), 0)
	}
	return columns
}

// evaluate returns, per row, whether the row may satisfy p; nil when every row may.
func (f *rowFilter) evaluate(p *Predicate, b arrow.RecordBatch, n int) []bool {
	switch p.Op {
	case "and":
		var out []bool
		for _, c := range p.Children {
			m := f.evaluate(c, b, n)
			if m == nil {
				continue
			}
			if out == nil {
				out = m
				continue
			}
			and(out, m)
			f.recycle(m)
		}
		return out
	case "or":
		var out []bool
		for _, c := range p.Children {
			m := f.evaluate(c, b, n)
			if m == nil {
				f.recycle(out)
				return nil
			}
			if out == nil {
				out = m
				continue
			}
			or(out, m)
			f.recycle(m)
		}
		return out
	case "eq", "lt", "lte", "gt", "gte", "in":
	default:
		return nil
	}
	position, ok := f.columnOf[p.Column]
	if !ok {
		return nil
	}
	column := b.Column(position)
	if p.Op != "in" {
		if len(p.Values) != 1 {
			return nil
		}
		return f.compareColumn(column, p.Op, p.Values[0], p.Float)
	}
	var out []bool
	for _, v := range p.Values {
		m := f.compareColumn(column, "eq", v, p.Float)
		if m == nil {
			f.recycle(out)
			return nil
		}
		if out == nil {
			out = m
			continue
		}
		or(out, m)
		f.recycle(m)
	}
	return out
}

// compareColumn marks the rows of column that may satisfy "column op v"; nil when it cannot
// tell (every row is kept).
func (f *rowFilter) compareColumn(column arrow.Array, op string, v scalar.Scalar, asFloat bool) []bool {
	if v == nil || !v.IsValid() {
		return nil
	}
	switch c := column.(type) {
	case *array.Date32:
		if v.DataType().ID() != arrow.DATE32 || asFloat {
			return nil
		}
		lo, hi, ok := exactBounds(op, int64(v.(*scalar.Date32).Value))
		if !ok {
			return nil
		}
		return inRange(f.mask(c.Len()), c.Date32Values(), c, lo, hi)
	case *array.Int32:
		lo, hi, ok := integerBounds(op, v, asFloat, 0)
		if !ok {
			return nil
		}
		return inRange(f.mask(c.Len()), c.Int32Values(), c, lo, hi)
	case *array.Int64:
		lo, hi, ok := integerBounds(op, v, asFloat, 0)
		if !ok {
			return nil
		}
		return inRange(f.mask(c.Len()), c.Int64Values(), c, lo, hi)
	case *array.Decimal128:
		scale := c.DataType().(*arrow.Decimal128Type).Scale
		var lo, hi int64
		var ok bool
		if d, isDecimal := v.(*scalar.Decimal128); isDecimal && !asFloat && d.Type.(*arrow.Decimal128Type).Scale == scale {
			if !fitsInt64(d.Value.HighBits(), d.Value.LowBits()) {
				return nil
			}
			lo, hi, ok = exactBounds(op, int64(d.Value.LowBits()))
		} else {
			lo, hi, ok = integerBounds(op, v, true, scale)
		}
		if !ok {
			return nil
		}
		values := c.Values()
		out := f.mask(len(values))
		clear(out)
		if lo <= hi {
			span := uint64(hi) - uint64(lo)
			bytes := asBytes(out)
			for i, x := range values {
				low, high := x.LowBits(), x.HighBits()
				// Beyond int64 the row is kept: the Filter decides. Branch-free: the rows of a
				// selective filter are unpredictable.
				bytes[i] = asByte(uint64(int64(low))-uint64(lo) <= span) | asByte(high != int64(low)>>63)
			}
		}
		keepNulls(out, c)
		return out
	case *array.String:
		if asFloat {
			return nil
		}
		var literal string
		switch s := v.(type) {
		case *scalar.String:
			literal = string(s.Value.Bytes())
		case *scalar.LargeString:
			literal = string(s.Value.Bytes())
		default:
			return nil
		}
		out := f.mask(c.Len())
		for i := range out {
			// Spark orders strings by their UTF-8 bytes, as Go's string comparison does.
			cmp := strings.Compare(c.Value(i), literal)
			switch op {
			case "eq":
				out[i] = cmp == 0
			case "lt":
				out[i] = cmp < 0
			case "lte":
				out[i] = cmp <= 0
			case "gt":
				out[i] = cmp > 0
			case "gte":
				out[i] = cmp >= 0
			default:
				out[i] = true
			}
		}
		keepNulls(out, c)
		return out
	}
	return nil
}

func fitsInt64(high int64, low uint64) bool { return high == int64(low)>>63 }

// asBytes views a mask as bytes (a Go bool is one byte, 0 or 1) for branch-free and/or.
func asBytes(mask []bool) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(mask))), len(mask))
}

func asByte(b bool) byte { return *(*byte)(unsafe.Pointer(&b)) }

func and(out, mask []bool) {
	o, m := asBytes(out), asBytes(mask)
	m = m[:len(o)]
	for i := range o {
		o[i] &= m[i]
	}
}

func or(out, mask []bool) {
	o, m := asBytes(out), asBytes(mask)
	m = m[:len(o)]
	for i := range o {
		o[i] |= m[i]
	}
}

// exactBounds turns "x op y" over integers into lo <= x <= hi.
func exactBounds(op string, y int64) (lo, hi int64, ok bool) {
	lo, hi = math.MinInt64, math.MaxInt64
	switch op {
	case "eq":
		lo, hi = y, y
	case "lt":
		if y == math.MinInt64 {
			return 1, 0, true // nothing is smaller
		}
		hi = y - 1
	case "lte":
		hi = y
	case "gt":
		if y == math.MaxInt64 {
			return 1, 0, true
		}
		lo = y + 1
	case "gte":
		lo = y
	default:
		return 0, 0, false
	}
	return lo, hi, true
}

// integerBounds bounds the integers x (unscaled values at scale) for which "x / 10^scale op v"
// may hold: exactly for an integer literal compared as an integer, otherwise in the float
// domain widened by one unit each way, which covers any rounding of the literal and of the
// column's conversion to double.
func integerBounds(op string, v scalar.Scalar, asFloat bool, scale int32) (lo, hi int64, ok bool) {
	if isTemporal(v.DataType()) {
		return 0, 0, false
	}
	if !asFloat && scale == 0 && !isFloatLike(v) {
		if _, isDecimal := v.(*scalar.Decimal128); !isDecimal {
			if y, ok := toInt(v); ok {
				return exactBounds(op, y)
			}
		}
	}
	y, ok := toFloat(v)
	if !ok || math.IsNaN(y) || math.IsInf(y, 0) {
		return 0, 0, false
	}
	scaled := y * math.Pow10(int(scale))
	if math.Abs(scaled) > 1<<52 {
		return 0, 0, false
	}
	lo, hi = math.MinInt64, math.MaxInt64
	floor, ceil := int64(math.Floor(scaled))+1, int64(math.Ceil(scaled))-1
	switch op {
	case "eq":
		lo, hi = ceil, floor
	case "lt", "lte":
		hi = floor
	case "gt", "gte":
		lo = ceil
	default:
		return 0, 0, false
	}
	return lo, hi, true
}

func inRange[T arrow.Date32 | int32 | int64](out []bool, values []T, column arrow.Array, lo, hi int64) []bool {
	clear(out)
	if lo <= hi {
		// One unsigned comparison per row, no branch.
		span := uint64(hi) - uint64(lo)
		for i, x := range values {
			out[i] = uint64(int64(x))-uint64(lo) <= span
		}
	}
	keepNulls(out, column)
	return out
}

// keepNulls marks null rows as kept: the Filter above decides them.
func keepNulls(out []bool, column arrow.Array) {
	if column.NullN() == 0 {
		return
	}
	for i := range out {
		if column.IsNull(i) {
			out[i] = true
		}
	}
}
