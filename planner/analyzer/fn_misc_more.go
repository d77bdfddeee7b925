package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Functions Spark defines through others: nullifzero, zeroifnull, positive, date_part /
// datepart by field name, and from_utc_timestamp / to_utc_timestamp (kernel:
// exec/kernels_datetime_more.go).

func init() {
	registerFunction(resolveZeroNull, "nullifzero", "zeroifnull")
	registerFunction(resolvePositive, "positive")
	registerFunction(resolveDatePartByName, "date_part", "datepart")
	registerFunction(resolveUTCShift, "from_utc_timestamp", "to_utc_timestamp")
}

// withDisplay renames the column of a call resolved through another function.
func withDisplay(x logical.Expr, text string) logical.Expr {
	if c, ok := x.(*logical.Call); ok {
		copied := *c
		copied.Display = text
		return &copied
	}
	return x
}

func resolveZeroNull(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	if !isNumericOrNull(args[0].DataType()) && !isDecimal(args[0].DataType()) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a number, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	zero := logical.NewLiteral(scalar.NewInt32Scalar(0))
	target := "nullif"
	if name == "zeroifnull" {
		target = "coalesce"
	}
	x, err := resolveCall(a, target, []logical.Expr{args[0], zero}, false)
	if err != nil {
		return nil, err
	}
	return withDisplay(x, display(name, args)), nil
}

func resolvePositive(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if !isNumericOrNull(t) && !isDecimal(t) && !isInterval(t) {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] positive needs a number or an interval, but '%s' is %s", args[0].String(), logical.SparkTypeName(t))
	}
	return &logical.Call{Function: "identity", Args: args, Type: t, Null: args[0].Nullable(), Display: fmt.Sprintf("(+ %s)", args[0].String())}, nil
}

// datePartFields maps Spark's field names (and their abbreviations) to the functions that
// extract them.
var datePartFields = map[string]string{
	"YEAR": "year", "Y": "year", "YEARS": "year", "YR": "year", "YRS": "year",
	"QUARTER": "quarter", "QTR": "quarter",
	"MONTH": "month", "MON": "month", "MONS": "month", "MONTHS": "month",
	"WEEK": "weekofyear", "W": "weekofyear", "WEEKS": "weekofyear",
	"DAY": "day", "D": "day", "DAYS": "day",
	"DAYOFWEEK": "dayofweek", "DOW": "dayofweek", "DOY": "dayofyear",
	"HOUR": "hour", "H": "hour", "HOURS": "hour", "HR": "hour", "HRS": "hour",
	"MINUTE": "minute", "M": "minute", "MIN": "minute", "MINS": "minute", "MINUTES": "minute",
}

func resolveDatePartByName(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	lit, ok := args[0].(*logical.Literal)
	if !ok || !isString(lit.DataType()) || !lit.Value.IsValid() {
		return nil, errkind.Invalid("[NON_FOLDABLE_ARGUMENT] %s needs the field as a string literal, such as 'YEAR', but got '%s'", name, args[0].String())
	}
	field := strings.ToUpper(strings.TrimSpace(literalString(lit)))
	function, ok := datePartFields[field]
	if !ok {
		if field == "SECOND" || field == "S" || field == "SEC" || field == "SECONDS" || field == "SECS" || field == "DAYOFWEEK_ISO" || field == "DOW_ISO" || field == "EPOCH" {
			return nil, errkind.NotImplemented("%s('%s', ...) is not supported by Quiver yet (Spark returns seconds with their fraction as decimal(8,6)); use second(...) for whole seconds", name, field)
		}
		return nil, errkind.Invalid("[INVALID_EXTRACT_FIELD] Cannot extract %s from %s; use one of YEAR, QUARTER, MONTH, WEEK, DAY, DAYOFWEEK, DOY, HOUR, MINUTE", literalString(lit), args[1].String())
	}
	x, err := resolveCall(a, function, args[1:], false)
	if err != nil {
		return nil, err
	}
	return withDisplay(x, display(name, args)), nil
}

func resolveUTCShift(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if t.ID() != arrow.TIMESTAMP && t.ID() != arrow.DATE32 && !isString(t) && t.ID() != arrow.NULL {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs a timestamp, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(t))
	}
	x, err := a.coerceTo(args[0], a.timestampType())
	if err != nil {
		return nil, err
	}
	zone, err := a.coerceArg(name, args[1], argString)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "utc_shift", Args: []logical.Expr{x, zone, logical.NewLiteral(boolScalar(name == "from_utc_timestamp"))},
		Type: a.timestampType(), Null: true, Display: display(name, args)}, nil
}
