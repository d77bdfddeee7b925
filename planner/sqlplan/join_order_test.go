package sqlplan

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
)

// tpchTable is a Parquet table of TPC-H SF1's shape: its row count and, per integer column, the
// min and max its footer records (the numbers tpchgen-cli writes).
type tpchTable struct {
	name    string
	rows    int64
	columns []tpchColumn
}

type tpchColumn struct {
	name     string
	min, max int64
}

func tableScan(ids *logical.IDGenerator, t tpchTable) *logical.Scan {
	fields := make([]arrow.Field, len(t.columns))
	stats := make([]*arrowio.ColumnStats, len(t.columns))
	for i, c := range t.columns {
		fields[i] = arrow.Field{Name: c.name, Type: arrow.PrimitiveTypes.Int64}
		stats[i] = &arrowio.ColumnStats{Min: scalar.NewInt64Scalar(c.min), Max: scalar.NewInt64Scalar(c.max)}
	}
	dataset := &arrowio.Dataset{
		Format: arrowio.FormatParquet, Paths: []string{t.name}, DataSchema: arrow.NewSchema(fields, nil),
		Files: []*arrowio.File{{Path: t.name, RowGroups: []arrowio.RowGroup{{NumRows: t.rows, Columns: stats}}}},
	}
	return logical.NewScan(dataset, ids)
}

func column(s *logical.Scan, name string) *logical.ColumnRef {
	for _, a := range s.Attributes {
		if a.ColumnName == name {
			return a
		}
	}
	panic("no column " + name)
}

func equal(l, r logical.Expr) logical.Expr {
	return &logical.Call{Function: "eq", Args: []logical.Expr{l, r}, Type: arrow.FixedWidthTypes.Boolean}
}

// orderOf runs joinOrder over scans and conjuncts and returns the table names in join order.
func orderOf(scans []*logical.Scan, names []string, conjuncts []logical.Expr) []string {
	plans := make([]logical.Plan, len(scans))
	for i, s := range scans {
		plans[i] = s
	}
	connects := func(current, next map[logical.ExprID]bool) bool {
		for _, c := range conjuncts {
			refs := logical.ReferencedIDs(c)
			touchesCurrent, touchesNext, inside := false, false, true
			for id := range refs {
				switch {
				case current[id]:
					touchesCurrent = true
				case next[id]:
					touchesNext = true
				default:
					inside = false
				}
			}
			if inside && touchesCurrent && touchesNext {
				return true
			}
		}
		return false
	}
	var out []string
	for _, i := range joinOrder(plans, conjuncts, connects) {
		out = append(out, names[i])
	}
	return out
}

func TestJoinOrderFollowsKeysNotSharedForeignKeys(t *testing.T) {
	ids := &logical.IDGenerator{}
	customer := tableScan(ids, tpchTable{"customer", 150_000, []tpchColumn{{"c_custkey", 1, 150_000}, {"c_nationkey", 0, 24}}})
	orders := tableScan(ids, tpchTable{"orders", 1_500_000, []tpchColumn{{"o_orderkey", 1, 6_000_000}, {"o_custkey", 1, 149_999}}})
	lineitem := tableScan(ids, tpchTable{"lineitem", 6_001_215, []tpchColumn{{"l_orderkey", 1, 6_000_000}, {"l_suppkey", 1, 10_000}}})
	supplier := tableScan(ids, tpchTable{"supplier", 10_000, []tpchColumn{{"s_suppkey", 1, 10_000}, {"s_nationkey", 0, 24}}})
	nation := tableScan(ids, tpchTable{"nation", 25, []tpchColumn{{"n_nationkey", 0, 24}, {"n_regionkey", 0, 4}}})
	region := tableScan(ids, tpchTable{"region", 5, []tpchColumn{{"r_regionkey", 0, 4}, {"r_name", 0, 4}}})
	// TPC-H Q5: customer and supplier share only a nation key; orders and lineitem connect them.
	conjuncts := []logical.Expr{
		equal(column(customer, "c_custkey"), column(orders, "o_custkey")),
		equal(column(lineitem, "l_orderkey"), column(orders, "o_orderkey")),
		equal(column(lineitem, "l_suppkey"), column(supplier, "s_suppkey")),
		equal(column(customer, "c_nationkey"), column(supplier, "s_nationkey")),
		equal(column(supplier, "s_nationkey"), column(nation, "n_nationkey")),
		equal(column(nation, "n_regionkey"), column(region, "r_regionkey")),
		equal(column(region, "r_name"), logical.NewLiteral(scalar.NewInt64Scalar(2))),
	}
	order := orderOf([]*logical.Scan{customer, orders, lineitem, supplier, nation, region},
		[]string{"customer", "orders", "lineitem", "supplier", "nation", "region"}, conjuncts)
	require.Len(t, order, 6)
	position := map[string]int{}
	for i, name := range order {
		position[name] = i
	}
	// Joining customer to supplier on the nation key alone multiplies rows (each supplier meets
	// every customer of its nation): customer must come after orders or lineitem links them.
	if position["customer"] > position["supplier"] {
		require.Less(t, min(position["orders"], position["lineitem"]), position["customer"], "order %v", order)
	}
	if position["supplier"] > position["customer"] {
		require.Less(t, min(position["orders"], position["lineitem"]), position["supplier"], "order %v", order)
	}
	// The filtered region and its nations come before the supplier they narrow.
	require.Less(t, position["region"], position["supplier"], "order %v", order)
	require.Less(t, position["nation"], position["supplier"], "order %v", order)
}

func TestJoinOrderFiltersDimensionBeforeFact(t *testing.T) {
	ids := &logical.IDGenerator{}
	supplier := tableScan(ids, tpchTable{"supplier", 10_000, []tpchColumn{{"s_suppkey", 1, 10_000}, {"s_nationkey", 0, 24}}})
	lineitem := tableScan(ids, tpchTable{"lineitem", 6_001_215, []tpchColumn{{"l_orderkey", 1, 6_000_000}, {"l_suppkey", 1, 10_000}}})
	orders := tableScan(ids, tpchTable{"orders", 1_500_000, []tpchColumn{{"o_orderkey", 1, 6_000_000}, {"o_orderstatus", 0, 2}}})
	nation := tableScan(ids, tpchTable{"nation", 25, []tpchColumn{{"n_nationkey", 0, 24}, {"n_name", 0, 24}}})
	// TPC-H Q21's FROM list, written supplier first.
	conjuncts := []logical.Expr{
		equal(column(supplier, "s_suppkey"), column(lineitem, "l_suppkey")),
		equal(column(orders, "o_orderkey"), column(lineitem, "l_orderkey")),
		equal(column(orders, "o_orderstatus"), logical.NewLiteral(scalar.NewInt64Scalar(1))),
		equal(column(supplier, "s_nationkey"), column(nation, "n_nationkey")),
		equal(column(nation, "n_name"), logical.NewLiteral(scalar.NewInt64Scalar(20))),
	}
	order := orderOf([]*logical.Scan{supplier, lineitem, orders, nation}, []string{"supplier", "lineitem", "orders", "nation"}, conjuncts)
	// nation narrows supplier to a 25th before lineitem meets it (either may be the build side).
	require.ElementsMatch(t, []string{"nation", "supplier"}, order[:2], "order %v", order)
	require.Equal(t, []string{"lineitem", "orders"}, order[2:], "order %v", order)
}

// TPC-H Q2's subquery input reduced to the outer query's parts: partsupp joined to supplier,
// nation and the filtered region, semi-joined with 747 parts. The semi join keeps a 200th of
// partsupp, the region join a fifth, so the semi join goes onto partsupp, below every join.
func TestSelectiveSemiJoinGoesBelowShrinkingJoins(t *testing.T) {
	ids := &logical.IDGenerator{}
	partsupp := tableScan(ids, tpchTable{"partsupp", 800_000, []tpchColumn{{"ps_partkey", 1, 200_000}, {"ps_suppkey", 1, 10_000}}})
	supplier := tableScan(ids, tpchTable{"supplier", 10_000, []tpchColumn{{"s_suppkey", 1, 10_000}, {"s_nationkey", 0, 24}}})
	nation := tableScan(ids, tpchTable{"nation", 25, []tpchColumn{{"n_nationkey", 0, 24}, {"n_regionkey", 0, 4}}})
	region := tableScan(ids, tpchTable{"region", 5, []tpchColumn{{"r_regionkey", 0, 4}, {"r_name", 0, 4}}})
	part := tableScan(ids, tpchTable{"part", 200_000, []tpchColumn{{"p_partkey", 1, 200_000}, {"p_size", 1, 50}}})
	smallPart := &logical.Filter{Input: part, Condition: equal(column(part, "p_size"), logical.NewLiteral(scalar.NewInt64Scalar(15)))}
	filteredRegion := &logical.Filter{Input: region, Condition: equal(column(region, "r_name"), logical.NewLiteral(scalar.NewInt64Scalar(3)))}
	var tree logical.Plan = &logical.Join{Left: partsupp, Right: supplier, Type: logical.InnerJoin,
		Condition: equal(column(supplier, "s_suppkey"), column(partsupp, "ps_suppkey"))}
	tree = &logical.Join{Left: tree, Right: nation, Type: logical.InnerJoin, Condition: equal(column(supplier, "s_nationkey"), column(nation, "n_nationkey"))}
	tree = &logical.Join{Left: tree, Right: filteredRegion, Type: logical.InnerJoin, Condition: equal(column(nation, "n_regionkey"), column(region, "r_regionkey"))}
	semi := &logical.Join{Left: tree, Right: smallPart, Type: logical.LeftSemiJoin, Condition: equal(column(partsupp, "ps_partkey"), column(part, "p_partkey"))}
	out := pushSemiJoinDown(semi)
	text := logical.Format(out)
	var placed *logical.Join
	var find func(p logical.Plan)
	find = func(p logical.Plan) {
		if j, ok := p.(*logical.Join); ok && j.Type == logical.LeftSemiJoin {
			placed = j
		}
		for _, c := range p.Children() {
			find(c)
		}
	}
	find(out)
	require.NotNil(t, placed, text)
	require.Same(t, partsupp, placed.Left, text)

	// An anti join keeps its place above the shrinking join: it removes few rows.
	anti := *semi
	anti.Type = logical.LeftAntiJoin
	require.Same(t, logical.Plan(&anti), pushSemiJoinDown(&anti))
}

// TPC-H Q4's shape: the 3.8 M lineitems an EXISTS tests orders against are first semi-joined with
// the filtered orders' keys; a tested side that is a join (read twice would cost a join) is left
// alone, and so is one small enough for the join to broadcast at run time. (Here the orders
// filter is a range, estimated at 750,000 rows, so that it is not.)
func TestSemiJoinInputReducedByTheSmallTestedTable(t *testing.T) {
	ids := &logical.IDGenerator{}
	orders := tableScan(ids, tpchTable{"orders", 1_500_000, []tpchColumn{{"o_orderkey", 1, 6_000_000}, {"o_orderdate", 0, 2400}}})
	lineitem := tableScan(ids, tpchTable{"lineitem", 6_001_215, []tpchColumn{{"l_orderkey", 1, 6_000_000}, {"l_suppkey", 1, 10_000}}})
	quarter := &logical.Filter{Input: orders, Condition: &logical.Call{Function: "gte", Type: arrow.FixedWidthTypes.Boolean,
		Args: []logical.Expr{column(orders, "o_orderdate"), logical.NewLiteral(scalar.NewInt64Scalar(7))}}}
	for _, joinType := range []logical.JoinType{logical.LeftSemiJoin, logical.LeftAntiJoin} {
		semi := &logical.Join{Left: quarter, Right: lineitem, Type: joinType, Condition: equal(column(lineitem, "l_orderkey"), column(orders, "o_orderkey"))}
		out := reduceSemiJoinInput(semi, lineitem).(*logical.Join)
		text := logical.Format(out)
		require.Equal(t, joinType, out.Type, text)
		reduced, ok := out.Right.(*logical.Join)
		require.True(t, ok, text)
		require.Equal(t, logical.LeftSemiJoin, reduced.Type, text)
		require.Same(t, lineitem, reduced.Left, text)
		keys := reduced.Right.Output()
		require.Len(t, keys, 1, text)
		require.Equal(t, "o_orderkey", keys[0].ColumnName)
	}

	supplier := tableScan(ids, tpchTable{"supplier", 10_000, []tpchColumn{{"s_suppkey", 1, 10_000}}})
	joined := &logical.Join{Left: quarter, Right: supplier, Type: logical.InnerJoin, Condition: equal(column(orders, "o_orderkey"), column(supplier, "s_suppkey"))}
	semi := &logical.Join{Left: joined, Right: lineitem, Type: logical.LeftSemiJoin, Condition: equal(column(lineitem, "l_orderkey"), column(orders, "o_orderkey"))}
	require.Same(t, logical.Plan(semi), reduceSemiJoinInput(semi, lineitem))

	// One date of orders, estimated at 300,000 rows: broadcast by the join itself instead.
	day := &logical.Filter{Input: orders, Condition: equal(column(orders, "o_orderdate"), logical.NewLiteral(scalar.NewInt64Scalar(7)))}
	small := &logical.Join{Left: day, Right: lineitem, Type: logical.LeftSemiJoin, Condition: equal(column(lineitem, "l_orderkey"), column(orders, "o_orderkey"))}
	require.Same(t, logical.Plan(small), reduceSemiJoinInput(small, lineitem))
}
