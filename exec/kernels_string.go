package exec

import (
	"bytes"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// String functions over Arrow string buffers: each kernel walks the offsets and bytes of its
// inputs and appends to one output byte slice. Positions are 1-based and count characters
// (code points), as in Spark. The analyzer casts every string argument to utf8 first.

func init() {
	RegisterKernel("upper", stringMap(appendUpper))
	RegisterKernel("lower", stringMap(func(dst, s []byte) []byte { return appendMapped(dst, s, unicode.ToLower) }))
	RegisterKernel("reverse", stringMap(appendReversed))
	RegisterKernel("initcap", stringMap(appendInitcap))
	RegisterKernel("trim", trimKernel(true, true))
	RegisterKernel("ltrim", trimKernel(true, false))
	RegisterKernel("rtrim", trimKernel(false, true))
	RegisterKernel("length", stringToInt(func(s []byte) int32 { return int32(utf8.RuneCount(s)) }))
	RegisterKernel("octet_length", stringToInt(func(s []byte) int32 { return int32(len(s)) }))
	RegisterKernel("bit_length", stringToInt(func(s []byte) int32 { return int32(len(s) * 8) }))
	RegisterKernel("ascii", stringToInt(func(s []byte) int32 {
		if len(s) == 0 {
			return 0
		}
		r, _ := utf8.DecodeRune(s)
		return int32(r)
	}))
	RegisterKernel("substring", substringKernel)
	RegisterKernel("concat", concatKernel)
	RegisterKernel("concat_ws", concatWsKernel)
	RegisterKernel("lpad", padKernel(true))
	RegisterKernel("rpad", padKernel(false))
	RegisterKernel("repeat", repeatKernel)
	RegisterKernel("contains", stringPredicate(bytes.Contains))
	RegisterKernel("startswith", stringPredicate(bytes.HasPrefix))
	RegisterKernel("endswith", stringPredicate(bytes.HasSuffix))
	RegisterKernel("instr", instrKernel)
	RegisterKernel("locate", locateKernel)
	RegisterKernel("replace", replaceKernel)
	RegisterKernel("translate", translateKernel)
	RegisterKernel("like", likeKernel(false))
	RegisterKernel("ilike", likeKernel(true))
	RegisterKernel("rlike", rlikeKernel)
	RegisterKernel("regexp_replace", regexpReplaceKernel)
	RegisterKernel("regexp_extract", regexpExtractKernel)
	RegisterKernel("split", splitKernel)
}

// stringMap applies f (append the transformed value to dst) to every value.
func stringMap(f func(dst, s []byte) []byte) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := stringsOf(arrays[0])
		n := arrays[0].Len()
		out := newStringOutput(n, len(in.data))
		for i := 0; i < n; i++ {
			if in.valid.get(i) {
				out.data = f(out.data, in.at(i))
			}
			out.appendEmpty()
		}
		return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, newValidity(ec.Task.Allocator, n, arrays[0]))), nil
	}
}

func isASCII(s []byte) bool {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func appendMapped(dst, s []byte, f func(rune) rune) []byte {
	if isASCII(s) {
		start := len(dst)
		dst = append(dst, s...)
		out := dst[start:]
		upper := f('a') == 'A'
		for i, c := range out {
			if upper && c >= 'a' && c <= 'z' {
				out[i] = c - 32
			} else if !upper && c >= 'A' && c <= 'Z' {
				out[i] = c + 32
			}
		}
		return dst
	}
	for _, r := range string(s) {
		dst = utf8.AppendRune(dst, f(r))
	}
	return dst
}

// appendUpper upper-cases like Java's toUpperCase, which also expands ß to SS.
func appendUpper(dst, s []byte) []byte {
	if isASCII(s) {
		return appendMapped(dst, s, unicode.ToUpper)
	}
	for _, r := range string(s) {
		if r == 'ß' {
			dst = append(dst, "SS"...)
			continue
		}
		dst = utf8.AppendRune(dst, unicode.ToUpper(r))
	}
	return dst
}

func appendReversed(dst, s []byte) []byte {
	start := len(dst)
	dst = append(dst, s...)
	out := dst[start:]
	if isASCII(s) {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
		return dst
	}
	pos := len(out)
	for len(s) > 0 {
		_, size := utf8.DecodeRune(s)
		copy(out[pos-size:pos], s[:size])
		pos -= size
		s = s[size:]
	}
	return dst
}

// titleCaseSpecial are the letters whose title case is more than one letter (Unicode's
// SpecialCasing), which Spark's initcap applies and Go's unicode.ToTitle does not.
var titleCaseSpecial = map[rune]string{
	'ß': "Ss", 'ŉ': "ʼN", 'ﬀ': "Ff", 'ﬁ': "Fi", 'ﬂ': "Fl", 'ﬃ': "Ffi", 'ﬄ': "Ffl", 'ﬅ': "St", 'ﬆ': "St",
}

// appendInitcap is Spark's initcap: lower-case everything, title-case the first letter of each
// space-separated word.
func appendInitcap(dst, s []byte) []byte {
	prevSpace := true
	for _, r := range string(s) {
		if prevSpace {
			if special, ok := titleCaseSpecial[r]; ok {
				dst = append(dst, special...)
			} else {
				dst = utf8.AppendRune(dst, unicode.ToTitle(r))
			}
		} else {
			dst = utf8.AppendRune(dst, unicode.ToLower(r))
		}
		prevSpace = r == ' '
	}
	return dst
}

// trimKernel removes spaces (Spark trims only ' ' by default) or the characters of args[1].
func trimKernel(left, right bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := stringsOf(arrays[0])
		n := arrays[0].Len()
		var chars *stringColumn
		if len(arrays) > 1 {
			c := stringsOf(arrays[1])
			chars = &c
		}
		out := newStringOutput(n, len(in.data))
		for i := 0; i < n; i++ {
			if !in.valid.get(i) || (chars != nil && !chars.valid.get(i)) {
				out.appendEmpty()
				continue
			}
			s := in.at(i)
			if chars == nil {
				if left {
					s = bytes.TrimLeft(s, " ")
				}
				if right {
					s = bytes.TrimRight(s, " ")
				}
			} else {
				set := string(chars.at(i))
				if left {
					s = bytes.TrimLeft(s, set)
				}
				if right {
					s = bytes.TrimRight(s, set)
				}
			}
			out.appendBytes(s)
		}
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		return datumOf(out.finish(ec.Task.Allocator, arrow.BinaryTypes.String, validity)), nil
	}
}

func stringToInt(f func(s []byte) int32) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		if arrays[0].DataType().ID() != arrow.STRING && arrays[0].DataType().ID() != arrow.BINARY {
			return nil, errkind.Internal("%s on %s", call.Function, arrays[0].DataType())
		}
		in := stringsOf(arrays[0])
		n := arrays[0].Len()
		buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
		for i := 0; i < n; i++ {
			if in.valid.get(i) {
				out[i] = f(in.at(i))
			}
		}
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, newValidity(ec.Task.Allocator, n, arrays[0]))), nil
	}
}

// runeSlice returns s[start:end) in characters (clamped), fast for ASCII.
func runeSlice(s []byte, start, end int) []byte {
	if start < 0 {
		start = 0
	}
	if isASCII(s) {
		end = min(end, len(s))
		if start >= end {
			return nil
		}
		return s[start:end]
	}
	i, byteStart, byteEnd := 0, len(s), len(s)
	for pos := range string(s) {
		if i == start {
			byteStart = pos
		}
		if i == end {
			byteEnd = pos
			break
		}
		i++
	}
	if byteStart >= byteEnd {
		return nil
	}
	return s[byteStart:byteEnd]
}

func runeCount(s []byte) int {
	if isASCII(s) {
		return len(s)
	}
	return utf8.RuneCount(s)
}

// substringKernel is Spark's substring(str, pos, len): 1-based, pos 0 acts as 1, a negative pos
// counts from the end, a negative length gives "".
func substringKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	if out, ok := substringConstantBounds(ec, call, args); ok {
		return out, nil
	}
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	pos := values[int32](arrays[1])
	var lens []int32
	if len(arrays) > 2 {
		lens = values[int32](arrays[2])
	}
	n := arrays[0].Len()
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(in.data))
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		s := in.at(i)
		count := runeCount(s)
		p := int64(pos[i])
		var start int64
		switch {
		case p > 0:
			start = p - 1
		case p < 0:
			start = int64(count) + p
		}
		end := int64(count)
		if lens != nil {
			end = start + int64(lens[i])
		}
		start = max(start, 0)
		if start >= end {
			out.appendEmpty()
			continue
		}
		out.appendBytes(runeSlice(s, int(start), int(min(end, int64(count)))))
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// concatKernel is null when any argument is null.
func concatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	n := int(length)
	columns := make([]stringColumn, len(arrays))
	size := 0
	for k, a := range arrays {
		columns[k] = stringsOf(a)
		size += len(columns[k].data)
	}
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, size)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for _, c := range columns {
				out.data = append(out.data, c.at(i)...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// concatWsKernel skips null values (arrays of strings contribute their non-null elements); a null
// separator gives null.
func concatWsKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	n := int(length)
	sep := stringsOf(arrays[0])
	type part struct {
		str  stringColumn
		list *array.List
		vals stringColumn
	}
	parts := make([]part, len(arrays)-1)
	for k, a := range arrays[1:] {
		if l, ok := a.(*array.List); ok {
			parts[k] = part{list: l, vals: stringsOf(l.ListValues())}
		} else {
			parts[k] = part{str: stringsOf(a)}
		}
	}
	validity := newValidity(ec.Task.Allocator, n, arrays[0])
	out := newStringOutput(n, 64)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		first := true
		add := func(b []byte) {
			if !first {
				out.data = append(out.data, sep.at(i)...)
			}
			out.data = append(out.data, b...)
			first = false
		}
		for _, p := range parts {
			if p.list != nil {
				if p.list.IsNull(i) {
					continue
				}
				startIdx, endIdx := p.list.ValueOffsets(i)
				for j := startIdx; j < endIdx; j++ {
					if p.vals.valid.get(int(j)) {
						add(p.vals.at(int(j)))
					}
				}
				continue
			}
			if p.str.valid.get(i) {
				add(p.str.at(i))
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// padKernel is lpad/rpad: the result has exactly len characters (the input is truncated when
// longer); an empty pad leaves a shorter input as is.
func padKernel(left bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in, pads := stringsOf(arrays[0]), stringsOf(arrays[2])
		lens := values[int32](arrays[1])
		n := int(length)
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		out := newStringOutput(n, len(in.data))
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				out.appendEmpty()
				continue
			}
			s, pad, target := in.at(i), []rune(string(pads.at(i))), int(lens[i])
			count := runeCount(s)
			if target <= 0 {
				out.appendEmpty()
				continue
			}
			if count >= target || len(pad) == 0 {
				out.appendBytes(runeSlice(s, 0, target))
				continue
			}
			fill := make([]rune, 0, target-count)
			for len(fill) < target-count {
				fill = append(fill, pad[len(fill)%len(pad)])
			}
			if left {
				out.data = append(out.data, string(fill)...)
				out.data = append(out.data, s...)
			} else {
				out.data = append(out.data, s...)
				out.data = append(out.data, string(fill)...)
			}
			out.appendEmpty()
		}
		return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
	}
}

func repeatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := stringsOf(arrays[0])
	times := values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(in.data))
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for k := int32(0); k < times[i]; k++ {
				out.data = append(out.data, in.at(i)...)
			}
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

func stringPredicate(f func(s, t []byte) bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		l, r := stringsOf(arrays[0]), stringsOf(arrays[1])
		n := int(length)
		validity := newValidity(ec.Task.Allocator, n, arrays...)
		out := newBoolOutput(ec.Task.Allocator, n)
		for i := 0; i < n; i++ {
			if validity.valid(i) {
				out.set(i, f(l.at(i), r.at(i)))
			}
		}
		return datumOf(out.finish(n, validity)), nil
	}
}

// runeIndex is the 0-based character index of sub in s at or after character from, or -1.
func runeIndex(s, sub []byte, from int) int {
	byteFrom := len(runeSlice(s, 0, from))
	if from > 0 && byteFrom == 0 && len(s) > 0 {
		byteFrom = len(s)
		if from <= runeCount(s) {
			byteFrom = 0
		}
	}
	idx := bytes.Index(s[byteFrom:], sub)
	if idx < 0 {
		return -1
	}
	return runeCount(s[:byteFrom+idx])
}

func instrKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, sub := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			out[i] = int32(runeIndex(s.at(i), sub.at(i), 0) + 1)
		}
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

// locateKernel is locate(substr, str, pos): 1-based, 0 when not found or pos < 1.
func locateKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	sub, s := stringsOf(arrays[0]), stringsOf(arrays[1])
	pos := values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays[0], arrays[1])
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	posValid := validityBitmap(arrays[2])
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		if !posValid.get(i) || pos[i] < 1 || int(pos[i]) > runeCount(s.at(i))+1 {
			out[i] = 0
			continue
		}
		out[i] = int32(runeIndex(s.at(i), sub.at(i), int(pos[i])-1) + 1)
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, validity)), nil
}

func replaceKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, search, repl := stringsOf(arrays[0]), stringsOf(arrays[1]), stringsOf(arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(s.data))
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		if len(search.at(i)) == 0 {
			out.appendBytes(s.at(i))
			continue
		}
		out.appendBytes(bytes.ReplaceAll(s.at(i), search.at(i), repl.at(i)))
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// translateKernel replaces each character of from by the one at the same place in to, deleting
// it when to is shorter.
func translateKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, from, to := stringsOf(arrays[0]), stringsOf(arrays[1]), stringsOf(arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(s.data))
	var mapping map[rune]rune
	var lastFrom, lastTo string
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		if f, t := string(from.at(i)), string(to.at(i)); mapping == nil || f != lastFrom || t != lastTo {
			mapping, lastFrom, lastTo = map[rune]rune{}, f, t
			toRunes := []rune(t)
			k := 0
			for _, r := range f {
				if _, seen := mapping[r]; !seen {
					if k < len(toRunes) {
						mapping[r] = toRunes[k]
					} else {
						mapping[r] = -1
					}
				}
				k++
			}
		}
		for _, r := range string(s.at(i)) {
			if m, ok := mapping[r]; ok {
				if m >= 0 {
					out.data = utf8.AppendRune(out.data, m)
				}
				continue
			}
			out.data = utf8.AppendRune(out.data, r)
		}
		out.appendEmpty()
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// ---- patterns --------------------------------------------------------------------------------

// patternCache compiles each distinct pattern once per kernel call.
type patternCache struct {
	compile func(string) (*regexp.Regexp, error)
	last    string
	re      *regexp.Regexp
	err     error
	ok      bool
}

func (p *patternCache) get(pattern string) (*regexp.Regexp, error) {
	if !p.ok || pattern != p.last {
		p.re, p.err = p.compile(pattern)
		p.last, p.ok = pattern, true
	}
	return p.re, p.err
}

var globalPatterns sync.Map // pattern text -> *regexp.Regexp, for literal patterns shared by tasks

// compileJavaRegex compiles a Java regular expression with Go's RE2 syntax, which shares
// Java's common syntax; features RE2 lacks (backreferences, lookaround) are a clear error.
func compileJavaRegex(pattern string) (*regexp.Regexp, error) {
	if re, ok := globalPatterns.Load(pattern); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, errkind.Invalid("the regular expression %q is not supported: %v (Quiver uses RE2 syntax: no backreferences or lookaround)", pattern, err)
	}
	globalPatterns.Store(pattern, re)
	return re, nil
}

// likeToRegex turns a SQL LIKE pattern into an anchored regular expression: _ is one character,
// % any sequence, escape makes the next character literal.
func likeToRegex(pattern string, escape rune, caseInsensitive bool) (string, error) {
	var b strings.Builder
	b.WriteString("(?s)")
	if caseInsensitive {
		b.WriteString("(?i)")
	}
	b.WriteString("^")
	runes := []rune(pattern)
	for i := 0; i < len(runes); i++ {
		r := runes[i]
		switch {
		case r == escape:
			if i+1 >= len(runes) {
				return "", errkind.Invalid("the LIKE pattern %q ends with the escape character", pattern)
			}
			next := runes[i+1]
			if next != '_' && next != '%' && next != escape {
				return "", errkind.Invalid("the escape character in the LIKE pattern %q must precede _, %% or itself", pattern)
			}
			b.WriteString(regexp.QuoteMeta(string(next)))
			i++
		case r == '_':
			b.WriteString(".")
		case r == '%':
			b.WriteString(".*")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return b.String(), nil
}

func likeKernel(caseInsensitive bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		escape := '\\'
		if len(args) > 2 {
			if s, ok := args[2].(*compute.ScalarDatum); ok && s.Value.IsValid() {
				if r := []rune(string(s.Value.(*scalar.String).Value.Bytes())); len(r) == 1 {
					escape = r[0]
				}
			}
		}
		if !caseInsensitive {
			if out, ok, err := likeLiteralPattern(ec, args, escape); ok || err != nil {
				return out, err
			}
		}
		cache := &patternCache{compile: func(p string) (*regexp.Regexp, error) {
			text, err := likeToRegex(p, escape, caseInsensitive)
			if err != nil {
				return nil, err
			}
			return compileJavaRegex(text)
		}}
		return regexPredicate(ec, call, args[:2], length, cache)
	}
}

func rlikeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	return regexPredicate(ec, call, args, length, &patternCache{compile: compileJavaRegex})
}

func regexPredicate(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64, cache *patternCache) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newBoolOutput(ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		re, err := cache.get(string(p.at(i)))
		if err != nil {
			validity.release()
			out.buf.Release()
			return nil, err
		}
		out.set(i, re.Match(s.at(i)))
	}
	return datumOf(out.finish(n, validity)), nil
}

// javaReplacement converts a Java replacement string ($1, \$ escapes) to Go's Expand syntax.
func javaReplacement(r string) string {
	var b strings.Builder
	for i := 0; i < len(r); i++ {
		c := r[i]
		switch {
		case c == '\\' && i+1 < len(r):
			i++
			if r[i] == '$' {
				b.WriteString("$$")
			} else {
				b.WriteByte(r[i])
			}
		case c == '$' && i+1 < len(r) && r[i+1] >= '0' && r[i+1] <= '9':
			j := i + 1
			for j < len(r) && r[j] >= '0' && r[j] <= '9' {
				j++
			}
			b.WriteString("${" + r[i+1:j] + "}")
			i = j - 1
		case c == '$' && i+2 < len(r) && r[i+1] == '{':
			end := strings.IndexByte(r[i:], '}')
			if end < 0 {
				b.WriteString("$$")
				continue
			}
			b.WriteString(r[i : i+end+1])
			i += end
		case c == '$':
			b.WriteString("$$")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func regexpReplaceKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p, r := stringsOf(arrays[0]), stringsOf(arrays[1]), stringsOf(arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(s.data))
	cache := &patternCache{compile: compileJavaRegex}
	var lastRepl, goRepl string
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		re, err := cache.get(string(p.at(i)))
		if err != nil {
			validity.release()
			return nil, err
		}
		if rs := string(r.at(i)); rs != lastRepl || i == 0 {
			lastRepl, goRepl = rs, javaReplacement(rs)
		}
		out.appendBytes(re.ReplaceAll(s.at(i), []byte(goRepl)))
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// regexpExtractKernel returns group idx of the first match, "" when nothing matches.
func regexpExtractKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	idx := values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newStringOutput(n, len(s.data))
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			out.appendEmpty()
			continue
		}
		re, err := cache.get(string(p.at(i)))
		if err != nil {
			validity.release()
			return nil, err
		}
		group := int(idx[i])
		if group < 0 || group > re.NumSubexp() {
			validity.release()
			return nil, errkind.Invalid("[INVALID_PARAMETER_VALUE.REGEX_GROUP_INDEX] regexp_extract group index %d is out of range: the pattern %q has %d groups", group, re.String(), re.NumSubexp())
		}
		m := re.FindSubmatchIndex(s.at(i))
		if m == nil || m[2*group] < 0 {
			out.appendEmpty()
			continue
		}
		out.appendBytes(s.at(i)[m[2*group]:m[2*group+1]])
	}
	return datumOf(out.finish(ec.Task.Allocator, call.Type, validity)), nil
}

// splitKernel is split(str, regex, limit) with Java's semantics for limit > 0 (at most limit
// parts) and limit <= 0 (all parts, trailing empty strings kept as Spark does).
func splitKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	s, p := stringsOf(arrays[0]), stringsOf(arrays[1])
	limits := values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	elements := newStringOutput(n, len(s.data))
	offsets := make([]int32, 1, n+1)
	cache := &patternCache{compile: compileJavaRegex}
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			re, err := cache.get(string(p.at(i)))
			if err != nil {
				validity.release()
				return nil, err
			}
			limit := int(limits[i])
			if limit <= 0 {
				limit = -1
			}
			str := s.at(i)
			var parts []string
			if len(str) == 0 {
				parts = []string{""}
			} else {
				parts = re.Split(string(str), limit)
				// Java drops a leading empty part produced by a zero-width match at the start.
				if len(parts) > 1 && parts[0] == "" {
					if loc := re.FindStringIndex(string(str)); loc != nil && loc[0] == 0 && loc[1] == 0 {
						parts = parts[1:]
					}
				}
			}
			for _, part := range parts {
				elements.appendString(part)
			}
		}
		offsets = append(offsets, int32(len(elements.offsets)-1))
	}
	mem := ec.Task.Allocator
	valuesArray := elements.finish(mem, arrow.BinaryTypes.String, nil)
	defer valuesArray.Release()
	return datumOf(makeList(mem, call.Type, offsets, valuesArray, validity)), nil
}

// makeList builds a list array from offsets and a values array (retained), taking validity.
func makeList(mem memory.Allocator, t arrow.DataType, offsets []int32, valuesArray arrow.Array, validity *validityBuilder) arrow.Array {
	n := len(offsets) - 1
	offsetBuf, o := newFixedBuffer[int32](mem, n+1)
	copy(o, offsets)
	var vbuf *memory.Buffer
	nulls := 0
	if validity != nil {
		vbuf, nulls = validity.take()
	}
	data := array.NewData(t, n, []*memory.Buffer{vbuf, offsetBuf}, []arrow.ArrayData{valuesArray.Data()}, nulls, 0)
	offsetBuf.Release()
	if vbuf != nil {
		vbuf.Release()
	}
	defer data.Release()
	return array.MakeFromData(data)
}
