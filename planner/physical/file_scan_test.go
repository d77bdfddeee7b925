package physical

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/planner/logical"
)

func TestFilePredicateFoldsLiteralCasts(t *testing.T) {
	dec := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	col := &logical.ColumnRef{AttrID: 1, ColumnName: "q", Type: dec}
	attrs := []*logical.ColumnRef{col}
	cases := []struct {
		literal logical.Expr
		want    string // the folded literal, or "" when the filter must not be pushed
	}{
		// Spark's meaning: CAST(24 AS DECIMAL(15,2)) is 24.00, not 0.24.
		{&logical.Cast{Child: logical.NewLiteral(scalar.NewInt32Scalar(24)), To: dec}, "24.00"},
		{&logical.Cast{Child: logical.NewLiteral(scalar.NewDecimal128Scalar(decimalOf(5, 2), &arrow.Decimal128Type{Precision: 3, Scale: 2})), To: dec}, "0.05"},
		{&logical.Cast{Child: logical.NewLiteral(scalar.NewFloat64Scalar(0.05)), To: dec}, ""},
		{&logical.Cast{Child: logical.NewLiteral(scalar.NewStringScalar("1")), To: dec}, ""},
	}
	for _, c := range cases {
		call := &logical.Call{Function: "lt", Args: []logical.Expr{col, c.literal}, Type: arrow.FixedWidthTypes.Boolean}
		p := FilePredicate(call, attrs)
		if c.want == "" {
			if p != nil {
				t.Errorf("%s: pushed %s, want not pushed", c.literal, p)
			}
			continue
		}
		if p == nil {
			t.Errorf("%s: not pushed", c.literal)
			continue
		}
		d, ok := p.Values[0].(*scalar.Decimal128)
		if !ok || d.Value.ToString(2) != c.want {
			t.Errorf("%s: folded to %v, want %s", c.literal, p.Values[0], c.want)
		}
	}
}

func decimalOf(unscaled int64, _ int32) decimal128.Num { return decimal128.FromI64(unscaled) }
