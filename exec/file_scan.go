package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/physical"
)

func init() {
	RegisterBuilder(&physical.FileScan{}, buildFileScan)
}

// fileScan reads one partition of a file scan: its splits, in order. Files are opened lazily,
// one at a time, on Next.
type fileScan struct {
	tc     *TaskContext
	node   *physical.FileScan
	part   int
	reader *arrowio.SplitReader
	// runtime are the runtime filters joins above gave the scan (join_runtime_filter.go);
	// started is set at the first Next, after which none is accepted.
	runtime []*arrowio.Predicate
	started bool
}

func buildFileScan(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	return &fileScan{tc: tc, node: n.(*physical.FileScan), part: partition}, nil
}

func (s *fileScan) Schema() *arrow.Schema { return s.node.OutSchema }

func (s *fileScan) Open(ctx context.Context) error {
	s.reader = arrowio.NewSplitReader(ctx, s.node.Dataset, s.node.Splits[s.part], s.node.Projection, s.tc.Allocator, s.tc.BatchSize)
	// The pushed filter's conjuncts stay in the Filter above the scan (PushFiltersIntoFileScans),
	// so the reader may drop rows that certainly fail them before the Filter evaluates the rest.
	s.reader.FilterRows(s.node.Pushed)
	return nil
}

// Next returns the next batch (owned by the caller) or io.EOF.
func (s *fileScan) Next(ctx context.Context) (arrow.RecordBatch, error) {
	// Rows and bytes read are counted by the task's source instrumentation.
	s.started = true
	return s.reader.Next()
}

func (s *fileScan) Close() error {
	if s.reader != nil {
		err := s.reader.Close()
		s.reader = nil
		return err
	}
	return nil
}
