package exec

import (
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// array_sort with a comparator and map_zip_with (planner/analyzer/fn_higher_order.go).
//
// array_sort evaluates the comparator once per batch of element pairs, not once per comparison:
// for every row it evaluates all ordered pairs of distinct elements (k*(k-1) for k elements,
// rows grouped so one evaluation holds at most comparatorPairLimit pairs), then sorts each row
// stably (as Spark's TimSort) reading the results. A null result fails only when the sort reads
// it, as in Spark. Rows with more than comparatorMatrixLimit elements are sorted evaluating the
// comparator per comparison.

const (
	comparatorPairLimit   = 1 << 20
	comparatorMatrixLimit = 1024
)

func init() {
	RegisterLazyKernel("array_sort_comparator", arraySortComparatorKernel)
	RegisterLazyKernel("map_zip_with", mapZipWithKernel)
}

// comparisons evaluates the comparator on the element pairs (lefts[i], rights[i]) of rows[i]; the
// result is owned by the caller.
func comparisons(ec *EvalContext, lambda *logical.LambdaFunction, batch arrow.RecordBatch, values arrow.Array, lefts, rights []int64, rows []int32) (*array.Int32, error) {
	left, err := gather(ec, values, lefts)
	if err != nil {
		return nil, err
	}
	defer left.Release()
	right, err := gather(ec, values, rights)
	if err != nil {
		return nil, err
	}
	defer right.Release()
	result, err := evalLambda(ec, lambda, batch, func() []int32 { return rows }, []arrow.Array{left, right})
	if err != nil {
		return nil, err
	}
	ints, ok := result.(*array.Int32)
	if !ok {
		result.Release()
		return nil, errkind.Internal("array_sort comparator returned %s, not int", result.DataType())
	}
	return ints, nil
}

func comparatorReturnedNull(values arrow.Array, left, right int) error {
	return errkind.Invalid("[COMPARATOR_RETURNS_NULL] the comparator of array_sort returned NULL comparing %s and %s; it must return a negative int, 0 or a positive int",
		values.ValueStr(left), values.ValueStr(right))
}

func arraySortComparatorKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	list, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer list.release()
	lambda := call.Args[1].(*logical.LambdaFunction)
	values := list.layout.values
	offsets := list.layout.offsets
	n := int(batch.NumRows())
	order := make([]int64, 0, list.end-list.start)
	for row := 0; row < n; {
		if err := ec.Ctx.Err(); err != nil {
			return nil, err
		}
		size := int(offsets[row+1] - offsets[row])
		if size > comparatorMatrixLimit {
			sorted, err := sortRowPerComparison(ec, lambda, batch, values, row, int64(offsets[row]), size)
			if err != nil {
				return nil, err
			}
			order = append(order, sorted...)
			row++
			continue
		}
		// A group of rows whose pairs fit one evaluation.
		end, pairs := row, 0
		var lefts, rights []int64
		var rows []int32
		for end < n {
			k := int(offsets[end+1] - offsets[end])
			if k > comparatorMatrixLimit || end > row && pairs+k*k > comparatorPairLimit {
				break
			}
			base := int64(offsets[end])
			for a := 0; a < k; a++ {
				for b := 0; b < k; b++ {
					if a != b {
						lefts, rights, rows = append(lefts, base+int64(a)), append(rights, base+int64(b)), append(rows, int32(end))
					}
				}
			}
			pairs += k * k
			end++
		}
		var results *array.Int32
		if len(lefts) > 0 {
			if results, err = comparisons(ec, lambda, batch, values, lefts, rights, rows); err != nil {
				return nil, err
			}
		}
		position := 0 // the row's first result
		for r := row; r < end; r++ {
			k := int(offsets[r+1] - offsets[r])
			base := int(offsets[r])
			permutation := make([]int, k)
			for i := range permutation {
				permutation[i] = i
			}
			var failure error
			// result(a, b) is the comparison of elements a and b (a != b) of this row.
			result := func(a, b int) int32 {
				i := position + a*(k-1) + b
				if b > a {
					i--
				}
				if results.IsNull(i) && failure == nil {
					failure = comparatorReturnedNull(values, base+a, base+b)
				}
				return results.Value(i)
			}
			sort.SliceStable(permutation, func(i, j int) bool { return result(permutation[i], permutation[j]) < 0 })
			if failure != nil {
				results.Release()
				return nil, failure
			}
			for _, p := range permutation {
				order = append(order, int64(base+p))
			}
			position += k * (k - 1)
		}
		if results != nil {
			results.Release()
		}
		row = end
	}
	sorted, err := gather(ec, values, order)
	if err != nil {
		return nil, err
	}
	defer sorted.Release()
	return datumOf(makeNested(ec.Task.Allocator, call.Type, n, list.array, rebaseOffsets(ec.Task.Allocator, offsets), sorted.Data())), nil
}

// sortRowPerComparison sorts one large row, evaluating the comparator for each comparison, and
// returns its element indices in order.
func sortRowPerComparison(ec *EvalContext, lambda *logical.LambdaFunction, batch arrow.RecordBatch, values arrow.Array, row int, base int64, size int) ([]int64, error) {
	permutation := make([]int64, size)
	for i := range permutation {
		permutation[i] = base + int64(i)
	}
	var failure error
	sort.SliceStable(permutation, func(i, j int) bool {
		if failure != nil {
			return false
		}
		result, err := comparisons(ec, lambda, batch, values, []int64{permutation[i]}, []int64{permutation[j]}, []int32{int32(row)})
		if err != nil {
			failure = err
			return false
		}
		defer result.Release()
		if result.IsNull(0) {
			failure = comparatorReturnedNull(values, int(permutation[i]), int(permutation[j]))
			return false
		}
		return result.Value(0) < 0
	})
	return permutation, failure
}

// mapZipWithKernel merges two maps by key: each row's entries are the first map's keys in order,
// then the second map's keys the first lacks; the lambda gets the key and both values (null
// where a map lacks the key). A null map gives a null result.
func mapZipWithKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	left, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer left.release()
	right, err := evalList(ec, call.Args[1], batch)
	if err != nil {
		return nil, err
	}
	defer right.release()
	leftEntries, rightEntries := left.layout.values.(*array.Struct), right.layout.values.(*array.Struct)
	leftKeys, rightKeys := leftEntries.Field(0), rightEntries.Field(0)
	n := int(batch.NumRows())
	mem := ec.Task.Allocator
	validity := newValidity(mem, n, left.array, right.array)
	defer validity.release()
	offsetBuffer, offsets := newFixedBuffer[int32](mem, n+1)
	// keyIndices index the concatenation of both maps' keys (the right's after the left's).
	var keyIndices, leftItems, rightItems []int64
	var rows []int32
	lo, ro := left.layout.offsets, right.layout.offsets
	position := map[string]int{}
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			clear(position)
			for j := lo[i]; j < lo[i+1]; j++ {
				position[leftKeys.ValueStr(int(j))] = len(keyIndices)
				keyIndices, leftItems, rightItems, rows = append(keyIndices, int64(j)), append(leftItems, int64(j)), append(rightItems, -1), append(rows, int32(i))
			}
			for j := ro[i]; j < ro[i+1]; j++ {
				if at, found := position[rightKeys.ValueStr(int(j))]; found {
					rightItems[at] = int64(j)
					continue
				}
				keyIndices = append(keyIndices, int64(leftKeys.Len())+int64(j))
				leftItems, rightItems, rows = append(leftItems, -1), append(rightItems, int64(j)), append(rows, int32(i))
			}
		}
		offsets[i+1] = int32(len(keyIndices))
	}
	built, err := func() (arrow.ArrayData, error) {
		allKeys, err := array.Concatenate([]arrow.Array{leftKeys, rightKeys}, mem)
		if err != nil {
			return nil, err
		}
		defer allKeys.Release()
		keys, err := gather(ec, allKeys, keyIndices)
		if err != nil {
			return nil, err
		}
		defer keys.Release()
		first, err := gather(ec, leftEntries.Field(1), leftItems)
		if err != nil {
			return nil, err
		}
		defer first.Release()
		second, err := gather(ec, rightEntries.Field(1), rightItems)
		if err != nil {
			return nil, err
		}
		defer second.Release()
		result, err := evalLambda(ec, call.Args[2].(*logical.LambdaFunction), batch, func() []int32 { return rows }, []arrow.Array{keys, first, second})
		if err != nil {
			return nil, err
		}
		defer result.Release()
		items, err := unsliced(mem, result)
		if err != nil {
			return nil, err
		}
		defer items.Release()
		entryType := call.Type.(*arrow.MapType).Elem()
		return array.NewData(entryType, keys.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keys.Data(), items.Data()}, 0, 0), nil
	}()
	if err != nil {
		offsetBuffer.Release()
		return nil, err
	}
	defer built.Release()
	bits, nulls := validity.take()
	data := array.NewData(call.Type, n, []*memory.Buffer{bits, offsetBuffer}, []arrow.ArrayData{built}, nulls, 0)
	if bits != nil {
		bits.Release()
	}
	offsetBuffer.Release()
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}
