package analyzer

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Aggregate functions, typed as Spark 4 types them, and named as Spark names their columns.

func init() {
	registerFunction(resolveCount, "count")
	registerFunction(resolveCountDistinct, "count_distinct", "countdistinct")
	registerFunction(resolveSum, "sum", "sum_distinct")
	registerFunction(resolveAvg, "avg", "mean")
	registerFunction(resolveMinMax, "min", "max")
	registerFunction(resolveFirstLast, "first", "last", "first_value", "last_value", "any_value")
	registerFunction(resolveCollect, "collect_list", "collect_set", "array_agg")
	registerFunction(resolveMoment, "stddev", "std", "stddev_samp", "stddev_pop", "variance", "var_samp", "var_pop")
	registerFunction(resolveApproxCountDistinct, "approx_count_distinct")
}

// AggregateFunctionNames lists the aggregate functions the analyzer knows, for front ends that
// must tell aggregates from scalar functions before resolving.
var AggregateFunctionNames = map[string]bool{
	"count": true, "count_distinct": true, "countdistinct": true, "sum": true, "sum_distinct": true,
	"avg": true, "mean": true, "min": true, "max": true, "first": true, "last": true, "first_value": true,
	"last_value": true, "any_value": true, "collect_list": true, "collect_set": true, "array_agg": true,
	"stddev": true, "std": true, "stddev_samp": true, "stddev_pop": true, "variance": true,
	"var_samp": true, "var_pop": true, "approx_count_distinct": true,
}

func aggregateDisplay(name string, distinct bool, args []logical.Expr) string {
	d := ""
	if distinct {
		d = "DISTINCT "
	}
	return fmt.Sprintf("%s(%s%s)", name, d, logical.JoinExprs(args, ", "))
}

func oneArgument(name string, args []logical.Expr) (logical.Expr, error) {
	if len(args) != 1 {
		return nil, errkind.Invalid("aggregate function '%s' takes 1 argument, got %d", name, len(args))
	}
	if _, star := args[0].(*logical.UnresolvedStar); star {
		return nil, errkind.Invalid("'*' is only allowed in count(*), not in %s", name)
	}
	return args[0], nil
}

func resolveCount(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) == 0 {
		return nil, errkind.Invalid("count needs an argument: count(*), count(1) or count(col)")
	}
	if len(args) == 1 {
		if _, star := args[0].(*logical.UnresolvedStar); star {
			if distinct {
				return nil, errkind.Invalid("count(DISTINCT *) is not supported; list the columns: count(DISTINCT a, b)")
			}
			// Spark rewrites count(*) to count(1) and names the column so.
			one := logical.NewLiteral(scalar.NewInt32Scalar(1))
			return &logical.AggregateCall{Function: "count", Args: []logical.Expr{one}, Type: arrow.PrimitiveTypes.Int64, Display: "count(1)"}, nil
		}
	}
	for _, x := range args {
		if _, star := x.(*logical.UnresolvedStar); star {
			return nil, errkind.Invalid("'*' must be the only argument of count")
		}
	}
	return &logical.AggregateCall{Function: "count", Args: args, Distinct: distinct, Type: arrow.PrimitiveTypes.Int64,
		Display: aggregateDisplay("count", distinct, args)}, nil
}

func resolveCountDistinct(a *Analyzer, _ string, args []logical.Expr, _ bool) (logical.Expr, error) {
	return resolveCount(a, "count", args, true)
}

// sumType is Spark's Sum result type: integral -> bigint, fractional -> double,
// decimal(p,s) -> decimal(min(38,p+10),s).
func sumType(name string, x logical.Expr) (arrow.DataType, error) {
	t := x.DataType()
	switch {
	case t.ID() == arrow.NULL:
		return arrow.PrimitiveTypes.Float64, nil
	case t.ID() == arrow.DECIMAL128:
		d := t.(*arrow.Decimal128Type)
		return &arrow.Decimal128Type{Precision: min(38, d.Precision+10), Scale: d.Scale}, nil
	case isNumeric(t):
		switch t.ID() {
		case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.UINT64:
			return arrow.PrimitiveTypes.Float64, nil
		}
		return arrow.PrimitiveTypes.Int64, nil
	case isInterval(t):
		return nil, errkind.NotImplemented("%s over intervals", name)
	}
	return nil, errkind.Invalid("[DATATYPE_MISMATCH] %s needs a numeric argument, but '%s' is %s; cast it first",
		name, x.String(), logical.SparkTypeName(t))
}

func resolveSum(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	if name == "sum_distinct" {
		distinct = true
		name = "sum"
	}
	t, err := sumType(name, x)
	if err != nil {
		return nil, err
	}
	display := aggregateDisplay("sum", distinct, args)
	// The executor sums bigint, double or the input's decimal; narrower inputs are widened.
	input := x
	if t.ID() != arrow.DECIMAL128 {
		if input, err = a.coerceTo(x, t); err != nil {
			return nil, err
		}
	}
	return &logical.AggregateCall{Function: "sum", Args: []logical.Expr{input}, Distinct: distinct, Type: t, Null: true, Display: display}, nil
}

func resolveAvg(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	display := aggregateDisplay(name, distinct, args)
	t := x.DataType()
	if t.ID() == arrow.DECIMAL128 {
		// Spark: avg(decimal(p,s)) is decimal(p+4, s+4), bounded by 38.
		d := t.(*arrow.Decimal128Type)
		result := &arrow.Decimal128Type{Precision: min(38, d.Precision+4), Scale: min(38, d.Scale+4)}
		return &logical.AggregateCall{Function: "avg", Args: []logical.Expr{x}, Distinct: distinct, Type: result, Null: true, Display: display}, nil
	}
	if _, err := sumType(name, x); err != nil {
		return nil, err
	}
	input, err := a.coerceTo(x, arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	return &logical.AggregateCall{Function: "avg", Args: []logical.Expr{input}, Distinct: distinct, Type: arrow.PrimitiveTypes.Float64, Null: true, Display: display}, nil
}

func orderable(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.MAP, arrow.STRUCT, arrow.LIST, arrow.LARGE_LIST, arrow.FIXED_SIZE_LIST, arrow.DENSE_UNION, arrow.SPARSE_UNION:
		return false
	}
	return true
}

func resolveMinMax(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	if !orderable(x.DataType()) {
		return nil, errkind.NotImplemented("%s over %s values", name, logical.SparkTypeName(x.DataType()))
	}
	return &logical.AggregateCall{Function: name, Args: []logical.Expr{x}, Type: x.DataType(), Null: true,
		Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveFirstLast(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errkind.Invalid("%s takes a column and an optional ignorenulls flag, got %d arguments", name, len(args))
	}
	x := args[0]
	ignoreNulls := name == "any_value"
	if len(args) == 2 {
		lit, ok := args[1].(*logical.Literal)
		b, isBool := scalarBool(lit, ok)
		if !isBool {
			return nil, errkind.Invalid("the second argument of %s (ignorenulls) must be a boolean literal, got '%s'", name, args[1].String())
		}
		ignoreNulls = b
	}
	function := "first"
	if name == "last" || name == "last_value" {
		function = "last"
	}
	return &logical.AggregateCall{Function: function, Args: []logical.Expr{x}, IgnoreNulls: ignoreNulls, Type: x.DataType(), Null: true,
		Display: aggregateDisplay(name, distinct, []logical.Expr{x})}, nil
}

func scalarBool(lit *logical.Literal, ok bool) (bool, bool) {
	if !ok || lit == nil || !lit.Value.IsValid() {
		return false, false
	}
	b, isBool := lit.Value.(*scalar.Boolean)
	if !isBool {
		return false, false
	}
	return b.Value, true
}

func resolveCollect(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	function := name
	if name == "array_agg" {
		function = "collect_list"
	}
	if function == "collect_set" && x.DataType().ID() == arrow.MAP {
		return nil, errkind.Invalid("collect_set cannot collect map values ('%s'): maps are not comparable", x.String())
	}
	return &logical.AggregateCall{Function: function, Args: []logical.Expr{x}, Distinct: distinct,
		Type: arrow.ListOf(x.DataType()), Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveMoment(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	if _, err := sumType(name, x); err != nil {
		return nil, err
	}
	input, err := a.coerceTo(x, arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	function := map[string]string{"stddev": "stddev_samp", "std": "stddev_samp", "stddev_samp": "stddev_samp", "stddev_pop": "stddev_pop",
		"variance": "var_samp", "var_samp": "var_samp", "var_pop": "var_pop"}[name]
	return &logical.AggregateCall{Function: function, Args: []logical.Expr{input}, Distinct: distinct, Type: arrow.PrimitiveTypes.Float64, Null: true,
		Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveApproxCountDistinct(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errkind.Invalid("approx_count_distinct takes a column and an optional relative standard deviation, got %d arguments", len(args))
	}
	rsd := 0.05
	if len(args) == 2 {
		lit, ok := args[1].(*logical.Literal)
		if !ok || !lit.Value.IsValid() {
			return nil, errkind.Invalid("approx_count_distinct's rsd must be a number literal, got '%s'", args[1].String())
		}
		v, err := lit.Value.CastTo(arrow.PrimitiveTypes.Float64)
		if err != nil {
			return nil, errkind.Invalid("approx_count_distinct's rsd must be a number literal, got '%s'", args[1].String())
		}
		rsd = v.(*scalar.Float64).Value
		if rsd <= 0 || rsd > 0.39 || math.IsNaN(rsd) {
			return nil, errkind.Invalid("approx_count_distinct's rsd must be in (0, 0.39], got %v", rsd)
		}
	}
	return &logical.AggregateCall{Function: "approx_count_distinct", Args: args[:1], Parameter: rsd, Type: arrow.PrimitiveTypes.Int64,
		Display: aggregateDisplay(name, distinct, args[:1])}, nil
}

// IsAggregateFunction reports whether name (any case) is an aggregate function.
func IsAggregateFunction(name string) bool { return AggregateFunctionNames[strings.ToLower(name)] }
