package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
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
}

func (b *Binder) hasAggregate(items []logical.Expr) bool {
	found := false
	for _, e := range items {
		logical.Walk(e, func(x logical.Expr) bool {
			switch v := x.(type) {
			case *logical.WindowExpr, *ScalarSubquery, *InSubquery, *Exists:
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

// aggregate plans GROUP BY / HAVING / aggregates in the select list.
func (b *Binder) aggregate(plan logical.Plan, s *Select, items []logical.Expr, orderBy []*logical.SortOrder) (logical.Plan, error) {
	return nil, errkind.NotImplemented("GROUP BY, HAVING and aggregate functions in SQL are not supported yet: they wait for the aggregate plan node")
}

// distinct plans SELECT DISTINCT and UNION (without ALL).
func (b *Binder) distinct(plan logical.Plan) (logical.Plan, error) {
	return nil, errkind.NotImplemented("SELECT DISTINCT and UNION without ALL are not supported yet: they wait for the aggregate plan node; use UNION ALL")
}

// correlatedScalar plans a correlated scalar subquery (SELECT agg(x) FROM t WHERE t.k = outer.k)
// as an aggregate grouped by the correlated inner columns, left-joined on them.
func (b *Binder) correlatedScalar(outer logical.Plan, q Query) (logical.Plan, error) {
	return nil, errkind.NotImplemented("correlated scalar subqueries are not supported yet: they wait for the aggregate plan node")
}
