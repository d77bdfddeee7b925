package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// distinctIntSet remembers which (group, integer value) pairs a DISTINCT aggregate has passed
// on, in one open-addressing table of fixed-size slots. count(DISTINCT ps_suppkey) in TPC-H
// Q16 spent a third of the query's CPU encoding each pair to a string and inserting it into a
// Go map; this set hashes the two integers directly and allocates nothing per row.
type distinctIntSet struct {
	slots []distinctIntSlot
	used  int
}

type distinctIntSlot struct {
	value int64
	group int32
	// state is distinctEmpty, distinctValue or distinctNull (a NULL argument is one more value).
	state uint8
}

const (
	distinctEmpty uint8 = iota
	distinctValue
	distinctNull
)

const distinctSlotBytes = 16

func (s *distinctIntSet) bytes() int64 { return int64(cap(s.slots)) * distinctSlotBytes }

// insert adds the pair and reports whether it was new.
func (s *distinctIntSet) insert(group int32, value int64, state uint8) bool {
	if (s.used+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	i := distinctHash(group, value, state) & mask
	for {
		slot := &s.slots[i]
		if slot.state == distinctEmpty {
			*slot = distinctIntSlot{value: value, group: group, state: state}
			s.used++
			return true
		}
		if slot.group == group && slot.value == value && slot.state == state {
			return false
		}
		i = (i + 1) & mask
	}
}

func distinctHash(group int32, value int64, state uint8) uint64 {
	return mix64(uint64(value) ^ uint64(uint32(group))*0x9e3779b97f4a7c15 ^ uint64(state)<<62)
}

func (s *distinctIntSet) grow() {
	old := s.slots
	s.slots = make([]distinctIntSlot, max(2*len(old), 1024))
	mask := uint64(len(s.slots) - 1)
	for _, slot := range old {
		if slot.state == distinctEmpty {
			continue
		}
		i := distinctHash(slot.group, slot.value, slot.state) & mask
		for s.slots[i].state != distinctEmpty {
			i = (i + 1) & mask
		}
		s.slots[i] = slot
	}
}

// distinctIntegerRows appends to rows the positions whose (group, value) pair the set has not
// seen, and reports false when the argument is not an integer column the set can key on.
func (s *distinctIntSet) newRows(groups []int32, argument arrow.Array, rows []int32) ([]int32, bool) {
	switch a := argument.(type) {
	case *array.Int64:
		return distinctNewRows(s, groups, a, a.Int64Values(), rows), true
	case *array.Int32:
		return distinctNewRows(s, groups, a, a.Int32Values(), rows), true
	case *array.Int16:
		return distinctNewRows(s, groups, a, a.Int16Values(), rows), true
	case *array.Int8:
		return distinctNewRows(s, groups, a, a.Int8Values(), rows), true
	case *array.Date32:
		return distinctNewRows(s, groups, a, a.Date32Values(), rows), true
	case *array.Timestamp:
		return distinctNewRows(s, groups, a, a.TimestampValues(), rows), true
	}
	return rows, false
}

func distinctNewRows[T ~int64 | ~int32 | ~int16 | ~int8](s *distinctIntSet, groups []int32, argument arrow.Array, values []T, rows []int32) []int32 {
	if argument.NullN() == 0 {
		for i, g := range groups {
			if s.insert(g, int64(values[i]), distinctValue) {
				rows = append(rows, int32(i))
			}
		}
		return rows
	}
	for i, g := range groups {
		if argument.IsNull(i) {
			if s.insert(g, 0, distinctNull) {
				rows = append(rows, int32(i))
			}
			continue
		}
		if s.insert(g, int64(values[i]), distinctValue) {
			rows = append(rows, int32(i))
		}
	}
	return rows
}
