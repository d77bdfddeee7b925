package exec

import (
	"context"
	"errors"
	"io"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/physical"
)

// A broadcast hash join's build side is read by every probe task. Building the hash table once
// per task repeated the concatenation and indexing in every task (4 tasks over orders in TPC-H
// Q3); instead the first task to need it builds it from the broadcast stage's output and the
// others share it read-only. The table lives as long as that output (the job).

// sharedBuild is one broadcast join's build side, indexed once.
type sharedBuild struct {
	mu    sync.Mutex
	done  bool
	err   error
	batch arrow.RecordBatch
	table *joinTable
	res   *MemoryReservation
	// tooLarge is set when the build side did not fit the memory pool: each task then builds
	// its own table and may fall back to the grace join, as for a partitioned join.
	tooLarge bool
	// matched marks the build rows that found a partner in any task, for semi and anti joins
	// that build their left side (hashJoin.sharedMatched); probesDone counts the tasks that
	// have read their whole probe side.
	matched    []atomic.Bool
	probesDone atomic.Int32
	// keys is the build keys' set handed to the probe side's scans (runtime filters), built
	// once with the table; nil when the table is not integer-keyed.
	keys arrowio.KeySet
}

func (b *sharedBuild) release() {
	if b.batch != nil {
		b.batch.Release()
		b.batch = nil
	}
	b.table = nil
	if b.res != nil {
		b.res.Free()
	}
}

// broadcastBuild returns the shared build of join in this output, creating its slot.
func (o *ShuffleOutput) broadcastBuild(join *physical.HashJoin) (*sharedBuild, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.released {
		return nil, false
	}
	if o.builds == nil {
		o.builds = map[*physical.HashJoin]*sharedBuild{}
	}
	b, ok := o.builds[join]
	if !ok {
		b = &sharedBuild{}
		o.builds[join] = b
	}
	return b, true
}

// sharedBroadcastBuild finds the shared build slot of a broadcast join whose build side is a
// finished broadcast stage; nil when the join cannot share one.
func sharedBroadcastBuild(node *physical.HashJoin) *sharedBuild {
	if !node.Broadcast {
		return nil
	}
	// A broadcast exchange has one partition; a hash exchange is read whole when an adaptive
	// join became a broadcast join.
	exchange, ok := node.BuildNode().(*physical.Exchange)
	if !ok || exchange.Stage == nil {
		return nil
	}
	out, ok := exchange.Stage.Data.(*ShuffleOutput)
	if !ok {
		return nil
	}
	b, ok := out.broadcastBuild(node)
	if !ok {
		return nil
	}
	return b
}

// useSharedBuild sets j's build batch and table from the shared build, building it first when
// this task is the first to ask. It reports false when the build side is too large to share.
func (j *hashJoin) useSharedBuild(ctx context.Context) (bool, error) {
	s := j.shared
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.done {
		s.err = j.buildShared(ctx, s)
		s.done = true
	}
	if s.err != nil {
		return false, s.err
	}
	if s.tooLarge {
		if j.semiBuild || j.antiBuild {
			// Tables built per task could not share their marks.
			return false, errkind.ResourceExhausted("the %s join's broadcast left side does not fit the memory limit; raise quiver serve --memory-limit, or set spark.sql.adaptive.enabled=false so that the join stays shuffled", j.node.Type)
		}
		return false, nil
	}
	s.batch.Retain()
	j.buildBatch = s.batch
	j.table = s.table
	if j.semiBuild || j.antiBuild {
		if s.matched == nil {
			s.matched = make([]atomic.Bool, s.batch.NumRows())
		}
		j.sharedMatched = s.matched
	}
	return true, nil
}

func (j *hashJoin) buildShared(ctx context.Context, s *sharedBuild) error {
	exchange := j.node.BuildNode().(*physical.Exchange)
	s.res = j.tc.MemoryPool().NewReservation("BroadcastHashJoin")
	var batches []arrow.RecordBatch
	defer func() { releaseBatchList(batches) }()
	for partition := 0; partition < exchange.NumPartitions(); partition++ {
		fits, err := j.readSharedPartition(ctx, exchange, partition, s.res, &batches)
		if err != nil {
			return err
		}
		if !fits {
			s.tooLarge = true
			s.res.Free()
			return nil
		}
	}
	all, err := concatRecordBatches(j.tc, exchange.Schema(), batches)
	if err != nil {
		return err
	}
	keys, err := evalExprList(&EvalContext{Ctx: ctx, Task: j.tc}, j.buildKeys(), all)
	if err != nil {
		all.Release()
		return err
	}
	defer releaseArrayList(keys)
	table := newKeyedJoinTable(j.tc, keys, j.node.NullSafe, j.intKeys())
	table.rows = int(all.NumRows())
	if !s.res.TryGrow(table.bytes()) {
		all.Release()
		s.tooLarge = true
		s.res.Free()
		return nil
	}
	s.batch, s.table = all, table
	s.keys = runtimeKeySet(table)
	if bitmap, ok := s.keys.(*arrowio.KeyBitmap); ok && !table.ranked && !s.res.TryGrow(int64(len(bitmap.Bits))*8) {
		s.keys = nil // the pool is full: no runtime filter rather than unaccounted memory
	}
	return nil
}

// readSharedPartition appends one partition of the build exchange to batches; false when the
// memory pool is full.
func (j *hashJoin) readSharedPartition(ctx context.Context, exchange *physical.Exchange, partition int, res *MemoryReservation, batches *[]arrow.RecordBatch) (bool, error) {
	reader, err := buildExchangeRead(j.tc, exchange, partition)
	if err != nil {
		return false, err
	}
	defer reader.Close()
	if err := reader.Open(ctx); err != nil {
		return false, err
	}
	for {
		b, err := reader.Next(ctx)
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		*batches = append(*batches, b)
		if !res.TryGrow(BatchBytes(b)) {
			return false, nil
		}
	}
}
