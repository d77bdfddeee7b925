package exec

import (
	"math"
	"math/big"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Math functions. Arguments arrive cast to double by the analyzer except where Spark keeps the
// type (abs, round, floor, ceil, signum of decimals).

// unaryDouble is a double -> double function; nullBelow makes inputs <= the bound null (Spark's
// yAsymptote for logarithms: log(0) is null, not -Infinity).
type unaryDouble struct {
	f         func(float64) float64
	nullBelow float64
	hasBound  bool
}

var unaryDoubleFunctions = map[string]unaryDouble{
	"sqrt": {f: math.Sqrt}, "exp": {f: math.Exp}, "expm1": {f: math.Expm1}, "cbrt": {f: math.Cbrt},
	"ln": {f: math.Log, hasBound: true}, "log10": {f: math.Log10, hasBound: true},
	"log2": {f: math.Log2, hasBound: true}, "log1p": {f: math.Log1p, nullBelow: -1, hasBound: true},
	"sin": {f: math.Sin}, "cos": {f: math.Cos}, "tan": {f: math.Tan}, "asin": {f: math.Asin},
	"acos": {f: math.Acos}, "atan": {f: math.Atan}, "sinh": {f: math.Sinh}, "cosh": {f: math.Cosh},
	"tanh": {f: math.Tanh}, "asinh": {f: math.Asinh}, "acosh": {f: math.Acosh}, "atanh": {f: math.Atanh},
	"cot":     {f: func(x float64) float64 { return 1 / math.Tan(x) }},
	"sec":     {f: func(x float64) float64 { return 1 / math.Cos(x) }},
	"csc":     {f: func(x float64) float64 { return 1 / math.Sin(x) }},
	"degrees": {f: func(x float64) float64 { return x * 180 / math.Pi }},
	"radians": {f: func(x float64) float64 { return x * math.Pi / 180 }},
	"rint":    {f: math.RoundToEven},
	"signum_double": {f: func(x float64) float64 {
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return x // 0, -0 and NaN keep themselves, as Math.signum
	}},
}

var binaryDoubleFunctions = map[string]func(a, b float64) (float64, bool){
	"power": func(a, b float64) (float64, bool) { return math.Pow(a, b), true },
	"atan2": func(a, b float64) (float64, bool) { return math.Atan2(a+0.0, b+0.0), true },
	"hypot": func(a, b float64) (float64, bool) { return math.Hypot(a, b), true },
	"logarithm": func(base, x float64) (float64, bool) {
		if base <= 0 || x <= 0 {
			return 0, false
		}
		return math.Log(x) / math.Log(base), true
	},
}

func init() {
	for name, fn := range unaryDoubleFunctions {
		RegisterKernel(name, unaryDoubleKernel(fn))
	}
	for name, fn := range binaryDoubleFunctions {
		RegisterKernel(name, binaryDoubleKernel(fn))
	}
	RegisterKernel("abs", absKernel(true))
	RegisterKernel("abs_legacy", absKernel(false))
	RegisterKernel("round", roundKernel(false))
	RegisterKernel("bround", roundKernel(true))
	RegisterKernel("floor", floorCeilKernel(false))
	RegisterKernel("ceil", floorCeilKernel(true))
}

func unaryDoubleKernel(fn unaryDouble) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := values[float64](arrays[0])
		n := len(in)
		validity := newValidity(ec.Task.Allocator, n, arrays[0])
		buf, out := newFixedBuffer[float64](ec.Task.Allocator, n)
		for i, x := range in {
			if fn.hasBound && x <= fn.nullBelow {
				validity.setNull(i)
				continue
			}
			out[i] = fn.f(x)
		}
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Float64, n, buf, validity)), nil
	}
}

func binaryDoubleKernel(fn func(a, b float64) (float64, bool)) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		l, r := values[float64](arrays[0]), values[float64](arrays[1])
		n := len(l)
		validity := newValidity(ec.Task.Allocator, n, arrays[0], arrays[1])
		buf, out := newFixedBuffer[float64](ec.Task.Allocator, n)
		for i := range l {
			v, ok := fn(l[i], r[i])
			if !ok {
				validity.setNull(i)
				continue
			}
			out[i] = v
		}
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Float64, n, buf, validity)), nil
	}
}

// absKernel: abs of the most negative integer overflows (an error in ANSI mode, itself in legacy
// mode, as Java's Math.abs).
func absKernel(ansi bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		if isDecimalType(call.Type) {
			return decimalUnary(ec, call, args, length, func(v *big.Int, _ int) { v.Abs(v) })
		}
		name := "abs_unchecked"
		if ansi {
			name = "abs"
		}
		out, err := callCompute(ec, name, nil, args...)
		if err != nil && ansi {
			return nil, overflowError(call)
		}
		return out, err
	}
}

func isDecimalType(t arrow.DataType) bool { return t.ID() == arrow.DECIMAL128 }

// decimalUnary applies f to each decimal value (as an unscaled integer at the input scale), then
// rescales HALF_UP to the result type and checks its precision.
func decimalUnary(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64, f func(v *big.Int, scale int)) (compute.Datum, error) {
	arrays, err := argArrays(ec, call, args, length)
	if err != nil {
		return nil, err
	}
	defer releaseArrays(arrays)
	in := arrays[0]
	inScale := int(in.DataType().(*arrow.Decimal128Type).Scale)
	result := call.Type.(*arrow.Decimal128Type)
	limit := new(big.Int).Exp(bigTen, big.NewInt(int64(result.Precision)), nil)
	src := values[decimal128.Num](in)
	n := len(src)
	validity := newValidity(ec.Task.Allocator, n, in)
	buf, out := newFixedBuffer[decimal128.Num](ec.Task.Allocator, n)
	var v big.Int
	for i := range src {
		if !validity.valid(i) {
			continue
		}
		v.Set(src[i].BigInt())
		f(&v, inScale)
		roundHalfUp(&v, inScale-int(result.Scale))
		if new(big.Int).Abs(&v).Cmp(limit) >= 0 {
			validity.release()
			buf.Release()
			return nil, errkind.Arithmetic("[NUMERIC_VALUE_OUT_OF_RANGE] %s does not fit %s", call.String(), logical.SparkTypeName(call.Type))
		}
		out[i] = decimal128.FromBigInt(&v)
	}
	return datumOf(makeFixedArray(call.Type, n, buf, validity)), nil
}

// roundKernel is round (HALF_UP) and bround (HALF_EVEN) with a literal scale (args[1], int32).
// Doubles round their shortest decimal representation, as Spark's BigDecimal(d) does, so
// round(2.675, 2) is 2.68 (IEEE arithmetic would give 2.67).
func roundKernel(halfEven bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		scale := 0
		if s, ok := args[1].(*compute.ScalarDatum); ok && s.Value.IsValid() {
			scale = int(s.Value.(*scalar.Int32).Value)
		}
		if isDecimalType(call.Type) {
			return decimalUnary(ec, call, args[:1], length, func(v *big.Int, inScale int) {
				// round to `scale` digits at the input scale, then the rescale to the result is exact
				drop := inScale - scale
				if drop <= 0 {
					return
				}
				roundDecimalDigits(v, drop, halfEven)
				scaleBy(v, drop)
			})
		}
		arrays, err := argArrays(ec, call, args[:1], length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		in := arrays[0]
		var out arrow.Array
		switch call.Type.ID() {
		case arrow.FLOAT64:
			out = mapFixed(ec, call.Type, in, func(x float64) float64 { return roundDouble(x, scale, halfEven) })
		case arrow.FLOAT32:
			out = mapFixed(ec, call.Type, in, func(x float32) float32 {
				return float32(roundDouble(float64(x), scale, halfEven))
			})
		case arrow.INT8:
			out = mapFixed(ec, call.Type, in, func(x int8) int8 { return int8(roundInteger(int64(x), scale, halfEven)) })
		case arrow.INT16:
			out = mapFixed(ec, call.Type, in, func(x int16) int16 { return int16(roundInteger(int64(x), scale, halfEven)) })
		case arrow.INT32:
			out = mapFixed(ec, call.Type, in, func(x int32) int32 { return int32(roundInteger(int64(x), scale, halfEven)) })
		case arrow.INT64:
			out = mapFixed(ec, call.Type, in, func(x int64) int64 { return roundInteger(x, scale, halfEven) })
		default:
			return nil, errkind.Internal("round on %s", call.Type)
		}
		return datumOf(out), nil
	}
}

func mapFixed[T, U arrow.FixedWidthType](ec *EvalContext, t arrow.DataType, in arrow.Array, f func(T) U) arrow.Array {
	src := values[T](in)
	n := len(src)
	validity := newValidity(ec.Task.Allocator, n, in)
	buf, out := newFixedBuffer[U](ec.Task.Allocator, n)
	for i, x := range src {
		out[i] = f(x)
	}
	return makeFixedArray(t, n, buf, validity)
}

// roundDecimalDigits divides v by 10^drop with HALF_UP or HALF_EVEN rounding.
func roundDecimalDigits(v *big.Int, drop int, halfEven bool) {
	d := new(big.Int).Exp(bigTen, big.NewInt(int64(drop)), nil)
	var r big.Int
	q := new(big.Int)
	q.QuoRem(v, d, &r)
	twice := new(big.Int).Abs(&r)
	twice.Lsh(twice, 1)
	c := twice.Cmp(d)
	up := c > 0 || (c == 0 && (!halfEven || q.Bit(0) == 1))
	if r.Sign() != 0 && up {
		if v.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	v.Set(q)
}

// pow10 holds exact powers of ten for the fast rounding path.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func roundDouble(x float64, scale int, halfEven bool) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	// Fast path: when x * 10^scale is clearly not near a tie, float rounding agrees with
	// rounding the decimal text; ties and near-ties take the exact path below.
	if scale >= 0 && scale < len(pow10) && math.Abs(x) < 1e15 {
		y := x * pow10[scale]
		frac := math.Abs(y - math.Trunc(y))
		if math.Abs(frac-0.5) > 1e-6 && math.Abs(y) < 1e15 {
			r := math.Round(y) / pow10[scale]
			if r == 0 && math.Signbit(x) {
				return math.Copysign(0, -1)
			}
			return r
		}
	}
	text := strconv.FormatFloat(x, 'e', -1, 64) // shortest representation, as Double.toString
	var r big.Rat
	if _, ok := r.SetString(text); !ok {
		return x
	}
	// v = x * 10^scale, rounded to an integer
	num := new(big.Int).Set(r.Num())
	den := new(big.Int).Set(r.Denom())
	if scale >= 0 {
		num.Mul(num, new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil))
	} else {
		den.Mul(den, new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil))
	}
	var q, rem big.Int
	q.QuoRem(num, den, &rem)
	twice := new(big.Int).Abs(&rem)
	twice.Lsh(twice, 1)
	c := twice.Cmp(den)
	if rem.Sign() != 0 && (c > 0 || (c == 0 && (!halfEven || q.Bit(0) == 1))) {
		if num.Sign() < 0 {
			q.Sub(&q, big.NewInt(1))
		} else {
			q.Add(&q, big.NewInt(1))
		}
	}
	out := new(big.Rat).SetInt(&q)
	if scale >= 0 {
		out.Quo(out, new(big.Rat).SetInt(new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil)))
	} else {
		out.Mul(out, new(big.Rat).SetInt(new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil)))
	}
	f, _ := out.Float64()
	if f == 0 && math.Signbit(x) {
		return math.Copysign(0, -1)
	}
	return f
}

func roundInteger(x int64, scale int, halfEven bool) int64 {
	if scale >= 0 {
		return x
	}
	if -scale > 18 {
		return 0
	}
	v := big.NewInt(x)
	roundDecimalDigits(v, -scale, halfEven)
	scaleBy(v, -scale)
	return v.Int64()
}

// floorCeilKernel: doubles become bigint (saturating like Java's (long) cast), decimals become
// decimal(p-s+1, 0), integers pass through as bigint.
func floorCeilKernel(ceil bool) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		inType := call.Args[0].DataType()
		if isDecimalType(inType) {
			return decimalUnary(ec, call, args, length, func(v *big.Int, scale int) {
				if scale == 0 {
					return
				}
				d := new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil)
				var m big.Int
				v.DivMod(v, d, &m) // Euclidean: floor for positive divisors
				if ceil && m.Sign() != 0 {
					v.Add(v, big.NewInt(1))
				}
				scaleBy(v, scale)
			})
		}
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		if inType.ID() == arrow.INT64 {
			arrays[0].Retain()
			return datumOf(arrays[0]), nil
		}
		f := math.Floor
		if ceil {
			f = math.Ceil
		}
		return datumOf(mapFixed(ec, arrow.PrimitiveTypes.Int64, arrays[0], func(x float64) int64 { return javaLong(f(x)) })), nil
	}
}

// javaLong converts like Java's (long) d: NaN is 0 and out-of-range values saturate.
func javaLong(d float64) int64 {
	switch {
	case d != d:
		return 0
	case d >= math.MaxInt64:
		return math.MaxInt64
	case d <= math.MinInt64:
		return math.MinInt64
	}
	return int64(d)
}
