package sqlplan

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// PlanExplainer renders a query's plans for EXPLAIN: the server's catalog implements it (found
// by a type assertion on the analyzer's catalog) so that SQL's EXPLAIN shows the optimized and
// physical plans (with their stages) exactly as DataFrame.explain() does. Without it EXPLAIN
// shows the analyzed logical plan.
type PlanExplainer interface {
	// ExplainPlan plans an analyzed query and renders it; mode is "" (physical plan),
	// "EXTENDED", "FORMATTED", "CODEGEN", "COST" or "LOGICAL".
	ExplainPlan(p logical.Plan, mode string) (string, error)
}

// explainText renders EXPLAIN's single row.
func explainText(c any, p logical.Plan, mode string) (string, error) {
	if explainer, ok := c.(PlanExplainer); ok && mode != "LOGICAL" {
		return explainer.ExplainPlan(p, mode)
	}
	return "== Analyzed Logical Plan ==\n" + logical.Format(p), nil
}
