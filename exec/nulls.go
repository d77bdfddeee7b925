package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SetNulls returns a copy of arr (sharing its data buffers) that is also null where nullify is
// true. nullify has arr's length; its nulls count as false. Release the result.
func SetNulls(mem memory.Allocator, arr arrow.Array, nullify *array.Boolean) arrow.Array {
	n := arr.Len()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bits := buf.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		valid := arr.IsValid(i) && !(nullify.IsValid(i) && nullify.Value(i))
		bitutil.SetBitTo(bits, i, valid)
		if !valid {
			nulls++
		}
	}
	return withValidity(arr, buf, nulls)
}

// AndValidity returns arr (sharing its data buffers) that is also null where other is null.
// Both have the same length. Release the result.
func AndValidity(mem memory.Allocator, arr arrow.Array, other arrow.Array) arrow.Array {
	if other.NullN() == 0 {
		arr.Retain()
		return arr
	}
	n := arr.Len()
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bits := buf.Bytes()
	nulls := 0
	for i := 0; i < n; i++ {
		valid := arr.IsValid(i) && other.IsValid(i)
		bitutil.SetBitTo(bits, i, valid)
		if !valid {
			nulls++
		}
	}
	return withValidity(arr, buf, nulls)
}

// withValidity rebuilds arr's top-level data with a new validity buffer (taking buf's reference).
func withValidity(arr arrow.Array, buf *memory.Buffer, nulls int) arrow.Array {
	defer buf.Release()
	d := arr.Data()
	buffers := append([]*memory.Buffer{buf}, d.Buffers()[1:]...)
	// The new bitmap starts at bit 0, so a sliced input is rebased by slicing its value buffers
	// through the offset-preserving path: build unsliced data then slice.
	if d.Offset() != 0 {
		shifted := memory.NewResizableBuffer(memory.DefaultAllocator)
		shifted.Resize(int(bitutil.BytesForBits(int64(d.Offset() + d.Len()))))
		sb := shifted.Bytes()
		for i := 0; i < d.Len(); i++ {
			bitutil.SetBitTo(sb, d.Offset()+i, bitutil.BitIsSet(buf.Bytes(), i))
		}
		buffers[0] = shifted
		defer shifted.Release()
	}
	nd := array.NewData(d.DataType(), d.Len(), buffers, d.Children(), nulls, d.Offset())
	if d.DataType().ID() == arrow.DICTIONARY {
		nd.SetDictionary(d.Dictionary())
	}
	defer nd.Release()
	return array.MakeFromData(nd)
}
