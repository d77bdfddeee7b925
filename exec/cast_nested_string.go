package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Casting arrays, maps and structs to string, as Spark 4 prints them (ToStringBase):
// `[1, 2, null]`, `{1 -> a, 2 -> null}`, `{1, x, null}` (struct fields without names), nested
// values printed the same way, and every leaf printed as its own cast to string prints it
// (1.0E20, 2024-01-02 03:04:05.123, decimals with their scale, binary as its raw bytes).
// Each child array is cast to string once, whole; rows are then assembled from those strings.

// nestedToString casts a list, map or struct array to strings; ok is false for other types.
func (c *castState) nestedToString(in arrow.Array) (arrow.Array, bool, error) {
	n := in.Len()
	valid := validityBitmap(in)
	out := newStringOutput(n, n*16)
	var build func(i int, buf []byte) []byte
	switch a := in.(type) {
	case *array.Map:
		l, _ := listOf(a)
		keys, err := c.castChild(a.Keys(), arrow.BinaryTypes.String)
		if err != nil {
			return nil, true, err
		}
		defer keys.Release()
		items, err := c.castChild(a.Items(), arrow.BinaryTypes.String)
		if err != nil {
			return nil, true, err
		}
		defer items.Release()
		keyText, itemText := stringsOf(keys), stringsOf(items)
		build = func(i int, buf []byte) []byte {
			buf = append(buf, '{')
			for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
				if j > l.offsets[i] {
					buf = append(buf, ", "...)
				}
				buf = appendNullable(buf, keyText, int(j))
				buf = append(buf, " -> "...)
				buf = appendNullable(buf, itemText, int(j))
			}
			return append(buf, '}')
		}
	case *array.List:
		l, _ := listOf(a)
		elements, err := c.castChild(a.ListValues(), arrow.BinaryTypes.String)
		if err != nil {
			return nil, true, err
		}
		defer elements.Release()
		text := stringsOf(elements)
		build = func(i int, buf []byte) []byte {
			buf = append(buf, '[')
			for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
				if j > l.offsets[i] {
					buf = append(buf, ", "...)
				}
				buf = appendNullable(buf, text, int(j))
			}
			return append(buf, ']')
		}
	case *array.Struct:
		// Field(k) is sliced to the struct's offset, so row i of a field is row i of the struct.
		fields := make([]stringColumn, a.NumField())
		for k := range fields {
			f, err := c.castChild(a.Field(k), arrow.BinaryTypes.String)
			if err != nil {
				return nil, true, err
			}
			defer f.Release()
			fields[k] = stringsOf(f)
		}
		build = func(i int, buf []byte) []byte {
			buf = append(buf, '{')
			for k, f := range fields {
				if k > 0 {
					buf = append(buf, ", "...)
				}
				buf = appendNullable(buf, f, i)
			}
			return append(buf, '}')
		}
	default:
		return nil, false, nil
	}
	var buf []byte
	for i := 0; i < n; i++ {
		if !valid.get(i) {
			out.appendEmpty()
			continue
		}
		buf = build(i, buf[:0])
		out.appendBytes(buf)
	}
	return out.finish(c.ec.Task.Allocator, arrow.BinaryTypes.String, newValidity(c.ec.Task.Allocator, n, in)), true, nil
}

// appendNullable appends value i of a string column, or "null" (Spark's spelling inside nested
// values) when it is null.
func appendNullable(buf []byte, s stringColumn, i int) []byte {
	if !s.valid.get(i) {
		return append(buf, "null"...)
	}
	return append(buf, s.at(i)...)
}
