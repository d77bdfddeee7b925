package analyzer

import (
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Percentiles: percentile_approx/approx_percentile (Spark's ApproximatePercentile), percentile
// and median (Spark's exact Percentile). Each collects the group's values (collect_list) and a
// scalar kernel (exec/kernels_percentile.go) picks the answer from the sorted values. Picking
// from all values is within any accuracy Spark's GK sketch promises, and equals Spark's answer
// whenever its sketch still holds every value (small groups).

func init() {
	registerFunction(resolvePercentileApprox, "percentile_approx", "approx_percentile")
	registerFunction(resolvePercentile, "percentile", "median")
	for _, name := range []string{"percentile_approx", "approx_percentile", "percentile", "median"} {
		AggregateFunctionNames[name] = true
	}
}

// DefaultPercentileAccuracy is Spark's ApproximatePercentile.DEFAULT_PERCENTILE_ACCURACY.
const DefaultPercentileAccuracy = 10000

// percentages reads a percentage literal or an array of them; list says it was an array.
func percentages(name string, e logical.Expr) (values []float64, list bool, err error) {
	bad := errkind.Invalid("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] %s's percentage must be a literal between 0.0 and 1.0 or an array of them, got '%s'", name, e.String())
	one := func(e logical.Expr) (float64, bool) {
		for {
			c, ok := e.(*logical.Cast)
			if !ok {
				break
			}
			e = c.Child
		}
		lit, ok := e.(*logical.Literal)
		if !ok || !lit.Value.IsValid() {
			return 0, false
		}
		v, err := lit.Value.CastTo(arrow.PrimitiveTypes.Float64)
		if err != nil {
			// Decimal literals: read their text.
			f, perr := strconv.ParseFloat(lit.String(), 64)
			return f, perr == nil
		}
		return v.(*scalar.Float64).Value, true
	}
	if call, ok := e.(*logical.Call); ok && call.Function == "make_array" {
		for _, arg := range call.Args {
			v, ok := one(arg)
			if !ok {
				return nil, false, bad
			}
			values = append(values, v)
		}
		list = true
	} else {
		v, ok := one(e)
		if !ok {
			return nil, false, bad
		}
		values = []float64{v}
	}
	for _, v := range values {
		if !(v >= 0 && v <= 1) {
			return nil, false, errkind.Invalid("[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] %s's percentage must be between 0.0 and 1.0, got %v", name, v)
		}
	}
	return values, list, nil
}

func percentageArgs(values []float64) []logical.Expr {
	out := make([]logical.Expr, len(values))
	for i, v := range values {
		out[i] = logical.NewLiteral(scalar.NewFloat64Scalar(v))
	}
	return out
}

func collectValues(x logical.Expr, name string, distinct bool) *logical.AggregateCall {
	return &logical.AggregateCall{Function: "collect_list", Args: []logical.Expr{x}, Distinct: distinct,
		Type: arrow.ListOf(x.DataType()), Display: fmt.Sprintf("collect_list(%s)", x.String())}
}

func resolvePercentileApprox(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes a column, a percentage and an optional accuracy, got %d arguments", name, len(args))
	}
	x := args[0]
	switch t := x.DataType(); {
	case isNumeric(t), t.ID() == arrow.DECIMAL128, t.ID() == arrow.DATE32, t.ID() == arrow.TIMESTAMP:
	default:
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a numeric, date or timestamp column, got '%s' of type %s",
			name, x.String(), logical.SparkTypeName(t))
	}
	values, list, err := percentages(name, args[1])
	if err != nil {
		return nil, err
	}
	accuracy := int64(DefaultPercentileAccuracy)
	accuracyText := strconv.Itoa(DefaultPercentileAccuracy)
	if len(args) == 3 {
		v, ok := intLiteral(args[2])
		if !ok || v <= 0 || v > 2147483647 {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] %s's accuracy must be a positive integer literal, got '%s'", name, args[2].String())
		}
		accuracy, accuracyText = v, args[2].String()
	}
	function, resultType := "percentile_approx_of_list", x.DataType()
	if list {
		function, resultType = "percentile_approx_of_list_array", arrow.ListOf(x.DataType())
	}
	callArgs := append([]logical.Expr{collectValues(x, name, distinct), logical.NewLiteral(scalar.NewInt64Scalar(accuracy))}, percentageArgs(values)...)
	return &logical.Call{Function: function, Args: callArgs, Type: resultType, Null: true,
		Display: fmt.Sprintf("%s(%s%s, %s, %s)", name, distinctPrefix(distinct), x.String(), args[1].String(), accuracyText)}, nil
}

func resolvePercentile(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	var percentage logical.Expr
	switch {
	case name == "median" && len(args) == 1:
		percentage = logical.NewLiteral(scalar.NewFloat64Scalar(0.5))
	case name == "percentile" && (len(args) == 2 || len(args) == 3):
		percentage = args[1]
		if len(args) == 3 {
			if v, ok := intLiteral(args[2]); !ok || v != 1 {
				return nil, errkind.NotImplemented("percentile with a frequency column or a frequency other than 1 ('%s')", args[2].String())
			}
		}
	default:
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes %s, got %d arguments", name,
			map[string]string{"median": "a column", "percentile": "a column, a percentage and an optional frequency"}[name], len(args))
	}
	x := args[0]
	if !isNumeric(x.DataType()) && x.DataType().ID() != arrow.DECIMAL128 {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a numeric column, got '%s' of type %s",
			name, x.String(), logical.SparkTypeName(x.DataType()))
	}
	values, list, err := percentages(name, percentage)
	if err != nil {
		return nil, err
	}
	input, err := a.coerceTo(x, arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	function, resultType := "percentile_of_list", arrow.DataType(arrow.PrimitiveTypes.Float64)
	if list {
		function, resultType = "percentile_of_list_array", arrow.ListOf(arrow.PrimitiveTypes.Float64)
	}
	display := fmt.Sprintf("median(%s%s)", distinctPrefix(distinct), x.String())
	if name == "percentile" {
		display = fmt.Sprintf("percentile(%s%s, %s, 1)", distinctPrefix(distinct), x.String(), percentage.String())
	}
	callArgs := append([]logical.Expr{collectValues(input, name, distinct)}, percentageArgs(values)...)
	return &logical.Call{Function: function, Args: callArgs, Type: resultType, Null: true, Display: display}, nil
}

func distinctPrefix(distinct bool) string {
	if distinct {
		return "DISTINCT "
	}
	return ""
}
