package optimizer

import (
	"math/big"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

// Decimal constant folding. SQL number literals are decimals (0.06 is decimal(2,2)), so TPC-H
// writes `l_discount BETWEEN 0.06 - 0.01 AND 0.06 + 0.01` and `l_quantity < 24` (an int cast to
// decimal): left alone, every batch evaluates the literal arithmetic and casts again, and the
// file scan cannot check the condition against row-group statistics. Only exact results are
// folded; anything that would round, overflow or raise stays for the executor, so the query
// still behaves as Spark's does.

// decimalValue reads a literal as an unscaled integer and a scale: decimals as they are,
// integers with scale 0.
func decimalValue(l *logical.Literal) (*big.Int, int32, bool) {
	if !l.Value.IsValid() {
		return nil, 0, false
	}
	switch v := l.Value.(type) {
	case *scalar.Decimal128:
		t, ok := v.Type.(*arrow.Decimal128Type)
		if !ok {
			return nil, 0, false
		}
		return v.Value.BigInt(), t.Scale, true
	}
	if i, ok := integerValue(l.Value); ok {
		return big.NewInt(i), 0, true
	}
	return nil, 0, false
}

// decimalLiteral makes a literal of type t from an unscaled value at scale, or nil when the value
// does not fit t exactly.
func decimalLiteral(unscaled *big.Int, scale int32, t *arrow.Decimal128Type) logical.Expr {
	v := new(big.Int).Set(unscaled)
	switch {
	case scale < t.Scale:
		v.Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Scale-scale)), nil))
	case scale > t.Scale:
		divisor := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale-t.Scale)), nil)
		quotient, remainder := new(big.Int).QuoRem(v, divisor, new(big.Int))
		if remainder.Sign() != 0 {
			return nil // would round: leave it to the kernel
		}
		v = quotient
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(t.Precision)), nil)
	if new(big.Int).Abs(v).Cmp(limit) >= 0 {
		return nil // overflows the precision: the executor raises (ANSI) or yields null
	}
	return logical.NewLiteral(scalar.NewDecimal128Scalar(decimal128.FromBigInt(v), t))
}

// foldDecimalCall folds decimal_add/subtract/multiply (any evaluation mode) over two literals.
func foldDecimalCall(c *logical.Call) logical.Expr {
	op, ok := strings.CutPrefix(c.Function, "decimal_")
	if !ok || len(c.Args) != 2 {
		return nil
	}
	for _, suffix := range []string{"_legacy", "_try"} {
		op = strings.TrimSuffix(op, suffix)
	}
	t, ok := c.Type.(*arrow.Decimal128Type)
	if !ok {
		return nil
	}
	l, lok := c.Args[0].(*logical.Literal)
	r, rok := c.Args[1].(*logical.Literal)
	if !lok || !rok {
		return nil
	}
	if !l.Value.IsValid() || !r.Value.IsValid() {
		return logical.NullLiteral(t)
	}
	a, as, aok := decimalValue(l)
	b, bs, bok := decimalValue(r)
	if !aok || !bok {
		return nil
	}
	align := func(v *big.Int, from, to int32) *big.Int {
		return new(big.Int).Mul(v, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(to-from)), nil))
	}
	switch op {
	case "add", "subtract":
		scale := max(as, bs)
		x, y := align(a, as, scale), align(b, bs, scale)
		if op == "add" {
			return decimalLiteral(x.Add(x, y), scale, t)
		}
		return decimalLiteral(x.Sub(x, y), scale, t)
	case "multiply":
		return decimalLiteral(new(big.Int).Mul(a, b), as+bs, t)
	}
	return nil
}

// foldDecimalCast folds a cast of an integer or decimal literal to a decimal type when the value
// fits exactly.
func foldDecimalCast(c *logical.Cast) logical.Expr {
	t, ok := c.To.(*arrow.Decimal128Type)
	if !ok {
		return nil
	}
	l, ok := c.Child.(*logical.Literal)
	if !ok {
		return nil
	}
	v, scale, ok := decimalValue(l)
	if !ok {
		return nil
	}
	return decimalLiteral(v, scale, t)
}
