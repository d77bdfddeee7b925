package physical

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

// totalsPerKey is SELECT k, sum(v) FROM t WHERE v > threshold GROUP BY k over its own reference
// to the stored DataFrame t (fresh attribute ids, as a view named twice in one query gets), with
// extra applied to v before the sum.
func totalsPerKey(ids *logical.IDGenerator, threshold int64, extra func(v logical.Expr) logical.Expr) (*logical.Aggregate, *logical.ColumnRef) {
	s := storedScan(ids, "t", 1_000_000, "k", "v")
	k, v := s.Attributes[0], s.Attributes[1]
	filter := &logical.Filter{Input: s, Condition: &logical.Call{Function: "gt", Type: arrow.FixedWidthTypes.Boolean,
		Args: []logical.Expr{v, logical.NewLiteral(scalar.NewInt64Scalar(threshold))}}}
	sum := &logical.AggregateCall{Function: "sum", Args: []logical.Expr{extra(v)}, Type: arrow.PrimitiveTypes.Int64, Null: true, Display: "sum(v)"}
	total := &logical.Alias{Child: sum, Alias: "total", AttrID: ids.Next()}
	return &logical.Aggregate{Input: filter, Grouping: []logical.Expr{k}, Aggregates: []logical.Named{k, total}}, k
}

// partialAggregateStages counts the stages computing a partial aggregate of t.
func partialAggregateStages(t *testing.T, left, right func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef)) (*StagePlan, int) {
	t.Helper()
	ids := &logical.IDGenerator{}
	l, lk := left(ids)
	r, rk := right(ids)
	join := &logical.Join{Left: l, Right: r, Type: logical.InnerJoin, Condition: equality(lk, rk)}
	node, err := (&Planner{DefaultParallelism: 2, BroadcastThreshold: -1}).Plan(join)
	require.NoError(t, err)
	plan := CutStages(node)
	n := 0
	for _, st := range plan.Stages {
		if agg, ok := st.Root.(*HashAggregate); ok && agg.Mode == AggregatePartial {
			n++
		}
	}
	return plan, n
}

func same(v logical.Expr) logical.Expr { return v }

func TestIdenticalExchangesShareOneStage(t *testing.T) {
	copyOf := func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
		return totalsPerKey(ids, 1, same)
	}
	plan, n := partialAggregateStages(t, copyOf, copyOf)
	require.Equal(t, 1, n, FormatStages(plan))
	shared := 0
	for _, st := range plan.Stages {
		if st.Shared {
			shared++
		}
	}
	require.Equal(t, 1, shared, FormatStages(plan))
	// The shared stage is never the probe side of a join that may compute it in place.
	for probe := range plan.AdaptiveJoins() {
		require.False(t, probe.Shared)
	}
}

func TestDifferentOrNonDeterministicExchangesKeepTheirStages(t *testing.T) {
	random := func(v logical.Expr) logical.Expr {
		r := &logical.Call{Function: "rand", Type: arrow.PrimitiveTypes.Float64, Display: "rand()"}
		return &logical.Call{Function: "add", Type: arrow.PrimitiveTypes.Int64, Args: []logical.Expr{v, &logical.Cast{Child: r, To: arrow.PrimitiveTypes.Int64}}, Display: "v"}
	}
	for name, pair := range map[string][2]func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef){
		"other literal": {
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				return totalsPerKey(ids, 1, same)
			},
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				return totalsPerKey(ids, 2, same)
			},
		},
		"rand": {
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				return totalsPerKey(ids, 1, random)
			},
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				return totalsPerKey(ids, 1, random)
			},
		},
		// Same display text ("sum(v)"), another bound column: k instead of v.
		"other column, same text": {
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				return totalsPerKey(ids, 1, same)
			},
			func(ids *logical.IDGenerator) (*logical.Aggregate, *logical.ColumnRef) {
				agg, k := totalsPerKey(ids, 1, same)
				call := agg.Aggregates[1].(*logical.Alias).Child.(*logical.AggregateCall)
				call.Args = []logical.Expr{k}
				return agg, k
			},
		},
	} {
		t.Run(name, func(t *testing.T) {
			plan, n := partialAggregateStages(t, pair[0], pair[1])
			require.Equal(t, 2, n, FormatStages(plan))
			for _, st := range plan.Stages {
				require.False(t, st.Shared, FormatStages(plan))
			}
		})
	}
}
