package exec

import (
	"context"
	"encoding/binary"
	"math"
	"math/bits"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Vectorized row hashing and key encoding over whole Arrow arrays: one typed loop per column,
// never a per-row interface call. Hash partitioning (shuffle), hash aggregation and hash joins
// share these, so equal keys of the same type hash equally everywhere. Spark's equality rules
// for grouping apply: NaN equals NaN and -0.0 equals 0.0; nulls hash to one value.

const (
	hashSeed  uint64 = 0x9e3779b97f4a7c15
	nullHash  uint64 = 0x2545f4914f6cdd1d
	hashPrime uint64 = 0xff51afd7ed558ccd
)

// mix64 is a 64-bit finalizer (murmur3's fmix64): every input bit affects every output bit.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= hashPrime
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// hashBytes hashes a byte string 8 bytes at a time.
func hashBytes(b []byte) uint64 {
	h := hashSeed ^ uint64(len(b))*hashPrime
	for len(b) >= 8 {
		h = bits.RotateLeft64(h^mix64(binary.LittleEndian.Uint64(b)), 27)*5 + 0x52dce729
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	return mix64(h ^ mix64(tail))
}

// combineHash folds a column's hash into a row's running hash.
func combineHash(acc, h uint64) uint64 { return mix64(acc*31 + h) }

// HashColumns computes a hash per row over the key columns (all of the same length) into out,
// which must have that length. Dictionary columns hash like their decoded values.
func HashColumns(mem memory.Allocator, columns []arrow.Array, out []uint64) {
	for i := range out {
		out[i] = hashSeed
	}
	scratch := hashScratch.Get().(*[]uint64)
	defer hashScratch.Put(scratch)
	if cap(*scratch) < len(out) {
		*scratch = make([]uint64, len(out))
	}
	colHash := (*scratch)[:len(out)]
	for _, c := range columns {
		hashColumn(mem, c, colHash)
		for i, h := range colHash {
			out[i] = combineHash(out[i], h)
		}
	}
}

// hashScratch holds per-column hash buffers between HashColumns calls: allocating one per batch
// and key set was a steady source of garbage in aggregation and shuffle.
var hashScratch = sync.Pool{New: func() any { return new([]uint64) }}

// hashColumn writes each row's hash of one column into out.
func hashColumn(mem memory.Allocator, a arrow.Array, out []uint64) {
	n := a.Len()
	data := a.Data()
	switch arr := a.(type) {
	case *array.Null:
		for i := range out[:n] {
			out[i] = nullHash
		}
		return
	case *array.Boolean:
		for i := 0; i < n; i++ {
			if arr.Value(i) {
				out[i] = mix64(1)
			} else {
				out[i] = mix64(2)
			}
		}
	case *array.Float32:
		values := arr.Float32Values()
		for i, v := range values {
			out[i] = mix64(uint64(normalizeFloat64Bits(float64(v))))
		}
	case *array.Float64:
		values := arr.Float64Values()
		for i, v := range values {
			out[i] = mix64(normalizeFloat64Bits(v))
		}
	case *array.String:
		offsets := arr.ValueOffsets()
		raw := arr.ValueBytes()
		base := offsets[0]
		for i := 0; i < n; i++ {
			out[i] = hashBytes(raw[offsets[i]-base : offsets[i+1]-base])
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			out[i] = hashBytes([]byte(arr.Value(i)))
		}
	case *array.Binary:
		for i := 0; i < n; i++ {
			out[i] = hashBytes(arr.Value(i))
		}
	case *array.LargeBinary:
		for i := 0; i < n; i++ {
			out[i] = hashBytes(arr.Value(i))
		}
	case *array.Dictionary:
		dictHash := make([]uint64, arr.Dictionary().Len())
		hashColumn(mem, arr.Dictionary(), dictHash)
		for i := 0; i < n; i++ {
			if arr.IsValid(i) {
				out[i] = dictHash[arr.GetValueIndex(i)]
			}
		}
	default:
		if raw, width, ok := fixedWidthValues(data); ok {
			hashFixedWidth(raw, width, n, out)
		} else {
			// Nested and rare types: hash the value's text form. Correct (equal values print
			// equally) but slow; such keys are rare.
			for i := 0; i < n; i++ {
				out[i] = hashBytes([]byte(a.ValueStr(i)))
			}
		}
	}
	if a.NullN() > 0 {
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				out[i] = nullHash
			}
		}
	}
}

// normalizeFloat64Bits maps -0.0 to 0.0 and every NaN to one NaN, as Spark's grouping does.
func normalizeFloat64Bits(v float64) uint64 {
	if v == 0 {
		return 0
	}
	if v != v {
		return 0x7ff8000000000000
	}
	return math.Float64bits(v)
}

// fixedWidthValues returns the value bytes of a fixed-width array from its first row, and the
// byte width of one value.
func fixedWidthValues(data arrow.ArrayData) ([]byte, int, bool) {
	fw, ok := data.DataType().(arrow.FixedWidthDataType)
	if !ok || data.DataType().ID() == arrow.BOOL {
		return nil, 0, false
	}
	width := fw.BitWidth() / 8
	if width == 0 || len(data.Buffers()) < 2 {
		return nil, 0, false
	}
	buf := data.Buffers()[1]
	if buf == nil {
		return make([]byte, width*data.Len()), width, true
	}
	start := data.Offset() * width
	return buf.Bytes()[start : start+data.Len()*width], width, true
}

func hashFixedWidth(raw []byte, width, n int, out []uint64) {
	switch width {
	case 1:
		for i := 0; i < n; i++ {
			out[i] = mix64(uint64(raw[i]))
		}
	case 2:
		for i := 0; i < n; i++ {
			out[i] = mix64(uint64(binary.LittleEndian.Uint16(raw[2*i:])))
		}
	case 4:
		for i := 0; i < n; i++ {
			out[i] = mix64(uint64(binary.LittleEndian.Uint32(raw[4*i:])))
		}
	case 8:
		for i := 0; i < n; i++ {
			out[i] = mix64(binary.LittleEndian.Uint64(raw[8*i:]))
		}
	default:
		for i := 0; i < n; i++ {
			out[i] = hashBytes(raw[width*i : width*(i+1)])
		}
	}
}

// KeyEncoder turns the key columns of a batch into one byte string per row, such that two rows
// have equal strings exactly when their keys are equal under grouping semantics (null equals
// null, NaN equals NaN, -0.0 equals 0.0). Encoding runs column by column with typed loops.
type KeyEncoder struct {
	sizes   []int32
	offsets []int32
	buf     []byte
}

// Encode encodes rows of columns; the returned slices alias the encoder's buffers and are valid
// until the next call. Row i's key is buf[offsets[i]:offsets[i+1]].
func (e *KeyEncoder) Encode(mem memory.Allocator, columns []arrow.Array, n int) (buf []byte, offsets []int32) {
	decoded := make([]arrow.Array, len(columns))
	for i, c := range columns {
		decoded[i] = decodeDictionary(mem, c)
		defer decoded[i].Release()
	}
	e.sizes = resizeInt32(e.sizes, n)
	for i := range e.sizes {
		e.sizes[i] = 0
	}
	for _, c := range decoded {
		keySizes(c, e.sizes)
	}
	e.offsets = resizeInt32(e.offsets, n+1)
	e.offsets[0] = 0
	for i, s := range e.sizes {
		e.offsets[i+1] = e.offsets[i] + s
	}
	total := int(e.offsets[n])
	if cap(e.buf) < total {
		e.buf = make([]byte, total)
	}
	e.buf = e.buf[:total]
	// cursor[i] is where row i's next column goes.
	cursor := e.sizes
	copy(cursor, e.offsets[:n])
	for _, c := range decoded {
		encodeColumn(c, e.buf, cursor)
	}
	return e.buf, e.offsets
}

func resizeInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

func decodeDictionary(mem memory.Allocator, a arrow.Array) arrow.Array {
	d, ok := a.(*array.Dictionary)
	if !ok {
		a.Retain()
		return a
	}
	out, err := compute.TakeArray(compute.WithAllocator(context.Background(), mem), d.Dictionary(), d.Indices())
	if err != nil {
		// Take on a valid dictionary does not fail; keep the indices as a last resort.
		d.Indices().Retain()
		return d.Indices()
	}
	return out
}

// keySizes adds each row's encoded size of column a to sizes: one null-flag byte, then the value.
func keySizes(a arrow.Array, sizes []int32) {
	n := a.Len()
	bitmap, off := validityBits(a)
	valueLen := func(i int, l int32) int32 {
		if isValidAt(bitmap, off, i) {
			return l
		}
		return 0
	}
	switch arr := a.(type) {
	case *array.Null:
		for i := 0; i < n; i++ {
			sizes[i]++
		}
	case *array.Boolean:
		for i := 0; i < n; i++ {
			sizes[i] += 2
		}
	case *array.String:
		offsets := arr.ValueOffsets()
		for i := 0; i < n; i++ {
			sizes[i] += 5 + valueLen(i, offsets[i+1]-offsets[i])
		}
	case *array.Binary:
		offsets := arr.ValueOffsets()
		for i := 0; i < n; i++ {
			sizes[i] += 5 + valueLen(i, offsets[i+1]-offsets[i])
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			sizes[i] += 5 + valueLen(i, int32(arr.ValueLen(i)))
		}
	case *array.LargeBinary:
		for i := 0; i < n; i++ {
			sizes[i] += 5 + valueLen(i, int32(len(arr.Value(i))))
		}
	default:
		if _, width, ok := fixedWidthValues(a.Data()); ok {
			for i := 0; i < n; i++ {
				sizes[i] += 1 + int32(width)
			}
			return
		}
		for i := 0; i < n; i++ {
			sizes[i] += 5 + valueLen(i, int32(len(a.ValueStr(i))))
		}
	}
}

// encodeColumn writes each row's encoding of column a at cursor[i] and advances the cursor. A
// null writes its flag and zeroed value bytes so keys keep a fixed layout per type.
func encodeColumn(a arrow.Array, buf []byte, cursor []int32) {
	n := a.Len()
	hasNulls := a.NullN() > 0
	flag := func(i int) byte {
		if hasNulls && a.IsNull(i) {
			return 0
		}
		return 1
	}
	putBytes := func(i int, v []byte) {
		p := cursor[i]
		f := flag(i)
		buf[p] = f
		if f == 0 {
			v = nil
		}
		binary.LittleEndian.PutUint32(buf[p+1:], uint32(len(v)))
		copy(buf[p+5:], v)
		cursor[i] = p + 5 + int32(len(v))
	}
	switch arr := a.(type) {
	case *array.Null:
		for i := 0; i < n; i++ {
			buf[cursor[i]] = 0
			cursor[i]++
		}
	case *array.Boolean:
		for i := 0; i < n; i++ {
			p := cursor[i]
			f := flag(i)
			buf[p] = f
			buf[p+1] = 0
			if f == 1 && arr.Value(i) {
				buf[p+1] = 1
			}
			cursor[i] += 2
		}
	case *array.Float32:
		values := arr.Float32Values()
		for i := 0; i < n; i++ {
			p := cursor[i]
			f := flag(i)
			buf[p] = f
			var v uint32
			switch x := values[i]; {
			case f == 0 || x == 0:
			case x != x:
				v = 0x7fc00000
			default:
				v = math.Float32bits(x)
			}
			binary.LittleEndian.PutUint32(buf[p+1:], v)
			cursor[i] += 5
		}
	case *array.Float64:
		values := arr.Float64Values()
		for i := 0; i < n; i++ {
			p := cursor[i]
			f := flag(i)
			buf[p] = f
			var v uint64
			if f == 1 {
				v = normalizeFloat64Bits(values[i])
			}
			binary.LittleEndian.PutUint64(buf[p+1:], v)
			cursor[i] += 9
		}
	case *array.String:
		// The layout putBytes writes, inline: this loop runs for every string key of every row.
		offsets := arr.ValueOffsets()
		raw := arr.ValueBytes()
		base := offsets[0]
		valid := rowValidityOf(a)
		for i := 0; i < n; i++ {
			p := cursor[i]
			if hasNulls && !valid.at(i) {
				buf[p] = 0
				binary.LittleEndian.PutUint32(buf[p+1:], 0)
				cursor[i] = p + 5
				continue
			}
			v := raw[offsets[i]-base : offsets[i+1]-base]
			buf[p] = 1
			binary.LittleEndian.PutUint32(buf[p+1:], uint32(len(v)))
			copy(buf[p+5:], v)
			cursor[i] = p + 5 + int32(len(v))
		}
	case *array.Binary:
		for i := 0; i < n; i++ {
			putBytes(i, arr.Value(i))
		}
	case *array.LargeString:
		for i := 0; i < n; i++ {
			putBytes(i, []byte(arr.Value(i)))
		}
	case *array.LargeBinary:
		for i := 0; i < n; i++ {
			putBytes(i, arr.Value(i))
		}
	default:
		if raw, width, ok := fixedWidthValues(a.Data()); ok {
			for i := 0; i < n; i++ {
				p := cursor[i]
				f := flag(i)
				buf[p] = f
				if f == 1 {
					copy(buf[p+1:p+1+int32(width)], raw[i*width:(i+1)*width])
				} else {
					clear(buf[p+1 : p+1+int32(width)])
				}
				cursor[i] += 1 + int32(width)
			}
			return
		}
		for i := 0; i < n; i++ {
			s := a.ValueStr(i)
			putBytes(i, []byte(s))
		}
	}
}

// validityBits returns a's validity bitmap bytes and offset, or nil when it has no nulls.
func validityBits(a arrow.Array) ([]byte, int) {
	if a.NullN() == 0 || a.Data().Buffers()[0] == nil {
		return nil, 0
	}
	return a.Data().Buffers()[0].Bytes(), a.Data().Offset()
}

// isValidAt reads a validity bitmap returned by validityBits.
func isValidAt(bitmap []byte, offset, i int) bool {
	return bitmap == nil || bitutil.BitIsSet(bitmap, offset+i)
}
