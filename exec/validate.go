package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

// ValidateBatch checks that a batch matches schema and that every column is structurally sound:
// buffers long enough for their length and offset, null counts that agree with the validity
// bitmap, offsets that are monotone and inside their data, dictionary indices inside the
// dictionary. Data from outside (an upload) must pass it before any kernel reads it, because
// arrow-go reads buffers without bounds checks; operator tests use it as an invariant. The
// cost is linear in the offsets and indices, not in the values.
func ValidateBatch(schema *arrow.Schema, b arrow.RecordBatch) error {
	if b.NumCols() != int64(schema.NumFields()) {
		return errkind.Invalid("a record batch has %d columns but the schema has %d (%s)", b.NumCols(), schema.NumFields(), schema)
	}
	if b.NumRows() < 0 {
		return errkind.Invalid("a record batch has a negative row count %d", b.NumRows())
	}
	for i, c := range b.Columns() {
		f := schema.Field(i)
		if !arrow.TypeEqual(c.DataType(), f.Type) {
			return errkind.Invalid("column %d (%s) is %s but the schema says %s", i, f.Name, c.DataType(), f.Type)
		}
		if int64(c.Len()) != b.NumRows() {
			return errkind.Invalid("column %d (%s) has %d values in a batch of %d rows", i, f.Name, c.Len(), b.NumRows())
		}
		if err := validateData(c.Data(), f.Name); err != nil {
			return err
		}
	}
	return nil
}

// ValidateArray checks one array as ValidateBatch checks a column.
func ValidateArray(a arrow.Array) error { return validateData(a.Data(), "array") }

func validateData(d arrow.ArrayData, path string) error {
	fail := func(format string, args ...any) error {
		return errkind.Invalid("column %s (%s): %s", path, d.DataType(), fmt.Sprintf(format, args...))
	}
	n, off := d.Len(), d.Offset()
	if n < 0 || off < 0 {
		return fail("negative length %d or offset %d", n, off)
	}
	end := int64(off) + int64(n)
	buffers := d.Buffers()
	dt := d.DataType()
	if ext, ok := dt.(arrow.ExtensionType); ok {
		dt = ext.StorageType()
	}
	id := dt.ID()
	if id == arrow.NULL {
		if d.NullN() != n {
			return fail("a null-type array of %d values reports %d nulls", n, d.NullN())
		}
		return nil
	}
	if d.NullN() > n {
		return fail("%d nulls in %d values", d.NullN(), n)
	}
	hasValidity := id != arrow.SPARSE_UNION && id != arrow.DENSE_UNION && id != arrow.RUN_END_ENCODED
	if hasValidity {
		if len(buffers) == 0 {
			return fail("no buffers")
		}
		if v := buffers[0]; v != nil && v.Len() > 0 {
			if int64(v.Len()) < bitutil.BytesForBits(end) {
				return fail("validity bitmap has %d bytes, needs %d", v.Len(), bitutil.BytesForBits(end))
			}
			if nulls := d.NullN(); nulls != array.UnknownNullCount {
				if valid := bitutil.CountSetBits(v.Bytes(), off, n); n-valid != nulls {
					return fail("reports %d nulls but its validity bitmap has %d", nulls, n-valid)
				}
			}
		} else if d.NullN() > 0 {
			return fail("reports %d nulls but has no validity bitmap", d.NullN())
		}
	}
	need := func(i int, bytes int64, what string) error {
		if i >= len(buffers) || buffers[i] == nil {
			if bytes == 0 {
				return nil
			}
			return fail("missing %s buffer", what)
		}
		if int64(buffers[i].Len()) < bytes {
			return fail("%s buffer has %d bytes, needs %d", what, buffers[i].Len(), bytes)
		}
		return nil
	}
	children := d.Children()
	switch t := dt.(type) {
	case *arrow.BooleanType:
		return need(1, bitutil.BytesForBits(end), "values")
	case *arrow.DictionaryType:
		if err := need(1, end*int64(t.IndexType.(arrow.FixedWidthDataType).BitWidth()/8), "indices"); err != nil {
			return err
		}
		dict := d.Dictionary()
		if dict == nil {
			return fail("no dictionary")
		}
		if err := validateData(dict, path+".dictionary"); err != nil {
			return err
		}
		return checkIndices(d, t.IndexType, int64(dict.Len()), fail)
	case arrow.FixedWidthDataType:
		bits := int64(t.BitWidth())
		return need(1, (end*bits+7)/8, "values")
	case *arrow.StringType, *arrow.BinaryType:
		return checkOffsets32(buffers, n, off, fail, need, -1)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return checkOffsets64(buffers, n, off, fail, need, -1)
	case *arrow.ListType, *arrow.MapType:
		if len(children) != 1 {
			return fail("%d child arrays, want 1", len(children))
		}
		if err := checkOffsets32(buffers, n, off, fail, need, int64(children[0].Len())); err != nil {
			return err
		}
		return validateData(children[0], path+".element")
	case *arrow.LargeListType:
		if len(children) != 1 {
			return fail("%d child arrays, want 1", len(children))
		}
		if err := checkOffsets64(buffers, n, off, fail, need, int64(children[0].Len())); err != nil {
			return err
		}
		return validateData(children[0], path+".element")
	case *arrow.FixedSizeListType:
		if len(children) != 1 {
			return fail("%d child arrays, want 1", len(children))
		}
		if int64(children[0].Len()) < end*int64(t.Len()) {
			return fail("child has %d values, needs %d", children[0].Len(), end*int64(t.Len()))
		}
		return validateData(children[0], path+".element")
	case *arrow.StructType:
		if len(children) != t.NumFields() {
			return fail("%d child arrays for %d fields", len(children), t.NumFields())
		}
		for i, c := range children {
			if int64(c.Len()) < end {
				return fail("field %s has %d values, needs %d", t.Field(i).Name, c.Len(), end)
			}
			if err := validateData(c, path+"."+t.Field(i).Name); err != nil {
				return err
			}
		}
		return nil
	}
	// Views, unions, run-end encoded: arrow-go's own validation where it has one.
	a := array.MakeFromData(d)
	defer a.Release()
	if v, ok := a.(interface{ ValidateFull() error }); ok {
		if err := v.ValidateFull(); err != nil {
			return fail("%v", err)
		}
	}
	return nil
}

func checkOffsets32(buffers []*memory.Buffer, n, off int, fail func(string, ...any) error,
	need func(int, int64, string) error, childLen int64) error {
	if n == 0 && (len(buffers) < 2 || buffers[1] == nil || buffers[1].Len() == 0) {
		return nil
	}
	if err := need(1, int64(off+n+1)*4, "offsets"); err != nil {
		return err
	}
	offsets := arrow.Int32Traits.CastFromBytes(buffers[1].Bytes())[off : off+n+1]
	limit := childLen
	if limit < 0 {
		limit = 0
		if len(buffers) > 2 && buffers[2] != nil {
			limit = int64(buffers[2].Len())
		}
	}
	return checkMonotone(offsets, limit, fail)
}

func checkOffsets64(buffers []*memory.Buffer, n, off int, fail func(string, ...any) error,
	need func(int, int64, string) error, childLen int64) error {
	if n == 0 && (len(buffers) < 2 || buffers[1] == nil || buffers[1].Len() == 0) {
		return nil
	}
	if err := need(1, int64(off+n+1)*8, "offsets"); err != nil {
		return err
	}
	offsets := arrow.Int64Traits.CastFromBytes(buffers[1].Bytes())[off : off+n+1]
	limit := childLen
	if limit < 0 {
		limit = 0
		if len(buffers) > 2 && buffers[2] != nil {
			limit = int64(buffers[2].Len())
		}
	}
	return checkMonotone(offsets, limit, fail)
}

func checkMonotone[T int32 | int64](offsets []T, limit int64, fail func(string, ...any) error) error {
	if offsets[0] < 0 {
		return fail("first offset %d is negative", offsets[0])
	}
	for i := 1; i < len(offsets); i++ {
		if offsets[i] < offsets[i-1] {
			return fail("offsets decrease at %d (%d < %d)", i, offsets[i], offsets[i-1])
		}
	}
	if last := int64(offsets[len(offsets)-1]); last > limit {
		return fail("last offset %d is past the end of the data (%d)", last, limit)
	}
	return nil
}

func checkIndices(d arrow.ArrayData, indexType arrow.DataType, dictLen int64, fail func(string, ...any) error) error {
	indices := array.MakeFromData(array.NewData(indexType, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset()))
	defer indices.Release()
	get := func(i int) int64 {
		switch a := indices.(type) {
		case *array.Int8:
			return int64(a.Value(i))
		case *array.Int16:
			return int64(a.Value(i))
		case *array.Int32:
			return int64(a.Value(i))
		case *array.Int64:
			return a.Value(i)
		case *array.Uint8:
			return int64(a.Value(i))
		case *array.Uint16:
			return int64(a.Value(i))
		case *array.Uint32:
			return int64(a.Value(i))
		case *array.Uint64:
			return int64(a.Value(i))
		}
		return -1
	}
	for i := 0; i < indices.Len(); i++ {
		if indices.IsNull(i) {
			continue
		}
		if v := get(i); v < 0 || v >= dictLen {
			return fail("dictionary index %d at row %d is outside the dictionary of %d values", v, i, dictLen)
		}
	}
	return nil
}
