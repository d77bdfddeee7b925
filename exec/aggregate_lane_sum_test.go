package exec

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFloatSumDoesNotDependOnBatches feeds the same rows to sum and avg cut into batches of
// 1, 2, 3, 7, 1000 rows and all at once, with and without nulls: the answers must be bit for bit
// the same (the lanes follow the rows' positions, not the batches'), and within a few ulps of
// the exact sum of the valid values.
func TestFloatSumDoesNotDependOnBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	const rows = 10_007
	values := make([]float64, rows)
	valid := make([]bool, rows)
	exact := new(big.Float).SetPrec(2000)
	exactValid := new(big.Float).SetPrec(2000)
	validRows := 0
	for i := range values {
		values[i] = rng.NormFloat64() * math.Pow(10, float64(rng.IntN(12)-6))
		valid[i] = rng.IntN(5) != 0
		exact.Add(exact, big.NewFloat(values[i]))
		if valid[i] {
			exactValid.Add(exactValid, big.NewFloat(values[i]))
			validRows++
		}
	}
	for _, withNulls := range []bool{false, true} {
		want, wantRows := exact, rows
		if withNulls {
			want, wantRows = exactValid, validRows
		}
		wantSum, _ := want.Float64()
		var firstSum, firstAvg float64
		for k, size := range []int{rows, 1, 2, 3, 7, 1000} {
			sum, avg := &sumFloatAccumulator{}, &avgFloatAccumulator{}
			sum.resize(1)
			avg.resize(1)
			for start := 0; start < rows; start += size {
				end := min(start+size, rows)
				b := array.NewFloat64Builder(mem)
				if withNulls {
					b.AppendValues(values[start:end], valid[start:end])
				} else {
					b.AppendValues(values[start:end], nil)
				}
				a := b.NewArray()
				b.Release()
				groups := make([]int32, end-start)
				if err := sum.update(nil, groups, []arrow.Array{a}); err != nil {
					t.Fatal(err)
				}
				if err := avg.update(nil, groups, []arrow.Array{a}); err != nil {
					t.Fatal(err)
				}
				a.Release()
			}
			gotSum := finishFloat(t, sum)
			gotAvg := finishFloat(t, avg)
			if k == 0 {
				firstSum, firstAvg = gotSum, gotAvg
			} else if gotSum != firstSum || gotAvg != firstAvg {
				t.Errorf("nulls=%v, batches of %d: sum %v avg %v, all at once %v %v", withNulls, size, gotSum, gotAvg, firstSum, firstAvg)
			}
			if math.Abs(gotSum-wantSum) > 1e-12*math.Abs(wantSum)+1e-9 {
				t.Errorf("nulls=%v, batches of %d: sum %v, exact %v", withNulls, size, gotSum, wantSum)
			}
			if math.Abs(gotAvg-wantSum/float64(wantRows)) > 1e-12 {
				t.Errorf("nulls=%v, batches of %d: avg %v, exact %v", withNulls, size, gotAvg, wantSum/float64(wantRows))
			}
		}
	}
}

// TestFloatSumFoldsWhenGroupsAppear: rows summed while there was one group are kept when a second
// group appears, and NaN and infinities propagate as in a sequential sum.
func TestFloatSumFoldsWhenGroupsAppear(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	feed := func(acc accumulator, groups []int32, values ...float64) {
		b := array.NewFloat64Builder(mem)
		defer b.Release()
		b.AppendValues(values, nil)
		a := b.NewArray()
		defer a.Release()
		acc.resize(int(groups[len(groups)-1]) + 1)
		if err := acc.update(nil, groups, []arrow.Array{a}); err != nil {
			t.Fatal(err)
		}
	}
	sum := &sumFloatAccumulator{}
	feed(sum, []int32{0, 0, 0, 0, 0}, 1, 2, 3, 4, 5)
	feed(sum, []int32{0, 1}, 10, 100)
	out, err := sum.finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*array.Float64).Float64Values()
	out.Release()
	if got[0] != 25 || got[1] != 100 {
		t.Errorf("sums %v, want [25 100]", got)
	}

	for _, c := range []struct {
		values []float64
		want   float64
	}{
		{[]float64{1, math.Inf(1), 2, 3, 4}, math.Inf(1)},
		{[]float64{1, math.Inf(1), 2, math.Inf(-1), 4}, math.NaN()},
		{[]float64{1, 2, math.NaN(), 3, 4, 5}, math.NaN()},
	} {
		sum := &sumFloatAccumulator{}
		feed(sum, make([]int32, len(c.values)), c.values...)
		got := finishFloat(t, sum)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("sum of %v = %v, want %v", c.values, got, c.want)
		}
	}
}

func finishFloat(t *testing.T, acc accumulator) float64 {
	t.Helper()
	out, err := acc.finish(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	return out.(*array.Float64).Value(0)
}
