package exec

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestGatherRowsMatchesArrowTake compares the typed gathers with arrow's take kernel on sliced
// arrays with NULLs, for every type gatherRows handles.
func TestGatherRowsMatchesArrowTake(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	rng := rand.New(rand.NewSource(3))
	const n = 300
	builders := []array.Builder{
		array.NewInt8Builder(mem), array.NewInt16Builder(mem), array.NewInt32Builder(mem), array.NewInt64Builder(mem),
		array.NewFloat64Builder(mem), array.NewDate32Builder(mem),
		array.NewDecimal128Builder(mem, &arrow.Decimal128Type{Precision: 15, Scale: 2}),
		array.NewStringBuilder(mem), array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary),
	}
	for _, b := range builders {
		for i := 0; i < n; i++ {
			if rng.Intn(5) == 0 {
				b.AppendNull()
				continue
			}
			v := rng.Int63() - rng.Int63()
			switch x := b.(type) {
			case *array.Int8Builder:
				x.Append(int8(v))
			case *array.Int16Builder:
				x.Append(int16(v))
			case *array.Int32Builder:
				x.Append(int32(v))
			case *array.Int64Builder:
				x.Append(v)
			case *array.Float64Builder:
				x.Append(float64(v) / 7)
			case *array.Date32Builder:
				x.Append(arrow.Date32(int32(v)))
			case *array.Decimal128Builder:
				x.Append(decimal128.New(v>>40, uint64(v)))
			case *array.StringBuilder:
				x.Append(fmt.Sprint(v)[:rng.Intn(8)])
			case *array.BinaryBuilder:
				x.Append([]byte(fmt.Sprint(v)))
			}
		}
		full := b.NewArray()
		b.Release()
		for _, sliced := range []bool{false, true} {
			a := full
			if sliced {
				a = array.NewSlice(full, 17, n-5)
			}
			for _, count := range []int{0, 1, 7, a.Len()} {
				idx := make([]int32, count)
				for j := range idx {
					idx[j] = int32(rng.Intn(a.Len()))
				}
				got, ok := gatherRows(mem, a, idx)
				if !ok {
					t.Fatalf("%s: no typed gather", a.DataType())
				}
				indexArray := array.NewInt32Builder(mem)
				indexArray.AppendValues(idx, nil)
				ix := indexArray.NewArray()
				indexArray.Release()
				want, err := compute.TakeArray(compute.WithAllocator(context.Background(), mem), a, ix)
				if err != nil {
					t.Fatal(err)
				}
				if !array.Equal(got, want) || got.NullN() != want.NullN() {
					t.Fatalf("%s sliced=%v count=%d: got %v, want %v", a.DataType(), sliced, count, got, want)
				}
				got.Release()
				want.Release()
				ix.Release()
			}
			if sliced {
				a.Release()
			}
		}
		full.Release()
	}
	mem.AssertSize(t, 0)
}
