package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Comparisons of arrays and structs (=, <, <=, >, >=, <=>, IN), as Spark orders them: arrays
// element by element and then by length, structs field by field, a null element or field
// before any value, two nulls equal. Spark's `=` on these types is its ordering's equality, so
// array(1, NULL) = array(1, NULL) is true. Maps have no ordering: comparing them is Spark's
// DATATYPE_MISMATCH.INVALID_ORDERING_TYPE. Kernel: exec/kernels_nested_compare.go.

func isNestedType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP:
		return true
	}
	return false
}

// containsMap reports whether t is or holds a map.
func containsMap(t arrow.DataType) bool {
	switch tt := t.(type) {
	case *arrow.MapType:
		return true
	case *arrow.ListType:
		return containsMap(tt.Elem())
	case *arrow.LargeListType:
		return containsMap(tt.Elem())
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			if containsMap(f.Type) {
				return true
			}
		}
	}
	return false
}

// widerNestedType is the common type of two values where either may be an array, map or
// struct: elements, keys, values and fields widen one by one (array<int> and array<double>
// give array<double>); the field names of the left side are kept. leaf widens the atomic
// types inside.
func widerNestedType(l, r arrow.DataType) (arrow.DataType, bool) {
	return widerNestedTypeWith(l, r, widerOfTwo)
}

// tightestCommonType is Spark's findTightestCommonType for the atomic types inside compared
// arrays and structs: numbers widen (int and bigint give bigint, int and double give double),
// but a decimal only meets the same decimal and nothing is promoted to string, so
// array(1) < array(2.5) and array(1) = array('1') are type errors in Spark.
func tightestCommonType(l, r arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(l, r) {
		return l, true
	}
	if isDecimal(l) || isDecimal(r) {
		return nil, false
	}
	if isString(l) && isString(r) {
		return stringType, true
	}
	return WiderNumericType(l, r)
}

func widerNestedTypeWith(l, r arrow.DataType, leaf func(l, r arrow.DataType) (arrow.DataType, bool)) (arrow.DataType, bool) {
	widerNestedType := func(l, r arrow.DataType) (arrow.DataType, bool) { return widerNestedTypeWith(l, r, leaf) }
	if arrow.TypeEqual(l, r) {
		return l, true
	}
	if l.ID() == arrow.NULL {
		return r, true
	}
	if r.ID() == arrow.NULL {
		return l, true
	}
	if ll, ok := l.(*arrow.LargeListType); ok {
		l = arrow.ListOf(ll.Elem())
	}
	if rl, ok := r.(*arrow.LargeListType); ok {
		r = arrow.ListOf(rl.Elem())
	}
	switch lt := l.(type) {
	case *arrow.ListType:
		rt, ok := r.(*arrow.ListType)
		if !ok {
			return nil, false
		}
		elem, ok := widerNestedType(lt.Elem(), rt.Elem())
		if !ok {
			return nil, false
		}
		return arrow.ListOf(elem), true
	case *arrow.MapType:
		rt, ok := r.(*arrow.MapType)
		if !ok {
			return nil, false
		}
		key, ok := widerNestedType(lt.KeyType(), rt.KeyType())
		if !ok {
			return nil, false
		}
		item, ok := widerNestedType(lt.ItemType(), rt.ItemType())
		if !ok {
			return nil, false
		}
		return arrow.MapOf(key, item), true
	case *arrow.StructType:
		rt, ok := r.(*arrow.StructType)
		if !ok || lt.NumFields() != rt.NumFields() {
			return nil, false
		}
		fields := make([]arrow.Field, lt.NumFields())
		for i, f := range lt.Fields() {
			t, ok := widerNestedType(f.Type, rt.Field(i).Type)
			if !ok {
				return nil, false
			}
			fields[i] = arrow.Field{Name: f.Name, Type: t, Nullable: true}
		}
		return arrow.StructOf(fields...), true
	}
	if isNestedType(r) {
		return nil, false
	}
	return leaf(l, r)
}

// resolveNestedComparison types a comparison whose operands are arrays, maps or structs; ok is
// false when neither operand is one.
func (a *Analyzer) resolveNestedComparison(op string, args []logical.Expr) (logical.Expr, bool, error) {
	l, r := args[0], args[1]
	if !isNestedType(l.DataType()) && !isNestedType(r.DataType()) {
		return nil, false, nil
	}
	display := fmt.Sprintf("(%s %s %s)", l.String(), displayOr(op), r.String())
	common, ok := widerNestedTypeWith(l.DataType(), r.DataType(), tightestCommonType)
	if !ok {
		return nil, true, errkind.Invalid("[DATATYPE_MISMATCH.BINARY_OP_DIFF_TYPES] Cannot resolve \"%s\" due to data type mismatch: the left and right operands of the binary operator have incompatible types (\"%s\" and \"%s\")",
			display, logical.SparkSQLTypeName(l.DataType()), logical.SparkSQLTypeName(r.DataType()))
	}
	if containsMap(common) {
		return nil, true, errkind.Invalid("[DATATYPE_MISMATCH.INVALID_ORDERING_TYPE] Cannot resolve \"%s\" due to data type mismatch: The `%s` does not support ordering on type \"%s\"; maps cannot be compared: compare map_entries(...) sorted with array_sort, or individual keys",
			display, displayOr(op), logical.SparkSQLTypeName(common))
	}
	var err error
	if l, err = a.coerceTo(l, common); err != nil {
		return nil, true, err
	}
	if r, err = a.coerceTo(r, common); err != nil {
		return nil, true, err
	}
	operands := []logical.Expr{l, r, logical.NewLiteral(stringScalar(op))}
	if op == "neq" {
		eq := &logical.Call{Function: "compare_nested", Args: []logical.Expr{l, r, logical.NewLiteral(stringScalar("eq"))},
			Type: boolType, Null: anyNullable(args), Display: fmt.Sprintf("(%s = %s)", args[0].String(), args[1].String())}
		return &logical.Call{Function: "not", Args: []logical.Expr{eq}, Type: boolType, Null: eq.Null,
			Display: fmt.Sprintf("(NOT %s)", eq.Display)}, true, nil
	}
	return &logical.Call{Function: "compare_nested", Args: operands, Type: boolType,
		Null: op != "eq_null_safe" && anyNullable(args), Display: display}, true, nil
}
