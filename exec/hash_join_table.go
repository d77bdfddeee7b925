package exec

import (
	"bytes"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// joinTable indexes the build side of a hash join: rows chained by hash bucket, with every row's
// key encoded (KeyEncoder) so equality is one byte comparison. Rows whose keys are null (and
// not compared with <=>) are left out: they never match. With no key columns every build row is
// a candidate for every probe row (nested-loop join).
type joinTable struct {
	rows     int
	noKeys   bool
	hashes   []uint64
	head     []int32
	next     []int32
	mask     uint64
	encoder  KeyEncoder
	keyBuf   []byte
	keyOffs  []int32
	nullSafe []bool
	// intKeyed is set when the join has one integer key (intKeyJoin): the table then indexes
	// the integers themselves, with no hashes or encoded keys. Dense keys (a range at most
	// denseFactor times the row count) index head directly by key-minKey; other keys go to
	// slots, an open-addressing table holding each distinct key and its first row, so a probe
	// that finds nothing costs one slot read. Rows with equal keys are chained through next.
	intKeyed       bool
	dense          bool
	minKey, maxKey int64
	slots          []intSlot
	// ranked is set for keys too spread for dense but within rankedFactor: a bitmap over the
	// key range (keyBits, bit key-minKey set for each present key) and, per bitmap word, the
	// count of keys below it (keyRanks) number the distinct keys in order, and head is indexed
	// by that number. A probe that finds nothing reads one bitmap word; probe keys in ascending
	// order (TPC-H's l_orderkey) read the bitmap front to back instead of jumping around slots.
	ranked   bool
	keyBits  []uint64
	keyRanks []uint32
	// shift turns an integer key into its slot: (key * fibonacciMultiplier) >> shift.
	shift uint
}

// fibonacciMultiplier spreads integer keys over the buckets (Fibonacci hashing). The table does
// not reuse the shuffle's hash: a hash-partitioned input holds only keys whose shuffle hash has
// the same residue, which would leave most buckets of a table indexed by that hash empty.
const fibonacciMultiplier = 0x9E3779B97F4A7C15

// intKeyJoin reports whether a join on these key types can use the integer fast path: one key,
// not null-safe, integer-valued on both sides.
func intKeyJoin(buildTypes, probeTypes []arrow.DataType, nullSafe []bool) bool {
	if len(buildTypes) != 1 || len(probeTypes) != 1 || nullSafe[0] {
		return false
	}
	return isIntKeyType(buildTypes[0]) && isIntKeyType(probeTypes[0])
}

func isIntKeyType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT64, arrow.INT32, arrow.DATE32:
		return true
	}
	return false
}

// intKeyValues returns a's values as int64s: the array's own buffer for int64 (valid while a
// is), a converted copy otherwise. Null slots hold arbitrary values.
func intKeyValues(a arrow.Array, copyValues bool) []int64 {
	switch v := a.(type) {
	case *array.Int64:
		if copyValues {
			return append([]int64(nil), v.Int64Values()...)
		}
		return v.Int64Values()
	case *array.Int32:
		out := make([]int64, v.Len())
		for i, x := range v.Int32Values() {
			out[i] = int64(x)
		}
		return out
	case *array.Date32:
		out := make([]int64, v.Len())
		for i, x := range v.Date32Values() {
			out[i] = int64(x)
		}
		return out
	}
	return nil
}

func newJoinTable(tc *TaskContext, keys []arrow.Array, nullSafe []bool) *joinTable {
	return newKeyedJoinTable(tc, keys, nullSafe, false)
}

// newKeyedJoinTable indexes keys; intKeys selects the integer fast path (see intKeyJoin).
func newKeyedJoinTable(tc *TaskContext, keys []arrow.Array, nullSafe []bool, intKeys bool) *joinTable {
	t := &joinTable{nullSafe: nullSafe}
	if len(keys) == 0 {
		t.noKeys = true
		return t
	}
	n := keys[0].Len()
	t.rows = n
	if intKeys {
		if values := intKeyValues(keys[0], true); values != nil || n == 0 {
			return t.buildIntKeys(keys, values, n)
		}
	}
	t.hashes = make([]uint64, n)
	HashColumns(tc.Allocator, keys, t.hashes)
	t.keyBuf, t.keyOffs = t.encoder.Encode(tc.Allocator, keys, n)
	size := 1 << bits.Len(uint(max(2*n, 16)-1))
	t.mask = uint64(size - 1)
	t.head = make([]int32, size)
	for i := range t.head {
		t.head[i] = -1
	}
	t.next = make([]int32, n)
	valid := keyValidity(keys, nullSafe, n)
	// Insert backwards so each chain lists rows in ascending order.
	for i := n - 1; i >= 0; i-- {
		if valid != nil && !valid[i] {
			continue
		}
		b := t.hashes[i] & t.mask
		t.next[i] = t.head[b]
		t.head[b] = int32(i)
	}
	return t
}

// intSlot is one slot of the open-addressing integer table: a key and its first build row + 1
// (0: empty).
type intSlot struct {
	key int64
	row int32
}

// denseFactor bounds the key range indexed directly: up to 4 head entries per build row.
const denseFactor = 4

// rankedFactor bounds the key range of the ranked layout: up to rankedFactor/64 bitmap words (12
// bytes each with their rank) per build row, no more than the open-addressing slots would take.
const rankedFactor = 256

// buildIntKeys indexes one integer key column.
func (t *joinTable) buildIntKeys(keys []arrow.Array, values []int64, n int) *joinTable {
	t.intKeyed = true
	valid := keyValidity(keys, t.nullSafe, n)
	t.next = make([]int32, n)
	first := true
	for i, k := range values {
		if valid != nil && !valid[i] {
			continue
		}
		if first || k < t.minKey {
			t.minKey = k
		}
		if first || k > t.maxKey {
			t.maxKey = k
		}
		first = false
	}
	if first {
		// No row can match.
		t.dense = true
		t.minKey, t.maxKey = 1, 0
		return t
	}
	next := t.next
	if span := uint64(t.maxKey - t.minKey); span < uint64(denseFactor*n) && t.maxKey-t.minKey >= 0 {
		t.dense = true
		t.head = make([]int32, span+1)
		for i := range t.head {
			t.head[i] = -1
		}
		head, minKey := t.head, t.minKey
		// Insert backwards so each chain lists rows in ascending order.
		for i := n - 1; i >= 0; i-- {
			if valid != nil && !valid[i] {
				continue
			}
			b := values[i] - minKey
			next[i] = head[b]
			head[b] = int32(i)
		}
		return t
	}
	if span := uint64(t.maxKey - t.minKey); span < uint64(rankedFactor*n) && t.maxKey-t.minKey >= 0 {
		t.buildRanked(values, valid, span)
		return t
	}
	size := 1 << bits.Len(uint(max(2*n, 16)-1))
	t.shift = uint(64 - bits.TrailingZeros(uint(size)))
	t.slots = make([]intSlot, size)
	slots, shift, mask := t.slots, t.shift, uint64(size-1)
	for i := n - 1; i >= 0; i-- {
		if valid != nil && !valid[i] {
			continue
		}
		k := values[i]
		h := (uint64(k) * fibonacciMultiplier) >> shift
		for {
			slot := &slots[h]
			if slot.row == 0 {
				slot.key, slot.row = k, int32(i)+1
				next[i] = -1
				break
			}
			if slot.key == k {
				next[i] = slot.row - 1
				slot.row = int32(i) + 1
				break
			}
			h = (h + 1) & mask
		}
	}
	return t
}

// buildRanked indexes keys whose range (span = maxKey-minKey) is below rankedFactor per row.
func (t *joinTable) buildRanked(values []int64, valid []bool, span uint64) {
	t.ranked = true
	minKey, next := t.minKey, t.next
	keyBits := make([]uint64, span/64+1)
	for i, k := range values {
		if valid != nil && !valid[i] {
			continue
		}
		d := uint64(k - minKey)
		keyBits[d>>6] |= 1 << (d & 63)
	}
	keyRanks := make([]uint32, len(keyBits))
	distinct := uint32(0)
	for w, word := range keyBits {
		keyRanks[w] = distinct
		distinct += uint32(bits.OnesCount64(word))
	}
	head := make([]int32, distinct)
	for i := range head {
		head[i] = -1
	}
	// Insert backwards so each chain lists rows in ascending order.
	for i := len(values) - 1; i >= 0; i-- {
		if valid != nil && !valid[i] {
			continue
		}
		d := uint64(values[i] - minKey)
		w, bit := d>>6, uint64(1)<<(d&63)
		r := keyRanks[w] + uint32(bits.OnesCount64(keyBits[w]&(bit-1)))
		next[i] = head[r]
		head[r] = int32(i)
	}
	t.keyBits, t.keyRanks, t.head = keyBits, keyRanks, head
}

// firstIntRows looks up every probe key in one loop per layout, with no dependency between
// rows so the memory reads overlap; rows not valid (null keys) get -1.
func (t *joinTable) firstIntRows(keys []int64, valid []bool) []int32 {
	out := make([]int32, len(keys))
	minKey, maxKey := t.minKey, t.maxKey
	switch {
	case t.dense:
		head := t.head
		for i, k := range keys {
			out[i] = -1
			if k >= minKey && k <= maxKey {
				out[i] = head[k-minKey]
			}
		}
	case t.ranked:
		head, keyBits, keyRanks := t.head, t.keyBits, t.keyRanks
		for i, k := range keys {
			out[i] = -1
			if k < minKey || k > maxKey {
				continue
			}
			d := uint64(k - minKey)
			w, bit := d>>6, uint64(1)<<(d&63)
			if word := keyBits[w]; word&bit != 0 {
				out[i] = head[keyRanks[w]+uint32(bits.OnesCount64(word&(bit-1)))]
			}
		}
	default:
		for i, k := range keys {
			out[i] = t.slotFirstRow(k)
		}
	}
	for i, ok := range valid {
		if !ok {
			out[i] = -1
		}
	}
	return out
}

// slotFirstRow is the first build row whose key is k in the open-addressing layout, or -1.
func (t *joinTable) slotFirstRow(k int64) int32 {
	slots, mask := t.slots, uint64(len(t.slots)-1)
	h := (uint64(k) * fibonacciMultiplier) >> t.shift
	for {
		slot := &slots[h]
		if slot.row == 0 {
			return -1
		}
		if slot.key == k {
			return slot.row - 1
		}
		h = (h + 1) & mask
	}
}

// bytes is the table's memory besides the build batch.
func (t *joinTable) bytes() int64 {
	return int64(len(t.hashes)*8 + len(t.head)*4 + len(t.next)*4 + len(t.keyBuf) + len(t.keyOffs)*4 + len(t.slots)*16 +
		len(t.keyBits)*8 + len(t.keyRanks)*4)
}

// keyValidity marks rows whose non-null-safe keys are all non-null; nil when every row is.
func keyValidity(keys []arrow.Array, nullSafe []bool, n int) []bool {
	var valid []bool
	for k, a := range keys {
		if nullSafe[k] || a.NullN() == 0 {
			continue
		}
		if valid == nil {
			valid = make([]bool, n)
			for i := range valid {
				valid[i] = true
			}
		}
		for i := 0; i < n; i++ {
			if a.IsNull(i) {
				valid[i] = false
			}
		}
	}
	return valid
}

// joinCursor walks the candidate pairs of one probe batch in probe-row order.
type joinCursor struct {
	t         *joinTable
	n         int
	hashes    []uint64
	valid     []bool
	keyBuf    []byte
	keyOffs   []int32
	firstRows []int32 // integer keys: each probe row's first build row, -1 for none
	// matchedRows counts the rows from row on (not started) whose firstRows is a build row.
	matchedRows int
	firstOnly   bool
	row         int   // current probe row
	chain       int32 // next build row to look at for row; -2 before the row starts
}

func (t *joinTable) probe(tc *TaskContext, keys []arrow.Array, n int, firstOnly bool) *joinCursor {
	c := &joinCursor{t: t, n: n, firstOnly: firstOnly, chain: -2}
	if t.noKeys {
		return c
	}
	c.valid = keyValidity(keys, t.nullSafe, n)
	if t.intKeyed {
		c.firstRows = t.firstIntRows(intKeyValues(keys[0], false), c.valid)
		for _, r := range c.firstRows {
			if r >= 0 {
				c.matchedRows++
			}
		}
		return c
	}
	c.hashes = make([]uint64, n)
	HashColumns(tc.Allocator, keys, c.hashes)
	var enc KeyEncoder
	c.keyBuf, c.keyOffs = enc.Encode(tc.Allocator, keys, n)
	return c
}

// next returns up to limit more (probe row, build row) pairs whose keys are equal; empty at the
// end. The slices are new on every call.
func (c *joinCursor) next(limit int) (probeIdx, buildIdx []int32) {
	t := c.t
	if t.intKeyed {
		return c.nextIntKeys(limit)
	}
	for c.row < c.n && len(probeIdx) < limit {
		if t.noKeys {
			if c.chain == -2 {
				c.chain = 0
			}
			for int(c.chain) < t.rowsOrZero() && len(probeIdx) < limit {
				probeIdx = append(probeIdx, int32(c.row))
				buildIdx = append(buildIdx, c.chain)
				c.chain++
				if c.firstOnly {
					c.chain = int32(t.rowsOrZero())
				}
			}
			if int(c.chain) >= t.rowsOrZero() {
				c.row++
				c.chain = -2
			}
			continue
		}
		if c.chain == -2 {
			if c.valid != nil && !c.valid[c.row] {
				c.row++
				continue
			}
			c.chain = t.head[c.hashes[c.row]&t.mask]
		}
		h := c.hashes[c.row]
		key := c.keyBuf[c.keyOffs[c.row]:c.keyOffs[c.row+1]]
		for c.chain >= 0 && len(probeIdx) < limit {
			b := c.chain
			c.chain = t.next[b]
			if t.hashes[b] == h && bytes.Equal(t.keyBuf[t.keyOffs[b]:t.keyOffs[b+1]], key) {
				probeIdx = append(probeIdx, int32(c.row))
				buildIdx = append(buildIdx, b)
				if c.firstOnly {
					c.chain = -1
				}
			}
		}
		if c.chain < 0 {
			c.row++
			c.chain = -2
		}
	}
	return probeIdx, buildIdx
}

// rowsOrZero is the build row count for nested-loop joins (set by setRows).
func (t *joinTable) rowsOrZero() int { return t.rows }

// nextIntKeys is next for tables with one integer key: every row of a key's chain matches.
func (c *joinCursor) nextIntKeys(limit int) (probeIdx, buildIdx []int32) {
	next, firstRows, n := c.t.next, c.firstRows, c.n
	// Size the output by the rows that have a partner (pairs beyond that append): a selective
	// join (TPC-H Q3 keeps 1% of lineitem) allocated a batch's worth of indexes per call.
	capacity := min(limit, max(c.matchedRows, 16))
	probeIdx, buildIdx = make([]int32, 0, capacity), make([]int32, 0, capacity)
	row, chain := c.row, c.chain
	for row < n && len(probeIdx) < limit {
		if chain == -2 {
			if chain = firstRows[row]; chain < 0 {
				row++
				chain = -2
				continue
			}
			c.matchedRows--
		}
		for chain >= 0 && len(probeIdx) < limit {
			probeIdx = append(probeIdx, int32(row))
			buildIdx = append(buildIdx, chain)
			chain = next[chain]
			if c.firstOnly {
				chain = -1
			}
		}
		if chain < 0 {
			row++
			chain = -2
		}
	}
	c.row, c.chain = row, chain
	return probeIdx, buildIdx
}
