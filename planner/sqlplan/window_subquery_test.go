package sqlplan

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

var windowTestTables = []tpchTable{
	{"part", 200_000, []tpchColumn{{"p_partkey", 1, 200_000}, {"p_size", 1, 50}}},
	{"lineitem", 6_001_215, []tpchColumn{{"l_partkey", 1, 200_000}, {"l_quantity", 1, 50}}},
}

// Two reads of one table name their columns the same way, so the subquery's conditions are found
// among the outer query's; equality operands may come in either order; a different constant or
// a different table position is a different condition.
func TestCanonicalConditionNamesColumnsByTablePosition(t *testing.T) {
	ids := &logical.IDGenerator{}
	outerPart, outerLineitem := tableScan(ids, windowTestTables[0]), tableScan(ids, windowTestTables[1])
	innerLineitem := tableScan(ids, windowTestTables[1])
	outer := &logical.Filter{
		Input: &logical.Join{Left: outerLineitem, Right: outerPart, Type: logical.InnerJoin,
			Condition: equal(column(outerPart, "p_partkey"), column(outerLineitem, "l_partkey"))},
		Condition: equal(column(outerPart, "p_size"), logical.NewLiteral(scalar.NewInt64Scalar(15))),
	}
	leaves, conjuncts, ok := flattenInnerJoins(outer)
	require.True(t, ok)
	require.Len(t, leaves, 2)
	require.Len(t, conjuncts, 2)
	require.Equal(t, leaves[0].key, flattenLeafKey(t, innerLineitem))
	require.NotEqual(t, leaves[0].key, leaves[1].key)

	names := map[logical.ExprID]string{}
	for j, leaf := range leaves {
		for i, a := range leaf.scan.Attributes {
			names[a.AttrID] = string(rune('a'+j)) + string(rune('0'+i))
		}
	}
	// The subquery's lineitem is read as the outer lineitem (position 0).
	for i, a := range innerLineitem.Attributes {
		names[a.AttrID] = "a" + string(rune('0'+i))
	}
	text := func(e logical.Expr) string {
		s, ok := canonicalCondition(e, names)
		require.True(t, ok)
		return s
	}
	size, join := text(conjuncts[0]), text(conjuncts[1]) // the filter above, then the join below
	require.Equal(t, join, text(equal(column(innerLineitem, "l_partkey"), column(outerPart, "p_partkey"))))
	require.NotEqual(t, join, text(equal(column(innerLineitem, "l_quantity"), column(outerPart, "p_partkey"))))
	require.NotEqual(t, size, text(equal(column(outerPart, "p_size"), logical.NewLiteral(scalar.NewInt64Scalar(16)))))

	// A column of no known table, or an expression kind it does not know, is not comparable.
	stranger := tableScan(ids, windowTestTables[0])
	_, ok = canonicalCondition(equal(column(stranger, "p_size"), column(outerPart, "p_size")), names)
	require.False(t, ok)
	_, ok = canonicalCondition(&logical.AggregateCall{Function: "min", Args: []logical.Expr{column(outerPart, "p_size")}, Type: arrow.PrimitiveTypes.Int64}, names)
	require.False(t, ok)

	// Outer, semi and anti joins are not flattened: their conditions do not filter like WHERE.
	for _, joinType := range []logical.JoinType{logical.LeftOuterJoin, logical.LeftSemiJoin, logical.LeftAntiJoin} {
		_, _, ok := flattenInnerJoins(&logical.Join{Left: outerLineitem, Right: outerPart, Type: joinType,
			Condition: equal(column(outerPart, "p_partkey"), column(outerLineitem, "l_partkey"))})
		require.False(t, ok, joinType)
	}
}

func flattenLeafKey(t *testing.T, scan *logical.Scan) string {
	leaves, _, ok := flattenInnerJoins(scan)
	require.True(t, ok)
	return leaves[0].key
}

// Aggregates whose value over m copies of every row is their value over the rows: min, max, avg
// (for the correlated window); combinations of per-group values: sum, count, min, max (HAVING).
func TestWindowRewriteAggregateKinds(t *testing.T) {
	ids := &logical.IDGenerator{}
	lineitem := tableScan(ids, windowTestTables[1])
	quantity := column(lineitem, "l_quantity")
	call := func(function string, distinct bool) *logical.AggregateCall {
		return &logical.AggregateCall{Function: function, Args: []logical.Expr{quantity}, Distinct: distinct, Type: arrow.PrimitiveTypes.Int64}
	}
	scaled := func(e logical.Expr) logical.Expr {
		return &logical.Call{Function: "multiply", Args: []logical.Expr{logical.NewLiteral(scalar.NewInt64Scalar(2)), e}, Type: arrow.PrimitiveTypes.Int64}
	}
	for _, tc := range []struct {
		value                  logical.Expr
		duplicates, combinable bool
	}{
		{call("avg", false), true, false},
		{scaled(call("min", false)), true, true},
		{call("max", false), true, true},
		{call("sum", false), false, true},
		{call("count", false), false, true},
		{call("count", true), false, false},
		{quantity, false, false},
		{scaled(quantity), false, false},
	} {
		require.Equal(t, tc.duplicates, duplicateInsensitive(tc.value), tc.value.String())
		require.Equal(t, tc.combinable, combinable(tc.value), tc.value.String())
	}
}
