package exec_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/quiverdata/quiver/exec/exectest"
)

// TestIntegralDivide checks a div b (Spark's IntegralDivide) against big.Int's truncated
// quotient: DIVIDE_BY_ZERO and MinLong div -1 overflow fail under ANSI, give null under try,
// and legacy yields null for a zero divisor and wraps MinLong div -1 as Java does.
func TestIntegralDivide(t *testing.T) {
	schema := pairSchema(int64Type)
	rows := exectest.Rows{{int64(7), int64(2)}, {int64(-7), int64(2)}, {int64(7), int64(-2)}, {int64(-9), int64(-4)},
		{int64(0), int64(5)}, {int64(math.MaxInt64), int64(3)}, {int64(math.MinInt64), int64(2)}}
	quotient := func(r []any) any {
		return new(big.Int).Quo(big.NewInt(r[0].(int64)), big.NewInt(r[1].(int64))).Int64()
	}
	for _, tc := range []struct {
		function string
		rows     exectest.Rows
		want     func(r []any) (any, error)
	}{
		{"div", append(rows, []any{int64(1), int64(0)}), func(r []any) (any, error) {
			if r[0] == nil || r[1] == nil {
				return nil, nil
			}
			if r[1].(int64) == 0 {
				return nil, errArithmetic
			}
			return quotient(r), nil
		}},
		{"div", append(rows, []any{int64(math.MinInt64), int64(-1)}), func(r []any) (any, error) {
			if r[0] == nil || r[1] == nil {
				return nil, nil
			}
			if r[0].(int64) == math.MinInt64 && r[1].(int64) == -1 {
				return nil, errArithmetic
			}
			return quotient(r), nil
		}},
		{"div_try", append(rows, []any{int64(1), int64(0)}, []any{int64(math.MinInt64), int64(-1)}), func(r []any) (any, error) {
			if r[0] == nil || r[1] == nil || r[1].(int64) == 0 || r[0].(int64) == math.MinInt64 && r[1].(int64) == -1 {
				return nil, nil
			}
			return quotient(r), nil
		}},
		{"div_legacy", append(rows, []any{int64(1), int64(0)}, []any{int64(math.MinInt64), int64(-1)}), func(r []any) (any, error) {
			if r[0] == nil || r[1] == nil || r[1].(int64) == 0 {
				return nil, nil
			}
			if r[0].(int64) == math.MinInt64 && r[1].(int64) == -1 {
				return int64(math.MinInt64), nil
			}
			return quotient(r), nil
		}},
	} {
		exectest.RunExpr(t, exectest.ExprTest{
			Name:  tc.function,
			Input: exectest.NewTable(schema, tc.rows),
			Expr:  scalarCall(tc.function, int64Type, exectest.Col(schema, 0), exectest.Col(schema, 1)),
			Want:  tc.want,
		})
	}
}
