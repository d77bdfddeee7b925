package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Math functions with Spark's result types and column names (Spark prints most math functions
// upper-case: SQRT(x), POWER(x, 2), but ln(x), abs(x), round(x, 2)). Kernels: exec/kernels_math.go.

// unaryMathNames maps a function name to its kernel and Spark's display name.
var unaryMathNames = map[string][2]string{
	"sqrt": {"sqrt", "SQRT"}, "exp": {"exp", "EXP"}, "expm1": {"expm1", "EXPM1"}, "cbrt": {"cbrt", "CBRT"},
	"ln": {"ln", "ln"}, "log10": {"log10", "LOG10"}, "log2": {"log2", "LOG2"}, "log1p": {"log1p", "LOG1P"},
	"sin": {"sin", "SIN"}, "cos": {"cos", "COS"}, "tan": {"tan", "TAN"}, "asin": {"asin", "ASIN"},
	"acos": {"acos", "ACOS"}, "atan": {"atan", "ATAN"}, "sinh": {"sinh", "SINH"}, "cosh": {"cosh", "COSH"},
	"tanh": {"tanh", "TANH"}, "asinh": {"asinh", "ASINH"}, "acosh": {"acosh", "ACOSH"}, "atanh": {"atanh", "ATANH"},
	"cot": {"cot", "COT"}, "sec": {"sec", "SEC"}, "csc": {"csc", "CSC"},
	"degrees": {"degrees", "DEGREES"}, "radians": {"radians", "RADIANS"}, "rint": {"rint", "rint"},
	"signum": {"signum_double", "SIGNUM"}, "sign": {"signum_double", "sign"},
}

func init() {
	names := make([]string, 0, len(unaryMathNames))
	for n := range unaryMathNames {
		names = append(names, n)
	}
	registerFunction(resolveUnaryMath, names...)
	registerFunction(resolveBinaryMath, "power", "pow", "atan2", "hypot", "log")
	registerFunction(resolveAbs, "abs")
	registerFunction(resolveRound, "round", "bround")
	registerFunction(resolveFloorCeil, "floor", "ceil", "ceiling")
}

func (a *Analyzer) toDouble(fn string, x logical.Expr) (logical.Expr, error) {
	t := x.DataType()
	if !isNumericOrNull(t) && !isDecimal(t) && !isString(t) {
		return nil, errkind.Invalid("%s needs a numeric argument, but '%s' is %s", fn, x.String(), logical.SparkTypeName(t))
	}
	return a.coerceTo(x, arrow.PrimitiveTypes.Float64)
}

func resolveUnaryMath(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	entry := unaryMathNames[name]
	x, err := a.toDouble(name, args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: entry[0], Args: []logical.Expr{x}, Type: arrow.PrimitiveTypes.Float64, Null: true,
		Display: fmt.Sprintf("%s(%s)", entry[1], args[0].String())}, nil
}

func resolveBinaryMath(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if name == "log" {
		if err := checkArity(name, args, 1, 2); err != nil {
			return nil, err
		}
		if len(args) == 1 {
			x, err := a.toDouble(name, args[0])
			if err != nil {
				return nil, err
			}
			return &logical.Call{Function: "ln", Args: []logical.Expr{x}, Type: arrow.PrimitiveTypes.Float64, Null: true,
				Display: fmt.Sprintf("LOG(E(), %s)", args[0].String())}, nil
		}
	} else if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	operands := make([]logical.Expr, 2)
	for i, x := range args {
		c, err := a.toDouble(name, x)
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	kernel, display := name, strings.ToUpper(name)
	switch name {
	case "pow", "power":
		kernel, display = "power", "POWER"
	case "log":
		kernel, display = "logarithm", "LOG"
	}
	return &logical.Call{Function: kernel, Args: operands, Type: arrow.PrimitiveTypes.Float64, Null: true,
		Display: fmt.Sprintf("%s(%s, %s)", display, args[0].String(), args[1].String())}, nil
}

func resolveAbs(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x := args[0]
	t := x.DataType()
	switch {
	case isString(t):
		var err error
		if x, err = a.coerceTo(x, arrow.PrimitiveTypes.Float64); err != nil {
			return nil, err
		}
		t = arrow.PrimitiveTypes.Float64
	case t.ID() == arrow.NULL:
		return logical.NullLiteral(arrow.PrimitiveTypes.Float64), nil
	case !isNumeric(t) && !isDecimal(t):
		return nil, errkind.Invalid("abs needs a numeric argument, but '%s' is %s", x.String(), logical.SparkTypeName(t))
	}
	fn := "abs"
	if !a.Config.ANSI {
		fn = "abs_legacy"
	}
	return &logical.Call{Function: fn, Args: []logical.Expr{x}, Type: t, Null: x.Nullable(),
		Display: fmt.Sprintf("abs(%s)", args[0].String())}, nil
}

// resolveRound is round/bround(x, scale): the scale must be a literal int; integers and doubles
// keep their type, decimal(p, s) becomes decimal(p - s + 1 + min(s, scale), min(s, scale)).
func resolveRound(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 2); err != nil {
		return nil, err
	}
	scale := int32(0)
	scaleText := "0"
	if len(args) == 2 {
		lit, ok := args[1].(*logical.Literal)
		if !ok || !isIntegral(lit.DataType()) {
			return nil, errkind.Invalid("%s needs a literal integer scale, but got '%s'", name, args[1].String())
		}
		if lit.Value.IsValid() {
			c, err := lit.Value.CastTo(arrow.PrimitiveTypes.Int32)
			if err != nil {
				return nil, errkind.Invalid("%s scale %s does not fit an int", name, lit.String())
			}
			scale = c.(*scalar.Int32).Value
		}
		scaleText = args[1].String()
	}
	x := args[0]
	t := x.DataType()
	switch {
	case isString(t) || t.ID() == arrow.NULL:
		var err error
		if x, err = a.coerceTo(x, arrow.PrimitiveTypes.Float64); err != nil {
			return nil, err
		}
		t = arrow.PrimitiveTypes.Float64
	case t.ID() == arrow.UINT8 || t.ID() == arrow.UINT16 || t.ID() == arrow.UINT32 || t.ID() == arrow.UINT64 || t.ID() == arrow.FLOAT16:
		wider, _ := WiderNumericType(t, t)
		var err error
		if x, err = a.coerceTo(x, wider); err != nil {
			return nil, err
		}
		t = wider
	case isDecimal(t):
		d, ok := t.(*arrow.Decimal128Type)
		if !ok {
			return nil, errkind.NotImplemented("%s on %s", name, logical.SparkTypeName(t))
		}
		integral := d.Precision - d.Scale + 1
		if scale < 0 {
			t = &arrow.Decimal128Type{Precision: min(max(integral, -scale+1), 38), Scale: 0}
		} else {
			s := min(d.Scale, scale)
			t = &arrow.Decimal128Type{Precision: min(integral+s, 38), Scale: s}
		}
	case !isNumeric(t):
		return nil, errkind.Invalid("%s needs a numeric argument, but '%s' is %s", name, x.String(), logical.SparkTypeName(t))
	}
	return &logical.Call{Function: name, Args: []logical.Expr{x, logical.NewLiteral(scalar.NewInt32Scalar(scale))}, Type: t, Null: x.Nullable(),
		Display: fmt.Sprintf("%s(%s, %s)", name, args[0].String(), scaleText)}, nil
}

func resolveFloorCeil(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	fn := name
	if fn == "ceiling" {
		fn = "ceil"
	}
	x := args[0]
	t := x.DataType()
	var result arrow.DataType = arrow.PrimitiveTypes.Int64
	switch {
	case isDecimal(t):
		d, ok := t.(*arrow.Decimal128Type)
		if !ok {
			return nil, errkind.NotImplemented("%s on %s", name, logical.SparkTypeName(t))
		}
		result = &arrow.Decimal128Type{Precision: min(d.Precision-d.Scale+1, 38), Scale: 0}
	case isIntegral(t):
		var err error
		if x, err = a.coerceTo(x, arrow.PrimitiveTypes.Int64); err != nil {
			return nil, err
		}
	default:
		var err error
		if x, err = a.toDouble(name, x); err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: fn, Args: []logical.Expr{x}, Type: result, Null: x.Nullable(),
		Display: fmt.Sprintf("%s(%s)", strings.ToUpper(name), args[0].String())}, nil
}
