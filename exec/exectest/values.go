package exectest

import (
	"fmt"
	"math"
	"reflect"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Rows are test data as plain Go values, row-major; nil is NULL. The Go value of a column
// depends on its Arrow type:
//
//	signed integers           int64 (int and the other int widths are accepted as input)
//	unsigned integers         uint64
//	float32, float64          float64
//	boolean                   bool
//	string, large_string      string
//	binary, large_binary      []byte
//	date32                    arrow.Date32
//	timestamp                 arrow.Timestamp
//	decimal128                decimal128.Num (the unscaled value)
//	struct                    map[string]any
//	list, large_list          []any
//
// Other types are not supported yet: add them to appendValue and valueAt.
type Rows = [][]any

// garbage marks the values written beneath NULLs: operators must never read them, and a test
// that does gets results that differ from the reference.
const garbageInt = 0x5a5a5a5a

// MakeBatch builds a batch from rows. Beneath every NULL it writes a non-zero garbage value (in
// nested types too), so an operator that reads values under the validity bitmap is caught.
// Release the result.
func MakeBatch(mem memory.Allocator, schema *arrow.Schema, rows Rows) (arrow.RecordBatch, error) {
	columns := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range columns {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, f := range schema.Fields() {
		values := make([]any, len(rows))
		for r, row := range rows {
			if len(row) != schema.NumFields() {
				return nil, fmt.Errorf("exectest: row %d has %d values, the schema %d fields", r, len(row), schema.NumFields())
			}
			values[r] = row[i]
		}
		c, err := MakeArray(mem, f.Type, values)
		if err != nil {
			return nil, fmt.Errorf("exectest: column %s: %w", f.Name, err)
		}
		columns[i] = c
	}
	return array.NewRecordBatch(schema, columns, int64(len(rows))), nil
}

// MakeArray builds an array of type t from Go values (nil is NULL, with garbage beneath it).
func MakeArray(mem memory.Allocator, t arrow.DataType, values []any) (arrow.Array, error) {
	b := array.NewBuilder(mem, t)
	defer b.Release()
	for _, v := range values {
		if err := appendValue(b, v, v == nil); err != nil {
			return nil, err
		}
	}
	dense := b.NewArray()
	defer dense.Release()
	return withNulls(mem, dense, values)
}

// withNulls returns arr with the validity bitmap cleared where values are nil.
func withNulls(mem memory.Allocator, arr arrow.Array, values []any) (arrow.Array, error) {
	nulls := 0
	for _, v := range values {
		if v == nil {
			nulls++
		}
	}
	if nulls == 0 {
		arr.Retain()
		return arr, nil
	}
	bitmap := memory.NewResizableBuffer(mem)
	defer bitmap.Release()
	bitmap.Resize(int(bitutil.BytesForBits(int64(len(values)))))
	bits := bitmap.Bytes()
	for i := range bits {
		bits[i] = 0
	}
	for i, v := range values {
		if v != nil {
			bitutil.SetBit(bits, i)
		}
	}
	d := arr.Data()
	buffers := append([]*memory.Buffer{bitmap}, d.Buffers()[1:]...)
	nd := array.NewData(d.DataType(), d.Len(), buffers, d.Children(), nulls, d.Offset())
	defer nd.Release()
	return array.MakeFromData(nd), nil
}

// appendValue appends v. With null set it appends a garbage value instead, whose validity the
// caller clears (top level) or a null parent hides (nested); a nil v without null set is
// appended as a plain NULL.
func appendValue(b array.Builder, v any, null bool) error {
	if v == nil && !null {
		b.AppendNull()
		return nil
	}
	switch bb := b.(type) {
	case *array.Int8Builder:
		bb.Append(int8(intValue(v, null)))
	case *array.Int16Builder:
		bb.Append(int16(intValue(v, null)))
	case *array.Int32Builder:
		bb.Append(int32(intValue(v, null)))
	case *array.Int64Builder:
		bb.Append(intValue(v, null))
	case *array.Uint8Builder:
		bb.Append(uint8(intValue(v, null)))
	case *array.Uint16Builder:
		bb.Append(uint16(intValue(v, null)))
	case *array.Uint32Builder:
		bb.Append(uint32(intValue(v, null)))
	case *array.Uint64Builder:
		bb.Append(uint64(intValue(v, null)))
	case *array.Float32Builder:
		bb.Append(float32(floatValue(v, null)))
	case *array.Float64Builder:
		bb.Append(floatValue(v, null))
	case *array.BooleanBuilder:
		if null {
			bb.Append(true)
		} else {
			bb.Append(v.(bool))
		}
	case *array.StringBuilder:
		if null {
			bb.Append("garbage")
		} else {
			bb.Append(v.(string))
		}
	case *array.LargeStringBuilder:
		if null {
			bb.Append("garbage")
		} else {
			bb.Append(v.(string))
		}
	case *array.BinaryBuilder:
		switch {
		case null:
			bb.Append([]byte("garbage"))
		case reflect.TypeOf(v).Kind() == reflect.String:
			bb.Append([]byte(v.(string)))
		default:
			bb.Append(v.([]byte))
		}
	case *array.Date32Builder:
		if null {
			bb.Append(garbageInt)
		} else {
			bb.Append(v.(arrow.Date32))
		}
	case *array.TimestampBuilder:
		if null {
			bb.Append(garbageInt)
		} else {
			bb.Append(v.(arrow.Timestamp))
		}
	case *array.Decimal128Builder:
		if null {
			bb.Append(decimal128.FromI64(garbageInt))
		} else {
			bb.Append(v.(decimal128.Num))
		}
	case *array.StructBuilder:
		bb.Append(true)
		st := bb.Type().(*arrow.StructType)
		var m map[string]any
		if !null {
			m = v.(map[string]any)
		}
		for i, f := range st.Fields() {
			// Beneath a null struct every field holds garbage; a valid struct's nil field is NULL.
			if err := appendValue(bb.FieldBuilder(i), m[f.Name], null); err != nil {
				return err
			}
		}
	case *array.ListBuilder:
		bb.Append(true)
		if !null {
			for _, e := range v.([]any) {
				if err := appendValue(bb.ValueBuilder(), e, false); err != nil {
					return err
				}
			}
		}
	default:
		return fmt.Errorf("type %s is not supported by exectest yet; add it to values.go", b.Type())
	}
	return nil
}

func intValue(v any, null bool) int64 {
	if null {
		return garbageInt
	}
	switch x := v.(type) {
	case int:
		return int64(x)
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	case int64:
		return x
	case uint8:
		return int64(x)
	case uint16:
		return int64(x)
	case uint32:
		return int64(x)
	case uint64:
		return int64(x)
	}
	panic(fmt.Sprintf("exectest: %T (%v) is not an integer", v, v))
}

func floatValue(v any, null bool) float64 {
	if null {
		return garbageInt
	}
	switch x := v.(type) {
	case float64:
		return x
	case float32:
		return float64(x)
	case int:
		return float64(x)
	case int64:
		return float64(x)
	}
	panic(fmt.Sprintf("exectest: %T (%v) is not a float", v, v))
}

// BatchRows converts a batch to rows of Go values (see Rows).
func BatchRows(b arrow.RecordBatch) Rows {
	out := make(Rows, b.NumRows())
	for r := range out {
		row := make([]any, b.NumCols())
		for c := range row {
			row[c] = ValueAt(b.Column(c), r)
		}
		out[r] = row
	}
	return out
}

// ValueAt is element i of arr as a Go value (see Rows); nil when NULL.
func ValueAt(arr arrow.Array, i int) any {
	if arr.IsNull(i) {
		return nil
	}
	switch a := arr.(type) {
	case *array.Int8:
		return int64(a.Value(i))
	case *array.Int16:
		return int64(a.Value(i))
	case *array.Int32:
		return int64(a.Value(i))
	case *array.Int64:
		return a.Value(i)
	case *array.Uint8:
		return uint64(a.Value(i))
	case *array.Uint16:
		return uint64(a.Value(i))
	case *array.Uint32:
		return uint64(a.Value(i))
	case *array.Uint64:
		return a.Value(i)
	case *array.Float32:
		return float64(a.Value(i))
	case *array.Float64:
		return a.Value(i)
	case *array.Boolean:
		return a.Value(i)
	case *array.String:
		return a.Value(i)
	case *array.LargeString:
		return a.Value(i)
	case *array.Binary:
		return append([]byte{}, a.Value(i)...)
	case *array.Date32:
		return a.Value(i)
	case *array.Timestamp:
		return a.Value(i)
	case *array.Decimal128:
		return a.Value(i)
	case *array.Struct:
		st := a.DataType().(*arrow.StructType)
		m := make(map[string]any, st.NumFields())
		for f := 0; f < st.NumFields(); f++ {
			m[st.Field(f).Name] = ValueAt(a.Field(f), i)
		}
		return m
	case *array.List:
		start, end := a.ValueOffsets(i)
		out := make([]any, 0, end-start)
		for j := start; j < end; j++ {
			out = append(out, ValueAt(a.ListValues(), int(j)))
		}
		return out
	}
	return fmt.Sprintf("<%s %s>", arr.DataType(), arr.ValueStr(i))
}

// ValuesEqual compares Go values as SQL results are compared in tests: NaN equals NaN, and
// numbers compare by value across int64/float64 only when both are the same kind.
func ValuesEqual(a, b any) bool {
	if fa, ok := a.(float64); ok {
		if fb, ok := b.(float64); ok {
			return fa == fb || math.IsNaN(fa) && math.IsNaN(fb)
		}
		return false
	}
	switch x := a.(type) {
	case int:
		a = int64(x)
	}
	switch x := b.(type) {
	case int:
		b = int64(x)
	}
	if la, ok := a.([]any); ok {
		lb, ok := b.([]any)
		if !ok || len(la) != len(lb) {
			return false
		}
		for i := range la {
			if !ValuesEqual(la[i], lb[i]) {
				return false
			}
		}
		return true
	}
	if ma, ok := a.(map[string]any); ok {
		mb, ok := b.(map[string]any)
		if !ok || len(ma) != len(mb) {
			return false
		}
		for k, v := range ma {
			if !ValuesEqual(v, mb[k]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// RowsEqual compares two row sets, in order or as multisets.
func RowsEqual(want, got Rows, ordered bool) bool {
	if len(want) != len(got) {
		return false
	}
	if !ordered {
		want, got = sortedRows(want), sortedRows(got)
	}
	for i := range want {
		if len(want[i]) != len(got[i]) {
			return false
		}
		for j := range want[i] {
			if !ValuesEqual(want[i][j], got[i][j]) {
				return false
			}
		}
	}
	return true
}

func sortedRows(rows Rows) Rows {
	out := append(Rows{}, rows...)
	sort.SliceStable(out, func(i, j int) bool { return fmt.Sprint(out[i]) < fmt.Sprint(out[j]) })
	return out
}

// Normalize converts a Go value given for type t to the form BatchRows returns (int to int64
// for signed integer columns, to uint64 for unsigned ones, float32 and ints to float64 for
// floating-point columns, recursively in structs and lists), so references written against
// test inputs see the same Go types as results.
func Normalize(t arrow.DataType, v any) any {
	if v == nil {
		return nil
	}
	switch tt := t.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type:
		return intValue(v, false)
	case *arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type:
		return uint64(intValue(v, false))
	case *arrow.Float32Type, *arrow.Float64Type:
		return floatValue(v, false)
	case *arrow.StructType:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m))
		for _, f := range tt.Fields() {
			out[f.Name] = Normalize(f.Type, m[f.Name])
		}
		return out
	case *arrow.ListType:
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = Normalize(tt.Elem(), e)
		}
		return out
	}
	return v
}

// NormalizeTable returns a copy of table with every value normalized (see Normalize).
func NormalizeTable(table Table) Table {
	out := Table{Schema: table.Schema, Partitions: make([]Rows, len(table.Partitions))}
	for p, rows := range table.Partitions {
		out.Partitions[p] = make(Rows, len(rows))
		for r, row := range rows {
			nr := make([]any, len(row))
			for c, v := range row {
				if c < table.Schema.NumFields() {
					nr[c] = Normalize(table.Schema.Field(c).Type, v)
				} else {
					nr[c] = v
				}
			}
			out.Partitions[p][r] = nr
		}
	}
	return out
}
