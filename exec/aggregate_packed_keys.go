package exec

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Packed group keys: several short key columns (integers, dates, short strings) packed into
// one int64 per row, grouped by an intGroupTable. Hashing every column, encoding every row's
// key into bytes and comparing those bytes was most of the grouping time of TPC-H Q1 (two
// one-character strings over 6M rows). Each column owns a field of the int64: a tag byte (0 for
// null, else 1 for an integer or 1 + the length for a string) then the value's bytes, zero
// padded, so equal keys pack equally and different keys differently. A string longer than its
// field ends the packing: the state moves its groups to the byte-keyed table (same group ids)
// and goes on there.

// packedKeyLayout places each key column in the int64.
type packedKeyLayout struct {
	fields []packedKeyField
}

type packedKeyField struct {
	shift  uint // bit position of the field's tag byte
	width  int  // value bytes: an integer's width, a string's longest length
	isText bool // String or Binary (int32 offsets)
}

// newPackedKeyLayout returns the layout for these key types, or nil when they do not fit in
// 8 bytes with at least one byte per string. Strings share the bytes integers leave.
func newPackedKeyLayout(keyTypes []arrow.DataType) *packedKeyLayout {
	if len(keyTypes) < 2 && (len(keyTypes) == 0 || intKeyWidth(keyTypes[0]) > 0) {
		return nil // none, or one integer column: intGroupTable directly
	}
	used, texts := 0, 0
	for _, t := range keyTypes {
		switch {
		case t.ID() == arrow.STRING || t.ID() == arrow.BINARY:
			texts++
			used++
		case intKeyWidth(t) > 0:
			used += 1 + intKeyWidth(t)
		default:
			return nil
		}
	}
	if used > 8 || (texts > 0 && (8-used)/texts < 1) {
		return nil
	}
	l := &packedKeyLayout{}
	shift := uint(0)
	for _, t := range keyTypes {
		f := packedKeyField{shift: shift}
		if t.ID() == arrow.STRING || t.ID() == arrow.BINARY {
			f.isText, f.width = true, (8-used)/texts
		} else {
			f.width = intKeyWidth(t)
		}
		shift += uint(8 * (1 + f.width))
		l.fields = append(l.fields, f)
	}
	return l
}

// pack writes each row's packed key into out; false when a column's array is not of the planned
// kind or a string is longer than its field.
func (l *packedKeyLayout) pack(keys []arrow.Array, out []int64) bool {
	clear(out)
	for k, f := range l.fields {
		a := keys[k]
		valid := rowValidityOf(a)
		if f.isText {
			var offsets []int32
			var data []byte
			switch x := a.(type) {
			case *array.String:
				offsets, data = x.ValueOffsets(), x.ValueBytes()
			case *array.Binary:
				offsets, data = x.ValueOffsets(), x.ValueBytes()
			default:
				return false
			}
			if !packTexts(offsets, data, valid, f, out) {
				return false
			}
			continue
		}
		if intKeyWidth(a.DataType()) != f.width {
			return false // a dictionary array, or not the planned type
		}
		raw, width, ok := fixedWidthValues(a.Data())
		if !ok || width != f.width {
			return false
		}
		for i := range out {
			if !valid.at(i) {
				continue
			}
			var v uint64
			switch width {
			case 1:
				v = uint64(raw[i])
			case 2:
				v = uint64(binary.LittleEndian.Uint16(raw[2*i:]))
			case 4:
				v = uint64(binary.LittleEndian.Uint32(raw[4*i:]))
			default:
				v = binary.LittleEndian.Uint64(raw[8*i:])
			}
			out[i] |= int64((1 | v<<8) << f.shift)
		}
	}
	return true
}

func packTexts(offsets []int32, data []byte, valid rowValidity, f packedKeyField, out []int64) bool {
	if valid.bits == nil && packOneByteTexts(offsets, data, f, out) {
		return true
	}
	base := offsets[0]
	for i := range out {
		if !valid.at(i) {
			continue
		}
		value := data[offsets[i]-base : offsets[i+1]-base]
		if len(value) > f.width {
			return false
		}
		v := uint64(1 + len(value))
		for j, c := range value {
			v |= uint64(c) << (8 * (j + 1))
		}
		out[i] |= int64(v << f.shift)
	}
	return true
}

// packOneByteTexts packs a column whose strings are all one byte long and never null (TPC-H
// Q1's l_returnflag and l_linestatus) in two branch-free loops; false, with out unchanged, when
// the column is not like that. The general loop's per-row slicing and length tests were 8% of
// Q1's CPU.
func packOneByteTexts(offsets []int32, data []byte, f packedKeyField, out []int64) bool {
	offsets = offsets[:len(out)+1]
	var longer int32 // non-zero when some string is not one byte long
	for i := range out {
		longer |= (offsets[i+1] - offsets[i]) ^ 1
	}
	if longer != 0 || f.width < 1 {
		return false
	}
	data = data[:len(out)] // one byte per row: row i's string is data[i]
	for i := range out {
		out[i] |= int64((2 | uint64(data[i])<<8) << f.shift)
	}
	return true
}

// assignPackedGroups groups rows by packed keys, appending rows that created a group to newRows;
// false (nothing changed) when the batch does not pack.
func (st *aggregateState) assignPackedGroups(keys []arrow.Array, groups []int32, newRows []int32) ([]int32, bool) {
	if cap(st.packedKeys) < len(groups) {
		st.packedKeys = make([]int64, len(groups))
	}
	packed := st.packedKeys[:len(groups)]
	if !st.packedLayout.pack(keys, packed) {
		return nil, false
	}
	return findOrInsertInts(st.packedTable, packed, rowValidity{}, groups, newRows), true
}

// unpack moves the groups so far to the byte-keyed table, in group order so their ids stay, and
// stops packing.
func (st *aggregateState) unpack(ec *EvalContext) error {
	st.packedLayout, st.packedTable, st.packedKeys = nil, nil, nil
	if len(st.keyChunks) == 0 || len(st.keyChunks[0]) == 0 {
		return nil
	}
	columns := make([]arrow.Array, len(st.keyChunks))
	defer releaseArrayList(columns)
	for k, chunks := range st.keyChunks {
		c, err := array.Concatenate(chunks, ec.Task.Allocator)
		if err != nil {
			return err
		}
		columns[k] = c
	}
	n := columns[0].Len()
	hashes := make([]uint64, n)
	HashColumns(ec.Task.Allocator, columns, hashes)
	var encoder KeyEncoder
	buf, offsets := encoder.Encode(ec.Task.Allocator, columns, n)
	st.table.findOrInsert(hashes, buf, offsets, make([]int32, n), nil)
	return nil
}
