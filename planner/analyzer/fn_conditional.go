package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Conditional functions: CASE WHEN, coalesce and its aliases, nullif, nvl2, nanvl, greatest,
// least, IN, isnan. Kernels live in exec/kernels_conditional.go.

func init() {
	registerFunction(resolveWhen, "when", "case_when")
	registerFunction(resolveCoalesce, "coalesce", "ifnull", "nvl")
	registerFunction(resolveNvl2, "nvl2")
	registerFunction(resolveNullIf, "nullif")
	registerFunction(resolveNanvl, "nanvl")
	registerFunction(resolveIsNaN, "isnan")
	registerFunction(resolveExtremum, "greatest", "least")
	registerFunction(resolveIn, "in", "isin")
	registerFunction(resolveIf, "if", "iff")
}

// widerCommonType is the type Spark's findWiderCommonType gives a list of value types (CASE
// branches, coalesce arguments): nulls are ignored, numbers widen, decimals keep enough digits,
// strings absorb atomic types, dates widen to timestamps.
func widerCommonType(types []arrow.DataType) (arrow.DataType, bool) {
	var result arrow.DataType
	for _, t := range types {
		if t.ID() == arrow.NULL {
			continue
		}
		if result == nil {
			result = t
			continue
		}
		next, ok := widerOfTwo(result, t)
		if !ok {
			return nil, false
		}
		result = next
	}
	if result == nil {
		return arrow.Null, true
	}
	return result, true
}

func widerOfTwo(l, r arrow.DataType) (arrow.DataType, bool) {
	if arrow.TypeEqual(l, r) {
		return l, true
	}
	if isString(l) && isString(r) {
		return arrow.BinaryTypes.String, true
	}
	if isDecimal(l) || isDecimal(r) {
		if l.ID() == arrow.FLOAT32 || l.ID() == arrow.FLOAT64 || r.ID() == arrow.FLOAT32 || r.ID() == arrow.FLOAT64 {
			return arrow.PrimitiveTypes.Float64, true
		}
		ld, lok := integerDecimal(l)
		rd, rok := integerDecimal(r)
		if lok && rok {
			s := max(ld.Scale, rd.Scale)
			p := min(max(ld.Precision-ld.Scale, rd.Precision-rd.Scale)+s, 38)
			return &arrow.Decimal128Type{Precision: p, Scale: s}, true
		}
	}
	if t, ok := WiderNumericType(l, r); ok {
		return t, true
	}
	if isTemporal(l) && isTemporal(r) {
		if l.ID() == arrow.TIMESTAMP {
			return l, true
		}
		return r, true
	}
	// String promotion: a string with another atomic type gives a string.
	if (isString(l) && isAtomic(r)) || (isString(r) && isAtomic(l)) {
		return arrow.BinaryTypes.String, true
	}
	if l.ID() == r.ID() {
		switch l.ID() {
		case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP:
			return l, true
		}
	}
	return nil, false
}

func isAtomic(t arrow.DataType) bool {
	return isNumeric(t) || isDecimal(t) || isTemporal(t) || t.ID() == arrow.BOOL || isString(t)
}

// coerceValues casts values to their wider common type; what names the function in errors.
func (a *Analyzer) coerceValues(what string, vals []logical.Expr) ([]logical.Expr, arrow.DataType, error) {
	types := make([]arrow.DataType, len(vals))
	for i, v := range vals {
		types[i] = v.DataType()
	}
	t, ok := widerCommonType(types)
	if !ok {
		names := make([]string, len(vals))
		for i, v := range vals {
			names[i] = fmt.Sprintf("'%s' (%s)", v.String(), logical.SparkTypeName(v.DataType()))
		}
		return nil, nil, errkind.Invalid("[DATATYPE_MISMATCH] %s needs values of one type, but got %s; cast them to a common type", what, strings.Join(names, ", "))
	}
	out, err := a.coerceAll(vals, t)
	return out, t, err
}

func resolveWhen(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if len(args) < 2 {
		return nil, errkind.Invalid("when() needs a condition and a value")
	}
	var vals []logical.Expr
	for i := 1; i < len(args); i += 2 {
		vals = append(vals, args[i])
	}
	hasElse := len(args)%2 == 1
	if hasElse {
		vals = append(vals, args[len(args)-1])
	}
	coerced, t, err := a.coerceValues("CASE WHEN", vals)
	if err != nil {
		return nil, err
	}
	out := make([]logical.Expr, len(args))
	var display strings.Builder
	display.WriteString("CASE")
	nullable := !hasElse
	for i := 0; i+1 < len(args); i += 2 {
		c, err := a.requireBoolean("CASE WHEN", args[i])
		if err != nil {
			return nil, err
		}
		out[i], out[i+1] = c, coerced[i/2]
		fmt.Fprintf(&display, " WHEN %s THEN %s", args[i].String(), args[i+1].String())
		nullable = nullable || args[i+1].Nullable()
	}
	if hasElse {
		out[len(args)-1] = coerced[len(coerced)-1]
		fmt.Fprintf(&display, " ELSE %s", args[len(args)-1].String())
		nullable = nullable || args[len(args)-1].Nullable()
	}
	display.WriteString(" END")
	return &logical.Call{Function: "case_when", Args: out, Type: t, Null: nullable, Display: display.String()}, nil
}

// resolveIf is if(cond, a, b), Spark's If: "(IF(c, a, b))" is named "(IF(...))" by Spark.
func resolveIf(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	w, err := resolveWhen(a, "when", args, false)
	if err != nil {
		return nil, err
	}
	c := w.(*logical.Call)
	c.Display = fmt.Sprintf("(IF(%s, %s, %s))", args[0].String(), args[1].String(), args[2].String())
	return c, nil
}

func resolveCoalesce(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if name == "coalesce" {
		if err := checkArity(name, args, 1, -1); err != nil {
			return nil, err
		}
	} else if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	coerced, t, err := a.coerceValues(name, args)
	if err != nil {
		return nil, err
	}
	nullable := true
	for _, x := range args {
		nullable = nullable && x.Nullable()
	}
	return &logical.Call{Function: "coalesce", Args: coerced, Type: t, Null: nullable,
		Display: fmt.Sprintf("%s(%s)", name, logical.JoinExprs(args, ", "))}, nil
}

func resolveNvl2(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 3, 3); err != nil {
		return nil, err
	}
	test, err := resolveNullTest(a, "isnotnull", args[:1], false)
	if err != nil {
		return nil, err
	}
	w, err := resolveWhen(a, "when", []logical.Expr{test, args[1], args[2]}, false)
	if err != nil {
		return nil, err
	}
	c := w.(*logical.Call)
	c.Display = fmt.Sprintf("nvl2(%s, %s, %s)", args[0].String(), args[1].String(), args[2].String())
	return c, nil
}

// resolveNullIf is Spark's NullIf: if(a = b, null, a).
func resolveNullIf(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	eq, err := resolveComparison(a, "=", args, false)
	if err != nil {
		return nil, err
	}
	t := args[0].DataType()
	return &logical.Call{Function: "case_when", Args: []logical.Expr{eq, logical.NullLiteral(t), args[0]}, Type: t, Null: true,
		Display: fmt.Sprintf("nullif(%s, %s)", args[0].String(), args[1].String())}, nil
}

func resolveNanvl(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	t := arrow.DataType(arrow.PrimitiveTypes.Float64)
	if args[0].DataType().ID() == arrow.FLOAT32 && args[1].DataType().ID() == arrow.FLOAT32 {
		t = arrow.PrimitiveTypes.Float32
	}
	for _, x := range args {
		if !isNumericOrNull(x.DataType()) && !isDecimal(x.DataType()) {
			return nil, errkind.Invalid("nanvl needs numeric arguments, but '%s' is %s", x.String(), logical.SparkTypeName(x.DataType()))
		}
	}
	operands, err := a.coerceAll(args, t)
	if err != nil {
		return nil, err
	}
	test := &logical.Call{Function: "isnan", Args: operands[:1], Type: arrow.FixedWidthTypes.Boolean}
	return &logical.Call{Function: "case_when", Args: []logical.Expr{test, operands[1], operands[0]}, Type: t, Null: anyNullable(args),
		Display: fmt.Sprintf("nanvl(%s, %s)", args[0].String(), args[1].String())}, nil
}

func resolveIsNaN(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x := args[0]
	t := x.DataType()
	if t.ID() != arrow.FLOAT32 && t.ID() != arrow.FLOAT64 {
		if !isNumericOrNull(t) && !isDecimal(t) {
			return nil, errkind.Invalid("isnan needs a float or double, but '%s' is %s", x.String(), logical.SparkTypeName(t))
		}
		var err error
		if x, err = a.coerceTo(x, arrow.PrimitiveTypes.Float64); err != nil {
			return nil, err
		}
	}
	return &logical.Call{Function: "isnan", Args: []logical.Expr{x}, Type: arrow.FixedWidthTypes.Boolean, Null: false,
		Display: fmt.Sprintf("isnan(%s)", args[0].String())}, nil
}

func resolveExtremum(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, -1); err != nil {
		return nil, err
	}
	coerced, t, err := a.coerceValues(name, args)
	if err != nil {
		return nil, err
	}
	if t.ID() == arrow.NULL {
		return logical.NullLiteral(t), nil
	}
	if isDecimal(t) {
		// Decimals compare exactly as doubles only up to 15 digits; keep them as decimals via
		// CASE WHEN chains is future work, so refuse rather than round silently.
		return nil, errkind.NotImplemented("%s on decimal values; cast them to double first", name)
	}
	nullable := true
	for _, x := range args {
		nullable = nullable && x.Nullable()
	}
	return &logical.Call{Function: name, Args: coerced, Type: t, Null: nullable,
		Display: fmt.Sprintf("%s(%s)", name, logical.JoinExprs(args, ", "))}, nil
}

// resolveIn is "x IN (v1, v2, ...)": an OR of equalities, which gives SQL's three-valued result
// (null when x is null, or when nothing matches and the list holds a null).
func resolveIn(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, -1); err != nil {
		return nil, err
	}
	display := fmt.Sprintf("(%s IN (%s))", args[0].String(), logical.JoinExprs(args[1:], ", "))
	if len(args) == 1 {
		return &logical.Call{Function: "case_when", Args: []logical.Expr{logical.NewLiteral(scalar.NewBooleanScalar(false))}, Type: arrow.FixedWidthTypes.Boolean,
			Null: false, Display: display}, nil
	}
	var result logical.Expr
	for _, v := range args[1:] {
		eq, err := resolveComparison(a, "=", []logical.Expr{args[0], v}, false)
		if err != nil {
			return nil, err
		}
		if result == nil {
			result = eq
			continue
		}
		result = &logical.Call{Function: "or", Args: []logical.Expr{result, eq}, Type: arrow.FixedWidthTypes.Boolean, Null: result.Nullable() || eq.Nullable()}
	}
	c := result.(*logical.Call)
	cp := *c
	cp.Display = display
	return &cp, nil
}
