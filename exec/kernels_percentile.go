package exec

import (
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Percentile kernels over the collected values of each group (planner/analyzer/fn_percentile.go):
// argument 0 is the list of values, then (approximate forms) the accuracy, then the percentages
// as literals.

func init() {
	RegisterKernel("percentile_approx_of_list", percentileKernel(true, false))
	RegisterKernel("percentile_approx_of_list_array", percentileKernel(true, true))
	RegisterKernel("percentile_of_list", percentileKernel(false, false))
	RegisterKernel("percentile_of_list_array", percentileKernel(false, true))
}

func literalFloat(e logical.Expr) (float64, error) {
	if lit, ok := e.(*logical.Literal); ok {
		if v, err := lit.Value.CastTo(arrow.PrimitiveTypes.Float64); err == nil {
			return v.(*scalar.Float64).Value, nil
		}
	}
	return 0, errkind.Internal("percentile argument '%s' is not a number literal", e.String())
}

// approxPercentileRank is the 0-based position Spark's quantile summary answers when it holds
// every one of n values exactly (QuantileSummaries.query): the first value up to the relative
// error, the last from 1 - error, else the value of rank ceil(q * n).
func approxPercentileRank(q, relativeError float64, n int) int {
	switch {
	case q <= relativeError:
		return 0
	case q >= 1-relativeError:
		return n - 1
	}
	rank := int(math.Ceil(q * float64(n)))
	return min(max(rank, 1), n) - 1
}

// exactPercentile is Spark's Percentile: linear interpolation between the values around
// position (n - 1) * q of the sorted values, in Spark 4's arithmetic order (lower + fraction *
// (higher - lower)), so the last bits agree.
func exactPercentile(sorted []float64, q float64) float64 {
	position := float64(len(sorted)-1) * q
	lower, higher := math.Floor(position), math.Ceil(position)
	lo, hi := sorted[int(lower)], sorted[int(higher)]
	if lower == higher || lo == hi {
		return lo
	}
	return lo + (position-lower)*(hi-lo)
}

func percentileKernel(approx, asArray bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		listArray, err := DatumToArray(ec, args[0], length, nil)
		if err != nil {
			return nil, err
		}
		defer listArray.Release()
		lists, ok := listArray.(*array.List)
		if !ok {
			return nil, errkind.Internal("%s expects a list of values, got %s", call.Function, listArray.DataType())
		}
		first := 1
		relativeError := 0.0
		if approx {
			accuracy, err := literalFloat(call.Args[1])
			if err != nil {
				return nil, err
			}
			relativeError = 1 / accuracy
			first = 2
		}
		percentages := make([]float64, 0, len(call.Args)-first)
		for _, e := range call.Args[first:] {
			p, err := literalFloat(e)
			if err != nil {
				return nil, err
			}
			percentages = append(percentages, p)
		}
		values := lists.ListValues()
		compare := valueComparator(values, values)
		var floats func(int) float64
		if !approx {
			if floats, ok = float64Values(values); !ok {
				return nil, errkind.Internal("percentile over %s values", values.DataType())
			}
		}
		rows := lists.Len()
		// picked[i*k+j] is the value index (approximate) or value (exact) for row i, percentage j.
		k := len(percentages)
		picked := make([]int32, 0, rows*k)
		exact := make([]float64, 0, rows*k)
		rowValid := make([]bool, rows)
		var positions []int32
		var sorted []float64
		for row := 0; row < rows; row++ {
			if lists.IsNull(row) {
				continue
			}
			start, end := lists.ValueOffsets(row)
			positions = positions[:0]
			for p := start; p < end; p++ {
				if values.IsValid(int(p)) {
					positions = append(positions, int32(p))
				}
			}
			if len(positions) == 0 {
				continue
			}
			rowValid[row] = true
			sort.SliceStable(positions, func(a, b int) bool { return compare(int(positions[a]), int(positions[b])) < 0 })
			if approx {
				for _, q := range percentages {
					picked = append(picked, positions[approxPercentileRank(q, relativeError, len(positions))])
				}
				continue
			}
			sorted = sorted[:0]
			for _, p := range positions {
				sorted = append(sorted, floats(int(p)))
			}
			for _, q := range percentages {
				exact = append(exact, exactPercentile(sorted, q))
			}
		}
		var flat arrow.Array
		if approx {
			indices := int32Indices(ec.Task, picked)
			defer indices.Release()
			if flat, err = compute.TakeArray(ec.ComputeContext(), values, indices); err != nil {
				return nil, err
			}
		} else {
			b := array.NewFloat64Builder(ec.Task.Allocator)
			b.AppendValues(exact, nil)
			flat = b.NewArray()
			b.Release()
		}
		defer flat.Release()
		if asArray {
			offsets := make([]int32, rows+1)
			for row := 0; row < rows; row++ {
				offsets[row+1] = offsets[row]
				if rowValid[row] {
					offsets[row+1] += int32(k)
				}
			}
			validity, nulls := bitmapFromBools(rowValid)
			offsetBuffer := int32Indices(ec.Task, offsets)
			defer offsetBuffer.Release()
			data := array.NewData(call.Type, rows, []*memory.Buffer{validity, offsetBuffer.Data().Buffers()[1]}, []arrow.ArrayData{flat.Data()}, nulls, 0)
			defer data.Release()
			out := array.MakeFromData(data)
			defer out.Release()
			return compute.NewDatum(out), nil
		}
		// One value per valid row: spread them back over the rows, nulls elsewhere.
		spread := make([]int32, rows)
		valid := make([]bool, rows)
		next := int32(0)
		for row := 0; row < rows; row++ {
			if rowValid[row] {
				spread[row], valid[row] = next, true
				next++
			}
		}
		b := array.NewInt32Builder(ec.Task.Allocator)
		b.AppendValues(spread, valid)
		indices := b.NewArray()
		b.Release()
		defer indices.Release()
		out, err := compute.TakeArray(ec.ComputeContext(), flat, indices)
		if err != nil {
			return nil, err
		}
		defer out.Release()
		return compute.NewDatum(out), nil
	}
}
