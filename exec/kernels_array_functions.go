package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Array and map functions (planner/analyzer/fn_array_functions.go). As in kernels_collection.go,
// each kernel chooses element positions (in one pool of element values) per row and gathers
// them with arrow's take, so one code path serves every element type; elements are compared
// with the sort's valueComparator (Spark's ordering: NaN equals NaN, -0.0 equals 0.0).

func init() {
	RegisterKernel("array_extreme", arrayExtremeKernel)
	RegisterKernel("array_position", arrayPositionKernel)
	RegisterKernel("array_remove", arrayRemoveKernel)
	RegisterKernel("slice", sliceKernel)
	RegisterKernel("array_compact", arrayCompactKernel)
	RegisterKernel("flatten", flattenKernel)
	RegisterKernel("array_set_operation", arraySetOperationKernel)
	RegisterKernel("arrays_overlap", arraysOverlapKernel)
	RegisterKernel("arrays_zip", arraysZipKernel)
	RegisterKernel("array_add_element", arrayAddElementKernel)
	RegisterKernel("array_repeat", arrayRepeatKernel)
	RegisterKernel("concat_arrays", concatArraysKernel)
	RegisterKernel("map_entries", mapEntriesKernel)
	RegisterKernel("map_from_arrays", mapFromArraysKernel)
	RegisterKernel("map_from_entries", mapFromEntriesKernel)
	RegisterKernel("map_concat", mapConcatKernel)
}

// elementPool is the element values of several list arrays, concatenated, with each list's
// offsets shifted into the pool.
type elementPool struct {
	values  arrow.Array
	lists   []listLayout
	shift   []int32
	compare func(i, j int) int
	valid   bitmap
}

func newElementPool(ec *EvalContext, arrays []arrow.Array) (*elementPool, error) {
	p := &elementPool{lists: make([]listLayout, len(arrays)), shift: make([]int32, len(arrays))}
	children := make([]arrow.Array, len(arrays))
	total := int32(0)
	for k, a := range arrays {
		l, ok := listOf(a)
		if !ok {
			return nil, errkind.Internal("expected an array, got %s", a.DataType())
		}
		p.lists[k], p.shift[k], children[k] = l, total, l.values
		total += int32(l.values.Len())
	}
	if len(children) == 1 {
		children[0].Retain()
		p.values = children[0]
	} else {
		all, err := array.Concatenate(children, ec.Task.Allocator)
		if err != nil {
			return nil, err
		}
		p.values = all
	}
	p.compare = valueComparator(p.values, p.values)
	p.valid = validityBitmap(p.values)
	return p, nil
}

func (p *elementPool) release() { p.values.Release() }

// elements returns the pool positions of list k's row i.
func (p *elementPool) elements(k, i int) []int64 {
	l := p.lists[k]
	out := make([]int64, 0, l.offsets[i+1]-l.offsets[i])
	for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
		out = append(out, int64(j+p.shift[k]))
	}
	return out
}

// equal compares two pool elements, nulls equal to each other.
func (p *elementPool) equal(i, j int64) bool {
	vi, vj := p.valid.get(int(i)), p.valid.get(int(j))
	if !vi || !vj {
		return vi == vj
	}
	return p.compare(int(i), int(j)) == 0
}

// listBuilder collects, row by row, the pool positions of each output list.
type listBuilder struct {
	offsets []int32
	indices []int64
}

func newListBuilder(n int) *listBuilder { return &listBuilder{offsets: make([]int32, 1, n+1)} }

func (b *listBuilder) endRow() { b.offsets = append(b.offsets, int32(len(b.indices))) }

// finish gathers the chosen elements and builds the list array (taking validity).
func (b *listBuilder) finish(ec *EvalContext, t arrow.DataType, values arrow.Array, validity *validityBuilder) (compute.Datum, error) {
	gathered, err := gather(ec, values, b.indices)
	if err != nil {
		validity.release()
		return nil, err
	}
	defer gathered.Release()
	return datumOf(makeList(ec.Task.Allocator, t, b.offsets, gathered, validity)), nil
}

func scalarBool(d compute.Datum) bool {
	if s, ok := scalarArg(d); ok && s.IsValid() {
		return s.(interface{ String() string }).String() == "true"
	}
	return false
}

func scalarText(d compute.Datum) string {
	if s, ok := scalarArg(d); ok && s.IsValid() {
		return s.(interface{ String() string }).String()
	}
	return ""
}

// arrayExtremeKernel is array_max / array_min: nulls skipped, null for an empty array.
func arrayExtremeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	greatest := scalarBool(args[1])
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays)
	if err != nil {
		return nil, err
	}
	defer p.release()
	n := int(length)
	indices := make([]int64, n)
	for i := 0; i < n; i++ {
		indices[i] = -1
		if !p.lists[0].valid.get(i) {
			continue
		}
		for _, e := range p.elements(0, i) {
			if !p.valid.get(int(e)) {
				continue
			}
			if indices[i] < 0 {
				indices[i] = e
				continue
			}
			c := p.compare(int(e), int(indices[i]))
			if greatest && c > 0 || !greatest && c < 0 {
				indices[i] = e
			}
		}
	}
	out, err := gather(ec, p.values, indices)
	if err != nil {
		return nil, err
	}
	return datumOf(out), nil
}

// valueInPool evaluates an array argument and a value argument into one pool: the value of row
// i is at pool position valueAt(i).
func arrayAndValue(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (*elementPool, []arrow.Array, func(i int) int64, error) {
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, nil, nil, err
	}
	// The values become a one-element list per row so they share the pool.
	n := int(length)
	valueLists := makeList(ec.Task.Allocator, arrow.ListOf(arrays[1].DataType()), evenOffsets(n, 1), arrays[1], nil)
	defer valueLists.Release()
	p, err := newElementPool(ec, []arrow.Array{arrays[0], valueLists})
	if err != nil {
		releaseArrays(arrays)
		return nil, nil, nil, err
	}
	return p, arrays, func(i int) int64 { return int64(p.shift[1]) + int64(i) }, nil
}

// arrayPositionKernel: the 1-based position of the first element equal to the value, 0 if none.
func arrayPositionKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	p, arrays, valueAt, err := arrayAndValue(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		v := valueAt(i)
		for k, e := range p.elements(0, i) {
			if p.valid.get(int(e)) && p.compare(int(e), int(v)) == 0 {
				out[i] = int64(k + 1)
				break
			}
		}
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
}

// arrayRemoveKernel drops every element equal to the value (nulls stay); null value, null result.
func arrayRemoveKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	p, arrays, valueAt, err := arrayAndValue(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			v := valueAt(i)
			for _, e := range p.elements(0, i) {
				if !p.valid.get(int(e)) || p.compare(int(e), int(v)) != 0 {
					b.indices = append(b.indices, e)
				}
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

// sliceKernel is slice(array, start, length): start is 1-based, negative counts from the end.
func sliceKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays[:1])
	if err != nil {
		return nil, err
	}
	defer p.release()
	starts, counts := values[int32](arrays[1]), values[int32](arrays[2])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			elements := p.elements(0, i)
			start, count := int(starts[i]), int(counts[i])
			switch {
			case start == 0:
				validity.release()
				return nil, errkind.Invalid("[INVALID_PARAMETER_VALUE.START] The value of parameter(s) `start` in `slice` is invalid: Expects a positive or a negative value for `start`, but got 0")
			case count < 0:
				validity.release()
				return nil, errkind.Invalid("[INVALID_PARAMETER_VALUE.LENGTH] The value of parameter(s) `length` in `slice` is invalid: Expects `length` greater than or equal to 0, but got %d", count)
			}
			from := start - 1
			if start < 0 {
				from = len(elements) + start
			}
			if from >= 0 && from < len(elements) {
				b.indices = append(b.indices, elements[from:min(len(elements), from+count)]...)
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

func arrayCompactKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays)
	if err != nil {
		return nil, err
	}
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for _, e := range p.elements(0, i) {
				if p.valid.get(int(e)) {
					b.indices = append(b.indices, e)
				}
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

// flattenKernel concatenates the inner arrays; a null inner array makes the row null.
func flattenKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	outer, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("flatten on %s", arrays[0].DataType())
	}
	inner, ok := listOf(outer.values)
	if !ok {
		return nil, errkind.Internal("flatten on %s", arrays[0].DataType())
	}
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			mark := len(b.indices)
			for j := outer.offsets[i]; j < outer.offsets[i+1]; j++ {
				if !inner.valid.get(int(j)) {
					b.indices = b.indices[:mark]
					validity.setNull(i)
					break
				}
				for k := inner.offsets[j]; k < inner.offsets[j+1]; k++ {
					b.indices = append(b.indices, int64(k))
				}
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, inner.values, validity)
}

// appendDistinct appends e to kept unless an equal element is there already.
func appendDistinct(p *elementPool, kept []int64, e int64) []int64 {
	for _, k := range kept {
		if p.equal(k, e) {
			return kept
		}
	}
	return append(kept, e)
}

func containsElement(p *elementPool, elements []int64, e int64) bool {
	for _, k := range elements {
		if p.equal(k, e) {
			return true
		}
	}
	return false
}

// arraySetOperationKernel is array_union, array_intersect and array_except: distinct elements,
// in the order of the first array (then the second's for a union).
func arraySetOperationKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	operation := scalarText(args[2])
	arrays, err := argArrays(ec, call, args[:2], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays)
	if err != nil {
		return nil, err
	}
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			left, right := p.elements(0, i), p.elements(1, i)
			var kept []int64
			for _, e := range left {
				switch operation {
				case "array_intersect":
					if !containsElement(p, right, e) {
						continue
					}
				case "array_except":
					if containsElement(p, right, e) {
						continue
					}
				}
				kept = appendDistinct(p, kept, e)
			}
			if operation == "array_union" {
				for _, e := range right {
					kept = appendDistinct(p, kept, e)
				}
			}
			b.indices = append(b.indices, kept...)
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

// arraysOverlapKernel: true when the arrays share a non-null element; otherwise null when both
// are non-empty and either holds a null; otherwise false.
func arraysOverlapKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays)
	if err != nil {
		return nil, err
	}
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newBoolOutput(ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		left, right := p.elements(0, i), p.elements(1, i)
		found, sawNull := false, false
		for _, l := range left {
			if !p.valid.get(int(l)) {
				sawNull = true
				continue
			}
			for _, r := range right {
				if !p.valid.get(int(r)) {
					sawNull = true
					continue
				}
				if p.compare(int(l), int(r)) == 0 {
					found = true
					break
				}
			}
			if found {
				break
			}
		}
		out.set(i, found)
		if !found && sawNull && len(left) > 0 && len(right) > 0 {
			validity.setNull(i)
		}
	}
	return datumOf(out.finish(n, validity)), nil
}

// arraysZipKernel: the i-th struct holds every array's i-th element (null past an array's end).
func arraysZipKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	structType := call.Type.(*arrow.ListType).Elem().(*arrow.StructType)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	lists := make([]listLayout, len(arrays))
	for k, a := range arrays {
		lists[k], _ = listOf(a)
	}
	offsets := make([]int32, 1, n+1)
	fieldIndices := make([][]int64, len(arrays))
	total := 0
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			longest := int32(0)
			for _, l := range lists {
				longest = max(longest, l.offsets[i+1]-l.offsets[i])
			}
			for k, l := range lists {
				for j := int32(0); j < longest; j++ {
					index := int64(-1)
					if j < l.offsets[i+1]-l.offsets[i] {
						index = int64(l.offsets[i] + j)
					}
					fieldIndices[k] = append(fieldIndices[k], index)
				}
			}
			total += int(longest)
		}
		offsets = append(offsets, int32(total))
	}
	children := make([]arrow.ArrayData, len(arrays))
	for k, l := range lists {
		field, err := gather(ec, l.values, fieldIndices[k])
		if err != nil {
			validity.release()
			return nil, err
		}
		defer field.Release()
		children[k] = field.Data()
	}
	structs := array.NewData(structType, total, []*memory.Buffer{nil}, children, 0, 0)
	defer structs.Release()
	structArray := array.MakeFromData(structs)
	defer structArray.Release()
	return datumOf(makeList(ec.Task.Allocator, call.Type, offsets, structArray, validity)), nil
}

// arrayAddElementKernel is array_append / array_prepend (the value may be null).
func arrayAddElementKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	prepend := scalarBool(args[2])
	p, arrays, valueAt, err := arrayAndValue(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays[0])
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			if prepend {
				b.indices = append(b.indices, valueAt(i))
			}
			b.indices = append(b.indices, p.elements(0, i)...)
			if !prepend {
				b.indices = append(b.indices, valueAt(i))
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

// arrayRepeatKernel is array_repeat(value, count): a negative count gives an empty array.
func arrayRepeatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	counts := values[int32](arrays[1])
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays[1])
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			if len(b.indices)+int(counts[i]) > maxSequenceLength {
				validity.release()
				return nil, errkind.Invalid("[COLLECTION_SIZE_LIMIT_EXCEEDED.PARAMETER] Can't create array with %d elements which exceeding the array size limit %d", counts[i], maxSequenceLength)
			}
			for k := int32(0); k < counts[i]; k++ {
				b.indices = append(b.indices, int64(i))
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, arrays[0], validity)
}

// concatArraysKernel is concat over arrays: null when any argument is null.
func concatArraysKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	p, err := newElementPool(ec, arrays)
	if err != nil {
		return nil, err
	}
	defer p.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	b := newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for k := range arrays {
				b.indices = append(b.indices, p.elements(k, i)...)
			}
		}
		b.endRow()
	}
	return b.finish(ec, call.Type, p.values, validity)
}

// mapEntriesKernel: the map's entries as an array of (key, value) structs, sharing its buffers.
func mapEntriesKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	m, ok := arrays[0].(*array.Map)
	if !ok {
		return nil, errkind.Internal("map_entries on %s", arrays[0].DataType())
	}
	entryType := call.Type.(*arrow.ListType).Elem()
	entries := m.Data().Children()[0]
	retyped := array.NewData(entryType, entries.Len(), entries.Buffers(), entries.Children(), entries.NullN(), entries.Offset())
	defer retyped.Release()
	d := m.Data()
	data := array.NewData(call.Type, d.Len(), d.Buffers()[:2], []arrow.ArrayData{retyped}, d.NullN(), d.Offset())
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}

// buildMap makes a map array from per-row key and item positions, failing on a null or
// repeated key as Spark does (spark.sql.mapKeyDedupPolicy=EXCEPTION).
func buildMap(ec *EvalContext, call *logical.Call, keys, items *elementPool, keyRows, itemRows *listBuilder, validity *validityBuilder) (compute.Datum, error) {
	for row := 0; row+1 < len(keyRows.offsets); row++ {
		rowKeys := keyRows.indices[keyRows.offsets[row]:keyRows.offsets[row+1]]
		for a, k := range rowKeys {
			if !keys.valid.get(int(k)) {
				validity.release()
				return nil, errkind.Invalid("[NULL_MAP_KEY] Cannot use null as map key in %s", call.String())
			}
			for _, earlier := range rowKeys[:a] {
				if keys.compare(int(earlier), int(k)) == 0 {
					validity.release()
					return nil, errkind.Invalid("[DUPLICATED_MAP_KEY] Duplicate map key %s was found in %s, please check the input data. If you want to remove the duplicated keys, you can set spark.sql.mapKeyDedupPolicy to LAST_WIN so that the key inserted at last takes precedence",
						keys.values.ValueStr(int(k)), call.String())
				}
			}
		}
	}
	mt := call.Type.(*arrow.MapType)
	keyValues, err := gather(ec, keys.values, keyRows.indices)
	if err != nil {
		validity.release()
		return nil, err
	}
	defer keyValues.Release()
	itemValues, err := gather(ec, items.values, itemRows.indices)
	if err != nil {
		validity.release()
		return nil, err
	}
	defer itemValues.Release()
	entries := array.NewData(mt.Elem(), keyValues.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keyValues.Data(), itemValues.Data()}, 0, 0)
	defer entries.Release()
	n := len(keyRows.offsets) - 1
	offsetBuf, o := newFixedBuffer[int32](ec.Task.Allocator, n+1)
	copy(o, keyRows.offsets)
	vbuf, nulls := validity.take()
	data := array.NewData(mt, n, []*memory.Buffer{vbuf, offsetBuf}, []arrow.ArrayData{entries}, nulls, 0)
	offsetBuf.Release()
	if vbuf != nil {
		vbuf.Release()
	}
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}

// mapFromArraysKernel pairs the i-th key with the i-th value; the arrays must be as long.
func mapFromArraysKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	keys, err := newElementPool(ec, arrays[:1])
	if err != nil {
		return nil, err
	}
	defer keys.release()
	items, err := newElementPool(ec, arrays[1:])
	if err != nil {
		return nil, err
	}
	defer items.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	keyRows, itemRows := newListBuilder(n), newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			k, v := keys.elements(0, i), items.elements(0, i)
			if len(k) != len(v) {
				validity.release()
				return nil, errkind.Invalid("[MAP_FROM_ARRAYS_LENGTH_MISMATCH] map_from_arrays needs key and value arrays of one length, but row %d has %d keys and %d values", i, len(k), len(v))
			}
			keyRows.indices = append(keyRows.indices, k...)
			itemRows.indices = append(itemRows.indices, v...)
		}
		keyRows.endRow()
		itemRows.endRow()
	}
	return buildMap(ec, call, keys, items, keyRows, itemRows, validity)
}

// mapFromEntriesKernel builds a map from an array of (key, value) structs; a null entry makes
// the row null.
func mapFromEntriesKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("map_from_entries on %s", arrays[0].DataType())
	}
	structs, ok := l.values.(*array.Struct)
	if !ok {
		return nil, errkind.Internal("map_from_entries on %s", arrays[0].DataType())
	}
	structValid := validityBitmap(structs)
	keyLists := makeList(ec.Task.Allocator, arrow.ListOf(structs.Field(0).DataType()), l.offsets, structs.Field(0), nil)
	defer keyLists.Release()
	itemLists := makeList(ec.Task.Allocator, arrow.ListOf(structs.Field(1).DataType()), l.offsets, structs.Field(1), nil)
	defer itemLists.Release()
	keys, err := newElementPool(ec, []arrow.Array{keyLists})
	if err != nil {
		return nil, err
	}
	defer keys.release()
	items, err := newElementPool(ec, []arrow.Array{itemLists})
	if err != nil {
		return nil, err
	}
	defer items.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	keyRows, itemRows := newListBuilder(n), newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
				if !structValid.get(int(j)) {
					validity.setNull(i)
					break
				}
			}
			if validity.valid(i) {
				keyRows.indices = append(keyRows.indices, keys.elements(0, i)...)
				itemRows.indices = append(itemRows.indices, items.elements(0, i)...)
			}
		}
		keyRows.endRow()
		itemRows.endRow()
	}
	return buildMap(ec, call, keys, items, keyRows, itemRows, validity)
}

// mapConcatKernel joins the maps' entries; null when any map is null.
func mapConcatKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	keyLists := make([]arrow.Array, len(arrays))
	itemLists := make([]arrow.Array, len(arrays))
	for k, a := range arrays {
		m := a.(*array.Map)
		l, _ := listOf(m)
		keyLists[k] = makeList(ec.Task.Allocator, arrow.ListOf(m.Keys().DataType()), l.offsets, m.Keys(), nil)
		itemLists[k] = makeList(ec.Task.Allocator, arrow.ListOf(m.Items().DataType()), l.offsets, m.Items(), nil)
	}
	defer releaseArrays(keyLists)
	defer releaseArrays(itemLists)
	keys, err := newElementPool(ec, keyLists)
	if err != nil {
		return nil, err
	}
	defer keys.release()
	items, err := newElementPool(ec, itemLists)
	if err != nil {
		return nil, err
	}
	defer items.release()
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	keyRows, itemRows := newListBuilder(n), newListBuilder(n)
	for i := 0; i < n; i++ {
		if validity.valid(i) {
			for k := range arrays {
				keyRows.indices = append(keyRows.indices, keys.elements(k, i)...)
				itemRows.indices = append(itemRows.indices, items.elements(k, i)...)
			}
		}
		keyRows.endRow()
		itemRows.endRow()
	}
	return buildMap(ec, call, keys, items, keyRows, itemRows, validity)
}
