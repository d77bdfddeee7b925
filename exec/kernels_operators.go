package exec

import (
	"math"
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
		// NaN-aware for floats (kernels_arith.go); booleans order false < true.
		RegisterKernel(name, booleanOrdering(name, comparisonKernel(name, fn)))
	}
	RegisterKernel("eq", stringEqualsLiteral(kernels["eq"]))
	RegisterKernel("and", binaryCompute("and_kleene"))
	RegisterKernel("or", binaryCompute("or_kleene"))
	// arrow-go's "not", "is_null" and "is_not_null" ignore the offset of a sliced array (they
	// read the bitmaps from bit 0), so these three are typed loops.
	RegisterKernel("not", notKernel)
	RegisterKernel("isnull", nullTestKernel(true))
	RegisterKernel("isnotnull", nullTestKernel(false))
	RegisterKernel("eq_null_safe", eqNullSafeKernel)
	RegisterKernel("get_field", getFieldKernel)
}

func binaryCompute(fn string) Kernel {
	return func(ec *EvalContext, _ *logical.Call, args []compute.Datum, _ int64) (compute.Datum, error) {
		return callCompute(ec, fn, nil, args...)
	}
}

func unaryCompute(fn string) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		out, err := callCompute(ec, fn, nil, args...)
		if err != nil && strings.Contains(err.Error(), "overflow") {
			// arrow's checked negate also looks at the values beneath NULLs: overflow counts only
			// where a valid value is the type's minimum.
			if overflows, checkErr := negateOverflows(ec, call, args, length); checkErr != nil || !overflows {
				if checkErr != nil {
					return nil, checkErr
				}
				return callCompute(ec, strings.TrimSuffix(fn, "_checked")+"_unchecked", nil, args...)
			}
			return nil, overflowError(call)
		}
		return out, err
	}
}

// negateOverflows reports whether a valid value of the argument is its type's minimum.
func negateOverflows(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (bool, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return false, err
	}
	defer releaseArrays(arrays)
	a := arrays[0]
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		switch x := a.(type) {
		case *array.Int8:
			if x.Value(i) == math.MinInt8 {
				return true, nil
			}
		case *array.Int16:
			if x.Value(i) == math.MinInt16 {
				return true, nil
			}
		case *array.Int32:
			if x.Value(i) == math.MinInt32 {
				return true, nil
			}
		case *array.Int64:
			if x.Value(i) == math.MinInt64 {
				return true, nil
			}
		default:
			return true, nil
		}
	}
	return false, nil
}

// arithmeticKernel runs +, - and *. ANSI integer arithmetic raises ARITHMETIC_OVERFLOW, naming
// the expression, only for an overflow of valid values: arrow's checked kernels also compute
// beneath NULLs, where any garbage may overflow, so integers go through the typed loops of the
// try_ kernels and an overflow is a NULL where both inputs were valid. Legacy mode wraps around
// like Java.
func arithmeticKernel(fn string, ansi bool) Kernel {
	try := tryIntegerKernel(fn)
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		switch id := call.Type.ID(); {
		case ansi && (id == arrow.INT8 || id == arrow.INT16 || id == arrow.INT32 || id == arrow.INT64):
			arrays, err := argArrays(ec, call, args, length)
			if err != nil {
				return nil, err
			}
			defer releaseArrays(arrays)
			out, err := try(ec, call, []compute.Datum{compute.NewDatumWithoutOwning(arrays[0]), compute.NewDatumWithoutOwning(arrays[1])}, length)
			if err != nil {
				return nil, err
			}
			result := out.(*compute.ArrayDatum).MakeArray()
			defer result.Release()
			if result.NullN() > 0 {
				for i := 0; i < result.Len(); i++ {
					if result.IsNull(i) && arrays[0].IsValid(i) && arrays[1].IsValid(i) {
						out.Release()
						return nil, overflowError(call)
					}
				}
			}
			return out, nil
		}
		out, err := callCompute(ec, fn, nil, args...)
		if err != nil {
			if ansi && strings.Contains(err.Error(), "overflow") {
				return nil, overflowError(call)
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
		dividend, err := DatumToArray(ec, args[0], length, call.Args[0].DataType())
		if err != nil {
			return nil, err
		}
		defer dividend.Release()
		// Spark raises only where the dividend is not NULL: NULL / 0 is NULL in ANSI mode too.
		anyZero, raise := false, false
		zb := zero.(*array.Boolean)
		for i := 0; i < zb.Len(); i++ {
			if zb.IsValid(i) && zb.Value(i) {
				anyZero = true
				if dividend.IsValid(i) {
					raise = true
					break
				}
			}
		}
		if raise && ansi {
			return nil, errkind.Arithmetic("[DIVIDE_BY_ZERO] Division by zero in %s. Use try_divide to tolerate a zero divisor and return null instead", call.String())
		}
		safeDivisor := divisor
		if anyZero {
			// Zero divisors become nulls so the quotient is null there (legacy and try modes).
			safeDivisor = SetNulls(ec.Task.Allocator, divisor, zb)
			defer safeDivisor.Release()
		}
		out, err := callCompute(ec, "divide_unchecked", nil, args[0], compute.NewDatumWithoutOwning(safeDivisor))
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
	d, err := callCompute(ec, "equal", nil, compute.NewDatumWithoutOwning(a), compute.NewDatum(zero))
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
	// The NaN-aware "eq" kernel: NaN <=> NaN is true in Spark.
	eq, err := kernels["eq"](ec, &logical.Call{Function: "eq", Args: call.Args, Type: arrow.FixedWidthTypes.Boolean},
		[]compute.Datum{compute.NewDatumWithoutOwning(l), compute.NewDatumWithoutOwning(r)}, length)
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

// notKernel is NOT with SQL semantics: NOT NULL is NULL.
func notKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	if sd, ok := args[0].(*compute.ScalarDatum); ok {
		b, ok := sd.Value.(*scalar.Boolean)
		if !ok || !b.IsValid() {
			return compute.NewDatum(scalar.MakeNullScalar(arrow.FixedWidthTypes.Boolean)), nil
		}
		return compute.NewDatum(scalar.NewBooleanScalar(!b.Value)), nil
	}
	in, err := DatumToArray(ec, args[0], length, call.Args[0].DataType())
	if err != nil {
		return nil, err
	}
	defer in.Release()
	values, ok := in.(*array.Boolean)
	if !ok {
		return nil, errkind.Internal("NOT over %s", in.DataType())
	}
	// 64 rows at a time; finish clears the bits beneath NULLs.
	n := values.Len()
	bits := boolValues(values)
	out := newWordBitmap(ec.Task.Allocator, n)
	for w := 0; w < out.words(); w++ {
		out.store(w, ^loadWordAt(bits.bits, bits.offset, n, w)&tailMask(n, w))
	}
	return datumOf(out.finish(ec.Task.Allocator, values)), nil
}

// nullTestKernel is isnull (wantNull) or isnotnull; the result is never NULL.
func nullTestKernel(wantNull bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		if sd, ok := args[0].(*compute.ScalarDatum); ok {
			return compute.NewDatum(scalar.NewBooleanScalar(sd.Value.IsValid() != wantNull)), nil
		}
		in, err := DatumToArray(ec, args[0], length, call.Args[0].DataType())
		if err != nil {
			return nil, err
		}
		defer in.Release()
		b := array.NewBooleanBuilder(ec.Task.Allocator)
		defer b.Release()
		b.Reserve(in.Len())
		for i := 0; i < in.Len(); i++ {
			b.UnsafeAppend(in.IsNull(i) == wantNull)
		}
		out := b.NewArray()
		defer out.Release()
		return compute.NewDatum(out), nil
	}
}

// booleanOrdering handles <, <=, >, >= and = over booleans (false < true), which arrow's
// comparison functions lack, and passes every other type to next.
func booleanOrdering(op string, next Kernel) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		if call.Args[0].DataType().ID() != arrow.BOOL {
			return next(ec, call, args, length)
		}
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		l, r := arrays[0].(*array.Boolean), arrays[1].(*array.Boolean)
		b := array.NewBooleanBuilder(ec.Task.Allocator)
		defer b.Release()
		b.Reserve(l.Len())
		for i := 0; i < l.Len(); i++ {
			if l.IsNull(i) || r.IsNull(i) {
				b.UnsafeAppendBoolToBitmap(false)
				continue
			}
			x, y := l.Value(i), r.Value(i)
			var holds bool
			switch op {
			case "eq":
				holds = x == y
			case "lt":
				holds = !x && y
			case "lte":
				holds = !x || y
			case "gt":
				holds = x && !y
			case "gte":
				holds = x || !y
			}
			b.UnsafeAppend(holds)
		}
		out := b.NewArray()
		defer out.Release()
		return compute.NewDatum(out), nil
	}
}

// stringEqualsLiteral compares a string column with a string literal directly on the column's
// offsets and bytes (a dictionary's values once), 64 rows to a bitmap word, and passes every
// other shape to next.
func stringEqualsLiteral(next Kernel) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		column, literal := args[0], args[1]
		if _, isScalar := column.(*compute.ScalarDatum); isScalar {
			column, literal = literal, column
		}
		input, isArray := column.(*compute.ArrayDatum)
		value, isScalar := literal.(*compute.ScalarDatum)
		if !isArray || !isScalar || !value.Value.IsValid() {
			return next(ec, call, args, length)
		}
		var want []byte
		switch s := value.Value.(type) {
		case *scalar.String:
			want = s.Value.Bytes()
		case *scalar.Binary:
			want = s.Value.Bytes()
		default:
			return next(ec, call, args, length)
		}
		a := input.MakeArray()
		defer a.Release()
		out, ok := matchStrings(ec.Task.Allocator, a, func(s []byte) bool { return string(s) == string(want) })
		if !ok {
			return next(ec, call, args, length)
		}
		return datumOf(out), nil
	}
}
