package exec

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Typed gathers for the columns filters and joins move most: arrow-go's take kernel goes
// through a per-element callback for fixed-size values (decimals) and was 13% of TPC-H Q1's CPU
// behind the Filter. gatherRows handles plain fixed-width and string/binary arrays and reports
// ok=false for everything else, which then goes through compute.TakeArray.

// gatherRows returns the rows of a at idx (every index valid and in range), owned by the caller.
func gatherRows[I int32 | uint32](mem memory.Allocator, a arrow.Array, idx []I) (arrow.Array, bool) {
	t := a.DataType()
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return gatherFixed[uint8](mem, a, idx), true
	case arrow.INT16, arrow.UINT16:
		return gatherFixed[uint16](mem, a, idx), true
	case arrow.INT32, arrow.UINT32, arrow.FLOAT32, arrow.DATE32, arrow.TIME32:
		return gatherFixed[uint32](mem, a, idx), true
	case arrow.INT64, arrow.UINT64, arrow.FLOAT64, arrow.DATE64, arrow.TIME64, arrow.TIMESTAMP, arrow.DURATION:
		return gatherFixed[uint64](mem, a, idx), true
	case arrow.DECIMAL128:
		return gatherFixed[decimal128.Num](mem, a, idx), true
	case arrow.STRING, arrow.BINARY:
		return gatherBinary(mem, a, idx), true
	}
	return nil, false
}

// gatherValidity returns the validity bitmap of the gathered rows (nil without nulls).
func gatherValidity[I int32 | uint32](mem memory.Allocator, a arrow.Array, idx []I) (*memory.Buffer, int) {
	if a.NullN() == 0 {
		return nil, 0
	}
	src := validityBitmap(a)
	if src.bits == nil {
		return nil, 0
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(len(idx)))))
	bits := buf.Bytes()
	for i := range bits {
		bits[i] = 0
	}
	nulls := 0
	for j, i := range idx {
		if bitutil.BitIsSet(src.bits, src.offset+int(i)) {
			bitutil.SetBit(bits, j)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		buf.Release()
		return nil, 0
	}
	return buf, nulls
}

func gatherFixed[T uint8 | uint16 | uint32 | uint64 | decimal128.Num, I int32 | uint32](mem memory.Allocator, a arrow.Array, idx []I) arrow.Array {
	n := len(idx)
	src := values[T](a)
	buf := memory.NewResizableBuffer(mem)
	var zero T
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	out := arrow.GetData[T](buf.Bytes())[:n]
	for j, i := range idx {
		out[j] = src[i]
	}
	validity, nulls := gatherValidity(mem, a, idx)
	data := array.NewData(a.DataType(), n, []*memory.Buffer{validity, buf}, nil, nulls, 0)
	defer data.Release()
	if validity != nil {
		validity.Release()
	}
	buf.Release()
	return array.MakeFromData(data)
}

func gatherBinary[I int32 | uint32](mem memory.Allocator, a arrow.Array, idx []I) arrow.Array {
	n := len(idx)
	d := a.Data()
	offsets := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()+1]
	var bytes []byte
	if b := d.Buffers()[2]; b != nil {
		bytes = b.Bytes()
	}
	total := 0
	for _, i := range idx {
		total += int(offsets[i+1] - offsets[i])
	}
	offsetBuf := memory.NewResizableBuffer(mem)
	offsetBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	outOffsets := arrow.Int32Traits.CastFromBytes(offsetBuf.Bytes())[:n+1]
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	outBytes := dataBuf.Bytes()
	pos := int32(0)
	for j, i := range idx {
		outOffsets[j] = pos
		pos += int32(copy(outBytes[pos:], bytes[offsets[i]:offsets[i+1]]))
	}
	outOffsets[n] = pos
	validity, nulls := gatherValidity(mem, a, idx)
	data := array.NewData(a.DataType(), n, []*memory.Buffer{validity, offsetBuf, dataBuf}, nil, nulls, 0)
	defer data.Release()
	if validity != nil {
		validity.Release()
	}
	offsetBuf.Release()
	dataBuf.Release()
	return array.MakeFromData(data)
}

// selectedRows returns the positions where mask is true (NULL drops the row, as WHERE does).
func selectedRows(mask *array.Boolean) []int32 {
	n := mask.Len()
	valid := validityBitmap(mask)
	vals := boolValues(mask)
	out := make([]int32, 0, n)
	for i := 0; i < n; i++ {
		if bitutil.BitIsSet(vals.bits, vals.offset+i) && valid.get(i) {
			out = append(out, int32(i))
		}
	}
	return out
}

// gatherByIndexArray is gatherRows for an int32 or uint32 index array without nulls (a null
// index makes a null row: arrow's take handles those).
func gatherByIndexArray(mem memory.Allocator, a, indices arrow.Array) (arrow.Array, bool) {
	if indices.NullN() > 0 {
		return nil, false
	}
	switch x := indices.(type) {
	case *array.Uint32:
		return gatherRows(mem, a, x.Uint32Values())
	case *array.Int32:
		return gatherRows(mem, a, x.Int32Values())
	}
	return nil, false
}
