package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// More aggregate functions of Spark 4. Those Spark defines in terms of other aggregates are built
// from the existing ones, so they split into partial and final aggregation as those do:
// count_if is count(nullif(x, false)), bool_and/every is min over booleans, bool_or/some/any is
// max, try_sum/try_avg sum wider and convert without raising, string_agg/listagg joins
// collect_list, max_by/min_by and mode pick from a collected list, regr_count/regr_avgx/regr_avgy
// count and average the rows where both arguments are non-null. product, corr, covar_pop and
// covar_samp have their own accumulators (exec/aggregate_functions_more.go). Over a window, the
// window planner splits a call around aggregates into windows over each of them
// (protoplan.distributeWindows).

func init() {
	registerFunction(resolveCountIf, "count_if")
	registerFunction(resolveBoolAggregate, "bool_and", "every", "bool_or", "some", "any")
	registerFunction(resolveTrySumAvg, "try_sum", "try_avg")
	registerFunction(resolveProduct, "product")
	registerFunction(resolveCovariance, "corr", "covar_pop", "covar_samp")
	registerFunction(resolveMaxMinBy, "max_by", "min_by")
	registerFunction(resolveStringAgg, "string_agg", "listagg")
	registerFunction(resolveMode, "mode")
	registerFunction(resolveHigherMoment, "skewness", "kurtosis")
	registerFunction(resolveBitwiseAggregate, "bit_and", "bit_or", "bit_xor")
	registerFunction(resolveRegression, "regr_count", "regr_avgx", "regr_avgy")
	for _, name := range []string{"count_if", "bool_and", "every", "bool_or", "some", "any", "try_sum", "try_avg",
		"product", "corr", "covar_pop", "covar_samp", "max_by", "min_by", "string_agg", "listagg", "mode",
		"skewness", "kurtosis", "bit_and", "bit_or", "bit_xor", "regr_count", "regr_avgx", "regr_avgy"} {
		AggregateFunctionNames[name] = true
	}
}

// displayAs gives a composed expression the column name Spark gives the function.
func displayAs(e logical.Expr, display string) logical.Expr {
	if c, ok := e.(*logical.AggregateCall); ok {
		cp := *c
		cp.Display = display
		return &cp
	}
	return &logical.Call{Function: "identity", Args: []logical.Expr{e}, Type: e.DataType(), Null: e.Nullable(), Display: display}
}

func booleanArgument(a *Analyzer, name string, args []logical.Expr) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	switch x.DataType().ID() {
	case arrow.BOOL:
		return x, nil
	case arrow.NULL:
		return a.coerceTo(x, arrow.FixedWidthTypes.Boolean)
	case arrow.STRING, arrow.LARGE_STRING:
		// bool_and and bool_or cast strings implicitly (as Spark's ImplicitCastInputTypes); count_if does not.
		if name != "count_if" {
			return a.coerceTo(x, arrow.FixedWidthTypes.Boolean)
		}
	}
	return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a boolean argument, but '%s' is %s",
		name, x.String(), logical.SparkTypeName(x.DataType()))
}

func resolveCountIf(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := booleanArgument(a, name, args)
	if err != nil {
		return nil, err
	}
	trueOrNull, err := resolveCall(a, "nullif", []logical.Expr{x, logical.NewLiteral(scalar.NewBooleanScalar(false))}, false)
	if err != nil {
		return nil, err
	}
	count, err := resolveCall(a, "count", []logical.Expr{trueOrNull}, distinct)
	if err != nil {
		return nil, err
	}
	return displayAs(count, aggregateDisplay(name, distinct, args)), nil
}

func resolveBoolAggregate(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := booleanArgument(a, name, args)
	if err != nil {
		return nil, err
	}
	// false < true: the minimum is true only when every non-null value is.
	function := "max"
	if name == "bool_and" || name == "every" {
		function = "min"
	}
	return &logical.AggregateCall{Function: function, Args: []logical.Expr{x}, Type: arrow.FixedWidthTypes.Boolean, Null: true,
		Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveTrySumAvg(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	display := aggregateDisplay(name, distinct, args)
	plain := map[string]string{"try_sum": "sum", "try_avg": "avg"}[name]
	t := x.DataType()
	switch {
	case isInterval(t):
		return nil, errkind.NotImplemented("%s over intervals", name)
	case t.ID() == arrow.DECIMAL128 || (name == "try_sum" && isNumeric(t) && t.ID() != arrow.FLOAT16 && t.ID() != arrow.FLOAT32 && t.ID() != arrow.FLOAT64):
		// Integers and decimals can overflow their result type: aggregate as decimal(38, s),
		// which holds any sum of up to 10^19 values, then convert with null on overflow.
		result, err := resolveCall(a, plain, []logical.Expr{x}, distinct)
		if err != nil {
			return nil, err
		}
		scale := int32(0)
		if d, ok := t.(*arrow.Decimal128Type); ok {
			scale = d.Scale
		}
		wide, err := a.NewCast(x, &arrow.Decimal128Type{Precision: 38, Scale: scale}, logical.EvalANSI)
		if err != nil {
			return nil, err
		}
		total, err := resolveCall(a, plain, []logical.Expr{wide}, distinct)
		if err != nil {
			return nil, err
		}
		converted, err := a.NewCast(total, result.DataType(), logical.EvalTry)
		if err != nil {
			return nil, err
		}
		return displayAs(converted, display), nil
	}
	// Doubles do not overflow (they reach infinity, as in Spark), and avg sums integers as doubles.
	result, err := resolveCall(a, plain, []logical.Expr{x}, distinct)
	if err != nil {
		return nil, err
	}
	return displayAs(result, display), nil
}

func resolveProduct(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
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
	return &logical.AggregateCall{Function: "product", Args: []logical.Expr{input}, Distinct: distinct, Type: arrow.PrimitiveTypes.Float64,
		Null: true, Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveCovariance(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) != 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes 2 arguments, got %d", name, len(args))
	}
	inputs := make([]logical.Expr, 2)
	for i, x := range args {
		if _, star := x.(*logical.UnresolvedStar); star {
			return nil, errkind.Invalid("'*' is only allowed in count(*), not in %s", name)
		}
		if _, err := sumType(name, x); err != nil {
			return nil, err
		}
		input, err := a.coerceTo(x, arrow.PrimitiveTypes.Float64)
		if err != nil {
			return nil, err
		}
		inputs[i] = input
	}
	return &logical.AggregateCall{Function: name, Args: inputs, Distinct: distinct, Type: arrow.PrimitiveTypes.Float64, Null: true,
		Display: aggregateDisplay(name, distinct, args)}, nil
}

// resolveMaxMinBy collects (ordering, value) pairs of rows whose ordering is not null and picks
// the value of the first pair with the greatest (least) ordering, as Spark's MaxBy keeps the
// first maximum it meets.
func resolveMaxMinBy(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) != 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes a value and an ordering, got %d arguments", name, len(args))
	}
	value, ordering := args[0], args[1]
	if !orderable(ordering.DataType()) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.INVALID_ORDERING_TYPE] %s cannot order by '%s' of type %s",
			name, ordering.String(), logical.SparkTypeName(ordering.DataType()))
	}
	pair, err := resolveCall(a, "named_struct", []logical.Expr{
		logical.NewLiteral(scalar.NewStringScalar("ordering")), ordering,
		logical.NewLiteral(scalar.NewStringScalar("value")), value}, false)
	if err != nil {
		return nil, err
	}
	noOrdering, err := resolveCall(a, "isnull", []logical.Expr{ordering}, false)
	if err != nil {
		return nil, err
	}
	pairOrNull, err := resolveCall(a, "if", []logical.Expr{noOrdering, logical.NewLiteral(scalar.MakeNullScalar(pair.DataType())), pair}, false)
	if err != nil {
		return nil, err
	}
	pairs := &logical.AggregateCall{Function: "collect_list", Args: []logical.Expr{pairOrNull}, Distinct: distinct,
		Type: arrow.ListOf(pairOrNull.DataType()), Display: fmt.Sprintf("collect_list(%s)", pairOrNull.String())}
	return &logical.Call{Function: name + "_of_list", Args: []logical.Expr{pairs}, Type: value.DataType(), Null: true,
		Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveStringAgg(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes a column and an optional delimiter, got %d arguments", name, len(args))
	}
	x := args[0]
	if x.DataType().ID() != arrow.STRING && x.DataType().ID() != arrow.LARGE_STRING && x.DataType().ID() != arrow.NULL {
		return nil, errkind.NotImplemented("%s over %s values; cast them to string first", name, logical.SparkTypeName(x.DataType()))
	}
	input, err := a.coerceTo(x, arrow.BinaryTypes.String)
	if err != nil {
		return nil, err
	}
	var delimiter logical.Expr = logical.NewLiteral(scalar.NewStringScalar(""))
	delimiterText := "NULL"
	if len(args) == 2 {
		lit, ok := args[1].(*logical.Literal)
		if !ok {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] %s's delimiter must be a string literal, got '%s'", name, args[1].String())
		}
		if lit.Value.IsValid() {
			if delimiter, err = a.coerceTo(lit, arrow.BinaryTypes.String); err != nil {
				return nil, err
			}
			delimiterText = literalString(lit)
		}
	}
	values := collectValues(input, name, distinct)
	joined, err := resolveCall(a, "array_join", []logical.Expr{values, delimiter}, false)
	if err != nil {
		return nil, err
	}
	// A group without non-null values is null, not the empty string.
	size, err := resolveCall(a, "size", []logical.Expr{values}, false)
	if err != nil {
		return nil, err
	}
	empty, err := resolveCall(a, "=", []logical.Expr{size, logical.NewLiteral(scalar.NewInt32Scalar(0))}, false)
	if err != nil {
		return nil, err
	}
	result, err := resolveCall(a, "if", []logical.Expr{empty, logical.NewLiteral(scalar.MakeNullScalar(arrow.BinaryTypes.String)), joined}, false)
	if err != nil {
		return nil, err
	}
	return displayAs(result, fmt.Sprintf("%s(%s%s, %s)", name, distinctPrefix(distinct), x.String(), delimiterText)), nil
}

// resolveMode picks the most frequent non-null value from the collected values. Among equally
// frequent values it answers the least: Spark does so for mode(x, true) and answers whichever its
// hash map meets first for mode(x), which Quiver cannot reproduce.
func resolveMode(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) < 1 || len(args) > 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] mode takes a column and an optional deterministic flag, got %d arguments", len(args))
	}
	x := args[0]
	display := aggregateDisplay(name, distinct, args[:1])
	if len(args) == 2 {
		lit, ok := args[1].(*logical.Literal)
		deterministic, isBool := scalarBool(lit, ok)
		if !isBool {
			return nil, errkind.Invalid("the second argument of mode (deterministic) must be a boolean literal, got '%s'", args[1].String())
		}
		if deterministic {
			// Spark rewrites mode(x, true) to the ordered-set form and names the column so.
			display = fmt.Sprintf("mode() WITHIN GROUP (ORDER BY %s DESC)", x.String())
		}
	}
	if !orderable(x.DataType()) {
		return nil, errkind.NotImplemented("mode over %s values", logical.SparkTypeName(x.DataType()))
	}
	return &logical.Call{Function: "mode_of_list", Args: []logical.Expr{collectValues(x, name, distinct)}, Type: x.DataType(), Null: true,
		Display: display}, nil
}

// resolveRegression builds regr_count(y, x) (rows where both are non-null) and
// regr_avgx/regr_avgy (the average of x or y over those rows), as Spark defines them.
func resolveRegression(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	if len(args) != 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] %s takes 2 arguments (y, x), got %d", name, len(args))
	}
	y, x := args[0], args[1]
	for _, e := range args {
		if _, err := sumType(name, e); err != nil {
			return nil, err
		}
	}
	display := aggregateDisplay(name, distinct, args)
	if name == "regr_count" {
		count, err := resolveCall(a, "count", args, distinct)
		if err != nil {
			return nil, err
		}
		return displayAs(count, display), nil
	}
	averaged, other := x, y
	if name == "regr_avgy" {
		averaged, other = y, x
	}
	missing, err := resolveCall(a, "isnull", []logical.Expr{other}, false)
	if err != nil {
		return nil, err
	}
	value, err := resolveCall(a, "if", []logical.Expr{missing, logical.NewLiteral(scalar.MakeNullScalar(averaged.DataType())), averaged}, false)
	if err != nil {
		return nil, err
	}
	average, err := resolveCall(a, "avg", []logical.Expr{value}, distinct)
	if err != nil {
		return nil, err
	}
	return displayAs(average, display), nil
}

func resolveHigherMoment(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
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
	return &logical.AggregateCall{Function: name, Args: []logical.Expr{input}, Distinct: distinct, Type: arrow.PrimitiveTypes.Float64,
		Null: true, Display: aggregateDisplay(name, distinct, args)}, nil
}

func resolveBitwiseAggregate(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	x, err := oneArgument(name, args)
	if err != nil {
		return nil, err
	}
	t := x.DataType()
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
	default:
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs an integral argument, but '%s' is %s",
			name, x.String(), logical.SparkTypeName(t))
	}
	input, err := a.coerceTo(x, arrow.PrimitiveTypes.Int64)
	if err != nil {
		return nil, err
	}
	display := aggregateDisplay(name, distinct, args)
	call := &logical.AggregateCall{Function: name, Args: []logical.Expr{input}, Distinct: distinct, Type: arrow.PrimitiveTypes.Int64,
		Null: true, Display: display}
	if t.ID() == arrow.INT64 {
		return call, nil
	}
	narrowed, err := a.NewCast(call, t, logical.EvalANSI)
	if err != nil {
		return nil, err
	}
	return displayAs(narrowed, display), nil
}
