package flightserver

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/optimizer"
	"github.com/quiverdata/quiver/planner/physical"
	"github.com/quiverdata/quiver/planner/protoplan"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Query is a planned query: its plans at each layer and the partitions to serve.
type Query struct {
	Session   *Session
	Analyzed  logical.Plan
	Optimized logical.Plan
	Physical  physical.Node
	// Job runs the stages before the result stage; nil when the plan has one stage.
	Job exec.Job
	// remaining counts result partitions not yet served; the last one releases Job.
	remaining atomic.Int32
}

// Schema is the result schema.
func (q *Query) Schema() *arrow.Schema { return q.Physical.Schema() }

// NewAnalyzer returns an analyzer bound to a session's catalog and settings.
func (s *Server) NewAnalyzer(session *Session) *analyzer.Analyzer {
	a := analyzer.New(&catalog{server: s, session: session}, session.AnalyzerConfig(s.cfg.DefaultParallelism))
	if SQLExpressionParser != nil {
		a.ParseSQLExpression = SQLExpressionParser
	}
	return a
}

// PlanProto plans a proto plan for a session.
func (s *Server) PlanProto(session *Session, plan *pb.Plan) (*Query, error) {
	a := s.NewAnalyzer(session)
	analyzed, err := protoplan.NewConverter(a).Plan(plan)
	if err != nil {
		return nil, err
	}
	return s.PlanLogical(session, analyzed)
}

// PlanLogical optimizes and lowers an analyzed plan.
func (s *Server) PlanLogical(session *Session, analyzed logical.Plan) (*Query, error) {
	optimized, err := optimizer.New().Optimize(analyzed)
	if err != nil {
		return nil, err
	}
	cfg := session.AnalyzerConfig(s.cfg.DefaultParallelism)
	node, err := (&physical.Planner{DefaultParallelism: cfg.DefaultParallelism, BroadcastThreshold: session.BroadcastThreshold(),
		AdaptiveDisabled: session.AdaptiveDisabled()}).Plan(optimized)
	if err != nil {
		return nil, err
	}
	return &Query{Session: session, Analyzed: analyzed, Optimized: optimized, Physical: node}, nil
}

// TaskContext returns a task context for a session's query.
func (s *Server) TaskContext(session *Session) *exec.TaskContext {
	tc := exec.NewTaskContext(s.mem, s.store, s.log)
	cfg := session.AnalyzerConfig(s.cfg.DefaultParallelism)
	tc.ANSI = cfg.ANSI
	tc.SessionTimeZone = cfg.SessionTimeZone
	tc.BatchSize = session.BatchSize()
	for _, ext := range taskExtensions {
		ext(s, session, tc)
	}
	return tc
}

// taskExtensions add services (UDF worker pool, spill) to task contexts; registered by other files.
var taskExtensions []func(s *Server, session *Session, tc *exec.TaskContext)

// Prepare runs every stage before the result stage, so DoGet only streams the last one.
func (q *Query) Prepare(ctx context.Context, tc *exec.TaskContext) error {
	if exec.PrepareJob == nil {
		return nil
	}
	job, node, err := exec.PrepareJob(ctx, tc, q.Physical)
	if err != nil {
		return err
	}
	q.Job = job
	q.Physical = node
	return nil
}

// Release frees what the query's earlier stages hold (shuffle output).
func (q *Query) Release() {
	if q.Job != nil {
		q.Job.Release()
	}
}

// Explain renders the plans for a mode.
func (q *Query) Explain(mode pb.ActionAnalyzePlan_ExplainMode) string {
	var b strings.Builder
	switch mode {
	case pb.ActionAnalyzePlan_EXPLAIN_MODE_EXTENDED, pb.ActionAnalyzePlan_EXPLAIN_MODE_COST, pb.ActionAnalyzePlan_EXPLAIN_MODE_CODEGEN:
		b.WriteString("== Analyzed Logical Plan ==\n")
		b.WriteString(logical.Format(q.Analyzed))
		b.WriteString("\n== Optimized Logical Plan ==\n")
		b.WriteString(logical.Format(q.Optimized))
		b.WriteString("\n== Physical Plan ==\n")
		b.WriteString(exec.FormatPhysical(q.Physical))
	case pb.ActionAnalyzePlan_EXPLAIN_MODE_FORMATTED:
		b.WriteString("== Physical Plan ==\n")
		b.WriteString(exec.FormatPhysical(q.Physical))
		b.WriteString("\n== Optimized Logical Plan ==\n")
		b.WriteString(logical.Format(q.Optimized))
	default:
		b.WriteString("== Physical Plan ==\n")
		b.WriteString(exec.FormatPhysical(q.Physical))
	}
	return b.String()
}
