package exec

import (
	"encoding/binary"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

// IN lists. The analyzer writes `x IN (a, b, c)` as (x = a) OR (x = b) OR (x = c); evaluated as
// written that is one comparison kernel and one OR kernel per value, each over the whole batch.
// Here the OR operands that compare one expression with literals become one membership test:
// the expression is evaluated once and each row is looked up in the set of literals (strings by
// length first, then bytes; a dictionary's values once).

// literalSet is the literals an expression is compared with.
type literalSet struct {
	subject logical.Expr
	values  []scalar.Scalar // non-NULL literals, of subject's type
	hasNull bool            // a NULL literal: a row that matches nothing is NULL, not false
}

// equalityWithLiteral returns x and the literal of `x = literal` (either side).
func equalityWithLiteral(e logical.Expr) (logical.Expr, *logical.Literal, bool) {
	call, ok := e.(*logical.Call)
	if !ok || call.Function != "eq" || len(call.Args) != 2 {
		return nil, nil, false
	}
	if l, ok := call.Args[1].(*logical.Literal); ok {
		if _, also := call.Args[0].(*logical.Literal); !also {
			return call.Args[0], l, true
		}
	}
	if l, ok := call.Args[0].(*logical.Literal); ok {
		return call.Args[1], l, true
	}
	return nil, nil, false
}

// setMembershipType reports whether the membership kernel handles values of t.
func setMembershipType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING, arrow.BINARY, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.DATE32:
		return true
	}
	return false
}

// groupLiteralComparisons finds the operands of an OR that compare one expression with a
// literal and groups them by expression (two or more per group). grouped[i] is the group operand
// i belongs to, or -1.
func groupLiteralComparisons(operands []logical.Expr) (groups []*literalSet, grouped []int) {
	grouped = make([]int, len(operands))
	keys := map[string]int{}
	for i, operand := range operands {
		grouped[i] = -1
		subject, literal, ok := equalityWithLiteral(operand)
		if !ok || !setMembershipType(subject.DataType()) || !arrow.TypeEqual(subject.DataType(), literal.Value.DataType()) {
			continue
		}
		var key strings.Builder
		if !writeExpressionKey(&key, subject) {
			continue
		}
		g, seen := keys[key.String()]
		if !seen {
			g = len(groups)
			keys[key.String()] = g
			groups = append(groups, &literalSet{subject: subject})
		}
		if literal.Value.IsValid() {
			groups[g].values = append(groups[g].values, literal.Value)
		} else {
			groups[g].hasNull = true
		}
		grouped[i] = g
	}
	// A group of one stays a plain comparison.
	count := make([]int, len(groups))
	for _, g := range grouped {
		if g >= 0 {
			count[g]++
		}
	}
	for i, g := range grouped {
		if g >= 0 && count[g] < 2 {
			grouped[i] = -1
		}
	}
	return groups, grouped
}

// contains evaluates the membership of every row of a (subject's values) into a boolean array:
// NULL for a NULL row, and for a row matching nothing when the list has a NULL. ok is false for a
// layout the kernel does not handle.
func (set *literalSet) contains(mem memory.Allocator, a arrow.Array) (arrow.Array, bool) {
	var out arrow.Array
	var ok bool
	switch a.DataType().ID() {
	case arrow.STRING, arrow.BINARY, arrow.DICTIONARY:
		out, ok = matchStrings(mem, a, newByteSet(set.values).contains)
	case arrow.INT8:
		out, ok = integerMembership[int8](mem, a, set.values), true
	case arrow.INT16:
		out, ok = integerMembership[int16](mem, a, set.values), true
	case arrow.INT32, arrow.DATE32:
		out, ok = integerMembership[int32](mem, a, set.values), true
	case arrow.INT64:
		out, ok = integerMembership[int64](mem, a, set.values), true
	}
	if !ok || !set.hasNull {
		return out, ok
	}
	// x IN (..., NULL) is NULL where it is not true.
	defer out.Release()
	n := out.Len()
	validity := newValidity(mem, n, out)
	matched := boolValues(out.(*array.Boolean))
	result := newWordBitmap(mem, n)
	for i := 0; i < n; i++ {
		if validity.valid(i) && !matched.get(i) {
			validity.setNull(i)
		}
	}
	for w := 0; w < result.words(); w++ {
		result.store(w, loadWordAt(matched.bits, matched.offset, n, w))
	}
	return result.finishWithValidity(n, validity), true
}

// byteSet tests byte strings for membership without allocating: a mask of the lengths present
// rejects most rows, then a few values are compared directly or a map is consulted.
type byteSet struct {
	values  [][]byte
	lengths uint64 // bit l: a value of length l (l < 63), bit 63: a longer value
	lookup  map[string]struct{}
	// packed holds each value of at most 8 bytes as an integer (with lengths, compared apart):
	// TPC-H Q22's two-character country codes are one integer comparison each.
	packed        []uint64
	packedLengths []int
}

func newByteSet(values []scalar.Scalar) *byteSet {
	set := &byteSet{}
	for _, v := range values {
		var b []byte
		switch s := v.(type) {
		case *scalar.String:
			b = s.Value.Bytes()
		case *scalar.Binary:
			b = s.Value.Bytes()
		}
		set.values = append(set.values, b)
		set.lengths |= lengthBit(len(b))
	}
	short := true
	for _, v := range set.values {
		short = short && len(v) <= 8
	}
	if short && len(set.values) <= 16 {
		for _, v := range set.values {
			set.packed = append(set.packed, packBytes(v))
			set.packedLengths = append(set.packedLengths, len(v))
		}
		return set
	}
	if len(set.values) > 8 {
		set.lookup = make(map[string]struct{}, len(set.values))
		for _, v := range set.values {
			set.lookup[string(v)] = struct{}{}
		}
	}
	return set
}

func lengthBit(n int) uint64 { return 1 << uint(min(n, 63)) }

func (set *byteSet) contains(s []byte) bool {
	if set.lengths&lengthBit(len(s)) == 0 {
		return false
	}
	if set.packed != nil {
		key := packBytes(s)
		for k, p := range set.packed {
			if p == key && set.packedLengths[k] == len(s) {
				return true
			}
		}
		return false
	}
	if set.lookup != nil {
		_, ok := set.lookup[string(s)]
		return ok
	}
	for _, v := range set.values {
		if string(v) == string(s) {
			return true
		}
	}
	return false
}

// integerMembership is the membership of integer (or date) values, 64 rows to a word.
func integerMembership[T int8 | int16 | int32 | int64](mem memory.Allocator, a arrow.Array, literals []scalar.Scalar) arrow.Array {
	wanted := make([]T, 0, len(literals))
	for _, v := range literals {
		switch s := v.(type) {
		case *scalar.Int8:
			wanted = append(wanted, T(s.Value))
		case *scalar.Int16:
			wanted = append(wanted, T(s.Value))
		case *scalar.Int32:
			wanted = append(wanted, T(s.Value))
		case *scalar.Int64:
			wanted = append(wanted, T(s.Value))
		case *scalar.Date32:
			wanted = append(wanted, T(s.Value))
		}
	}
	var lookup map[T]struct{}
	if len(wanted) > 16 {
		lookup = make(map[T]struct{}, len(wanted))
		for _, v := range wanted {
			lookup[v] = struct{}{}
		}
	}
	n := a.Len()
	input := values[T](a)
	out := newWordBitmap(mem, n)
	for w := 0; w < out.words(); w++ {
		base := w * 64
		end := min(base+64, n)
		var word uint64
		for i := base; i < end; i++ {
			v := input[i]
			found := false
			if lookup != nil {
				_, found = lookup[v]
			} else {
				for _, x := range wanted {
					if x == v {
						found = true
						break
					}
				}
			}
			if found {
				word |= 1 << uint(i-base)
			}
		}
		out.store(w, word)
	}
	return out.finish(mem, a)
}

// loadWordAt reads bits [64w, 64w+64) of a bitmap of n bits starting at bit offset.
func loadWordAt(bits []byte, offset, n, w int) uint64 {
	if offset%8 == 0 {
		word := loadWord(bits[offset/8:], w)
		if rest := n - w*64; rest < 64 {
			word &= 1<<uint(rest) - 1
		}
		return word
	}
	var word uint64
	for k := 0; k < 64 && w*64+k < n; k++ {
		i := offset + w*64 + k
		if bits[i/8]&(1<<uint(i%8)) != 0 {
			word |= 1 << uint(k)
		}
	}
	return word
}

// packBytes is up to 8 bytes as a little-endian integer.
func packBytes(b []byte) uint64 {
	if len(b) == 8 {
		return binary.LittleEndian.Uint64(b)
	}
	var v uint64
	for k, c := range b {
		v |= uint64(c) << (8 * k)
	}
	return v
}
