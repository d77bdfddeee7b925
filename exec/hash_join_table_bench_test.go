package exec

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkIntKeyJoinProbe probes a table of 230,000 sparse keys (TPC-H Q5's orders side:
// order keys, a quarter of them used) with 1,000,000 keys of which about 15% match.
func BenchmarkIntKeyJoinProbe(b *testing.B) {
	mem := memory.NewGoAllocator()
	tc := NewTaskContext(mem, nil, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	const buildRows, probeRows = 230_000, 1_000_000
	builder := array.NewInt64Builder(mem)
	for i := 0; i < buildRows; i++ {
		builder.Append(int64(rng.IntN(6_000_000))/32*32 + int64(rng.IntN(8)))
	}
	build := builder.NewArray()
	for i := 0; i < probeRows; i++ {
		builder.Append(int64(rng.IntN(6_000_000))/32*32 + int64(rng.IntN(8)))
	}
	probe := builder.NewArray()
	table := newKeyedJoinTable(tc, []arrow.Array{build}, []bool{false}, true)
	b.ResetTimer()
	for range b.N {
		cursor := table.probe(tc, []arrow.Array{probe}, probeRows, false)
		for {
			p, _ := cursor.next(10_000)
			if len(p) == 0 {
				break
			}
		}
	}
}
