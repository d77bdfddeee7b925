package exec

import (
	"fmt"
	"math"
	"math/rand"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/planner/logical"
)

// TestPackedKeySortMatchesComparatorSort sorts random integer keys with nulls, both directions
// and both null placements, below and above the radix threshold, and checks the order against
// the stable comparator sort (rowOrder, the path for keys that do not pack).
func TestPackedKeySortMatchesComparatorSort(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewSource(3))
	for _, n := range []int{0, 1, 17, 1000, packedSortMinRows + 123, 50_000} {
		for trial := 0; trial < 4; trial++ {
			// A small-range int64 key, a wider int32 key with nulls, a boolean, a negative-range int16.
			k := make([]int64, n)
			o := make([]int32, n)
			valid := make([]bool, n)
			b := make([]bool, n)
			s := make([]int16, n)
			for i := 0; i < n; i++ {
				k[i] = int64(rng.Intn(40)) - 20 + math.MaxInt64/2
				o[i] = int32(rng.Intn(1 << 20))
				valid[i] = rng.Intn(9) != 0
				b[i] = rng.Intn(2) == 0
				s[i] = int16(-rng.Intn(300))
			}
			kb := array.NewInt64Builder(mem)
			kb.AppendValues(k, nil)
			ob := array.NewInt32Builder(mem)
			ob.AppendValues(o, valid)
			bb := array.NewBooleanBuilder(mem)
			bb.AppendValues(b, nil)
			sb := array.NewInt16Builder(mem)
			sb.AppendValues(s, valid)
			keys := []arrow.Array{kb.NewArray(), ob.NewArray(), bb.NewArray(), sb.NewArray()}
			kb.Release()
			ob.Release()
			bb.Release()
			sb.Release()
			orders := make([]*logical.SortOrder, len(keys))
			for i := range orders {
				orders[i] = &logical.SortOrder{Direction: logical.Ascending, Nulls: logical.NullsFirst}
				if rng.Intn(2) == 0 {
					orders[i].Direction = logical.Descending
				}
				if rng.Intn(2) == 0 {
					orders[i].Nulls = logical.NullsLast
				}
			}
			t.Run(fmt.Sprintf("n=%d/trial=%d", n, trial), func(t *testing.T) {
				idx := make([]int32, n)
				for i := range idx {
					idx[i] = int32(i)
				}
				got, ok := sortByPackedKeys(keys, orders, slices.Clone(idx))
				if !ok {
					t.Fatal("keys of 6+21+1+10 bits did not pack")
				}
				order := newRowOrder(keys, orders)
				want := slices.Clone(idx)
				slices.SortStableFunc(want, func(a, b int32) int { return order.compare(int(a), int(b)) })
				if !slices.Equal(got, want) {
					t.Fatalf("packed sort differs from the comparator sort (orders %v)", orders)
				}
			})
			releaseArrayList(keys)
		}
	}
}

// TestPackedKeysRefuseWideKeys checks that keys whose ranges need more than 64 bits together,
// and keys that are not integers, take the other paths.
func TestPackedKeysRefuseWideKeys(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ib := array.NewInt64Builder(mem)
	ib.AppendValues([]int64{math.MinInt64, 0, math.MaxInt64}, nil)
	wide := ib.NewArray()
	defer wide.Release()
	ib.AppendValues([]int64{0, 1 << 40, 5}, nil)
	half := ib.NewArray()
	defer half.Release()
	ib.Release()
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{1, 2, 3}, nil)
	floats := fb.NewArray()
	defer floats.Release()
	fb.Release()
	asc := &logical.SortOrder{Direction: logical.Ascending}
	for name, keys := range map[string][]arrow.Array{
		"full int64 range": {wide}, "41+41 bits": {half, half}, "float": {floats}} {
		if _, ok := sortByPackedKeys(keys, []*logical.SortOrder{asc, asc}, []int32{0, 1, 2}); ok {
			t.Errorf("%s: packed, want refused", name)
		}
	}
	if got, ok := sortByPackedKeys([]arrow.Array{half}, []*logical.SortOrder{asc}, []int32{0, 1, 2}); !ok || !slices.Equal(got, []int32{0, 2, 1}) {
		t.Errorf("41 bits: got %v (packed %v), want [0 2 1]", got, ok)
	}
}
