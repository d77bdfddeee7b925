package exec

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// TestIntGroupTableMatchesMap groups key sequences that stay paged (ascending, descending,
// interleaved runs, negative keys) and ones that move to hashed slots midway (spread keys, the
// extremes of int64, a dense start then a far key) and checks every row's group id against the
// id a Go map gave the key on first sight, with nulls as their own group.
func TestIntGroupTableMatchesMap(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	cases := map[string]func(i int) int64{
		"ascending":        func(i int) int64 { return int64(i / 3) },
		"descending":       func(i int) int64 { return int64(-i / 2) },
		"interleaved runs": func(i int) int64 { return int64(i%4)*1_000_000 + int64(i/4) },
		"negative dense":   func(i int) int64 { return int64(r.Intn(5000)) - 2500 },
		"spread":           func(i int) int64 { return r.Int63() - math.MaxInt64/2 },
		"extremes":         func(i int) int64 { return []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}[r.Intn(5)] },
		"dense then far": func(i int) int64 {
			if i > 30_000 && i%7 == 0 {
				return int64(i) << 30
			}
			return int64(i % 20_000)
		},
	}
	for name, key := range cases {
		t.Run(name, func(t *testing.T) {
			const rows, batch = 60_000, 777
			values := make([]int64, rows)
			validity := make([]byte, bitutil.BytesForBits(rows))
			for i := range values {
				values[i] = key(i)
				if i%101 != 5 {
					bitutil.SetBit(validity, i)
				}
			}
			table := newIntGroupTable()
			want := map[string]int32{}
			groups := make([]int32, batch)
			for lo := 0; lo < rows; lo += batch {
				hi := min(lo+batch, rows)
				valid := rowValidity{bits: validity, offset: lo}
				newRows := findOrInsertInts(table, values[lo:hi], valid, groups[:hi-lo], nil)
				created := 0
				for i := lo; i < hi; i++ {
					id := "null"
					if bitutil.BitIsSet(validity, i) {
						id = fmt.Sprint(values[i])
					}
					g, ok := want[id]
					if !ok {
						g = int32(len(want))
						want[id] = g
						if created >= len(newRows) || newRows[created] != int32(i-lo) {
							t.Fatalf("row %d created group %d but is not in the new rows %v", i, g, newRows)
						}
						created++
					}
					if groups[i-lo] != g {
						t.Fatalf("row %d (key %s) got group %d, want %d", i, id, groups[i-lo], g)
					}
				}
				if created != len(newRows) {
					t.Fatalf("batch at %d: %d new rows, want %d", lo, len(newRows), created)
				}
			}
			if table.len() != len(want) {
				t.Errorf("%d groups, want %d", table.len(), len(want))
			}
		})
	}
}

// TestIntGroupTablePagesOnlyCloseKeys checks which key sets keep the paged index: TPC-H-like
// order keys do, keys spread over the int64 range do not.
func TestIntGroupTablePagesOnlyCloseKeys(t *testing.T) {
	dense := newIntGroupTable()
	keys := tpchOrderKeys(100_000, 3, 1000)
	findOrInsertInts(dense, keys, rowValidity{}, make([]int32, len(keys)), nil)
	if !dense.paged {
		t.Errorf("order keys moved to hashed slots (%d groups, %d pages)", dense.len(), dense.pageCount)
	}
	spread := newIntGroupTable()
	r := rand.New(rand.NewSource(3))
	for i := range keys {
		keys[i] = r.Int63()
	}
	findOrInsertInts(spread, keys, rowValidity{}, make([]int32, len(keys)), nil)
	if spread.paged || spread.len() != len(keys) {
		t.Errorf("spread keys: paged=%v with %d groups, want hashed with %d", spread.paged, spread.len(), len(keys))
	}
}
