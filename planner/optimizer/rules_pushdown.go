package optimizer

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// Predicate pushdown: filters move below the nodes they commute with, so fewer rows reach
// projections, aggregations and joins, and scans can skip data (Scan.Filters).

func init() {
	RegisterRule(combineFilters{})
	RegisterRule(pushDownPredicates{})
}

// combineFilters merges Filter(Filter(x, a), b) into Filter(x, a AND b). The executor's AND
// evaluates both sides on every row, so only conditions that cannot raise are merged (Spark's
// AND short-circuits: `x != 0` then `1 / x > 1` must not divide by zero).
type combineFilters struct{}

func (combineFilters) Name() string { return "CombineFilters" }

func (combineFilters) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		outer, ok := n.(*logical.Filter)
		if !ok {
			return n, nil
		}
		inner, ok := outer.Input.(*logical.Filter)
		if !ok || !safe(outer.Condition) || !safe(inner.Condition) || !movable(outer.Condition) || !movable(inner.Condition) {
			return n, nil
		}
		changed = true
		return &logical.Filter{Input: inner.Input, Condition: and([]logical.Expr{inner.Condition, outer.Condition})}, nil
	})
	return out, changed, err
}

// pushDownPredicates moves a filter's conjuncts below projections (substituting aliases),
// aggregations (conjuncts on grouping columns only), joins (conjuncts on one side, for the join
// types that keep that side's rows as they are), and row-preserving nodes (alias, sort without
// a limit, repartition, broadcast hint).
type pushDownPredicates struct{}

func (pushDownPredicates) Name() string { return "PushDownPredicates" }

func (pushDownPredicates) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		f, ok := n.(*logical.Filter)
		if !ok || !movable(f.Condition) {
			return n, nil
		}
		next, ok := pushFilter(f)
		if ok {
			changed = true
			return next, nil
		}
		return n, nil
	})
	return out, changed, err
}

func pushFilter(f *logical.Filter) (logical.Plan, bool) {
	switch in := f.Input.(type) {
	case *logical.Project:
		for _, e := range in.Expressions {
			if !movable(e) {
				return nil, false
			}
		}
		pushed := &logical.Filter{Input: in.Input, Condition: substitute(f.Condition, aliasMap(in.Expressions))}
		return &logical.Project{Input: pushed, Expressions: in.Expressions}, true
	case *logical.SubqueryAlias:
		return in.WithChildren([]logical.Plan{&logical.Filter{Input: in.Input, Condition: f.Condition}}), true
	case *logical.BroadcastHint:
		return in.WithChildren([]logical.Plan{&logical.Filter{Input: in.Input, Condition: f.Condition}}), true
	case *logical.Repartition:
		return in.WithChildren([]logical.Plan{&logical.Filter{Input: in.Input, Condition: f.Condition}}), true
	case *logical.Sort:
		if in.Limit > 0 {
			return nil, false
		}
		return in.WithChildren([]logical.Plan{&logical.Filter{Input: in.Input, Condition: f.Condition}}), true
	case *logical.Aggregate:
		return pushThroughAggregate(f, in)
	case *logical.Join:
		return pushThroughJoin(f, in)
	}
	return nil, false
}

// pushThroughAggregate pushes conjuncts that only read grouping columns passed through unchanged.
func pushThroughAggregate(f *logical.Filter, a *logical.Aggregate) (logical.Plan, bool) {
	groupIDs := map[logical.ExprID]bool{}
	for _, g := range a.Grouping {
		if c, ok := g.(*logical.ColumnRef); ok {
			groupIDs[c.AttrID] = true
		}
	}
	passthrough := map[logical.ExprID]bool{}
	for _, out := range a.Aggregates {
		if c, ok := out.(*logical.ColumnRef); ok && groupIDs[c.AttrID] {
			passthrough[c.AttrID] = true
		}
	}
	var down, up []logical.Expr
	for _, c := range splitConjuncts(f.Condition) {
		if len(passthrough) > 0 && referencesOnly(c, passthrough) && len(logical.ReferencedIDs(c)) > 0 {
			down = append(down, c)
		} else {
			up = append(up, c)
		}
	}
	if len(down) == 0 {
		return nil, false
	}
	var out logical.Plan = a.WithChildren([]logical.Plan{&logical.Filter{Input: a.Input, Condition: and(down)}})
	if len(up) > 0 {
		out = &logical.Filter{Input: out, Condition: and(up)}
	}
	return out, true
}

// pushThroughJoin pushes conjuncts reading one side only into that side when the join keeps
// that side's rows unchanged: left for inner, cross, left outer, semi and anti joins; right for
// inner, cross and right outer joins.
func pushThroughJoin(f *logical.Filter, j *logical.Join) (logical.Plan, bool) {
	leftIDs, rightIDs := idSet(j.Left.Output()), idSet(j.Right.Output())
	canLeft := j.Type == logical.InnerJoin || j.Type == logical.CrossJoin || j.Type == logical.LeftOuterJoin ||
		j.Type == logical.LeftSemiJoin || j.Type == logical.LeftAntiJoin
	canRight := j.Type == logical.InnerJoin || j.Type == logical.CrossJoin || j.Type == logical.RightOuterJoin
	// Inner and cross joins also take conjuncts over both sides into their condition (a WHERE
	// clause over a comma join becomes an equi-join instead of a cross product).
	canJoin := j.Type == logical.InnerJoin || j.Type == logical.CrossJoin
	bothIDs := idSet(append(append([]*logical.ColumnRef(nil), j.Left.Output()...), j.Right.Output()...))
	var left, right, joined, up []logical.Expr
	for _, c := range splitConjuncts(f.Condition) {
		refs := logical.ReferencedIDs(c)
		switch {
		case len(refs) > 0 && canLeft && referencesOnly(c, leftIDs):
			left = append(left, c)
		case len(refs) > 0 && canRight && referencesOnly(c, rightIDs):
			right = append(right, c)
		case len(refs) > 0 && canJoin && referencesOnly(c, bothIDs):
			joined = append(joined, c)
		default:
			up = append(up, c)
		}
	}
	if len(left) == 0 && len(right) == 0 && len(joined) == 0 {
		return nil, false
	}
	cp := *j
	if len(joined) > 0 {
		if j.Condition != nil {
			joined = append(splitConjuncts(j.Condition), joined...)
		}
		cp.Condition = and(joined)
		cp.Type = logical.InnerJoin
	}
	if len(left) > 0 {
		cp.Left = &logical.Filter{Input: j.Left, Condition: and(left)}
	}
	if len(right) > 0 {
		cp.Right = &logical.Filter{Input: j.Right, Condition: and(right)}
	}
	var out logical.Plan = &cp
	if len(up) > 0 {
		out = &logical.Filter{Input: out, Condition: and(up)}
	}
	return out, true
}
