package exec

import (
	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// Runtime filters: a broadcast hash join on one integer key hands its build side's key set to
// the Parquet scan under its probe side before that scan reads a row, and the scan drops rows
// whose key is not in the set while it decodes, before decoding their other columns. TPC-H Q21
// tests 6 M lineitems against 75,000 late lineitems' order keys (5%), Q4 against one quarter's
// 57,000 orders, Q21's supplier join keeps 411 of 10,000 suppliers' lineitems. It is valid only
// where a probe row without a partner contributes nothing to the join's output: inner joins,
// semi joins, and anti joins that build their left side (an anti join that builds its right side
// and outer joins that keep unmatched probe rows must see every row). The scan keeps it as a
// prefilter: the Filter above still runs, and the join still matches keys.

// ContainsInt64 reports whether an integer-keyed table holds key k (arrowio.KeySet). The table
// is read-only once built, so probe tasks sharing a broadcast build may call it at once.
func (t *joinTable) ContainsInt64(k int64) bool {
	if k < t.minKey || k > t.maxKey {
		return false
	}
	switch {
	case t.dense:
		return t.head[k-t.minKey] >= 0
	case t.ranked:
		d := uint64(k - t.minKey)
		return t.keyBits[d>>6]&(1<<(d&63)) != 0
	}
	return t.slotFirstRow(k) >= 0
}

// runtimeKeySet is the set a scan tests for an integer-keyed table: a bitmap over the key range
// when it takes at most maxRuntimeBitmapWords words (the ranked layout's own bitmap, or one made
// from the dense or slot layouts), else the table itself.
func runtimeKeySet(t *joinTable) arrowio.KeySet {
	switch {
	case !t.intKeyed:
		return nil
	case t.minKey > t.maxKey:
		return &arrowio.KeyBitmap{} // no key: nothing matches
	case t.ranked:
		return &arrowio.KeyBitmap{Min: t.minKey, Bits: t.keyBits}
	}
	span := uint64(t.maxKey - t.minKey)
	if span/64 >= maxRuntimeBitmapWords {
		return t
	}
	bitmap := &arrowio.KeyBitmap{Min: t.minKey, Bits: make([]uint64, span/64+1)}
	set := func(k int64) {
		d := uint64(k - t.minKey)
		bitmap.Bits[d>>6] |= 1 << (d & 63)
	}
	if t.dense {
		for d, first := range t.head {
			if first >= 0 {
				set(t.minKey + int64(d))
			}
		}
		return bitmap
	}
	for _, slot := range t.slots {
		if slot.row != 0 {
			set(slot.key)
		}
	}
	return bitmap
}

// maxRuntimeBitmapWords bounds a runtime filter's bitmap: 2 M words, 16 MiB, a key range of
// 128 M. Wider key ranges are tested against the table's slots.
const maxRuntimeBitmapWords = 2 << 20

// pushRuntimeFilter gives the join's build keys to the file scan its probe key column comes
// from, when there is one in this task's probe operators and the join allows it.
func (j *hashJoin) pushRuntimeFilter() {
	if j.table == nil || !j.table.intKeyed || j.probeOuter || j.anti || j.shared == nil || j.shared.keys == nil {
		return
	}
	keys := j.probeKeys()
	if len(keys) != 1 {
		return
	}
	ref, ok := logical.StripAlias(keys[0]).(*logical.BoundRef)
	if !ok {
		return
	}
	scan, column := runtimeFilterTarget(j.probe, ref.Ordinal)
	if scan == nil {
		return
	}
	scan.addRuntimeFilter(column, j.shared.keys)
}

// runtimeFilterTarget follows output column ordinal down op's operators while each passes the
// column through unchanged and keeps only rows it is given, to a file scan; it returns the scan
// and the dataset column, or nil.
func runtimeFilterTarget(op Operator, ordinal int) (*fileScan, int) {
	for {
		switch o := op.(type) {
		case *instrumented:
			op = o.Operator
		case *batchCoalescer:
			op = o.input
		case *filter:
			op = o.input
		case *projection:
			if ordinal >= len(o.node.Expressions) {
				return nil, 0
			}
			ref, ok := logical.StripAlias(o.node.Expressions[ordinal]).(*logical.BoundRef)
			if !ok {
				return nil, 0
			}
			op, ordinal = o.input, ref.Ordinal
		case *hashJoin:
			// Through the probe side of a join that drops probe rows without a partner (the
			// runtime filter drops only rows that have none in the upper join, which this
			// join's output rows carry unchanged).
			if o.probeOuter || o.anti || o.semiBuild || o.antiBuild {
				return nil, 0
			}
			if o.node.Build == physical.BuildLeft {
				ordinal -= o.node.Left.Schema().NumFields()
				if ordinal < 0 {
					return nil, 0
				}
			} else if ordinal >= o.node.Left.Schema().NumFields() {
				return nil, 0
			}
			op = o.probe
		case *fileScan:
			if o.reader == nil || !o.runtimeFiltersOpen() {
				return nil, 0
			}
			if o.node.Projection == nil {
				return o, ordinal
			}
			if ordinal >= len(o.node.Projection) {
				return nil, 0
			}
			return o, o.node.Projection[ordinal]
		default:
			return nil, 0
		}
	}
}

// runtimeFiltersOpen reports whether the scan can still take a runtime filter: it has not read
// a row yet.
func (s *fileScan) runtimeFiltersOpen() bool {
	return !s.started
}

// addRuntimeFilter makes the scan drop rows whose dataset column's value is not in set, on top
// of its pushed filter. Call it before the scan's first Next.
func (s *fileScan) addRuntimeFilter(column int, set arrowio.KeySet) {
	inSet := &arrowio.Predicate{Op: "inset", Column: column, Set: set}
	s.runtime = append(s.runtime, inSet)
	// The runtime filters come first: they are usually the most selective (the reader then
	// orders conjuncts by what they kept).
	children := append([]*arrowio.Predicate(nil), s.runtime...)
	if s.node.Pushed != nil {
		children = append(children, s.node.Pushed)
	}
	s.reader.FilterRows(&arrowio.Predicate{Op: "and", Children: children})
}
