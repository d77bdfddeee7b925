package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// a div b is Spark's IntegralDivide: the quotient truncated toward zero, as a bigint. Integral
// operands divide as bigints (the div kernels); decimal operands divide exactly and the quotient
// is truncated by a cast. A zero divisor is DIVIDE_BY_ZERO under ANSI and null otherwise.
func init() {
	registerFunction(resolveIntegralDivide, "div")
}

func resolveIntegralDivide(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 2, 2); err != nil {
		return nil, err
	}
	l, r := args[0], args[1]
	lt, rt := l.DataType(), r.DataType()
	integralOrNull := func(t arrow.DataType) bool { return isIntegral(t) || t.ID() == arrow.NULL }
	display := fmt.Sprintf("(%s div %s)", l.String(), r.String())
	long := arrow.PrimitiveTypes.Int64
	switch {
	case integralOrNull(lt) && integralOrNull(rt):
		var err error
		if l, err = a.coerceTo(l, long); err != nil {
			return nil, err
		}
		if r, err = a.coerceTo(r, long); err != nil {
			return nil, err
		}
		return &logical.Call{Function: "div" + modeSuffix(a.arithmeticMode()), Args: []logical.Expr{l, r}, Type: long, Null: true, Display: display}, nil
	case (isDecimal(lt) || integralOrNull(lt)) && (isDecimal(rt) || integralOrNull(rt)):
		quotient, err := resolveArithmetic(a, "divide", args, false)
		if err != nil {
			return nil, err
		}
		// One argument: the kernel truncates the exact quotient to a bigint (a cast).
		return &logical.Call{Function: "div" + modeSuffix(a.arithmeticMode()), Args: []logical.Expr{quotient}, Type: long, Null: true, Display: display}, nil
	}
	return nil, typeMismatch("div", l, r)
}
