package exec

import (
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
)

// intGroupTable maps one integer-like key column (integers, dates, timestamps) to dense group
// ids without encoding keys into bytes: each slot holds the key itself, so a lookup touches one
// cache line, and a row equal to the row before it (sorted or clustered keys, as TPC-H's
// l_orderkey) skips the lookup. With 260K groups it spent a third of the byte table's time.
//
// Keys that stay close together (order keys, customer keys, dates: a range of a few times as
// many values as groups) are found without hashing, in a paged direct index: pages of
// intGroupPageKeys group ids, one per key value, allocated where keys land. Ascending keys then
// touch memory front to back; hashed, 1.5M of TPC-H Q18's order keys sent every insert to a
// random slot of a 32 MB table and rehashed it 11 times (a third of the query's CPU). When the
// pages would hold too few groups for their size, the table moves its groups to the hashed slots
// for good.
type intGroupTable struct {
	slots     []intGroupSlot
	shift     uint8 // 64 - log2(len(slots)): a hash's top bits pick the slot
	groups    int   // groups so far, the null group included
	nullGroup int32 // the group of the null key, -1 until one arrives

	paged     bool                       // groups live in pages, slots are unused
	pages     []*[intGroupPageKeys]int32 // group id + 1 per key value; nil where no key landed
	firstPage int64                      // page number (key >> intGroupPageBits) of pages[0]
	pageCount int                        // pages allocated
}

const (
	intGroupPageBits = 10
	intGroupPageKeys = 1 << intGroupPageBits
	// A page index holds at least one group per intGroupPageSparsity key values (past its first
	// intGroupFreePages pages): 4 bytes x 32 = 128 bytes per group at worst, against 32-64 for the
	// hashed slots. The page directory spans at most intGroupDirectorySpread pages per page
	// allocated (8 bytes each).
	intGroupPageSparsity    = 32
	intGroupFreePages       = 64
	intGroupDirectorySpread = 64
)

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

// newIntGroupTable returns an empty table that starts with the paged index; newHashedIntGroupTable
// one that hashes from the start (for keys known to be spread, such as packed keys).
func newIntGroupTable() *intGroupTable {
	return &intGroupTable{nullGroup: -1, paged: true}
}

func newHashedIntGroupTable() *intGroupTable {
	t := &intGroupTable{nullGroup: -1}
	t.resize(1024)
	return t
}

func (t *intGroupTable) len() int { return t.groups }
func (t *intGroupTable) size() int64 {
	return int64(len(t.slots))*16 + int64(t.pageCount)*intGroupPageKeys*4 + int64(cap(t.pages))*8
}

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
	start := 0
	if t.paged {
		if start, newRows = findOrInsertPaged(t, values, valid, groups, newRows); start == len(groups) {
			return newRows
		}
	}
	previousValid := false
	for i := start; i < len(groups); i++ {
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

// findOrInsertPaged is findOrInsertInts over the paged index. It returns the count of rows done:
// all of them, or fewer when the table moved to hashed slots at that row.
func findOrInsertPaged[T int8 | int16 | int32 | int64](t *intGroupTable, values []T, valid rowValidity, groups []int32, newRows []int32) (int, []int32) {
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
		if previousValid && values[i] == values[i-1] {
			groups[i] = groups[i-1]
			continue
		}
		previousValid = true
		key := int64(values[i])
		p := key>>intGroupPageBits - t.firstPage
		if uint64(p) >= uint64(len(t.pages)) || t.pages[p] == nil {
			if !t.addPage(key >> intGroupPageBits) {
				t.hashPages()
				return i, newRows
			}
			p = key>>intGroupPageBits - t.firstPage
		}
		slot := &t.pages[p][key&(intGroupPageKeys-1)]
		if *slot == 0 {
			*slot = int32(t.groups) + 1
			groups[i] = int32(t.groups)
			t.groups++
			newRows = append(newRows, int32(i))
			continue
		}
		groups[i] = *slot - 1
	}
	return len(groups), newRows
}

// addPage allocates the page of key values page (a key >> intGroupPageBits), growing the
// directory as needed; false when the index would be too sparse for its size.
func (t *intGroupTable) addPage(page int64) bool {
	if t.pageCount >= intGroupFreePages && (t.pageCount+1)*intGroupPageKeys > intGroupPageSparsity*(t.groups+1) {
		return false
	}
	if len(t.pages) == 0 {
		t.pages, t.firstPage = make([]*[intGroupPageKeys]int32, 1, 16), page
	}
	first, last := min(t.firstPage, page), max(t.firstPage+int64(len(t.pages))-1, page)
	span := last - first + 1 // cannot overflow: page numbers are keys shifted right
	if span > int64(intGroupDirectorySpread*(t.pageCount+1)) {
		return false
	}
	if span > int64(len(t.pages)) {
		// Grow by at least doubling, toward the side the new page is on, so keys arriving in
		// descending order do not copy the directory each time.
		grown := max(span, 2*int64(len(t.pages)))
		directory := make([]*[intGroupPageKeys]int32, grown)
		if page < t.firstPage {
			newFirst := t.firstPage + int64(len(t.pages)) - grown
			copy(directory[t.firstPage-newFirst:], t.pages)
			t.firstPage = newFirst
		} else {
			copy(directory, t.pages)
		}
		t.pages = directory
	}
	t.pages[page-t.firstPage] = new([intGroupPageKeys]int32)
	t.pageCount++
	return true
}

// hashPages moves the groups of the paged index to hashed slots, keeping their ids.
func (t *intGroupTable) hashPages() {
	slots := 1024
	for slots < 2*(t.groups+1) {
		slots *= 2
	}
	t.paged = false
	t.resize(slots)
	mask := uint64(slots - 1)
	for p, page := range t.pages {
		if page == nil {
			continue
		}
		base := (t.firstPage + int64(p)) << intGroupPageBits
		for k, g := range page {
			if g == 0 {
				continue
			}
			key := base + int64(k)
			s := t.slotOf(key)
			for t.slots[s].group != 0 {
				s = (s + 1) & mask
			}
			t.slots[s] = intGroupSlot{key: key, group: g}
		}
	}
	t.pages, t.pageCount = nil, 0
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
