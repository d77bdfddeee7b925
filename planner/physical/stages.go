package physical

import (
	"fmt"
	"strings"
	"sync/atomic"
)

// StageState is where a stage is in its life. Transitions: unresolved -> resolved (every input
// stage succeeded) -> running -> succeeded | failed.
type StageState int32

const (
	StageUnresolved StageState = iota
	StageResolved
	StageRunning
	StageSucceeded
	StageFailed
)

func (s StageState) String() string {
	switch s {
	case StageUnresolved:
		return "unresolved"
	case StageResolved:
		return "resolved"
	case StageRunning:
		return "running"
	case StageSucceeded:
		return "succeeded"
	case StageFailed:
		return "failed"
	}
	return fmt.Sprintf("state(%d)", int32(s))
}

// Stage is a piece of a physical plan that runs as one set of tasks, one per partition of Root,
// without redistributing rows. A shuffle stage's tasks write Root's rows partitioned as Output
// says; the result stage's partitions are what the client reads.
type Stage struct {
	// ID numbers stages in execution order from 1; the result stage has the highest id.
	ID int
	// Root is what each task computes (partition i in task i). Exchanges inside Root are the
	// stage's inputs: they read earlier stages' output.
	Root Node
	// Output is the exchange this stage writes for; nil for the result stage.
	Output *Exchange
	// Inputs are the stages whose output Root reads; all must succeed before this one runs.
	Inputs []*Stage
	// Data is the executor's shuffle output once the stage succeeded; the planner never reads it.
	Data any
	// Skipped is set when an adaptive join made this stage unnecessary: its consumer computes
	// Root in place (AdaptiveJoin.ConvertToBroadcast). A skipped stage counts as succeeded.
	Skipped bool
	// Shared is set when more than one exchange reads this stage (exchange reuse, reuse.go):
	// no consumer may then compute Root in place instead.
	Shared bool
	state  atomic.Int32
}

// State returns the stage's current state.
func (s *Stage) State() StageState { return StageState(s.state.Load()) }

// SetState moves the stage to a new state.
func (s *Stage) SetState(st StageState) { s.state.Store(int32(st)) }

// NumTasks is the count of tasks: one per partition of Root.
func (s *Stage) NumTasks() int { return s.Root.NumPartitions() }

// IsResult reports whether this is the query's result stage.
func (s *Stage) IsResult() bool { return s.Output == nil }

// Describe is the stage's header line in explain output.
func (s *Stage) Describe() string {
	if s.Output == nil {
		return fmt.Sprintf("Stage %d (result): %d tasks", s.ID, s.NumTasks())
	}
	if s.Skipped {
		return fmt.Sprintf("Stage %d: skipped, its join became a broadcast join that reads its input in place", s.ID)
	}
	return fmt.Sprintf("Stage %d: %d tasks -> %s", s.ID, s.NumTasks(), s.Output.Partitioning.String())
}

// StagePlan is a physical plan cut into stages.
type StagePlan struct {
	// Stages in execution order: every stage comes after its inputs; the result stage is last.
	Stages []*Stage
}

// Result is the stage whose partitions are the query's result.
func (p *StagePlan) Result() *Stage { return p.Stages[len(p.Stages)-1] }

// CutStages cuts a plan at its exchanges. It links every Exchange to the stage computing its
// input (Exchange.Stage), so call it once per run of a plan; the stages start unresolved, or
// resolved when they read no other stage.
func CutStages(root Node) *StagePlan {
	plan := &StagePlan{}
	seen := map[*Exchange]*Stage{}
	byKey := map[string]*Stage{}
	var inputsOf func(children []Node) []*Stage
	inputsOf = func(children []Node) []*Stage {
		var out []*Stage
		for _, c := range children {
			if e, ok := c.(*Exchange); ok {
				st, done := seen[e]
				var key string
				reusable := false
				if !done {
					key, reusable = reuseKey(e)
				}
				if reusable {
					if st, done = byKey[key]; done {
						// The same rows in the same partitions: read the stage already cut.
						st.Shared = true
						seen[e] = st
						e.Stage = st
					}
				}
				if !done {
					st = &Stage{Root: e.Input, Output: e}
					if reusable {
						byKey[key] = st
					}
					st.Inputs = inputsOf([]Node{e.Input})
					seen[e] = st
					e.Stage = st
					plan.add(st)
				}
				out = append(out, st)
				continue
			}
			out = append(out, inputsOf(c.Children())...)
		}
		return out
	}
	// The root itself may be an exchange: the result stage then reads its output back.
	result := &Stage{Root: root}
	result.Inputs = inputsOf([]Node{root})
	plan.add(result)
	return plan
}

func (p *StagePlan) add(s *Stage) {
	s.ID = len(p.Stages) + 1
	if len(s.Inputs) == 0 {
		s.SetState(StageResolved)
	}
	p.Stages = append(p.Stages, s)
}

// FormatStages renders every stage as a tree, in execution order. Exchanges are the leaves of the
// stage that reads them and name the stage they read.
func FormatStages(p *StagePlan) string {
	var b strings.Builder
	for i, st := range p.Stages {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(st.Describe())
		b.WriteString("\n")
		if st.Skipped {
			continue
		}
		formatStageTree(&b, st.Root, 1)
	}
	return b.String()
}

func formatStageTree(b *strings.Builder, n Node, depth int) {
	if depth > 1 {
		b.WriteString(strings.Repeat("   ", depth-1))
		b.WriteString("+- ")
	} else {
		b.WriteString("   ")
	}
	b.WriteString(n.Describe())
	b.WriteString("\n")
	if _, ok := n.(*Exchange); ok {
		return
	}
	for _, c := range n.Children() {
		formatStageTree(b, c, depth+1)
	}
}

// AdaptiveJoin is a shuffled join that may become a broadcast join at run time: once Build has
// run, if it wrote at most Join.AdaptiveThreshold bytes, ConvertToBroadcast makes the join read
// Build's whole output in every task and compute the probe side in place, so Probe never runs.
type AdaptiveJoin struct {
	Join         *HashJoin
	Build, Probe *Stage
	// Holder is the stage whose tasks run the join.
	Holder *Stage
}

// LeftBuildAllowed reports whether a semi or anti join that builds its left side may become a
// broadcast join: its tasks then mark the build rows that have a partner in marks they share,
// and emit each row once (a semi join's on its first match, an anti join's unmarked rows after
// the last task), which holds only if each of the holder's partitions runs exactly once. A
// shuffle stage's tasks do; a range-partitioned stage runs its partitions twice (once to sample
// bounds) and the result stage's partitions are run by the client's reads.
func (a *AdaptiveJoin) LeftBuildAllowed() bool {
	return a.Holder != nil && !a.Holder.IsResult() && a.Holder.Output.Partitioning.Kind != RangePartitioning
}

// AdaptiveJoins finds the joins of the plan that may become broadcast joins, by probe stage.
func (p *StagePlan) AdaptiveJoins() map[*Stage]*AdaptiveJoin {
	out := map[*Stage]*AdaptiveJoin{}
	var holder *Stage
	var walk func(n Node)
	walk = func(n Node) {
		if j, ok := n.(*HashJoin); ok && j.AdaptiveThreshold > 0 && !j.Broadcast {
			build, buildOK := j.BuildNode().(*Exchange)
			probe, probeOK := j.ProbeNode().(*Exchange)
			if buildOK && probeOK && build.Stage != nil && probe.Stage != nil && build.Stage != probe.Stage && !probe.Stage.Shared {
				out[probe.Stage] = &AdaptiveJoin{Join: j, Build: build.Stage, Probe: probe.Stage, Holder: holder}
			}
		}
		if _, ok := n.(*Exchange); ok {
			return
		}
		for _, c := range n.Children() {
			walk(c)
		}
	}
	for _, st := range p.Stages {
		holder = st
		walk(st.Root)
	}
	return out
}

// ConvertToBroadcast turns the join into a broadcast join reading the build stage's output
// whole; the probe side's exchange is replaced by its input, and the probe stage is marked
// skipped. Call it before the stage holding the join starts.
func (a *AdaptiveJoin) ConvertToBroadcast() {
	probe := a.Join.ProbeNode().(*Exchange)
	if a.Join.Build == BuildLeft {
		a.Join.Right = probe.Input
	} else {
		a.Join.Left = probe.Input
	}
	a.Join.Broadcast = true
	a.Probe.Skipped = true
}
