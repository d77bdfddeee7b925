package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Array and map functions beyond fn_collection.go: array_max/min, array_position, slice,
// array_compact, flatten, array_union/intersect/except, arrays_overlap, arrays_zip,
// array_append/prepend/remove, array_repeat, array_size, concat over arrays, map_entries,
// map_contains_key, map_from_arrays, map_from_entries, map_concat. Element equality is Spark's
// (NaN equals NaN, nulls equal each other in set operations). Kernels:
// exec/kernels_array_functions.go.

func init() {
	registerFunction(resolveArrayExtreme, "array_max", "array_min")
	registerFunction(resolveArrayPosition, "array_position", "array_remove")
	registerFunction(resolveSlice, "slice")
	registerFunction(resolveArrayCompact, "array_compact")
	registerFunction(resolveFlatten, "flatten")
	registerFunction(resolveArraySetOperation, "array_union", "array_intersect", "array_except", "arrays_overlap")
	registerFunction(resolveArraysZip, "arrays_zip")
	registerFunction(resolveArrayAppend, "array_append", "array_prepend")
	registerFunction(resolveArrayRepeat, "array_repeat")
	registerFunction(resolveArraySize, "array_size")
	registerFunction(resolveMapEntries, "map_entries")
	registerFunction(resolveMapContainsKey, "map_contains_key")
	registerFunction(resolveMapFromArrays, "map_from_arrays")
	registerFunction(resolveMapFromEntries, "map_from_entries")
	registerFunction(resolveMapConcat, "map_concat")
}

func display(name string, args []logical.Expr) string {
	return fmt.Sprintf("%s(%s)", name, logical.JoinExprs(args, ", "))
}

// arrayArgument normalizes an array argument and returns its element type.
func (a *Analyzer) arrayArgument(name string, x logical.Expr) (logical.Expr, arrow.DataType, error) {
	if x.DataType().ID() == arrow.NULL {
		x = logical.NullLiteral(arrow.ListOf(arrow.Null))
	}
	x, err := a.normalizeList(x)
	if err != nil {
		return nil, nil, err
	}
	elem, ok := listElem(x.DataType())
	if !ok {
		return nil, nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs an array, but '%s' is %s", name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	return x, elem, nil
}

func mapArgument(name string, x logical.Expr) (*arrow.MapType, error) {
	m, ok := x.DataType().(*arrow.MapType)
	if !ok {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a map, but '%s' is %s", name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	return m, nil
}

func resolveArrayExtreme(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, elem, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	if containsMap(elem) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.INVALID_ORDERING_TYPE] %s does not support ordering on type \"%s\"", name, logical.SparkSQLTypeName(elem))
	}
	return &logical.Call{Function: "array_extreme", Args: []logical.Expr{x, logical.NewLiteral(boolScalar(name == "array_max"))},
		Type: elem, Null: true, Display: display(name, args)}, nil
}

// elementAndValue coerces an array and a value to one element type (the wider of the two).
func (a *Analyzer) elementAndValue(name string, array, value logical.Expr) (logical.Expr, logical.Expr, arrow.DataType, error) {
	x, elem, err := a.arrayArgument(name, array)
	if err != nil {
		return nil, nil, nil, err
	}
	common, ok := widerNestedType(elem, value.DataType())
	if !ok {
		return nil, nil, nil, errkind.Invalid("[DATATYPE_MISMATCH.ARRAY_FUNCTION_DIFF_TYPES] %s: the value '%s' (%s) does not match the elements of '%s' (%s)",
			name, value.String(), logical.SparkTypeName(value.DataType()), array.String(), logical.SparkTypeName(array.DataType()))
	}
	if common.ID() == arrow.NULL {
		common = arrow.PrimitiveTypes.Int32
	}
	if x, err = a.coerceTo(x, arrow.ListOf(common)); err != nil {
		return nil, nil, nil, err
	}
	v, err := a.coerceTo(value, common)
	if err != nil {
		return nil, nil, nil, err
	}
	return x, v, common, nil
}

// resolveArrayPosition: array_position (1-based bigint, 0 when absent) and array_remove.
func resolveArrayPosition(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, v, common, err := a.elementAndValue(name, args[0], args[1])
	if err != nil {
		return nil, err
	}
	t := arrow.DataType(arrow.PrimitiveTypes.Int64)
	if name == "array_remove" {
		t = arrow.ListOf(common)
	}
	return &logical.Call{Function: name, Args: []logical.Expr{x, v}, Type: t, Null: anyNullable(args), Display: display(name, args)}, nil
}

func resolveSlice(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	x, _, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	operands := []logical.Expr{x}
	for _, e := range args[1:] {
		v, err := a.coerceArg(name, e, argInt)
		if err != nil {
			return nil, err
		}
		operands = append(operands, v)
	}
	return &logical.Call{Function: "slice", Args: operands, Type: x.DataType(), Null: anyNullable(args), Display: display(name, args)}, nil
}

func resolveArrayCompact(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, _, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "array_compact", Args: []logical.Expr{x}, Type: x.DataType(), Null: x.Nullable(), Display: display(name, args)}, nil
}

func resolveFlatten(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, elem, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	if l, ok := elem.(*arrow.LargeListType); ok {
		if x, err = a.coerceTo(x, arrow.ListOf(arrow.ListOf(l.Elem()))); err != nil {
			return nil, err
		}
		elem = arrow.ListOf(l.Elem())
	}
	inner, ok := listElem(elem)
	if !ok {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] flatten needs an array of arrays, but '%s' is %s", args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	return &logical.Call{Function: "flatten", Args: []logical.Expr{x}, Type: arrow.ListOf(inner), Null: true, Display: display(name, args)}, nil
}

// twoArrays coerces two arrays to one array type.
func (a *Analyzer) twoArrays(name string, args []logical.Expr) (logical.Expr, logical.Expr, arrow.DataType, error) {
	l, le, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, nil, nil, err
	}
	r, re, err := a.arrayArgument(name, args[1])
	if err != nil {
		return nil, nil, nil, err
	}
	common, ok := widerNestedType(le, re)
	if !ok {
		return nil, nil, nil, errkind.Invalid("[DATATYPE_MISMATCH.BINARY_ARRAY_DIFF_TYPES] %s needs two arrays of the same element type, but '%s' is %s and '%s' is %s",
			name, args[0].String(), logical.SparkTypeName(args[0].DataType()), args[1].String(), logical.SparkTypeName(args[1].DataType()))
	}
	if common.ID() == arrow.NULL {
		common = stringType
	}
	t := arrow.ListOf(common)
	if l, err = a.coerceTo(l, t); err != nil {
		return nil, nil, nil, err
	}
	if r, err = a.coerceTo(r, t); err != nil {
		return nil, nil, nil, err
	}
	return l, r, t, nil
}

func resolveArraySetOperation(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	l, r, t, err := a.twoArrays(name, args)
	if err != nil {
		return nil, err
	}
	if containsMap(t) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.INVALID_ORDERING_TYPE] %s cannot compare elements of type \"%s\"", name, logical.SparkSQLTypeName(t))
	}
	if name == "arrays_overlap" {
		return &logical.Call{Function: "arrays_overlap", Args: []logical.Expr{l, r}, Type: boolType, Null: true, Display: display(name, args)}, nil
	}
	return &logical.Call{Function: "array_set_operation", Args: []logical.Expr{l, r, logical.NewLiteral(stringScalar(name))},
		Type: t, Null: anyNullable(args), Display: display(name, args)}, nil
}

// resolveArraysZip names the struct fields after the arguments when they are columns, else by
// position ("0", "1", ...), as Spark does.
func resolveArraysZip(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	operands := make([]logical.Expr, len(args))
	fields := make([]arrow.Field, len(args))
	for i, x := range args {
		v, elem, err := a.arrayArgument(name, x)
		if err != nil {
			return nil, err
		}
		operands[i] = v
		fieldName := fmt.Sprintf("%d", i)
		switch c := x.(type) {
		case *logical.ColumnRef:
			fieldName = c.ColumnName
		case *logical.Alias:
			fieldName = c.Alias
		}
		fields[i] = arrow.Field{Name: fieldName, Type: elem, Nullable: true}
	}
	return &logical.Call{Function: "arrays_zip", Args: operands, Type: arrow.ListOf(arrow.StructOf(fields...)),
		Null: anyNullable(args), Display: display(name, args)}, nil
}

func resolveArrayAppend(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, v, common, err := a.elementAndValue(name, args[0], args[1])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "array_add_element", Args: []logical.Expr{x, v, logical.NewLiteral(boolScalar(name == "array_prepend"))},
		Type: arrow.ListOf(common), Null: args[0].Nullable(), Display: display(name, args)}, nil
}

func resolveArrayRepeat(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	count, err := a.coerceArg(name, args[1], argInt)
	if err != nil {
		return nil, err
	}
	elem := args[0].DataType()
	return &logical.Call{Function: "array_repeat", Args: []logical.Expr{args[0], count}, Type: arrow.ListOf(elem),
		Null: args[1].Nullable(), Display: display(name, args)}, nil
}

func resolveArraySize(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, _, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "size", Args: []logical.Expr{x}, Type: int32Type, Null: x.Nullable(), Display: display(name, args)}, nil
}

// resolveArrayConcat is concat over arrays (also the || operator); ok is false when the
// arguments are not arrays.
func (a *Analyzer) resolveArrayConcat(name string, args []logical.Expr) (logical.Expr, bool, error) {
	if len(args) == 0 {
		return nil, false, nil
	}
	sawArray := false
	for _, x := range args {
		switch x.DataType().ID() {
		case arrow.LIST, arrow.LARGE_LIST:
			sawArray = true
		case arrow.NULL:
		default:
			if sawArray {
				return nil, true, errkind.Invalid("[DATATYPE_MISMATCH.DATA_DIFF_TYPES] concat needs all arrays or all strings, but '%s' is %s", x.String(), logical.SparkTypeName(x.DataType()))
			}
			return nil, false, nil
		}
	}
	if !sawArray {
		return nil, false, nil
	}
	var common arrow.DataType = arrow.Null
	for _, x := range args {
		if x.DataType().ID() == arrow.NULL {
			continue
		}
		_, elem, err := a.arrayArgument(name, x)
		if err != nil {
			return nil, true, err
		}
		next, ok := widerNestedType(common, elem)
		if !ok {
			return nil, true, errkind.Invalid("[DATATYPE_MISMATCH.DATA_DIFF_TYPES] concat needs arrays of one element type, but '%s' is %s", x.String(), logical.SparkTypeName(x.DataType()))
		}
		common = next
	}
	if common.ID() == arrow.NULL {
		common = stringType
	}
	t := arrow.ListOf(common)
	operands := make([]logical.Expr, len(args))
	for i, x := range args {
		if x.DataType().ID() == arrow.NULL {
			operands[i] = logical.NullLiteral(t)
			continue
		}
		v, err := a.normalizeList(x)
		if err != nil {
			return nil, true, err
		}
		if operands[i], err = a.coerceTo(v, t); err != nil {
			return nil, true, err
		}
	}
	return &logical.Call{Function: "concat_arrays", Args: operands, Type: t, Null: anyNullable(args), Display: display("concat", args)}, true, nil
}

func resolveMapEntries(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	m, err := mapArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	entry := arrow.StructOf(arrow.Field{Name: "key", Type: m.KeyType()}, arrow.Field{Name: "value", Type: m.ItemType(), Nullable: true})
	return &logical.Call{Function: "map_entries", Args: args, Type: arrow.ListOfNonNullable(entry), Null: args[0].Nullable(), Display: display(name, args)}, nil
}

func resolveMapContainsKey(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	if _, err := mapArgument(name, args[0]); err != nil {
		return nil, err
	}
	keys, err := resolveCall(a, "map_keys", args[:1], false)
	if err != nil {
		return nil, err
	}
	contains, err := resolveCall(a, "array_contains", []logical.Expr{keys, args[1]}, false)
	if err != nil {
		return nil, err
	}
	if c, ok := contains.(*logical.Call); ok {
		c.Display = display(name, args)
	}
	return contains, nil
}

func resolveMapFromArrays(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	keys, kt, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	items, it, err := a.arrayArgument(name, args[1])
	if err != nil {
		return nil, err
	}
	if containsMap(kt) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.INVALID_MAP_KEY_TYPE] map keys cannot be maps, but '%s' holds %s", args[0].String(), logical.SparkTypeName(kt))
	}
	return &logical.Call{Function: "map_from_arrays", Args: []logical.Expr{keys, items}, Type: arrow.MapOf(kt, it),
		Null: anyNullable(args), Display: display(name, args)}, nil
}

func resolveMapFromEntries(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, elem, err := a.arrayArgument(name, args[0])
	if err != nil {
		return nil, err
	}
	st, ok := elem.(*arrow.StructType)
	if !ok || st.NumFields() != 2 {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] map_from_entries needs an array of two-field structs (key, value), but '%s' is %s", args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	return &logical.Call{Function: "map_from_entries", Args: []logical.Expr{x}, Type: arrow.MapOf(st.Field(0).Type, st.Field(1).Type),
		Null: true, Display: display(name, args)}, nil
}

func resolveMapConcat(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if len(args) == 0 {
		return nil, errkind.NotImplemented("map_concat() without arguments")
	}
	var common arrow.DataType = arrow.Null
	for _, x := range args {
		if x.DataType().ID() == arrow.NULL {
			continue
		}
		if _, err := mapArgument(name, x); err != nil {
			return nil, err
		}
		next, ok := widerNestedType(common, x.DataType())
		if !ok {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.DATA_DIFF_TYPES] map_concat needs maps of one type, but '%s' is %s", x.String(), logical.SparkTypeName(x.DataType()))
		}
		common = next
	}
	if common.ID() == arrow.NULL {
		common = arrow.MapOf(stringType, stringType)
	}
	operands := make([]logical.Expr, len(args))
	for i, x := range args {
		v, err := a.coerceTo(x, common)
		if err != nil {
			return nil, err
		}
		operands[i] = v
	}
	return &logical.Call{Function: "map_concat", Args: operands, Type: common, Null: anyNullable(args), Display: display(name, args)}, nil
}
