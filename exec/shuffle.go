package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// The in-process shuffle: every task of a shuffle stage runs its partition of the stage's root
// and hands each row to a ShuffleWriter, which assigns target partitions (vectorized: one hash
// over the key columns, one take per batch) and buffers the rows per target, spilling them to
// Arrow IPC files when the memory pool is full. At the end of the task the buffers are committed
// to the stage's ShuffleOutput. In the consuming stage, partition p of the Exchange reads what
// every task wrote for p, in task order.

// Partitioner assigns each row of a batch a target partition.
type Partitioner interface {
	// Partition writes the target partition of each row of b into out (len(out) == b.NumRows()).
	Partition(ec *EvalContext, b arrow.RecordBatch, out []int32) error
}

// stageResources is implemented by partitioners whose instances share state built once per stage;
// the scheduler calls ReleaseStageResources once, after the stage's last task.
type stageResources interface {
	ReleaseStageResources()
}

// PartitionerFactory builds the partitioner of an exchange once per stage run, before its tasks
// start (a range partitioner may sample the stage's input to choose bounds). partition is the
// writing task's partition (round-robin uses it to stagger its start).
type PartitionerFactory func(ctx context.Context, tc *TaskContext, exchange *physical.Exchange) (func(partition int) Partitioner, error)

var partitioners = map[physical.PartitioningKind]PartitionerFactory{}

// RegisterPartitioner sets the partitioner of a partitioning kind (the sort package registers
// range partitioning); call it from init.
func RegisterPartitioner(kind physical.PartitioningKind, f PartitionerFactory) {
	partitioners[kind] = f
}

func init() {
	RegisterPartitioner(physical.HashPartitioning, func(_ context.Context, _ *TaskContext, e *physical.Exchange) (func(int) Partitioner, error) {
		return func(int) Partitioner {
			return &hashPartitioner{keys: e.Partitioning.Keys, n: uint64(e.Partitioning.OutputPartitions())}
		}, nil
	})
	RegisterPartitioner(physical.RoundRobinPartitioning, func(_ context.Context, _ *TaskContext, e *physical.Exchange) (func(int) Partitioner, error) {
		return func(p int) Partitioner {
			return &roundRobinPartitioner{n: int32(e.Partitioning.OutputPartitions()), next: int32(p % e.Partitioning.OutputPartitions())}
		}, nil
	})
	single := func(_ context.Context, _ *TaskContext, _ *physical.Exchange) (func(int) Partitioner, error) {
		return func(int) Partitioner { return singlePartitioner{} }, nil
	}
	RegisterPartitioner(physical.SinglePartitioning, single)
	RegisterPartitioner(physical.BroadcastPartitioning, single)
	RegisterBuilder(&physical.Exchange{}, buildExchangeRead)
}

// hashPartitioner sends a row to hash(keys) mod n.
type hashPartitioner struct {
	keys   []logical.Expr
	n      uint64
	hashes []uint64
}

func (h *hashPartitioner) Partition(ec *EvalContext, b arrow.RecordBatch, out []int32) error {
	columns := make([]arrow.Array, len(h.keys))
	defer func() {
		for _, c := range columns {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, k := range h.keys {
		c, err := EvalArray(ec, k, b)
		if err != nil {
			return err
		}
		columns[i] = c
	}
	if cap(h.hashes) < len(out) {
		h.hashes = make([]uint64, len(out))
	}
	hashes := h.hashes[:len(out)]
	HashColumns(ec.Task.Allocator, columns, hashes)
	for i, x := range hashes {
		out[i] = int32(x % h.n)
	}
	return nil
}

type singlePartitioner struct{}

func (singlePartitioner) Partition(_ *EvalContext, _ arrow.RecordBatch, out []int32) error {
	clear(out)
	return nil
}

// roundRobinPartitioner deals rows out one by one, each task starting at a different target.
type roundRobinPartitioner struct {
	n, next int32
}

func (r *roundRobinPartitioner) Partition(_ *EvalContext, _ arrow.RecordBatch, out []int32) error {
	for i := range out {
		out[i] = r.next
		r.next++
		if r.next == r.n {
			r.next = 0
		}
	}
	return nil
}

// shuffleBlock is one task's rows for one target: batches in memory, or a spill file followed by
// batches still in memory.
type shuffleBlock struct {
	spills  []*arrowio.SpillFile
	batches []arrow.RecordBatch
}

// ShuffleOutput is what a shuffle stage wrote: per target partition, per task, a block.
type ShuffleOutput struct {
	schema *arrow.Schema
	mu     sync.Mutex
	// blocks[target][task]
	blocks       [][]*shuffleBlock
	reservations []*MemoryReservation
	released     bool
	// dataBytes is the size of the rows written (each taken batch counted once).
	dataBytes int64
	// builds are the hash tables of broadcast joins reading this output, built once.
	builds map[*physical.HashJoin]*sharedBuild
}

func newShuffleOutput(schema *arrow.Schema, targets, tasks int) *ShuffleOutput {
	blocks := make([][]*shuffleBlock, targets)
	for i := range blocks {
		blocks[i] = make([]*shuffleBlock, tasks)
	}
	return &ShuffleOutput{schema: schema, blocks: blocks}
}

// Release frees every buffered batch and deletes spill files. Idempotent.
func (o *ShuffleOutput) Release() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.released {
		return
	}
	o.released = true
	for _, target := range o.blocks {
		for _, blk := range target {
			if blk == nil {
				continue
			}
			for _, b := range blk.batches {
				b.Release()
			}
			for _, f := range blk.spills {
				f.Close()
			}
		}
	}
	for _, r := range o.reservations {
		r.Free()
	}
	for _, b := range o.builds {
		b.mu.Lock()
		b.release()
		b.mu.Unlock()
	}
	o.builds = nil
}

// DataBytes is the size of the rows the stage wrote.
func (o *ShuffleOutput) DataBytes() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.dataBytes
}

func (o *ShuffleOutput) commit(task int, blocks []*shuffleBlock, dataBytes int64, res *MemoryReservation) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.released {
		for _, blk := range blocks {
			blk.release()
		}
		res.Free()
		return fmt.Errorf("%w: the job was released while task %d was writing", errkind.ErrCanceled, task)
	}
	for target, blk := range blocks {
		o.blocks[target][task] = blk
	}
	o.dataBytes += dataBytes
	o.reservations = append(o.reservations, res)
	return nil
}

func (blk *shuffleBlock) release() {
	for _, b := range blk.batches {
		b.Release()
	}
	blk.batches = nil
	for _, f := range blk.spills {
		f.Close()
	}
	blk.spills = nil
}

// ShuffleWriter partitions one task's rows into target partitions.
type ShuffleWriter struct {
	tc          *TaskContext
	partitioner Partitioner
	schema      *arrow.Schema
	blocks      []*shuffleBlock
	res         *MemoryReservation
	targets     []int32
	counts      []int64
	rows, bytes int64
	// dataBytes counts each buffered batch's buffers once (slices of one taken batch share them).
	dataBytes int64
}

// NewShuffleWriter returns a writer for targets partitions.
func NewShuffleWriter(tc *TaskContext, schema *arrow.Schema, p Partitioner, targets int) *ShuffleWriter {
	blocks := make([]*shuffleBlock, targets)
	for i := range blocks {
		blocks[i] = &shuffleBlock{}
	}
	return &ShuffleWriter{tc: tc, partitioner: p, schema: schema, blocks: blocks,
		res: tc.MemoryPool().NewReservation("shuffle write"), counts: make([]int64, targets+1)}
}

// Write partitions b's rows; the caller keeps ownership of b.
func (w *ShuffleWriter) Write(ctx context.Context, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	w.rows += int64(n)
	if len(w.blocks) == 1 {
		b.Retain()
		return w.buffer(0, b, BatchBytes(b))
	}
	if cap(w.targets) < n {
		w.targets = make([]int32, n)
	}
	targets := w.targets[:n]
	ec := &EvalContext{Ctx: ctx, Task: w.tc}
	if err := w.partitioner.Partition(ec, b, targets); err != nil {
		return err
	}
	// Counting sort of row indexes by target, then one take puts each target's rows together.
	counts := w.counts
	clear(counts)
	for _, t := range targets {
		counts[t+1]++
	}
	for i := 1; i < len(counts); i++ {
		counts[i] += counts[i-1]
	}
	if isOneTarget(counts, n) {
		t := oneTarget(counts)
		b.Retain()
		return w.buffer(t, b, BatchBytes(b))
	}
	idx := make([]int32, n)
	pos := append([]int64(nil), counts[:len(counts)-1]...)
	for i, t := range targets {
		idx[pos[t]] = int32(i)
		pos[t]++
	}
	taken, err := takeRowsByIndex(ec, b, idx)
	if err != nil {
		return err
	}
	defer taken.Release()
	size := BatchBytes(taken)
	first := true
	for t := 0; t < len(w.blocks); t++ {
		lo, hi := counts[t], counts[t+1]
		if lo == hi {
			continue
		}
		s := taken.NewSlice(lo, hi)
		account := int64(0)
		if first {
			account = size // the slices share the taken batch's buffers: account them once
			first = false
		}
		if err := w.buffer(t, s, account); err != nil {
			return err
		}
	}
	return nil
}

func isOneTarget(counts []int64, n int) bool {
	for i := 1; i < len(counts); i++ {
		if counts[i]-counts[i-1] == int64(n) {
			return true
		}
	}
	return false
}

func oneTarget(counts []int64) int {
	for i := 1; i < len(counts); i++ {
		if counts[i] > counts[i-1] {
			return i - 1
		}
	}
	return 0
}

// buffer keeps b (taking its reference) for target, spilling when the pool is full.
func (w *ShuffleWriter) buffer(target int, b arrow.RecordBatch, account int64) error {
	w.bytes += BatchBytes(b)
	w.dataBytes += account
	if !w.res.TryGrow(account) {
		if err := w.spill(); err != nil {
			b.Release()
			return err
		}
		// After spilling everything we hold, keep this batch even if it alone exceeds the
		// limit: a batch is bounded by the batch size.
		w.res.TryGrow(account)
	}
	w.blocks[target].batches = append(w.blocks[target].batches, b)
	return nil
}

// spill writes every buffered batch to one spill file per target.
func (w *ShuffleWriter) spill() error {
	for _, blk := range w.blocks {
		if len(blk.batches) == 0 {
			continue
		}
		sw, err := w.tc.NewSpillFile(w.schema)
		if err != nil {
			return err
		}
		for _, b := range blk.batches {
			if err := sw.Write(b); err != nil {
				sw.Abort()
				return err
			}
		}
		f, err := sw.Finish()
		if err != nil {
			return err
		}
		for _, b := range blk.batches {
			b.Release()
		}
		blk.batches = nil
		blk.spills = append(blk.spills, f)
	}
	w.res.Free()
	return nil
}

// Commit hands the buffered rows to the stage output; the writer is done afterwards.
func (w *ShuffleWriter) commit(out *ShuffleOutput, task int) error {
	if m := w.tc.Metrics(); m != nil {
		m.RowsOut.Add(w.rows)
		m.BytesOut.Add(w.bytes)
	}
	blocks := w.blocks
	w.blocks = nil
	return out.commit(task, blocks, w.dataBytes, w.res)
}

// Abort drops everything buffered.
func (w *ShuffleWriter) abort() {
	for _, blk := range w.blocks {
		blk.release()
	}
	w.blocks = nil
	w.res.Free()
}

// takeRowsByIndex gathers rows of b by index into a new batch (owned by the caller).
// Columns of the types gatherRows knows are gathered directly from idx; the rest go through
// compute.Take (arrow-go's take is a per-element callback for decimals and was most of the
// shuffle write's CPU in TPC-H Q3).
func takeRowsByIndex(ec *EvalContext, b arrow.RecordBatch, idx []int32) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, b.NumCols())
	typed := true
	for i, c := range b.Columns() {
		out, ok := gatherRows(ec.Task.Allocator, c, idx)
		if !ok {
			typed = false
			break
		}
		cols[i] = out
	}
	if typed {
		defer releaseArrayList(cols)
		return array.NewRecordBatch(b.Schema(), cols, int64(len(idx))), nil
	}
	releaseArrayList(cols)
	ib := array.NewInt32Builder(ec.Task.Allocator)
	defer ib.Release()
	ib.AppendValues(idx, nil)
	indices := ib.NewArray()
	defer indices.Release()
	return TakeRecordBatch(ec, b, indices)
}

// TakeRecordBatch gathers rows of b at indices (an integer array) into a new batch owned by the caller.
func TakeRecordBatch(ec *EvalContext, b arrow.RecordBatch, indices arrow.Array) (arrow.RecordBatch, error) {
	ctx := ec.ComputeContext()
	cols := make([]arrow.Array, b.NumCols())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i, c := range b.Columns() {
		out, err := compute.TakeArrayOpts(ctx, c, indices, compute.TakeOptions{BoundsCheck: false})
		if err != nil {
			return nil, fmt.Errorf("take: %w", err)
		}
		cols[i] = out
	}
	return array.NewRecordBatch(b.Schema(), cols, int64(indices.Len())), nil
}

// runShuffleTask computes one partition of a shuffle stage and writes it to out.
func runShuffleTask(ctx context.Context, tc *TaskContext, st *physical.Stage, partitioner Partitioner, partition int, out *ShuffleOutput) (err error) {
	op, err := Build(tc, st.Root, partition)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := op.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := op.Open(ctx); err != nil {
		return err
	}
	w := NewShuffleWriter(tc, st.Root.Schema(), partitioner, st.Output.Partitioning.OutputPartitions())
	for {
		if err := ctx.Err(); err != nil {
			w.abort()
			return fmt.Errorf("%w: %v", errkind.ErrCanceled, err)
		}
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			w.abort()
			return err
		}
		err = w.Write(ctx, b)
		b.Release()
		if err != nil {
			w.abort()
			return err
		}
	}
	return w.commit(out, partition)
}

// exchangeRead streams partition p of a finished shuffle stage: each task's block for p in
// task order, spill files first within a block.
type exchangeRead struct {
	tc      *TaskContext
	node    *physical.Exchange
	out     *ShuffleOutput
	blocks  []*shuffleBlock
	block   int
	spill   int
	batch   int
	reader  *arrowio.SpillReader
	release bool
}

func buildExchangeRead(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.Exchange)
	if node.Stage == nil || node.Stage.Data == nil {
		return nil, errkind.Internal("%s was not run as a stage before being read; plans with exchanges must run through the scheduler", node.Describe())
	}
	out, ok := node.Stage.Data.(*ShuffleOutput)
	if !ok {
		return nil, errkind.Internal("stage %d holds %T, not shuffle output", node.Stage.ID, node.Stage.Data)
	}
	out.mu.Lock()
	defer out.mu.Unlock()
	if out.released {
		return nil, errkind.NotFound("the shuffle output of stage %d was released; run the query again", node.Stage.ID)
	}
	return &exchangeRead{tc: tc, node: node, out: out, blocks: append([]*shuffleBlock(nil), out.blocks[partition]...)}, nil
}

func (r *exchangeRead) Open(context.Context) error { return nil }
func (r *exchangeRead) Schema() *arrow.Schema      { return r.node.Schema() }

func (r *exchangeRead) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if r.reader != nil {
			b, err := r.reader.Next()
			if errors.Is(err, io.EOF) {
				r.reader.Close()
				r.reader = nil
				continue
			}
			if err != nil {
				return nil, err
			}
			return b, nil
		}
		if r.block >= len(r.blocks) {
			return nil, io.EOF
		}
		blk := r.blocks[r.block]
		if blk == nil {
			r.block++
			continue
		}
		if r.spill < len(blk.spills) {
			rd, err := blk.spills[r.spill].Open(r.tc.Allocator)
			r.spill++
			if err != nil {
				return nil, err
			}
			r.reader = rd
			continue
		}
		if r.batch < len(blk.batches) {
			b := blk.batches[r.batch]
			r.batch++
			b.Retain()
			return b, nil
		}
		r.block++
		r.spill, r.batch = 0, 0
	}
}

func (r *exchangeRead) Close() error {
	if r.reader != nil {
		r.reader.Close()
		r.reader = nil
	}
	r.block = len(r.blocks)
	return nil
}
