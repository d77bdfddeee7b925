package exec

import (
	"context"

	"github.com/quiverdata/quiver/planner/physical"
)

// Job is the running state of a multi-stage query: shuffle outputs of finished stages.
type Job interface {
	// Release frees the job's stage outputs.
	Release()
}

// PrepareJob runs every stage before the result stage and returns the node whose partitions the
// caller streams. Set by the scheduler; nil means plans run as a single stage.
var PrepareJob func(ctx context.Context, tc *TaskContext, node physical.Node) (Job, physical.Node, error)

// FormatPhysical renders a physical plan; the scheduler replaces it to show stages.
var FormatPhysical = physical.Format
