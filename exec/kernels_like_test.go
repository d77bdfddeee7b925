package exec_test

import (
	"context"
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// LIKE with a literal pattern (kernels_like.go, no regular expressions) against a plain reference
// matcher over code points: '_' one character, '%' any sequence, escape then '_', '%' or itself
// literal.

// referenceLike matches s against pattern by dynamic programming over characters.
func referenceLike(s, pattern string, escape rune) bool {
	type token struct {
		kind int // 0 literal, 1 one character, 2 any sequence
		r    rune
	}
	var tokens []token
	p := []rune(pattern)
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == escape && i+1 < len(p):
			tokens = append(tokens, token{0, p[i+1]})
			i++
		case p[i] == '_':
			tokens = append(tokens, token{kind: 1})
		case p[i] == '%':
			tokens = append(tokens, token{kind: 2})
		default:
			tokens = append(tokens, token{0, p[i]})
		}
	}
	text := []rune(s)
	// matches[j]: tokens[:k] match text[:j]
	matches := make([]bool, len(text)+1)
	matches[0] = true
	for _, tk := range tokens {
		next := make([]bool, len(text)+1)
		for j := 0; j <= len(text); j++ {
			switch tk.kind {
			case 0:
				next[j] = j > 0 && matches[j-1] && text[j-1] == tk.r
			case 1:
				next[j] = j > 0 && matches[j-1]
			case 2:
				next[j] = matches[j] || (j > 0 && next[j-1])
			}
		}
		matches = next
	}
	return matches[len(text)]
}

var likeValues = []string{
	"", "a", "ab", "abc", "special requests", "specialrequests", "requests special", "Special Requests",
	"x special y requests z", "special requests requests special", "specia requests", "spécial requêtes",
	"MEDIUM POLISHED TIN", "MEDIUM POLISHE", "medium polished tin", "LARGE POLISHED BRASS",
	"Customer whose Complaints", "CustomerComplaints", "Complaints Customer", "日本語", "日本x語", "日本語語",
	"a_b", "axb", "a%b", "100%", "1000", "b", "requests", "語", "x\\y", "a\nb", "aaa", "aaaa", "abab", "ababab", "é", "ée", "eé",
}

var likePatterns = []string{
	"%special%requests%", "MEDIUM POLISHED%", "%Customer%Complaints%", "", "%", "%%", "_", "__", "___",
	"a_c", "%_", "_%", "%é%", "_é", "é_", "日_語", "日%語", "%語", `a\_b`, `a\%b`, `100\%`, `%\\%`, "abc",
	"%a%b%a%", "%aa%aa", "aa%aa", "a%a", "%b", "a%", "%ab%", "%a_a%", "_a_", "%a__b%", "%r%s", "special%",
	"%requests", "S%", "%ss%", "%special requests%", "special requests", "%pec_al%", "a\nb", "a_b", "%\n%",
}

func TestLikeMatchesReference(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	var rows exectest.Rows
	for _, v := range likeValues {
		rows = append(rows, []any{v})
	}
	rows = append(rows, []any{nil})
	var cases []functionCase
	for _, pattern := range likePatterns {
		cases = append(cases, functionCase{"like " + pattern, "like",
			func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(pattern)} },
			nullSafe([]int{0}, func(r []any) (any, error) { return referenceLike(r[0].(string), pattern, '\\'), nil })})
	}
	// Another escape character, and the same text with '\' as an ordinary character.
	for _, pattern := range []string{"a#_b", "100#%", "%##%", `x\y`, `x\_`, "a#%%"} {
		cases = append(cases, functionCase{"like escape # " + pattern, "like",
			func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(pattern), lit("#")} },
			nullSafe([]int{0}, func(r []any) (any, error) { return referenceLike(r[0].(string), pattern, '#'), nil })})
	}
	// ILIKE stays on the regular expression path: lower(s) LIKE lower(pattern) for these ASCII cases.
	for _, pattern := range []string{"%SPECIAL%requests%", "medium polished%", "S%"} {
		cases = append(cases, functionCase{"ilike " + pattern, "ilike",
			func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(pattern)} },
			nullSafe([]int{0}, func(r []any) (any, error) {
				return referenceLike(strings.ToLower(r[0].(string)), strings.ToLower(pattern), '\\'), nil
			})})
	}
	runFunctionCases(t, schema, rows, cases)
}

// A pattern that is not literal (a column) keeps the per-row path.
func TestLikeColumnPattern(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "p", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var rows exectest.Rows
	for i, v := range likeValues {
		rows = append(rows, []any{v, likePatterns[i%len(likePatterns)]})
	}
	runFunctionCases(t, schema, rows, []functionCase{{"like column", "like", func(c []logical.Expr) []logical.Expr { return c },
		nullSafe([]int{0, 1}, func(r []any) (any, error) { return referenceLike(r[0].(string), r[1].(string), '\\'), nil })}})
}

// Random strings over a small alphabet (with multi-byte characters) against random patterns.
func TestLikeRandomAgainstReference(t *testing.T) {
	random := rand.New(rand.NewSource(7))
	alphabet := []string{"a", "b", "é", "日", "_", "%"}
	word := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			b.WriteString(alphabet[random.Intn(len(alphabet))])
		}
		return b.String()
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	var rows exectest.Rows
	for i := 0; i < 60; i++ {
		rows = append(rows, []any{word(random.Intn(7))})
	}
	patternAlphabet := []string{"a", "b", "é", "日", "_", "%", `\_`, `\%`}
	var cases []functionCase
	for i := 0; i < 150; i++ {
		var b strings.Builder
		for n := random.Intn(6); n > 0; n-- {
			b.WriteString(patternAlphabet[random.Intn(len(patternAlphabet))])
		}
		pattern := b.String()
		cases = append(cases, functionCase{"random " + pattern, "like",
			func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(pattern)} },
			nullSafe([]int{0}, func(r []any) (any, error) { return referenceLike(r[0].(string), pattern, '\\'), nil })})
	}
	runFunctionCases(t, schema, rows, cases)
}

// substring with literal bounds (the constant-bounds path) against slicing characters in Go.
func TestSubstringLiteralBounds(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	var rows exectest.Rows
	for _, v := range likeValues {
		rows = append(rows, []any{v})
	}
	var cases []functionCase
	// {3, 2^31-1} is Spark's substr(3) without a length: the output's size must come from the
	// input, not from the length (it reserved rows x 2 GiB).
	for _, bounds := range [][2]int{{1, 2}, {2, 3}, {3, 0}, {5, 10}, {1, 100}, {40, 2}, {0, 2}, {-2, 1}, {2, -1}, {3, 1<<31 - 1}} {
		pos, length := bounds[0], bounds[1]
		cases = append(cases, functionCase{fmt.Sprintf("substring %d %d", pos, length), "substring",
			func(c []logical.Expr) []logical.Expr { return []logical.Expr{c[0], lit(pos), lit(length)} },
			nullSafe([]int{0}, func(r []any) (any, error) {
				runes := []rune(r[0].(string))
				start := 0
				switch {
				case pos > 0:
					start = pos - 1
				case pos < 0:
					start = len(runes) + pos
				}
				end := start + length
				start = max(start, 0)
				end = min(end, len(runes))
				if start >= end {
					return "", nil
				}
				return string(runes[start:end]), nil
			})})
	}
	runFunctionCases(t, schema, rows, cases)
}

// TestSubstringOfHugeLengthAllocatesByInput: substring(s, 3, 2^31-1) (Spark's substr(3)) reserved
// rows x 2 GiB of Go memory for its output (16 GiB for eight rows in a test server); the output's
// bytes are now bounded by the input's.
func TestSubstringOfHugeLengthAllocatesByInput(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewStringBuilder(mem)
	for i := 0; i < 100_000; i++ {
		b.Append(fmt.Sprintf("value %d", i))
	}
	input := b.NewArray()
	b.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	batch := array.NewRecordBatch(schema, []arrow.Array{input}, int64(input.Len()))
	input.Release()
	defer batch.Release()
	ref := &logical.ColumnRef{AttrID: 1, ColumnName: "s", Type: arrow.BinaryTypes.String, Null: true}
	resolved, err := analyzer.New(nil, analyzer.DefaultConfig()).ResolveCall("substring", []logical.Expr{ref, lit(3), lit(1<<31 - 1)}, false)
	if err != nil {
		t.Fatal(err)
	}
	bound, err := physical.Bind(resolved, []*logical.ColumnRef{ref})
	if err != nil {
		t.Fatal(err)
	}
	ec := &exec.EvalContext{Ctx: context.Background(), Task: exectest.NewTaskContext(mem)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	got, err := exec.EvalArray(ec, bound, batch)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if s := got.(*array.String).Value(12345); s != "lue 12345" {
		t.Errorf("row 12345: %q", s)
	}
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
		t.Errorf("allocated %d MiB for 100,000 short strings", grown>>20)
	}
}
