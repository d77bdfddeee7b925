package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Window-only functions: ranking (row_number, rank, dense_rank, percent_rank, cume_dist, ntile)
// and offsets (lag, lead). They resolve to a logical.Call that only a Window node evaluates
// (exec/window.go); the window planner rejects them outside OVER (...).

// WindowOnlyFunctions are the functions that are meaningful only inside a window.
var WindowOnlyFunctions = map[string]bool{
	"row_number": true, "rank": true, "dense_rank": true, "percent_rank": true, "cume_dist": true,
	"ntile": true, "lag": true, "lead": true,
}

func init() {
	registerFunction(resolveRanking, "row_number", "rank", "dense_rank", "percent_rank", "cume_dist")
	registerFunction(resolveNtile, "ntile")
	registerFunction(resolveOffsetFunction, "lag", "lead")
}

func resolveRanking(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 0, 0); err != nil {
		return nil, err
	}
	t := arrow.DataType(arrow.PrimitiveTypes.Int32)
	if name == "percent_rank" || name == "cume_dist" {
		t = arrow.PrimitiveTypes.Float64
	}
	return &logical.Call{Function: name, Type: t, Display: name + "()"}, nil
}

func resolveNtile(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	n, ok := intLiteral(args[0])
	if !ok || n < 1 {
		return nil, errkind.Invalid("ntile takes a positive integer literal, got %s", args[0].String())
	}
	return &logical.Call{Function: name, Args: []logical.Expr{logical.NewLiteral(scalar.NewInt64Scalar(n))}, Type: arrow.PrimitiveTypes.Int32,
		Display: fmt.Sprintf("ntile(%d)", n)}, nil
}

// resolveOffsetFunction types lag(x[, offset[, default]]) and lead(...): the offset is an integer
// literal, the default is coerced to x's type.
func resolveOffsetFunction(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 3); err != nil {
		return nil, err
	}
	offset := int64(1)
	if len(args) > 1 {
		n, ok := intLiteral(args[1])
		if !ok {
			return nil, errkind.Invalid("%s takes an integer literal offset, got %s", name, args[1].String())
		}
		offset = n
	}
	value := args[0]
	var def logical.Expr = logical.NullLiteral(value.DataType())
	if len(args) > 2 {
		common, ok := ComparableType(value.DataType(), args[2].DataType())
		if !ok {
			return nil, errkind.Invalid("the default of %s (%s) does not match the value's type %s", name, logical.SparkTypeName(args[2].DataType()), logical.SparkTypeName(value.DataType()))
		}
		var err error
		if value, err = a.coerceTo(value, common); err != nil {
			return nil, err
		}
		if def, err = a.coerceTo(args[2], common); err != nil {
			return nil, err
		}
	}
	return &logical.Call{
		Function: name, Args: []logical.Expr{value, logical.NewLiteral(scalar.NewInt64Scalar(offset)), def},
		Type: value.DataType(), Null: true,
		Display: fmt.Sprintf("%s(%s, %d, %s)", name, args[0].String(), offset, def.String()),
	}, nil
}

func intLiteral(e logical.Expr) (int64, bool) {
	if c, ok := e.(*logical.Cast); ok {
		e = c.Child
	}
	lit, ok := e.(*logical.Literal)
	if !ok || !lit.Value.IsValid() {
		return 0, false
	}
	switch v := lit.Value.(type) {
	case *scalar.Int8:
		return int64(v.Value), true
	case *scalar.Int16:
		return int64(v.Value), true
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	}
	return 0, false
}
