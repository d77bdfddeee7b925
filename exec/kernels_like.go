package exec

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Case-sensitive LIKE without regular expressions. A pattern is cut at its '%'s into segments:
// the first must match at the start, the last at the end, and the ones between are found left to
// right with bytes.Index (leftmost matches are enough: a segment matches a fixed number of
// characters, so the leftmost match also ends first and leaves the most room for the rest).
// TPC-H Q13's '%special%requests%' is two bytes.Index calls per row, no allocation; through RE2's
// backtracker it was three quarters of the query's CPU time.

// likePiece is a run of literal bytes, or (anyChars > 0) that many '_' wildcards.
type likePiece struct {
	literal  []byte
	anyChars int
}

// likeSegment is the part of a pattern between two '%'s.
type likeSegment struct {
	literal []byte      // the whole segment when it has no '_'
	pieces  []likePiece // nil when the segment has no '_'
	chars   int         // characters the segment matches (it matches a fixed number)
}

func (g *likeSegment) empty() bool { return g.pieces == nil && len(g.literal) == 0 }

// matchAt reports whether the segment matches s at byte position p and where the match ends.
func (g *likeSegment) matchAt(s []byte, p int) (int, bool) {
	if g.pieces == nil {
		if bytes.HasPrefix(s[p:], g.literal) {
			return p + len(g.literal), true
		}
		return 0, false
	}
	for _, piece := range g.pieces {
		if piece.anyChars == 0 {
			if !bytes.HasPrefix(s[p:], piece.literal) {
				return 0, false
			}
			p += len(piece.literal)
			continue
		}
		for k := 0; k < piece.anyChars; k++ {
			if p >= len(s) {
				return 0, false
			}
			p += characterWidth(s[p:])
		}
	}
	return p, true
}

// characterWidth is the byte length of the character s starts with (an invalid byte counts as
// one character, as in Go's regexp).
func characterWidth(s []byte) int {
	if s[0] < utf8.RuneSelf {
		return 1
	}
	_, size := utf8.DecodeRune(s)
	return size
}

// index finds the leftmost match in s at or after from: its start and end.
func (g *likeSegment) index(s []byte, from int) (start, end int, ok bool) {
	if g.pieces == nil {
		i := bytes.Index(s[from:], g.literal)
		if i < 0 {
			return 0, 0, false
		}
		return from + i, from + i + len(g.literal), true
	}
	if first := g.pieces[0]; first.anyChars == 0 {
		// Jump between the places where the leading literal occurs.
		for p := from; p <= len(s); {
			i := bytes.Index(s[p:], first.literal)
			if i < 0 {
				return 0, 0, false
			}
			if e, matched := g.matchAt(s, p+i); matched {
				return p + i, e, true
			}
			p += i + 1
		}
		return 0, 0, false
	}
	for p := from; p < len(s); p += characterWidth(s[p:]) {
		if e, matched := g.matchAt(s, p); matched {
			return p, e, true
		}
	}
	return 0, 0, false
}

// startFromEnd is where a match that ends at len(s) would start, or false when s is too short.
func (g *likeSegment) startFromEnd(s []byte) (int, bool) {
	if g.pieces == nil {
		return len(s) - len(g.literal), len(s) >= len(g.literal)
	}
	p := len(s)
	for k := 0; k < g.chars; k++ {
		if p == 0 {
			return 0, false
		}
		if s[p-1] < utf8.RuneSelf {
			p--
			continue
		}
		_, size := utf8.DecodeLastRune(s[:p])
		p -= size
	}
	return p, true
}

// likeMatcher is a compiled case-sensitive LIKE pattern.
type likeMatcher struct {
	exact  bool // no '%': first must match the whole value
	first  likeSegment
	middle []likeSegment
	last   likeSegment
}

// compileLike parses a LIKE pattern: '_' is one character, '%' any sequence, escape makes the
// next '_', '%' or escape literal.
func compileLike(pattern string, escape rune) (*likeMatcher, error) {
	var segments []likeSegment
	var current likeSegment
	var literal []byte
	flushLiteral := func() {
		if len(literal) > 0 {
			current.pieces = append(current.pieces, likePiece{literal: literal})
			literal = nil
		}
	}
	endSegment := func() {
		flushLiteral()
		if !current.hasWildcard() {
			// A segment of literals only: one byte string.
			var whole []byte
			for _, p := range current.pieces {
				whole = append(whole, p.literal...)
			}
			current = likeSegment{literal: whole, chars: utf8.RuneCount(whole)}
		}
		segments = append(segments, current)
		current = likeSegment{}
	}
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == escape:
			if i+1 >= len(runes) {
				return nil, errkind.Invalid("the LIKE pattern %q ends with the escape character", pattern)
			}
			next := runes[i+1]
			if next != '_' && next != '%' && next != escape {
				return nil, errkind.Invalid("the escape character in the LIKE pattern %q must precede _, %% or itself", pattern)
			}
			literal = utf8.AppendRune(literal, next)
			current.chars++
			i++
		case r == '_':
			flushLiteral()
			if n := len(current.pieces); n > 0 && current.pieces[n-1].anyChars > 0 {
				current.pieces[n-1].anyChars++
			} else {
				current.pieces = append(current.pieces, likePiece{anyChars: 1})
			}
			current.chars++
		case r == '%':
			endSegment()
		default:
			literal = utf8.AppendRune(literal, r)
			current.chars++
		}
	}
	endSegment()
	m := &likeMatcher{first: segments[0]}
	if len(segments) == 1 {
		m.exact = true
		return m, nil
	}
	m.last = segments[len(segments)-1]
	for _, g := range segments[1 : len(segments)-1] {
		if !g.empty() { // '%%' is one '%'
			m.middle = append(m.middle, g)
		}
	}
	return m, nil
}

func (g *likeSegment) hasWildcard() bool {
	for _, p := range g.pieces {
		if p.anyChars > 0 {
			return true
		}
	}
	return false
}

// match reports whether the whole of s matches the pattern.
func (m *likeMatcher) match(s []byte) bool {
	if m.exact {
		end, ok := m.first.matchAt(s, 0)
		return ok && end == len(s)
	}
	pos := 0
	if !m.first.empty() {
		end, ok := m.first.matchAt(s, 0)
		if !ok {
			return false
		}
		pos = end
	}
	limit := len(s)
	if !m.last.empty() {
		start, ok := m.last.startFromEnd(s)
		if !ok || start < pos {
			return false
		}
		if _, matched := m.last.matchAt(s, start); !matched {
			return false
		}
		limit = start
	}
	for i := range m.middle {
		_, end, ok := m.middle[i].index(s[:limit], pos)
		if !ok {
			return false
		}
		pos = end
	}
	return true
}

// matchFunction returns the cheapest test for the pattern's shape.
func (m *likeMatcher) matchFunction() func([]byte) bool {
	switch {
	case m.exact && m.first.pieces == nil:
		literal := m.first.literal
		return func(s []byte) bool { return string(s) == string(literal) }
	case !m.exact && m.first.pieces == nil && m.last.pieces == nil && len(m.middle) == 0:
		prefix, suffix := m.first.literal, m.last.literal
		return func(s []byte) bool {
			return len(s) >= len(prefix)+len(suffix) && bytes.HasPrefix(s, prefix) && bytes.HasSuffix(s, suffix)
		}
	case !m.exact && m.first.empty() && m.last.empty() && len(m.middle) == 1 && m.middle[0].pieces == nil:
		needle := m.middle[0].literal
		return func(s []byte) bool { return bytes.Contains(s, needle) }
	case !m.exact && m.first.empty() && m.last.empty() && len(m.middle) == 2 && m.middle[0].pieces == nil && m.middle[1].pieces == nil:
		// '%special%requests%'
		one, two := m.middle[0].literal, m.middle[1].literal
		return func(s []byte) bool {
			i := bytes.Index(s, one)
			return i >= 0 && bytes.Contains(s[i+len(one):], two)
		}
	}
	return m.match
}

// matchStrings evaluates match over every value of a string or binary array (or a dictionary of
// them, testing each dictionary value once) into a boolean array: NULL where the input is NULL,
// false beneath NULLs. ok is false for other layouts.
func matchStrings(mem memory.Allocator, a arrow.Array, match func([]byte) bool) (arrow.Array, bool) {
	switch x := a.(type) {
	case *array.String, *array.Binary:
		return matchOffsets(mem, a, match), true
	case *array.Dictionary:
		return matchDictionary(mem, x, match)
	}
	return nil, false
}

// matchOffsets is matchStrings over int32 offsets and bytes, 64 rows to a bitmap word.
func matchOffsets(mem memory.Allocator, a arrow.Array, match func([]byte) bool) arrow.Array {
	in := stringsOf(a)
	n := a.Len()
	out := newWordBitmap(mem, n)
	offsets, data := in.offsets, in.data
	for w := 0; w < out.words(); w++ {
		base := w * 64
		end := min(base+64, n)
		var word uint64
		for i := base; i < end; i++ {
			if match(data[offsets[i]:offsets[i+1]]) {
				word |= 1 << uint(i-base)
			}
		}
		out.store(w, word)
	}
	return out.finish(mem, a)
}

// matchDictionary tests each dictionary value once and looks the rows' indices up; a row is NULL
// where its index or its dictionary value is NULL.
func matchDictionary(mem memory.Allocator, d *array.Dictionary, match func([]byte) bool) (arrow.Array, bool) {
	dictionary := d.Dictionary()
	switch dictionary.(type) {
	case *array.String, *array.Binary:
	default:
		return nil, false
	}
	values := stringsOf(dictionary)
	matches := make([]bool, dictionary.Len())
	for k := range matches {
		matches[k] = values.valid.get(k) && match(values.at(k))
	}
	n := d.Len()
	out := newWordBitmap(mem, n)
	switch indices := d.Indices().(type) {
	case *array.Int32:
		fillWords(out, n, indices.Int32Values(), matches)
	case *array.Int16:
		fillWords(out, n, indices.Int16Values(), matches)
	case *array.Int8:
		fillWords(out, n, indices.Int8Values(), matches)
	case *array.Int64:
		fillWords(out, n, indices.Int64Values(), matches)
	default:
		out.buf.Release()
		return nil, false
	}
	if dictionary.NullN() == 0 {
		return out.finish(mem, d.Indices()), true
	}
	validity := newValidity(mem, n, d.Indices())
	for i := 0; i < n; i++ {
		if validity.valid(i) && dictionary.IsNull(d.GetValueIndex(i)) {
			validity.setNull(i)
		}
	}
	return out.finishWithValidity(n, validity), true
}

// fillWords sets the bits of the rows whose key matches; keys beneath NULL indices may be
// anything, so out of range keys are false (the finish clears NULL rows).
func fillWords[K int8 | int16 | int32 | int64](out *wordBitmap, n int, keys []K, matches []bool) {
	for w := 0; w < out.words(); w++ {
		base := w * 64
		end := min(base+64, n)
		var word uint64
		for i := base; i < end; i++ {
			if k := int(keys[i]); k >= 0 && k < len(matches) && matches[k] {
				word |= 1 << uint(i-base)
			}
		}
		out.store(w, word)
	}
}

// wordBitmap is a boolean value bitmap of n bits written 64 bits at a time into a buffer of
// exactly the bitmap's size (allocators hand out cap == len slices; decision 0017).
type wordBitmap struct {
	buf  *memory.Buffer
	bits []byte
	n    int
}

func newWordBitmap(mem memory.Allocator, n int) *wordBitmap {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	return &wordBitmap{buf: buf, bits: buf.Bytes(), n: n}
}

func (b *wordBitmap) words() int { return (b.n + 63) / 64 }

func (b *wordBitmap) store(w int, word uint64) { storeWord(b.bits, w, word) }

// finish builds the boolean array with the validity of like, clearing the bits beneath NULLs.
func (b *wordBitmap) finish(mem memory.Allocator, like arrow.Array) arrow.Array {
	return b.finishWithValidity(b.n, newValidity(mem, b.n, like))
}

func (b *wordBitmap) finishWithValidity(n int, validity *validityBuilder) arrow.Array {
	if validity.nulls > 0 {
		for w := 0; w < b.words(); w++ {
			storeWord(b.bits, w, loadWord(b.bits, w)&loadWord(validity.bits, w))
		}
	}
	return makeFixedArray(arrow.FixedWidthTypes.Boolean, n, b.buf, validity)
}

// loadWord reads the w-th 64-bit little-endian word of a bitmap that may end within it.
func loadWord(bits []byte, w int) uint64 {
	start := w * 8
	if start+8 <= len(bits) {
		return binary.LittleEndian.Uint64(bits[start:])
	}
	var word uint64
	for k := 0; start+k < len(bits); k++ {
		word |= uint64(bits[start+k]) << (8 * k)
	}
	return word
}

// storeWord writes the w-th 64-bit word of a bitmap that may end within it.
func storeWord(bits []byte, w int, word uint64) {
	start := w * 8
	if start+8 <= len(bits) {
		binary.LittleEndian.PutUint64(bits[start:], word)
		return
	}
	for k := 0; start+k < len(bits); k++ {
		bits[start+k] = byte(word >> (8 * k))
	}
}

// likeLiteralPattern is LIKE over an array with a literal pattern, through compileLike; ok is
// false when the arguments have another shape (the regular expression path takes those).
func likeLiteralPattern(ec *EvalContext, args []compute.Datum, escape rune) (compute.Datum, bool, error) {
	input, isArray := args[0].(*compute.ArrayDatum)
	pattern, isScalar := args[1].(*compute.ScalarDatum)
	if !isArray || !isScalar {
		return nil, false, nil
	}
	text, isString := pattern.Value.(*scalar.String)
	if !isString || !text.IsValid() {
		return nil, false, nil
	}
	matcher, err := compileLike(string(text.Value.Bytes()), escape)
	if err != nil {
		// The regular expression path reports it, and only when a row is not NULL.
		return nil, false, nil
	}
	values := input.MakeArray()
	defer values.Release()
	out, ok := matchStrings(ec.Task.Allocator, values, matcher.matchFunction())
	if !ok {
		return nil, false, nil
	}
	return datumOf(out), true, nil
}

// substringConstantBounds is substring(column, pos, len) with literal pos > 0 and len >= 0, the
// shape of TPC-H Q22's substring(c_phone, 1, 2): no broadcast position arrays, and a value whose
// first pos+len-1 bytes are ASCII is cut by bytes without counting characters. ok is false for
// other shapes.
func substringConstantBounds(ec *EvalContext, call *logical.Call, args []compute.Datum) (compute.Datum, bool) {
	if len(args) != 3 {
		return nil, false
	}
	input, isArray := args[0].(*compute.ArrayDatum)
	position, isPosition := args[1].(*compute.ScalarDatum)
	count, isCount := args[2].(*compute.ScalarDatum)
	if !isArray || !isPosition || !isCount || input.Type().ID() != arrow.STRING {
		return nil, false
	}
	p, okPosition := position.Value.(*scalar.Int32)
	k, okCount := count.Value.(*scalar.Int32)
	if !okPosition || !okCount || !p.IsValid() || !k.IsValid() || p.Value <= 0 || k.Value < 0 {
		return nil, false
	}
	start, end := int(p.Value)-1, int(p.Value)-1+int(k.Value)
	a := input.MakeArray()
	defer a.Release()
	in := stringsOf(a)
	n := a.Len()
	// Each result is a piece of its input: never more bytes than the input's values, whatever
	// the length asked for (Spark's substr(pos) without a length passes 2^31-1).
	out := newStringOutput(n, min(n*int(k.Value), int(in.offsets[n]-in.offsets[0])))
	for i := 0; i < n; i++ {
		if !in.valid.get(i) {
			out.appendEmpty()
			continue
		}
		s := in.at(i)
		if head := s[:min(end, len(s))]; isASCII(head) {
			out.appendBytes(head[min(start, len(head)):])
			continue
		}
		out.appendBytes(runeSlice(s, start, end))
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, newValidity(ec.Task.Allocator, n, a))), true
}
