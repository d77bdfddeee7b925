package optimizer

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

func decimalLit(unscaled int64, precision, scale int32) *logical.Literal {
	return logical.NewLiteral(scalar.NewDecimal128Scalar(decimal128.FromI64(unscaled), &arrow.Decimal128Type{Precision: precision, Scale: scale}))
}

// The expected values are worked by hand from Spark's decimal result types (DecimalPrecision):
// 0.06 - 0.01 is decimal(3,2) 0.05; 1.5 * 2.25 is decimal(5,3) 3.375.
func TestDecimalLiteralFolding(t *testing.T) {
	dec := func(p, s int32) *arrow.Decimal128Type { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	cases := []struct {
		name string
		in   logical.Expr
		want logical.Expr // nil: left for the executor
	}{
		{"subtract", binary("decimal_subtract", dec(3, 2), decimalLit(6, 2, 2), decimalLit(1, 2, 2)), decimalLit(5, 3, 2)},
		{"add across scales", binary("decimal_add_legacy", dec(5, 3), decimalLit(6, 2, 2), decimalLit(1, 3, 3)), decimalLit(61, 5, 3)},
		{"multiply", binary("decimal_multiply", dec(5, 3), decimalLit(15, 2, 1), decimalLit(225, 3, 2)), decimalLit(3375, 5, 3)},
		{"overflow stays", binary("decimal_add", dec(2, 0), decimalLit(99, 2, 0), decimalLit(1, 2, 0)), nil},
		{"rounding stays", binary("decimal_multiply", dec(3, 1), decimalLit(15, 2, 1), decimalLit(15, 2, 1)), nil},
		{"int cast", &logical.Cast{Child: lit(24), To: dec(15, 2)}, decimalLit(2400, 15, 2)},
		{"narrowing cast stays", &logical.Cast{Child: decimalLit(125, 3, 2), To: dec(3, 1)}, nil},
		{"cast overflow stays", &logical.Cast{Child: lit(1000), To: dec(4, 2)}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, changed := foldExpr(c.in)
			if c.want == nil {
				require.False(t, changed, "folded to %s", out)
				return
			}
			require.True(t, changed)
			got, ok := out.(*logical.Literal)
			require.True(t, ok, "not a literal: %s", out)
			require.True(t, arrow.TypeEqual(c.want.DataType(), got.DataType()), "type %s", got.DataType())
			require.True(t, scalar.Equals(c.want.(*logical.Literal).Value, got.Value), "value %s", got.Value)
		})
	}
}
