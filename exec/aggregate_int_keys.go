package exec

import (
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
)

// intGroupTable maps one integer-like key column (integers, dates, timestamps) to dense group
// ids without encoding keys into bytes: each slot holds the key itself, so a lookup touches one
// cache line, and a row equal to the row before it (sorted or clustered keys, as TPC-H's
// l_orderkey) skips the lookup. With 260K groups it spent a third of the byte table's time.
type intGroupTable struct {
	slots     []intGroupSlot
	shift     uint8 // 64 - log2(len(slots)): a hash's top bits pick the slot
	groups    int   // groups so far, the null group included
	nullGroup int32 // the group of the null key, -1 until one arrives
}

type intGroupSlot struct {
	key   int64
	group int32 // group id + 1; 0 is empty
}

// intKeyWidth returns the byte width of t when an intGroupTable can group it, else 0.
func intKeyWidth(t arrow.DataType) int {
	switch t.ID() {
	case arrow.INT8, arrow.UINT8:
		return 1
	case arrow.INT16, arrow.UINT16:
		return 2
	case arrow.INT32, arrow.UINT32, arrow.DATE32, arrow.TIME32:
		return 4
	case arrow.INT64, arrow.UINT64, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME64, arrow.DURATION:
		return 8
	}
	return 0
}

func newIntGroupTable() *intGroupTable {
	t := &intGroupTable{nullGroup: -1}
	t.resize(1024)
	return t
}

func (t *intGroupTable) len() int    { return t.groups }
func (t *intGroupTable) size() int64 { return int64(len(t.slots)) * 16 }

func (t *intGroupTable) resize(slots int) {
	old := t.slots
	t.slots = make([]intGroupSlot, slots)
	t.shift = uint8(64 - bits.TrailingZeros(uint(slots)))
	mask := uint64(slots - 1)
	for _, s := range old {
		if s.group == 0 {
			continue
		}
		i := t.slotOf(s.key)
		for t.slots[i].group != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
	}
}

// slotOf is the home slot of key: Fibonacci hashing, the product's top bits.
func (t *intGroupTable) slotOf(key int64) uint64 {
	return (uint64(key) * 0x9e3779b97f4a7c15) >> t.shift
}

// findOrInsert assigns each row of column a its group id; rows that created a group are appended
// to newRows in order.
func (t *intGroupTable) findOrInsert(a arrow.Array, groups []int32, newRows []int32) []int32 {
	raw, width, _ := fixedWidthValues(a.Data())
	valid := rowValidityOf(a)
	switch width {
	case 1:
		return findOrInsertInts(t, arrow.GetData[int8](raw), valid, groups, newRows)
	case 2:
		return findOrInsertInts(t, arrow.GetData[int16](raw), valid, groups, newRows)
	case 4:
		return findOrInsertInts(t, arrow.GetData[int32](raw), valid, groups, newRows)
	}
	return findOrInsertInts(t, arrow.GetData[int64](raw), valid, groups, newRows)
}

func findOrInsertInts[T int8 | int16 | int32 | int64](t *intGroupTable, values []T, valid rowValidity, groups []int32, newRows []int32) []int32 {
	previousValid := false
	for i := range groups {
		if valid.bits != nil && !valid.at(i) {
			if t.nullGroup < 0 {
				t.nullGroup = int32(t.groups)
				t.groups++
				newRows = append(newRows, int32(i))
			}
			groups[i] = t.nullGroup
			previousValid = false
			continue
		}
		key := int64(values[i])
		if previousValid && values[i] == values[i-1] {
			groups[i] = groups[i-1]
			continue
		}
		previousValid = true
		if 2*(t.groups+1) > len(t.slots) {
			t.resize(2 * len(t.slots))
		}
		mask := uint64(len(t.slots) - 1)
		s := t.slotOf(key)
		for {
			slot := &t.slots[s]
			if slot.group == 0 {
				slot.key = key
				slot.group = int32(t.groups) + 1
				groups[i] = int32(t.groups)
				t.groups++
				newRows = append(newRows, int32(i))
				break
			}
			if slot.key == key {
				groups[i] = slot.group - 1
				break
			}
			s = (s + 1) & mask
		}
	}
	return newRows
}

// intGroupable reports whether keys can use an intGroupTable: one integer-like column, not
// dictionary-encoded.
func intGroupable(keyTypes []arrow.DataType) bool {
	if len(keyTypes) != 1 {
		return false
	}
	if _, ok := keyTypes[0].(*arrow.DictionaryType); ok {
		return false
	}
	return intKeyWidth(keyTypes[0]) > 0
}
