package exec

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/physical"
)

// TaskMetrics is what one task did. The scheduler fills the times; operators and the shuffle
// add rows, bytes and spill as they go.
type TaskMetrics struct {
	StageID   int
	Partition int
	// RunTime is the task's wall time; CPUTime the CPU time of the thread that ran it (Linux;
	// zero elsewhere); GCPause the stop-the-world GC pause time while it ran (process-wide, as
	// Spark's executor GC time is).
	RunTime, CPUTime, GCPause time.Duration
	// RowsIn/BytesIn: read by the task's sources (scans, shuffle reads); RowsOut/BytesOut:
	// produced by its root (shuffle writes or result rows).
	RowsIn, BytesIn, RowsOut, BytesOut atomic.Int64
	// SpillBytes are bytes written to spill files.
	SpillBytes atomic.Int64
	// Err is the task's failure, if any.
	Err error

	mu        sync.Mutex
	operators map[physical.Node]*OperatorMetrics
}

// OperatorMetrics are one operator's totals (over the tasks that ran it, in job metrics).
type OperatorMetrics struct {
	Rows, Batches, Bytes int64
	// Time is the wall time spent in Open and Next, including the operator's inputs.
	Time  time.Duration
	Tasks int
}

func newTaskMetrics(stage, partition int) *TaskMetrics {
	return &TaskMetrics{StageID: stage, Partition: partition, operators: map[physical.Node]*OperatorMetrics{}}
}

// Operators returns a copy of the per-operator metrics of the task.
func (m *TaskMetrics) Operators() map[physical.Node]OperatorMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[physical.Node]OperatorMetrics, len(m.operators))
	for n, om := range m.operators {
		out[n] = *om
	}
	return out
}

func (m *TaskMetrics) operator(n physical.Node) *OperatorMetrics {
	m.mu.Lock()
	defer m.mu.Unlock()
	om, ok := m.operators[n]
	if !ok {
		om = &OperatorMetrics{Tasks: 1}
		m.operators[n] = om
	}
	return om
}

// Metrics returns the metrics of the task using tc, or nil outside the scheduler.
func (tc *TaskContext) Metrics() *TaskMetrics {
	m, _ := tc.Extensions[metricsExtension].(*TaskMetrics)
	return m
}

// forTask returns a copy of tc for one task, recording into m.
func (tc *TaskContext) forTask(m *TaskMetrics) *TaskContext {
	cp := *tc
	cp.Extensions = make(map[string]any, len(tc.Extensions)+1)
	for k, v := range tc.Extensions {
		cp.Extensions[k] = v
	}
	cp.Extensions[metricsExtension] = m
	return &cp
}

// instrument wraps an operator so its rows, batches, bytes and time are recorded when the task
// collects metrics. Source operators (no inputs, or an exchange read) also count the task's input.
func instrument(tc *TaskContext, node physical.Node, op Operator) Operator {
	m := tc.Metrics()
	if m == nil {
		return op
	}
	_, isExchange := node.(*physical.Exchange)
	return &instrumented{Operator: op, metrics: m.operator(node), task: m, source: isExchange || len(node.Children()) == 0}
}

type instrumented struct {
	Operator
	metrics *OperatorMetrics
	task    *TaskMetrics
	source  bool
}

func (o *instrumented) Open(ctx context.Context) error {
	start := time.Now()
	err := o.Operator.Open(ctx)
	o.add(0, 0, time.Since(start), false)
	return err
}

func (o *instrumented) Next(ctx context.Context) (arrow.RecordBatch, error) {
	start := time.Now()
	b, err := o.Operator.Next(ctx)
	elapsed := time.Since(start)
	if b == nil {
		o.add(0, 0, elapsed, false)
		return b, err
	}
	rows, bytes := b.NumRows(), BatchBytes(b)
	o.add(rows, bytes, elapsed, true)
	if o.source {
		o.task.RowsIn.Add(rows)
		o.task.BytesIn.Add(bytes)
	}
	return b, err
}

func (o *instrumented) add(rows, bytes int64, d time.Duration, batch bool) {
	o.task.mu.Lock()
	defer o.task.mu.Unlock()
	o.metrics.Rows += rows
	o.metrics.Bytes += bytes
	o.metrics.Time += d
	if batch {
		o.metrics.Batches++
	}
}

// JobMetrics collects the metrics of every task of a job.
type JobMetrics struct {
	mu    sync.Mutex
	Tasks []*TaskMetrics
}

func (j *JobMetrics) add(m *TaskMetrics) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.Tasks = append(j.Tasks, m)
}

// TasksOf returns the tasks of one stage, by partition.
func (j *JobMetrics) TasksOf(stage int) []*TaskMetrics {
	j.mu.Lock()
	defer j.mu.Unlock()
	var out []*TaskMetrics
	for _, t := range j.Tasks {
		if t.StageID == stage {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Partition < out[b].Partition })
	return out
}

// Operator returns an operator's totals over all tasks.
func (j *JobMetrics) Operator(n physical.Node) (OperatorMetrics, bool) {
	j.mu.Lock()
	tasks := append([]*TaskMetrics(nil), j.Tasks...)
	j.mu.Unlock()
	var total OperatorMetrics
	found := false
	for _, t := range tasks {
		if om, ok := t.Operators()[n]; ok {
			found = true
			total.Rows += om.Rows
			total.Batches += om.Batches
			total.Bytes += om.Bytes
			total.Time += om.Time
			total.Tasks++
		}
	}
	return total, found
}

// FormatAnalyzed renders a stage plan with each stage's task totals and each operator's metrics,
// after a run (explain("analyze")).
func FormatAnalyzed(plan *physical.StagePlan, jm *JobMetrics) string {
	var b strings.Builder
	for i, st := range plan.Stages {
		if i > 0 {
			b.WriteString("\n")
		}
		tasks := jm.TasksOf(st.ID)
		var run, cpu, gc time.Duration
		var rowsIn, bytesIn, rowsOut, bytesOut, spill int64
		for _, t := range tasks {
			run += t.RunTime
			cpu += t.CPUTime
			gc += t.GCPause
			rowsIn += t.RowsIn.Load()
			bytesIn += t.BytesIn.Load()
			rowsOut += t.RowsOut.Load()
			bytesOut += t.BytesOut.Load()
			spill += t.SpillBytes.Load()
		}
		fmt.Fprintf(&b, "%s [%s]\n", st.Describe(), st.State())
		if st.Skipped {
			// Its operators ran inside the consuming stage and are shown there.
			continue
		}
		fmt.Fprintf(&b, "   tasks=%d run=%s cpu=%s gc=%s rows in=%d out=%d bytes in=%s out=%s spill=%s\n",
			len(tasks), roundDuration(run), roundDuration(cpu), roundDuration(gc), rowsIn, rowsOut, humanBytes(bytesIn), humanBytes(bytesOut), humanBytes(spill))
		var walk func(n physical.Node, depth int)
		walk = func(n physical.Node, depth int) {
			b.WriteString(strings.Repeat("   ", depth))
			if depth > 1 {
				b.WriteString("+- ")
			}
			b.WriteString(n.Describe())
			if om, ok := jm.Operator(n); ok {
				fmt.Fprintf(&b, "  {rows=%d batches=%d bytes=%s time=%s}", om.Rows, om.Batches, humanBytes(om.Bytes), roundDuration(om.Time))
			}
			b.WriteString("\n")
			if _, ok := n.(*physical.Exchange); ok {
				return
			}
			for _, c := range n.Children() {
				walk(c, depth+1)
			}
		}
		walk(st.Root, 1)
	}
	return b.String()
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d > time.Second:
		return d.Round(time.Millisecond)
	case d > time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1fGiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1fMiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1fKiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}
