package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// GROUP BY ALL and ORDER BY ALL, as Spark 4 has them. Both are a column named all when the
// input (GROUP BY) or the select list (ORDER BY) has one; otherwise GROUP BY ALL groups by every
// select item without an aggregate, and ORDER BY ALL sorts by every output column in order.

// endsClause tells whether t can follow ALL when ALL is the whole GROUP BY or ORDER BY list.
func endsClause(t token) bool {
	switch t.kind {
	case tokEOF:
		return true
	case tokOperator:
		return t.text == ")" || t.text == ";"
	case tokIdent:
		switch strings.ToUpper(t.text) {
		case "HAVING", "ORDER", "SORT", "LIMIT", "OFFSET", "WINDOW", "QUALIFY", "UNION", "EXCEPT", "MINUS",
			"INTERSECT", "CLUSTER", "DISTRIBUTE", "ASC", "DESC", "NULLS":
			return true
		}
	}
	return false
}

// groupByAllKeys returns GROUP BY ALL's grouping expressions over the resolved select items, or
// ok=false when the input has a column named all (GROUP BY all then names it).
func (b *Binder) groupByAllKeys(s *Select, input logical.Plan, named []logical.Named) ([]logical.Expr, bool, error) {
	if _, err := b.analyzer().ResolveExpr(s.GroupBy[0], input); err == nil {
		return nil, false, nil
	}
	var keys []logical.Expr
	for _, item := range named {
		expression := logical.StripAlias(item)
		if !logical.ContainsAggregate(expression) && !containsWindow(item) {
			keys = append(keys, expression)
			continue
		}
		// An item mixing an aggregate with columns outside it (a + sum(b)) leaves the grouping
		// ambiguous: Spark refuses it.
		if containsWindow(item) {
			continue
		}
		outside := false
		logical.Walk(expression, func(x logical.Expr) bool {
			switch x.(type) {
			case *logical.AggregateCall:
				return false
			case *logical.ColumnRef:
				outside = true
			}
			return !outside
		})
		if outside {
			return nil, false, errkind.Invalid("[UNRESOLVED_ALL_IN_GROUP_BY] Cannot infer grouping columns for GROUP BY ALL: '%s' mixes an aggregate with columns outside it; list the grouping columns after GROUP BY", item.String())
		}
	}
	return keys, true, nil
}

// sortByAll plans ORDER BY ALL over a bound query: its output columns, first to last, each in
// the written direction. ok=false when the output has a column named all, which ORDER BY all
// then names.
func (b *Binder) sortByAll(plan logical.Plan, order *logical.SortOrder) (logical.Plan, bool, error) {
	for _, column := range plan.Output() {
		if equalFoldASCII(column.ColumnName, "all") {
			return nil, false, nil
		}
	}
	keys := make([]*logical.SortOrder, len(plan.Output()))
	for i, column := range plan.Output() {
		key, err := b.C.ResolveSortOrder(&logical.SortOrder{Child: column, Direction: order.Direction, Nulls: order.Nulls}, plan)
		if err != nil {
			return nil, false, err
		}
		keys[i] = key
	}
	return &logical.Sort{Input: plan, Order: keys, Global: true}, true, nil
}
