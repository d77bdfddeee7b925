package exec

import (
	"math/big"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Decimal to double as Spark defines it (Decimal.toDouble): a decimal of precision up to 18
// holds its unscaled value in a long and converts as unscaled.toDouble / 10^scale; a wider one
// holds a java.math.BigDecimal whose doubleValue is the correctly rounded nearest double.
// Decimal to float is the double narrowed (Decimal.toFloat = toDouble.toFloat).
//
// The hot case (TPC-H's decimal(15,2) compared with a Python float literal, which Spark types
// as double) is a typed loop with one int64->float64 conversion and one division per row. When
// |unscaled| <= 2^53 both conversions are exact, so the division is correctly rounded and the
// two Spark definitions agree; the slow path only sees wide values of wide types.

// exactPowersOfTen holds 10^0..10^18, each exactly representable as a float64 (up to 10^22 are).
var exactPowersOfTen = [19]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// decimalToFloat64Values writes each decimal's double value to out. Values under a null
// (valid(i) false) may be left as any double; the caller masks them with its validity.
func decimalToFloat64Values(source []decimal128.Num, precision, scale int32, valid func(i int) bool, out []float64) {
	if scale < 0 || scale > 18 {
		for i, n := range source {
			if valid(i) {
				out[i] = decimalToFloat64Exact(n, scale)
			}
		}
		return
	}
	divisor := exactPowersOfTen[scale]
	longBacked := precision <= 18 // Spark keeps these in a long: every in-range value fits int64
	for i, n := range source {
		hi, lo := n.HighBits(), n.LowBits()
		v := int64(lo)
		if hi == v>>63 && (longBacked || (v <= 1<<53 && v >= -(1<<53))) {
			out[i] = float64(v) / divisor
			continue
		}
		if valid(i) {
			out[i] = decimalToFloat64Exact(n, scale)
		}
	}
}

// decimalToFloat64Exact is the correctly rounded double of unscaled * 10^-scale
// (java.math.BigDecimal.doubleValue).
func decimalToFloat64Exact(n decimal128.Num, scale int32) float64 {
	value := new(big.Rat)
	if scale >= 0 {
		value.SetFrac(n.BigInt(), new(big.Int).Exp(bigTen, big.NewInt(int64(scale)), nil))
	} else {
		value.SetInt(new(big.Int).Mul(n.BigInt(), new(big.Int).Exp(bigTen, big.NewInt(int64(-scale)), nil)))
	}
	f, _ := value.Float64()
	return f
}
