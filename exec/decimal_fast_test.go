package exec

import (
	"math"
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// referenceDecimal is the exact big.Int computation the fast paths must agree with: operands at
// their scales, result rounded HALF_UP to scale s, overflow when |result| >= 10^precision.
func referenceDecimal(op string, a, b int64, s1, s2, s, precision int) (*big.Int, bool) {
	x, y := big.NewInt(a), big.NewInt(b)
	var v big.Int
	switch op {
	case "add", "subtract":
		common := max(s1, s2)
		scaleBy(x, common-s1)
		scaleBy(y, common-s2)
		if op == "add" {
			v.Add(x, y)
		} else {
			v.Sub(x, y)
		}
		roundHalfUp(&v, common-s)
	case "multiply":
		v.Mul(x, y)
		roundHalfUp(&v, s1+s2-s)
	}
	limit := new(big.Int).Exp(bigTen, big.NewInt(int64(precision)), nil)
	return &v, v.CmpAbs(limit) >= 0
}

func TestDecimalFastPathsAgreeWithBigInt(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	edge := []int64{0, 1, -1, 5, -5, 15, -15, 49, 50, -50, 51, 99, math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, math.MinInt64 / 10, 999_999_999_999_999, -999_999_999_999_999}
	pick := func() int64 {
		switch rng.Intn(4) {
		case 0:
			return edge[rng.Intn(len(edge))]
		case 1:
			return rng.Int63n(2_000_000) - 1_000_000
		case 2:
			return rng.Int63() - rng.Int63()
		}
		return rng.Int63n(2_000_000_000_000_000) - 1_000_000_000_000_000
	}
	checked := 0
	for _, op := range []string{"add", "subtract", "multiply"} {
		for trial := 0; trial < 3000; trial++ {
			s1, s2 := rng.Intn(8), rng.Intn(8)
			s := rng.Intn(max(s1, s2)+3) + 0
			if op == "multiply" {
				s = rng.Intn(s1 + s2 + 1)
			}
			precision := rng.Intn(38) + 1
			if s > precision {
				s = precision
			}
			fast := newDecimalFastOp(op, s1, s2, s, precision)
			if fast == nil {
				continue
			}
			for k := 0; k < 20; k++ {
				a, b := pick(), pick()
				got, handled, overflow := fast(decimal128.FromI64(a), decimal128.FromI64(b))
				if !handled {
					continue
				}
				checked++
				want, wantOverflow := referenceDecimal(op, a, b, s1, s2, s, precision)
				if overflow != wantOverflow {
					t.Fatalf("%s(%d@%d, %d@%d) -> decimal(%d,%d): overflow %v, want %v (%s)", op, a, s1, b, s2, precision, s, overflow, wantOverflow, want)
				}
				if !overflow && got.BigInt().Cmp(want) != 0 {
					t.Fatalf("%s(%d@%d, %d@%d) -> decimal(%d,%d) = %s, want %s", op, a, s1, b, s2, precision, s, got.BigInt(), want)
				}
			}
		}
	}
	if checked < 10000 {
		t.Fatalf("only %d rows took the fast paths", checked)
	}
}
