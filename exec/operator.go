// Package exec runs physical plans: operators over arrow.RecordBatch, expression evaluation,
// the block store, and (as they land) shuffle, hash aggregate/join, sort, scheduling and spill.
// It turns planner/physical nodes into operators; it must not import flightserver.
package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/zap"
)

// Operator is the one interface every executor node implements.
//
//   - Open prepares the operator; no rows are computed before the first Next.
//   - Next returns the next batch, or (nil, io.EOF) at the end. The caller owns the returned batch
//     and must Release it. Errors surface through Next.
//   - Close releases everything the operator holds and its inputs; it is idempotent and safe
//     without Open.
type Operator interface {
	Open(ctx context.Context) error
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close() error
	// Schema is the schema of every batch Next returns.
	Schema() *arrow.Schema
}

// TaskContext is what a task's operators share: the allocator, the block store and settings.
type TaskContext struct {
	Allocator memory.Allocator
	Store     *BlockStore
	Logger    *zap.Logger
	// BatchSize is the target rows per batch produced by sources.
	BatchSize int
	// ANSI is spark.sql.ansi.enabled.
	ANSI bool
	// SessionTimeZone is spark.sql.session.timeZone.
	SessionTimeZone string
	// Extensions carries services owned by other packages (the UDF worker pool, spill directory).
	Extensions map[string]any
}

// DefaultBatchSize matches Spark's spark.sql.execution.arrow.maxRecordsPerBatch default.
const DefaultBatchSize = 10000

// NewTaskContext returns a task context with defaults.
func NewTaskContext(mem memory.Allocator, store *BlockStore, logger *zap.Logger) *TaskContext {
	if logger == nil {
		logger = zap.NewNop()
	}
	return &TaskContext{Allocator: mem, Store: store, Logger: logger, BatchSize: DefaultBatchSize, ANSI: true, SessionTimeZone: "UTC", Extensions: map[string]any{}}
}
