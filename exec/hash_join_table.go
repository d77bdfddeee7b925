package exec

import (
	"bytes"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
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
}

func newJoinTable(tc *TaskContext, keys []arrow.Array, nullSafe []bool) *joinTable {
	t := &joinTable{nullSafe: nullSafe}
	if len(keys) == 0 {
		t.noKeys = true
		return t
	}
	n := keys[0].Len()
	t.rows = n
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

// bytes is the table's memory besides the build batch.
func (t *joinTable) bytes() int64 {
	return int64(len(t.hashes)*8 + len(t.head)*4 + len(t.next)*4 + len(t.keyBuf) + len(t.keyOffs)*4)
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
	firstOnly bool
	row       int   // current probe row
	chain     int32 // next build row to look at for row; -2 before the row starts
}

func (t *joinTable) probe(tc *TaskContext, keys []arrow.Array, n int, firstOnly bool) *joinCursor {
	c := &joinCursor{t: t, n: n, firstOnly: firstOnly, chain: -2}
	if t.noKeys {
		return c
	}
	c.hashes = make([]uint64, n)
	HashColumns(tc.Allocator, keys, c.hashes)
	var enc KeyEncoder
	c.keyBuf, c.keyOffs = enc.Encode(tc.Allocator, keys, n)
	c.valid = keyValidity(keys, t.nullSafe, n)
	return c
}

// next returns up to limit more (probe row, build row) pairs whose keys are equal; empty at the
// end. The slices are new on every call.
func (c *joinCursor) next(limit int) (probeIdx, buildIdx []int32) {
	t := c.t
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
