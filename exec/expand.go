package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/physical"
)

// expand runs physical.Expand: it keeps one input batch and returns one projected batch per
// projection list before reading the next, so grouping sets cost one projection per set and
// no row-at-a-time work.
type expand struct {
	tc    *TaskContext
	node  *physical.Expand
	input Operator
	// current is the input batch being expanded (owned here) and next the projection it is at.
	current arrow.RecordBatch
	next    int
}

func init() {
	RegisterBuilder(&physical.Expand{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Expand)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		return &expand{tc: tc, node: node, input: in}, nil
	})
}

func (e *expand) Open(ctx context.Context) error { return e.input.Open(ctx) }
func (e *expand) Schema() *arrow.Schema          { return e.node.OutSchema }

func (e *expand) Close() error {
	e.dropCurrent()
	return e.input.Close()
}

func (e *expand) dropCurrent() {
	if e.current != nil {
		e.current.Release()
		e.current = nil
	}
}

// Next returns the next projected batch; the caller releases it.
func (e *expand) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for e.current == nil || e.next >= len(e.node.Projections) {
		e.dropCurrent()
		b, err := e.input.Next(ctx)
		if err != nil {
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		e.current, e.next = b, 0
	}
	projection := e.node.Projections[e.next]
	e.next++
	return ProjectBatch(&EvalContext{Ctx: ctx, Task: e.tc}, projection, e.node.OutSchema, e.current)
}
