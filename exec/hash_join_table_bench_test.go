package exec

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkIntKeyJoinProbe probes a table of 230,000 sparse keys (TPC-H Q5's orders side:
// order keys, a quarter of them used) with 1,000,000 keys of which about 15% match, in random
// order and ascending (as lineitem's l_orderkey arrives). cpu-ns/op is the benchmark thread's
// CPU time, steadier than wall time on a shared machine.
func BenchmarkIntKeyJoinProbe(b *testing.B) {
	for _, sorted := range []bool{false, true} {
		name := "random"
		if sorted {
			name = "ascending"
		}
		b.Run(name, func(b *testing.B) { benchmarkIntKeyJoinProbe(b, sorted) })
	}
}

func benchmarkIntKeyJoinProbe(b *testing.B, sorted bool) {
	mem := memory.NewGoAllocator()
	tc := NewTaskContext(mem, nil, nil)
	rng := rand.New(rand.NewPCG(3, 4))
	const buildRows, probeRows = 230_000, 1_000_000
	builder := array.NewInt64Builder(mem)
	for i := 0; i < buildRows; i++ {
		builder.Append(int64(rng.IntN(6_000_000))/32*32 + int64(rng.IntN(8)))
	}
	build := builder.NewArray()
	probeKeys := make([]int64, probeRows)
	for i := range probeKeys {
		probeKeys[i] = int64(rng.IntN(6_000_000))/32*32 + int64(rng.IntN(8))
	}
	if sorted {
		slices.Sort(probeKeys)
	}
	builder.AppendValues(probeKeys, nil)
	probe := builder.NewArray()
	table := newKeyedJoinTable(tc, []arrow.Array{build}, []bool{false}, true)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	start := threadCPUTime()
	for range b.N {
		cursor := table.probe(tc, []arrow.Array{probe}, probeRows, false)
		for {
			p, _ := cursor.next(10_000)
			if len(p) == 0 {
				break
			}
		}
	}
	b.ReportMetric(float64(threadCPUTime()-start)/float64(b.N), "cpu-ns/op")
}
