package sqlplan

import (
	"errors"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// splitAnd splits an unresolved condition into its AND-ed conjuncts.
func splitAnd(e logical.Expr) []logical.Expr {
	if f, ok := e.(*logical.UnresolvedFunction); ok && strings.EqualFold(f.Name, "and") && len(f.Args) == 2 {
		return append(splitAnd(f.Args[0]), splitAnd(f.Args[1])...)
	}
	return []logical.Expr{e}
}

func containsSubquery(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		switch x.(type) {
		case *ScalarSubquery, *InSubquery, *Exists:
			found = true
		}
		return !found
	})
	return found
}

// where plans a WHERE clause: IN/EXISTS subqueries become semi and anti joins (correlated
// predicates become join conditions), scalar subqueries become joins with their one row, and the
// other conjuncts are pushed to the lowest inner join that has their columns.
func (b *Binder) where(plan logical.Plan, cond logical.Expr) (logical.Plan, error) {
	cond, err := b.substitute(cond)
	if err != nil {
		return nil, err
	}
	// Plain conjuncts first, so a comma join becomes an equi-join before semi/anti joins and
	// scalar subqueries are attached to it (TPC-H Q16, Q18, Q20-Q22).
	var subqueryJoins, withScalars []logical.Expr
	for _, conjunct := range factorDisjunctions(splitAnd(cond)) {
		switch conjunct.(type) {
		case *Exists, *InSubquery:
			subqueryJoins = append(subqueryJoins, conjunct)
			continue
		}
		if containsSubquery(conjunct) {
			withScalars = append(withScalars, conjunct)
			continue
		}
		if plan, err = b.filterConjunct(plan, conjunct); err != nil {
			return nil, err
		}
	}
	for _, conjunct := range subqueryJoins {
		switch v := conjunct.(type) {
		case *Exists:
			plan, err = b.subqueryJoin(plan, v.Query, nil, v.Not)
		case *InSubquery:
			plan, err = b.subqueryJoin(plan, v.Query, v.Value, v.Not)
		}
		if err != nil {
			return nil, err
		}
		if semi, ok := plan.(*logical.Join); ok {
			plan = pushSemiJoinDown(semi)                // join_order.go
			plan = reduceSemiJoinInput(plan, semi.Right) // join_order.go
		}
	}
	for _, conjunct := range withScalars {
		if plan, conjunct, err = b.attachScalarSubqueries(plan, conjunct); err != nil {
			return nil, err
		}
		if containsSubquery(conjunct) {
			return nil, errkind.NotImplemented("IN and EXISTS subqueries are supported as conditions joined by AND; '%s' uses one under OR or NOT", conjunct.String())
		}
		if plan, err = b.filterConjunct(plan, conjunct); err != nil {
			return nil, err
		}
	}
	return plan, nil
}

func (b *Binder) filterConjunct(plan logical.Plan, conjunct logical.Expr) (logical.Plan, error) {
	resolved, err := b.analyzer().ResolveExpr(conjunct, plan)
	if err != nil {
		return nil, err
	}
	if resolved.DataType().ID() != arrow.BOOL && resolved.DataType().ID() != arrow.NULL {
		return nil, errkind.Invalid("WHERE condition '%s' is %s, not boolean", resolved.String(), logical.SparkTypeName(resolved.DataType()))
	}
	if plan, err = b.deriveDisjunctionFilters(plan, resolved); err != nil { // join_order.go
		return nil, err
	}
	return b.pushFilter(plan, resolved)
}

// pushFilter places a resolved conjunct on the lowest inner join whose inputs hold its columns;
// a comma join with its WHERE equality becomes an equi-join instead of a cross product.
func (b *Binder) pushFilter(p logical.Plan, cond logical.Expr) (logical.Plan, error) {
	refs := logical.ReferencedIDs(cond)
	if j, ok := p.(*logical.Join); ok && (j.Type == logical.InnerJoin || j.Type == logical.CrossJoin) && len(refs) > 0 {
		switch {
		case covers(j.Left, refs):
			left, err := b.pushFilter(j.Left, cond)
			if err != nil {
				return nil, err
			}
			cp := *j
			cp.Left = left
			return &cp, nil
		case covers(j.Right, refs):
			right, err := b.pushFilter(j.Right, cond)
			if err != nil {
				return nil, err
			}
			cp := *j
			cp.Right = right
			return &cp, nil
		default:
			cp := *j
			cp.Type = logical.InnerJoin
			if cp.Condition == nil {
				cp.Condition = cond
			} else {
				both, err := b.analyzer().ResolveCall("and", []logical.Expr{cp.Condition, cond}, false)
				if err != nil {
					return nil, err
				}
				cp.Condition = both
			}
			return &cp, nil
		}
	}
	if project, ok := p.(*logical.Project); ok && onlyColumns(project) && len(refs) > 0 && covers(project.Input, refs) {
		// A projection that only reorders columns (the join order of a FROM list) does not stop
		// a filter from reaching the joins below it.
		input, err := b.pushFilter(project.Input, cond)
		if err != nil {
			return nil, err
		}
		return &logical.Project{Input: input, Expressions: project.Expressions}, nil
	}
	if f, ok := p.(*logical.Filter); ok {
		both, err := b.analyzer().ResolveCall("and", []logical.Expr{f.Condition, cond}, false)
		if err != nil {
			return nil, err
		}
		return &logical.Filter{Input: f.Input, Condition: both}, nil
	}
	return &logical.Filter{Input: p, Condition: cond}, nil
}

func covers(p logical.Plan, refs map[logical.ExprID]bool) bool {
	have := map[logical.ExprID]bool{}
	for _, a := range p.Output() {
		have[a.AttrID] = true
	}
	for id := range refs {
		if !have[id] {
			return false
		}
	}
	return true
}

// attachScalarSubqueries joins each uncorrelated scalar subquery of e to plan (a left outer join
// with its single row) and replaces it by a reference to its column.
func (b *Binder) attachScalarSubqueries(plan logical.Plan, e logical.Expr) (logical.Plan, logical.Expr, error) {
	var err error
	out, terr := logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		s, ok := x.(*ScalarSubquery)
		if !ok {
			return x, nil
		}
		var sub logical.Plan
		sub, err = b.Query(s.Query)
		if err != nil {
			var corr *correlatedError
			if errors.As(err, &corr) || b.mentionsOuter(err) {
				if windowed, ok := b.windowScalar(plan, s.Query); ok { // window_subquery.go
					err = nil
					plan = windowed
					out := windowed.Output()
					return out[len(out)-1], nil
				}
				sub, err = b.correlatedScalar(plan, s.Query)
				if err != nil {
					return nil, err
				}
				plan = sub
				out := sub.Output()
				return out[len(out)-1], nil
			}
			return nil, err
		}
		cols := sub.Output()
		if len(cols) != 1 {
			return nil, errkind.Invalid("a scalar subquery must return one column, this one returns %d (%s)", len(cols), columnNames(cols))
		}
		plan = &logical.Join{Left: plan, Right: sub, Type: logical.LeftOuterJoin}
		ref := *plan.Output()[len(plan.Output())-1]
		return &ref, nil
	})
	if terr != nil {
		return nil, nil, terr
	}
	return plan, out, err
}

type correlatedError struct{ error }

// mentionsOuter tells a "column not found" error, the sign of a correlated subquery.
func (b *Binder) mentionsOuter(err error) bool {
	return errors.Is(err, errkind.ErrInvalid) && strings.Contains(err.Error(), "not found")
}

// unwrapSelect returns the SELECT of a query without WITH, ORDER BY or LIMIT.
func unwrapSelect(q Query) (*Select, bool) {
	switch v := q.(type) {
	case *Select:
		return v, true
	case *QueryBlock:
		if len(v.With) == 0 && v.Limit == nil && v.Offset == nil {
			return unwrapSelect(v.Body)
		}
	}
	return nil, false
}

// correlatedParts binds a subquery's FROM and its uncorrelated WHERE conjuncts, and returns the
// conjuncts that read outer columns resolved against inner ++ outer.
func (b *Binder) correlatedParts(outer logical.Plan, sel *Select) (logical.Plan, []logical.Expr, error) {
	var inner logical.Plan
	var err error
	if sel.From == nil {
		inner = b.oneRow()
	} else if inner, err = b.tableRef(sel.From); err != nil {
		return nil, nil, err
	}
	if sel.Where == nil {
		return inner, nil, nil
	}
	where, err := b.substitute(sel.Where)
	if err != nil {
		return nil, nil, err
	}
	var local []logical.Expr
	var correlated []logical.Expr
	for _, conjunct := range splitAnd(where) {
		if containsSubquery(conjunct) {
			local = append(local, conjunct)
			continue
		}
		if _, err := b.analyzer().ResolveExpr(conjunct, inner); err == nil {
			local = append(local, conjunct)
			continue
		} else if !b.mentionsOuter(err) {
			return nil, nil, err
		}
		r, err := b.resolveInnerFirst(conjunct, inner, outer)
		if err != nil {
			return nil, nil, err
		}
		correlated = append(correlated, r)
	}
	if len(local) > 0 {
		cond := local[0]
		for _, c := range local[1:] {
			cond = call("and", cond, c)
		}
		if inner, err = b.where(inner, cond); err != nil {
			return nil, nil, err
		}
	}
	return inner, correlated, nil
}

// subqueryJoin plans [NOT] EXISTS (q) and value [NOT] IN (q) as a left semi or anti join whose
// condition is the correlated predicates (and value = the subquery's column for IN).
func (b *Binder) subqueryJoin(outer logical.Plan, q Query, value logical.Expr, not bool) (logical.Plan, error) {
	a := b.analyzer()
	var inner logical.Plan
	var correlated []logical.Expr
	sel, simple := unwrapSelect(q)
	if simple && len(sel.GroupBy) == 0 && sel.Having == nil && !sel.Distinct {
		items := make([]logical.Expr, len(sel.Items))
		for i, item := range sel.Items {
			var err error
			if items[i], err = b.prepareExpr(item, sel.Windows); err != nil {
				return nil, err
			}
		}
		if b.hasAggregate(items) {
			simple = false
		} else {
			var err error
			if inner, correlated, err = b.correlatedParts(outer, sel); err != nil {
				return nil, err
			}
			if value != nil {
				// Keep the select item and the columns the correlated predicates read.
				keep := items
				if len(keep) != 1 {
					return nil, errkind.Invalid("the subquery of IN must return one column, this one returns %d", len(keep))
				}
				needed := map[logical.ExprID]bool{}
				for _, c := range correlated {
					for id := range logical.ReferencedIDs(c) {
						needed[id] = true
					}
				}
				for _, at := range inner.Output() {
					if needed[at.AttrID] {
						keep = append(keep, at)
					}
				}
				if inner, err = b.C.Project(inner, keep); err != nil {
					return nil, err
				}
			}
		}
	} else {
		simple = false
	}
	if !simple {
		var err error
		if inner, err = b.Query(q); err != nil {
			if b.mentionsOuter(err) {
				return nil, errkind.NotImplemented("correlated subqueries with GROUP BY, DISTINCT, aggregates, LIMIT or WITH are not supported yet: %v", err)
			}
			return nil, err
		}
	}
	var cond logical.Expr
	and := func(x logical.Expr) error {
		if cond == nil {
			cond = x
			return nil
		}
		var err error
		cond, err = a.ResolveCall("and", []logical.Expr{cond, x}, false)
		return err
	}
	for _, c := range correlated {
		if err := and(c); err != nil {
			return nil, err
		}
	}
	joinType := logical.LeftSemiJoin
	if not {
		joinType = logical.LeftAntiJoin
	}
	if value != nil {
		v, err := a.ResolveExpr(value, outer)
		if err != nil {
			return nil, err
		}
		column := inner.Output()[0]
		if _, isStruct := v.DataType().(*arrow.StructType); isStruct {
			return nil, errkind.NotImplemented("multi-column IN subqueries ((a, b) IN (SELECT ...)) are not supported yet")
		}
		eq, err := a.ResolveCall("=", []logical.Expr{v, column}, false)
		if err != nil {
			return nil, err
		}
		if not && eq.Nullable() {
			// NOT IN is null-aware: a row is dropped when any comparison is true or unknown.
			// When neither side can be null no comparison is unknown, and the plain equality
			// lets the anti join hash its keys instead of testing every pair (TPC-H Q16).
			unknown, err := a.ResolveCall("isnull", []logical.Expr{eq}, false)
			if err != nil {
				return nil, err
			}
			if eq, err = a.ResolveCall("or", []logical.Expr{eq, unknown}, false); err != nil {
				return nil, err
			}
		}
		if err := and(eq); err != nil {
			return nil, err
		}
	}
	return &logical.Join{Left: outer, Right: inner, Type: joinType, Condition: cond}, nil
}

// resolveInnerFirst resolves a correlated predicate: each name is looked up in the subquery's own
// FROM first and in the outer query only when the subquery has no such column, as SQL scoping
// says (TPC-H Q2 has partsupp inside and outside).
func (b *Binder) resolveInnerFirst(e logical.Expr, inner, outer logical.Plan) (logical.Expr, error) {
	a := b.analyzer()
	bound, err := logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		u, ok := x.(*logical.UnresolvedAttribute)
		if !ok {
			return x, nil
		}
		if r, err := a.ResolveExprIn(u, inner.Output()); err == nil {
			return r, nil
		}
		return a.ResolveExprIn(u, outer.Output())
	})
	if err != nil {
		return nil, err
	}
	attrs := append(append([]*logical.ColumnRef(nil), inner.Output()...), outer.Output()...)
	return a.ResolveExprIn(bound, attrs)
}

func splitOr(e logical.Expr) []logical.Expr {
	if f, ok := e.(*logical.UnresolvedFunction); ok && strings.EqualFold(f.Name, "or") && len(f.Args) == 2 {
		return append(splitOr(f.Args[0]), splitOr(f.Args[1])...)
	}
	return []logical.Expr{e}
}

// factorDisjunctions lifts conjuncts every branch of an OR shares out of it:
// (a AND b) OR (a AND c) becomes a AND (b OR c). TPC-H Q19 writes its join key in each branch;
// lifted, it makes an equi-join instead of a cross product (Spark's optimizer does the same).
func factorDisjunctions(conjuncts []logical.Expr) []logical.Expr {
	var out []logical.Expr
	for _, c := range conjuncts {
		branches := splitOr(c)
		if len(branches) < 2 {
			out = append(out, c)
			continue
		}
		split := make([][]logical.Expr, len(branches))
		for i, br := range branches {
			split[i] = splitAnd(br)
		}
		var common []logical.Expr
		for _, candidate := range split[0] {
			key := candidate.String()
			inAll := true
			for _, other := range split[1:] {
				found := false
				for _, x := range other {
					if x.String() == key {
						found = true
						break
					}
				}
				if !found {
					inAll = false
					break
				}
			}
			if inAll && !containsSubquery(candidate) {
				common = append(common, candidate)
			}
		}
		if len(common) == 0 {
			out = append(out, c)
			continue
		}
		isCommon := map[string]bool{}
		for _, x := range common {
			isCommon[x.String()] = true
		}
		var rest logical.Expr
		for _, parts := range split {
			var branch logical.Expr
			for _, x := range parts {
				if isCommon[x.String()] {
					continue
				}
				if branch == nil {
					branch = x
				} else {
					branch = call("and", branch, x)
				}
			}
			if branch == nil {
				// One branch is only the common part: the OR is always true given it.
				rest = nil
				break
			}
			if rest == nil {
				rest = branch
			} else {
				rest = call("or", rest, branch)
			}
		}
		out = append(out, common...)
		if rest != nil {
			out = append(out, rest)
		}
	}
	return out
}

func onlyColumns(p *logical.Project) bool {
	for _, e := range p.Expressions {
		if _, ok := e.(*logical.ColumnRef); !ok {
			return false
		}
	}
	return true
}
