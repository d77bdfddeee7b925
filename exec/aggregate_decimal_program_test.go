package exec_test

import (
	"fmt"
	"math/big"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// Decimal sum/avg arguments computed by aggregate programs (aggregate_decimal_program.go)
// against math/big per row: TPC-H Q1's expressions, a decimal literal operand, and a column
// beyond int64 in some rows (those batches take the expression path), two-phase and complete,
// with NULLs injected (also the expression path).

func decimalType(precision, scale int32) *arrow.Decimal128Type {
	return &arrow.Decimal128Type{Precision: precision, Scale: scale}
}

var decimalProgramSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "price", Type: decimalType(15, 2), Nullable: true},
	{Name: "discount", Type: decimalType(15, 2), Nullable: true},
	{Name: "tax", Type: decimalType(15, 2), Nullable: true},
	{Name: "wide", Type: decimalType(38, 0), Nullable: true},
}, nil)

func decimalProgramInput() exectest.Table {
	r := rand.New(rand.NewSource(5))
	t := exectest.Table{Schema: decimalProgramSchema}
	for p := 0; p < 3; p++ {
		var rows exectest.Rows
		for i := 0; i < 60+p*11; i++ {
			wide := decimal128.FromI64(r.Int63n(2000) - 1000)
			if p == 1 && i%13 == 0 {
				// Beyond int64: this partition's batches holding it take the expression path.
				wide = decimal128.FromBigInt(new(big.Int).Lsh(big.NewInt(r.Int63n(1000)-500), 70))
			}
			rows = append(rows, []any{int64(r.Intn(4)), decimal128.FromI64(r.Int63n(11_000_000) - 500_000),
				decimal128.FromI64(r.Int63n(11)), decimal128.FromI64(r.Int63n(9)), wide})
		}
		t.Partitions = append(t.Partitions, rows)
	}
	return t
}

// decimalOne is the analyzer's form of the literal 1 in 1 - l_discount.
func decimalOne() logical.Expr {
	return &logical.Cast{Child: logical.NewLiteral(scalar.NewInt32Scalar(1)), To: decimalType(10, 0), Mode: logical.EvalANSI}
}

func decimalProgramCalls() []*logical.AggregateCall {
	price, discount := exectest.Col(decimalProgramSchema, 1), exectest.Col(decimalProgramSchema, 2)
	tax, wide := exectest.Col(decimalProgramSchema, 3), exectest.Col(decimalProgramSchema, 4)
	discounted := decimalCall("decimal_multiply", decimalType(32, 4), price, decimalCall("decimal_subtract", decimalType(16, 2), decimalOne(), discount))
	charged := decimalCall("decimal_multiply", decimalType(38, 6), discounted, decimalCall("decimal_add", decimalType(16, 2), decimalOne(), tax))
	half := logical.NewLiteral(scalar.NewDecimal128Scalar(decimal128.FromI64(50), decimalType(3, 2)))
	lessHalf := decimalCall("decimal_subtract", decimalType(16, 2), price, half)
	wideTimes := decimalCall("decimal_multiply", decimalType(38, 2), wide, price)
	return []*logical.AggregateCall{
		call("sum", decimalType(38, 4), discounted),
		call("sum", decimalType(38, 6), charged),
		call("sum", decimalType(26, 2), lessHalf),
		call("sum", decimalType(38, 2), wideTimes),
		call("avg", decimalType(36, 8), discounted),
		// Plain columns: the accumulators' own loops (registers when there is one group).
		call("sum", decimalType(25, 2), price),
		call("avg", decimalType(19, 6), discount),
	}
}

// decimalProgramPlan groups by k, or with global set has no keys (one group: the accumulators'
// register loops).
func decimalProgramPlan(source physical.Node, twoPhase, global bool) physical.Node {
	calls := decimalProgramCalls()
	keys := []logical.Expr{exectest.Col(decimalProgramSchema, 0)}
	finalKeys := []logical.Expr{&logical.BoundRef{Ordinal: 0, ColumnName: "k", Type: arrow.PrimitiveTypes.Int64}}
	keyFields := []arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int64}}
	if global {
		keys, finalKeys, keyFields = nil, nil, nil
	}
	result := append([]arrow.Field(nil), keyFields...)
	for i, c := range calls {
		result = append(result, arrow.Field{Name: fmt.Sprintf("c%d", i), Type: c.Type, Nullable: true})
	}
	if !twoPhase {
		return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: source}, Mode: physical.AggregateComplete,
			Keys: keys, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
	}
	state := append([]arrow.Field(nil), keyFields...)
	for i, c := range calls {
		state = append(state, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
	}
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: keys, Calls: calls,
		OutSchema: arrow.NewSchema(state, nil)}
	return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
		Keys: finalKeys, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
}

// globalReference is decimalProgramReference over one group, without the key column.
func globalReference(rows exectest.Rows) exectest.Rows {
	var one exectest.Rows
	for _, row := range rows {
		one = append(one, append([]any{int64(0)}, row[1:]...))
	}
	var out exectest.Rows
	for _, row := range decimalProgramReference(one) {
		out = append(out, row[1:])
	}
	return out
}

// decimalProgramReference computes the calls per key with math/big on unscaled values.
func decimalProgramReference(rows exectest.Rows) exectest.Rows {
	type group struct {
		key   int64
		sums  [4]*big.Int
		seen  [4]bool
		avg   *big.Int
		count int64
		// sum(price), avg(discount)
		price               *big.Int
		priceSeen           bool
		discount, discounts int64
	}
	var order []int64
	groups := map[int64]*group{}
	unscaled := func(v any) *big.Int {
		if v == nil {
			return nil
		}
		return v.(decimal128.Num).BigInt()
	}
	for _, row := range rows {
		k := row[0].(int64)
		g, ok := groups[k]
		if !ok {
			g = &group{key: k, avg: new(big.Int), price: new(big.Int)}
			for i := range g.sums {
				g.sums[i] = new(big.Int)
			}
			groups[k] = g
			order = append(order, k)
		}
		price, discount, tax, wide := unscaled(row[1]), unscaled(row[2]), unscaled(row[3]), unscaled(row[4])
		hundred := big.NewInt(100)
		var values [4]*big.Int
		if price != nil && discount != nil {
			values[0] = new(big.Int).Mul(price, new(big.Int).Sub(hundred, discount)) // scale 4
			if tax != nil {
				values[1] = new(big.Int).Mul(values[0], new(big.Int).Add(hundred, tax)) // scale 6
			}
		}
		if price != nil {
			values[2] = new(big.Int).Sub(price, big.NewInt(50)) // scale 2
			if wide != nil {
				values[3] = new(big.Int).Mul(wide, price) // scale 2
			}
		}
		for i, v := range values {
			if v != nil {
				g.sums[i].Add(g.sums[i], v)
				g.seen[i] = true
			}
		}
		if values[0] != nil {
			g.avg.Add(g.avg, values[0])
			g.count++
		}
		if price != nil {
			g.price.Add(g.price, price)
			g.priceSeen = true
		}
		if discount != nil {
			g.discount += discount.Int64()
			g.discounts++
		}
	}
	// halfUp divides num by den rounding half away from zero.
	halfUp := func(num *big.Int, den int64) *big.Int {
		q, rem := new(big.Int).QuoRem(num, big.NewInt(den), new(big.Int))
		if new(big.Int).Mul(new(big.Int).Abs(rem), big.NewInt(2)).Cmp(big.NewInt(den)) >= 0 {
			q.Add(q, big.NewInt(int64(num.Sign())))
		}
		return q
	}
	var out exectest.Rows
	for _, k := range order {
		g := groups[k]
		row := []any{k}
		for i, s := range g.sums {
			if g.seen[i] {
				row = append(row, decimal128.FromBigInt(s))
			} else {
				row = append(row, nil)
			}
		}
		if g.count == 0 {
			row = append(row, nil)
		} else {
			// Scale 4 -> 8, divided by the count.
			row = append(row, decimal128.FromBigInt(halfUp(new(big.Int).Mul(g.avg, big.NewInt(10_000)), g.count)))
		}
		if g.priceSeen {
			row = append(row, decimal128.FromBigInt(g.price))
		} else {
			row = append(row, nil)
		}
		if g.discounts == 0 {
			row = append(row, nil)
		} else {
			// Scale 2 -> 6.
			row = append(row, decimal128.FromBigInt(halfUp(big.NewInt(g.discount*10_000), g.discounts)))
		}
		out = append(out, row)
	}
	return out
}

func TestHashAggregateDecimalProgramsMatchBigArithmetic(t *testing.T) {
	for _, twoPhase := range []bool{false, true} {
		for _, global := range []bool{false, true} {
			exectest.RunPlan(t, exectest.PlanTest{
				Name:   fmt.Sprintf("two_phase=%v/global=%v", twoPhase, global),
				Inputs: []exectest.Table{decimalProgramInput()},
				Plan:   func(s []*exectest.Source) physical.Node { return decimalProgramPlan(s[0], twoPhase, global) },
				Expected: func(in []exectest.Table) (exectest.Rows, error) {
					if global {
						return globalReference(in[0].AllRows()), nil
					}
					return decimalProgramReference(in[0].AllRows()), nil
				},
			})
		}
	}
}

// TestHashAggregateDecimalProgramOverflowRaises: a sum argument whose rows leave their type's
// precision raises the expression path's ANSI error, not a wrong sum.
func TestHashAggregateDecimalProgramOverflowRaises(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "a", Type: decimalType(2, 1)},
		{Name: "b", Type: decimalType(2, 1)},
	}, nil)
	var rows exectest.Rows
	for i := 0; i < 20; i++ {
		rows = append(rows, []any{decimal128.FromI64(90), decimal128.FromI64(int64(i))}) // 9.0 + 0.i
	}
	// Declared decimal(2,1): 9.0 + 1.0 and beyond do not fit.
	narrow := decimalCall("decimal_add", decimalType(2, 1), exectest.Col(schema, 0), exectest.Col(schema, 1))
	sum := call("sum", decimalType(12, 1), narrow)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{{Schema: schema, Partitions: []exectest.Rows{rows}}},
		Plan: func(s []*exectest.Source) physical.Node {
			return &physical.HashAggregate{Input: s[0], Mode: physical.AggregateComplete, Calls: []*logical.AggregateCall{sum},
				OutSchema: arrow.NewSchema([]arrow.Field{{Name: "s", Type: sum.Type, Nullable: true}}, nil)}
		},
		Expected: func([]exectest.Table) (exectest.Rows, error) {
			return nil, errkind.ErrArithmetic
		},
	})
}
