package exec_test

import (
	"context"
	"math"
	"math/big"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
)

// sparkDecimalToDouble is Spark's Decimal.toDouble, written independently of the engine: a
// decimal of precision <= 18 is a long converted to double and divided by 10^scale; a wider one
// is java.math.BigDecimal.doubleValue, the correctly rounded double of its decimal text.
func sparkDecimalToDouble(t *testing.T, n decimal128.Num, precision, scale int32) float64 {
	t.Helper()
	if precision <= 18 {
		if !n.FitsInPrecision(18) {
			t.Fatalf("test value %v does not fit decimal(%d,%d)", n.BigInt(), precision, scale)
		}
		return float64(n.BigInt().Int64()) / math.Pow10(int(scale))
	}
	parsed, err := strconv.ParseFloat(n.ToString(scale), 64)
	if err != nil {
		t.Fatalf("parse %s: %v", n.ToString(scale), err)
	}
	return parsed
}

func decimalCastEdgeValues(precision int32) []decimal128.Num {
	maxUnscaled := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil), big.NewInt(1))
	unscaled := []*big.Int{
		big.NewInt(0), big.NewInt(1), big.NewInt(-1), big.NewInt(5), big.NewInt(7), big.NewInt(57), big.NewInt(-57),
		big.NewInt(2400), big.NewInt(-2399), big.NewInt(123456789), big.NewInt(-987654321012345),
		big.NewInt(1 << 53), big.NewInt(1<<53 + 1), big.NewInt(-(1<<53 + 1)), big.NewInt(1<<53 - 1),
		big.NewInt(999999999999999999), big.NewInt(-999999999999999999), big.NewInt(123456789012345678),
		big.NewInt(math.MaxInt64), big.NewInt(math.MinInt64),
		new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(3), 70)),
		new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 100), big.NewInt(12345)),
		maxUnscaled, new(big.Int).Neg(maxUnscaled),
	}
	var out []decimal128.Num
	for _, v := range unscaled {
		if v.CmpAbs(maxUnscaled) <= 0 {
			out = append(out, decimal128.FromBigInt(v))
		}
	}
	return out
}

// TestDecimalToFloatCast checks the typed decimal -> double/float cast against Spark's
// definition on edge values: signs, 2^53 neighbours, the largest precision-18 and
// precision-38 values, every scale 0..18, nulls, and a sliced input.
func TestDecimalToFloatCast(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ec := &exec.EvalContext{Ctx: context.Background(), Task: exectest.NewTaskContext(mem)}
	for _, precision := range []int32{1, 2, 15, 18, 19, 38} {
		for scale := int32(0); scale <= 18 && scale <= precision; scale++ {
			decimalType := &arrow.Decimal128Type{Precision: precision, Scale: scale}
			edges := decimalCastEdgeValues(precision)
			builder := array.NewDecimal128Builder(mem, decimalType)
			builder.AppendNull() // sliced away below
			for i, v := range edges {
				builder.Append(v)
				if i%3 == 0 {
					builder.AppendNull()
				}
			}
			whole := builder.NewArray()
			builder.Release()
			input := array.NewSlice(whole, 1, int64(whole.Len()))
			whole.Release()
			for _, to := range []arrow.DataType{arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float32} {
				out, ok, err := exec.CastHook(ec, input, to, logical.EvalANSI)
				if err != nil || !ok {
					t.Fatalf("decimal(%d,%d) -> %s: ok=%v err=%v", precision, scale, to, ok, err)
				}
				if out.Len() != input.Len() || out.NullN() != input.NullN() {
					t.Fatalf("decimal(%d,%d) -> %s: %d rows %d nulls, want %d rows %d nulls", precision, scale, to, out.Len(), out.NullN(), input.Len(), input.NullN())
				}
				source := input.(*array.Decimal128)
				for i := 0; i < input.Len(); i++ {
					if input.IsNull(i) {
						if !out.IsNull(i) {
							t.Fatalf("row %d: null input gave a value", i)
						}
						continue
					}
					want := sparkDecimalToDouble(t, source.Value(i), precision, scale)
					var got float64
					if to.ID() == arrow.FLOAT64 {
						got = out.(*array.Float64).Value(i)
					} else {
						got = float64(out.(*array.Float32).Value(i))
						want = float64(float32(want))
					}
					if math.Float64bits(got) != math.Float64bits(want) {
						t.Errorf("decimal(%d,%d) %s -> %s = %v, want %v (Spark)", precision, scale, source.Value(i).ToString(scale), to, got, want)
					}
				}
				out.Release()
			}
			input.Release()
		}
	}
}
