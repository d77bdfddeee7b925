package optimizer

import (
	"strings"
	"testing"

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
