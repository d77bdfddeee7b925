package exec

import (
	"bytes"
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/planner/logical"
)

// Row ordering with Spark's rules: NaN sorts after every other number and equals NaN, -0.0
// equals 0.0, strings and binaries compare bytewise, nulls go first or last as the SortOrder
// says. Sorting builds one typed closure per key over whole arrays; merging runs and routing
// rows to range partitions compare across arrays with compareAt.

// rowOrder compares rows of one set of key arrays (one per SortOrder).
type rowOrder []func(i, j int) int

func newRowOrder(keys []arrow.Array, orders []*logical.SortOrder) rowOrder {
	out := make(rowOrder, len(keys))
	for k, a := range keys {
		out[k] = orderedCompare(a, orders[k])
	}
	return out
}

func (o rowOrder) compare(i, j int) int {
	for _, c := range o {
		if r := c(i, j); r != 0 {
			return r
		}
	}
	return 0
}

// sortIndices returns the row indexes of keys in sorted order (stable).
func sortIndices(keys []arrow.Array, orders []*logical.SortOrder, n int) []int32 {
	idx := make([]int32, n)
	for i := range idx {
		idx[i] = int32(i)
	}
	if len(keys) == 0 {
		return idx
	}
	if out, ok := sortByPackedKeys(keys, orders, idx); ok {
		return out
	}
	if out, ok := sortByNormalizedKey(keys, orders, idx); ok {
		return out
	}
	order := newRowOrder(keys, orders)
	// pdqsort with the row index as the last key: stable results at unstable-sort speed.
	if len(order) == 1 {
		c := order[0]
		slices.SortFunc(idx, func(a, b int32) int {
			if r := c(int(a), int(b)); r != 0 {
				return r
			}
			return int(a - b)
		})
		return idx
	}
	slices.SortFunc(idx, func(a, b int32) int {
		if r := order.compare(int(a), int(b)); r != 0 {
			return r
		}
		return int(a - b)
	})
	return idx
}

// orderedCompare compares rows i and j of a under one sort order.
func orderedCompare(a arrow.Array, o *logical.SortOrder) func(i, j int) int {
	values := valueComparator(a, a)
	nullsFirst := o.NullsFirstEffective()
	desc := o.Direction == logical.Descending
	if a.NullN() == 0 {
		if desc {
			return func(i, j int) int { return values(j, i) }
		}
		return values
	}
	return func(i, j int) int {
		ni, nj := a.IsNull(i), a.IsNull(j)
		if ni || nj {
			return nullCompare(ni, nj, nullsFirst)
		}
		if desc {
			return values(j, i)
		}
		return values(i, j)
	}
}

func nullCompare(ni, nj, nullsFirst bool) int {
	switch {
	case ni && nj:
		return 0
	case ni == nullsFirst:
		return -1
	}
	return 1
}

// compareKeysAt compares row i of keys a with row j of keys b (arrays of the same types).
func compareKeysAt(a []arrow.Array, i int, b []arrow.Array, j int, orders []*logical.SortOrder) int {
	for k, o := range orders {
		ni, nj := a[k].IsNull(i), b[k].IsNull(j)
		if ni || nj {
			if r := nullCompare(ni, nj, o.NullsFirstEffective()); r != 0 {
				return r
			}
			continue
		}
		r := valueComparator(a[k], b[k])(i, j)
		if o.Direction == logical.Descending {
			r = -r
		}
		if r != 0 {
			return r
		}
	}
	return 0
}

func compareFloatSpark[T float32 | float64](x, y T) int {
	xn, yn := x != x, y != y
	switch {
	case xn && yn:
		return 0
	case xn:
		return 1
	case yn:
		return -1
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func orderedValues[T cmp.Ordered](x, y []T) func(i, j int) int {
	return func(i, j int) int { return cmp.Compare(x[i], y[j]) }
}

// valueComparator returns a comparator of non-null values a[i] and b[j]; a and b have one type.
func valueComparator(a, b arrow.Array) func(i, j int) int {
	switch x := a.(type) {
	case *array.Int8:
		return orderedValues(x.Int8Values(), b.(*array.Int8).Int8Values())
	case *array.Int16:
		return orderedValues(x.Int16Values(), b.(*array.Int16).Int16Values())
	case *array.Int32:
		return orderedValues(x.Int32Values(), b.(*array.Int32).Int32Values())
	case *array.Int64:
		return orderedValues(x.Int64Values(), b.(*array.Int64).Int64Values())
	case *array.Uint8:
		return orderedValues(x.Uint8Values(), b.(*array.Uint8).Uint8Values())
	case *array.Uint16:
		return orderedValues(x.Uint16Values(), b.(*array.Uint16).Uint16Values())
	case *array.Uint32:
		return orderedValues(x.Uint32Values(), b.(*array.Uint32).Uint32Values())
	case *array.Uint64:
		return orderedValues(x.Uint64Values(), b.(*array.Uint64).Uint64Values())
	case *array.Float32:
		xv, yv := x.Float32Values(), b.(*array.Float32).Float32Values()
		return func(i, j int) int { return compareFloatSpark(xv[i], yv[j]) }
	case *array.Float64:
		xv, yv := x.Float64Values(), b.(*array.Float64).Float64Values()
		return func(i, j int) int { return compareFloatSpark(xv[i], yv[j]) }
	case *array.Date32:
		return orderedValues(x.Date32Values(), b.(*array.Date32).Date32Values())
	case *array.Date64:
		return orderedValues(x.Date64Values(), b.(*array.Date64).Date64Values())
	case *array.Timestamp:
		return orderedValues(x.TimestampValues(), b.(*array.Timestamp).TimestampValues())
	case *array.Duration:
		return orderedValues(x.DurationValues(), b.(*array.Duration).DurationValues())
	case *array.Time32:
		return orderedValues(x.Time32Values(), b.(*array.Time32).Time32Values())
	case *array.Time64:
		return orderedValues(x.Time64Values(), b.(*array.Time64).Time64Values())
	case *array.Boolean:
		y := b.(*array.Boolean)
		return func(i, j int) int {
			xi, yj := x.Value(i), y.Value(j)
			switch {
			case xi == yj:
				return 0
			case yj:
				return -1
			}
			return 1
		}
	case *array.String:
		y := b.(*array.String)
		return func(i, j int) int { return cmp.Compare(x.Value(i), y.Value(j)) }
	case *array.LargeString:
		y := b.(*array.LargeString)
		return func(i, j int) int { return cmp.Compare(x.Value(i), y.Value(j)) }
	case *array.StringView:
		y := b.(*array.StringView)
		return func(i, j int) int { return cmp.Compare(x.Value(i), y.Value(j)) }
	case *array.Binary:
		y := b.(*array.Binary)
		return func(i, j int) int { return bytes.Compare(x.Value(i), y.Value(j)) }
	case *array.LargeBinary:
		y := b.(*array.LargeBinary)
		return func(i, j int) int { return bytes.Compare(x.Value(i), y.Value(j)) }
	case *array.Decimal128:
		y := b.(*array.Decimal128)
		return func(i, j int) int { return x.Value(i).Cmp(y.Value(j)) }
	case *array.Decimal256:
		y := b.(*array.Decimal256)
		return func(i, j int) int { return x.Value(i).Cmp(y.Value(j)) }
	case *array.Dictionary:
		y := b.(*array.Dictionary)
		dx := decodeDictionary(nil, x)
		dy := decodeDictionary(nil, y)
		inner := valueComparator(dx, dy)
		return inner
	case *array.List:
		return listComparator(x, b.(*array.List))
	case *array.Struct:
		y := b.(*array.Struct)
		fields := make([]func(i, j int) int, x.NumField())
		for f := range fields {
			fx, fy := x.Field(f), y.Field(f)
			vc := valueComparator(fx, fy)
			fields[f] = func(i, j int) int {
				// A null field sorts first (Spark's struct ordering); nullCompare needs a null.
				if ni, nj := fx.IsNull(i), fy.IsNull(j); ni || nj {
					return nullCompare(ni, nj, true)
				}
				return vc(i, j)
			}
		}
		return func(i, j int) int {
			for _, f := range fields {
				if r := f(i, j); r != 0 {
					return r
				}
			}
			return 0
		}
	}
	return func(i, j int) int { return cmp.Compare(a.ValueStr(i), b.ValueStr(j)) }
}

// evalSortKeys evaluates sort keys over a batch; release the arrays.
func evalSortKeys(ec *EvalContext, orders []*logical.SortOrder, b arrow.RecordBatch) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(orders))
	for i, o := range orders {
		a, err := EvalArray(ec, o.Child, b)
		if err != nil {
			releaseArrayList(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func releaseArrayList(arrays []arrow.Array) {
	for _, a := range arrays {
		if a != nil {
			a.Release()
		}
	}
}

// takeRecordRows gathers rows of b by indexes (a null index gives a null row). Release the result.
func takeRecordRows(ctx context.Context, tc *TaskContext, b arrow.RecordBatch, indices arrow.Array) (arrow.RecordBatch, error) {
	cctx := compute.WithAllocator(ctx, tc.Allocator)
	cols := make([]arrow.Array, b.NumCols())
	defer releaseArrayList(cols)
	for i, c := range b.Columns() {
		// After a sort the indices are random: arrow's take kernel spent 40% of a window query
		// over 2M rows (PARTITION BY k ORDER BY o) in its per-row getters.
		if out, ok := gatherByIndexArray(tc.Allocator, c, indices); ok {
			cols[i] = out
			continue
		}
		out, err := compute.TakeArray(cctx, c, indices)
		if err != nil {
			return nil, err
		}
		cols[i] = out
	}
	return array.NewRecordBatch(b.Schema(), cols, int64(indices.Len())), nil
}

// int32Indices builds an Int32 index array; release it.
func int32Indices(tc *TaskContext, idx []int32) arrow.Array {
	b := array.NewInt32Builder(tc.Allocator)
	defer b.Release()
	b.AppendValues(idx, nil)
	return b.NewArray()
}

// concatRecordBatches concatenates batches of one schema into one batch (an empty batch for none).
// The inputs are not released.
func concatRecordBatches(tc *TaskContext, schema *arrow.Schema, batches []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(batches) == 1 {
		batches[0].Retain()
		return batches[0], nil
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer releaseArrayList(cols)
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	for c := range cols {
		if len(batches) == 0 {
			cols[c] = array.MakeArrayOfNull(tc.Allocator, schema.Field(c).Type, 0)
			continue
		}
		parts := make([]arrow.Array, len(batches))
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		out, err := array.Concatenate(parts, tc.Allocator)
		if err != nil {
			return nil, err
		}
		cols[c] = out
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// normalizedKeys maps the first key's values to uint64s whose unsigned order is the sort order
// (sign bit flipped for integers, IEEE bits adjusted for floats with NaN largest and -0.0 equal
// to 0.0, inverted for descending). ok is false for other types.
func normalizedKeys(a arrow.Array, desc bool) ([]uint64, bool) {
	n := a.Len()
	out := make([]uint64, n)
	const sign = uint64(1) << 63
	switch x := a.(type) {
	case *array.Int64:
		for i, v := range x.Int64Values() {
			out[i] = uint64(v) ^ sign
		}
	case *array.Int32:
		for i, v := range x.Int32Values() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Int16:
		for i, v := range x.Int16Values() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Int8:
		for i, v := range x.Int8Values() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Date32:
		for i, v := range x.Date32Values() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Date64:
		for i, v := range x.Date64Values() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Timestamp:
		for i, v := range x.TimestampValues() {
			out[i] = uint64(int64(v)) ^ sign
		}
	case *array.Float64:
		for i, v := range x.Float64Values() {
			out[i] = floatOrderBits(v)
		}
	case *array.Float32:
		for i, v := range x.Float32Values() {
			out[i] = floatOrderBits(float64(v))
		}
	default:
		return nil, false
	}
	if desc {
		for i := range out {
			out[i] = ^out[i]
		}
	}
	return out, true
}

func floatOrderBits(v float64) uint64 {
	switch {
	case v != v:
		return ^uint64(0)
	case v == 0:
		v = 0
	}
	b := math.Float64bits(v)
	if b&(1<<63) != 0 {
		return ^b
	}
	return b | 1<<63
}

// sortByNormalizedKey sorts when the first key is a fixed-width number: it orders the null rows
// apart, sorts (normalized key, row) pairs of the rest comparing integers inline, and uses the
// other keys only on ties.
func sortByNormalizedKey(keys []arrow.Array, orders []*logical.SortOrder, idx []int32) ([]int32, bool) {
	first := keys[0]
	norm, ok := normalizedKeys(first, orders[0].Direction == logical.Descending)
	if !ok {
		return nil, false
	}
	var rest rowOrder
	if len(keys) > 1 {
		rest = newRowOrder(keys[1:], orders[1:])
	}
	type entry struct {
		key uint64
		row int32
	}
	entries := make([]entry, 0, len(idx))
	var nulls []int32
	for _, r := range idx {
		if first.IsNull(int(r)) {
			nulls = append(nulls, r)
			continue
		}
		entries = append(entries, entry{norm[r], r})
	}
	slices.SortFunc(entries, func(a, b entry) int {
		switch {
		case a.key < b.key:
			return -1
		case a.key > b.key:
			return 1
		}
		if rest != nil {
			if r := rest.compare(int(a.row), int(b.row)); r != 0 {
				return r
			}
		}
		return int(a.row - b.row)
	})
	if rest != nil && len(nulls) > 1 {
		slices.SortFunc(nulls, func(a, b int32) int {
			if r := rest.compare(int(a), int(b)); r != 0 {
				return r
			}
			return int(a - b)
		})
	}
	out := idx[:0]
	if orders[0].NullsFirstEffective() {
		out = append(out, nulls...)
	}
	for _, e := range entries {
		out = append(out, e.row)
	}
	if !orders[0].NullsFirstEffective() {
		out = append(out, nulls...)
	}
	return out, true
}
