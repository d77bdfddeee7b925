package exec

import (
	"bytes"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Collection functions over list, map and struct arrays. Element values are never read one by
// one through interfaces: each kernel computes an index array over the child values (which
// element each output comes from) and gathers with arrow's take, so one code path serves every
// element type.

func init() {
	RegisterKernel("size", sizeKernel)
	RegisterKernel("element_at", elementAtKernel(true))
	RegisterKernel("element_at_legacy", elementAtKernel(false))
	RegisterKernel("get_item", getItemKernel(true))
	RegisterKernel("get_item_legacy", getItemKernel(false))
	RegisterKernel("map_lookup", mapLookupKernel)
	RegisterKernel("array_contains", arrayContainsKernel)
	RegisterKernel("make_array", makeArrayKernel)
	RegisterKernel("make_struct", makeStructKernel)
	RegisterKernel("make_map", makeMapKernel)
	RegisterKernel("map_keys", mapPartKernel(true))
	RegisterKernel("map_values", mapPartKernel(false))
	RegisterKernel("sort_array", sortArrayKernel)
	RegisterKernel("array_sort", arraySortKernel)
	RegisterKernel("array_join", arrayJoinKernel)
	RegisterKernel("array_distinct", arrayDistinctKernel)
}

// listLayout exposes a list or map array's offsets (adjusted for the array offset) and values.
type listLayout struct {
	offsets []int32
	values  arrow.Array
	valid   bitmap
}

func listOf(a arrow.Array) (listLayout, bool) {
	switch l := a.(type) {
	case *array.Map:
		d := a.Data()
		offsets := arrow.GetData[int32](d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()+1]
		return listLayout{offsets: offsets, values: l.ListValues(), valid: validityBitmap(a)}, true
	case *array.List:
		d := a.Data()
		var offsets []int32
		if d.Buffers()[1] != nil && d.Buffers()[1].Len() > 0 {
			offsets = arrow.GetData[int32](d.Buffers()[1].Bytes())[d.Offset() : d.Offset()+d.Len()+1]
		} else {
			offsets = make([]int32, d.Len()+1)
		}
		return listLayout{offsets: offsets, values: l.ListValues(), valid: validityBitmap(a)}, true
	}
	return listLayout{}, false
}

func sizeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("size on %s", arrays[0].DataType())
	}
	n := int(length)
	buf, out := newFixedBuffer[int32](ec.Task.Allocator, n)
	for i := range out {
		out[i] = l.offsets[i+1] - l.offsets[i]
	}
	return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int32, n, buf, newValidity(ec.Task.Allocator, n, arrays[0]))), nil
}

// gather takes values at indices (-1 means null) into a new array of values' type.
func gather(ec *EvalContext, values arrow.Array, indices []int64) (arrow.Array, error) {
	n := len(indices)
	validity := newValidity(ec.Task.Allocator, n)
	buf, idx := newFixedBuffer[int64](ec.Task.Allocator, n)
	for i, v := range indices {
		if v < 0 {
			validity.setNull(i)
			continue
		}
		idx[i] = v
	}
	indexArray := makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)
	defer indexArray.Release()
	return compute.TakeArray(ec.ComputeContext(), values, indexArray)
}

// elementAtKernel is element_at(array, i): 1-based, negative counts from the end; 0 is an error;
// out of bounds is an error in ANSI mode and null otherwise.
func elementAtKernel(ansi bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		return arrayIndexKernel(ec, call, args, length, ansi, true)
	}
}

// getItemKernel is arr[i] (getItem): 0-based.
func getItemKernel(ansi bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		return arrayIndexKernel(ec, call, args, length, ansi, false)
	}
}

func arrayIndexKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64, ansi, oneBased bool) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("element_at on %s", arrays[0].DataType())
	}
	pos := values[int32](arrays[1])
	posValid := validityBitmap(arrays[1])
	n := int(length)
	indices := make([]int64, n)
	for i := 0; i < n; i++ {
		indices[i] = -1
		if !l.valid.get(i) || !posValid.get(i) {
			continue
		}
		size := int64(l.offsets[i+1] - l.offsets[i])
		p := int64(pos[i])
		var k int64
		switch {
		case !oneBased:
			k = p
		case p == 0:
			return nil, errkind.Invalid("[INVALID_INDEX_OF_ZERO] The index 0 is invalid in %s: an index shall be either < 0 or > 0 (the first element has index 1)", call.String())
		case p > 0:
			k = p - 1
		default:
			k = size + p
		}
		if k < 0 || k >= size {
			if ansi && oneBased {
				return nil, errkind.Invalid("[INVALID_ARRAY_INDEX_IN_ELEMENT_AT] The index %d is out of bounds in %s: the array has %d elements. Use try_element_at or set spark.sql.ansi.enabled=false to get NULL instead", p, call.String(), size)
			}
			if ansi {
				return nil, errkind.Invalid("[INVALID_ARRAY_INDEX] The index %d is out of bounds in %s: the array has %d elements. Use try_element_at or set spark.sql.ansi.enabled=false to get NULL instead", p, call.String(), size)
			}
			continue
		}
		indices[i] = int64(l.offsets[i]) + k
	}
	out, err := gather(ec, l.values, indices)
	if err != nil {
		return nil, err
	}
	return datumOf(out), nil
}

// elementsEqual compares, for every element of a list column, the element with the row's key;
// it returns one boolean per element (null where either is null).
func elementsEqual(ec *EvalContext, elementValues arrow.Array, offsets []int32, keys arrow.Array) (*array.Boolean, error) {
	count := int(offsets[len(offsets)-1] - offsets[0])
	rowOf := make([]int64, count)
	for i := 0; i+1 < len(offsets); i++ {
		for j := offsets[i]; j < offsets[i+1]; j++ {
			rowOf[j-offsets[0]] = int64(i)
		}
	}
	repeated, err := gather(ec, keys, rowOf)
	if err != nil {
		return nil, err
	}
	defer repeated.Release()
	elems := array.NewSlice(elementValues, int64(offsets[0]), int64(offsets[len(offsets)-1]))
	defer elems.Release()
	call := &logical.Call{Function: "eq", Args: []logical.Expr{logical.NullLiteral(elems.DataType()), logical.NullLiteral(repeated.DataType())}, Type: arrow.FixedWidthTypes.Boolean}
	a, b := compute.NewDatum(elems), compute.NewDatum(repeated)
	defer a.Release()
	defer b.Release()
	eq, err := comparisonKernel("eq", "equal")(ec, call, []compute.Datum{a, b}, int64(count))
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	arr, err := DatumToArray(ec, eq, int64(count), arrow.FixedWidthTypes.Boolean)
	if err != nil {
		return nil, err
	}
	return arr.(*array.Boolean), nil
}

// mapLookupKernel is map[key] / element_at(map, key): null when the key is absent.
func mapLookupKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	m, ok := arrays[0].(*array.Map)
	if !ok {
		return nil, errkind.Internal("map lookup on %s", arrays[0].DataType())
	}
	l, _ := listOf(m)
	eq, err := elementsEqual(ec, m.Keys(), l.offsets, arrays[1])
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	eqValid, eqBits := validityBitmap(eq), boolValues(eq)
	n := int(length)
	indices := make([]int64, n)
	base := l.offsets[0]
	for i := 0; i < n; i++ {
		indices[i] = -1
		if !l.valid.get(i) {
			continue
		}
		for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
			k := int(j - base)
			if eqValid.get(k) && eqBits.get(k) {
				indices[i] = int64(j)
				break
			}
		}
	}
	out, err := gather(ec, m.Items(), indices)
	if err != nil {
		return nil, err
	}
	return datumOf(out), nil
}

// arrayContainsKernel: true when an element equals the value, null when none does but the
// array holds a null, false otherwise; null for a null array or value.
func arrayContainsKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("array_contains on %s", arrays[0].DataType())
	}
	eq, err := elementsEqual(ec, l.values, l.offsets, arrays[1])
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	eqValid, eqBits := validityBitmap(eq), boolValues(eq)
	n := int(length)
	validity := newValidity(ec.Task.Allocator, n, arrays...)
	out := newBoolOutput(ec.Task.Allocator, n)
	base := l.offsets[0]
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		found, sawNull := false, false
		for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
			k := int(j - base)
			if !eqValid.get(k) {
				sawNull = true
			} else if eqBits.get(k) {
				found = true
				break
			}
		}
		out.set(i, found)
		if !found && sawNull {
			validity.setNull(i)
		}
	}
	return datumOf(out.finish(n, validity)), nil
}

// interleave returns the rows of the arrays interleaved (row 0 of each, then row 1, ...).
func interleave(ec *EvalContext, arrays []arrow.Array, t arrow.DataType) (arrow.Array, error) {
	if len(arrays) == 0 {
		return array.MakeArrayOfNull(ec.Task.Allocator, t, 0), nil
	}
	all, err := array.Concatenate(arrays, ec.Task.Allocator)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	n, k := arrays[0].Len(), len(arrays)
	indices := make([]int64, n*k)
	for i := 0; i < n; i++ {
		for j := 0; j < k; j++ {
			indices[i*k+j] = int64(j*n + i)
		}
	}
	return gather(ec, all, indices)
}

func evenOffsets(n, k int) []int32 {
	offsets := make([]int32, n+1)
	for i := range offsets {
		offsets[i] = int32(i * k)
	}
	return offsets
}

func makeArrayKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	elem := call.Type.(*arrow.ListType).Elem()
	vals, err := interleave(ec, arrays, elem)
	if err != nil {
		return nil, err
	}
	defer vals.Release()
	return datumOf(makeList(ec.Task.Allocator, call.Type, evenOffsets(int(length), len(arrays)), vals, nil)), nil
}

func makeStructKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	st := call.Type.(*arrow.StructType)
	children := make([]arrow.ArrayData, len(arrays))
	for i, a := range arrays {
		children[i] = a.Data()
	}
	data := array.NewData(st, int(length), []*memory.Buffer{nil}, children, 0, 0)
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}

// makeMapKernel is map(k1, v1, k2, v2, ...); a null key is an error, as in Spark.
func makeMapKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	mt := call.Type.(*arrow.MapType)
	var keyArrays, itemArrays []arrow.Array
	for i := 0; i+1 < len(arrays); i += 2 {
		if arrays[i].NullN() > 0 {
			return nil, errkind.Invalid("[NULL_MAP_KEY] Cannot use null as map key in %s", call.String())
		}
		keyArrays = append(keyArrays, arrays[i])
		itemArrays = append(itemArrays, arrays[i+1])
	}
	keys, err := interleave(ec, keyArrays, mt.KeyType())
	if err != nil {
		return nil, err
	}
	defer keys.Release()
	items, err := interleave(ec, itemArrays, mt.ItemType())
	if err != nil {
		return nil, err
	}
	defer items.Release()
	entries := array.NewData(mt.Elem(), keys.Len(), []*memory.Buffer{nil}, []arrow.ArrayData{keys.Data(), items.Data()}, 0, 0)
	defer entries.Release()
	n := int(length)
	offsetBuf, o := newFixedBuffer[int32](ec.Task.Allocator, n+1)
	copy(o, evenOffsets(n, len(keyArrays)))
	data := array.NewData(mt, n, []*memory.Buffer{nil, offsetBuf}, []arrow.ArrayData{entries}, 0, 0)
	offsetBuf.Release()
	defer data.Release()
	return datumOf(array.MakeFromData(data)), nil
}

// mapPartKernel is map_keys/map_values: a list sharing the map's offsets and validity.
func mapPartKernel(keys bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		m, ok := arrays[0].(*array.Map)
		if !ok {
			return nil, errkind.Internal("map_keys on %s", arrays[0].DataType())
		}
		child := m.Items()
		if keys {
			child = m.Keys()
		}
		d := m.Data()
		data := array.NewData(call.Type, d.Len(), d.Buffers()[:2], []arrow.ArrayData{child.Data()}, d.NullN(), d.Offset())
		defer data.Release()
		return datumOf(array.MakeFromData(data)), nil
	}
}

// elementOrder returns a comparator over element positions of a values array (nulls first).
func elementOrder(elements arrow.Array) (func(i, j int) int, bool) {
	valid := validityBitmap(elements)
	nullsFirst := func(i, j int) (int, bool) {
		vi, vj := valid.get(i), valid.get(j)
		switch {
		case !vi && !vj:
			return 0, true
		case !vi:
			return -1, true
		case !vj:
			return 1, true
		}
		return 0, false
	}
	var cmp func(i, j int) int
	switch elements.DataType().ID() {
	case arrow.INT8:
		v := values[int8](elements)
		cmp = func(i, j int) int { return compareOrdered(v[i], v[j]) }
	case arrow.INT16:
		v := values[int16](elements)
		cmp = func(i, j int) int { return compareOrdered(v[i], v[j]) }
	case arrow.INT32, arrow.DATE32:
		v := values[int32](elements)
		cmp = func(i, j int) int { return compareOrdered(v[i], v[j]) }
	case arrow.INT64, arrow.TIMESTAMP:
		v := values[int64](elements)
		cmp = func(i, j int) int { return compareOrdered(v[i], v[j]) }
	case arrow.FLOAT32:
		v := values[float32](elements)
		cmp = func(i, j int) int { return compareFloats(v[i], v[j]) }
	case arrow.FLOAT64:
		v := values[float64](elements)
		cmp = func(i, j int) int { return compareFloats(v[i], v[j]) }
	case arrow.STRING:
		s := stringsOf(elements)
		cmp = func(i, j int) int { return bytes.Compare(s.at(i), s.at(j)) }
	case arrow.BOOL:
		b := boolValues(elements.(*array.Boolean))
		cmp = func(i, j int) int { return compareOrdered(boolInt(b.get(i)), boolInt(b.get(j))) }
	default:
		return nil, false
	}
	return func(i, j int) int {
		if c, done := nullsFirst(i, j); done {
			return c
		}
		return cmp(i, j)
	}, true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compareOrdered[T integer | ~int](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// sortArrayKernel: ascending puts nulls first, descending puts them last (Spark's sort_array).
func sortArrayKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	ascending := true
	if s, ok := args[1].(*compute.ScalarDatum); ok && s.Value.IsValid() {
		ascending = s.Value.(interface{ String() string }).String() == "true"
	}
	return reorderLists(ec, call, args[:1], length, func(cmp func(i, j int) int, elems []int64) []int64 {
		sort.SliceStable(elems, func(a, b int) bool {
			c := cmp(int(elems[a]), int(elems[b]))
			if ascending {
				return c < 0
			}
			return c > 0
		})
		return elems
	})
}

// arraySortKernel is array_sort without a comparator: ascending, nulls last (sort_array puts
// them first).
func arraySortKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args[:1], length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("array_sort on %s", arrays[0].DataType())
	}
	valid := validityBitmap(l.values)
	return reorderLists(ec, call, args[:1], length, func(cmp func(i, j int) int, elems []int64) []int64 {
		sort.SliceStable(elems, func(a, b int) bool {
			va, vb := valid.get(int(elems[a])), valid.get(int(elems[b]))
			if va != vb {
				return va
			}
			return va && cmp(int(elems[a]), int(elems[b])) < 0
		})
		return elems
	})
}

// arrayJoinKernel concatenates each array's strings with the delimiter, skipping nulls or
// writing the null replacement for them (Spark's array_join).
func arrayJoinKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("array_join on %s", arrays[0].DataType())
	}
	elements, ok := l.values.(*array.String)
	if !ok {
		return nil, errkind.Internal("array_join on arrays of %s", l.values.DataType())
	}
	delimiters := arrays[1].(*array.String)
	var replacements *array.String
	if len(arrays) > 2 {
		replacements = arrays[2].(*array.String)
	}
	b := array.NewStringBuilder(ec.Task.Allocator)
	defer b.Release()
	var sb strings.Builder
	for i := 0; i < int(length); i++ {
		if !l.valid.get(i) || delimiters.IsNull(i) || (replacements != nil && replacements.IsNull(i)) {
			b.AppendNull()
			continue
		}
		sb.Reset()
		first := true
		for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
			var text string
			switch {
			case elements.IsValid(int(j)):
				text = elements.Value(int(j))
			case replacements != nil:
				text = replacements.Value(i)
			default:
				continue
			}
			if !first {
				sb.WriteString(delimiters.Value(i))
			}
			sb.WriteString(text)
			first = false
		}
		b.Append(sb.String())
	}
	return datumOf(b.NewArray()), nil
}

// arrayDistinctKernel keeps the first occurrence of each value (one null at most).
func arrayDistinctKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	return reorderLists(ec, call, args, length, func(cmp func(i, j int) int, elems []int64) []int64 {
		kept := elems[:0:0]
		for _, e := range elems {
			dup := false
			for _, k := range kept {
				if cmp(int(e), int(k)) == 0 {
					dup = true
					break
				}
			}
			if !dup {
				kept = append(kept, e)
			}
		}
		return kept
	})
}

// reorderLists rebuilds each list from a chosen sequence of its element positions.
func reorderLists(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64, choose func(cmp func(i, j int) int, elems []int64) []int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	l, ok := listOf(arrays[0])
	if !ok {
		return nil, errkind.Internal("%s on %s", call.Function, arrays[0].DataType())
	}
	cmp, ok := elementOrder(l.values)
	if !ok {
		return nil, errkind.NotImplemented("%s on arrays of %s", call.Function, logical.SparkTypeName(l.values.DataType()))
	}
	n := int(length)
	offsets := make([]int32, 1, n+1)
	var indices []int64
	for i := 0; i < n; i++ {
		if l.valid.get(i) {
			elems := make([]int64, 0, l.offsets[i+1]-l.offsets[i])
			for j := l.offsets[i]; j < l.offsets[i+1]; j++ {
				elems = append(elems, int64(j))
			}
			indices = append(indices, choose(cmp, elems)...)
		}
		offsets = append(offsets, int32(len(indices)))
	}
	vals, err := gather(ec, l.values, indices)
	if err != nil {
		return nil, err
	}
	defer vals.Release()
	return datumOf(makeList(ec.Task.Allocator, call.Type, offsets, vals, newValidity(ec.Task.Allocator, n, arrays[0]))), nil
}
