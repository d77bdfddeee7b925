package arrowio

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/quiverdata/quiver/errkind"
)

// Faster decoding of flat Parquet columns. pqarrow converts some physical types value by value
// into fresh Go slices: a decimal stored as INT32/INT64 goes through decimal128.FromI64 into a
// new zeroed buffer, a DATE32 is copied from its INT32 buffer, and a dictionary-encoded string
// is appended to a BinaryBuilder one value at a time (reallocating as it grows). TPC-H stores
// all of its decimals, dates and short strings that way, and those conversions were most of the
// scan's CPU time. So the reader asks pqarrow for the physical representation (INT32/INT64,
// which it hands over without copying, or the dictionary indices) and converts whole arrays here.

// columnRead says how a file column is read and turned back into its Arrow type.
type columnRead int

const (
	readAsIs columnRead = iota
	// readIntegerAsDecimal reads a decimal stored as INT32/INT64 as that integer.
	readIntegerAsDecimal
	// readIntegerRetyped reads a type with the physical integer layout (date32) as the integer
	// and relabels the buffers.
	readIntegerRetyped
	// readDictionaryStrings reads a string or binary column whose pages are all dictionary
	// encoded as a dictionary array and gathers the values once per batch.
	readDictionaryStrings
)

// physicalReads rewrites the manifest of fr so the listed top-level fields are read in their
// cheaper physical form, and returns, per top-level field index, how to convert them back (nil
// when nothing is rewritten). rowGroups are the row groups the reader will read: strings are
// read as dictionaries only when every data page of theirs is dictionary encoded, since
// pqarrow's dictionary reader hashes every value of a plain page into a new dictionary.
func physicalReads(fr *pqarrow.FileReader, fields []int, rowGroups []int) map[int]fieldRead {
	md := fr.ParquetReader().MetaData()
	var out map[int]fieldRead
	for _, idx := range fields {
		field := &fr.Manifest.Fields[idx]
		if !field.IsLeaf() || field.Field == nil {
			continue
		}
		column := md.Schema.Column(field.ColIndex)
		if column.MaxRepetitionLevel() > 0 {
			continue
		}
		original := field.Field.Type
		var how columnRead
		var readType arrow.DataType
		switch t := original.(type) {
		case *arrow.Decimal128Type:
			switch column.PhysicalType() {
			case parquet.Types.Int32:
				how, readType = readIntegerAsDecimal, arrow.PrimitiveTypes.Int32
			case parquet.Types.Int64:
				how, readType = readIntegerAsDecimal, arrow.PrimitiveTypes.Int64
			}
		case *arrow.Date32Type:
			if column.PhysicalType() == parquet.Types.Int32 {
				how, readType = readIntegerRetyped, arrow.PrimitiveTypes.Int32
			}
		case *arrow.StringType, *arrow.BinaryType:
			if column.PhysicalType() == parquet.Types.ByteArray && allDictionaryPages(md, field.ColIndex, rowGroups) {
				how, readType = readDictionaryStrings, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: t}
			}
		}
		if how == readAsIs {
			continue
		}
		// The manifest belongs to this reader alone; replace the field rather than mutate the
		// one it points to.
		replaced := *field.Field
		replaced.Type = readType
		field.Field = &replaced
		if out == nil {
			out = map[int]fieldRead{}
		}
		out[idx] = fieldRead{how: how, original: original}
	}
	return out
}

type fieldRead struct {
	how      columnRead
	original arrow.DataType
}

// allDictionaryPages reports whether every data page of the column in the row groups is
// dictionary encoded, from the footer's page encoding statistics (false when absent). arrow-go's
// writer leaves plain fallback pages out of those statistics but lists PLAIN a second time
// among the chunk's encodings (the first is the dictionary page's), so that counts as plain.
func allDictionaryPages(md *metadata.FileMetaData, column int, rowGroups []int) bool {
	for _, rg := range rowGroups {
		chunk, err := md.RowGroup(rg).ColumnChunk(column)
		if err != nil {
			return false
		}
		plain := 0
		for _, e := range chunk.Encodings() {
			if e == parquet.Encodings.Plain {
				plain++
			}
		}
		if plain > 1 {
			return false
		}
		stats := chunk.EncodingStats()
		if len(stats) == 0 {
			return false
		}
		for _, s := range stats {
			switch s.Encoding {
			case parquet.Encodings.RLEDict, parquet.Encodings.PlainDict:
				continue
			}
			if fmt.Sprint(s.PageType) != "DICTIONARY_PAGE" {
				return false
			}
		}
	}
	return true
}

// restoreTypes converts the columns read in physical form back to their Arrow types. It
// consumes b (releases it) and returns a batch the caller owns.
func restoreTypes(b arrow.RecordBatch, reads map[int]fieldRead, fileFields []pqarrow.SchemaField, mem memory.Allocator) (arrow.RecordBatch, error) {
	defer b.Release()
	schema := b.Schema()
	fields := append([]arrow.Field(nil), schema.Fields()...)
	columns := make([]arrow.Array, len(fields))
	defer func() {
		for _, c := range columns {
			if c != nil {
				c.Release()
			}
		}
	}()
	byName := make(map[string]fieldRead, len(reads))
	for idx, r := range reads {
		byName[fileFields[idx].Field.Name] = r
	}
	for i, f := range fields {
		column := b.Column(i)
		r, ok := byName[f.Name]
		if !ok || arrow.TypeEqual(column.DataType(), r.original) {
			column.Retain()
			columns[i] = column
			continue
		}
		var converted arrow.Array
		var err error
		switch r.how {
		case readIntegerAsDecimal:
			converted, err = decimalFromIntegers(column, r.original.(*arrow.Decimal128Type), mem)
		case readIntegerRetyped:
			converted = relabel(column, r.original)
		case readDictionaryStrings:
			converted, err = gatherDictionary(column, r.original, mem)
		}
		if err != nil {
			return nil, errkind.Invalid("reading Parquet column %s: %v", f.Name, err)
		}
		columns[i] = converted
		fields[i].Type = r.original
	}
	md := schema.Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), columns, b.NumRows()), nil
}

// relabel shares the buffers of a fixed-width array under another type of the same layout.
func relabel(column arrow.Array, t arrow.DataType) arrow.Array {
	data := column.Data()
	relabeled := array.NewData(t, data.Len(), data.Buffers(), nil, data.NullN(), data.Offset())
	defer relabeled.Release()
	return array.MakeFromData(relabeled)
}

// validityCopy copies the validity bitmap of column into a new buffer starting at bit 0; nil
// when the column has no nulls.
func validityCopy(column arrow.Array, mem memory.Allocator) *memory.Buffer {
	if column.NullN() == 0 || column.Data().Buffers()[0] == nil {
		return nil
	}
	n := column.Len()
	buffer := memory.NewResizableBuffer(mem) // zeroed: CopyBitmap leaves the padding bits
	buffer.Resize(int(bitutil.BytesForBits(int64(n))))
	bitutil.CopyBitmap(column.Data().Buffers()[0].Bytes(), column.Data().Offset(), n, buffer.Bytes(), 0)
	return buffer
}

// decimalFromIntegers widens INT32/INT64 unscaled values to Decimal128 in one pass.
func decimalFromIntegers(column arrow.Array, t *arrow.Decimal128Type, mem memory.Allocator) (arrow.Array, error) {
	n := column.Len()
	values := newOutputBuffer(mem, arrow.Decimal128Traits.BytesRequired(n))
	out := arrow.Decimal128Traits.CastFromBytes(values.Bytes())
	switch c := column.(type) {
	case *array.Int64:
		for i, v := range c.Int64Values() {
			out[i] = decimal128.New(v>>63, uint64(v))
		}
	case *array.Int32:
		for i, v := range c.Int32Values() {
			out[i] = decimal128.New(int64(v>>31), uint64(int64(v)))
		}
	default:
		values.Release()
		return nil, fmt.Errorf("a decimal stored as integers was read as %s", column.DataType())
	}
	validity := validityCopy(column, mem)
	data := array.NewData(t, n, []*memory.Buffer{validity, values}, nil, column.NullN(), 0)
	values.Release()
	if validity != nil {
		validity.Release()
	}
	defer data.Release()
	return array.MakeFromData(data), nil
}

// offsetsAndBytes is what String and Binary arrays share.
type offsetsAndBytes interface {
	arrow.Array
	ValueOffsets() []int32
	ValueBytes() []byte
}

// gatherDictionary materializes a dictionary array of strings or binaries as a plain array of
// type t: one pass to size the offsets, one allocation for the bytes, one copy per value.
func gatherDictionary(column arrow.Array, t arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	dictionary, ok := column.(*array.Dictionary)
	if !ok {
		return nil, fmt.Errorf("expected a dictionary array, got %s", column.DataType())
	}
	indices, ok := dictionary.Indices().(*array.Int32)
	if !ok {
		return nil, fmt.Errorf("dictionary indices are %s, expected int32", dictionary.Indices().DataType())
	}
	values, ok := dictionary.Dictionary().(offsetsAndBytes)
	if !ok {
		return nil, fmt.Errorf("dictionary values are %s, expected strings or binaries", dictionary.Dictionary().DataType())
	}
	dictionaryOffsets := values.ValueOffsets()
	dictionaryBytes := values.ValueBytes()
	base := dictionaryOffsets[0]
	size := int32(len(dictionaryOffsets) - 1)
	keys := indices.Int32Values()
	n := len(keys)
	hasNulls := indices.NullN() > 0

	if !hasNulls && int(size) <= n {
		if width, ok := uniformWidth(dictionaryOffsets); ok {
			return gatherFixedWidth(keys, dictionaryBytes, width, size, t, mem)
		}
	}

	offsetBuffer := newOutputBuffer(mem, arrow.Int32Traits.BytesRequired(n+1))
	offsets := arrow.Int32Traits.CastFromBytes(offsetBuffer.Bytes())
	var total int64
	for i, k := range keys {
		offsets[i] = int32(total)
		if hasNulls && indices.IsNull(i) {
			continue
		}
		if k < 0 || k >= size {
			offsetBuffer.Release()
			return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", k, size)
		}
		total += int64(dictionaryOffsets[k+1] - dictionaryOffsets[k])
	}
	if total > int64(^uint32(0)>>1) {
		offsetBuffer.Release()
		return nil, fmt.Errorf("a batch of %d strings holds more than 2 GiB; lower the batch size", n)
	}
	offsets[n] = int32(total)

	dataBuffer := newOutputBuffer(mem, int(total))
	data := dataBuffer.Bytes()
	for i, k := range keys {
		start, end := offsets[i], offsets[i+1]
		if start == end {
			continue // empty or null (a null's index is not checked)
		}
		from := dictionaryOffsets[k] - base
		// Flags and codes are a few bytes: a byte loop beats a memmove call per value.
		if end-start <= 16 {
			for j := start; j < end; j++ {
				data[j] = dictionaryBytes[from]
				from++
			}
			continue
		}
		copy(data[start:end], dictionaryBytes[from:from+(end-start)])
	}
	validity := validityCopy(indices, mem)
	result := array.NewData(t, n, []*memory.Buffer{validity, offsetBuffer, dataBuffer}, nil, indices.NullN(), 0)
	offsetBuffer.Release()
	dataBuffer.Release()
	if validity != nil {
		validity.Release()
	}
	defer result.Release()
	return array.MakeFromData(result), nil
}

// uniformWidth reports whether every value of a dictionary has the same length (flags, codes,
// fixed formats), returning it.
func uniformWidth(offsets []int32) (int32, bool) {
	if len(offsets) < 2 {
		return 0, false
	}
	width := offsets[1] - offsets[0]
	for i := 2; i < len(offsets); i++ {
		if offsets[i]-offsets[i-1] != width {
			return 0, false
		}
	}
	return width, width > 0
}

// gatherFixedWidth is gatherDictionary for a dictionary of values of one width and no nulls:
// offsets are multiples of the width and a value is width bytes at key*width.
func gatherFixedWidth(keys []int32, dictionaryBytes []byte, width, size int32, t arrow.DataType, mem memory.Allocator) (arrow.Array, error) {
	n := len(keys)
	if int64(n)*int64(width) > int64(^uint32(0)>>1) {
		return nil, fmt.Errorf("a batch of %d strings holds more than 2 GiB; lower the batch size", n)
	}
	offsetBuffer := newOutputBuffer(mem, arrow.Int32Traits.BytesRequired(n+1))
	offsets := arrow.Int32Traits.CastFromBytes(offsetBuffer.Bytes())
	for i := range offsets {
		offsets[i] = int32(i) * width
	}
	dataBuffer := newOutputBuffer(mem, n*int(width))
	data := dataBuffer.Bytes()
	for _, k := range keys {
		if uint32(k) >= uint32(size) {
			offsetBuffer.Release()
			dataBuffer.Release()
			return nil, fmt.Errorf("dictionary index %d out of range [0, %d)", k, size)
		}
	}
	if width == 1 {
		for i, k := range keys {
			data[i] = dictionaryBytes[k]
		}
	} else {
		w := int(width)
		for i, k := range keys {
			copy(data[i*w:i*w+w], dictionaryBytes[int(k)*w:int(k)*w+w])
		}
	}
	result := array.NewData(t, n, []*memory.Buffer{nil, offsetBuffer, dataBuffer}, nil, 0, 0)
	offsetBuffer.Release()
	dataBuffer.Release()
	defer result.Release()
	return array.MakeFromData(result), nil
}
