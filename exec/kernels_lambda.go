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

// Higher-order functions (transform, filter, exists, forall, aggregate, zip_with, transform_keys,
// transform_values, map_filter). A lambda body is evaluated once per batch over all elements:
// the elements of every row's array are the rows of an inner batch whose columns are the lambda's
// parameters plus the outer columns the body reads, repeated for each element of their row. The
// result lists reuse the input's offsets. aggregate is sequential within an array, so it
// evaluates its merge function once per element position, over all rows at once.

func init() {
	RegisterLazyKernel("array_transform", arrayTransformKernel)
	RegisterLazyKernel("array_filter", arrayFilterKernel)
	RegisterLazyKernel("array_exists", arrayQuantifierKernel(true))
	RegisterLazyKernel("array_forall", arrayQuantifierKernel(false))
	RegisterLazyKernel("array_aggregate", arrayAggregateKernel)
	RegisterLazyKernel("array_zip_with", arrayZipWithKernel)
	RegisterLazyKernel("map_transform_keys", mapLambdaKernel)
	RegisterLazyKernel("map_transform_values", mapLambdaKernel)
	RegisterLazyKernel("map_filter", mapLambdaKernel)
}

// evalLambda evaluates a lambda body over the elements given by parameters (the parameter values,
// one per element): rows()[i] is the outer row element i belongs to (rows nil: element i is row
// i); it is called only when the body reads outer columns. The result has one value per element
// and is owned by the caller.
func evalLambda(ec *EvalContext, lambda *logical.LambdaFunction, batch arrow.RecordBatch, rows func() []int32, parameters []arrow.Array) (arrow.Array, error) {
	n := parameters[0].Len()
	if n == 0 {
		return array.MakeArrayOfNull(ec.Task.Allocator, lambda.Body.DataType(), 0), nil
	}
	// The outer columns the body reads (nested lambdas included), renumbered densely.
	outer := map[int]int{}
	var ordinals []int
	logical.Walk(lambda.Body, func(x logical.Expr) bool {
		if ref, ok := x.(*logical.BoundRef); ok {
			if _, seen := outer[ref.Ordinal]; !seen {
				outer[ref.Ordinal] = 0
				ordinals = append(ordinals, ref.Ordinal)
			}
		}
		return true
	})
	sort.Ints(ordinals)
	columns := make([]arrow.Array, 0, len(ordinals)+len(parameters))
	defer func() { releaseArrays(columns) }()
	fields := make([]arrow.Field, 0, cap(columns))
	var rowIndices arrow.Array
	if rows != nil && len(ordinals) > 0 {
		rowIndices = int32Array(ec.Task.Allocator, rows())
		defer rowIndices.Release()
	}
	for i, ordinal := range ordinals {
		outer[ordinal] = i
		column := batch.Column(ordinal)
		if rowIndices != nil {
			taken, err := compute.TakeArray(ec.ComputeContext(), column, rowIndices)
			if err != nil {
				return nil, err
			}
			columns = append(columns, taken)
		} else {
			column.Retain()
			columns = append(columns, column)
		}
		fields = append(fields, batch.Schema().Field(ordinal))
	}
	variableOrdinals := map[logical.ExprID]int{}
	for i, parameter := range parameters {
		variable := lambda.Variables[i]
		variableOrdinals[variable.AttrID] = len(columns)
		parameter.Retain()
		columns = append(columns, parameter)
		fields = append(fields, arrow.Field{Name: variable.VariableName, Type: parameter.DataType(), Nullable: true})
	}
	body, err := logical.Transform(lambda.Body, func(x logical.Expr) (logical.Expr, error) {
		switch v := x.(type) {
		case *logical.BoundRef:
			cp := *v
			cp.Ordinal = outer[v.Ordinal]
			return &cp, nil
		case *logical.LambdaVariable:
			if ordinal, ok := variableOrdinals[v.AttrID]; ok {
				return &logical.BoundRef{Ordinal: ordinal, ColumnName: v.VariableName, Type: v.Type, Null: v.Null}, nil
			}
		}
		return x, nil
	})
	if err != nil {
		return nil, err
	}
	inner := array.NewRecordBatch(arrow.NewSchema(fields, nil), columns, int64(n))
	defer inner.Release()
	return EvalArray(ec, body, inner)
}

// listArgument evaluates a list argument: the array, its layout and the element range its rows
// use (values[start:end]).
type listArgument struct {
	array  arrow.Array
	layout listLayout
	start  int32
	end    int32
}

func evalList(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch) (*listArgument, error) {
	a, err := EvalArray(ec, e, batch)
	if err != nil {
		return nil, err
	}
	l, ok := listOf(a)
	if !ok {
		a.Release()
		return nil, errkind.Internal("%s is %s, not an array or a map", e.String(), a.DataType())
	}
	if hasElementsUnderNulls(l) {
		// A lambda must not run on elements under a null array (they could fail, 1 / 0): copy
		// the array without them.
		cleaned, err := dropElementsUnderNulls(ec, a, l)
		a.Release()
		if err != nil {
			return nil, err
		}
		a = cleaned
		l, _ = listOf(a)
	}
	return &listArgument{array: a, layout: l, start: l.offsets[0], end: l.offsets[len(l.offsets)-1]}, nil
}

func hasElementsUnderNulls(l listLayout) bool {
	if l.valid.bits == nil {
		return false
	}
	for i := 0; i+1 < len(l.offsets); i++ {
		if !l.valid.get(i) && l.offsets[i+1] > l.offsets[i] {
			return true
		}
	}
	return false
}

// dropElementsUnderNulls copies a list or map array, giving its null rows empty ranges.
func dropElementsUnderNulls(ec *EvalContext, a arrow.Array, l listLayout) (arrow.Array, error) {
	n := len(l.offsets) - 1
	offsetBuffer, offsets := newFixedBuffer[int32](ec.Task.Allocator, n+1)
	var kept []int64
	for i := 0; i < n; i++ {
		if l.valid.get(i) {
			for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
				kept = append(kept, int64(j))
			}
		}
		offsets[i+1] = int32(len(kept))
	}
	values, err := gather(ec, l.values, kept)
	if err != nil {
		offsetBuffer.Release()
		return nil, err
	}
	defer values.Release()
	return makeNested(ec.Task.Allocator, a.DataType(), n, a, offsetBuffer, values.Data()), nil
}

func (l *listArgument) release() { l.array.Release() }

// elements returns the element values the rows use, a slice owned by the caller.
func (l *listArgument) elements() arrow.Array {
	return array.NewSlice(l.layout.values, int64(l.start), int64(l.end))
}

// elementRows returns the row of every element.
func (l *listArgument) elementRows() []int32 {
	rows := make([]int32, 0, l.end-l.start)
	for i := 0; i+1 < len(l.layout.offsets); i++ {
		for j := l.layout.offsets[i]; j < l.layout.offsets[i+1]; j++ {
			rows = append(rows, int32(i))
		}
	}
	return rows
}

// elementPositions returns every element's 0-based position in its array (transform's and
// filter's index parameter).
func (l *listArgument) elementPositions(mem memory.Allocator) arrow.Array {
	buf, out := newFixedBuffer[int32](mem, int(l.end-l.start))
	k := 0
	for i := 0; i+1 < len(l.layout.offsets); i++ {
		for j := l.layout.offsets[i]; j < l.layout.offsets[i+1]; j++ {
			out[k] = j - l.layout.offsets[i]
			k++
		}
	}
	return makeFixedArray(arrow.PrimitiveTypes.Int32, k, buf, nil)
}

// rebaseOffsets returns offsets shifted to start at zero, as a buffer for a new list.
func rebaseOffsets(mem memory.Allocator, offsets []int32) *memory.Buffer {
	buf, out := newFixedBuffer[int32](mem, len(offsets))
	for i, o := range offsets {
		out[i] = o - offsets[0]
	}
	return buf
}

// makeNested builds a list or map array of type t from a validity source, offsets and child.
func makeNested(mem memory.Allocator, t arrow.DataType, n int, validityOf arrow.Array, offsets *memory.Buffer, child arrow.ArrayData) arrow.Array {
	validity := newValidity(mem, n, validityOf)
	bits, nulls := validity.take()
	data := array.NewData(t, n, []*memory.Buffer{bits, offsets}, []arrow.ArrayData{child}, nulls, 0)
	if bits != nil {
		bits.Release()
	}
	offsets.Release()
	defer data.Release()
	return array.MakeFromData(data)
}

// lambdaParameters evaluates the parameters of a transform or filter lambda over a list.
func lambdaParameters(ec *EvalContext, lambda *logical.LambdaFunction, list *listArgument) []arrow.Array {
	parameters := []arrow.Array{list.elements()}
	if len(lambda.Variables) > 1 {
		parameters = append(parameters, list.elementPositions(ec.Task.Allocator))
	}
	return parameters
}

func arrayTransformKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	list, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer list.release()
	lambda := call.Args[1].(*logical.LambdaFunction)
	parameters := lambdaParameters(ec, lambda, list)
	defer releaseArrays(parameters)
	result, err := evalLambda(ec, lambda, batch, list.elementRows, parameters)
	if err != nil {
		return nil, err
	}
	defer result.Release()
	n := int(batch.NumRows())
	return datumOf(makeNested(ec.Task.Allocator, call.Type, n, list.array, rebaseOffsets(ec.Task.Allocator, list.layout.offsets), result.Data())), nil
}

// keptElements evaluates a predicate lambda and returns the new offsets and the kept elements'
// indices into the element range.
func keptElements(ec *EvalContext, lambda *logical.LambdaFunction, batch arrow.RecordBatch, list *listArgument, parameters []arrow.Array) (*memory.Buffer, []int64, error) {
	result, err := evalLambda(ec, lambda, batch, list.elementRows, parameters)
	if err != nil {
		return nil, nil, err
	}
	defer result.Release()
	keep, err := booleanArray(result)
	if err != nil {
		return nil, nil, err
	}
	offsets := list.layout.offsets
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, len(offsets))
	kept := make([]int64, 0, result.Len())
	for i := 0; i+1 < len(offsets); i++ {
		for j := offsets[i]; j < offsets[i+1]; j++ {
			k := int(j - list.start)
			if keep.IsValid(k) && keep.Value(k) {
				kept = append(kept, int64(k))
			}
		}
		out[i+1] = int32(len(kept))
	}
	return buf, kept, nil
}

func booleanArray(a arrow.Array) (*array.Boolean, error) {
	if a.DataType().ID() == arrow.NULL {
		return nil, errkind.Internal("a null-typed predicate reached a kernel")
	}
	b, ok := a.(*array.Boolean)
	if !ok {
		return nil, errkind.Internal("a lambda predicate returned %s, not boolean", a.DataType())
	}
	return b, nil
}

func arrayFilterKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	list, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer list.release()
	lambda := call.Args[1].(*logical.LambdaFunction)
	parameters := lambdaParameters(ec, lambda, list)
	defer releaseArrays(parameters)
	offsets, kept, err := keptElements(ec, lambda, batch, list, parameters)
	if err != nil {
		return nil, err
	}
	values, err := gather(ec, parameters[0], kept)
	if err != nil {
		offsets.Release()
		return nil, err
	}
	defer values.Release()
	return datumOf(makeNested(ec.Task.Allocator, call.Type, int(batch.NumRows()), list.array, offsets, values.Data())), nil
}

// arrayQuantifierKernel is exists (any) or forall (all) with Spark's three-valued logic: a null
// predicate result makes the answer null unless a true (exists) or false (forall) decides it.
func arrayQuantifierKernel(exists bool) LazyKernel {
	return func(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
		list, err := evalList(ec, call.Args[0], batch)
		if err != nil {
			return nil, err
		}
		defer list.release()
		lambda := call.Args[1].(*logical.LambdaFunction)
		parameters := []arrow.Array{list.elements()}
		defer releaseArrays(parameters)
		result, err := evalLambda(ec, lambda, batch, list.elementRows, parameters)
		if err != nil {
			return nil, err
		}
		defer result.Release()
		predicate, err := booleanArray(result)
		if err != nil {
			return nil, err
		}
		n := int(batch.NumRows())
		validity := newValidity(ec.Task.Allocator, n, list.array)
		out := newBoolOutput(ec.Task.Allocator, n)
		offsets := list.layout.offsets
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			decided, sawNull := false, false
			for j := offsets[i]; j < offsets[i+1] && !decided; j++ {
				k := int(j - list.start)
				switch {
				case !predicate.IsValid(k):
					sawNull = true
				case predicate.Value(k) == exists:
					decided = true
				}
			}
			switch {
			case decided:
				out.set(i, exists)
			case sawNull:
				validity.setNull(i)
			default:
				out.set(i, !exists)
			}
		}
		return datumOf(out.finish(n, validity)), nil
	}
}

// arrayAggregateKernel folds each array left to right: at position k the merge function runs once
// over the rows whose arrays have more than k elements.
func arrayAggregateKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	list, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer list.release()
	accumulator, err := EvalArray(ec, call.Args[1], batch)
	if err != nil {
		return nil, err
	}
	defer func() { accumulator.Release() }()
	merge := call.Args[2].(*logical.LambdaFunction)
	n := int(batch.NumRows())
	offsets := list.layout.offsets
	validity := newValidity(ec.Task.Allocator, n, list.array)
	defer validity.release()
	for position := int32(0); ; position++ {
		var rows []int32
		var elements []int64
		for i := 0; i < n; i++ {
			if validity.valid(i) && offsets[i+1]-offsets[i] > position {
				rows = append(rows, int32(i))
				elements = append(elements, int64(offsets[i]+position))
			}
		}
		if len(rows) == 0 {
			break
		}
		if err := ec.Ctx.Err(); err != nil {
			return nil, err
		}
		next, err := aggregateStep(ec, merge, batch, accumulator, list.layout.values, rows, elements)
		if err != nil {
			return nil, err
		}
		accumulator.Release()
		accumulator = next
	}
	result := accumulator
	if len(call.Args) == 4 {
		finished, err := evalLambda(ec, call.Args[3].(*logical.LambdaFunction), batch, nil, []arrow.Array{accumulator})
		if err != nil {
			return nil, err
		}
		defer finished.Release()
		result = finished
	}
	// A null array aggregates to null.
	return datumOf(AndValidity(ec.Task.Allocator, result, list.array)), nil
}

// aggregateStep runs the merge function on the given rows and returns the accumulator with
// those rows replaced.
func aggregateStep(ec *EvalContext, merge *logical.LambdaFunction, batch arrow.RecordBatch, accumulator, values arrow.Array, rows []int32, elements []int64) (arrow.Array, error) {
	n := accumulator.Len()
	rowIndices := int32Array(ec.Task.Allocator, rows)
	defer rowIndices.Release()
	current, err := compute.TakeArray(ec.ComputeContext(), accumulator, rowIndices)
	if err != nil {
		return nil, err
	}
	defer current.Release()
	element, err := gather(ec, values, elements)
	if err != nil {
		return nil, err
	}
	defer element.Release()
	merged, err := evalLambda(ec, merge, batch, func() []int32 { return rows }, []arrow.Array{current, element})
	if err != nil {
		return nil, err
	}
	defer merged.Release()
	if len(rows) == n {
		merged.Retain()
		return merged, nil
	}
	both, err := array.Concatenate([]arrow.Array{accumulator, merged}, ec.Task.Allocator)
	if err != nil {
		return nil, err
	}
	defer both.Release()
	picks := make([]int32, n)
	for i := range picks {
		picks[i] = int32(i)
	}
	for k, row := range rows {
		picks[row] = int32(n + k)
	}
	pickIndices := int32Array(ec.Task.Allocator, picks)
	defer pickIndices.Release()
	return compute.TakeArray(ec.ComputeContext(), both, pickIndices)
}

// arrayZipWithKernel pairs the elements of two arrays, padding the shorter with nulls; a null
// array gives a null result.
func arrayZipWithKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
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
	n := int(batch.NumRows())
	validity := newValidity(ec.Task.Allocator, n, left.array, right.array)
	defer validity.release()
	offsetBuffer, offsets := newFixedBuffer[int32](ec.Task.Allocator, n+1)
	var rows []int32
	var leftIndices, rightIndices []int64
	lo, ro := left.layout.offsets, right.layout.offsets
	for i := 0; i < n; i++ {
		length := int32(0)
		if validity.valid(i) {
			length = max(lo[i+1]-lo[i], ro[i+1]-ro[i])
		}
		for k := int32(0); k < length; k++ {
			rows = append(rows, int32(i))
			leftIndices = append(leftIndices, elementIndex(lo, i, k))
			rightIndices = append(rightIndices, elementIndex(ro, i, k))
		}
		offsets[i+1] = offsets[i] + length
	}
	leftValues, err := gather(ec, left.layout.values, leftIndices)
	if err != nil {
		offsetBuffer.Release()
		return nil, err
	}
	defer leftValues.Release()
	rightValues, err := gather(ec, right.layout.values, rightIndices)
	if err != nil {
		offsetBuffer.Release()
		return nil, err
	}
	defer rightValues.Release()
	result, err := evalLambda(ec, call.Args[2].(*logical.LambdaFunction), batch, func() []int32 { return rows }, []arrow.Array{leftValues, rightValues})
	if err != nil {
		offsetBuffer.Release()
		return nil, err
	}
	defer result.Release()
	bits, nulls := validity.take()
	data := array.NewData(call.Type, n, []*memory.Buffer{bits, offsetBuffer}, []arrow.ArrayData{result.Data()}, nulls, 0)
	if bits != nil {
		bits.Release()
	}
	offsetBuffer.Release()
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}

// elementIndex is the index of the k-th element of row i, or -1 (null) past its end.
func elementIndex(offsets []int32, i int, k int32) int64 {
	if offsets[i]+k < offsets[i+1] {
		return int64(offsets[i] + k)
	}
	return -1
}

// mapLambdaKernel is transform_keys, transform_values and map_filter: the lambda takes each
// entry's key and value.
func mapLambdaKernel(ec *EvalContext, call *logical.Call, batch arrow.RecordBatch) (compute.Datum, error) {
	list, err := evalList(ec, call.Args[0], batch)
	if err != nil {
		return nil, err
	}
	defer list.release()
	entries := list.elements().(*array.Struct)
	defer entries.Release()
	keys, items := entries.Field(0), entries.Field(1)
	lambda := call.Args[1].(*logical.LambdaFunction)
	parameters := []arrow.Array{keys, items}
	n := int(batch.NumRows())
	mem := ec.Task.Allocator
	if call.Function == "map_filter" {
		offsets, kept, err := keptElements(ec, lambda, batch, list, parameters)
		if err != nil {
			return nil, err
		}
		filtered, err := gather(ec, entries, kept)
		if err != nil {
			offsets.Release()
			return nil, err
		}
		defer filtered.Release()
		return datumOf(makeNested(mem, call.Type, n, list.array, offsets, filtered.Data())), nil
	}
	result, err := evalLambda(ec, lambda, batch, list.elementRows, parameters)
	if err != nil {
		return nil, err
	}
	defer result.Release()
	unchanged := keys
	if call.Function == "map_transform_keys" {
		if result.NullN() > 0 {
			return nil, errkind.Invalid("[NULL_MAP_KEY] Cannot use null as map key: transform_keys(%s) produced a null key", call.Args[0].String())
		}
		unchanged = items
		if err := checkDistinctKeys(result, list.layout.offsets, list.start); err != nil {
			return nil, err
		}
	}
	// A struct's children share its offset, so the kept side must not be a slice.
	unchanged, err = unsliced(mem, unchanged)
	if err != nil {
		return nil, err
	}
	defer unchanged.Release()
	newKeys, newItems := unchanged, result
	if call.Function == "map_transform_keys" {
		newKeys, newItems = result, unchanged
	}
	entryType := call.Type.(*arrow.MapType).Elem()
	structData := array.NewData(entryType, newKeys.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{newKeys.Data(), newItems.Data()}, 0, 0)
	defer structData.Release()
	return datumOf(makeNested(mem, call.Type, n, list.array, rebaseOffsets(mem, list.layout.offsets), structData)), nil
}

// unsliced returns a (retained) with offset zero, copying when it is a slice.
func unsliced(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	if a.Data().Offset() == 0 {
		a.Retain()
		return a, nil
	}
	return array.Concatenate([]arrow.Array{a}, mem)
}

// checkDistinctKeys enforces Spark's default spark.sql.mapKeyDedupPolicy=EXCEPTION on the keys
// transform_keys produced: a row's keys must be distinct. Keys compare by their text form, which
// is exact for every key type Spark allows (atomic types).
func checkDistinctKeys(keys arrow.Array, offsets []int32, start int32) error {
	seen := map[string]struct{}{}
	for i := 0; i+1 < len(offsets); i++ {
		if offsets[i+1]-offsets[i] < 2 {
			continue
		}
		clear(seen)
		for j := offsets[i]; j < offsets[i+1]; j++ {
			text := keys.ValueStr(int(j - start))
			if _, duplicate := seen[text]; duplicate {
				return errkind.Invalid("[DUPLICATED_MAP_KEY] Duplicate map key %s was found, please check the input data; transform_keys must map distinct keys to distinct keys", text)
			}
			seen[text] = struct{}{}
		}
	}
	return nil
}
