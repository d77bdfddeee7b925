package optimizer

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

// A column only a filter below a join reads is projected away before the join, so the join's
// shuffle and hash table do not carry it (TPC-H Q13's o_comment).
func TestColumnPruningNarrowsJoinInputsBelowFilters(t *testing.T) {
	ids := &logical.IDGenerator{}
	customers := scan(ids, "customer", "c_custkey")
	orders := scan(ids, "orders", "o_orderkey", "o_custkey", "o_comment")
	filtered := &logical.Filter{Input: orders, Condition: gt(orders.Attributes[2], lit(0))}
	join := &logical.Join{Left: customers, Right: filtered, Type: logical.LeftOuterJoin,
		Condition: eq(customers.Attributes[0], orders.Attributes[1])}
	top := &logical.Project{Input: join, Expressions: []logical.Named{customers.Attributes[0], orders.Attributes[0]}}
	out := optimize(t, top)
	text := logical.Format(out)
	require.Contains(t, text, "Project [o_orderkey#2, o_custkey#3]\n", text)
	j := out.Children()[0].(*logical.Join)
	for _, a := range j.Right.Output() {
		require.NotEqual(t, "o_comment", a.ColumnName, text)
	}
	// The root keeps its output, and running the rules again changes nothing.
	again, changed, err := pruneColumns{}.Apply(out)
	require.NoError(t, err)
	require.False(t, changed, logical.Format(again))
}

// A join at the root keeps every column it outputs, including those only its inputs' filters read.
func TestColumnPruningKeepsTheRootJoinOutput(t *testing.T) {
	ids := &logical.IDGenerator{}
	left := scan(ids, "l", "a")
	right := scan(ids, "r", "b", "c")
	filtered := &logical.Filter{Input: right, Condition: gt(right.Attributes[1], lit(0))}
	join := &logical.Join{Left: left, Right: filtered, Type: logical.InnerJoin, Condition: eq(left.Attributes[0], right.Attributes[0])}
	out := optimize(t, join)
	require.False(t, strings.Contains(logical.Format(out), "Project"), logical.Format(out))
	require.Len(t, out.Output(), 3)
}

func countOf(ids *logical.IDGenerator, name string, distinct bool, args ...logical.Expr) *logical.Alias {
	call := &logical.AggregateCall{Function: "count", Args: args, Distinct: distinct, Type: arrow.PrimitiveTypes.Int64, Display: name}
	return &logical.Alias{Child: call, Alias: name, AttrID: ids.Next()}
}

// customersAndOrders is TPC-H Q13's inner query: customers left-joined to their orders, grouped
// by customer.
func customersAndOrders(ids *logical.IDGenerator, joinType logical.JoinType, aggregate func(orderKey logical.Expr) *logical.Alias) (*logical.Aggregate, *logical.Scan) {
	customers := scan(ids, "customer", "c_custkey")
	orders := scan(ids, "orders", "o_orderkey", "o_custkey")
	join := &logical.Join{Left: customers, Right: orders, Type: joinType, Condition: eq(customers.Attributes[0], orders.Attributes[1])}
	return &logical.Aggregate{Input: join, Grouping: []logical.Expr{customers.Attributes[0]},
		Aggregates: []logical.Named{customers.Attributes[0], aggregate(orders.Attributes[0])}}, orders
}

func TestEagerCountAggregationCountsOrdersPerCustomerBeforeTheJoin(t *testing.T) {
	ids := &logical.IDGenerator{}
	agg, orders := customersAndOrders(ids, logical.LeftOuterJoin, func(k logical.Expr) *logical.Alias {
		return countOf(ids, "count(o_orderkey)", false, k)
	})
	out := optimize(t, agg)
	text := logical.Format(out)
	top := out.(*logical.Aggregate)
	require.Equal(t, "coalesce(sum(partial_count(o_orderkey)), 0)", top.Aggregates[1].(*logical.Alias).Child.String(), text)
	require.False(t, top.Aggregates[1].Nullable(), "count stays non-nullable")
	join := top.Input.(*logical.Join)
	require.Equal(t, logical.LeftOuterJoin, join.Type)
	pre, ok := join.Right.(*logical.Aggregate)
	require.True(t, ok, text)
	require.Equal(t, orders.Attributes[1].AttrID, pre.Grouping[0].(*logical.ColumnRef).AttrID, text)
	require.Equal(t, "count(o_orderkey)", pre.Aggregates[1].(*logical.Alias).Child.String(), text)
}

// The rewrite is only valid for counts of outer-joined columns: count(*) counts padded rows, a
// distinct count does not add up over keys, and an inner join is left to the join order.
func TestEagerCountAggregationLeavesOtherAggregatesAlone(t *testing.T) {
	for name, build := range map[string]func(ids *logical.IDGenerator) *logical.Aggregate{
		"count(1)": func(ids *logical.IDGenerator) *logical.Aggregate {
			agg, _ := customersAndOrders(ids, logical.LeftOuterJoin, func(logical.Expr) *logical.Alias { return countOf(ids, "count(1)", false, lit(1)) })
			return agg
		},
		"count(DISTINCT)": func(ids *logical.IDGenerator) *logical.Aggregate {
			agg, _ := customersAndOrders(ids, logical.LeftOuterJoin, func(k logical.Expr) *logical.Alias { return countOf(ids, "count(DISTINCT o_orderkey)", true, k) })
			return agg
		},
		"inner join": func(ids *logical.IDGenerator) *logical.Aggregate {
			agg, _ := customersAndOrders(ids, logical.InnerJoin, func(k logical.Expr) *logical.Alias { return countOf(ids, "count(o_orderkey)", false, k) })
			return agg
		},
	} {
		t.Run(name, func(t *testing.T) {
			out := optimize(t, build(&logical.IDGenerator{}))
			_, changed, err := eagerCountAggregation{}.Apply(out)
			require.NoError(t, err)
			require.False(t, changed)
			require.NotContains(t, logical.Format(out), "partial_", logical.Format(out))
		})
	}
}
