package flightserver

import (
	"context"
	"strings"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/logical"
)

func init() {
	ExplainAnalyze = explainAnalyze
}

// explainAnalyze runs every stage of a query, result stage included (its rows are counted and
// dropped), and renders the stages with per-task totals and per-operator metrics, after the
// logical plans.
func explainAnalyze(s *Server, ctx context.Context, q *Query) (string, error) {
	tc := s.TaskContext(q.Session)
	parts, plan, metrics, err := exec.CollectResult(ctx, tc, q.Physical)
	if err != nil {
		return "", err
	}
	for _, p := range parts {
		for _, b := range p {
			b.Release()
		}
	}
	var b strings.Builder
	b.WriteString("== Optimized Logical Plan ==\n")
	b.WriteString(logical.Format(q.Optimized))
	b.WriteString("\n== Physical Plan (analyzed) ==\n")
	b.WriteString(exec.FormatAnalyzed(plan, metrics))
	return b.String(), nil
}
