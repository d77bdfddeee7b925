package sqlplan

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
)

// Join order for FROM lists (comma joins whose equalities are in WHERE) and filters derived from
// disjunctions. The order is greedy: start from the relation with the fewest rows left after its
// own WHERE conjuncts, then add the connected relation that gives the smallest estimated join,
// as DuckDB's and Spark's cost-based reorderers do without column statistics. TPC-H Q21 then
// joins nation to supplier (400 suppliers) before lineitem instead of lineitem to all 10,000
// suppliers and then to orders.

const (
	unknownRows = 1e12
	// Selectivities of a conjunct over one relation, without column statistics (DuckDB uses
	// 0.2 for an equality with a constant).
	equalitySelectivity = 0.2
	rangeSelectivity    = 0.5
	otherSelectivity    = 0.5
)

// estimateRows guesses the rows a plan produces: sources know their rows (Parquet footers,
// stored DataFrames), filters keep a fixed share per conjunct kind.
func estimateRows(p logical.Plan) float64 {
	switch n := p.(type) {
	case *logical.Scan:
		switch src := n.Source.(type) {
		case *logical.StoredDataFrame:
			return float64(src.NumRows)
		case *arrowio.Dataset:
			if src.Format != arrowio.FormatParquet {
				return float64(src.TotalBytes()) / 100
			}
			var rows int64
			for _, f := range src.Files {
				for _, g := range f.RowGroups {
					rows += g.NumRows
				}
			}
			return float64(rows)
		}
		return unknownRows
	case *logical.Filter:
		return estimateRows(n.Input) * selectivity(n.Condition)
	case *logical.Join:
		l, r := estimateRows(n.Left), estimateRows(n.Right)
		if n.Type == logical.LeftSemiJoin || n.Type == logical.LeftAntiJoin {
			return l
		}
		return max(l, r)
	case *logical.Aggregate:
		if len(n.Grouping) == 0 {
			return 1
		}
		return estimateRows(n.Input)
	case *logical.Limit:
		if n.Count >= 0 {
			return min(float64(n.Count), estimateRows(n.Input))
		}
	}
	children := p.Children()
	if len(children) == 1 {
		return estimateRows(children[0])
	}
	if len(children) == 0 {
		return unknownRows
	}
	total := 0.0
	for _, c := range children {
		total += estimateRows(c)
	}
	return total
}

// selectivity is the share of rows a resolved condition is assumed to keep.
func selectivity(e logical.Expr) float64 {
	c, ok := e.(*logical.Call)
	if !ok {
		return otherSelectivity
	}
	switch c.Function {
	case "and":
		s := 1.0
		for _, a := range c.Args {
			s *= selectivity(a)
		}
		return s
	case "or":
		s := 0.0
		for _, a := range c.Args {
			s += selectivity(a)
		}
		return min(s, 1)
	case "isnotnull":
		return 1
	case "eq", "eq_null_safe":
		return equalitySelectivity
	case "lt", "lte", "gt", "gte":
		return rangeSelectivity
	case "in":
		return min(1, equalitySelectivity*float64(max(len(c.Args)-1, 1)))
	case "like", "ilike", "rlike", "contains", "startswith", "endswith":
		return equalitySelectivity // a pattern picks few rows (p_name LIKE '%green%': 5%)
	}
	return otherSelectivity
}

// splitResolved splits a resolved condition on a boolean function ("and" or "or").
func splitResolved(e logical.Expr, function string) []logical.Expr {
	if c, ok := e.(*logical.Call); ok && c.Function == function && len(c.Args) == 2 {
		return append(splitResolved(c.Args[0], function), splitResolved(c.Args[1], function)...)
	}
	return []logical.Expr{e}
}

// disjunctionParts derives, from a resolved OR whose every branch constrains the relation with
// columns ids, the OR of those constraints: (n1 = 'FRANCE' AND n2 = 'GERMANY') OR (n1 = 'GERMANY'
// AND n2 = 'FRANCE') implies n1 IN ('FRANCE', 'GERMANY') — a filter that can run below the join
// (TPC-H Q7, Q19). It returns the branches' conjunct lists, or nil when some branch says nothing
// about the relation or the OR reads only that relation already.
func disjunctionParts(e logical.Expr, ids map[logical.ExprID]bool) [][]logical.Expr {
	branches := splitResolved(e, "or")
	if len(branches) < 2 || referencesOnlyIDs(e, ids) {
		return nil
	}
	parts := make([][]logical.Expr, len(branches))
	for i, branch := range branches {
		for _, c := range splitResolved(branch, "and") {
			if referencesOnlyIDs(c, ids) {
				parts[i] = append(parts[i], c)
			}
		}
		if len(parts[i]) == 0 {
			return nil
		}
	}
	return parts
}

func referencesOnlyIDs(e logical.Expr, ids map[logical.ExprID]bool) bool {
	refs := logical.ReferencedIDs(e)
	if len(refs) == 0 {
		return false
	}
	for id := range refs {
		if !ids[id] {
			return false
		}
	}
	return true
}

// disjunctionSelectivity is the share of a relation's rows the filter derived from a
// disjunction keeps (1 when nothing derives).
func disjunctionSelectivity(e logical.Expr, ids map[logical.ExprID]bool) float64 {
	parts := disjunctionParts(e, ids)
	if parts == nil {
		return 1
	}
	s := 0.0
	for _, branch := range parts {
		b := 1.0
		for _, c := range branch {
			b *= selectivity(c)
		}
		s += b
	}
	return min(s, 1)
}

// innerJoinLeaves lists the inputs of the inner and cross joins at the top of a plan (through
// projections that only pick columns), the relations a WHERE conjunct may be pushed to.
func innerJoinLeaves(p logical.Plan) []logical.Plan {
	switch n := p.(type) {
	case *logical.Join:
		if n.Type == logical.InnerJoin || n.Type == logical.CrossJoin {
			return append(innerJoinLeaves(n.Left), innerJoinLeaves(n.Right)...)
		}
	case *logical.Project:
		if onlyColumns(n) {
			return innerJoinLeaves(n.Input)
		}
	}
	return []logical.Plan{p}
}

// deriveDisjunctionFilters pushes, for each join input a resolved OR constrains in every branch,
// the OR of those constraints down to that input. The OR itself stays where it was placed.
func (b *Binder) deriveDisjunctionFilters(plan logical.Plan, cond logical.Expr) (logical.Plan, error) {
	if c, ok := cond.(*logical.Call); !ok || c.Function != "or" {
		return plan, nil
	}
	leaves := innerJoinLeaves(plan)
	if len(leaves) < 2 {
		return plan, nil
	}
	a := b.analyzer()
	for _, leaf := range leaves {
		parts := disjunctionParts(cond, idSet(leaf.Output()))
		if parts == nil {
			continue
		}
		var derived logical.Expr
		for _, branch := range parts {
			conjunction := branch[0]
			for _, c := range branch[1:] {
				var err error
				if conjunction, err = a.ResolveCall("and", []logical.Expr{conjunction, c}, false); err != nil {
					return nil, err
				}
			}
			if derived == nil {
				derived = conjunction
				continue
			}
			var err error
			if derived, err = a.ResolveCall("or", []logical.Expr{derived, conjunction}, false); err != nil {
				return nil, err
			}
		}
		var err error
		if plan, err = b.pushFilter(plan, derived); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func idSet(attrs []*logical.ColumnRef) map[logical.ExprID]bool {
	out := make(map[logical.ExprID]bool, len(attrs))
	for _, a := range attrs {
		out[a.AttrID] = true
	}
	return out
}

// joinOrder orders the relations of a FROM list: the fewest estimated rows first, then greedily
// the connected relation giving the smallest estimated join, |A||B| / max(distinct keys), with
// distinct keys bounded by Parquet min/max statistics (distinctValues). The bound tells a key
// (s_suppkey: 10,000 rows over 1..10,000) from a foreign key into a small table (s_nationkey:
// 10,000 rows over 0..24), which keeps customer from being joined to supplier through their
// nation keys before orders and lineitem connect them (TPC-H Q5, Q7, Q8). conjuncts are the
// resolved plain WHERE conjuncts; connects says whether some conjunct joins the current set to
// a relation.
func joinOrder(plans []logical.Plan, conjuncts []logical.Expr, connects func(current, next map[logical.ExprID]bool) bool) []int {
	rows := make([]float64, len(plans))
	base := make([]float64, len(plans))
	kept := make([]float64, len(plans)) // the share of the relation's rows its filters keep
	ids := make([]map[logical.ExprID]bool, len(plans))
	leafOf := map[logical.ExprID]int{}
	for i, p := range plans {
		ids[i] = idSet(p.Output())
		for id := range ids[i] {
			leafOf[id] = i
		}
		base[i] = max(estimateRows(p), 1)
		share := 1.0
		for _, c := range conjuncts {
			if referencesOnlyIDs(c, ids[i]) {
				share *= selectivity(c)
			} else {
				share *= disjunctionSelectivity(c, ids[i])
			}
		}
		rows[i], kept[i] = base[i]*share, share
	}
	// Equalities between two relations, with the distinct values each side's key may have.
	type equality struct {
		leaves   [2]int
		distinct [2]float64
	}
	var equalities []equality
	for _, c := range conjuncts {
		call, ok := c.(*logical.Call)
		if !ok || call.Function != "eq" || len(call.Args) != 2 {
			continue
		}
		l, r := logical.ReferencedIDs(call.Args[0]), logical.ReferencedIDs(call.Args[1])
		li, lok := singleLeaf(l, leafOf)
		ri, rok := singleLeaf(r, leafOf)
		if lok && rok && li != ri {
			equalities = append(equalities, equality{
				leaves:   [2]int{li, ri},
				distinct: [2]float64{distinctValues(plans[li], call.Args[0], base[li]), distinctValues(plans[ri], call.Args[1], base[ri])},
			})
		}
	}
	greedyOrder := func(first int) ([]int, float64) {
		used := make([]bool, len(plans))
		order := make([]int, 0, len(plans))
		order = append(order, first)
		used[first] = true
		current := map[logical.ExprID]bool{}
		for id := range ids[first] {
			current[id] = true
		}
		currentRows, cost := rows[first], 0.0
		estimate := func(j int) float64 {
			best := -1.0
			for _, e := range equalities {
				var inCurrent, inNext float64
				switch {
				case e.leaves[1] == j && used[e.leaves[0]]:
					inCurrent, inNext = e.distinct[0], e.distinct[1]
				case e.leaves[0] == j && used[e.leaves[1]]:
					inCurrent, inNext = e.distinct[1], e.distinct[0]
				default:
					continue
				}
				// |A join B| = |A| |B| / max(distinct keys of A, of B). A side whose key is unique
				// (its bound reaches its rows) holds every value the other side's foreign key
				// has, so its unfiltered count is the divisor: lineitem joined to filtered orders
				// keeps orders' filter share. Otherwise filters cap the distinct values at the
				// rows left.
				currentKey, nextKey := inCurrent >= base[e.leaves[0]], inNext >= base[j]
				if e.leaves[0] == j {
					currentKey = inCurrent >= base[e.leaves[1]]
				}
				var distinct float64
				switch {
				case currentKey && nextKey:
					distinct = max(inCurrent, inNext)
				case currentKey:
					distinct = inCurrent
				case nextKey:
					distinct = inNext
				default:
					distinct = max(min(inCurrent, currentRows), min(inNext, rows[j]))
				}
				joined := currentRows * rows[j] / max(distinct, 1)
				if best < 0 || joined < best {
					best = joined
				}
			}
			if best < 0 {
				best = currentRows * rows[j] * otherSelectivity
			}
			return best
		}
		for len(order) < len(plans) {
			pick, pickRows := -1, 0.0
			for i := range plans {
				if used[i] || !connects(current, ids[i]) {
					continue
				}
				if joined := estimate(i); pick < 0 || joined < pickRows {
					pick, pickRows = i, joined
				}
			}
			if pick < 0 {
				// Nothing connects: a cross product with the smallest relation left.
				for i := range plans {
					if !used[i] && (pick < 0 || rows[i] < rows[pick]) {
						pick = i
					}
				}
				pickRows = currentRows * rows[pick]
			}
			used[pick] = true
			order = append(order, pick)
			for id := range ids[pick] {
				current[id] = true
			}
			currentRows = max(pickRows, 1)
			cost += currentRows
		}
		return order, cost
	}
	// Greedy from each starting relation; the order whose intermediate results add up to the
	// fewest rows wins. Starting from the smallest relation alone would join nation to
	// supplier to all of lineitem before the part filter cuts lineitem to a twentieth (Q9).
	var best []int
	bestCost := 0.0
	for first := range plans {
		order, cost := greedyOrder(first)
		if best == nil || cost < bestCost {
			best, bestCost = order, cost
		}
	}
	return best
}

// distinctValues bounds the distinct values of a key expression of a relation with rows rows: a
// column read straight from Parquet with integer min/max statistics has at most max-min+1;
// anything else is assumed unique.
func distinctValues(p logical.Plan, key logical.Expr, rows float64) float64 {
	column, ok := logical.StripAlias(key).(*logical.ColumnRef)
	if !ok {
		return rows
	}
	scan := scanOf(p, column.AttrID)
	if scan == nil {
		return rows
	}
	dataset, ok := scan.Source.(*arrowio.Dataset)
	if !ok {
		return rows
	}
	index := -1
	for i, a := range scan.Attributes {
		if a.AttrID == column.AttrID {
			index = i
		}
	}
	if index < 0 || index >= dataset.NumDataColumns() {
		return rows
	}
	var low, high int64
	seen := false
	for _, f := range dataset.Files {
		for _, g := range f.RowGroups {
			if index >= len(g.Columns) || g.Columns[index] == nil || g.Columns[index].Min == nil || g.Columns[index].Max == nil {
				return rows
			}
			lo, lok := integerStatistic(g.Columns[index].Min)
			hi, hok := integerStatistic(g.Columns[index].Max)
			if !lok || !hok {
				return rows
			}
			if !seen || lo < low {
				low = lo
			}
			if !seen || hi > high {
				high = hi
			}
			seen = true
		}
	}
	if !seen {
		return rows
	}
	return min(rows, float64(high-low)+1)
}

func integerStatistic(s scalar.Scalar) (int64, bool) {
	if !s.IsValid() {
		return 0, false
	}
	switch v := s.(type) {
	case *scalar.Int8:
		return int64(v.Value), true
	case *scalar.Int16:
		return int64(v.Value), true
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	}
	return 0, false
}

// scanOf finds the scan a column comes from, through filters, aliases and projections that pass
// it on unchanged.
func scanOf(p logical.Plan, id logical.ExprID) *logical.Scan {
	switch n := p.(type) {
	case *logical.Scan:
		for _, a := range n.Attributes {
			if a.AttrID == id {
				return n
			}
		}
		return nil
	case *logical.Filter, *logical.SubqueryAlias:
		return scanOf(n.Children()[0], id)
	case *logical.Project:
		for _, e := range n.Expressions {
			if c, ok := e.(*logical.ColumnRef); ok && c.AttrID == id {
				return scanOf(n.Input, id)
			}
		}
	}
	return nil
}

// singleLeaf is the one relation all of ids come from.
func singleLeaf(ids map[logical.ExprID]bool, leafOf map[logical.ExprID]int) (int, bool) {
	leaf := -1
	for id := range ids {
		i, ok := leafOf[id]
		if !ok || (leaf >= 0 && i != leaf) {
			return 0, false
		}
		leaf = i
	}
	return leaf, leaf >= 0
}

// reduceByOuterKeys keeps, of a correlated scalar subquery's input, the rows whose correlation
// keys some outer row can have: a left semi join with the outer relation that supplies those keys,
// when that relation is estimated smaller. Only those groups can meet an outer row, so the
// aggregate that follows computes far fewer (TPC-H Q17 averages the quantity of 200,000 parts
// when 204 pass the outer filters; DuckDB's delim join does the same). innerKeys[i] is the
// inner expression pairs[i][0] (an outer expression) is compared with.
func (b *Binder) reduceByOuterKeys(outer, inner logical.Plan, innerKeys []logical.Expr, pairs [][2]logical.Expr) (logical.Plan, error) {
	var source logical.Plan
	for _, leaf := range innerJoinLeaves(outer) {
		if referencesOnlyIDs(pairs[0][0], idSet(leaf.Output())) {
			source = leaf
			break
		}
	}
	if source == nil || estimateRows(source) >= estimateRows(inner) {
		return inner, nil
	}
	inner, enough, err := b.reduceThroughSemiJoin(inner, source, innerKeys, pairs) // semi_join_transitive.go
	if err != nil || enough {
		return inner, err
	}
	a := b.analyzer()
	have := idSet(source.Output())
	var cond logical.Expr
	for i, p := range pairs {
		if !referencesOnlyIDs(p[0], have) {
			continue
		}
		eq, err := a.ResolveCall("=", []logical.Expr{innerKeys[i], p[0]}, false)
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = eq
		} else if cond, err = a.ResolveCall("and", []logical.Expr{cond, eq}, false); err != nil {
			return nil, err
		}
	}
	return pushSemiJoinDown(&logical.Join{Left: inner, Right: source, Type: logical.LeftSemiJoin, Condition: cond}), nil
}

// pushSemiJoinDown moves a semi or anti join built over a join tree (WHERE x IN (...), EXISTS)
// down to the join input that holds the columns it tests, past inner joins that do not shrink
// that input: TPC-H Q18 keeps the 57 orders of its IN subquery before joining customer and
// lineitem, instead of testing all 6 million joined rows. A join that filters the input (Q21's
// nation and orders conditions) keeps the semi join above it, where fewer rows probe it.
func pushSemiJoinDown(semi *logical.Join) logical.Plan {
	if semi.Type != logical.LeftSemiJoin && semi.Type != logical.LeftAntiJoin || semi.Condition == nil {
		return semi
	}
	leftIDs := idSet(semi.Left.Output())
	tested := map[logical.ExprID]bool{}
	for id := range logical.ReferencedIDs(semi.Condition) {
		if leftIDs[id] {
			tested[id] = true
		}
	}
	if len(tested) == 0 {
		return semi
	}
	var push func(p logical.Plan) (logical.Plan, bool)
	push = func(p logical.Plan) (logical.Plan, bool) {
		switch n := p.(type) {
		case *logical.Project:
			if !onlyColumns(n) || !coversIDs(n.Input, tested) {
				return nil, false
			}
			if input, ok := push(n.Input); ok {
				return &logical.Project{Input: input, Expressions: n.Expressions}, true
			}
		case *logical.Join:
			if n.Type != logical.InnerJoin || n.Condition == nil {
				return nil, false
			}
			for side, child := range []logical.Plan{n.Left, n.Right} {
				if !coversIDs(child, tested) {
					continue
				}
				// A join that shrinks the input keeps the semi join above it, unless the semi
				// join shrinks it more (Q2's subquery: 747 parts of 200,000 keep partsupp's rows
				// far below what the region join keeps, so they go first).
				if shrink := estimateJoinRows(n) / max(estimateRows(child), 1); shrink < 1 &&
					(semi.Type != logical.LeftSemiJoin || semiJoinShare(semi, child) >= shrink) {
					continue
				}
				next, ok := push(child)
				if !ok {
					cp := *semi
					cp.Left = child
					next = &cp
				}
				cp := *n
				if side == 0 {
					cp.Left = next
				} else {
					cp.Right = next
				}
				return &cp, true
			}
		}
		return nil, false
	}
	if out, ok := push(semi.Left); ok {
		return out
	}
	return semi
}

// semiJoinShare estimates the share of input's rows a left semi join keeps: its right side's
// rows over the distinct values of the input column they are compared with, at most 1.
func semiJoinShare(semi *logical.Join, input logical.Plan) float64 {
	inputIDs, rightIDs := idSet(input.Output()), idSet(semi.Right.Output())
	share := 1.0
	for _, c := range splitResolved(semi.Condition, "and") {
		call, ok := c.(*logical.Call)
		if !ok || call.Function != "eq" || len(call.Args) != 2 {
			continue
		}
		tested, key := call.Args[0], call.Args[1]
		if !referencesOnlyIDs(tested, inputIDs) {
			tested, key = key, tested
		}
		if !referencesOnlyIDs(tested, inputIDs) || !referencesOnlyIDs(key, rightIDs) {
			continue
		}
		distinct, _ := keyDistinct(input, tested)
		share = min(share, estimateRows(semi.Right)/max(distinct, 1))
	}
	return share
}

func coversIDs(p logical.Plan, ids map[logical.ExprID]bool) bool {
	have := idSet(p.Output())
	for id := range ids {
		if !have[id] {
			return false
		}
	}
	return true
}

// estimateJoinRows estimates an inner equi-join's rows as |A| |B| / max(distinct keys), with the
// key rule of joinOrder: a side whose key column is unique divides by its unfiltered count.
func estimateJoinRows(j *logical.Join) float64 {
	l, r := estimateRows(j.Left), estimateRows(j.Right)
	best := l * r
	for _, c := range splitResolved(j.Condition, "and") {
		call, ok := c.(*logical.Call)
		if !ok || call.Function != "eq" || len(call.Args) != 2 {
			continue
		}
		left, right := call.Args[0], call.Args[1]
		if !referencesOnlyIDs(left, idSet(j.Left.Output())) {
			left, right = right, left
		}
		if !referencesOnlyIDs(left, idSet(j.Left.Output())) || !referencesOnlyIDs(right, idSet(j.Right.Output())) {
			continue
		}
		lDistinct, lKey := keyDistinct(j.Left, left)
		rDistinct, rKey := keyDistinct(j.Right, right)
		var distinct float64
		switch {
		case lKey && rKey:
			distinct = max(lDistinct, rDistinct)
		case lKey:
			distinct = lDistinct
		case rKey:
			distinct = rDistinct
		default:
			distinct = max(min(lDistinct, l), min(rDistinct, r))
		}
		best = min(best, l*r/max(distinct, 1))
	}
	return best
}

// keyDistinct bounds the distinct values of a key expression of p, and says whether the column
// is unique in its table (the bound reaches the table's rows).
func keyDistinct(p logical.Plan, key logical.Expr) (float64, bool) {
	column, ok := logical.StripAlias(key).(*logical.ColumnRef)
	if !ok {
		return estimateRows(p), false
	}
	scan := scanOf(p, column.AttrID)
	if scan == nil {
		return estimateRows(p), false
	}
	base := estimateRows(scan)
	distinct := distinctValues(scan, column, base)
	return distinct, distinct >= base
}

// reduceSemiJoinInput filters the subquery side of a semi or anti join to the rows whose keys the
// tested relation has, when that relation is one small table (a filtered scan) and the subquery
// side is much larger: TPC-H Q4 tests 57,000 orders against 3.8 M late lineitems, and the join
// shuffled all of them and built its hash table from them; with lineitem first semi-joined with
// the orders' keys (a broadcast join, lineitem read in place) only the ~150,000 lineitems of
// those orders reach it. A subquery row whose keys no tested row has matches no tested row, so
// neither semi nor anti join (nor NOT IN's null-aware condition, whose pairs still need the
// equalities) can change; only equality conjuncts are used, and rows with NULL keys, which
// never satisfy them, go too. subquery is the join's right side as subqueryJoin built it; the
// join is found wherever pushSemiJoinDown put it.
func reduceSemiJoinInput(plan, subquery logical.Plan) logical.Plan {
	out, _ := logical.TransformPlan(plan, func(n logical.Plan) (logical.Plan, error) {
		j, ok := n.(*logical.Join)
		if !ok || j.Right != subquery || j.Condition == nil || (j.Type != logical.LeftSemiJoin && j.Type != logical.LeftAntiJoin) {
			return n, nil
		}
		if !singleTable(j.Left) {
			return n, nil
		}
		testedRows, subqueryRows := estimateRows(j.Left), estimateRows(j.Right)
		if testedRows > reduceMaxTestedRows || testedRows*reduceMinRatio > subqueryRows {
			return n, nil
		}
		if testedRows <= reduceBroadcastMaxRows && subqueryRows >= reduceBroadcastMinRows {
			// A tested side this small is better broadcast by the join itself at run time (a
			// semi or anti join that builds its left side; its keys then filter the subquery
			// side's Parquet scan as it decodes, decision 0024): the tested table is read once,
			// where the reduction reads it twice and probes the subquery side in a second join.
			// TPC-H Q4: server CPU 0.27 -> 0.17 s.
			return n, nil
		}
		leftIDs, rightIDs := idSet(j.Left.Output()), idSet(j.Right.Output())
		var equalities []logical.Expr
		keyColumns := map[logical.ExprID]bool{}
		for _, c := range splitResolved(j.Condition, "and") {
			call, ok := c.(*logical.Call)
			if !ok || call.Function != "eq" || len(call.Args) != 2 {
				continue
			}
			l, r := call.Args[0], call.Args[1]
			if !referencesOnlyIDs(l, leftIDs) {
				l, r = r, l
			}
			if !referencesOnlyIDs(l, leftIDs) || !referencesOnlyIDs(r, rightIDs) || len(logical.ReferencedIDs(l)) == 0 || len(logical.ReferencedIDs(r)) == 0 {
				continue
			}
			equalities = append(equalities, c)
			for id := range logical.ReferencedIDs(l) {
				keyColumns[id] = true
			}
		}
		if len(equalities) == 0 {
			return n, nil
		}
		var keys []logical.Named
		for _, a := range j.Left.Output() {
			if keyColumns[a.AttrID] {
				keys = append(keys, a)
			}
		}
		condition := equalities[0]
		for _, e := range equalities[1:] {
			condition = &logical.Call{Function: "and", Args: []logical.Expr{condition, e}, Type: arrow.FixedWidthTypes.Boolean, Null: condition.Nullable() || e.Nullable()}
		}
		reduced := &logical.Join{Left: j.Right, Right: &logical.Project{Input: j.Left, Expressions: keys}, Type: logical.LeftSemiJoin, Condition: condition}
		cp := *j
		cp.Right = reduced
		return &cp, nil
	})
	return out
}

const (
	// reduceMaxTestedRows bounds the estimated rows of a tested relation whose keys reduce a
	// semi join's other side: its keys are broadcast.
	reduceMaxTestedRows = 1_000_000
	// reduceMinRatio is how many times more rows the subquery side must be estimated to have.
	reduceMinRatio = 4
	// reduceBroadcastMaxRows and reduceBroadcastMinRows: a tested side estimated at most this
	// many rows (about spark.sql.autoBroadcastJoinThreshold's 10 MiB of the few columns a join
	// keeps; the columns are not narrowed yet here) against a subquery side of at least this
	// many rows is left to the join's run-time broadcast instead.
	reduceBroadcastMaxRows = 500_000
	reduceBroadcastMinRows = 1_000_000
)

// singleTable reports whether p reads one table through filters and projections only, so that
// reading it a second time for its keys costs one scan.
func singleTable(p logical.Plan) bool {
	switch n := p.(type) {
	case *logical.Scan:
		return true
	case *logical.Filter:
		return deterministic(n.Condition) && singleTable(n.Input)
	case *logical.Project:
		return onlyColumns(n) && singleTable(n.Input)
	case *logical.SubqueryAlias:
		return singleTable(n.Input)
	}
	return false
}

// deterministic reports whether e gives the same value each time it is evaluated: no random
// or row-position functions and no Python functions.
func deterministic(e logical.Expr) bool {
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.PythonUDF:
			ok = false
		case *logical.Call:
			switch v.Function {
			case "rand", "randn", "random", "uuid", "shuffle", "monotonically_increasing_id", "spark_partition_id", "input_file_name":
				ok = false
			}
		}
		return ok
	})
	return ok
}
