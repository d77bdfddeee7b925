package exec

import (
	"math"
	"math/big"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Arithmetic the arrow compute library lacks or gets differently from Spark: % and pmod (Java's
// truncated remainder, null or DIVIDE_BY_ZERO on a zero divisor), bitwise operators and shifts
// (Java's masked shift counts), try_ arithmetic (null on overflow), decimal arithmetic with
// Spark's result types and HALF_UP rounding, and float comparisons where NaN equals NaN and sorts
// above every other value.

type integer interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64
}

type signedInteger interface {
	~int8 | ~int16 | ~int32 | ~int64
}

type floating interface{ ~float32 | ~float64 }

type number interface{ integer | floating }

func init() {
	for _, mode := range []struct {
		suffix string
		mode   logical.EvalMode
	}{{"", logical.EvalANSI}, {"_legacy", logical.EvalLegacy}, {"_try", logical.EvalTry}} {
		RegisterKernel("mod"+mode.suffix, remainderKernel(mode.mode, false))
		RegisterKernel("pmod"+mode.suffix, remainderKernel(mode.mode, true))
		for _, op := range []string{"add", "subtract", "multiply", "divide", "mod"} {
			RegisterKernel("decimal_"+op+mode.suffix, decimalArithmeticKernel(op, mode.mode))
		}
	}
	RegisterKernel("add_try", tryIntegerKernel("add"))
	RegisterKernel("subtract_try", tryIntegerKernel("subtract"))
	RegisterKernel("multiply_try", tryIntegerKernel("multiply"))
	RegisterKernel("divide_try", divideKernel(false))
	for _, op := range []string{"bitwise_and", "bitwise_or", "bitwise_xor", "shiftleft", "shiftright", "shiftrightunsigned"} {
		RegisterKernel(op, bitwiseKernel(op))
	}
	RegisterKernel("bitwise_not", bitwiseNotKernel)
}

func divideByZero(call *logical.Call) error {
	return errkind.Arithmetic("[DIVIDE_BY_ZERO] Division by zero in %s. Use try_divide to tolerate a zero divisor and return null instead, or set spark.sql.ansi.enabled=false", call.String())
}

func overflowError(call *logical.Call) error {
	return errkind.Arithmetic("[ARITHMETIC_OVERFLOW] %s overflowed %s. Use try_add/try_subtract/try_multiply or set spark.sql.ansi.enabled=false to get null instead",
		call.String(), logical.SparkTypeName(call.Type))
}

// remainderKernel is % (Java's truncated remainder: the sign follows the dividend) and pmod (the
// positive remainder). A zero divisor raises DIVIDE_BY_ZERO in ANSI mode and gives null otherwise.
func remainderKernel(mode logical.EvalMode, positive bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		l, r := arrays[0], arrays[1]
		var out arrow.Array
		switch call.Type.ID() {
		case arrow.INT8:
			out, err = integerRemainder[int8](ec, call, l, r, mode, positive)
		case arrow.INT16:
			out, err = integerRemainder[int16](ec, call, l, r, mode, positive)
		case arrow.INT32:
			out, err = integerRemainder[int32](ec, call, l, r, mode, positive)
		case arrow.INT64:
			out, err = integerRemainder[int64](ec, call, l, r, mode, positive)
		case arrow.FLOAT32:
			out, err = floatRemainder[float32](ec, call, l, r, mode, positive)
		case arrow.FLOAT64:
			out, err = floatRemainder[float64](ec, call, l, r, mode, positive)
		default:
			return nil, errkind.Internal("%% on %s", call.Type)
		}
		if err != nil {
			return nil, err
		}
		return datumOf(out), nil
	}
}

func integerRemainder[T signedInteger](ec *EvalContext, call *logical.Call, l, r arrow.Array, mode logical.EvalMode, positive bool) (arrow.Array, error) {
	n := l.Len()
	lv, rv := values[T](l), values[T](r)
	validity := newValidity(ec.Task.Allocator, n, l, r)
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		if rv[i] == 0 {
			if mode == logical.EvalANSI {
				validity.release()
				buf.Release()
				return nil, divideByZero(call)
			}
			validity.setNull(i)
			continue
		}
		if rv[i] == -1 { // MinInt % -1 is 0; Go defines it too, but keep it explicit
			out[i] = 0
			continue
		}
		m := lv[i] % rv[i]
		if positive && m < 0 {
			m = (m + rv[i]) % rv[i]
		}
		out[i] = m
	}
	return makeFixedArray(call.Type, n, buf, validity), nil
}

func floatRemainder[T floating](ec *EvalContext, call *logical.Call, l, r arrow.Array, mode logical.EvalMode, positive bool) (arrow.Array, error) {
	n := l.Len()
	lv, rv := values[T](l), values[T](r)
	validity := newValidity(ec.Task.Allocator, n, l, r)
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		if rv[i] == 0 {
			if mode == logical.EvalANSI {
				validity.release()
				buf.Release()
				return nil, divideByZero(call)
			}
			validity.setNull(i)
			continue
		}
		m := math.Mod(float64(lv[i]), float64(rv[i]))
		if positive && m < 0 {
			m = math.Mod(m+float64(rv[i]), float64(rv[i]))
		}
		out[i] = T(m)
	}
	return makeFixedArray(call.Type, n, buf, validity), nil
}

// tryIntegerKernel is try_add/try_subtract/try_multiply on integers: null where the exact result
// does not fit (floats never overflow and go through arrow's unchecked kernels).
func tryIntegerKernel(op string) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		switch call.Type.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		default:
			return callCompute(ec, op+"_unchecked", nil, args...)
		}
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		var out arrow.Array
		switch call.Type.ID() {
		case arrow.INT8:
			out = tryInteger[int8](ec, call.Type, op, arrays[0], arrays[1], math.MinInt8, math.MaxInt8)
		case arrow.INT16:
			out = tryInteger[int16](ec, call.Type, op, arrays[0], arrays[1], math.MinInt16, math.MaxInt16)
		case arrow.INT32:
			out = tryInteger[int32](ec, call.Type, op, arrays[0], arrays[1], math.MinInt32, math.MaxInt32)
		case arrow.INT64:
			out = tryInteger[int64](ec, call.Type, op, arrays[0], arrays[1], math.MinInt64, math.MaxInt64)
		}
		return datumOf(out), nil
	}
}

func tryInteger[T signedInteger](ec *EvalContext, t arrow.DataType, op string, l, r arrow.Array, lo, hi int64) arrow.Array {
	n := l.Len()
	lv, rv := values[T](l), values[T](r)
	validity := newValidity(ec.Task.Allocator, n, l, r)
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		if !validity.valid(i) {
			continue
		}
		a, b := int64(lv[i]), int64(rv[i])
		var v int64
		ok := true
		switch op {
		case "add":
			v = a + b
			ok = !((b > 0 && v < a) || (b < 0 && v > a))
		case "subtract":
			v = a - b
			ok = !((b < 0 && v < a) || (b > 0 && v > a))
		case "multiply":
			v = a * b
			ok = a == 0 || (v/a == b && !(a == -1 && b == math.MinInt64) && !(b == -1 && a == math.MinInt64))
		}
		if !ok || v < lo || v > hi {
			validity.setNull(i)
			continue
		}
		out[i] = T(v)
	}
	return makeFixedArray(t, n, buf, validity)
}

// bitwiseKernel is &, |, ^ and the shifts. Shift counts are masked to the operand width as in
// Java (x << 33 on an int shifts by 1).
func bitwiseKernel(op string) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		var out arrow.Array
		switch call.Type.ID() {
		case arrow.INT8:
			out = bitwise[int8, uint8](ec, call.Type, op, arrays[0], arrays[1], 8)
		case arrow.INT16:
			out = bitwise[int16, uint16](ec, call.Type, op, arrays[0], arrays[1], 16)
		case arrow.INT32:
			out = bitwise[int32, uint32](ec, call.Type, op, arrays[0], arrays[1], 32)
		case arrow.INT64:
			out = bitwise[int64, uint64](ec, call.Type, op, arrays[0], arrays[1], 64)
		default:
			return nil, errkind.Internal("%s on %s", op, call.Type)
		}
		return datumOf(out), nil
	}
}

func bitwise[T signedInteger, U integer](ec *EvalContext, t arrow.DataType, op string, l, r arrow.Array, width int) arrow.Array {
	n := l.Len()
	lv := values[T](l)
	validity := newValidity(ec.Task.Allocator, n, l, r)
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	switch op {
	case "bitwise_and", "bitwise_or", "bitwise_xor":
		rv := values[T](r)
		for i := 0; i < n; i++ {
			switch op {
			case "bitwise_and":
				out[i] = lv[i] & rv[i]
			case "bitwise_or":
				out[i] = lv[i] | rv[i]
			default:
				out[i] = lv[i] ^ rv[i]
			}
		}
	default:
		rv := values[int32](r)
		mask := int32(width - 1)
		for i := 0; i < n; i++ {
			s := uint(rv[i] & mask)
			switch op {
			case "shiftleft":
				out[i] = lv[i] << s
			case "shiftright":
				out[i] = lv[i] >> s
			default:
				out[i] = T(U(lv[i]) >> s)
			}
		}
	}
	return makeFixedArray(t, n, buf, validity)
}

func bitwiseNotKernel(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	var out arrow.Array
	switch call.Type.ID() {
	case arrow.INT8:
		out = bitwiseNot[int8](ec, call.Type, arrays[0])
	case arrow.INT16:
		out = bitwiseNot[int16](ec, call.Type, arrays[0])
	case arrow.INT32:
		out = bitwiseNot[int32](ec, call.Type, arrays[0])
	case arrow.INT64:
		out = bitwiseNot[int64](ec, call.Type, arrays[0])
	default:
		return nil, errkind.Internal("~ on %s", call.Type)
	}
	return datumOf(out), nil
}

func bitwiseNot[T signedInteger](ec *EvalContext, t arrow.DataType, a arrow.Array) arrow.Array {
	n := a.Len()
	in := values[T](a)
	validity := newValidity(ec.Task.Allocator, n, a)
	buf, out := newFixedBuffer[T](ec.Task.Allocator, n)
	for i := range in {
		out[i] = ^in[i]
	}
	return makeFixedArray(t, n, buf, validity)
}

// decimalArithmeticKernel computes decimal +, -, *, / and % exactly on the operands' own scales,
// then rounds HALF_UP to the result scale Spark's DecimalPrecision rules chose. A result that does
// not fit the result precision raises NUMERIC_VALUE_OUT_OF_RANGE in ANSI mode and is null
// otherwise; a zero divisor raises DIVIDE_BY_ZERO (null in legacy/try).
func decimalArithmeticKernel(op string, mode logical.EvalMode) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		// A valid scalar operand (a literal: 1 - l_discount) stays one value read with stride 0
		// instead of being broadcast to a full array per batch.
		arrays := make([]arrow.Array, 2)
		strides := []int{1, 1}
		var full []arrow.Array // the operands that carry a validity bitmap of n rows
		defer releaseArrays(arrays)
		for i, d := range args[:2] {
			n := length
			if sd, ok := d.(*compute.ScalarDatum); ok && sd.Value.IsValid() {
				n, strides[i] = 1, 0
			}
			a, err := DatumToArray(ec, d, n, call.Args[i].DataType())
			if err != nil {
				return nil, err
			}
			arrays[i] = a
			if strides[i] == 1 {
				full = append(full, a)
			}
		}
		ls, rs := strides[0], strides[1]
		l, ok1 := arrays[0].(*array.Decimal128)
		r, ok2 := arrays[1].(*array.Decimal128)
		result, ok3 := call.Type.(*arrow.Decimal128Type)
		if !ok1 || !ok2 || !ok3 {
			return nil, errkind.Internal("decimal %s on %s and %s", op, arrays[0].DataType(), arrays[1].DataType())
		}
		s1 := int(l.DataType().(*arrow.Decimal128Type).Scale)
		s2 := int(r.DataType().(*arrow.Decimal128Type).Scale)
		s := int(result.Scale)
		limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(result.Precision)), nil)
		n := int(length)
		lv, rv := values[decimal128.Num](l), values[decimal128.Num](r)
		validity := newValidity(ec.Task.Allocator, n, full...)
		allValid := validity.nulls == 0
		// Every row of out is written below (the batch loop, or zero before the exact path), so
		// the buffer is not cleared first: clearing was a tenth of a Q1 expression's time.
		buf, out := newUnclearedFixedBuffer[decimal128.Num](ec.Task.Allocator, n)
		fail := func(e error) (compute.Datum, error) {
			validity.release()
			buf.Release()
			return nil, e
		}
		outOfRange := func(i int) error {
			if mode == logical.EvalANSI {
				return errkind.Arithmetic("[NUMERIC_VALUE_OUT_OF_RANGE] the result of %s does not fit %s. Use try_ functions or set spark.sql.ansi.enabled=false to get null instead",
					call.String(), logical.SparkTypeName(call.Type))
			}
			validity.setNull(i)
			return nil
		}
		fast := newDecimalFastOp(op, s1, s2, s, int(result.Precision))
		var v, a, b big.Int
		// exact computes row i with the per-row fast path or math/big.
		exact := func(i int) error {
			out[i] = decimal128.Num{}
			if !allValid && !validity.valid(i) {
				return nil
			}
			x, y := lv[i*ls], rv[i*rs]
			if fast != nil {
				if r, handled, overflow := fast(x, y); handled {
					if !overflow {
						out[i] = r
					} else if e := outOfRange(i); e != nil {
						return e
					}
					return nil
				}
			}
			a.Set(x.BigInt())
			b.Set(y.BigInt())
			switch op {
			case "add", "subtract", "mod":
				common := max(s1, s2)
				scaleBy(&a, common-s1)
				scaleBy(&b, common-s2)
				switch op {
				case "add":
					v.Add(&a, &b)
				case "subtract":
					v.Sub(&a, &b)
				default:
					if b.Sign() == 0 {
						if mode == logical.EvalANSI {
							return divideByZero(call)
						}
						validity.setNull(i)
						return nil
					}
					v.Rem(&a, &b) // truncated: the sign follows the dividend, as Java's BigDecimal.remainder
				}
				roundHalfUp(&v, common-s)
			case "multiply":
				v.Mul(&a, &b)
				roundHalfUp(&v, s1+s2-s)
			case "divide":
				if b.Sign() == 0 {
					if mode == logical.EvalANSI {
						return divideByZero(call)
					}
					validity.setNull(i)
					return nil
				}
				// a/10^s1 / (b/10^s2) * 10^s = a * 10^(s - s1 + s2) / b
				k := s - s1 + s2
				if k >= 0 {
					scaleBy(&a, k)
				} else {
					scaleBy(&b, -k)
				}
				divideHalfUp(&v, &a, &b)
			}
			if v.CmpAbs(limit) >= 0 {
				return outOfRange(i)
			}
			out[i] = decimal128.FromBigInt(&v)
			return nil
		}
		if batch := newDecimalBatchOp(op, s1, s2, s, int(result.Precision)); batch != nil && lv != nil && rv != nil {
			// Null rows computed on whatever their slots hold are harmless: only rows left
			// pending (which may be null) go through the validity check and the exact path.
			for _, i := range batch(out, lv, ls, rv, rs, nil) {
				if err := exact(int(i)); err != nil {
					return fail(err)
				}
			}
		} else {
			for i := 0; i < n; i++ {
				if err := exact(i); err != nil {
					return fail(err)
				}
			}
		}
		return datumOf(makeFixedArray(call.Type, n, buf, validity)), nil
	}
}

var bigTen = big.NewInt(10)

// scaleBy multiplies v by 10^k (k >= 0).
func scaleBy(v *big.Int, k int) {
	if k > 0 {
		v.Mul(v, new(big.Int).Exp(bigTen, big.NewInt(int64(k)), nil))
	}
}

// roundHalfUp divides v by 10^k rounding half away from zero (Java's HALF_UP); k <= 0 scales up.
func roundHalfUp(v *big.Int, k int) {
	if k <= 0 {
		scaleBy(v, -k)
		return
	}
	d := new(big.Int).Exp(bigTen, big.NewInt(int64(k)), nil)
	divideHalfUp(v, new(big.Int).Set(v), d)
}

// divideHalfUp sets q = a / b rounded half away from zero.
func divideHalfUp(q, a, b *big.Int) {
	var r big.Int
	q.QuoRem(a, b, &r)
	if r.Sign() == 0 {
		return
	}
	twice := new(big.Int).Abs(&r)
	twice.Lsh(twice, 1)
	if twice.Cmp(new(big.Int).Abs(b)) >= 0 {
		if (a.Sign() < 0) != (b.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
}

// comparisonKernel compares with arrow's kernels, except floats, which follow Spark: NaN = NaN is
// true and NaN is greater than every other value (IEEE says neither).
func comparisonKernel(op, computeName string) Kernel {
	fallback := binaryCompute(computeName)
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		t := call.Args[0].DataType()
		if t.ID() != arrow.FLOAT32 && t.ID() != arrow.FLOAT64 {
			return fallback(ec, call, args, length)
		}
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		if t.ID() == arrow.FLOAT32 {
			return datumOf(floatCompare[float32](ec, op, arrays[0], arrays[1])), nil
		}
		return datumOf(floatCompare[float64](ec, op, arrays[0], arrays[1])), nil
	}
}

// compareFloats orders like Spark's SQLOrderingUtil.compareDoubles: NaN is the largest and equal
// to itself; -0.0 equals 0.0.
func compareFloats[T floating](a, b T) int {
	aNaN, bNaN := a != a, b != b
	switch {
	case aNaN && bNaN:
		return 0
	case aNaN:
		return 1
	case bNaN:
		return -1
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func floatCompare[T floating](ec *EvalContext, op string, l, r arrow.Array) arrow.Array {
	n := l.Len()
	lv, rv := values[T](l), values[T](r)
	validity := newValidity(ec.Task.Allocator, n, l, r)
	out := newBoolOutput(ec.Task.Allocator, n)
	for i := 0; i < n; i++ {
		c := compareFloats(lv[i], rv[i])
		var v bool
		switch op {
		case "eq":
			v = c == 0
		case "lt":
			v = c < 0
		case "lte":
			v = c <= 0
		case "gt":
			v = c > 0
		case "gte":
			v = c >= 0
		}
		out.set(i, v)
	}
	return out.finish(n, validity)
}
