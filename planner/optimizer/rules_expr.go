package optimizer

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Expression helpers shared by the rules.

// nonDeterministic lists functions whose value changes between evaluations; expressions calling
// them are never moved, duplicated or folded.
var nonDeterministic = map[string]bool{
	"rand": true, "randn": true, "random": true, "uuid": true, "shuffle": true,
	"monotonically_increasing_id": true, "spark_partition_id": true, "input_file_name": true,
}

// movable reports whether e may be evaluated at another place in the plan, or twice: only
// deterministic scalar expressions (no aggregates, windows, Python calls or generators).
func movable(e logical.Expr) bool {
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.ColumnRef, *logical.Literal, *logical.Alias, *logical.Cast:
		case *logical.Call:
			if nonDeterministic[v.Function] {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// cannotFail are the functions whose evaluation never raises, so evaluating them on rows a
// preceding filter would have removed is harmless.
var cannotFail = map[string]bool{
	"eq": true, "neq": true, "lt": true, "lte": true, "gt": true, "gte": true, "eq_null_safe": true,
	"and": true, "or": true, "not": true, "isnull": true, "isnotnull": true, "isnan": true,
	"get_field": true,
}

// safe reports whether e can be evaluated on any row without raising: column references,
// literals, comparisons and boolean logic only.
func safe(e logical.Expr) bool {
	ok := true
	logical.Walk(e, func(x logical.Expr) bool {
		switch v := x.(type) {
		case *logical.ColumnRef, *logical.Literal, *logical.Alias:
		case *logical.Call:
			if !cannotFail[v.Function] {
				ok = false
			}
		default:
			ok = false
		}
		return ok
	})
	return ok
}

// splitConjuncts flattens a AND b AND c.
func splitConjuncts(e logical.Expr) []logical.Expr {
	if c, ok := e.(*logical.Call); ok && c.Function == "and" && len(c.Args) == 2 {
		return append(splitConjuncts(c.Args[0]), splitConjuncts(c.Args[1])...)
	}
	return []logical.Expr{e}
}

// and builds the resolved conjunction of conditions (nil for none).
func and(conditions []logical.Expr) logical.Expr {
	var out logical.Expr
	for _, c := range conditions {
		if out == nil {
			out = c
			continue
		}
		out = &logical.Call{Function: "and", Args: []logical.Expr{out, c}, Type: arrow.FixedWidthTypes.Boolean,
			Null: out.Nullable() || c.Nullable(), Display: "(" + out.String() + " AND " + c.String() + ")"}
	}
	return out
}

// referencesOnly reports whether every attribute e reads is in ids.
func referencesOnly(e logical.Expr, ids map[logical.ExprID]bool) bool {
	for id := range logical.ReferencedIDs(e) {
		if !ids[id] {
			return false
		}
	}
	return true
}

func idSet(attrs []*logical.ColumnRef) map[logical.ExprID]bool {
	out := make(map[logical.ExprID]bool, len(attrs))
	for _, a := range attrs {
		out[a.AttrID] = true
	}
	return out
}

// aliasMap maps the attributes a projection defines to the expressions defining them.
func aliasMap(named []logical.Named) map[logical.ExprID]logical.Expr {
	out := map[logical.ExprID]logical.Expr{}
	for _, n := range named {
		if a, ok := n.(*logical.Alias); ok {
			out[a.AttrID] = a.Child
		}
	}
	return out
}

// substitute replaces references to projection outputs with their defining expressions.
func substitute(e logical.Expr, defs map[logical.ExprID]logical.Expr) logical.Expr {
	out, _ := logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		if c, ok := x.(*logical.ColumnRef); ok {
			if d, found := defs[c.AttrID]; found {
				return d, nil
			}
		}
		return x, nil
	})
	return out
}
