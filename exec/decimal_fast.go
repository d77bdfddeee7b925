package exec

import (
	"math"
	"math/bits"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Fixed-width fast paths for decimal +, - and *: exact 64/128-bit integer arithmetic for the rows
// whose operands fit in an int64 (every TPC-H decimal does), with the same HALF_UP rounding and
// precision check as the math/big path, which still takes every other row. math/big allocated
// several times per row and was 70% of TPC-H Q1's CPU.

// pow10u64[k] is 10^k for k <= 19 (the largest power of ten a uint64 holds).
var pow10u64 = func() (p [20]uint64) {
	p[0] = 1
	for k := 1; k < len(p); k++ {
		p[k] = p[k-1] * 10
	}
	return p
}()

// decimalFastOp computes one row's result; handled=false sends the row to the math/big path,
// overflow=true means the exact result does not fit the result precision.
type decimalFastOp func(a, b decimal128.Num) (result decimal128.Num, handled, overflow bool)

// newDecimalFastOp returns the fast path for op with operand scales s1, s2 and the result's
// precision and scale, or nil when op has none.
func newDecimalFastOp(op string, s1, s2, s, precision int) decimalFastOp {
	switch op {
	case "add", "subtract":
		common := max(s1, s2)
		up1, up2, round := common-s1, common-s2, common-s
		if up1 > 18 || up2 > 18 || round > 18 || round < -18 {
			return nil
		}
		subtract := op == "subtract"
		scale1, scale2 := newInt64Scaler(up1), newInt64Scaler(up2)
		return func(x, y decimal128.Num) (decimal128.Num, bool, bool) {
			a, ok1 := int64Of(x)
			b, ok2 := int64Of(y)
			if !ok1 || !ok2 {
				return decimal128.Num{}, false, false
			}
			if a, ok1 = scale1.scale(a); !ok1 {
				return decimal128.Num{}, false, false
			}
			if b, ok2 = scale2.scale(b); !ok2 {
				return decimal128.Num{}, false, false
			}
			var v int64
			var ok bool
			if subtract {
				v = a - b
				ok = !((b < 0 && v < a) || (b > 0 && v > a))
			} else {
				v = a + b
				ok = !((b > 0 && v < a) || (b < 0 && v > a))
			}
			if !ok {
				return decimal128.Num{}, false, false
			}
			switch {
			case round > 0:
				v = roundHalfUpInt64(v, round)
			case round < 0:
				if v, ok = scaleInt64(v, -round); !ok {
					return decimal128.Num{}, false, false
				}
			}
			if precision < 19 && (v >= int64(pow10u64[precision]) || v <= -int64(pow10u64[precision])) {
				return decimal128.Num{}, true, true
			}
			return decimal128.FromI64(v), true, false
		}
	case "multiply":
		round := s1 + s2 - s
		if round < 0 || round > 19 || precision > 38 {
			return nil
		}
		limit := decimal128.GetScaleMultiplier(precision) // 10^precision, positive
		limitHi, limitLo := uint64(limit.HighBits()), limit.LowBits()
		divisor := pow10u64[round]
		return func(x, y decimal128.Num) (decimal128.Num, bool, bool) {
			a, ok1 := int64Of(x)
			b, ok2 := int64Of(y)
			if !ok1 || !ok2 {
				return decimal128.Num{}, false, false
			}
			hi, lo := bits.Mul64(absUint64(a), absUint64(b))
			if round > 0 {
				q1, r := hi/divisor, hi%divisor
				q0, rem := bits.Div64(r, lo, divisor)
				// HALF_UP on the magnitude rounds half away from zero, as Java's BigDecimal.
				if rem >= divisor-rem {
					var carry uint64
					q0, carry = bits.Add64(q0, 1, 0)
					q1 += carry
				}
				hi, lo = q1, q0
			}
			if hi > limitHi || (hi == limitHi && lo >= limitLo) {
				return decimal128.Num{}, true, true
			}
			n := decimal128.New(int64(hi), lo) // < 10^38 < 2^127: non-negative as int128
			if (a < 0) != (b < 0) {
				n = n.Negate()
			}
			return n, true, false
		}
	}
	return nil
}

// int64Of returns n as an int64 when it fits.
func int64Of(n decimal128.Num) (int64, bool) {
	hi, lo := n.HighBits(), n.LowBits()
	if (hi == 0 && lo <= math.MaxInt64) || (hi == -1 && lo > math.MaxInt64) {
		return int64(lo), true
	}
	return 0, false
}

func absUint64(v int64) uint64 {
	if v < 0 {
		return uint64(-v) // two's complement: MinInt64 gives 1<<63, its magnitude
	}
	return uint64(v)
}

// scaleInt64 multiplies v by 10^k (0 <= k <= 18), reporting false on overflow.
func scaleInt64(v int64, k int) (int64, bool) {
	if k == 0 {
		return v, true
	}
	p := int64(pow10u64[k])
	if v > math.MaxInt64/p || v < math.MinInt64/p {
		return 0, false
	}
	return v * p, true
}

// int64Scaler multiplies by 10^k with the overflow bounds computed once, not per row (the two
// divisions per row were 9% of a Q1 expression's time).
type int64Scaler struct{ factor, lo, hi int64 }

func newInt64Scaler(k int) int64Scaler {
	p := int64(pow10u64[k])
	return int64Scaler{factor: p, lo: math.MinInt64 / p, hi: math.MaxInt64 / p}
}

func (s int64Scaler) scale(v int64) (int64, bool) {
	if s.factor == 1 {
		return v, true
	}
	if v > s.hi || v < s.lo {
		return 0, false
	}
	return v * s.factor, true
}

// roundHalfUpInt64 divides v by 10^k (1 <= k <= 18) rounding half away from zero.
func roundHalfUpInt64(v int64, k int) int64 {
	d := pow10u64[k]
	m := absUint64(v)
	q, r := m/d, m%d
	if r >= d-r {
		q++
	}
	if v < 0 {
		return -int64(q)
	}
	return int64(q)
}

// decimalBatchOp computes a whole batch: out[i] = l[i*ls] op r[i*rs] for every row whose operands
// fit an int64 and whose result needs no rounding beyond the fast path's, appending every other
// row to pending (returned) for the exact math/big path. It writes every row of out that it does
// not leave pending, null rows included (their values are never read), so out need not be
// zeroed. A stride of 0 reads a literal operand in place.
type decimalBatchOp func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32

// newDecimalBatchOp returns the batch loop for op, or nil when op has none at these scales. The
// loops are written per operation instead of calling a per-row function value: the call could
// not be inlined and was a third of a Q1 expression's time.
func newDecimalBatchOp(op string, s1, s2, s, precision int) decimalBatchOp {
	switch op {
	case "add", "subtract":
		common := max(s1, s2)
		if common != s || common-s1 > 18 || common-s2 > 18 {
			return nil // rounding or scaling beyond int64: the per-row fast path handles it
		}
		bound := uint64(math.MaxUint64) // every int64 magnitude fits precision >= 19
		if precision < 19 {
			bound = pow10u64[precision]
		}
		scale1, scale2 := newInt64Scaler(common-s1), newInt64Scaler(common-s2)
		general := newAddSubtractLoop(op == "subtract", scale1, scale2, bound)
		return func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32 {
			// A literal operand (Q1's 1 - discount and 1 + tax) is read and scaled once.
			if ls == 0 && rs == 1 {
				if literal, ok := scaledInt64Of(l[0], scale1); ok {
					return addToLiteral(out, r[:len(out)], literal, op == "subtract", scale2, bound, pending)
				}
			}
			if ls == 1 && rs == 0 {
				if literal, ok := scaledInt64Of(r[0], scale2); ok && literal != math.MinInt64 {
					if op == "subtract" {
						literal = -literal
					}
					return addToLiteral(out, l[:len(out)], literal, false, scale1, bound, pending)
				}
			}
			return general(out, l, ls, r, rs, pending)
		}
	case "multiply":
		round := s1 + s2 - s
		if round < 0 || round > 19 || precision > 38 {
			return nil
		}
		limit := decimal128.GetScaleMultiplier(precision) // 10^precision, positive
		limitHi, limitLo := uint64(limit.HighBits()), limit.LowBits()
		if round == 0 {
			return func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32 {
				if ls == 1 && rs == 1 {
					return multiplyUnscaled(out, l[:len(out)], r[:len(out)], limitHi, limitLo, pending)
				}
				for i := range out {
					var handled bool
					if out[i], handled = multiplyUnscaledRow(l[i*ls], r[i*rs], limitHi, limitLo); !handled {
						pending = append(pending, int32(i))
					}
				}
				return pending
			}
		}
		divisor := pow10u64[round]
		return func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32 {
			for i := range out {
				a, ok1 := int64Of(l[i*ls])
				b, ok2 := int64Of(r[i*rs])
				if !ok1 || !ok2 {
					pending = append(pending, int32(i))
					continue
				}
				hi, lo := bits.Mul64(absUint64(a), absUint64(b))
				if round > 0 {
					q1, rem := hi/divisor, hi%divisor
					q0, rem := bits.Div64(rem, lo, divisor)
					// HALF_UP on the magnitude rounds half away from zero, as Java's BigDecimal.
					if rem >= divisor-rem {
						var carry uint64
						q0, carry = bits.Add64(q0, 1, 0)
						q1 += carry
					}
					hi, lo = q1, q0
				}
				if hi > limitHi || (hi == limitHi && lo >= limitLo) {
					pending = append(pending, int32(i)) // the exact path raises or nulls it
					continue
				}
				if (a < 0) != (b < 0) {
					// Negate the magnitude (< 10^38 < 2^127) in two's complement.
					lo, borrow := bits.Sub64(0, lo, 0)
					hi, _ = bits.Sub64(0, hi, borrow)
					out[i] = decimal128.New(int64(hi), lo)
					continue
				}
				out[i] = decimal128.New(int64(hi), lo)
			}
			return pending
		}
	}
	return nil
}

// multiplyUnscaled is the multiply loop of two columns whose product needs no rounding (TPC-H
// Q1's products): one sign test per operand for "fits an int64", a branch-free negation, and no
// bounds checks (l and r are as long as out). It was a tenth of Q1's server CPU with the
// general loop.
func multiplyUnscaled(out, l, r []decimal128.Num, limitHi, limitLo uint64, pending []int32) []int32 {
	for i := range out {
		x, y := l[i], r[i]
		a, b := int64(x.LowBits()), int64(y.LowBits())
		if x.HighBits() != a>>63 || y.HighBits() != b>>63 {
			pending = append(pending, int32(i)) // an operand beyond int64: the exact path
			continue
		}
		hi, lo := bits.Mul64(absUint64(a), absUint64(b))
		if hi > limitHi || (hi == limitHi && lo >= limitLo) {
			pending = append(pending, int32(i)) // the exact path raises or nulls it
			continue
		}
		// Negate the magnitude (< 10^38 < 2^127) when the signs differ: x ^ m - m with m all ones.
		m := uint64((a ^ b) >> 63)
		lo, borrow := bits.Sub64(lo^m, m, 0)
		hi = hi ^ m - m - borrow
		out[i] = decimal128.New(int64(hi), lo)
	}
	return pending
}

// multiplyUnscaledRow is one row of multiplyUnscaled, for a literal operand (stride 0).
func multiplyUnscaledRow(x, y decimal128.Num, limitHi, limitLo uint64) (decimal128.Num, bool) {
	a, b := int64(x.LowBits()), int64(y.LowBits())
	if x.HighBits() != a>>63 || y.HighBits() != b>>63 {
		return decimal128.Num{}, false
	}
	hi, lo := bits.Mul64(absUint64(a), absUint64(b))
	if hi > limitHi || (hi == limitHi && lo >= limitLo) {
		return decimal128.Num{}, false
	}
	m := uint64((a ^ b) >> 63)
	lo, borrow := bits.Sub64(lo^m, m, 0)
	hi = hi ^ m - m - borrow
	return decimal128.New(int64(hi), lo), true
}

// newUnclearedFixedBuffer allocates room for n values of T without zeroing it beyond what the
// allocator does; the caller must write every value.
func newUnclearedFixedBuffer[T arrow.FixedWidthType](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	buf := memory.NewResizableBuffer(mem)
	var zero T
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	return buf, arrow.GetData[T](buf.Bytes())[:n]
}

// newAddSubtractLoop is the add or subtract loop of two columns (or a literal beyond the
// literal loop's reach).
func newAddSubtractLoop(subtract bool, scale1, scale2 int64Scaler, bound uint64) decimalBatchOp {
	if subtract {
		return func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32 {
			for i := range out {
				a, ok1 := int64Of(l[i*ls])
				b, ok2 := int64Of(r[i*rs])
				a, ok3 := scale1.scale(a)
				b, ok4 := scale2.scale(b)
				v := a - b
				// Overflow when the operands' signs differ and the result's sign is not a's.
				overflow := ((a ^ b) & (a ^ v)) < 0
				if !(ok1 && ok2 && ok3 && ok4) || overflow || absUint64(v) >= bound {
					pending = append(pending, int32(i))
					continue
				}
				out[i] = decimal128.New(v>>63, uint64(v))
			}
			return pending
		}
	}
	return func(out, l []decimal128.Num, ls int, r []decimal128.Num, rs int, pending []int32) []int32 {
		for i := range out {
			a, ok1 := int64Of(l[i*ls])
			b, ok2 := int64Of(r[i*rs])
			a, ok3 := scale1.scale(a)
			b, ok4 := scale2.scale(b)
			v := a + b
			// Overflow when the operands' signs agree and the result's sign differs.
			overflow := (^(a ^ b) & (a ^ v)) < 0
			if !(ok1 && ok2 && ok3 && ok4) || overflow || absUint64(v) >= bound {
				pending = append(pending, int32(i))
				continue
			}
			out[i] = decimal128.New(v>>63, uint64(v))
		}
		return pending
	}
}

// scaledInt64Of returns n * 10^k (the scaler's) when both fit an int64.
func scaledInt64Of(n decimal128.Num, scaler int64Scaler) (int64, bool) {
	v, ok := int64Of(n)
	if !ok {
		return 0, false
	}
	return scaler.scale(v)
}

// addToLiteral computes out[i] = literal + column[i], or literal - column[i] when subtract, with
// column scaled by scaler; rows beyond int64 or the result's bound are left pending.
func addToLiteral(out, column []decimal128.Num, literal int64, subtract bool, scaler int64Scaler, bound uint64, pending []int32) []int32 {
	for i := range out {
		y := column[i]
		b := int64(y.LowBits())
		if y.HighBits() != b>>63 {
			pending = append(pending, int32(i)) // beyond int64: the exact path
			continue
		}
		b, ok := scaler.scale(b)
		var v int64
		var overflow bool
		if subtract {
			v = literal - b
			overflow = ((literal ^ b) & (literal ^ v)) < 0
		} else {
			v = literal + b
			overflow = (^(literal ^ b) & (literal ^ v)) < 0
		}
		if !ok || overflow || absUint64(v) >= bound {
			pending = append(pending, int32(i))
			continue
		}
		out[i] = decimal128.New(v>>63, uint64(v))
	}
	return pending
}
