package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"go.uber.org/zap"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// The scheduler runs a physical plan cut into stages (physical.CutStages). A stage runs when
// every stage it reads has succeeded; independent stages run at the same time. A stage is a set
// of tasks, one per partition, run on a shared pool of task slots (one per core by default).
// A task that fails or panics (the panic is recovered at the task root and becomes an error)
// fails its stage and cancels the whole job; so does cancelling the context. The first failure is
// the job's error. Each task records TaskMetrics into the job's JobMetrics.

const taskSlotsExtension = "quiver.task_slots"

// SetTaskSlots sets how many tasks run at once for jobs started with tc (<= 0: one per core).
func (tc *TaskContext) SetTaskSlots(n int) {
	if tc.Extensions == nil {
		tc.Extensions = map[string]any{}
	}
	tc.Extensions[taskSlotsExtension] = n
}

func (tc *TaskContext) taskSlots() int {
	if n, ok := tc.Extensions[taskSlotsExtension].(int); ok && n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// Scheduler runs stages of one job on a pool of task slots.
type Scheduler struct {
	slots   chan struct{}
	metrics *JobMetrics
	tc      *TaskContext
	// outputs are the shuffle outputs written so far, released with the job.
	mu      sync.Mutex
	outputs []*ShuffleOutput
}

// NewScheduler returns a scheduler running tasks with tc's allocator, pool and settings.
func NewScheduler(tc *TaskContext) *Scheduler {
	return &Scheduler{slots: make(chan struct{}, tc.taskSlots()), metrics: &JobMetrics{}, tc: tc}
}

// Metrics are the metrics of every task run so far.
func (s *Scheduler) Metrics() *JobMetrics { return s.metrics }

// Release frees the shuffle output of every stage run. Idempotent.
func (s *Scheduler) Release() {
	s.mu.Lock()
	outputs := s.outputs
	s.outputs = nil
	s.mu.Unlock()
	for _, o := range outputs {
		o.Release()
	}
}

// TaskFunc runs one task: partition of a stage, with a task context recording its metrics.
type TaskFunc func(ctx context.Context, tc *TaskContext, st *physical.Stage, partition int) error

// RunStages runs the shuffle stages of plan (every stage but the result stage), in dependency
// order. On failure the job is cancelled, its shuffle output released, and the first error
// returned.
func (s *Scheduler) RunStages(ctx context.Context, plan *physical.StagePlan) error {
	return s.run(ctx, plan, nil)
}

// RunAll runs every stage, the result stage's tasks with result (which consumes partition's
// rows). Used by explain("analyze") and tests.
func (s *Scheduler) RunAll(ctx context.Context, plan *physical.StagePlan, result TaskFunc) error {
	return s.run(ctx, plan, result)
}

func (s *Scheduler) run(ctx context.Context, plan *physical.StagePlan, result TaskFunc) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errMu    sync.Mutex
		firstErr error
	)
	fail := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		cancel()
	}
	done := make(map[*physical.Stage]chan struct{}, len(plan.Stages))
	for _, st := range plan.Stages {
		done[st] = make(chan struct{})
	}
	adaptive := plan.AdaptiveJoins()
	var wg sync.WaitGroup
	for _, st := range plan.Stages {
		var task TaskFunc
		switch {
		case !st.IsResult():
			task = nil // set up by runStage once its inputs exist
		case result != nil:
			task = result
		default:
			close(done[st])
			continue
		}
		wg.Add(1)
		go func(st *physical.Stage, task TaskFunc) {
			defer wg.Done()
			defer close(done[st])
			// Stage set-up (range bounds, build-side choice) runs outside runTask's recover; a
			// bug there must fail this query, not end the server.
			defer func() {
				if r := recover(); r != nil {
					if s.tc.Logger != nil {
						s.tc.Logger.Error("stage panicked", zap.Int("stage", st.ID), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
					}
					st.SetState(physical.StageFailed)
					fail(errkind.Internal("stage %d panicked: %v (this is a Quiver bug; the server is still running)", st.ID, r))
				}
			}()
			for _, in := range st.Inputs {
				select {
				case <-done[in]:
				case <-ctx.Done():
					st.SetState(physical.StageFailed)
					return
				}
				if in.State() != physical.StageSucceeded {
					st.SetState(physical.StageFailed)
					return
				}
			}
			if a, ok := adaptive[st]; ok {
				// The probe side of a join that may become a broadcast join waits for the build
				// side: when that is small, this stage need not run at all.
				select {
				case <-done[a.Build]:
				case <-ctx.Done():
					st.SetState(physical.StageFailed)
					return
				}
				if a.Build.State() == physical.StageSucceeded && s.convertToBroadcast(a) {
					st.SetState(physical.StageSucceeded)
					return
				}
			}
			st.SetState(physical.StageResolved)
			chooseBuildSides(st.Root)
			if err := s.runStage(ctx, st, task); err != nil {
				st.SetState(physical.StageFailed)
				fail(err)
				return
			}
			st.SetState(physical.StageSucceeded)
		}(st, task)
	}
	wg.Wait()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("%w: the query was cancelled: %v", errkind.ErrCanceled, ctx.Err())
	}
	if firstErr != nil {
		s.Release()
		return firstErr
	}
	return nil
}

// convertToBroadcast turns an adaptive join into a broadcast join when its build stage wrote at
// most the join's threshold, and reports whether it did.
func (s *Scheduler) convertToBroadcast(a *physical.AdaptiveJoin) bool {
	out, ok := a.Build.Data.(*ShuffleOutput)
	if !ok || out.DataBytes() > a.Join.AdaptiveThreshold {
		return false
	}
	leftBuild := a.Join.Build == physical.BuildLeft && (a.Join.Type == logical.LeftSemiJoin || a.Join.Type == logical.LeftAntiJoin)
	if leftBuild && !a.LeftBuildAllowed() {
		return false
	}
	a.ConvertToBroadcast()
	return true
}

// chooseBuildSides makes each shuffled join of a stage about to run build its hash table from
// the side whose stage wrote fewer bytes, now that both are known: the planner's estimates can
// be far off (TPC-H Q18 estimated 57 orders as millions and built from 6 M lineitem rows).
// A semi or anti join may build its left (tested) side too: a semi join then emits each left row
// on its first match (hashJoin.semiBuild), an anti join its unmatched left rows at the end
// (hashJoin.antiBuild).
func chooseBuildSides(n physical.Node) {
	if _, ok := n.(*physical.Exchange); ok {
		return
	}
	for _, c := range n.Children() {
		chooseBuildSides(c)
	}
	j, ok := n.(*physical.HashJoin)
	if !ok || j.Broadcast || len(j.LeftKeys) == 0 {
		return
	}
	switch j.Type {
	case logical.InnerJoin, logical.LeftOuterJoin, logical.RightOuterJoin, logical.FullOuterJoin, logical.LeftSemiJoin, logical.LeftAntiJoin:
	default:
		return
	}
	left, leftOK := shuffleOutputOf(j.Left)
	right, rightOK := shuffleOutputOf(j.Right)
	if !leftOK || !rightOK {
		return
	}
	if j.Type == logical.LeftSemiJoin || j.Type == logical.LeftAntiJoin {
		// Building the left side gives up the semi join's stop at a probe row's first
		// partner and chains the left side's repeated keys, so it is worth it only when the
		// right side is much larger (TPC-H Q4 and Q21, sides within 2x, were slower built left).
		// The planner may have chosen the left side for an adaptive broadcast that did not
		// happen; the same rule decides then.
		j.Build = physical.BuildRight
		if l, r := left.DataBytes(), right.DataBytes(); l*semiBuildLeftRatio < r {
			j.Build = physical.BuildLeft
		}
		return
	}
	if l, r := left.DataBytes(), right.DataBytes(); l < r {
		j.Build = physical.BuildLeft
	} else if r < l {
		j.Build = physical.BuildRight
	}
}

// semiBuildLeftRatio is how many times more bytes a semi join's right side must have written
// than its left side for the join to build the left side.
const semiBuildLeftRatio = 8

func shuffleOutputOf(n physical.Node) (*ShuffleOutput, bool) {
	e, ok := n.(*physical.Exchange)
	if !ok || e.Stage == nil {
		return nil, false
	}
	out, ok := e.Stage.Data.(*ShuffleOutput)
	return out, ok
}

// runStage runs every task of a stage on the slot pool and waits for them.
func (s *Scheduler) runStage(ctx context.Context, st *physical.Stage, task TaskFunc) error {
	st.SetState(physical.StageRunning)
	if task == nil {
		factory, ok := partitioners[st.Output.Partitioning.Kind]
		if !ok {
			return errkind.NotImplemented("%s is not supported by the shuffle yet", st.Output.Partitioning.String())
		}
		makePartitioner, err := factory(ctx, s.tc, st.Output)
		if err != nil {
			return err
		}
		// Partitioners may share state built once per stage (a range partitioner's sampled
		// bounds); runStage waits for every task before returning, so freeing it here is safe.
		defer func() {
			if r, ok := makePartitioner(0).(stageResources); ok {
				r.ReleaseStageResources()
			}
		}()
		out := newShuffleOutput(st.Root.Schema(), st.Output.Partitioning.OutputPartitions(), st.NumTasks())
		s.mu.Lock()
		s.outputs = append(s.outputs, out)
		s.mu.Unlock()
		st.Data = out
		task = func(ctx context.Context, tc *TaskContext, st *physical.Stage, partition int) error {
			return runShuffleTask(ctx, tc, st, makePartitioner(partition), partition, out)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		errMu    sync.Mutex
		firstErr error
	)
	for p := 0; p < st.NumTasks(); p++ {
		acquired := false
		select {
		case s.slots <- struct{}{}:
			acquired = true
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			if acquired {
				<-s.slots
			}
			break
		}
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			defer func() { <-s.slots }()
			if err := s.runTask(ctx, st, p, task); err != nil {
				errMu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				errMu.Unlock()
				cancel()
			}
		}(p)
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%w: stage %d was cancelled: %v", errkind.ErrCanceled, st.ID, err)
	}
	return nil
}

// runTask runs one task on a locked OS thread (so its CPU time can be measured), recovering a
// panic into an error, and records its metrics.
func (s *Scheduler) runTask(ctx context.Context, st *physical.Stage, partition int, task TaskFunc) (err error) {
	m := newTaskMetrics(st.ID, partition)
	s.metrics.add(m)
	tc := s.tc.forTask(m)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var gcBefore debug.GCStats
	debug.ReadGCStats(&gcBefore)
	cpuBefore := threadCPUTime()
	start := time.Now()
	defer func() {
		if r := recover(); r != nil {
			tc.Logger.Error("task panicked", zap.Int("stage", st.ID), zap.Int("partition", partition),
				zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
			err = errkind.Internal("task %d of stage %d panicked: %v (this is a Quiver bug; the server is still running)", partition, st.ID, r)
		}
		m.RunTime = time.Since(start)
		m.CPUTime = threadCPUTime() - cpuBefore
		var gcAfter debug.GCStats
		debug.ReadGCStats(&gcAfter)
		m.GCPause = gcAfter.PauseTotal - gcBefore.PauseTotal
		if err != nil && !errors.Is(err, errkind.ErrCanceled) && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
			err = fmt.Errorf("%w: task %d of stage %d stopped: %v", errkind.ErrCanceled, partition, st.ID, err)
		}
		m.Err = err
	}()
	return task(ctx, tc, st, partition)
}

// job is a prepared query's state: the stages run before the result stage.
type job struct {
	scheduler *Scheduler
	plan      *physical.StagePlan
}

func (j *job) Release() { j.scheduler.Release() }

// Metrics are the metrics of the stages run so far.
func (j *job) Metrics() *JobMetrics { return j.scheduler.Metrics() }

// prepareJob cuts a plan into stages and runs all but the result stage; the caller streams the
// result stage's root, whose exchanges read the finished stages' output.
func prepareJob(ctx context.Context, tc *TaskContext, node physical.Node) (Job, physical.Node, error) {
	plan := physical.CutStages(node)
	if len(plan.Stages) == 1 {
		return nil, node, nil
	}
	s := NewScheduler(tc)
	if err := s.RunStages(ctx, plan); err != nil {
		return nil, nil, err
	}
	// The caller runs the result stage; its joins choose their build side like the others'.
	chooseBuildSides(plan.Result().Root)
	return &job{scheduler: s, plan: plan}, plan.Result().Root, nil
}

// formatPhysical renders a physical plan cut into stages. It cuts a copy's worth of stages: the
// exchanges are linked to fresh stages, which a later run re-links.
func formatPhysical(node physical.Node) string {
	return physical.FormatStages(physical.CutStages(node))
}

func init() {
	PrepareJob = prepareJob
	FormatPhysical = formatPhysical
}

// CollectResult runs a whole plan through the scheduler and returns each result partition's
// batches (owned by the caller) and the job's metrics. Tests and explain("analyze") use it.
func CollectResult(ctx context.Context, tc *TaskContext, node physical.Node) ([][]arrow.RecordBatch, *physical.StagePlan, *JobMetrics, error) {
	plan := physical.CutStages(node)
	s := NewScheduler(tc)
	defer s.Release()
	out := make([][]arrow.RecordBatch, plan.Result().NumTasks())
	var mu sync.Mutex
	err := s.RunAll(ctx, plan, func(ctx context.Context, tc *TaskContext, st *physical.Stage, partition int) error {
		batches, err := drainPartition(ctx, tc, st.Root, partition)
		mu.Lock()
		out[partition] = batches
		mu.Unlock()
		if m := tc.Metrics(); m != nil {
			for _, b := range batches {
				m.RowsOut.Add(b.NumRows())
				m.BytesOut.Add(BatchBytes(b))
			}
		}
		return err
	})
	if err != nil {
		for _, p := range out {
			for _, b := range p {
				b.Release()
			}
		}
		return nil, plan, s.Metrics(), err
	}
	return out, plan, s.Metrics(), nil
}

// drain runs partition of node to the end and returns its batches.
func drainPartition(ctx context.Context, tc *TaskContext, node physical.Node, partition int) (out []arrow.RecordBatch, err error) {
	op, err := Build(tc, node, partition)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := op.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if err != nil {
			for _, b := range out {
				b.Release()
			}
			out = nil
		}
	}()
	if err := op.Open(ctx); err != nil {
		return nil, err
	}
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, b)
	}
}
