package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Collection functions: size, element_at and [ ] on arrays and maps, array_contains, array,
// struct, map, map_keys, map_values, sort_array, array_distinct. Kernels:
// exec/kernels_collection.go. Generators (explode, ...) are in fn_generate.go.

func init() {
	registerFunction(resolveSize, "size", "cardinality")
	registerFunction(resolveElementAt, "element_at", "try_element_at", "element_at_extract")
	registerFunction(resolveArrayContains, "array_contains")
	registerFunction(resolveMakeArray, "array")
	registerFunction(resolveMakeStruct, "struct", "named_struct")
	registerFunction(resolveMakeMap, "map", "create_map")
	registerFunction(resolveMapPart, "map_keys", "map_values")
	registerFunction(resolveArrayReorder, "sort_array", "array_distinct", "array_sort")
	registerFunction(resolveArrayJoin, "array_join")
}

func listElem(t arrow.DataType) (arrow.DataType, bool) {
	if l, ok := t.(*arrow.ListType); ok {
		return l.Elem(), true
	}
	return nil, false
}

// normalizeList casts large lists to lists, which the kernels read.
func (a *Analyzer) normalizeList(x logical.Expr) (logical.Expr, error) {
	if l, ok := x.DataType().(*arrow.LargeListType); ok {
		return a.coerceTo(x, arrow.ListOf(l.Elem()))
	}
	return x, nil
}

func resolveSize(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	switch x.DataType().(type) {
	case *arrow.ListType, *arrow.MapType:
	default:
		return nil, errkind.Invalid("%s needs an array or a map, but '%s' is %s", name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	return &logical.Call{Function: "size", Args: []logical.Expr{x}, Type: int32Type, Null: x.Nullable(),
		Display: fmt.Sprintf("%s(%s)", name, args[0].String())}, nil
}

// resolveElementAt handles element_at(array, i) (1-based), element_at(map, key), and the
// analyzer's element_at_extract for col[i] (0-based on arrays) and col[key].
func resolveElementAt(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	display := fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())
	if name == "element_at_extract" {
		display = fmt.Sprintf("%s[%s]", args[0].String(), args[1].String())
	}
	switch t := x.DataType().(type) {
	case *arrow.ListType:
		idx, err := a.coerceArg(name, args[1], argInt)
		if err != nil {
			return nil, err
		}
		fn := "element_at"
		if name == "element_at_extract" {
			fn = "get_item"
		}
		if !a.Config.ANSI || name == "try_element_at" {
			fn += "_legacy"
		}
		return &logical.Call{Function: fn, Args: []logical.Expr{x, idx}, Type: t.Elem(), Null: true, Display: display}, nil
	case *arrow.MapType:
		key, err := a.coerceTo(args[1], t.KeyType())
		if err != nil {
			return nil, err
		}
		return &logical.Call{Function: "map_lookup", Args: []logical.Expr{x, key}, Type: t.ItemType(), Null: true, Display: display}, nil
	}
	return nil, errkind.Invalid("%s needs an array or a map, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(args[0].DataType()))
}

func resolveArrayContains(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	elem, ok := listElem(x.DataType())
	if !ok {
		return nil, errkind.Invalid("array_contains needs an array, but '%s' is %s", args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	common, ok := widerOfTwo(elem, args[1].DataType())
	if args[1].DataType().ID() == arrow.NULL {
		common, ok = elem, true
	}
	if !ok {
		return nil, errkind.Invalid("array_contains: the value '%s' (%s) cannot be compared with elements of %s", args[1].String(), logical.SparkTypeName(args[1].DataType()), logical.SparkTypeName(x.DataType()))
	}
	if !arrow.TypeEqual(common, elem) {
		if x, err = a.coerceTo(x, arrow.ListOf(common)); err != nil {
			return nil, err
		}
	}
	v, err := a.coerceTo(args[1], common)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "array_contains", Args: []logical.Expr{x, v}, Type: boolType, Null: true,
		Display: fmt.Sprintf("array_contains(%s, %s)", args[0].String(), args[1].String())}, nil
}

func resolveMakeArray(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	elems, t, err := a.coerceValues("array", args)
	if err != nil {
		return nil, err
	}
	if t.ID() == arrow.NULL && len(args) == 0 {
		t = stringType // array() is array<string> in Spark
	}
	return &logical.Call{Function: "make_array", Args: elems, Type: arrow.ListOf(t), Null: false,
		Display: fmt.Sprintf("array(%s)", logical.JoinExprs(args, ", "))}, nil
}

// resolveMakeStruct names fields after the columns (col1, col2, ... for other expressions), or
// takes name/value pairs for named_struct.
func resolveMakeStruct(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	var fields []arrow.Field
	var values []logical.Expr
	if name == "named_struct" {
		if len(args)%2 != 0 {
			return nil, errkind.Invalid("named_struct needs name/value pairs, got %d arguments", len(args))
		}
		for i := 0; i < len(args); i += 2 {
			lit, ok := args[i].(*logical.Literal)
			if !ok || !isString(lit.DataType()) {
				return nil, errkind.Invalid("named_struct needs literal field names, got '%s'", args[i].String())
			}
			fields = append(fields, arrow.Field{Name: literalString(lit), Type: args[i+1].DataType(), Nullable: true})
			values = append(values, args[i+1])
		}
	} else {
		for i, x := range args {
			fieldName := fmt.Sprintf("col%d", i+1)
			switch v := x.(type) {
			case *logical.ColumnRef:
				fieldName = v.ColumnName
			case *logical.Alias:
				fieldName = v.Alias
			case *logical.Call:
				if v.Function == "get_field" {
					if lit, ok := v.Args[1].(*logical.Literal); ok {
						fieldName = literalString(lit)
					}
				}
			}
			fields = append(fields, arrow.Field{Name: fieldName, Type: x.DataType(), Nullable: true})
			values = append(values, logical.StripAlias(x))
		}
	}
	return &logical.Call{Function: "make_struct", Args: values, Type: arrow.StructOf(fields...), Null: false,
		Display: fmt.Sprintf("%s(%s)", name, logical.JoinExprs(args, ", "))}, nil
}

func resolveMakeMap(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if len(args)%2 != 0 {
		return nil, errkind.Invalid("map needs key/value pairs, got %d arguments", len(args))
	}
	var keys, items []logical.Expr
	for i := 0; i < len(args); i += 2 {
		keys = append(keys, args[i])
		items = append(items, args[i+1])
	}
	keys, kt, err := a.coerceValues("map keys", keys)
	if err != nil {
		return nil, err
	}
	items, it, err := a.coerceValues("map values", items)
	if err != nil {
		return nil, err
	}
	if kt.ID() == arrow.NULL {
		kt = stringType
	}
	if it.ID() == arrow.NULL {
		it = stringType
	}
	operands := make([]logical.Expr, 0, len(args))
	for i := range keys {
		operands = append(operands, keys[i], items[i])
	}
	return &logical.Call{Function: "make_map", Args: operands, Type: arrow.MapOf(kt, it), Null: false,
		Display: fmt.Sprintf("map(%s)", logical.JoinExprs(args, ", "))}, nil
}

func resolveMapPart(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	m, ok := args[0].DataType().(*arrow.MapType)
	if !ok {
		return nil, errkind.Invalid("%s needs a map, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	t := arrow.ListOf(m.ItemType())
	if name == "map_keys" {
		t = arrow.ListOfNonNullable(m.KeyType())
	}
	return &logical.Call{Function: name, Args: args, Type: t, Null: args[0].Nullable(),
		Display: fmt.Sprintf("%s(%s)", name, args[0].String())}, nil
}

func resolveArrayReorder(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	maxArgs := 1
	if name == "sort_array" {
		maxArgs = 2
	}
	if err := checkArity(name, args, 1, maxArgs); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	if _, ok := listElem(x.DataType()); !ok {
		return nil, errkind.Invalid("%s needs an array, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	operands := []logical.Expr{x}
	display := fmt.Sprintf("%s(%s)", name, args[0].String())
	if name == "sort_array" {
		asc := logical.Expr(logical.NewLiteral(boolScalar(true)))
		if len(args) == 2 {
			lit, ok := args[1].(*logical.Literal)
			if !ok || lit.DataType().ID() != arrow.BOOL {
				return nil, errkind.Invalid("sort_array needs a literal boolean for asc, got '%s'", args[1].String())
			}
			asc = lit
		}
		operands = append(operands, asc)
		display = fmt.Sprintf("sort_array(%s, %s)", args[0].String(), asc.String())
	}
	return &logical.Call{Function: name, Args: operands, Type: x.DataType(), Null: x.Nullable(), Display: display}, nil
}

func boolScalar(v bool) scalar.Scalar { return scalar.NewBooleanScalar(v) }

// resolveArrayJoin: array_join(array, delimiter[, nullReplacement]) over an array of strings
// (other element types are cast to string, as Spark's implicit cast does).
func resolveArrayJoin(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 3); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	elem, ok := listElem(x.DataType())
	if !ok {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] array_join needs an array, but '%s' is %s", args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	if elem.ID() != arrow.STRING {
		if x, err = a.coerceTo(x, arrow.ListOf(stringType)); err != nil {
			return nil, err
		}
	}
	operands := []logical.Expr{x}
	for _, e := range args[1:] {
		v, err := a.coerceTo(e, stringType)
		if err != nil {
			return nil, err
		}
		operands = append(operands, v)
	}
	return &logical.Call{Function: "array_join", Args: operands, Type: stringType, Null: true,
		Display: fmt.Sprintf("array_join(%s)", logical.JoinExprs(args, ", "))}, nil
}
