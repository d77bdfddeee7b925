package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// String functions: argument kinds, result types and Spark's column names. String arguments
// are cast to utf8 (numbers, dates print as Spark prints them); positions and counts to int.
// Kernels: exec/kernels_string.go.

// argKind says how an argument is coerced: a string, an int, or a boolean.
type argKind int

const (
	argString argKind = iota
	argInt
)

type stringFunction struct {
	kernel   string
	args     []argKind
	optional int // trailing arguments that may be left out (filled from defaults)
	defaults []logical.Expr
	result   arrow.DataType
	// display renders Spark's column name from the original argument texts.
	display func(name string, args []string) string
}

func callDisplay(name string, args []string) string {
	out := name + "("
	for i, a := range args {
		if i > 0 {
			out += ", "
		}
		out += a
	}
	return out + ")"
}

var (
	stringType = arrow.BinaryTypes.String
	int32Type  = arrow.PrimitiveTypes.Int32
	boolType   = arrow.FixedWidthTypes.Boolean
)

func int32Literal(v int32) logical.Expr { return logical.NewLiteral(scalar.NewInt32Scalar(v)) }

var stringFunctions = map[string]stringFunction{
	"upper":            {kernel: "upper", args: []argKind{argString}, result: stringType},
	"ucase":            {kernel: "upper", args: []argKind{argString}, result: stringType},
	"lower":            {kernel: "lower", args: []argKind{argString}, result: stringType},
	"lcase":            {kernel: "lower", args: []argKind{argString}, result: stringType},
	"reverse":          {kernel: "reverse", args: []argKind{argString}, result: stringType},
	"initcap":          {kernel: "initcap", args: []argKind{argString}, result: stringType},
	"ltrim":            {kernel: "ltrim", args: []argKind{argString}, result: stringType},
	"rtrim":            {kernel: "rtrim", args: []argKind{argString}, result: stringType},
	"trim":             {kernel: "trim", args: []argKind{argString, argString}, optional: 1, result: stringType},
	"length":           {kernel: "length", args: []argKind{argString}, result: int32Type},
	"char_length":      {kernel: "length", args: []argKind{argString}, result: int32Type},
	"character_length": {kernel: "length", args: []argKind{argString}, result: int32Type},
	"len":              {kernel: "length", args: []argKind{argString}, result: int32Type},
	"octet_length":     {kernel: "octet_length", args: []argKind{argString}, result: int32Type},
	"bit_length":       {kernel: "bit_length", args: []argKind{argString}, result: int32Type},
	"ascii":            {kernel: "ascii", args: []argKind{argString}, result: int32Type},
	"substring": {kernel: "substring", args: []argKind{argString, argInt, argInt}, optional: 1, result: stringType,
		defaults: []logical.Expr{int32Literal(2147483647)}},
	"substr": {kernel: "substring", args: []argKind{argString, argInt, argInt}, optional: 1, result: stringType,
		defaults: []logical.Expr{int32Literal(2147483647)}},
	"lpad": {kernel: "lpad", args: []argKind{argString, argInt, argString}, optional: 1, result: stringType,
		defaults: []logical.Expr{logical.NewLiteral(scalar.NewStringScalar(" "))}},
	"rpad": {kernel: "rpad", args: []argKind{argString, argInt, argString}, optional: 1, result: stringType,
		defaults: []logical.Expr{logical.NewLiteral(scalar.NewStringScalar(" "))}},
	"repeat":     {kernel: "repeat", args: []argKind{argString, argInt}, result: stringType},
	"contains":   {kernel: "contains", args: []argKind{argString, argString}, result: boolType},
	"startswith": {kernel: "startswith", args: []argKind{argString, argString}, result: boolType},
	"endswith":   {kernel: "endswith", args: []argKind{argString, argString}, result: boolType},
	"instr":      {kernel: "instr", args: []argKind{argString, argString}, result: int32Type},
	"locate": {kernel: "locate", args: []argKind{argString, argString, argInt}, optional: 1, result: int32Type,
		defaults: []logical.Expr{int32Literal(1)}},
	"position": {kernel: "locate", args: []argKind{argString, argString, argInt}, optional: 1, result: int32Type,
		defaults: []logical.Expr{int32Literal(1)}},
	"replace": {kernel: "replace", args: []argKind{argString, argString, argString}, optional: 1, result: stringType,
		defaults: []logical.Expr{logical.NewLiteral(scalar.NewStringScalar(""))}},
	"translate": {kernel: "translate", args: []argKind{argString, argString, argString}, result: stringType},
	"like": {kernel: "like", args: []argKind{argString, argString, argString}, optional: 1, result: boolType,
		display: func(_ string, a []string) string {
			if len(a) == 3 {
				return fmt.Sprintf("%s LIKE %s ESCAPE '%s'", a[0], a[1], a[2])
			}
			return fmt.Sprintf("%s LIKE %s", a[0], a[1])
		}},
	"ilike": {kernel: "ilike", args: []argKind{argString, argString, argString}, optional: 1, result: boolType},
	"rlike": {kernel: "rlike", args: []argKind{argString, argString}, result: boolType,
		display: func(_ string, a []string) string { return fmt.Sprintf("RLIKE(%s, %s)", a[0], a[1]) }},
	"regexp": {kernel: "rlike", args: []argKind{argString, argString}, result: boolType,
		display: func(_ string, a []string) string { return fmt.Sprintf("REGEXP(%s, %s)", a[0], a[1]) }},
	"regexp_like": {kernel: "rlike", args: []argKind{argString, argString}, result: boolType,
		display: func(_ string, a []string) string { return fmt.Sprintf("REGEXP_LIKE(%s, %s)", a[0], a[1]) }},
	"regexp_replace": {kernel: "regexp_replace", args: []argKind{argString, argString, argString, argInt}, optional: 1, result: stringType,
		defaults: []logical.Expr{int32Literal(1)}},
	"regexp_extract": {kernel: "regexp_extract", args: []argKind{argString, argString, argInt}, optional: 1, result: stringType,
		defaults: []logical.Expr{int32Literal(1)}},
	"split": {kernel: "split", args: []argKind{argString, argString, argInt}, optional: 1, result: arrow.ListOf(stringType),
		defaults: []logical.Expr{int32Literal(-1)}},
}

func init() {
	for name := range stringFunctions {
		registerFunction(resolveStringFunction, name)
	}
	registerFunction(resolveConcat, "concat")
	registerFunction(resolveConcatWs, "concat_ws")
}

func (a *Analyzer) coerceArg(fn string, x logical.Expr, kind argKind) (logical.Expr, error) {
	t := x.DataType()
	switch kind {
	case argInt:
		if !isIntegral(t) && t.ID() != arrow.NULL && !isString(t) {
			return nil, errkind.Invalid("%s needs an integer here, but '%s' is %s", fn, x.String(), logical.SparkTypeName(t))
		}
		return a.coerceTo(x, int32Type)
	default:
		if t.ID() == arrow.BINARY && (fn == "length" || fn == "octet_length" || fn == "bit_length") {
			return x, nil
		}
		if !isAtomic(t) && t.ID() != arrow.NULL && t.ID() != arrow.BINARY {
			return nil, errkind.Invalid("%s needs a string, but '%s' is %s", fn, x.String(), logical.SparkTypeName(t))
		}
		return a.coerceTo(x, stringType)
	}
}

func resolveStringFunction(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	spec := stringFunctions[name]
	if err := checkArity(name, args, len(spec.args)-spec.optional, len(spec.args)); err != nil {
		return nil, err
	}
	texts := make([]string, len(args))
	for i, x := range args {
		texts[i] = x.String()
	}
	full := append([]logical.Expr{}, args...)
	for i := len(args); i < len(spec.args); i++ {
		if d := i - (len(spec.args) - spec.optional); spec.defaults != nil && d < len(spec.defaults) {
			full = append(full, spec.defaults[d])
			if name == "regexp_replace" || name == "regexp_extract" || name == "split" || name == "locate" {
				texts = append(texts, spec.defaults[d].String()) // Spark prints the default
			}
		}
	}
	operands := make([]logical.Expr, len(full))
	for i, x := range full {
		c, err := a.coerceArg(name, x, spec.args[i])
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	display := callDisplay(name, texts)
	if spec.display != nil {
		display = spec.display(name, texts)
	}
	return &logical.Call{Function: spec.kernel, Args: operands, Type: spec.result, Null: anyNullable(full), Display: display}, nil
}

func resolveConcat(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if arrays, ok, err := a.resolveArrayConcat(name, args); ok || err != nil {
		return arrays, err
	}
	operands := make([]logical.Expr, len(args))
	for i, x := range args {
		c, err := a.coerceArg(name, x, argString)
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	if len(args) == 0 {
		return logical.NewLiteral(scalar.NewStringScalar("")), nil
	}
	return &logical.Call{Function: "concat", Args: operands, Type: stringType, Null: anyNullable(args),
		Display: fmt.Sprintf("concat(%s)", logical.JoinExprs(args, ", "))}, nil
}

func resolveConcatWs(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, -1); err != nil {
		return nil, err
	}
	operands := make([]logical.Expr, len(args))
	for i, x := range args {
		if lt, ok := x.DataType().(*arrow.ListType); ok && i > 0 {
			if !isString(lt.Elem()) {
				return nil, errkind.Invalid("concat_ws needs strings or arrays of strings, but '%s' is %s", x.String(), logical.SparkTypeName(x.DataType()))
			}
			operands[i] = x
			continue
		}
		c, err := a.coerceArg(name, x, argString)
		if err != nil {
			return nil, err
		}
		operands[i] = c
	}
	return &logical.Call{Function: "concat_ws", Args: operands, Type: stringType, Null: args[0].Nullable(),
		Display: fmt.Sprintf("concat_ws(%s)", logical.JoinExprs(args, ", "))}, nil
}
