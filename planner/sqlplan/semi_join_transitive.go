package sqlplan

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// reduceThroughSemiJoin adds a one-key semi join in front of the semi join that reduces a
// correlated subquery's input by the outer relation's keys (reduceByOuterKeys), when that outer
// relation is itself semi-joined on one of those keys. TPC-H Q20 aggregates lineitem only for the
// (partkey, suppkey) pairs of partsupp rows whose part is a 'forest%' part: every such pair's
// partkey is one of the 2,127 forest parts, so lineitem rows whose l_partkey is not one of them
// cannot match and are dropped by a probe on one integer key before the two-key probe, which then
// sees about one row in a hundred of the year's 909,000.
//
// Valid because a row that survives inner ⋉ source on innerKey = x.a has x.a = innerKey for some
// source row, and every source row has a partner y with x.a = y.b, so innerKey = y.b for that y:
// the added semi join removes only rows the existing one removes. The three columns have one
// type, and not floating point, so '=' is transitive. The semi join's right side is the same plan
// the source holds, so its exchange is shared (physical/reuse.go) rather than computed twice.
//
// enough reports that the existing reduction can be left out: when the source is the semi join
// over an unfiltered table, it only adds the test that the other keys form a pair of that table
// (a foreign key in TPC-H: Q20's lineitem pairs are all partsupp pairs, 9,741 rows in and out),
// at the price of a second scan of that table. Leaving it out never changes the answer: the
// aggregate's groups are joined back to the outer rows by all keys.
func (b *Binder) reduceThroughSemiJoin(inner, source logical.Plan, innerKeys []logical.Expr, pairs [][2]logical.Expr) (reduced logical.Plan, enough bool, err error) {
	semi, filtered := semiJoinUnder(source)
	if semi == nil {
		return inner, false, nil
	}
	call, ok := semi.Condition.(*logical.Call)
	if !ok || call.Function != "eq" || len(call.Args) != 2 {
		return inner, false, nil
	}
	tested, testedOK := call.Args[0].(*logical.ColumnRef)
	key, keyOK := call.Args[1].(*logical.ColumnRef)
	if !testedOK || !keyOK {
		return inner, false, nil
	}
	if !idSet(semi.Left.Output())[tested.AttrID] {
		tested, key = key, tested
	}
	if !idSet(semi.Left.Output())[tested.AttrID] || !idSet(semi.Right.Output())[key.AttrID] {
		return inner, false, nil
	}
	// Worth a probe only when the semi join's side is much smaller than the input it filters.
	if estimateRows(semi.Right)*reduceMinRatio > estimateRows(inner) {
		return inner, false, nil
	}
	for i, pair := range pairs {
		outerColumn, ok := pair[0].(*logical.ColumnRef)
		if !ok || outerColumn.AttrID != tested.AttrID {
			continue
		}
		innerColumn, ok := innerKeys[i].(*logical.ColumnRef)
		if !ok || !windowKeyType(innerColumn.Type) || !arrow.TypeEqual(innerColumn.Type, tested.Type) || !arrow.TypeEqual(key.Type, tested.Type) {
			continue
		}
		condition, err := b.analyzer().ResolveCall("=", []logical.Expr{innerColumn, key}, false)
		if err != nil {
			return nil, false, err
		}
		reduced := pushSemiJoinDown(&logical.Join{Left: inner, Right: semi.Right, Type: logical.LeftSemiJoin, Condition: condition})
		return reduced, !filtered && bareTable(semi.Left), nil
	}
	return inner, false, nil
}

// semiJoinUnder finds the left semi join a relation is, under filters, aliases and column
// projections (each keeps only rows the semi join let through); filtered tells whether a filter
// was passed.
func semiJoinUnder(p logical.Plan) (*logical.Join, bool) {
	switch n := p.(type) {
	case *logical.Join:
		if n.Type == logical.LeftSemiJoin && n.Condition != nil {
			return n, false
		}
	case *logical.Filter:
		semi, _ := semiJoinUnder(n.Input)
		return semi, true
	case *logical.SubqueryAlias:
		return semiJoinUnder(n.Input)
	case *logical.Project:
		if onlyColumns(n) {
			return semiJoinUnder(n.Input)
		}
	}
	return nil, false
}

// bareTable reports whether p reads one table with no filter: a scan under aliases and column
// projections.
func bareTable(p logical.Plan) bool {
	switch n := p.(type) {
	case *logical.Scan:
		return true
	case *logical.SubqueryAlias:
		return bareTable(n.Input)
	case *logical.Project:
		return onlyColumns(n) && bareTable(n.Input)
	}
	return false
}
