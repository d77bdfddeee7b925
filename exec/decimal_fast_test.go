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

// TestDecimalBatchLoopsAgreeWithBigInt runs the batch loops over random operands (literal and
// column strides): every row they compute equals math/big's result, and every row they leave
// pending is one that overflows or does not fit the int64 path.
func TestDecimalBatchLoopsAgreeWithBigInt(t *testing.T) {
	rng := rand.New(rand.NewSource(11))
	edge := []int64{0, 1, -1, 5, -5, 50, -50, math.MaxInt64, math.MinInt64, math.MaxInt64 / 10, math.MinInt64 / 10, 999_999_999_999_999}
	pick := func() decimal128.Num {
		switch rng.Intn(5) {
		case 0:
			return decimal128.FromI64(edge[rng.Intn(len(edge))])
		case 1:
			return decimal128.New(rng.Int63n(3)-1, rng.Uint64()) // beyond int64 now and then
		case 2:
			return decimal128.FromI64(rng.Int63() - rng.Int63())
		}
		return decimal128.FromI64(rng.Int63n(2_000_000) - 1_000_000)
	}
	computed := 0
	for _, op := range []string{"add", "subtract", "multiply"} {
		for trial := 0; trial < 2000; trial++ {
			s1, s2 := rng.Intn(8), rng.Intn(8)
			s := max(s1, s2)
			if op == "multiply" {
				s = rng.Intn(s1 + s2 + 1)
			}
			precision := max(rng.Intn(38)+1, s)
			loop := newDecimalBatchOp(op, s1, s2, s, precision)
			if loop == nil {
				continue
			}
			const n = 16
			l, r := make([]decimal128.Num, n), make([]decimal128.Num, n)
			for i := range l {
				l[i], r[i] = pick(), pick()
			}
			ls, rs := 1, 1
			switch rng.Intn(4) {
			case 0:
				rs = 0 // a literal right operand
			case 1:
				ls = 0 // a literal left operand (Q1's 1 - discount)
			}
			out := make([]decimal128.Num, n)
			pending := map[int32]bool{}
			for _, i := range loop(out, l, ls, r, rs, nil) {
				pending[i] = true
			}
			for i := 0; i < n; i++ {
				x, y := l[i*ls], r[i*rs]
				a, b := new(big.Int).Set(x.BigInt()), new(big.Int).Set(y.BigInt())
				var want big.Int
				switch op {
				case "add", "subtract":
					scaleBy(a, s-s1)
					scaleBy(b, s-s2)
					if op == "add" {
						want.Add(a, b)
					} else {
						want.Sub(a, b)
					}
				case "multiply":
					want.Mul(a, b)
					roundHalfUp(&want, s1+s2-s)
				}
				limit := new(big.Int).Exp(bigTen, big.NewInt(int64(precision)), nil)
				overflow := want.CmpAbs(limit) >= 0
				if pending[int32(i)] {
					_, xFits := int64Of(x)
					_, yFits := int64Of(y)
					if !overflow && xFits && yFits && op == "multiply" {
						t.Fatalf("%s(%s@%d, %s@%d) -> decimal(%d,%d) was left pending but fits", op, x.BigInt(), s1, y.BigInt(), s2, precision, s)
					}
					continue
				}
				if overflow {
					t.Fatalf("%s(%s@%d, %s@%d) -> decimal(%d,%d) overflows but was computed as %s", op, x.BigInt(), s1, y.BigInt(), s2, precision, s, out[i].BigInt())
				}
				if out[i].BigInt().Cmp(&want) != 0 {
					t.Fatalf("%s(%s@%d, %s@%d) -> decimal(%d,%d) = %s, want %s", op, x.BigInt(), s1, y.BigInt(), s2, precision, s, out[i].BigInt(), &want)
				}
				computed++
			}
		}
	}
	if computed < 5000 {
		t.Fatalf("only %d rows took the batch loops", computed)
	}
}
