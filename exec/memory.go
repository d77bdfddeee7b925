package exec

// Memory accounting and spilling.
//
// The server has one MemoryPool with a limit (quiver serve --memory-limit; default half of the
// memory, 0 = unlimited; decision 0014). Every operator that holds rows beyond the batch it is
// working on (hash aggregate, hash and nested-loop join build sides, sort, window, INTERSECT/
// EXCEPT, shuffle buffers) takes a MemoryReservation from the task's pool and accounts the
// bytes it keeps:
//
//	res := tc.MemoryPool().NewReservation("HashAggregate")
//	defer res.Free()
//	if !res.TryGrow(BatchBytes(b)) {
//		// over the limit: write what you hold to a spill file (tc.NewSpillFile), res.Shrink(...)
//	}
//
// Grow fails with errkind.ErrResourceExhausted when the pool is full; operators that can spill
// use TryGrow and spill instead of failing. Spill files are Arrow IPC streams
// (arrowio.SpillWriter): write batches, Finish, read them back as a stream, Close deletes the
// file. Spilled bytes are counted in the task's metrics (SpillBytes).
//
// The pool accounts bytes the operators report; it does not intercept allocations. Batches
// flowing between operators are not accounted: they are bounded by the batch size.

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
)

// MemoryPool is a byte budget shared by the operators of every running task.
type MemoryPool struct {
	mu    sync.Mutex
	limit int64 // <= 0: unlimited
	used  int64
	peak  int64
	// SpillDir is where spill files go; os.TempDir() when empty.
	SpillDir string
	// spilled counts the bytes every operator using the pool wrote to spill files.
	spilled atomic.Int64
}

// SpilledBytes is the count of bytes written to spill files by operators using the pool.
func (p *MemoryPool) SpilledBytes() int64 { return p.spilled.Load() }

// NewMemoryPool returns a pool with a limit in bytes (<= 0: unlimited).
func NewMemoryPool(limit int64) *MemoryPool { return &MemoryPool{limit: limit} }

// unlimitedPool serves task contexts that were given no pool (tests, tools).
var unlimitedPool = NewMemoryPool(0)

// Limit is the pool's limit in bytes (<= 0: unlimited).
func (p *MemoryPool) Limit() int64 { return p.limit }

// Used is the count of bytes reserved now.
func (p *MemoryPool) Used() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.used
}

// Peak is the highest Used seen.
func (p *MemoryPool) Peak() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak
}

func (p *MemoryPool) tryGrow(n int64) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit > 0 && p.used+n > p.limit {
		return false
	}
	p.used += n
	p.peak = max(p.peak, p.used)
	return true
}

func (p *MemoryPool) shrink(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.used -= n
}

// NewReservation returns an empty reservation named after its consumer (for error messages).
func (p *MemoryPool) NewReservation(consumer string) *MemoryReservation {
	return &MemoryReservation{pool: p, consumer: consumer}
}

// MemoryReservation is the bytes one operator holds. Not safe for concurrent use: each operator
// instance owns its own.
type MemoryReservation struct {
	pool     *MemoryPool
	consumer string
	size     int64
}

// Size is the count of reserved bytes.
func (r *MemoryReservation) Size() int64 { return r.size }

// TryGrow reserves n more bytes if the pool has room and reports whether it did.
func (r *MemoryReservation) TryGrow(n int64) bool {
	if n <= 0 {
		return true
	}
	if !r.pool.tryGrow(n) {
		return false
	}
	r.size += n
	return true
}

// Grow reserves n more bytes or fails with ErrResourceExhausted, naming the consumer and the
// limit so the user knows which setting to raise.
func (r *MemoryReservation) Grow(n int64) error {
	if r.TryGrow(n) {
		return nil
	}
	return fmt.Errorf("%w: %s needs %d more bytes but the server's memory limit of %d bytes is reached (%d in use); "+
		"raise quiver serve --memory-limit or reduce the data this operation holds at once",
		errkind.ErrResourceExhausted, r.consumer, n, r.pool.limit, r.pool.Used())
}

// Shrink returns n bytes to the pool.
func (r *MemoryReservation) Shrink(n int64) {
	n = min(n, r.size)
	if n <= 0 {
		return
	}
	r.size -= n
	r.pool.shrink(n)
}

// Resize sets the reservation to exactly n bytes, failing like Grow when growing is impossible.
func (r *MemoryReservation) Resize(n int64) error {
	if n > r.size {
		return r.Grow(n - r.size)
	}
	r.Shrink(r.size - n)
	return nil
}

// Free returns every reserved byte; the reservation stays usable.
func (r *MemoryReservation) Free() { r.Shrink(r.size) }

const (
	memoryPoolExtension = "quiver.memory_pool"
	metricsExtension    = "quiver.task_metrics"
)

// MemoryPool returns the task's memory pool; an unlimited pool when none was set.
func (tc *TaskContext) MemoryPool() *MemoryPool {
	if p, ok := tc.Extensions[memoryPoolExtension].(*MemoryPool); ok {
		return p
	}
	return unlimitedPool
}

// SetMemoryPool makes operators of tasks using tc account against p.
func (tc *TaskContext) SetMemoryPool(p *MemoryPool) {
	if tc.Extensions == nil {
		tc.Extensions = map[string]any{}
	}
	tc.Extensions[memoryPoolExtension] = p
}

// NewSpillFile creates a spill file for batches of schema in the pool's spill directory. The
// caller Finishes it, reads it back and Closes it (which deletes it).
func (tc *TaskContext) NewSpillFile(schema *arrow.Schema) (*arrowio.SpillWriter, error) {
	dir := tc.MemoryPool().SpillDir
	if dir == "" {
		dir = os.TempDir()
	}
	w, err := arrowio.NewSpillWriter(dir, schema, tc.Allocator)
	if err != nil {
		return nil, fmt.Errorf("%w: cannot create a spill file in %s: %v", errkind.ErrResourceExhausted, dir, err)
	}
	pool, metrics := tc.MemoryPool(), tc.Metrics()
	w.OnWrite = func(bytes int64) {
		pool.spilled.Add(bytes)
		if metrics != nil {
			metrics.SpillBytes.Add(bytes)
		}
	}
	return w, nil
}
