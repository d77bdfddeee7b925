package sqlplan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// Correlated scalar subqueries over the outer query's own tables become windows (the WinMagic
// rewrite, Zuzarte et al., SIGMOD 2003). TPC-H Q17 compares each lineitem of its parts with
// 0.2 * avg(l_quantity) over all lineitems of the same part; Q2 compares each partsupp row of its
// parts with the min(ps_supplycost) over the same part's EUROPE suppliers. The subquery reads the
// same tables, joined and filtered the same way, as the part of the outer FROM it correlates
// with, so the outer join already holds every row the subquery aggregates: computing the
// aggregate as a window partitioned by the outer correlation columns reads lineitem (partsupp)
// once instead of twice.
//
// Why it is exact. Let the outer FROM/WHERE be O ⋈ S on the correlation equalities, where S is
// the subquery's tables with exactly the subquery's local conjuncts and O the remaining outer
// tables with conjuncts that read only O. The outer rows whose correlation columns are k are
// {o in O with key k} × S_k, with S_k the subquery's rows for k: m ≥ 1 copies of S_k. An
// aggregate that ignores repeated copies of its whole input (min, max, avg) gives over them what
// the subquery gives over S_k. Outer rows with a NULL key or no partner are not in the join, so
// the subquery's value over no rows is never needed. sum and count see m copies and are left to
// the aggregate-and-join plan (correlatedScalar), as is every shape this file does not prove.

const (
	// windowMaxShare is the estimated share of the subquery's rows the outer-only tables may keep
	// for the window plan: TPC-H Q17 and Q2 are estimated at 0.04 (0.001 and 0.004 real). Q17 over
	// parts with p_size < 10 (a real 18%, 1.1 M joined rows) took 1.5x the aggregate plan's CPU
	// as a window; over p_brand = 'Brand#23' alone (4%, 240,000 rows) about the same.
	windowMaxShare = 0.05
	// windowSmallRows is an outer join estimated small enough that its window costs little either way.
	windowSmallRows = 100_000
)

// windowScalar plans a correlated scalar subquery of outer as a window over outer when the
// conditions above hold; the returned plan's last column is the subquery's value. It returns
// false (and plans nothing) otherwise.
func (b *Binder) windowScalar(outer logical.Plan, q Query) (logical.Plan, bool) {
	sel, ok := unwrapSelect(q)
	if !ok || len(sel.GroupBy) > 0 || sel.Having != nil || sel.Distinct || len(sel.Items) != 1 || sel.From == nil || sel.Where == nil {
		return nil, false
	}
	outerLeaves, outerConjuncts, ok := flattenInnerJoins(outer)
	if !ok || len(outerLeaves) < 2 {
		return nil, false
	}
	inner, correlated, err := b.correlatedParts(outer, sel)
	if err != nil || len(correlated) == 0 {
		return nil, false
	}
	innerLeaves, innerConjuncts, ok := flattenInnerJoins(inner)
	if !ok {
		return nil, false
	}
	// Each subquery table is one outer table reading the same source; a source the outer query
	// reads twice is ambiguous and not matched.
	image := map[int]bool{}
	names := map[logical.ExprID]string{}
	toOuter := map[logical.ExprID]*logical.Scan{}
	innerColumn := map[logical.ExprID]int{}
	for j, leaf := range outerLeaves {
		for i, a := range leaf.scan.Attributes {
			names[a.AttrID] = fmt.Sprintf("t%d.%d", j, i)
		}
	}
	for _, leaf := range innerLeaves {
		match := -1
		for j, candidate := range outerLeaves {
			if candidate.key != leaf.key {
				continue
			}
			if match >= 0 {
				return nil, false
			}
			match = j
		}
		if match < 0 || image[match] {
			return nil, false
		}
		image[match] = true
		for i, a := range leaf.scan.Attributes {
			names[a.AttrID] = fmt.Sprintf("t%d.%d", match, i)
			toOuter[a.AttrID] = outerLeaves[match].scan
			innerColumn[a.AttrID] = i
		}
	}
	imageIDs, outerOnlyIDs := map[logical.ExprID]bool{}, map[logical.ExprID]bool{}
	for j, leaf := range outerLeaves {
		for _, a := range leaf.scan.Attributes {
			if image[j] {
				imageIDs[a.AttrID] = true
			} else {
				outerOnlyIDs[a.AttrID] = true
			}
		}
	}
	outerTexts := make([]string, len(outerConjuncts))
	for i, c := range outerConjuncts {
		if outerTexts[i], ok = canonicalCondition(c, names); !ok {
			return nil, false
		}
	}
	matched := make([]bool, len(outerConjuncts))
	take := func(text string) bool {
		for i, t := range outerTexts {
			if !matched[i] && t == text {
				matched[i] = true
				return true
			}
		}
		return false
	}
	for _, c := range innerConjuncts {
		text, ok := canonicalCondition(c, names)
		if !ok || !take(text) {
			return nil, false
		}
	}
	// The correlated predicates must be equalities of a subquery column with a column of an
	// outer-only table, each also an outer join condition; those outer columns partition the window.
	var keys []logical.Expr
	outerAttrs := map[logical.ExprID]*logical.ColumnRef{}
	for _, a := range outer.Output() {
		outerAttrs[a.AttrID] = a
	}
	for _, c := range correlated {
		call, isCall := c.(*logical.Call)
		if !isCall || call.Function != "eq" || len(call.Args) != 2 {
			return nil, false
		}
		left, leftIsColumn := call.Args[0].(*logical.ColumnRef)
		right, rightIsColumn := call.Args[1].(*logical.ColumnRef)
		if !leftIsColumn || !rightIsColumn {
			return nil, false
		}
		if outerOnlyIDs[left.AttrID] {
			left, right = right, left
		}
		if toOuter[left.AttrID] == nil || !outerOnlyIDs[right.AttrID] || !windowKeyType(right.Type) || !arrow.TypeEqual(left.Type, right.Type) {
			return nil, false
		}
		text, ok := canonicalCondition(c, names)
		if !ok || !take(text) {
			return nil, false
		}
		key := outerAttrs[right.AttrID]
		if key == nil {
			return nil, false
		}
		if !slices.ContainsFunc(keys, func(k logical.Expr) bool { return k.(*logical.ColumnRef).AttrID == key.AttrID }) {
			keys = append(keys, key)
		}
	}
	// Every other outer conjunct reads only outer-only tables: it removes whole copies of S_k.
	leafOf := map[logical.ExprID]int{}
	for j, leaf := range outerLeaves {
		for _, a := range leaf.scan.Attributes {
			leafOf[a.AttrID] = j
		}
	}
	share := 1.0
	for i, c := range outerConjuncts {
		if matched[i] {
			continue
		}
		if !deterministic(c) || refsAny(c, imageIDs) {
			return nil, false
		}
		if _, single := singleLeaf(logical.ReferencedIDs(c), leafOf); single {
			share *= selectivity(c)
		}
	}
	// The window sorts the outer join's rows where the aggregate plan reads the subquery's tables
	// again: worth it when the outer-only tables keep a small share of the rows (Q17's and Q2's
	// part filters). Over 4.8 M lineitems of parts with p_size < 40 the window took twice the CPU.
	largest := 0.0
	for j, leaf := range outerLeaves {
		if image[j] {
			largest = max(largest, estimateRows(leaf.scan))
		}
	}
	if share > windowMaxShare && largest*share > windowSmallRows {
		return nil, false
	}
	a := b.analyzer()
	item, err := b.prepareExpr(sel.Items[0], sel.Windows)
	if err != nil {
		return nil, false
	}
	named, err := a.ResolveNamedList([]logical.Expr{item}, inner)
	if err != nil || len(named) != 1 || !duplicateInsensitive(logical.StripAlias(named[0])) {
		return nil, false
	}
	// Read the subquery's columns from the outer tables, then turn each aggregate into a window.
	value, err := logical.Transform(logical.StripAlias(named[0]), func(x logical.Expr) (logical.Expr, error) {
		c, ok := x.(*logical.ColumnRef)
		if !ok {
			return x, nil
		}
		scan := toOuter[c.AttrID]
		if scan == nil {
			return nil, fmt.Errorf("column %s is not from a subquery table", c.String())
		}
		if ref := outerAttrs[scan.Attributes[innerColumn[c.AttrID]].AttrID]; ref != nil {
			return ref, nil
		}
		return nil, fmt.Errorf("column %s is not in the outer query's output", c.String())
	})
	if err != nil {
		return nil, false
	}
	value, err = logical.Transform(value, func(x logical.Expr) (logical.Expr, error) {
		if call, ok := x.(*logical.AggregateCall); ok {
			return &logical.WindowExpr{Function: call, PartitionSpec: keys}, nil
		}
		return x, nil
	})
	if err != nil {
		return nil, false
	}
	list := attrsAsNamed(outer.Output())
	list = append(list, &logical.Alias{Child: value, Alias: named[0].Name(), AttrID: a.IDs.Next()})
	planned, err := protoplan.PlanWindows(b.C, outer, list)
	if err != nil {
		return nil, false
	}
	return planned, true
}

// joinLeaf is one table of an inner join tree: its scan and what identifies its source.
type joinLeaf struct {
	scan *logical.Scan
	key  string
}

// flattenInnerJoins lists the tables of a tree of inner joins, filters, aliases and column
// projections, and every conjunct of its join conditions and filters. It fails on anything else
// (outer, semi and anti joins, aggregates, computed columns, views that are not one scan).
func flattenInnerJoins(p logical.Plan) ([]joinLeaf, []logical.Expr, bool) {
	var leaves []joinLeaf
	var conjuncts []logical.Expr
	var walk func(p logical.Plan) bool
	walk = func(p logical.Plan) bool {
		switch n := p.(type) {
		case *logical.Join:
			if n.Type != logical.InnerJoin && n.Type != logical.CrossJoin {
				return false
			}
			if n.Condition != nil {
				conjuncts = append(conjuncts, splitResolved(n.Condition, "and")...)
			}
			return walk(n.Left) && walk(n.Right)
		case *logical.Filter:
			conjuncts = append(conjuncts, splitResolved(n.Condition, "and")...)
			return walk(n.Input)
		case *logical.Project:
			return onlyColumns(n) && walk(n.Input)
		case *logical.SubqueryAlias:
			return walk(n.Input)
		case *logical.Scan:
			if n.Projection != nil || n.Source == nil {
				return false
			}
			leaves = append(leaves, joinLeaf{scan: n, key: fmt.Sprintf("%T %s %s", n.Source, n.Source.Describe(), n.Source.Schema())})
			return true
		}
		return false
	}
	if !walk(p) {
		return nil, nil, false
	}
	return leaves, conjuncts, true
}

// canonicalCondition writes a resolved condition with each column named by names (its table's
// position and its column's), so the same condition over two reads of a table gives one text.
// Equalities list their operands in a fixed order. Unknown expression kinds fail.
func canonicalCondition(e logical.Expr, names map[logical.ExprID]string) (string, bool) {
	var walk func(e logical.Expr) (string, bool)
	walk = func(e logical.Expr) (string, bool) {
		switch v := e.(type) {
		case *logical.ColumnRef:
			name, ok := names[v.AttrID]
			return "col(" + name + ")", ok
		case *logical.Literal:
			return fmt.Sprintf("lit(%s:%s:%v)", v.String(), v.DataType(), v.Value.IsValid()), true
		case *logical.Cast:
			child, ok := walk(v.Child)
			return fmt.Sprintf("cast(%s,%d,%s)", v.To, v.Mode, child), ok
		case *logical.Call:
			if !deterministic(v) {
				return "", false
			}
			args := make([]string, len(v.Args))
			for i, a := range v.Args {
				var ok bool
				if args[i], ok = walk(a); !ok {
					return "", false
				}
			}
			if v.Function == "eq" || v.Function == "eq_null_safe" {
				slices.Sort(args)
			}
			return fmt.Sprintf("%s:%s(%s)", v.Function, v.Type, strings.Join(args, ",")), true
		}
		return "", false
	}
	return walk(e)
}

// duplicateInsensitive reports whether a subquery's value is built from aggregates whose result
// does not change when every input row is repeated the same number of times (min, max, avg),
// constants and deterministic functions of those; no column is read outside an aggregate.
func duplicateInsensitive(e logical.Expr) bool {
	ok, aggregates := true, 0
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.AggregateCall:
			switch strings.ToLower(v.Function) {
			case "min", "max", "avg", "mean":
			default:
				ok = false
			}
			if v.Filter != nil {
				ok = false
			}
			for _, arg := range v.Args {
				ok = ok && deterministic(arg) && !containsWindowExpr(arg)
			}
			aggregates++
			return false
		case *logical.Call:
			ok = ok && deterministic(v)
		case *logical.Literal, *logical.Cast, *logical.Alias:
		default:
			ok = false
		}
		return ok
	})
	return ok && aggregates > 0
}

func containsWindowExpr(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		_, isWindow := x.(*logical.WindowExpr)
		found = found || isWindow
		return !found
	})
	return found
}

// windowKeyType tells the key types whose grouping (the window's partitions) agrees with '=':
// not floating point, where -0.0 = 0.0 and NaN compare in ways hashing may not follow.
func windowKeyType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
		arrow.DATE32, arrow.DATE64, arrow.STRING, arrow.LARGE_STRING, arrow.BOOL, arrow.DECIMAL128:
		return true
	}
	return false
}

// An uncorrelated scalar subquery in HAVING that aggregates the same rows the outer GROUP BY
// does (TPC-H Q11: HAVING sum(v) > (SELECT sum(v) * 0.0001 FROM the same tables and conditions))
// is the combination of the groups' own aggregates: the sum of the groups' sums, the sum of their
// counts, the min of their mins. It becomes a window over the whole aggregate output, computed
// before the HAVING filter, instead of a second scan, join and aggregate of the same tables.
// Each row the subquery reads belongs to exactly one group, so combining per-group values is
// exact; groups whose sum is NULL (only NULL inputs) add nothing, as those rows added nothing.

// havingWindowValue returns the value of scalar subquery q over the aggregate of input as an
// expression over the aggregate's outputs holding windows over the whole output (toOutput maps
// an expression resolved against input to the aggregate's output, adding a hidden one when
// needed). It returns false when q does not read exactly input's tables and conditions or its
// value is not a combination of sum, count, min and max.
func (b *Binder) havingWindowValue(input logical.Plan, q Query, toOutput func(logical.Expr) (logical.Expr, error)) (logical.Expr, string, bool) {
	sel, ok := unwrapSelect(q)
	if !ok || len(sel.GroupBy) > 0 || sel.Having != nil || sel.Distinct || len(sel.Items) != 1 || sel.From == nil {
		return nil, "", false
	}
	outerLeaves, outerConjuncts, ok := flattenInnerJoins(input)
	if !ok {
		return nil, "", false
	}
	inner, correlated, err := b.correlatedParts(input, sel)
	if err != nil || len(correlated) > 0 {
		return nil, "", false
	}
	innerLeaves, innerConjuncts, ok := flattenInnerJoins(inner)
	if !ok || len(innerLeaves) != len(outerLeaves) || len(innerConjuncts) != len(outerConjuncts) {
		return nil, "", false
	}
	names := map[logical.ExprID]string{}
	toOuterID := map[logical.ExprID]logical.ExprID{}
	for j, leaf := range outerLeaves {
		for i, a := range leaf.scan.Attributes {
			names[a.AttrID] = fmt.Sprintf("t%d.%d", j, i)
		}
	}
	used := make([]bool, len(outerLeaves))
	for _, leaf := range innerLeaves {
		match := -1
		for j, candidate := range outerLeaves {
			if candidate.key != leaf.key {
				continue
			}
			if match >= 0 {
				return nil, "", false
			}
			match = j
		}
		if match < 0 || used[match] {
			return nil, "", false
		}
		used[match] = true
		for i, a := range leaf.scan.Attributes {
			names[a.AttrID] = fmt.Sprintf("t%d.%d", match, i)
			toOuterID[a.AttrID] = outerLeaves[match].scan.Attributes[i].AttrID
		}
	}
	outerTexts := make([]string, len(outerConjuncts))
	for i, c := range outerConjuncts {
		if outerTexts[i], ok = canonicalCondition(c, names); !ok {
			return nil, "", false
		}
	}
	matched := make([]bool, len(outerConjuncts))
	for _, c := range innerConjuncts {
		text, ok := canonicalCondition(c, names)
		if !ok {
			return nil, "", false
		}
		found := false
		for i, t := range outerTexts {
			if !matched[i] && t == text {
				matched[i], found = true, true
				break
			}
		}
		if !found {
			return nil, "", false
		}
	}
	a := b.analyzer()
	item, err := b.prepareExpr(sel.Items[0], sel.Windows)
	if err != nil {
		return nil, "", false
	}
	named, err := a.ResolveNamedList([]logical.Expr{item}, inner)
	if err != nil || len(named) != 1 {
		return nil, "", false
	}
	outerAttrs := map[logical.ExprID]*logical.ColumnRef{}
	for _, at := range input.Output() {
		outerAttrs[at.AttrID] = at
	}
	value, err := logical.Transform(logical.StripAlias(named[0]), func(x logical.Expr) (logical.Expr, error) {
		c, ok := x.(*logical.ColumnRef)
		if !ok {
			return x, nil
		}
		if ref := outerAttrs[toOuterID[c.AttrID]]; ref != nil {
			return ref, nil
		}
		return nil, fmt.Errorf("column %s is not in the outer query's input", c.String())
	})
	if err != nil || !combinable(value) {
		return nil, "", false
	}
	// Each aggregate becomes its combination, over the whole output, of the group's value.
	value, err = logical.Transform(value, func(x logical.Expr) (logical.Expr, error) {
		call, ok := x.(*logical.AggregateCall)
		if !ok {
			return x, nil
		}
		perGroup, err := toOutput(call)
		if err != nil {
			return nil, err
		}
		function := strings.ToLower(call.Function)
		if function == "count" {
			function = "sum"
		}
		combined, err := a.ResolveCall(function, []logical.Expr{perGroup}, false)
		if err != nil {
			return nil, err
		}
		var out logical.Expr = &logical.WindowExpr{Function: combined, Frame: logical.DefaultFrame(false)}
		if !arrow.TypeEqual(combined.DataType(), call.Type) {
			// sum widens decimals again; the total fits the subquery's own type (or the
			// subquery's sum would have overflowed too).
			out = &logical.Cast{Child: out, To: call.Type, Mode: logical.EvalANSI}
		}
		return out, nil
	})
	if err != nil {
		return nil, "", false
	}
	return value, named[0].Name(), true
}

// combinable reports whether a value is built from sum, count, min and max (not DISTINCT, no
// FILTER), constants and deterministic functions, reading no column outside an aggregate.
func combinable(e logical.Expr) bool {
	ok, aggregates := true, 0
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.AggregateCall:
			switch strings.ToLower(v.Function) {
			case "sum", "count", "min", "max":
			default:
				ok = false
			}
			if v.Distinct || v.Filter != nil || v.NullIfEmpty || len(v.Args) != 1 {
				ok = false
			}
			for _, arg := range v.Args {
				ok = ok && deterministic(arg) && !containsWindowExpr(arg)
			}
			aggregates++
			return false
		case *logical.Call:
			ok = ok && deterministic(v)
		case *logical.Literal, *logical.Cast, *logical.Alias:
		default:
			ok = false
		}
		return ok
	})
	return ok && aggregates > 0
}
