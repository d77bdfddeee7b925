package optimizer

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// Filter pushdown into file scans: a Filter right above a Scan of files lends the scan the
// conjuncts it can check against Parquet row-group statistics and partition values
// (Scan.Filters). The Filter stays: the scan only skips data none of whose rows can match.

func init() {
	RegisterRule(pushFiltersIntoFileScans{})
}

type pushFiltersIntoFileScans struct{}

func (pushFiltersIntoFileScans) Name() string { return "PushFiltersIntoFileScans" }

func (pushFiltersIntoFileScans) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		f, ok := n.(*logical.Filter)
		if !ok {
			return n, nil
		}
		scan, ok := f.Input.(*logical.Scan)
		if !ok {
			return n, nil
		}
		if _, stored := scan.Source.(*logical.StoredDataFrame); stored {
			return n, nil
		}
		have := map[string]bool{}
		for _, e := range scan.Filters {
			have[e.String()] = true
		}
		var add []logical.Expr
		for _, c := range splitConjuncts(f.Condition) { // splitConjuncts: rules_expr.go
			if statisticsFilter(c) && !have[c.String()] {
				add = append(add, c)
				have[c.String()] = true
			}
		}
		if len(add) == 0 {
			return n, nil
		}
		changed = true
		next := *scan
		next.Filters = append(append([]logical.Expr(nil), scan.Filters...), add...)
		return &logical.Filter{Input: &next, Condition: f.Condition}, nil
	})
	return out, changed, err
}

// statisticsFilter reports conditions a scan can check with min/max/null counts: comparisons
// and null tests of columns (or casts of columns) against literals, combined with and/or.
func statisticsFilter(e logical.Expr) bool {
	switch x := e.(type) {
	case *logical.ColumnRef, *logical.Literal:
		return true
	case *logical.Cast:
		switch x.Child.(type) {
		case *logical.ColumnRef, *logical.Literal:
			return true
		}
		return false
	case *logical.Call:
		switch x.Function {
		case "eq", "lt", "lte", "gt", "gte", "isnull", "isnotnull", "and", "or":
			for _, a := range x.Args {
				if !statisticsFilter(a) {
					return false
				}
			}
			return true
		}
	}
	return false
}
