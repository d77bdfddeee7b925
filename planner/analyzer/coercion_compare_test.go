package analyzer

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"
)

// Spark compares decimals in DecimalPrecision.widerDecimalType (no carry digit), so a
// decimal(15,2) column compared with an int or a narrower decimal is not cast per row.
func TestComparableTypeOfDecimals(t *testing.T) {
	dec := func(p, s int32) arrow.DataType { return &arrow.Decimal128Type{Precision: p, Scale: s} }
	cases := []struct{ l, r, want arrow.DataType }{
		{dec(15, 2), dec(3, 2), dec(15, 2)},
		{dec(15, 2), arrow.PrimitiveTypes.Int32, dec(15, 2)},
		{dec(5, 4), arrow.PrimitiveTypes.Int64, dec(24, 4)},
		{dec(38, 10), dec(38, 0), dec(38, 10)},
		{dec(15, 2), arrow.PrimitiveTypes.Float64, arrow.PrimitiveTypes.Float64},
	}
	for _, c := range cases {
		got, ok := ComparableType(c.l, c.r)
		require.True(t, ok)
		require.True(t, arrow.TypeEqual(c.want, got), "%s vs %s: got %s, want %s", c.l, c.r, got, c.want)
	}
}
