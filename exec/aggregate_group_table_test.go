package exec

import (
	"fmt"
	"strings"
	"testing"
)

// TestGroupTableKeyChunks inserts keys of 0 to 5,000 bytes (several key chunks, keys larger
// than a chunk) twice and checks every key keeps the group id a map gave it on first sight.
func TestGroupTableKeyChunks(t *testing.T) {
	table := newGroupTable()
	want := map[string]int32{}
	var keys []string
	for i := 0; i < 6000; i++ {
		key := strings.Repeat(fmt.Sprint(i%97), i%37)
		if i%1000 == 0 {
			key = strings.Repeat("x", 5000) + fmt.Sprint(i)
		}
		keys = append(keys, key)
	}
	for pass := 0; pass < 2; pass++ {
		var buf []byte
		offsets := []int32{0}
		hashes := make([]uint64, len(keys))
		for i, k := range keys {
			buf = append(buf, k...)
			offsets = append(offsets, int32(len(buf)))
			hashes[i] = hashBytes([]byte(k))
		}
		groups := make([]int32, len(keys))
		table.findOrInsert(hashes, buf, offsets, groups, nil)
		for i, k := range keys {
			g, ok := want[k]
			if !ok {
				g = int32(len(want))
				want[k] = g
			}
			if groups[i] != g {
				t.Fatalf("pass %d: key %d (%d bytes) got group %d, want %d", pass, i, len(k), groups[i], g)
			}
			if got := string(table.keyOf(g)); got != k {
				t.Fatalf("group %d holds key %q, want %q", g, got, k)
			}
		}
	}
	if table.len() != len(want) || len(table.keyChunks) < 3 {
		t.Errorf("%d groups in %d chunks, want %d groups in several chunks", table.len(), len(table.keyChunks), len(want))
	}
}
