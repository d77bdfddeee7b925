package exec

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

func init() {
	for name, fn := range map[string]string{"add": "add", "subtract": "subtract", "multiply": "multiply"} {
		checked, unchecked := fn, fn+"_unchecked"
		RegisterKernel(name, arithmeticKernel(checked, true))
		RegisterKernel(name+"_legacy", arithmeticKernel(unchecked, false))
	}
	RegisterKernel("divide", divideKernel(true))
	RegisterKernel("divide_legacy", divideKernel(false))
	RegisterKernel("negative", unaryCompute("negate"))
	RegisterKernel("negative_legacy", unaryCompute("negate_unchecked"))
	for name, fn := range map[string]string{"eq": "equal", "lt": "less", "lte": "less_equal", "gt": "greater", "gte": "greater_equal"} {
		RegisterKernel(name, comparisonKernel(name, fn)) // NaN-aware for floats (kernels_arith.go)
	}
	RegisterKernel("and", binaryCompute("and_kleene"))
	RegisterKernel("or", binaryCompute("or_kleene"))
	RegisterKernel("not", unaryCompute("not"))
	RegisterKernel("isnull", unaryCompute("is_null"))
	RegisterKernel("isnotnull", unaryCompute("is_not_null"))
	RegisterKernel("eq_null_safe", eqNullSafeKernel)
	RegisterKernel("get_field", getFieldKernel)
}

func binaryCompute(fn string) Kernel {
	return func(ec *EvalContext, _ *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		return callCompute(ec, fn, nil, args...)
	}
}

func unaryCompute(fn string) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		out, err := callCompute(ec, fn, nil, args...)
		if err != nil && strings.Contains(err.Error(), "overflow") {
			return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed %s. Use try_ functions or set spark.sql.ansi.enabled=false to get null instead",
				call.String(), logical.SparkTypeName(call.Type))
		}
		return out, err
	}
}

// arithmeticKernel runs an arrow arithmetic function; in ANSI mode overflow is an error that says
// which expression overflowed, as Spark's ARITHMETIC_OVERFLOW does.
func arithmeticKernel(fn string, ansi bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		out, err := callCompute(ec, fn, nil, args...)
		if err != nil {
			if ansi && strings.Contains(err.Error(), "overflow") {
				return nil, errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed %s. Use try_add/try_multiply or set spark.sql.ansi.enabled=false to get null instead",
					call.String(), logical.SparkTypeName(call.Type))
			}
			return nil, err
		}
		return out, nil
	}
}

// divideKernel implements Spark's "/": operands arrive cast to double or decimal. Division by zero
// raises DIVIDE_BY_ZERO in ANSI mode and yields null otherwise (never inf, unlike IEEE).
func divideKernel(ansi bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		divisor, err := DatumToArray(ec, args[1], length, call.Args[1].DataType())
		if err != nil {
			return nil, err
		}
		defer divisor.Release()
		zero, err := isZero(ec, divisor)
		if err != nil {
			return nil, err
		}
		defer zero.Release()
		anyZero := false
		zb := zero.(*array.Boolean)
		for i := 0; i < zb.Len(); i++ {
			if zb.IsValid(i) && zb.Value(i) {
				anyZero = true
				break
			}
		}
		if anyZero && ansi {
			return nil, errkind.Arithmetic("[DIVIDE_BY_ZERO] Division by zero in %s. Use try_divide to tolerate a zero divisor and return null instead", call.String())
		}
		safeDivisor := divisor
		if anyZero {
			// Zero divisors become nulls so the quotient is null there (legacy and try modes).
			safeDivisor = SetNulls(ec.Task.Allocator, divisor, zb)
			defer safeDivisor.Release()
		}
		out, err := callCompute(ec, "divide_unchecked", nil, args[0], compute.NewDatum(safeDivisor))
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

func isZero(ec *EvalContext, a arrow.Array) (arrow.Array, error) {
	zero, err := scalar.MakeScalar(0).CastTo(a.DataType())
	if err != nil {
		return nil, err
	}
	d, err := callCompute(ec, "equal", nil, compute.NewDatum(a), compute.NewDatum(zero))
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return d.(*compute.ArrayDatum).MakeArray(), nil
}

// eqNullSafeKernel is <=>: null <=> null is true, null <=> x is false.
func eqNullSafeKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	l, err := DatumToArray(ec, args[0], length, call.Args[0].DataType())
	if err != nil {
		return nil, err
	}
	defer l.Release()
	r, err := DatumToArray(ec, args[1], length, call.Args[1].DataType())
	if err != nil {
		return nil, err
	}
	defer r.Release()
	eq, err := callCompute(ec, "equal", nil, compute.NewDatum(l), compute.NewDatum(r))
	if err != nil {
		return nil, err
	}
	defer eq.Release()
	eqArr := eq.(*compute.ArrayDatum).MakeArray().(*array.Boolean)
	defer eqArr.Release()
	b := array.NewBooleanBuilder(ec.Task.Allocator)
	defer b.Release()
	b.Reserve(int(length))
	for i := 0; i < int(length); i++ {
		ln, rn := l.IsNull(i), r.IsNull(i)
		switch {
		case ln && rn:
			b.UnsafeAppend(true)
		case ln || rn:
			b.UnsafeAppend(false)
		default:
			b.UnsafeAppend(eqArr.Value(i))
		}
	}
	out := b.NewArray()
	defer out.Release()
	return compute.NewDatum(out), nil
}

// getFieldKernel extracts a struct field by name; a null struct gives a null field.
func getFieldKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	st, err := DatumToArray(ec, args[0], length, call.Args[0].DataType())
	if err != nil {
		return nil, err
	}
	defer st.Release()
	s, ok := st.(*array.Struct)
	if !ok {
		return nil, errkind.Internal("get_field on %s", st.DataType())
	}
	name := string(args[1].(*compute.ScalarDatum).Value.(*scalar.String).Value.Bytes())
	idx, found := s.DataType().(*arrow.StructType).FieldIdx(name)
	if !found {
		return nil, errkind.Invalid("no field %q", name)
	}
	field := s.Field(idx)
	if s.NullN() == 0 {
		field.Retain()
		defer field.Release()
		return compute.NewDatum(field), nil
	}
	// A null struct has null fields.
	out := AndValidity(ec.Task.Allocator, field, s)
	defer out.Release()
	return compute.NewDatum(out), nil
}
