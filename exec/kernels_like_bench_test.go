package exec

import (
	"math/rand"
	"regexp"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TPC-H Q13's o_comment NOT LIKE '%special%requests%' over 65,536 comment-like strings: the
// compiled LIKE matcher against the regular expression the LIKE used to become.
//
//	go test ./exec -run '^$' -bench 'BenchmarkLikeTwoSubstrings' -count 5
func BenchmarkLikeTwoSubstrings(b *testing.B) {
	words := []string{"carefully", "final", "deposits", "special", "requests", "sleep", "quickly", "ironic",
		"packages", "among", "the", "furiously", "express", "accounts", "pending", "theodolites"}
	random := rand.New(rand.NewSource(1))
	builder := array.NewStringBuilder(memory.DefaultAllocator)
	for i := 0; i < 65536; i++ {
		n := 4 + random.Intn(6)
		parts := make([]string, n)
		for k := range parts {
			parts[k] = words[random.Intn(len(words))]
		}
		builder.Append(strings.Join(parts, " "))
	}
	comments := builder.NewArray()
	builder.Release()
	defer comments.Release()
	matcher, err := compileLike("%special%requests%", '\\')
	if err != nil {
		b.Fatal(err)
	}
	b.Run("matcher", func(b *testing.B) {
		match := matcher.matchFunction()
		for b.Loop() {
			out, _ := matchStrings(memory.DefaultAllocator, comments, match)
			out.Release()
		}
	})
	b.Run("regexp", func(b *testing.B) {
		pattern, err := likeToRegex("%special%requests%", '\\', false)
		if err != nil {
			b.Fatal(err)
		}
		re := regexp.MustCompile(pattern)
		for b.Loop() {
			out, _ := matchStrings(memory.DefaultAllocator, comments, re.Match)
			out.Release()
		}
	})
}
