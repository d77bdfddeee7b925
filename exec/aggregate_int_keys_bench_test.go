package exec

import (
	"testing"
)

// tpchOrderKeys returns about n TPC-H order keys (8 used of every 32, ascending), the half of
// 2n that a hash exchange into two partitions sends to one, interleaved from several ascending
// runs the way batches of several map tasks arrive.
func tpchOrderKeys(n, sources, batch int) []int64 {
	perSource := 2 * n / sources
	runs := make([][]int64, sources)
	for s := range runs {
		for i := 0; i < perSource; i++ {
			k := int64(s*perSource + i)
			key := (k/8)*32 + k%8 + 1
			if mix64(uint64(key))&1 == 0 {
				runs[s] = append(runs[s], key)
			}
		}
	}
	perSource = len(runs[0])
	var out []int64
	for at := 0; at < perSource; at += batch {
		for s := range runs {
			out = append(out, runs[s][min(at, len(runs[s])):min(at+batch, len(runs[s]))]...)
		}
	}
	return out
}

// BenchmarkIntGroupTableOrderKeys groups 750,000 distinct ascending order keys arriving from
// three interleaved sources in batches of 8,192 (the final aggregate of TPC-H Q18's subquery
// in one of two tasks), with the paged index and with hashed slots only.
func BenchmarkIntGroupTableOrderKeys(b *testing.B) {
	keys := tpchOrderKeys(750_000, 3, 8192)
	groups := make([]int32, 8192)
	for _, layout := range []struct {
		name  string
		table func() *intGroupTable
	}{{"paged", newIntGroupTable}, {"hashed", newHashedIntGroupTable}} {
		b.Run(layout.name, func(b *testing.B) {
			for iteration := 0; iteration < b.N; iteration++ {
				table := layout.table()
				for at := 0; at < len(keys); at += 8192 {
					batch := keys[at:min(at+8192, len(keys))]
					findOrInsertInts(table, batch, rowValidity{}, groups[:len(batch)], nil)
				}
				if table.len() != len(keys) {
					b.Fatalf("%d groups, want %d", table.len(), len(keys))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
		})
	}
}
