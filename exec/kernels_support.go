package exec

import (
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/planner/logical"
)

// Helpers shared by the scalar function kernels (kernels_*.go). Kernels read Arrow buffers
// directly through typed slices and validity bitmaps so the per-row work is a typed loop, never an
// interface call per value (issue #3 item 8).

// argArrays materializes every argument as a full-length array, broadcasting scalars. The caller
// releases the result with releaseArrays.
func argArrays(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(args))
	for i, d := range args {
		var t arrow.DataType
		if i < len(call.Args) {
			t = call.Args[i].DataType()
		}
		a, err := DatumToArray(ec, d, length, t)
		if err != nil {
			releaseArrays(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func releaseArrays(arrays []arrow.Array) {
	for _, a := range arrays {
		if a != nil {
			a.Release()
		}
	}
}

// scalarArg returns the scalar value of a literal argument, or nil when the argument is an array.
func scalarArg(d compute.Datum) (s interface{ IsValid() bool }, ok bool) {
	if sd, isScalar := d.(*compute.ScalarDatum); isScalar {
		return sd.Value, true
	}
	return nil, false
}

// bitmap is a validity (or boolean value) bitmap with its bit offset; a nil bitmap means all set.
type bitmap struct {
	bits   []byte
	offset int
}

func (b bitmap) get(i int) bool { return b.bits == nil || bitutil.BitIsSet(b.bits, b.offset+i) }

// validityOf returns the validity bitmap of an array (nil bits when it has no nulls).
func validityBitmap(a arrow.Array) bitmap {
	if a.NullN() == 0 {
		return bitmap{}
	}
	if a.DataType().ID() == arrow.NULL {
		return bitmap{bits: make([]byte, bitutil.BytesForBits(int64(a.Len()))), offset: 0}
	}
	buf := a.Data().Buffers()[0]
	if buf == nil {
		return bitmap{}
	}
	return bitmap{bits: buf.Bytes(), offset: a.Data().Offset()}
}

// boolValues returns the value bitmap of a boolean array.
func boolValues(a *array.Boolean) bitmap {
	return bitmap{bits: a.Data().Buffers()[1].Bytes(), offset: a.Data().Offset()}
}

// values returns the typed value slice of a fixed-width array, adjusted for its offset.
func values[T arrow.FixedWidthType](a arrow.Array) []T {
	d := a.Data()
	buf := d.Buffers()[1]
	if buf == nil {
		return nil
	}
	all := arrow.GetData[T](buf.Bytes())
	return all[d.Offset() : d.Offset()+d.Len()]
}

// validityBuilder accumulates an output validity bitmap.
type validityBuilder struct {
	buf   *memory.Buffer
	bits  []byte
	nulls int
}

// newValidity starts a bitmap of n bits copied from the AND of the inputs' validity.
func newValidity(mem memory.Allocator, n int, inputs ...arrow.Array) *validityBuilder {
	v := &validityBuilder{buf: memory.NewResizableBuffer(mem)}
	v.buf.Resize(int(bitutil.BytesForBits(int64(n))))
	v.bits = v.buf.Bytes()
	for i := range v.bits {
		v.bits[i] = 0xff
	}
	for _, in := range inputs {
		vb := validityBitmap(in)
		if vb.bits == nil {
			continue
		}
		bitutil.BitmapAnd(v.bits, vb.bits, 0, int64(vb.offset), v.bits, 0, int64(n))
	}
	v.nulls = n - bitutil.CountSetBits(v.bits, 0, n)
	return v
}

func (v *validityBuilder) valid(i int) bool { return bitutil.BitIsSet(v.bits, i) }

func (v *validityBuilder) setNull(i int) {
	if bitutil.BitIsSet(v.bits, i) {
		bitutil.ClearBit(v.bits, i)
		v.nulls++
	}
}

func (v *validityBuilder) setValid(i int) {
	if !bitutil.BitIsSet(v.bits, i) {
		bitutil.SetBit(v.bits, i)
		v.nulls--
	}
}

// release frees the bitmap when it was not handed to an array.
func (v *validityBuilder) release() {
	if v.buf != nil {
		v.buf.Release()
		v.buf = nil
	}
}

// take hands the bitmap (or nil when there are no nulls) to an array.
func (v *validityBuilder) take() (*memory.Buffer, int) {
	if v.nulls == 0 {
		v.release()
		return nil, 0
	}
	b := v.buf
	v.buf = nil
	return b, v.nulls
}

// newFixedBuffer allocates a zeroed value buffer for n values of T.
func newFixedBuffer[T arrow.FixedWidthType](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	buf := memory.NewResizableBuffer(mem)
	var zero T
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	out := arrow.GetData[T](buf.Bytes())
	clear(out)
	return buf, out[:n]
}

// makeFixedArray builds a fixed-width array from a value buffer and a validity builder, taking
// both references. The result is owned by the caller.
func makeFixedArray(t arrow.DataType, n int, valuesBuffer *memory.Buffer, validity *validityBuilder) arrow.Array {
	var vbuf *memory.Buffer
	nulls := 0
	if validity != nil {
		vbuf, nulls = validity.take()
	}
	data := array.NewData(t, n, []*memory.Buffer{vbuf, valuesBuffer}, nil, nulls, 0)
	if vbuf != nil {
		vbuf.Release()
	}
	valuesBuffer.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// boolOutput builds a boolean array bit by bit.
type boolOutput struct {
	buf  *memory.Buffer
	bits []byte
}

func newBoolOutput(mem memory.Allocator, n int) *boolOutput {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	bits := buf.Bytes()
	clear(bits)
	return &boolOutput{buf: buf, bits: bits}
}

func (b *boolOutput) set(i int, v bool) {
	if v {
		bitutil.SetBit(b.bits, i)
	}
}

func (b *boolOutput) finish(n int, validity *validityBuilder) arrow.Array {
	return makeFixedArray(arrow.FixedWidthTypes.Boolean, n, b.buf, validity)
}

// datumOf wraps an array in a datum and drops the caller's reference.
func datumOf(a arrow.Array) compute.Datum {
	defer a.Release()
	return compute.NewDatum(a)
}

// stringColumn reads a string array's offsets and bytes directly.
type stringColumn struct {
	offsets []int32
	data    []byte
	valid   bitmap
}

func stringsOf(a arrow.Array) stringColumn {
	d := a.Data()
	var offsets []int32
	if buf := d.Buffers()[1]; buf != nil && buf.Len() > 0 {
		offsets = arrow.GetData[int32](buf.Bytes())[d.Offset() : d.Offset()+d.Len()+1]
	} else {
		offsets = make([]int32, d.Len()+1)
	}
	var data []byte
	if buf := d.Buffers()[2]; buf != nil {
		data = buf.Bytes()
	}
	return stringColumn{offsets: offsets, data: data, valid: validityBitmap(a)}
}

func (s stringColumn) at(i int) []byte { return s.data[s.offsets[i]:s.offsets[i+1]] }

// stringOutput builds a string array with offsets and bytes written directly.
type stringOutput struct {
	offsets []int32
	data    []byte
}

func newStringOutput(n, sizeHint int) *stringOutput {
	o := &stringOutput{offsets: make([]int32, 1, n+1), data: make([]byte, 0, sizeHint)}
	return o
}

func (o *stringOutput) appendBytes(b []byte) {
	o.data = append(o.data, b...)
	o.offsets = append(o.offsets, int32(len(o.data)))
}

func (o *stringOutput) appendString(s string) {
	o.data = append(o.data, s...)
	o.offsets = append(o.offsets, int32(len(o.data)))
}

// appendEmpty ends a value without bytes (for nulls).
func (o *stringOutput) appendEmpty() { o.offsets = append(o.offsets, int32(len(o.data))) }

// finish copies the offsets and bytes into allocator buffers and builds the array (type t:
// string or binary), taking validity.
func (o *stringOutput) finish(mem memory.Allocator, t arrow.DataType, validity *validityBuilder) arrow.Array {
	n := len(o.offsets) - 1
	offsetBuf, offsets := newFixedBuffer[int32](mem, n+1)
	copy(offsets, o.offsets)
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(len(o.data))
	copy(dataBuf.Bytes(), o.data)
	var vbuf *memory.Buffer
	nulls := 0
	if validity != nil {
		vbuf, nulls = validity.take()
	}
	data := array.NewData(t, n, []*memory.Buffer{vbuf, offsetBuf, dataBuf}, nil, nulls, 0)
	if vbuf != nil {
		vbuf.Release()
	}
	offsetBuf.Release()
	dataBuf.Release()
	defer data.Release()
	return array.MakeFromData(data)
}
