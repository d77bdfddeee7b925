package exec_test

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

var moreSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "y", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "z", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

// moreInput has three partitions of small integers (products of a group stay exact).
func moreInput() exectest.Table {
	r := rand.New(rand.NewSource(7))
	t := exectest.Table{Schema: moreSchema}
	for p := 0; p < 3; p++ {
		var rows exectest.Rows
		for i := 0; i < 12+p*5; i++ {
			rows = append(rows, []any{int64(r.Intn(4)), float64(r.Intn(5) - 2), float64(r.Intn(9) - 3), r.Int63n(1<<20) - 1<<19})
		}
		t.Partitions = append(t.Partitions, rows)
	}
	return t
}

func morePlan(source physical.Node, calls []*logical.AggregateCall, twoPhase bool) physical.Node {
	key := exectest.Col(moreSchema, 0)
	keyField := arrow.Field{Name: "k", Type: arrow.PrimitiveTypes.Int64}
	result := []arrow.Field{keyField}
	state := []arrow.Field{keyField}
	for i, c := range calls {
		result = append(result, arrow.Field{Name: fmt.Sprintf("a%d", i), Type: c.Type, Nullable: true})
		state = append(state, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
	}
	if !twoPhase {
		return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: source}, Mode: physical.AggregateComplete,
			Keys: []logical.Expr{key}, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
	}
	partial := &physical.HashAggregate{Input: source, Mode: physical.AggregatePartial, Keys: []logical.Expr{key}, Calls: calls,
		OutSchema: arrow.NewSchema(state, nil)}
	finalKey := &logical.BoundRef{Ordinal: 0, ColumnName: "k", Type: arrow.PrimitiveTypes.Int64}
	return &physical.HashAggregate{Input: &physical.CoalescePartitions{Input: partial}, Mode: physical.AggregateFinal,
		Keys: []logical.Expr{finalKey}, Calls: calls, OutSchema: arrow.NewSchema(result, nil)}
}

// TestProductMatchesReference: product multiplies a group's non-null values; a group with none is
// null; partial products merge by multiplying.
func TestProductMatchesReference(t *testing.T) {
	calls := []*logical.AggregateCall{call("product", arrow.PrimitiveTypes.Float64, exectest.Col(moreSchema, 1))}
	for _, twoPhase := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   fmt.Sprintf("two_phase=%v", twoPhase),
			Inputs: []exectest.Table{moreInput()},
			Plan:   func(s []*exectest.Source) physical.Node { return morePlan(s[0], calls, twoPhase) },
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				products := map[int64]any{}
				for _, r := range in[0].AllRows() {
					k := r[0].(int64)
					if _, ok := products[k]; !ok {
						products[k] = nil
					}
					if r[1] == nil {
						continue
					}
					if products[k] == nil {
						products[k] = 1.0
					}
					products[k] = products[k].(float64) * r[1].(float64)
				}
				var out exectest.Rows
				for k, p := range products {
					out = append(out, []any{k, p})
				}
				return out, nil
			},
		})
	}
}

// TestCovarianceMatchesSparkDefinition runs corr, covar_pop and covar_samp in one pass over the
// rows in order, against Spark's update formulas written out row by row (Covariance and Corr:
// rows with a null in either column are skipped; one row gives null for covar_samp and corr; a
// zero divisor gives null for corr).
func TestCovarianceMatchesSparkDefinition(t *testing.T) {
	x, y := exectest.Col(moreSchema, 1), exectest.Col(moreSchema, 2)
	calls := []*logical.AggregateCall{
		call("corr", arrow.PrimitiveTypes.Float64, x, y),
		call("covar_pop", arrow.PrimitiveTypes.Float64, x, y),
		call("covar_samp", arrow.PrimitiveTypes.Float64, x, y),
	}
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{moreInput()},
		Plan:   func(s []*exectest.Source) physical.Node { return morePlan(s[0], calls, false) },
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			type moments struct{ n, xAvg, yAvg, ck, xMk, yMk float64 }
			groups := map[int64]*moments{}
			for _, r := range in[0].AllRows() {
				k := r[0].(int64)
				m, ok := groups[k]
				if !ok {
					m = &moments{}
					groups[k] = m
				}
				if r[1] == nil || r[2] == nil {
					continue
				}
				xv, yv := r[1].(float64), r[2].(float64)
				newN := m.n + 1
				dx, dy := xv-m.xAvg, yv-m.yAvg
				newXAvg, newYAvg := m.xAvg+dx/newN, m.yAvg+dy/newN
				m.ck += dx * (yv - newYAvg)
				m.xMk += dx * (xv - newXAvg)
				m.yMk += dy * (yv - newYAvg)
				m.n, m.xAvg, m.yAvg = newN, newXAvg, newYAvg
			}
			var out exectest.Rows
			for k, m := range groups {
				var corr, pop, samp any
				if m.n > 0 {
					pop = m.ck / m.n
				}
				if m.n > 1 {
					samp = m.ck / (m.n - 1)
					if d := math.Sqrt(m.xMk * m.yMk); d != 0 {
						corr = m.ck / d
					}
				}
				out = append(out, []any{k, corr, pop, samp})
			}
			return out, nil
		},
	})
}

// TestBitwiseAggregatesMatchReference: bit_and, bit_or and bit_xor fold a group's non-null values;
// a group with none is null; partial results merge with the same operation.
func TestBitwiseAggregatesMatchReference(t *testing.T) {
	z := exectest.Col(moreSchema, 3)
	calls := []*logical.AggregateCall{
		call("bit_and", arrow.PrimitiveTypes.Int64, z),
		call("bit_or", arrow.PrimitiveTypes.Int64, z),
		call("bit_xor", arrow.PrimitiveTypes.Int64, z),
	}
	for _, twoPhase := range []bool{false, true} {
		exectest.RunPlan(t, exectest.PlanTest{
			Name:   fmt.Sprintf("two_phase=%v", twoPhase),
			Inputs: []exectest.Table{moreInput()},
			Plan:   func(s []*exectest.Source) physical.Node { return morePlan(s[0], calls, twoPhase) },
			Expected: func(in []exectest.Table) (exectest.Rows, error) {
				type folds struct {
					and, or, xor int64
					seen         bool
				}
				groups := map[int64]*folds{}
				for _, r := range in[0].AllRows() {
					k := r[0].(int64)
					f, ok := groups[k]
					if !ok {
						f = &folds{and: -1}
						groups[k] = f
					}
					if r[3] == nil {
						continue
					}
					v := r[3].(int64)
					f.and, f.or, f.xor, f.seen = f.and&v, f.or|v, f.xor^v, true
				}
				var out exectest.Rows
				for k, f := range groups {
					if !f.seen {
						out = append(out, []any{k, nil, nil, nil})
						continue
					}
					out = append(out, []any{k, f.and, f.or, f.xor})
				}
				return out, nil
			},
		})
	}
}
