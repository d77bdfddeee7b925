package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// aggregateWithWindows plans an aggregation whose outputs hold window functions
// (groupBy("k").agg(F.expr("rank() OVER (ORDER BY sum(x))")), selectExpr("sum(sum(x)) OVER ()"))
// as Spark does: an Aggregate computing the grouping keys and every aggregate the outputs use,
// Window nodes over its rows, then a Project giving the outputs in order. build makes the
// aggregation (a plain or a grouping-sets one) computing the given outputs over input; grouping
// are its keys. ok is false when no output holds a window.
func (c *Converter) aggregateWithWindows(grouping []logical.Expr, outputs []logical.Named, build func(computed []logical.Named) (logical.Plan, error)) (logical.Plan, bool, error) {
	outputs, err := distributeWindows(outputs)
	if err != nil {
		return nil, true, err
	}
	windowed := make([]bool, len(outputs))
	hasWindows := false
	for i, o := range outputs {
		windowed[i] = holdsWindow(o)
		hasWindows = hasWindows || windowed[i]
	}
	if !hasWindows {
		return nil, false, nil
	}
	keys := map[string]bool{}
	for _, g := range grouping {
		keys[logical.ExprKey(g)] = true
	}
	var computed []logical.Named // the Aggregate's outputs: the plain outputs, then hidden ones
	for i, o := range outputs {
		if !windowed[i] {
			computed = append(computed, o)
		}
	}
	// toOutput rewrites an expression over the input into one over the Aggregate's outputs,
	// adding hidden outputs for the aggregates and grouping expressions it reads.
	var toOutput func(e logical.Expr) (logical.Expr, error)
	toOutput = func(e logical.Expr) (logical.Expr, error) {
		if w, ok := e.(*logical.WindowExpr); ok {
			return w.MapOverAggregate(toOutput)
		}
		key := logical.ExprKey(e)
		_, isAggregate := e.(*logical.AggregateCall)
		if isAggregate && holdsWindow(e) {
			return nil, errkind.Invalid("a window function cannot be inside an aggregate function ('%s'); compute the window first and aggregate over it", e.String())
		}
		if call, ok := e.(*logical.Call); ok && logical.GroupingFunctions[call.Function] {
			isAggregate = true // grouping(k) is computed by the aggregation, like an aggregate
		}
		if _, isLiteral := e.(*logical.Literal); !isLiteral && (isAggregate || keys[key]) {
			for _, o := range computed {
				if logical.ExprKey(logical.StripAlias(o)) == key {
					return o.ToAttribute(), nil
				}
			}
			hidden := &logical.Alias{Child: e, Alias: e.String(), AttrID: c.A.IDs.Next()}
			computed = append(computed, hidden)
			return hidden.ToAttribute(), nil
		}
		if ref, ok := e.(*logical.ColumnRef); ok {
			return nil, errkind.Invalid("[MISSING_AGGREGATION] column '%s' is neither in groupBy nor inside an aggregate function; add it to groupBy or aggregate it, e.g. first(%s)", ref.ColumnName, ref.ColumnName)
		}
		children := e.Children()
		if len(children) == 0 {
			return e, nil
		}
		next := make([]logical.Expr, len(children))
		for i, child := range children {
			var err error
			if next[i], err = toOutput(child); err != nil {
				return nil, err
			}
		}
		return e.WithChildren(next), nil
	}
	items := make([]logical.Named, len(outputs))
	for i, o := range outputs {
		if !windowed[i] {
			continue
		}
		alias, ok := o.(*logical.Alias)
		if !ok {
			return nil, false, errkind.Internal("output '%s' holds a window function but is not an alias", o.String())
		}
		child, err := toOutput(alias.Child)
		if err != nil {
			return nil, true, err
		}
		item := *alias
		item.Child = child
		items[i] = &item
	}
	aggregate, err := build(computed)
	if err != nil {
		return nil, true, err
	}
	// Read each column as the aggregation gives it (grouping sets make their keys nullable).
	current := map[logical.ExprID]*logical.ColumnRef{}
	for _, at := range aggregate.Output() {
		current[at.AttrID] = at
	}
	for i, item := range items {
		if item == nil {
			continue
		}
		child, err := logical.Transform(item.(*logical.Alias).Child, func(x logical.Expr) (logical.Expr, error) {
			if ref, ok := x.(*logical.ColumnRef); ok && current[ref.AttrID] != nil {
				return current[ref.AttrID], nil
			}
			return x, nil
		})
		if err != nil {
			return nil, true, err
		}
		refreshed := *item.(*logical.Alias)
		refreshed.Child = child
		items[i] = &refreshed
	}
	// The list keeps the outputs' order, then the hidden columns, so the windows' Project gives
	// the outputs first whatever names it gives unaliased windows.
	list := make([]logical.Named, 0, len(computed)+len(items))
	next := 0
	for i := range outputs {
		if windowed[i] {
			list = append(list, items[i])
		} else {
			list = append(list, current[computed[next].ID()])
			next++
		}
	}
	for _, hidden := range computed[next:] {
		list = append(list, current[hidden.ID()])
	}
	planned, err := PlanWindows(c, aggregate, list)
	if err != nil {
		return nil, true, err
	}
	if len(computed) == next {
		return planned, true, nil
	}
	return &logical.Project{Input: planned, Expressions: attrsNamed(planned.Output()[:len(outputs)])}, true, nil
}

func attrsNamed(attrs []*logical.ColumnRef) []logical.Named {
	out := make([]logical.Named, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

// holdsWindow reports whether e holds a window function.
func holdsWindow(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		if _, ok := x.(*logical.WindowExpr); ok {
			found = true
		}
		return !found
	})
	return found
}

// aggregatesOutsideWindows reports whether e aggregates its input: an aggregate outside window
// functions, or inside one's arguments or specs (rank() OVER (ORDER BY sum(x))); sum(x) OVER ()
// alone does not.
func aggregatesOutsideWindows(e logical.Expr) bool {
	found := false
	logical.Walk(e, func(x logical.Expr) bool {
		if found {
			return false
		}
		switch v := x.(type) {
		case *logical.AggregateCall:
			found = true
		case *logical.WindowExpr:
			inside := v.Children()[1:]
			if call, ok := logical.StripAlias(v.Function).(*logical.AggregateCall); ok {
				inside = append(inside, call.Children()...)
			} else {
				inside = append(inside, v.Function)
			}
			for _, child := range inside {
				found = found || aggregatesOutsideWindows(child)
			}
			return false
		}
		return !found
	})
	return found
}
