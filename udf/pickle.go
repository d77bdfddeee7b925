package udf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/quiverdata/quiver/errkind"
)

// The classic row path moves rows as pickles, the way PySpark's JVM side does with Pyrolite: the
// executor pickles a list of row tuples, the worker unpickles it, calls the function once per row
// and pickles the list of results back. Values travel in a wire form made of plain Python objects:
// dates as days since the epoch, timestamps as microseconds, decimals as strings, structs as
// tuples and maps as lists of pairs. The worker converts them to date/datetime/Decimal/Row/dict.

// Pickle opcodes used here (protocol 3 on the way out; up to 5 understood on the way back).
const (
	opMark           = '('
	opStop           = '.'
	opPop            = '0'
	opPopMark        = '1'
	opBinFloat       = 'G'
	opBinInt         = 'J'
	opBinInt1        = 'K'
	opBinInt2        = 'M'
	opNone           = 'N'
	opBinUnicode     = 'X'
	opAppend         = 'a'
	opAppends        = 'e'
	opBinGet         = 'h'
	opLongBinGet     = 'j'
	opEmptyList      = ']'
	opBinPut         = 'q'
	opLongBinPut     = 'r'
	opTuple          = 't'
	opEmptyTuple     = ')'
	opProto          = 0x80
	opTuple1         = 0x85
	opTuple2         = 0x86
	opTuple3         = 0x87
	opNewTrue        = 0x88
	opNewFalse       = 0x89
	opLong1          = 0x8a
	opBinBytes       = 'B'
	opShortBinBytes  = 'C'
	opShortBinUnicod = 0x8c
	opBinUnicode8    = 0x8d
	opBinBytes8      = 0x8e
	opMemoize        = 0x94
	opFrame          = 0x95
	opByteArray8     = 0x96
)

// PickleRows encodes rows [offset, offset+length) of columns as a pickled list of tuples.
func PickleRows(columns []arrow.Array, offset, length int) ([]byte, error) {
	buf := make([]byte, 0, 64+length*len(columns)*10)
	buf = append(buf, opProto, 3, opEmptyList, opMark)
	var err error
	for r := offset; r < offset+length; r++ {
		if len(columns) <= 3 && len(columns) > 0 {
			for _, c := range columns {
				if buf, err = pickleValue(buf, c, r); err != nil {
					return nil, err
				}
			}
			buf = append(buf, byte(opTuple1+len(columns)-1))
			continue
		}
		buf = append(buf, opMark)
		for _, c := range columns {
			if buf, err = pickleValue(buf, c, r); err != nil {
				return nil, err
			}
		}
		buf = append(buf, opTuple)
	}
	buf = append(buf, opAppends, opStop)
	return buf, nil
}

func pickleInt(buf []byte, v int64) []byte {
	if v >= math.MinInt32 && v <= math.MaxInt32 {
		buf = append(buf, opBinInt)
		return binary.LittleEndian.AppendUint32(buf, uint32(int32(v)))
	}
	buf = append(buf, opLong1, 8)
	return binary.LittleEndian.AppendUint64(buf, uint64(v))
}

func pickleString(buf []byte, s string) []byte {
	buf = append(buf, opBinUnicode)
	buf = binary.LittleEndian.AppendUint32(buf, uint32(len(s)))
	return append(buf, s...)
}

// pickleValue appends row i of column c in wire form.
func pickleValue(buf []byte, c arrow.Array, i int) ([]byte, error) {
	if c.IsNull(i) {
		return append(buf, opNone), nil
	}
	switch a := c.(type) {
	case *array.Boolean:
		if a.Value(i) {
			return append(buf, opNewTrue), nil
		}
		return append(buf, opNewFalse), nil
	case *array.Int8:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Int16:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Int32:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Int64:
		return pickleInt(buf, a.Value(i)), nil
	case *array.Uint8:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Uint16:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Uint32:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Float32:
		buf = append(buf, opBinFloat)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(float64(a.Value(i)))), nil
	case *array.Float64:
		buf = append(buf, opBinFloat)
		return binary.BigEndian.AppendUint64(buf, math.Float64bits(a.Value(i))), nil
	case *array.String:
		return pickleString(buf, a.Value(i)), nil
	case *array.LargeString:
		return pickleString(buf, a.Value(i)), nil
	case *array.Binary:
		v := a.Value(i)
		buf = append(buf, opBinBytes)
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(v)))
		return append(buf, v...), nil
	case *array.Date32:
		return pickleInt(buf, int64(a.Value(i))), nil
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		return pickleInt(buf, toMicros(int64(a.Value(i)), unit)), nil
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return pickleString(buf, a.Value(i).ToString(scale)), nil
	case *array.Struct:
		buf = append(buf, opMark)
		var err error
		for f := 0; f < a.NumField(); f++ {
			if buf, err = pickleValue(buf, a.Field(f), i); err != nil {
				return nil, err
			}
		}
		return append(buf, opTuple), nil
	case *array.Map:
		start, end := a.ValueOffsets(i)
		keys, items := a.Keys(), a.Items()
		buf = append(buf, opEmptyList, opMark)
		var err error
		for j := int(start); j < int(end); j++ {
			if buf, err = pickleValue(buf, keys, j); err != nil {
				return nil, err
			}
			if buf, err = pickleValue(buf, items, j); err != nil {
				return nil, err
			}
			buf = append(buf, opTuple2)
		}
		return append(buf, opAppends), nil
	case *array.List:
		start, end := a.ValueOffsets(i)
		buf = append(buf, opEmptyList, opMark)
		var err error
		for j := int(start); j < int(end); j++ {
			if buf, err = pickleValue(buf, a.ListValues(), j); err != nil {
				return nil, err
			}
		}
		return append(buf, opAppends), nil
	}
	return nil, errkind.NotImplemented("the pickled row UDF path cannot pass %s arguments; use a pandas UDF or useArrow=True", c.DataType())
}

func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return v / 1000
	}
	return v
}

// Unpickle decodes the pickles the worker sends back: nested lists and tuples ([]any), None
// (nil), bool, int64 (or *big.Int), float64, string and []byte.
func Unpickle(data []byte) (any, error) {
	u := unpickler{data: data, memo: map[int]any{}}
	v, err := u.run()
	if err != nil {
		return nil, errkind.Internal("malformed pickle from the Python worker: %v", err)
	}
	return v, nil
}

type unpickler struct {
	data  []byte
	pos   int
	stack []any
	marks []int
	memo  map[int]any
}

// list is a mutable Python list on the unpickler's stack.
type list struct{ items []any }

func (u *unpickler) need(n int) ([]byte, error) {
	if u.pos+n > len(u.data) {
		return nil, fmt.Errorf("truncated at byte %d", u.pos)
	}
	b := u.data[u.pos : u.pos+n]
	u.pos += n
	return b, nil
}

func (u *unpickler) push(v any) { u.stack = append(u.stack, v) }

func (u *unpickler) top() any { return u.stack[len(u.stack)-1] }

func (u *unpickler) popMark() ([]any, error) {
	if len(u.marks) == 0 {
		return nil, fmt.Errorf("no mark")
	}
	m := u.marks[len(u.marks)-1]
	u.marks = u.marks[:len(u.marks)-1]
	items := append([]any(nil), u.stack[m:]...)
	u.stack = u.stack[:m]
	return items, nil
}

func (u *unpickler) run() (any, error) {
	for {
		ops, err := u.need(1)
		if err != nil {
			return nil, err
		}
		switch op := ops[0]; op {
		case opProto:
			if _, err := u.need(1); err != nil {
				return nil, err
			}
		case opFrame:
			if _, err := u.need(8); err != nil {
				return nil, err
			}
		case opStop:
			if len(u.stack) != 1 {
				return nil, fmt.Errorf("stack has %d items at STOP", len(u.stack))
			}
			return finish(u.stack[0]), nil
		case opMark:
			u.marks = append(u.marks, len(u.stack))
		case opPop:
			u.stack = u.stack[:len(u.stack)-1]
		case opPopMark:
			if _, err := u.popMark(); err != nil {
				return nil, err
			}
		case opNone:
			u.push(nil)
		case opNewTrue:
			u.push(true)
		case opNewFalse:
			u.push(false)
		case opBinInt:
			b, err := u.need(4)
			if err != nil {
				return nil, err
			}
			u.push(int64(int32(binary.LittleEndian.Uint32(b))))
		case opBinInt1:
			b, err := u.need(1)
			if err != nil {
				return nil, err
			}
			u.push(int64(b[0]))
		case opBinInt2:
			b, err := u.need(2)
			if err != nil {
				return nil, err
			}
			u.push(int64(binary.LittleEndian.Uint16(b)))
		case opLong1:
			nb, err := u.need(1)
			if err != nil {
				return nil, err
			}
			b, err := u.need(int(nb[0]))
			if err != nil {
				return nil, err
			}
			u.push(decodeLong(b))
		case opBinFloat:
			b, err := u.need(8)
			if err != nil {
				return nil, err
			}
			u.push(math.Float64frombits(binary.BigEndian.Uint64(b)))
		case opShortBinUnicod:
			nb, err := u.need(1)
			if err != nil {
				return nil, err
			}
			b, err := u.need(int(nb[0]))
			if err != nil {
				return nil, err
			}
			u.push(string(b))
		case opBinUnicode, opBinBytes:
			nb, err := u.need(4)
			if err != nil {
				return nil, err
			}
			b, err := u.need(int(binary.LittleEndian.Uint32(nb)))
			if err != nil {
				return nil, err
			}
			if op == opBinUnicode {
				u.push(string(b))
			} else {
				u.push(append([]byte(nil), b...))
			}
		case opBinUnicode8, opBinBytes8, opByteArray8:
			nb, err := u.need(8)
			if err != nil {
				return nil, err
			}
			b, err := u.need(int(binary.LittleEndian.Uint64(nb)))
			if err != nil {
				return nil, err
			}
			if op == opBinUnicode8 {
				u.push(string(b))
			} else {
				u.push(append([]byte(nil), b...))
			}
		case opShortBinBytes:
			nb, err := u.need(1)
			if err != nil {
				return nil, err
			}
			b, err := u.need(int(nb[0]))
			if err != nil {
				return nil, err
			}
			u.push(append([]byte(nil), b...))
		case opEmptyList:
			u.push(&list{})
		case opEmptyTuple:
			u.push([]any{})
		case opTuple:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			u.push(items)
		case opTuple1, opTuple2, opTuple3:
			n := int(op-opTuple1) + 1
			if len(u.stack) < n {
				return nil, fmt.Errorf("stack underflow")
			}
			items := append([]any(nil), u.stack[len(u.stack)-n:]...)
			u.stack = u.stack[:len(u.stack)-n]
			u.push(items)
		case opAppend:
			v := u.top()
			u.stack = u.stack[:len(u.stack)-1]
			l, ok := u.top().(*list)
			if !ok {
				return nil, fmt.Errorf("APPEND to a non-list")
			}
			l.items = append(l.items, v)
		case opAppends:
			items, err := u.popMark()
			if err != nil {
				return nil, err
			}
			l, ok := u.top().(*list)
			if !ok {
				return nil, fmt.Errorf("APPENDS to a non-list")
			}
			l.items = append(l.items, items...)
		case opMemoize:
			u.memo[len(u.memo)] = u.top()
		case opBinPut:
			b, err := u.need(1)
			if err != nil {
				return nil, err
			}
			u.memo[int(b[0])] = u.top()
		case opLongBinPut:
			b, err := u.need(4)
			if err != nil {
				return nil, err
			}
			u.memo[int(binary.LittleEndian.Uint32(b))] = u.top()
		case opBinGet:
			b, err := u.need(1)
			if err != nil {
				return nil, err
			}
			u.push(u.memo[int(b[0])])
		case opLongBinGet:
			b, err := u.need(4)
			if err != nil {
				return nil, err
			}
			u.push(u.memo[int(binary.LittleEndian.Uint32(b))])
		default:
			return nil, fmt.Errorf("unsupported opcode 0x%02x at byte %d", op, u.pos-1)
		}
	}
}

// finish replaces list wrappers with plain slices, recursively.
func finish(v any) any {
	switch x := v.(type) {
	case *list:
		out := make([]any, len(x.items))
		for i, it := range x.items {
			out[i] = finish(it)
		}
		return out
	case []any:
		for i, it := range x {
			x[i] = finish(it)
		}
		return x
	}
	return v
}

func decodeLong(b []byte) any {
	if len(b) == 0 {
		return int64(0)
	}
	if len(b) <= 8 {
		var v uint64
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
		shift := 64 - 8*uint(len(b))
		return int64(v<<shift) >> shift
	}
	be := make([]byte, len(b))
	for i := range b {
		be[len(b)-1-i] = b[i]
	}
	n := new(big.Int).SetBytes(be)
	if b[len(b)-1]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return n
}

// AppendWire appends one unpickled wire-form value to a builder of type t, failing with a message
// that names the function when the value does not fit.
func AppendWire(b array.Builder, v any, name string) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	bad := func() error {
		return errkind.Invalid("UDF '%s' is declared to return %s but returned %s value %v", name, b.Type(), pyName(v), v)
	}
	switch bb := b.(type) {
	case *array.BooleanBuilder:
		x, ok := v.(bool)
		if !ok {
			return bad()
		}
		bb.Append(x)
	case *array.Int8Builder, *array.Int16Builder, *array.Int32Builder, *array.Int64Builder:
		x, ok := v.(int64)
		if !ok {
			if bv, isBool := v.(bool); isBool {
				x, ok = 0, true
				if bv {
					x = 1
				}
			}
		}
		if !ok {
			return bad()
		}
		switch ib := bb.(type) {
		case *array.Int8Builder:
			if x < math.MinInt8 || x > math.MaxInt8 {
				return errkind.Invalid("UDF '%s' returned %d, which overflows its declared type tinyint", name, x)
			}
			ib.Append(int8(x))
		case *array.Int16Builder:
			if x < math.MinInt16 || x > math.MaxInt16 {
				return errkind.Invalid("UDF '%s' returned %d, which overflows its declared type smallint", name, x)
			}
			ib.Append(int16(x))
		case *array.Int32Builder:
			if x < math.MinInt32 || x > math.MaxInt32 {
				return errkind.Invalid("UDF '%s' returned %d, which overflows its declared type int", name, x)
			}
			ib.Append(int32(x))
		case *array.Int64Builder:
			ib.Append(x)
		}
	case *array.Float32Builder:
		f, ok := toFloat(v)
		if !ok {
			return bad()
		}
		bb.Append(float32(f))
	case *array.Float64Builder:
		f, ok := toFloat(v)
		if !ok {
			return bad()
		}
		bb.Append(f)
	case *array.StringBuilder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		if !utf8.ValidString(s) {
			return errkind.Invalid("UDF '%s' returned a string that is not valid UTF-8", name)
		}
		bb.Append(s)
	case *array.BinaryBuilder:
		switch x := v.(type) {
		case []byte:
			bb.Append(x)
		default:
			return bad()
		}
	case *array.Date32Builder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Date32(x))
	case *array.TimestampBuilder:
		x, ok := v.(int64)
		if !ok {
			return bad()
		}
		bb.Append(arrow.Timestamp(x))
	case *array.Decimal128Builder:
		s, ok := v.(string)
		if !ok {
			return bad()
		}
		t := bb.Type().(*arrow.Decimal128Type)
		d, err := decimal128.FromString(s, t.Precision, t.Scale)
		if err != nil {
			return errkind.Invalid("UDF '%s' returned %s, which does not fit its declared type decimal(%d,%d): %v", name, s, t.Precision, t.Scale, err)
		}
		bb.Append(d)
	case *array.StructBuilder:
		items, ok := v.([]any)
		st := bb.Type().(*arrow.StructType)
		if !ok || len(items) != st.NumFields() {
			return bad()
		}
		bb.Append(true)
		for i := range items {
			if err := AppendWire(bb.FieldBuilder(i), items[i], name); err != nil {
				return err
			}
		}
	case *array.MapBuilder:
		items, ok := v.([]any)
		if !ok {
			return bad()
		}
		bb.Append(true)
		for _, it := range items {
			pair, ok := it.([]any)
			if !ok || len(pair) != 2 {
				return bad()
			}
			if err := AppendWire(bb.KeyBuilder(), pair[0], name); err != nil {
				return err
			}
			if err := AppendWire(bb.ItemBuilder(), pair[1], name); err != nil {
				return err
			}
		}
	case *array.ListBuilder:
		items, ok := v.([]any)
		if !ok {
			return bad()
		}
		bb.Append(true)
		for _, it := range items {
			if err := AppendWire(bb.ValueBuilder(), it, name); err != nil {
				return err
			}
		}
	default:
		return errkind.NotImplemented("the pickled row UDF path cannot return %s; use a pandas UDF or useArrow=True", b.Type())
	}
	return nil
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// pyName names a decoded value's Python type for errors.
func pyName(v any) string {
	switch v.(type) {
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string:
		return "str"
	case []byte:
		return "bytes"
	case bool:
		return "bool"
	case []any:
		return "list"
	}
	return strconv.Quote(fmt.Sprintf("%T", v))
}
