package exec

import (
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// The div kernels compute Spark's IntegralDivide (a div b): two bigints divide truncating toward
// zero; a zero divisor is DIVIDE_BY_ZERO (ANSI) or null (legacy, try), and MinLong div -1
// overflows (ARITHMETIC_OVERFLOW under ANSI, null under try, wraps under legacy as Java does).
// With one argument, the exact decimal quotient of decimal operands, the kernel truncates it.
func init() {
	for _, mode := range []struct {
		suffix string
		mode   logical.EvalMode
	}{{"", logical.EvalANSI}, {"_legacy", logical.EvalLegacy}, {"_try", logical.EvalTry}} {
		RegisterKernel("div"+mode.suffix, integralDivideKernel(mode.mode))
	}
}

func integralDivideKernel(mode logical.EvalMode) Kernel {
	return func(ec *EvalContext, call *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
		if len(args) == 1 {
			return CastDatum(ec, args[0], arrow.PrimitiveTypes.Int64, mode, length)
		}
		arrays, err := argArrays(ec, call, args, length)
		if err != nil {
			return nil, err
		}
		defer releaseArrays(arrays)
		l, r := arrays[0], arrays[1]
		if l.DataType().ID() != arrow.INT64 || r.DataType().ID() != arrow.INT64 {
			return nil, errkind.Internal("div on %s and %s; the analyzer casts its operands to bigint", l.DataType(), r.DataType())
		}
		n := l.Len()
		lv, rv := values[int64](l), values[int64](r)
		validity := newValidity(ec.Task.Allocator, n, l, r)
		buf, out := newFixedBuffer[int64](ec.Task.Allocator, n)
		fail := func(err error) (compute.Datum, error) {
			validity.release()
			buf.Release()
			return nil, err
		}
		for i := 0; i < n; i++ {
			if !validity.valid(i) {
				continue
			}
			switch {
			case rv[i] == 0:
				if mode == logical.EvalANSI {
					return fail(divideByZero(call))
				}
				validity.setNull(i)
			case rv[i] == -1 && lv[i] == math.MinInt64:
				switch mode {
				case logical.EvalANSI:
					return fail(overflowError(call))
				case logical.EvalTry:
					validity.setNull(i)
				default:
					out[i] = math.MinInt64
				}
			default:
				out[i] = lv[i] / rv[i]
			}
		}
		return datumOf(makeFixedArray(arrow.PrimitiveTypes.Int64, n, buf, validity)), nil
	}
}
