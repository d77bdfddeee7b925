package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Arithmetic beyond + - * / %: pmod, try_ arithmetic, decimal arithmetic, bitwise operators and
// shifts. Kernels live in exec/kernels_arith.go.

func init() {
	registerFunction(resolvePmod, "pmod")
	registerFunction(resolveTryArithmetic, "try_add", "try_subtract", "try_multiply", "try_divide", "try_mod")
	registerFunction(resolveBitwise, "&", "|", "^", "bitwise_and", "bitwise_or", "bitwise_xor", "bitand", "bitor", "bitxor")
	registerFunction(resolveBitwiseNot, "~", "bitwise_not", "bitnot")
	registerFunction(resolveShift, "shiftleft", "shiftright", "shiftrightunsigned", "<<", ">>", ">>>")
}

// arithmeticMode is the session's failure mode for arithmetic.
func (a *Analyzer) arithmeticMode() logical.EvalMode {
	if a.Config.ANSI {
		return logical.EvalANSI
	}
	return logical.EvalLegacy
}

func modeSuffix(mode logical.EvalMode) string {
	switch mode {
	case logical.EvalLegacy:
		return "_legacy"
	case logical.EvalTry:
		return "_try"
	}
	return ""
}

// decimalArithmetic builds a decimal call; integer operands become their exact decimal type
// (int -> decimal(10,0)) and each operand keeps its own scale, the kernel rounds to result's.
// display overrides Spark's "(a + b)" form (try_add(a, b)).
func (a *Analyzer) decimalArithmetic(op string, args []logical.Expr, result arrow.DataType, mode logical.EvalMode, display string) (logical.Expr, error) {
	if result.ID() != arrow.DECIMAL128 {
		return nil, errkind.NotImplemented("decimal arithmetic on %s", logical.SparkTypeName(result))
	}
	operands := make([]logical.Expr, 2)
	for i, x := range args {
		t := x.DataType()
		if t.ID() == arrow.NULL {
			t = result
		}
		d, ok := integerDecimal(t)
		if !ok {
			return nil, typeMismatch(op, args[0], args[1])
		}
		c, err := a.coerceTo(x, d)
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	if display == "" {
		display = fmt.Sprintf("(%s %s %s)", args[0].String(), displaySymbols[op], args[1].String())
	}
	return &logical.Call{
		Function: "decimal_" + op + modeSuffix(mode), Args: operands, Type: result,
		Null:    true,
		Display: display,
	}, nil
}

func resolvePmod(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	result, ok := WiderNumericType(args[0].DataType(), args[1].DataType())
	if !ok {
		return nil, typeMismatch("pmod", args[0], args[1])
	}
	operands, err := a.coerceAll(args, result)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "pmod" + modeSuffix(a.arithmeticMode()), Args: operands, Type: result, Null: true,
		Display: fmt.Sprintf("pmod(%s, %s)", args[0].String(), args[1].String())}, nil
}

// resolveTryArithmetic is try_add and friends: Spark's arithmetic typing, null instead of errors.
func resolveTryArithmetic(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	op := name[len("try_"):]
	display := fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())
	lt, rt := args[0].DataType(), args[1].DataType()
	var result arrow.DataType
	if isDecimal(lt) || isDecimal(rt) {
		if t, ok := decimalResult(op, lt, rt); ok {
			if isDecimal(t) {
				return a.decimalArithmetic(op, args, t, logical.EvalTry, display)
			}
			result = t
		}
	}
	if result == nil {
		if !isNumericOrNull(lt) || !isNumericOrNull(rt) {
			return nil, typeMismatch(op, args[0], args[1])
		}
		if op == "divide" {
			result = arrow.PrimitiveTypes.Float64
		} else {
			result, _ = WiderNumericType(lt, rt)
		}
	}
	operands, err := a.coerceAll(args, result)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: op + "_try", Args: operands, Type: result, Null: true, Display: display}, nil
}

var bitwiseNames = map[string]string{
	"&": "bitwise_and", "|": "bitwise_or", "^": "bitwise_xor",
	"bitand": "bitwise_and", "bitor": "bitwise_or", "bitxor": "bitwise_xor",
	"bitwise_and": "bitwise_and", "bitwise_or": "bitwise_or", "bitwise_xor": "bitwise_xor",
}

var bitwiseSymbols = map[string]string{"bitwise_and": "&", "bitwise_or": "|", "bitwise_xor": "^"}

func isIntegral(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return true
	}
	return false
}

func resolveBitwise(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	op := bitwiseNames[name]
	lt, rt := args[0].DataType(), args[1].DataType()
	if (!isIntegral(lt) && lt.ID() != arrow.NULL) || (!isIntegral(rt) && rt.ID() != arrow.NULL) {
		return nil, errkind.Invalid("'%s' needs integral operands, but '%s' is %s and '%s' is %s; cast them to int or bigint first",
			bitwiseSymbols[op], args[0].String(), logical.SparkTypeName(lt), args[1].String(), logical.SparkTypeName(rt))
	}
	result, _ := WiderNumericType(lt, rt)
	operands, err := a.coerceAll(args, result)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: op, Args: operands, Type: result, Null: anyNullable(args),
		Display: fmt.Sprintf("(%s %s %s)", args[0].String(), bitwiseSymbols[op], args[1].String())}, nil
}

func resolveBitwiseNot(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if !isIntegral(t) && t.ID() != arrow.NULL {
		return nil, errkind.Invalid("'~' needs an integral operand, but '%s' is %s", args[0].String(), logical.SparkTypeName(t))
	}
	result, _ := WiderNumericType(t, t)
	operands, err := a.coerceAll(args, result)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "bitwise_not", Args: operands, Type: result, Null: args[0].Nullable(),
		Display: fmt.Sprintf("~%s", args[0].String())}, nil
}

var shiftNames = map[string]string{"<<": "shiftleft", ">>": "shiftright", ">>>": "shiftrightunsigned"}

func resolveShift(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	if n, ok := shiftNames[name]; ok {
		name = n
	}
	t := args[0].DataType()
	if !isIntegral(t) && t.ID() != arrow.NULL {
		return nil, errkind.Invalid("%s needs an integral value to shift, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(t))
	}
	// Spark shifts int or bigint; smaller types widen to int.
	result := arrow.DataType(arrow.PrimitiveTypes.Int32)
	if t.ID() == arrow.INT64 || t.ID() == arrow.UINT32 {
		result = arrow.PrimitiveTypes.Int64
	}
	value, err := a.coerceTo(args[0], result)
	if err != nil {
		return nil, err
	}
	if !isIntegral(args[1].DataType()) && args[1].DataType().ID() != arrow.NULL {
		return nil, errkind.Invalid("%s needs an integral shift count, but '%s' is %s", name, args[1].String(), logical.SparkTypeName(args[1].DataType()))
	}
	count, err := a.coerceTo(args[1], arrow.PrimitiveTypes.Int32)
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: name, Args: []logical.Expr{value, count}, Type: result, Null: anyNullable(args),
		Display: fmt.Sprintf("%s(%s, %s)", name, args[0].String(), args[1].String())}, nil
}

// coerceAll casts every argument to t.
func (a *Analyzer) coerceAll(args []logical.Expr, t arrow.DataType) ([]logical.Expr, error) {
	out := make([]logical.Expr, len(args))
	for i, x := range args {
		c, err := a.coerceTo(x, t)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}
