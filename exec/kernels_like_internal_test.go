package exec

import (
	"testing"
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
