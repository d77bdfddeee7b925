package analyzer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// format_string / printf (Java's Formatter, as Spark): integers and booleans reach the kernel
// as they are, floating numbers as double, everything else (decimals too) as its cast to string. Kernel:
// exec/kernels_format_string.go.

func init() {
	registerFunction(resolveFormatString, "format_string", "printf")
}

func resolveFormatString(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, -1); err != nil {
		return nil, err
	}
	format, err := a.coerceArg(name, args[0], argString)
	if err != nil {
		return nil, err
	}
	operands := []logical.Expr{format}
	for _, x := range args[1:] {
		t := x.DataType()
		var v logical.Expr
		switch {
		case isIntegral(t) || t.ID() == arrow.BOOL:
			v = x // %x of an int -1 is ffffffff, of a bigint 16 f's: the width is kept
		case t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64:
			v, err = a.coerceTo(x, arrow.PrimitiveTypes.Float64)
		case isDecimal(t):
			// As a string: %s prints a decimal with its scale (1.50), %f rounds its digits.
			v, err = a.coerceTo(x, stringType)
		case isNestedType(t) || isAtomic(t) || t.ID() == arrow.NULL || t.ID() == arrow.BINARY:
			v, err = a.coerceTo(x, stringType)
		default:
			return nil, errkind.Invalid("%s cannot format '%s' of type %s", name, x.String(), logical.SparkTypeName(t))
		}
		if err != nil {
			return nil, err
		}
		operands = append(operands, v)
	}
	return &logical.Call{Function: "format_string", Args: operands, Type: stringType, Null: args[0].Nullable(), Display: display(name, args)}, nil
}
