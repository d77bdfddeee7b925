package arrowio

import "github.com/apache/arrow-go/v18/arrow"

// KeySet is a set of integer keys a scan may test a column against while it reads: the keys of
// a hash join's build side, handed to the scan under the join's probe side at run time (a
// runtime filter, the "inset" predicate). Rows whose value is not in the set have no partner
// in the join, so the reader need not decode the scan's other columns for them. Like every
// pushed predicate it is a prefilter: the join still matches every key it is given.
type KeySet interface {
	// ContainsInt64 reports whether v is in the set. It is called from several scans at once.
	ContainsInt64(v int64) bool
}

// KeyBitmap is a KeySet of integers over a range: bit k-Min of Bits is set for each key k. The
// direct reader tests it in a loop of its own (one subtraction, compare and bit test a row, no
// call), which is what makes a filter over every row of a large scan cheap.
type KeyBitmap struct {
	Min  int64
	Bits []uint64
}

// ContainsInt64 reports whether v's bit is set. A v outside the range whose difference from Min
// wraps into it may answer true, which a prefilter allows.
func (b *KeyBitmap) ContainsInt64(v int64) bool {
	d := uint64(v - b.Min)
	return d < uint64(len(b.Bits))*64 && b.Bits[d>>6]&(1<<(d&63)) != 0
}

// compileKeySetPredicate compiles an "inset" predicate for the direct reader: integer columns
// only (Int32, Int64, not decimals or dates, whose physical integers a join key does not
// compare); nil when the column is not read or not of those types.
func compileKeySetPredicate(p *Predicate, columnOf func(int) *directColumn) *directPredicate {
	column := columnOf(p.Column)
	if column == nil || p.Set == nil {
		return nil
	}
	switch column.field.Type.ID() {
	case arrow.INT32, arrow.INT64:
	default:
		return nil
	}
	if column.kind != directInt32 && column.kind != directInt64 {
		return nil
	}
	return &directPredicate{op: "set", column: column, set: p.Set, matchRowGroup: -1}
}

// selectKeySet keeps the candidate rows whose value is in the set, or null (the Filter or join
// above decides nulls), as selectRanges does for ranges.
func (p *directPredicate) selectKeySet(out []int32, n int, selection []int32, all bool) []int32 {
	c := p.column
	if c.indexed {
		// Test each dictionary value once, then look rows up.
		size := c.pages.dictionarySize
		if p.matchRowGroup != c.rowGroupSerial || p.matchDictionarySize != size || len(p.dictionaryMatch) != size+1 {
			p.dictionaryMatch = grow(p.dictionaryMatch, size+1)
			clear(p.dictionaryMatch)
			switch c.kind {
			case directInt32:
				for k, v := range dictionaryView[int32](&c.pages)[:size] {
					p.dictionaryMatch[k] = p.set.ContainsInt64(int64(v))
				}
			case directInt64:
				for k, v := range dictionaryView[int64](&c.pages)[:size] {
					p.dictionaryMatch[k] = p.set.ContainsInt64(v)
				}
			}
			p.matchRowGroup, p.matchDictionarySize = c.rowGroupSerial, size
		}
		return selectByDictionary(out, p.dictionaryMatch, c.indices[:n], c.valid, selection, all)
	}
	switch c.kind {
	case directInt32:
		return selectInSet(out, c.int32s[:n], c.valid, selection, all, p.set)
	case directInt64:
		return selectInSet(out, c.int64s[:n], c.valid, selection, all, p.set)
	}
	if all {
		out = out[:n]
		for i := range out {
			out[i] = int32(i)
		}
		return out
	}
	return selection
}

func selectInSet[T int32 | int64](out []int32, values []T, valid []bool, selection []int32, all bool, set KeySet) []int32 {
	if bitmap, ok := set.(*KeyBitmap); ok && valid == nil {
		return selectInBitmap(out, values, selection, all, bitmap)
	}
	k := 0
	if all {
		out = out[:len(values)]
		for i, x := range values {
			out[k] = int32(i)
			k += int(asByte(set.ContainsInt64(int64(x)) || valid != nil && !valid[i]))
		}
		return out[:k]
	}
	out = out[:len(selection)]
	for _, row := range selection {
		out[k] = row
		k += int(asByte(set.ContainsInt64(int64(values[row])) || valid != nil && !valid[row]))
	}
	return out[:k]
}

// selectInBitmap is selectInSet for a KeyBitmap over a column without nulls, branch-free.
func selectInBitmap[T int32 | int64](out []int32, values []T, selection []int32, all bool, bitmap *KeyBitmap) []int32 {
	words, low, span := bitmap.Bits, bitmap.Min, uint64(len(bitmap.Bits))*64
	in := func(x T) bool {
		d := uint64(int64(x) - low)
		return d < span && words[d>>6]&(1<<(d&63)) != 0
	}
	k := 0
	if all {
		out = out[:len(values)]
		for i, x := range values {
			out[k] = int32(i)
			k += int(asByte(in(x)))
		}
		return out[:k]
	}
	out = out[:len(selection)]
	for _, row := range selection {
		out[k] = row
		k += int(asByte(in(values[row])))
	}
	return out[:k]
}
