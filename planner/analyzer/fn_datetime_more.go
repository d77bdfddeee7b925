package analyzer

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// More date, time and math functions: unix_date, unix_seconds/millis/micros,
// timestamp_seconds/millis/micros, date_from_unix_date, dayname, monthname, next_day, pi, e,
// factorial. Kernels: exec/kernels_datetime_more.go.

func init() {
	registerFunction(resolveEpochNumber, "unix_date", "unix_seconds", "unix_millis", "unix_micros")
	registerFunction(resolveFromEpoch, "timestamp_seconds", "timestamp_millis", "timestamp_micros", "date_from_unix_date")
	registerFunction(resolveDayOrMonthName, "dayname", "monthname")
	registerFunction(resolveNextDay, "next_day")
	registerFunction(resolveMathConstant, "pi", "e")
	registerFunction(resolveFactorial, "factorial")
}

// resolveEpochNumber: unix_date(date) counts days, unix_seconds/millis/micros(timestamp) count
// seconds, milliseconds or microseconds since 1970-01-01 00:00:00 UTC (rounding down).
func resolveEpochNumber(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	var x logical.Expr
	var err error
	var result arrow.DataType = arrow.PrimitiveTypes.Int64
	if name == "unix_date" {
		x, err = a.toDate(name, args[0])
		result = int32Type
	} else {
		t := args[0].DataType()
		if t.ID() != arrow.TIMESTAMP && !isString(t) && t.ID() != arrow.NULL && t.ID() != arrow.DATE32 {
			return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a timestamp, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(t))
		}
		x, err = a.coerceTo(args[0], a.timestampType())
	}
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "epoch_number", Args: []logical.Expr{x, logical.NewLiteral(stringScalar(name))}, Type: result,
		Null: args[0].Nullable(), Display: display(name, args)}, nil
}

func resolveFromEpoch(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	var x logical.Expr
	var err error
	switch {
	case name == "timestamp_seconds" && (t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64 || isDecimal(t)):
		x, err = a.coerceTo(args[0], arrow.PrimitiveTypes.Float64)
	case isIntegral(t) || t.ID() == arrow.NULL:
		x, err = a.coerceTo(args[0], arrow.PrimitiveTypes.Int64)
	default:
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs an integer%s, but '%s' is %s", name,
			map[bool]string{true: " or a fractional number", false: ""}[name == "timestamp_seconds"], args[0].String(), logical.SparkTypeName(t))
	}
	if err != nil {
		return nil, err
	}
	result := a.timestampType()
	if name == "date_from_unix_date" {
		result = arrow.FixedWidthTypes.Date32
		if x, err = a.coerceTo(args[0], int32Type); err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: "from_epoch", Args: []logical.Expr{x, logical.NewLiteral(stringScalar(name))}, Type: result,
		Null: args[0].Nullable(), Display: display(name, args)}, nil
}

func resolveDayOrMonthName(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, err := a.toDate(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "date_name", Args: []logical.Expr{x, logical.NewLiteral(stringScalar(name))}, Type: stringType,
		Null: args[0].Nullable(), Display: display(name, args)}, nil
}

func resolveNextDay(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, err := a.toDate(name, args[0])
	if err != nil {
		return nil, err
	}
	day, err := a.coerceArg(name, args[1], argString)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "next_day", Args: []logical.Expr{x, day}, Type: arrow.FixedWidthTypes.Date32,
		Null: true, Display: display(name, args)}, nil
}

func resolveMathConstant(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 0, 0); err != nil {
		return nil, err
	}
	value := math.Pi
	if name == "e" {
		value = math.E
	}
	return &logical.Call{Function: "identity", Args: []logical.Expr{logical.NewLiteral(scalar.NewFloat64Scalar(value))},
		Type: arrow.PrimitiveTypes.Float64, Null: false, Display: map[string]string{"pi": "PI()", "e": "E()"}[name]}, nil
}

// resolveFactorial: n! for 0 <= n <= 20 as bigint, null otherwise.
func resolveFactorial(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, err := a.coerceArg(name, args[0], argInt)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "factorial", Args: []logical.Expr{x}, Type: arrow.PrimitiveTypes.Int64, Null: true, Display: display(name, args)}, nil
}
