package analyzer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// More higher-order functions: array_sort(array, (left, right) -> int) sorts with a comparator
// (array_sort(array) without one stays in fn_collection.go), and map_zip_with(m1, m2,
// (k, v1, v2) -> ...) merges two maps by key. Kernels: exec/kernels_lambda_sort.go.

func init() {
	// Only the lambda form: the plain registry keeps array_sort(array).
	higherOrderFunctions["array_sort"] = resolveArraySortComparator
	registerHigherOrder(resolveMapZipWith, "map_zip_with")
}

// resolveArraySortComparator is array_sort(array, (left, right) -> int): the comparator returns
// a negative int, zero or a positive int, as Spark requires (an int, not a bigint).
func resolveArraySortComparator(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, list, err := a.lambdaArray(name, args[0])
	if err != nil {
		return nil, err
	}
	element := lambdaParameter{list.Elem(), list.ElemField().Nullable}
	l, err := bind(args[1], 2, element, element)
	if err != nil {
		return nil, err
	}
	if l.Body.DataType().ID() != arrow.INT32 {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_RETURN_TYPE] the comparator of array_sort must return an int (negative, 0 or positive), but %s returns %s; for example (l, r) -> CASE WHEN l < r THEN -1 WHEN l > r THEN 1 ELSE 0 END",
			l.Body.String(), logical.SparkTypeName(l.Body.DataType()))
	}
	return &logical.Call{Function: "array_sort_comparator", Args: []logical.Expr{x, l}, Type: x.DataType(), Null: x.Nullable(),
		Display: higherOrderDisplay(name, []logical.Expr{args[0], l})}, nil
}

// resolveMapZipWith is map_zip_with(m1, m2, (k, v1, v2) -> value): one entry per key of either
// map (m1's keys in order, then m2's others), v1 or v2 null where a map lacks the key.
func resolveMapZipWith(a *Analyzer, name string, args []logical.Expr, bind lambdaBinder) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	maps := make([]*arrow.MapType, 2)
	for i := range maps {
		if _, isLambda := args[i].(*logical.LambdaFunction); isLambda {
			return nil, errkind.Invalid("%s needs two maps before its lambda, for example %s", name, higherOrderExample(name))
		}
		m, ok := args[i].DataType().(*arrow.MapType)
		if !ok {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs maps, but '%s' is %s", name, args[i].String(), logical.SparkTypeName(args[i].DataType()))
		}
		maps[i] = m
	}
	left, right := args[0], args[1]
	keyType := maps[0].KeyType()
	if !arrow.TypeEqual(keyType, maps[1].KeyType()) {
		// Keys of different types compare as their wider type (int and bigint keys as bigint).
		wider, ok := WiderNumericType(keyType, maps[1].KeyType())
		if !ok {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.MAP_ZIP_WITH_DIFF_TYPES] %s needs maps with keys of the same type, but they are %s and %s; cast one map's keys",
				name, logical.SparkTypeName(keyType), logical.SparkTypeName(maps[1].KeyType()))
		}
		var err error
		if !arrow.TypeEqual(keyType, wider) {
			if left, err = a.NewCast(left, arrow.MapOf(wider, maps[0].ItemType()), logical.EvalANSI); err != nil {
				return nil, err
			}
		}
		if !arrow.TypeEqual(maps[1].KeyType(), wider) {
			if right, err = a.NewCast(right, arrow.MapOf(wider, maps[1].ItemType()), logical.EvalANSI); err != nil {
				return nil, err
			}
		}
		keyType = wider
	}
	l, err := bind(args[2], 3, lambdaParameter{keyType, false}, lambdaParameter{maps[0].ItemType(), true}, lambdaParameter{maps[1].ItemType(), true})
	if err != nil {
		return nil, err
	}
	t := arrow.MapOf(keyType, l.Body.DataType())
	return &logical.Call{Function: "map_zip_with", Args: []logical.Expr{left, right, l}, Type: t, Null: left.Nullable() || right.Nullable(),
		Display: higherOrderDisplay(name, []logical.Expr{args[0], args[1], l})}, nil
}
