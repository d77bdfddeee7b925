package analyzer

import (
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Date and time functions. Strings given where a date or timestamp is expected are cast with
// Spark's rules; timestamps are timestamp[us] in the session time zone. Kernels:
// exec/kernels_datetime.go.

var dateParts = map[string]string{
	"year": "year", "month": "month", "dayofmonth": "day", "day": "day", "dayofweek": "dayofweek",
	"dayofyear": "dayofyear", "weekofyear": "weekofyear", "quarter": "quarter", "weekday": "weekday",
	"hour": "hour", "minute": "minute", "second": "second",
}

func init() {
	for name := range dateParts {
		registerFunction(resolveDatePart, name)
	}
	registerFunction(resolveDateArithmetic, "date_add", "date_sub", "add_months", "dateadd")
	registerFunction(resolveDateDiff, "datediff", "date_diff")
	registerFunction(resolveMonthsBetween, "months_between")
	registerFunction(resolveLastDay, "last_day")
	registerFunction(resolveTrunc, "trunc", "date_trunc")
	registerFunction(resolveDateFormat, "date_format")
	registerFunction(resolveToDate, "to_date", "to_timestamp", "try_to_timestamp", "to_timestamp_ntz", "to_timestamp_ltz")
	registerFunction(resolveCurrent, "current_date", "current_timestamp", "now", "curdate")
	registerFunction(resolveUnixTimestamp, "unix_timestamp", "to_unix_timestamp")
	registerFunction(resolveFromUnixtime, "from_unixtime")
	registerFunction(resolveMakeDate, "make_date")
}

func (a *Analyzer) timestampType() arrow.DataType {
	return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: a.Config.SessionTimeZone}
}

// toDate coerces a date, timestamp or string to a date.
func (a *Analyzer) toDate(fn string, x logical.Expr) (logical.Expr, error) {
	t := x.DataType()
	switch {
	case t.ID() == arrow.DATE32:
		return x, nil
	case t.ID() == arrow.TIMESTAMP || isString(t) || t.ID() == arrow.NULL || t.ID() == arrow.DATE64:
		return a.coerceTo(x, arrow.FixedWidthTypes.Date32)
	}
	return nil, errkind.Invalid("%s needs a date, but '%s' is %s; use to_date(...) first", fn, x.String(), logical.SparkTypeName(t))
}

// toTemporal keeps dates and timestamps and casts strings to timestamps (or dates when
// preferDate).
func (a *Analyzer) toTemporal(fn string, x logical.Expr, preferDate bool) (logical.Expr, error) {
	t := x.DataType()
	switch {
	case t.ID() == arrow.DATE32, t.ID() == arrow.TIMESTAMP:
		return x, nil
	case isString(t) || t.ID() == arrow.NULL || t.ID() == arrow.DATE64:
		if preferDate {
			return a.coerceTo(x, arrow.FixedWidthTypes.Date32)
		}
		return a.coerceTo(x, a.timestampType())
	}
	return nil, errkind.Invalid("%s needs a date or timestamp, but '%s' is %s", fn, x.String(), logical.SparkTypeName(t))
}

func stringLiteral(s string) logical.Expr { return logical.NewLiteral(scalar.NewStringScalar(s)) }

func resolveDatePart(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	part := dateParts[name]
	timeOfDay := part == "hour" || part == "minute" || part == "second"
	x, err := a.toTemporal(name, args[0], !timeOfDay)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "date_part", Args: []logical.Expr{x, stringLiteral(part)}, Type: int32Type, Null: args[0].Nullable(),
		Display: fmt.Sprintf("%s(%s)", name, args[0].String())}, nil
}

func resolveDateArithmetic(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	d, err := a.toDate(name, args[0])
	if err != nil {
		return nil, err
	}
	k, err := a.coerceArg(name, args[1], argInt)
	if err != nil {
		return nil, err
	}
	fn := "date_add"
	if name == "add_months" {
		fn = "add_months"
	}
	if name == "date_sub" {
		k, err = resolveNegative(a, "negative", []logical.Expr{k}, false)
		if err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: fn, Args: []logical.Expr{d, k}, Type: arrow.FixedWidthTypes.Date32, Null: anyNullable(args),
		Display: fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())}, nil
}

func resolveDateDiff(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	operands := make([]logical.Expr, 2)
	for i, x := range args {
		d, err := a.toDate(name, x)
		if err != nil {
			return nil, err
		}
		operands[i] = d
	}
	return &logical.Call{Function: "datediff", Args: operands, Type: int32Type, Null: anyNullable(args),
		Display: fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())}, nil
}

func resolveMonthsBetween(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 3); err != nil {
		return nil, err
	}
	operands := make([]logical.Expr, 3)
	for i, x := range args[:2] {
		t, err := a.toTemporal(name, x, false)
		if err != nil {
			return nil, err
		}
		if t.DataType().ID() == arrow.DATE32 {
			if t, err = a.coerceTo(t, a.timestampType()); err != nil {
				return nil, err
			}
		}
		operands[i] = t
	}
	roundOff := "true"
	operands[2] = logical.NewLiteral(scalar.NewBooleanScalar(true))
	if len(args) == 3 {
		lit, ok := args[2].(*logical.Literal)
		if !ok || lit.DataType().ID() != arrow.BOOL {
			return nil, errkind.Invalid("months_between needs a literal boolean roundOff, got '%s'", args[2].String())
		}
		operands[2], roundOff = lit, lit.String()
	}
	return &logical.Call{Function: "months_between", Args: operands, Type: arrow.PrimitiveTypes.Float64, Null: anyNullable(args[:2]),
		Display: fmt.Sprintf("months_between(%s, %s, %s)", args[0].String(), args[1].String(), roundOff)}, nil
}

func resolveLastDay(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	d, err := a.toDate(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "last_day", Args: []logical.Expr{d}, Type: arrow.FixedWidthTypes.Date32, Null: args[0].Nullable(),
		Display: fmt.Sprintf("last_day(%s)", args[0].String())}, nil
}

// resolveTrunc is trunc(date, unit) -> date and date_trunc(unit, timestamp) -> timestamp.
func resolveTrunc(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	display := fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())
	if name == "trunc" {
		d, err := a.toDate(name, args[0])
		if err != nil {
			return nil, err
		}
		unit, err := a.coerceArg(name, args[1], argString)
		if err != nil {
			return nil, err
		}
		return &logical.Call{Function: "trunc", Args: []logical.Expr{d, unit}, Type: arrow.FixedWidthTypes.Date32, Null: true, Display: display}, nil
	}
	unit, err := a.coerceArg(name, args[0], argString)
	if err != nil {
		return nil, err
	}
	ts, err := a.toTemporal(name, args[1], false)
	if err != nil {
		return nil, err
	}
	if ts.DataType().ID() == arrow.DATE32 {
		if ts, err = a.coerceTo(ts, a.timestampType()); err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: "date_trunc", Args: []logical.Expr{unit, ts}, Type: ts.DataType(), Null: true, Display: display}, nil
}

func resolveDateFormat(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	x, err := a.toTemporal(name, args[0], false)
	if err != nil {
		return nil, err
	}
	pattern, err := a.coerceArg(name, args[1], argString)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "date_format", Args: []logical.Expr{x, pattern}, Type: stringType, Null: anyNullable(args),
		Display: fmt.Sprintf("date_format(%s, %s)", args[0].String(), args[1].String())}, nil
}

// resolveToDate is to_date/to_timestamp with an optional pattern. Without one they are casts;
// with one, a pattern parse (ANSI: an unparsable value is an error; try_to_timestamp: null).
func resolveToDate(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 2); err != nil {
		return nil, err
	}
	target := a.timestampType()
	if name == "to_date" {
		target = arrow.FixedWidthTypes.Date32
	} else if name == "to_timestamp_ntz" {
		target = &arrow.TimestampType{Unit: arrow.Microsecond}
	}
	display := fmt.Sprintf("%s(%s)", name, args[0].String())
	if len(args) == 2 {
		display = fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())
	}
	t := args[0].DataType()
	if len(args) == 1 || !isString(t) {
		mode := a.arithmeticMode()
		if name == "try_to_timestamp" {
			mode = logical.EvalTry
		}
		if !isString(t) && !isTemporal(t) && t.ID() != arrow.NULL && !(isNumeric(t) && target.ID() == arrow.TIMESTAMP) {
			return nil, errkind.Invalid("%s needs a string, date or timestamp, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(t))
		}
		cast := logical.Expr(&logical.Cast{Child: args[0], To: target, Mode: mode})
		if arrow.TypeEqual(t, target) {
			cast = args[0]
		}
		return &logical.Call{Function: "identity", Args: []logical.Expr{cast}, Type: target, Null: true, Display: display}, nil
	}
	text, err := a.coerceArg(name, args[0], argString)
	if err != nil {
		return nil, err
	}
	pattern, err := a.coerceArg(name, args[1], argString)
	if err != nil {
		return nil, err
	}
	fn := "to_timestamp_format"
	if name == "to_date" {
		fn = "to_date_format"
	}
	return &logical.Call{Function: fn, Args: []logical.Expr{text, pattern}, Type: target, Null: true, Display: display}, nil
}

// resolveCurrent fixes current_date()/current_timestamp() once per query, as Spark does.
func resolveCurrent(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 0, 0); err != nil {
		return nil, err
	}
	now := time.Now()
	var value logical.Expr
	var t arrow.DataType
	switch name {
	case "current_date", "curdate":
		loc, err := time.LoadLocation(a.Config.SessionTimeZone)
		if err != nil {
			loc = time.UTC
		}
		y, m, d := now.In(loc).Date()
		days := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
		t = arrow.FixedWidthTypes.Date32
		value = logical.NewLiteral(scalar.NewDate32Scalar(arrow.Date32(days)))
	default:
		t = a.timestampType()
		value = logical.NewLiteral(scalar.NewTimestampScalar(arrow.Timestamp(now.UnixMicro()), t))
	}
	return &logical.Call{Function: "identity", Args: []logical.Expr{value}, Type: t, Null: false, Display: name + "()"}, nil
}

func resolveUnixTimestamp(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 0, 2); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		now, err := resolveCurrent(a, "current_timestamp", nil, false)
		if err != nil {
			return nil, err
		}
		args = []logical.Expr{now}
	}
	display := fmt.Sprintf("%s(%s, yyyy-MM-dd HH:mm:ss)", name, args[0].String())
	pattern := stringLiteral("yyyy-MM-dd HH:mm:ss")
	if len(args) == 2 {
		display = fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())
		var err error
		if pattern, err = a.coerceArg(name, args[1], argString); err != nil {
			return nil, err
		}
	}
	x := args[0]
	t := x.DataType()
	switch {
	case isString(t):
		var err error
		if x, err = a.coerceArg(name, x, argString); err != nil {
			return nil, err
		}
	case t.ID() == arrow.DATE32 || t.ID() == arrow.TIMESTAMP:
	case t.ID() == arrow.NULL:
		return logical.NullLiteral(arrow.PrimitiveTypes.Int64), nil
	default:
		return nil, errkind.Invalid("%s needs a string, date or timestamp, but '%s' is %s", name, x.String(), logical.SparkTypeName(t))
	}
	return &logical.Call{Function: "unix_timestamp", Args: []logical.Expr{x, pattern}, Type: arrow.PrimitiveTypes.Int64, Null: true, Display: display}, nil
}

func resolveFromUnixtime(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 2); err != nil {
		return nil, err
	}
	secs, err := a.coerceTo(args[0], arrow.PrimitiveTypes.Int64)
	if err != nil {
		return nil, err
	}
	display := fmt.Sprintf("from_unixtime(%s, yyyy-MM-dd HH:mm:ss)", args[0].String())
	pattern := stringLiteral("yyyy-MM-dd HH:mm:ss")
	if len(args) == 2 {
		display = fmt.Sprintf("from_unixtime(%s, %s)", args[0].String(), args[1].String())
		if pattern, err = a.coerceArg(name, args[1], argString); err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: "from_unixtime", Args: []logical.Expr{secs, pattern}, Type: stringType, Null: anyNullable(args), Display: display}, nil
}

func resolveMakeDate(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	operands := make([]logical.Expr, 3)
	for i, x := range args {
		c, err := a.coerceArg(name, x, argInt)
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	return &logical.Call{Function: "make_date", Args: operands, Type: arrow.FixedWidthTypes.Date32, Null: true,
		Display: fmt.Sprintf("make_date(%s)", logical.JoinExprs(args, ", "))}, nil
}
