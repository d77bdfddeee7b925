package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Every pattern of up to four tokens over {a, é, _, %, \%} against every string of up to four
// characters over {a, b, é, %}: compileLike's matcher (and its shortcuts) against a dynamic
// programming reference.
func TestLikeMatcherExhaustive(t *testing.T) {
	// words is every concatenation of at most n tokens of alphabet.
	words := func(alphabet []string, n int) []string {
		out, level := []string{""}, []string{""}
		for k := 0; k < n; k++ {
			var next []string
			for _, w := range level {
				for _, c := range alphabet {
					next = append(next, w+c)
				}
			}
			out, level = append(out, next...), next
		}
		return out
	}
	values := dedupe(words([]string{"a", "b", "é", "%"}, 4))
	patterns := dedupe(words([]string{"a", "é", "_", "%", `\%`}, 4))
	checked := 0
	for _, pattern := range patterns {
		m, err := compileLike(pattern, '\\')
		if err != nil {
			t.Fatalf("compile %q: %v", pattern, err)
		}
		fast := m.matchFunction()
		for _, v := range values {
			want := referenceLikeMatch(v, pattern)
			if got := m.match([]byte(v)); got != want {
				t.Fatalf("%q LIKE %q: match says %v, want %v", v, pattern, got, want)
			}
			if got := fast([]byte(v)); got != want {
				t.Fatalf("%q LIKE %q: matchFunction says %v, want %v", v, pattern, got, want)
			}
			checked++
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d cases", checked)
	}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// referenceLikeMatch: '\' escapes, '_' one character, '%' any sequence, by recursion over runes.
func referenceLikeMatch(s, pattern string) bool {
	var rec func(text, p []rune) bool
	rec = func(text, p []rune) bool {
		if len(p) == 0 {
			return len(text) == 0
		}
		switch {
		case p[0] == '\\' && len(p) > 1:
			return len(text) > 0 && text[0] == p[1] && rec(text[1:], p[2:])
		case p[0] == '_':
			return len(text) > 0 && rec(text[1:], p[1:])
		case p[0] == '%':
			for k := 0; k <= len(text); k++ {
				if rec(text[k:], p[1:]) {
					return true
				}
			}
			return false
		}
		return len(text) > 0 && text[0] == p[0] && rec(text[1:], p[1:])
	}
	return rec([]rune(s), []rune(pattern))
}

func TestCompileLikeRejectsBadEscapes(t *testing.T) {
	for _, pattern := range []string{`abc\`, `a\bc`} {
		if _, err := compileLike(pattern, '\\'); err == nil {
			t.Errorf("compileLike(%q) accepted a bad escape", pattern)
		}
	}
}

// A dictionary-encoded input is tested once per dictionary value; NULL indices and NULL
// dictionary values are NULL rows; the checked allocator sees every buffer released.
func TestMatchStringsDictionary(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dictionaryBuilder := array.NewStringBuilder(mem)
	dictionaryBuilder.AppendValues([]string{"special requests", "", "spécial", "x"}, nil)
	dictionaryBuilder.AppendNull()
	dictionary := dictionaryBuilder.NewArray()
	dictionaryBuilder.Release()
	defer dictionary.Release()
	indexBuilder := array.NewInt32Builder(mem)
	keys := []int32{0, 1, 2, 3, 4, 0, 0, 2, 1, 3}
	valid := []bool{true, true, true, true, true, false, true, true, true, true}
	for round := 0; round < 10; round++ { // more than one 64-row word
		indexBuilder.AppendValues(keys, valid)
	}
	indices := indexBuilder.NewArray()
	indexBuilder.Release()
	defer indices.Release()
	encoded := array.NewDictionaryArray(&arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: arrow.BinaryTypes.String}, indices, dictionary)
	defer encoded.Release()
	for _, offset := range []int{0, 3} {
		input := array.NewSlice(encoded, int64(offset), int64(encoded.Len()))
		m, err := compileLike("%é%", '\\')
		if err != nil {
			t.Fatal(err)
		}
		out, ok := matchStrings(mem, input, m.matchFunction())
		if !ok {
			t.Fatal("dictionary of strings not handled")
		}
		result := out.(*array.Boolean)
		for i := 0; i < result.Len(); i++ {
			row := i + offset
			key, keyValid := keys[row%len(keys)], valid[row%len(keys)]
			wantNull := !keyValid || key == 4
			if result.IsNull(i) != wantNull {
				t.Fatalf("offset %d row %d: null %v, want %v", offset, i, result.IsNull(i), wantNull)
			}
			if !wantNull && result.Value(i) != (key == 2) {
				t.Fatalf("offset %d row %d: %v, want %v", offset, i, result.Value(i), key == 2)
			}
		}
		out.Release()
		input.Release()
	}
}
