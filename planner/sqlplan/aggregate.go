package sqlplan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// aggregateNames are the aggregate functions; a select list using one outside OVER (...) is an
// aggregation.
var aggregateNames = map[string]bool{
	"sum": true, "avg": true, "mean": true, "count": true, "min": true, "max": true, "first": true, "last": true,
	"first_value": true, "last_value": true, "any_value": true, "collect_list": true, "collect_set": true,
	"stddev": true, "stddev_samp": true, "stddev_pop": true, "std": true, "variance": true, "var_samp": true,
	"var_pop": true, "approx_count_distinct": true, "count_if": true, "bool_and": true, "bool_or": true,
	"every": true, "some": true, "median": true, "percentile": true, "percentile_approx": true,
	"approx_percentile": true, "corr": true, "covar_pop": true, "covar_samp": true, "max_by": true,
	"min_by": true, "product": true, "kurtosis": true, "skewness": true, "sum_distinct": true, "count_distinct": true,
	"array_agg": true, "mode": true, "bit_and": true, "bit_or": true, "bit_xor": true,
	"any": true, "try_sum": true, "try_avg": true, "string_agg": true, "listagg": true,
	"regr_count": true, "regr_avgx": true, "regr_avgy": true,
}

func (b *Binder) hasAggregate(items []logical.Expr) bool {
	found := false
	for _, e := range items {
		logical.Walk(e, func(x logical.Expr) bool {
			switch v := x.(type) {
			case *ScalarSubquery, *InSubquery, *Exists:
				return false
			case *logical.WindowExpr:
				// rank() OVER (ORDER BY sum(x)) aggregates; sum(x) OVER () alone does not.
				inside := v.Children()[1:]
				if call, ok := v.Function.(*logical.UnresolvedFunction); ok {
					inside = append(inside, call.Children()...)
				} else {
					inside = append(inside, v.Function)
				}
				found = found || b.hasAggregate(inside)
				return false
			case *logical.UnresolvedFunction:
				if aggregateNames[strings.ToLower(v.Name)] {
					found = true
				}
			}
			return !found
		})
	}
	return found
}

// aggregate plans GROUP BY / HAVING / aggregates in the select list as Spark does: one Aggregate
// whose outputs are the select list plus hidden columns HAVING and ORDER BY need (aggregates and
// grouping expressions they use), then Filter, Sort, and a Project dropping the hidden columns.
func (b *Binder) aggregate(input logical.Plan, s *Select, items []logical.Expr, orderBy []*logical.SortOrder) (logical.Plan, error) {
	a := b.analyzer()
	named, err := a.ResolveNamedList(items, input)
	if err != nil {
		return nil, err
	}
	// GROUP BY may name select-list positions (GROUP BY 1) and aliases (GROUP BY alias).
	var grouping []logical.Expr
	groupBy := s.GroupBy
	if s.GroupByAll {
		keys, all, err := b.groupByAllKeys(s, input, named)
		if err != nil {
			return nil, err
		}
		if all {
			grouping, groupBy = keys, nil
		}
	}
	for _, g := range groupBy {
		g, err := b.substitute(g)
		if err != nil {
			return nil, err
		}
		if lit, ok := g.(*logical.Literal); ok && (lit.DataType().ID() == arrow.INT32 || lit.DataType().ID() == arrow.INT64) {
			var n int
			fmt.Sscan(lit.Value.String(), &n)
			if n < 1 || n > len(named) {
				return nil, errkind.Invalid("GROUP BY position %d is not in the select list, which has %d items", n, len(named))
			}
			grouping = append(grouping, logical.StripAlias(named[n-1]))
			continue
		}
		r, err := a.ResolveExpr(g, input)
		if err != nil {
			if alias := selectAlias(g, named, a.Config.CaseSensitive); alias != nil {
				grouping = append(grouping, logical.StripAlias(alias))
				continue
			}
			return nil, err
		}
		r = logical.StripAlias(r)
		if logical.ContainsAggregate(r) {
			return nil, errkind.Invalid("aggregate functions are not allowed in GROUP BY: '%s'", r.String())
		}
		grouping = append(grouping, r)
	}
	// Select items holding window functions are computed over the aggregate's outputs, as Spark
	// plans them (Aggregate -> Window -> Project); the other items are the aggregate's outputs.
	windowed := make([]bool, len(named))
	var outputs []logical.Named
	for i, n := range named {
		if windowed[i] = containsWindow(n); !windowed[i] {
			outputs = append(outputs, n)
		}
	}
	visible := len(outputs)
	var subqueries []logical.Plan
	// subqueryWindows are HAVING scalar subqueries computed as windows over the aggregate.
	var subqueryWindows []*logical.Alias
	// toOutput rewrites an expression resolved against the input into one over the aggregate's
	// outputs, adding hidden outputs for the aggregates and grouping expressions it uses.
	groupKeys := map[string]bool{}
	for _, g := range grouping {
		groupKeys[logical.ExprKey(g)] = true
	}
	allowed := map[logical.ExprID]bool{}
	var toOutput func(e logical.Expr) (logical.Expr, error)
	// windows are the distinct window expressions, rewritten over the aggregate's outputs; each
	// is a hidden column of the Window nodes above the aggregate. origins are them as written.
	var windows []*logical.Alias
	var origins []*logical.WindowExpr
	windowOutput := func(w *logical.WindowExpr) (logical.Expr, error) {
		rewritten, err := w.MapOverAggregate(toOutput)
		if err != nil {
			return nil, err
		}
		key := logical.ExprKey(rewritten) + rewritten.String()
		for _, x := range windows {
			if logical.ExprKey(x.Child)+x.Child.String() == key {
				return x.ToAttribute(), nil
			}
		}
		hidden := &logical.Alias{Child: rewritten, Alias: fmt.Sprintf("window_%d", len(windows)), AttrID: a.IDs.Next()}
		windows = append(windows, hidden)
		origins = append(origins, w)
		return hidden.ToAttribute(), nil
	}
	toOutput = func(e logical.Expr) (logical.Expr, error) {
		key := logical.ExprKey(e)
		if w, ok := e.(*logical.WindowExpr); ok {
			return windowOutput(w)
		}
		_, isAggregate := e.(*logical.AggregateCall)
		if isAggregate && containsWindow(e) {
			return nil, errkind.Invalid("a window function cannot be inside an aggregate function ('%s'); compute the window in a subquery and aggregate over it", e.String())
		}
		if isAggregate {
			if err := rejectNestedAggregate(e); err != nil {
				return nil, err
			}
		}
		if call, ok := e.(*logical.Call); ok && logical.GroupingFunctions[call.Function] {
			isAggregate = true // grouping(a) is computed by the aggregate, like an aggregate
		}
		if _, isLiteral := e.(*logical.Literal); !isLiteral && (isAggregate || groupKeys[key]) {
			for _, o := range outputs {
				if logical.ExprKey(logical.StripAlias(o)) == key {
					return o.ToAttribute(), nil
				}
			}
			hidden := &logical.Alias{Child: e, Alias: e.String(), AttrID: a.IDs.Next()}
			outputs = append(outputs, hidden)
			return hidden.ToAttribute(), nil
		}
		if c, ok := e.(*logical.ColumnRef); ok {
			if allowed[c.AttrID] {
				return c, nil
			}
			return nil, errkind.Invalid("[MISSING_AGGREGATION] column '%s' is neither in GROUP BY nor inside an aggregate function; add it to GROUP BY or aggregate it, e.g. first(%s)", c.ColumnName, c.ColumnName)
		}
		children := e.Children()
		if len(children) == 0 {
			return e, nil
		}
		next := make([]logical.Expr, len(children))
		for i, ch := range children {
			if next[i], err = toOutput(ch); err != nil {
				return nil, err
			}
		}
		return e.WithChildren(next), nil
	}
	// final is the select list over the aggregate's outputs and the window columns.
	final := make([]logical.Named, len(named))
	var windowItems []*logical.Alias
	for i, n := range named {
		if !windowed[i] {
			continue
		}
		alias, ok := n.(*logical.Alias)
		if !ok {
			return nil, errkind.Internal("select item '%s' holds a window function but is not an alias", n.String())
		}
		child, err := toOutput(alias.Child)
		if err != nil {
			return nil, err
		}
		item := *alias
		item.Child = child
		final[i] = &item
		windowItems = append(windowItems, &item)
	}
	// resolveAfter resolves a HAVING or ORDER BY expression: against the input (then rewritten
	// over the outputs), or else against the select list's names.
	resolveAfter := func(e logical.Expr) (logical.Expr, error) {
		e, err := b.prepareExpr(e, s.Windows)
		if err != nil {
			return nil, err
		}
		e, err = logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
			sq, ok := x.(*ScalarSubquery)
			if !ok {
				return x, nil
			}
			if value, name, ok := b.havingWindowValue(input, sq.Query, toOutput); ok && s.GroupingSets == nil { // window_subquery.go
				hidden := &logical.Alias{Child: value, Alias: name, AttrID: a.IDs.Next()}
				subqueryWindows = append(subqueryWindows, hidden)
				allowed[hidden.AttrID] = true
				return hidden.ToAttribute(), nil
			}
			sub, err := b.Query(sq.Query)
			if err != nil {
				return nil, err
			}
			if len(sub.Output()) != 1 {
				return nil, errkind.Invalid("a scalar subquery must return one column, this one returns %d", len(sub.Output()))
			}
			subqueries = append(subqueries, sub)
			allowed[sub.Output()[0].AttrID] = true
			return sub.Output()[0], nil
		})
		if err != nil {
			return nil, err
		}
		r, err := a.ResolveExpr(e, input)
		if err == nil {
			if out, err := toOutput(logical.StripAlias(r)); err == nil {
				return out, nil
			}
		}
		attrs := make([]*logical.ColumnRef, 0, len(outputs)+len(windowItems))
		for _, o := range outputs {
			attrs = append(attrs, o.ToAttribute())
		}
		for _, o := range windowItems {
			attrs = append(attrs, o.ToAttribute())
		}
		if r2, err2 := a.ResolveExprIn(e, attrs); err2 == nil && !logical.ContainsAggregate(r2) {
			return r2, nil
		}
		if err != nil {
			return nil, err
		}
		return toOutput(logical.StripAlias(r))
	}
	var having logical.Expr
	if s.Having != nil {
		if having, err = resolveAfter(s.Having); err != nil {
			return nil, err
		}
		windowIDs := map[logical.ExprID]bool{}
		for _, w := range windows {
			windowIDs[w.AttrID] = true
		}
		for _, w := range windowItems {
			windowIDs[w.AttrID] = true
		}
		if refsAny(having, windowIDs) {
			return nil, errkind.Invalid("[WINDOW_FUNCTION_NOT_ALLOWED_IN_CLAUSE] window functions are not allowed in HAVING; compute the window in a subquery and filter on it in the outer query's WHERE")
		}
	}
	var order []*logical.SortOrder
	for _, o := range orderBy {
		child := o.Child
		if lit, ok := child.(*logical.Literal); ok {
			child = b.ordinal(lit, &logical.Project{Input: input, Expressions: named})
			if ref, ok := child.(*logical.ColumnRef); ok {
				order = append(order, &logical.SortOrder{Child: ref, Direction: o.Direction, Nulls: o.Nulls})
				continue
			}
		}
		r, err := resolveAfter(child)
		if err != nil {
			return nil, err
		}
		order = append(order, &logical.SortOrder{Child: r, Direction: o.Direction, Nulls: o.Nulls})
	}
	for _, o := range named {
		if _, err := toOutputCheck(o, groupKeys); err != nil {
			return nil, err
		}
	}
	var plan logical.Plan = &logical.Aggregate{Input: input, Grouping: grouping, Aggregates: outputs}
	if s.GroupingSets != nil {
		if plan, outputs, err = b.groupingSetsAggregate(input, s, grouping, outputs); err != nil {
			return nil, err
		}
	} else if err := protoplan.RejectGroupingCalls(outputs); err != nil {
		return nil, err
	}
	if len(subqueryWindows) > 0 {
		list := attrsAsNamed(plan.Output())
		for _, w := range subqueryWindows {
			list = append(list, w)
		}
		if plan, err = protoplan.PlanWindows(b.C, plan, list); err != nil {
			return nil, err
		}
	}
	for _, sub := range subqueries {
		plan = &logical.Join{Left: plan, Right: sub, Type: logical.LeftOuterJoin}
	}
	if having != nil {
		if plan, err = b.C.Filter(plan, having); err != nil {
			return nil, err
		}
	}
	next := 0
	for i := range final {
		if !windowed[i] {
			final[i] = outputs[next].ToAttribute()
			next++
		}
	}
	if len(windows) > 0 {
		if plan, err = b.windowsOverAggregate(plan, windows, origins, windowItems); err != nil {
			return nil, err
		}
	}
	if s.Distinct {
		if len(outputs) > visible || len(subqueries) > 0 || len(windows) > 0 || len(subqueryWindows) > 0 {
			plan = &logical.Project{Input: plan, Expressions: attrsAsNamed(attrsOf(final))}
		}
		plan = &logical.Deduplicate{Input: plan, Keys: plan.Output()}
	}
	if len(order) > 0 {
		plan = &logical.Sort{Input: plan, Order: order, Global: true}
	}
	if len(outputs) > visible || len(subqueries) > 0 || len(windows) > 0 || len(subqueryWindows) > 0 {
		plan = &logical.Project{Input: plan, Expressions: attrsAsNamed(attrsOf(final))}
	}
	return plan, nil
}

// windowsOverAggregate adds the Window nodes computing windows over an aggregate's output plan,
// then a Project adding the select items that hold them (windowItems, over the window columns).
func (b *Binder) windowsOverAggregate(plan logical.Plan, windows []*logical.Alias, origins []*logical.WindowExpr, windowItems []*logical.Alias) (logical.Plan, error) {
	// The aggregate may have changed its columns' nullability (grouping sets null their keys):
	// read each column as the plan below gives it.
	current := map[logical.ExprID]*logical.ColumnRef{}
	for _, at := range plan.Output() {
		current[at.AttrID] = at
	}
	refresh := func(e logical.Expr) (logical.Expr, error) {
		return logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
			if c, ok := x.(*logical.ColumnRef); ok && current[c.AttrID] != nil {
				return current[c.AttrID], nil
			}
			return x, nil
		})
	}
	list := attrsAsNamed(plan.Output())
	for _, w := range windows {
		child, err := refresh(w.Child)
		if err != nil {
			return nil, err
		}
		hidden := *w
		hidden.Child = child
		list = append(list, &hidden)
	}
	// PlanWindows completes each window (its frame), so the names can be given after.
	planned, err := protoplan.PlanWindows(b.C, plan, list)
	if err != nil {
		return nil, err
	}
	completed := map[logical.ExprID]*logical.WindowExpr{}
	for _, n := range list[len(plan.Output()):] {
		completed[n.ID()] = n.(*logical.Alias).Child.(*logical.WindowExpr)
	}
	for _, at := range planned.Output() {
		current[at.AttrID] = at
	}
	out := attrsAsNamed(planned.Output())
	for _, item := range windowItems {
		child, err := refresh(item.Child)
		if err != nil {
			return nil, err
		}
		// An unaliased window item is named as Spark names it: the window as written, with its frame.
		if ref, ok := child.(*logical.ColumnRef); ok {
			for i, w := range windows {
				if w.AttrID == ref.AttrID && item.Alias == origins[i].String() {
					named := *origins[i]
					named.Function = logical.StripAlias(named.Function)
					named.Frame = completed[w.AttrID].Frame
					item.Alias = named.String()
				}
			}
		}
		item.Child = child
		out = append(out, item)
	}
	return &logical.Project{Input: planned, Expressions: out}, nil
}

// containsWindow reports whether e holds a window function.
func containsWindow(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		if _, ok := x.(*logical.WindowExpr); ok {
			found = true
		}
		return !found
	})
	return found
}

func attrsOf(named []logical.Named) []*logical.ColumnRef {
	out := make([]*logical.ColumnRef, len(named))
	for i, n := range named {
		out[i] = n.ToAttribute()
	}
	return out
}

// toOutputCheck fails on select items reading columns that are neither grouped nor aggregated.
func toOutputCheck(out logical.Named, groupKeys map[string]bool) (bool, error) {
	var err error
	var visit func(e logical.Expr)
	visit = func(e logical.Expr) {
		if err != nil || groupKeys[logical.ExprKey(e)] {
			return
		}
		if call, ok := e.(*logical.Call); ok && logical.GroupingFunctions[call.Function] {
			return // checked against the grouping columns when grouping sets are planned
		}
		switch x := e.(type) {
		case *logical.AggregateCall:
			err = rejectNestedAggregate(x)
			return
		case *logical.WindowExpr:
			return
		case *logical.ColumnRef:
			err = errkind.Invalid("[MISSING_AGGREGATION] column '%s' in '%s' is neither in GROUP BY nor inside an aggregate function; add it to GROUP BY or aggregate it, e.g. first(%s)",
				x.ColumnName, out.String(), x.ColumnName)
			return
		}
		for _, ch := range e.Children() {
			visit(ch)
		}
	}
	var root logical.Expr = out
	if a, ok := out.(*logical.Alias); ok {
		root = a.Child
	}
	visit(root)
	return err == nil, err
}

// rejectNestedAggregate fails on an aggregate whose arguments aggregate (sum(sum(x)) outside
// OVER (...)), as Spark does.
func rejectNestedAggregate(e logical.Expr) error {
	for _, child := range e.Children() {
		if logical.ContainsAggregate(child) {
			return errkind.Invalid("[NESTED_AGGREGATE_FUNCTION] '%s' is inside another aggregate function; compute it in a subquery, or use it over a window: %s OVER ()", child.String(), e.String())
		}
	}
	return nil
}

// selectAlias returns the select item named like g (GROUP BY alias), if g is a bare name.
func selectAlias(g logical.Expr, named []logical.Named, caseSensitive bool) logical.Named {
	u, ok := g.(*logical.UnresolvedAttribute)
	if !ok || len(u.NameParts) != 1 {
		return nil
	}
	for _, n := range named {
		if _, isAlias := n.(*logical.Alias); !isAlias {
			continue
		}
		if n.Name() == u.NameParts[0] || !caseSensitive && strings.EqualFold(n.Name(), u.NameParts[0]) {
			return n
		}
	}
	return nil
}

// distinct plans SELECT DISTINCT and UNION (without ALL).
func (b *Binder) distinct(plan logical.Plan) (logical.Plan, error) {
	return &logical.Deduplicate{Input: plan, Keys: plan.Output()}, nil
}

// correlatedScalar plans a correlated scalar subquery (SELECT agg(x) FROM t WHERE t.k = outer.k)
// as an aggregate of the subquery grouped by its correlated columns, left-joined to outer on
// them. The returned plan's last column is the subquery's value.
func (b *Binder) correlatedScalar(outer logical.Plan, q Query) (logical.Plan, error) {
	a := b.analyzer()
	sel, ok := unwrapSelect(q)
	if !ok || len(sel.GroupBy) > 0 || sel.Having != nil || len(sel.Items) != 1 {
		return nil, errkind.NotImplemented("correlated scalar subqueries are supported as SELECT <one aggregate> FROM ... WHERE <equalities with outer columns>")
	}
	inner, correlated, err := b.correlatedParts(outer, sel)
	if err != nil {
		return nil, err
	}
	innerIDs := map[logical.ExprID]bool{}
	for _, at := range inner.Output() {
		innerIDs[at.AttrID] = true
	}
	var keys []logical.Named
	var pairs [][2]logical.Expr // outer expression, inner key index
	for _, c := range correlated {
		call, ok := c.(*logical.Call)
		if !ok || call.Function != "eq" || len(call.Args) != 2 {
			return nil, errkind.NotImplemented("a correlated scalar subquery may only compare outer columns with '=', got '%s'", c.String())
		}
		l, r := call.Args[0], call.Args[1]
		if !onlyFrom(l, innerIDs) {
			l, r = r, l
		}
		if !onlyFrom(l, innerIDs) || refsAny(r, innerIDs) {
			return nil, errkind.NotImplemented("a correlated predicate must compare an inner expression with an outer one, got '%s'", c.String())
		}
		key := a.ToNamed(l)
		keys = append(keys, key)
		pairs = append(pairs, [2]logical.Expr{r, key.ToAttribute()})
	}
	item, err := b.prepareExpr(sel.Items[0], sel.Windows)
	if err != nil {
		return nil, err
	}
	named, err := a.ResolveNamedList([]logical.Expr{item}, inner)
	if err != nil {
		return nil, err
	}
	grouping := make([]logical.Expr, len(keys))
	for i, k := range keys {
		grouping[i] = logical.StripAlias(k)
	}
	if inner, err = b.reduceByOuterKeys(outer, inner, grouping, pairs); err != nil { // join_order.go
		return nil, err
	}
	agg := &logical.Aggregate{Input: inner, Grouping: grouping, Aggregates: append(append([]logical.Named(nil), keys...), named...)}
	var cond logical.Expr
	for _, p := range pairs {
		eq, err := a.ResolveCall("=", []logical.Expr{p[0], p[1]}, false)
		if err != nil {
			return nil, err
		}
		if cond == nil {
			cond = eq
		} else if cond, err = a.ResolveCall("and", []logical.Expr{cond, eq}, false); err != nil {
			return nil, err
		}
	}
	join := &logical.Join{Left: outer, Right: agg, Type: logical.LeftOuterJoin, Condition: cond}
	// Keep the outer columns and the value only: the grouping keys would shadow outer names.
	out := join.Output()
	keep := attrsAsNamed(out[:len(outer.Output())])
	value := out[len(out)-1]
	if empty, ok := emptyInputValue(named[0]); ok {
		// The count bug: an outer row no group matches must see the aggregate over no rows
		// (count 0), not NULL, as Spark's RewriteCorrelatedScalarSubquery gives. A matched row
		// has a non-null first key (the join compares it with '='), so a null key means none.
		unmatched, err := a.ResolveCall("isnull", []logical.Expr{out[len(outer.Output())]}, false)
		if err != nil {
			return nil, err
		}
		choice := &logical.Call{Function: "case_when", Args: []logical.Expr{unmatched, empty, value}, Type: value.Type, Null: true,
			Display: value.ColumnName}
		keep = append(keep, &logical.Alias{Child: choice, Alias: value.ColumnName, AttrID: a.IDs.Next()})
		return &logical.Project{Input: join, Expressions: keep}, nil
	}
	keep = append(keep, value)
	return &logical.Project{Input: join, Expressions: keep}, nil
}

// emptyInputValue is a correlated scalar subquery's value over no rows, unless that is plainly
// NULL (a lone sum, avg, max...): its select item with count-like aggregates replaced by 0 and
// the others by NULL (coalesce(max(x), 0) over no rows is 0).
func emptyInputValue(item logical.Named) (logical.Expr, bool) {
	root := logical.StripAlias(item)
	if call, ok := root.(*logical.AggregateCall); ok && !countLike(call) {
		return nil, false
	}
	out, err := logical.Transform(root, func(x logical.Expr) (logical.Expr, error) {
		call, ok := x.(*logical.AggregateCall)
		if !ok {
			return x, nil
		}
		if countLike(call) {
			zero, err := scalar.MakeScalar(int64(0)).CastTo(call.Type)
			if err != nil {
				return nil, err
			}
			return logical.NewLiteral(zero), nil
		}
		return logical.NullLiteral(call.Type), nil
	})
	if err != nil {
		return nil, false
	}
	return out, true
}

// countLike tells aggregates whose value over no rows is 0 rather than NULL.
func countLike(call *logical.AggregateCall) bool {
	switch strings.ToLower(call.Function) {
	case "count", "count_if", "approx_count_distinct":
		return !call.NullIfEmpty
	}
	return false
}

func onlyFrom(e logical.Expr, ids map[logical.ExprID]bool) bool {
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

func refsAny(e logical.Expr, ids map[logical.ExprID]bool) bool {
	for id := range logical.ReferencedIDs(e) {
		if ids[id] {
			return true
		}
	}
	return false
}
