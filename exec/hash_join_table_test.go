package exec

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// joinTablePairs probes t with keys and returns every (probe row, build row) pair, sorted.
func joinTablePairs(tc *TaskContext, t *joinTable, keys arrow.Array, firstOnly bool) [][2]int32 {
	cursor := t.probe(tc, []arrow.Array{keys}, keys.Len(), firstOnly)
	var out [][2]int32
	for {
		p, b := cursor.next(7)
		if len(p) == 0 {
			break
		}
		for i := range p {
			out = append(out, [2]int32{p[i], b[i]})
		}
	}
	slices.SortFunc(out, func(x, y [2]int32) int {
		if x[0] != y[0] {
			return int(x[0] - y[0])
		}
		return int(x[1] - y[1])
	})
	return out
}

// referencePairs is the nested-loop answer: equal non-null keys.
func referencePairs(build, probe []*int64) [][2]int32 {
	var out [][2]int32
	for p, pk := range probe {
		for b, bk := range build {
			if pk != nil && bk != nil && *pk == *bk {
				out = append(out, [2]int32{int32(p), int32(b)})
			}
		}
	}
	return out
}

func joinKeysInt64(mem memory.Allocator, values []*int64) arrow.Array {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for _, v := range values {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(*v)
		}
	}
	return b.NewArray()
}

func joinKeysInt32(mem memory.Allocator, values []*int64) arrow.Array {
	b := array.NewInt32Builder(mem)
	defer b.Release()
	for _, v := range values {
		if v == nil {
			b.AppendNull()
		} else {
			b.Append(int32(*v))
		}
	}
	return b.NewArray()
}

// TestIntKeyJoinTable checks the integer-key table (dense and open-addressing layouts) against
// a nested loop and against the general table (encoded keys), with duplicates, nulls, negative
// keys, keys that collide in the slots, and int32 probes of an int64 build.
func TestIntKeyJoinTable(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := NewTaskContext(mem, nil, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	cases := map[string]func() int64{
		"dense":    func() int64 { return rng.Int64N(300) - 50 },
		"ranked":   func() int64 { return rng.Int64N(400*100) - 20_000 },
		"sparse":   func() int64 { return rng.Int64N(1 << 40) },
		"multiple": func() int64 { return rng.Int64N(64) << 20 }, // equal low bits: slot collisions
		"extremes": func() int64 { return []int64{-1 << 63, 1<<63 - 1, 0, 5}[rng.IntN(4)] },
	}
	for name, draw := range cases {
		t.Run(name, func(t *testing.T) {
			gen := func(n int) []*int64 {
				out := make([]*int64, n)
				for i := range out {
					if rng.IntN(11) != 0 {
						v := draw()
						out[i] = &v
					}
				}
				return out
			}
			build, probe := gen(400), gen(500)
			// Probe keys drawn from the build side too, so most rows match.
			for i := range probe {
				if i%2 == 0 && build[i%len(build)] != nil {
					probe[i] = build[i%len(build)]
				}
			}
			want := referencePairs(build, probe)
			buildArray := joinKeysInt64(mem, build)
			defer buildArray.Release()
			nullSafe := []bool{false}
			fast := newKeyedJoinTable(tc, []arrow.Array{buildArray}, nullSafe, true)
			general := newKeyedJoinTable(tc, []arrow.Array{buildArray}, nullSafe, false)
			if !fast.intKeyed || general.intKeyed {
				t.Fatalf("layouts: fast.intKeyed=%v general.intKeyed=%v", fast.intKeyed, general.intKeyed)
			}
			if name == "ranked" && !fast.ranked || name == "sparse" && (fast.ranked || fast.dense) {
				t.Fatalf("%s keys: ranked=%v dense=%v", name, fast.ranked, fast.dense)
			}
			for _, probeArray := range []arrow.Array{joinKeysInt64(mem, probe), joinKeysInt32(mem, probe)} {
				if probeArray.DataType().ID() == arrow.INT32 && name != "dense" && name != "ranked" {
					probeArray.Release()
					continue
				}
				if got := joinTablePairs(tc, fast, probeArray, false); !slices.Equal(got, want) {
					t.Errorf("%s probe: integer table gave %d pairs, nested loop %d", probeArray.DataType(), len(got), len(want))
				}
				if probeArray.DataType().ID() == arrow.INT64 {
					if got := joinTablePairs(tc, general, probeArray, false); !slices.Equal(got, want) {
						t.Errorf("general table gave %d pairs, nested loop %d", len(got), len(want))
					}
				}
				// First match only (semi joins): one pair per probe row that has a partner.
				first := joinTablePairs(tc, fast, probeArray, true)
				matched := map[int32]bool{}
				for _, p := range want {
					matched[p[0]] = true
				}
				if len(first) != len(matched) {
					t.Errorf("first-only probe gave %d rows, want %d", len(first), len(matched))
				}
				probeArray.Release()
			}
		})
	}
}

func TestIntKeyJoinTableEmptyAndAllNull(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	tc := NewTaskContext(mem, nil, nil)
	one := int64(1)
	probe := joinKeysInt64(mem, []*int64{&one, nil})
	defer probe.Release()
	for _, build := range [][]*int64{{}, {nil, nil}} {
		a := joinKeysInt64(mem, build)
		table := newKeyedJoinTable(tc, []arrow.Array{a}, []bool{false}, true)
		if got := joinTablePairs(tc, table, probe, false); len(got) != 0 {
			t.Errorf("build %v: got pairs %v", build, got)
		}
		a.Release()
	}
}
