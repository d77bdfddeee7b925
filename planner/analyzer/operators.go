package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Operators, with Spark's display names so unaliased columns are named as PySpark names them.

var binarySymbols = map[string]string{
	"+": "add", "-": "subtract", "*": "multiply", "/": "divide", "%": "mod",
	"==": "eq", "=": "eq", "!=": "neq", "<>": "neq", "<": "lt", "<=": "lte", ">": "gt", ">=": "gte",
	"<=>": "eq_null_safe", "and": "and", "or": "or",
}

var displaySymbols = map[string]string{
	"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "mod": "%",
	"eq": "=", "neq": "!=", "lt": "<", "lte": "<=", "gt": ">", "gte": ">=", "eq_null_safe": "<=>",
	"and": "AND", "or": "OR",
}

func init() {
	registerFunction(resolveArithmetic, "+", "-", "*", "/", "%", "add", "subtract", "multiply", "divide", "mod")
	registerFunction(resolveComparison, "==", "=", "!=", "<>", "<", "<=", ">", ">=", "<=>", "eq", "neq", "lt", "lte", "gt", "gte", "eq_null_safe")
	registerFunction(resolveLogical, "and", "or")
	registerFunction(resolveNot, "not", "!")
	registerFunction(resolveNullTest, "isnull", "isnotnull")
	registerFunction(resolveNegative, "negative", "negate")
}

func canonical(name string) string {
	if c, ok := binarySymbols[name]; ok {
		return c
	}
	return name
}

func resolveArithmetic(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	op := canonical(name)
	l, r := args[0], args[1]
	lt, rt := l.DataType(), r.DataType()
	// Spark (DecimalPrecision, literalPickMinimumPrecision): an integer literal next to a decimal
	// counts as a decimal of just its digits (2 -> decimal(1,0)), not of its type's width.
	lt, rt = literalDecimalType(l, rt), literalDecimalType(r, lt)
	var result arrow.DataType
	switch {
	case op == "divide":
		if isDecimal(lt) || isDecimal(rt) {
			if t, ok := decimalResult(op, lt, rt); ok {
				result = t
				break
			}
		}
		if !isNumericOrNull(lt) || !isNumericOrNull(rt) {
			return nil, typeMismatch(op, l, r)
		}
		result = arrow.PrimitiveTypes.Float64
	default:
		if isDecimal(lt) || isDecimal(rt) {
			if t, ok := decimalResult(op, lt, rt); ok {
				result = t
				break
			}
		}
		wider, ok := WiderNumericType(lt, rt)
		if !ok {
			return nil, typeMismatch(op, l, r)
		}
		result = wider
	}
	if isDecimal(result) { // exact decimal kernels on the operands' own scales (fn_arith.go)
		return a.decimalArithmetic(op, args, result, a.arithmeticMode(), "")
	}
	var err error
	if l, err = a.coerceTo(l, result); err != nil {
		return nil, err
	}
	if r, err = a.coerceTo(r, result); err != nil {
		return nil, err
	}
	fn := op
	if !a.Config.ANSI {
		fn += "_legacy"
	}
	return &logical.Call{
		Function: fn, Args: []logical.Expr{l, r}, Type: result,
		Null:    anyNullable(args) || op == "divide" || op == "mod" || !a.Config.ANSI,
		Display: fmt.Sprintf("(%s %s %s)", args[0].String(), displaySymbols[op], args[1].String()),
	}, nil
}

func resolveComparison(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	op := canonical(name)
	if nested, ok, err := a.resolveNestedComparison(op, args); ok || err != nil {
		return nested, err
	}
	l, r := args[0], args[1]
	common, ok := ComparableType(l.DataType(), r.DataType())
	if !ok {
		return nil, typeMismatch(op, l, r)
	}
	var err error
	if l, err = a.coerceTo(l, common); err != nil {
		return nil, err
	}
	if r, err = a.coerceTo(r, common); err != nil {
		return nil, err
	}
	if op == "neq" {
		eq := &logical.Call{Function: "eq", Args: []logical.Expr{l, r}, Type: arrow.FixedWidthTypes.Boolean, Null: anyNullable(args),
			Display: fmt.Sprintf("(%s = %s)", args[0].String(), args[1].String())}
		return &logical.Call{Function: "not", Args: []logical.Expr{eq}, Type: arrow.FixedWidthTypes.Boolean, Null: eq.Null,
			Display: fmt.Sprintf("(NOT %s)", eq.Display)}, nil
	}
	return &logical.Call{
		Function: op, Args: []logical.Expr{l, r}, Type: arrow.FixedWidthTypes.Boolean,
		Null:    op != "eq_null_safe" && anyNullable(args),
		Display: fmt.Sprintf("(%s %s %s)", args[0].String(), displaySymbols[op], args[1].String()),
	}, nil
}

func resolveLogical(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	op := canonical(name)
	coerced := make([]logical.Expr, 2)
	for i, x := range args {
		c, err := a.requireBoolean(op, x)
		if err != nil {
			return nil, err
		}
		coerced[i] = c
	}
	return &logical.Call{
		Function: op, Args: coerced, Type: arrow.FixedWidthTypes.Boolean, Null: anyNullable(args),
		Display: fmt.Sprintf("(%s %s %s)", args[0].String(), displaySymbols[op], args[1].String()),
	}, nil
}

func resolveNot(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	c, err := a.requireBoolean("NOT", args[0])
	if err != nil {
		return nil, err
	}
	return &logical.Call{Function: "not", Args: []logical.Expr{c}, Type: arrow.FixedWidthTypes.Boolean, Null: c.Nullable(),
		Display: fmt.Sprintf("(NOT %s)", args[0].String())}, nil
}

func resolveNullTest(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	display := fmt.Sprintf("(%s IS NULL)", args[0].String())
	if name == "isnotnull" {
		display = fmt.Sprintf("(%s IS NOT NULL)", args[0].String())
	}
	return &logical.Call{Function: name, Args: args, Type: arrow.FixedWidthTypes.Boolean, Null: false, Display: display}, nil
}

func resolveNegative(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if !isNumericOrNull(t) && !isDecimal(t) && !isInterval(t) {
		return nil, errkind.Invalid("cannot negate '%s' of type %s; negation needs a numeric or interval value", args[0].String(), logical.SparkTypeName(t))
	}
	fn := "negative"
	if !a.Config.ANSI {
		fn = "negative_legacy"
	}
	return &logical.Call{Function: fn, Args: args, Type: t, Null: args[0].Nullable(), Display: fmt.Sprintf("(- %s)", args[0].String())}, nil
}

func (a *Analyzer) requireBoolean(op string, e logical.Expr) (logical.Expr, error) {
	switch e.DataType().(type) {
	case *arrow.BooleanType:
		return e, nil
	case *arrow.NullType:
		return &logical.Cast{Child: e, To: arrow.FixedWidthTypes.Boolean, Mode: logical.EvalLegacy}, nil
	}
	return nil, errkind.Invalid("%s needs boolean operands, but '%s' is %s; compare it with a value first (for example col == 1)",
		op, e.String(), logical.SparkTypeName(e.DataType()))
}

func typeMismatch(op string, l, r logical.Expr) error {
	return errkind.Invalid("cannot apply '%s' to '%s' (%s) and '%s' (%s): the types are incompatible; cast one side with .cast(...)",
		displayOr(op), l.String(), logical.SparkTypeName(l.DataType()), r.String(), logical.SparkTypeName(r.DataType()))
}

func displayOr(op string) string {
	if s, ok := displaySymbols[op]; ok {
		return s
	}
	return op
}

// coerceTo inserts a cast when e's type differs from t. Implicit casts never fail at run time
// except where Spark's ANSI coercion would also fail (string to number).
func (a *Analyzer) coerceTo(e logical.Expr, t arrow.DataType) (logical.Expr, error) {
	if arrow.TypeEqual(e.DataType(), t) {
		return e, nil
	}
	if lit, ok := e.(*logical.Literal); ok && !lit.Value.IsValid() {
		return logical.NullLiteral(t), nil
	}
	mode := logical.EvalANSI
	if !a.Config.ANSI {
		mode = logical.EvalLegacy
	}
	return &logical.Cast{Child: e, To: t, Mode: mode}, nil
}
