package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"go.uber.org/zap"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// Hash aggregation. Per input batch: evaluate the keys, hash them (HashColumns, one typed loop
// per column) and encode them (KeyEncoder), find or insert every row's group in an
// open-addressing table, then hand the whole batch with its group ids to each accumulator.
// Memory is accounted after every batch. Past the memory limit a partial aggregate emits what it
// has (the final phase merges it anyway); a final or complete aggregate spills its groups'
// states, partitioned by key hash into spillFanout files, and at the end merges each file alone.

const spillFanout = 16

func init() {
	RegisterBuilder(&physical.HashAggregate{}, buildHashAggregate)
}

// groupTable maps encoded keys to dense group ids.
type groupTable struct {
	slots  []int32 // group id + 1; 0 is empty
	mask   uint64
	hashes []uint64
	// keys locates each group's encoded key in keyChunks. Chunks are never grown in place, so
	// adding a group never copies the keys before it (growing one slice of every key was most of
	// the grouping time over TPC-H Q10's long customer strings).
	keys      []groupKey
	keyChunks [][]byte
	keyBytes  int64 // capacity of keyChunks
}

type groupKey struct{ chunk, start, length int32 }

// groupKeyChunkMax caps a key chunk's size; chunks start small and double up to it.
const groupKeyChunkMax = 1 << 20

func newGroupTable() *groupTable {
	t := &groupTable{}
	t.rehash(1024)
	return t
}

func (t *groupTable) len() int { return len(t.hashes) }

func (t *groupTable) size() int64 {
	return int64(len(t.slots))*4 + int64(cap(t.hashes))*8 + t.keyBytes + int64(cap(t.keys))*12
}

func (t *groupTable) keyOf(g int32) []byte {
	k := t.keys[g]
	return t.keyChunks[k.chunk][k.start : k.start+k.length]
}

func (t *groupTable) appendKey(key []byte) {
	last := len(t.keyChunks) - 1
	if last < 0 || len(t.keyChunks[last])+len(key) > cap(t.keyChunks[last]) {
		size := min(max(t.keyBytes, 4096), groupKeyChunkMax)
		t.keyChunks = append(t.keyChunks, make([]byte, 0, max(size, int64(len(key)))))
		last++
		t.keyBytes += int64(cap(t.keyChunks[last]))
	}
	chunk := t.keyChunks[last]
	t.keys = append(t.keys, groupKey{chunk: int32(last), start: int32(len(chunk)), length: int32(len(key))})
	t.keyChunks[last] = append(chunk, key...)
}

func (t *groupTable) rehash(slots int) {
	t.slots = make([]int32, slots)
	t.mask = uint64(slots - 1)
	for g, h := range t.hashes {
		s := h & t.mask
		for t.slots[s] != 0 {
			s = (s + 1) & t.mask
		}
		t.slots[s] = int32(g + 1)
	}
}

// findOrInsert assigns each row its group id; rows that created a group are appended to newRows.
func (t *groupTable) findOrInsert(hashes []uint64, keys []byte, offsets []int32, groups []int32, newRows []int32) []int32 {
	for i, h := range hashes {
		if 2*(len(t.hashes)+1) > len(t.slots) {
			t.rehash(2 * len(t.slots))
		}
		key := keys[offsets[i]:offsets[i+1]]
		s := h & t.mask
		for {
			g := t.slots[s]
			if g == 0 {
				id := int32(len(t.hashes))
				t.slots[s] = id + 1
				t.hashes = append(t.hashes, h)
				t.appendKey(key)
				groups[i] = id
				newRows = append(newRows, int32(i))
				break
			}
			g--
			if t.hashes[g] == h && bytes.Equal(t.keyOf(g), key) {
				groups[i] = g
				break
			}
			s = (s + 1) & t.mask
		}
	}
	return newRows
}

// aggregateState is the groups and accumulators of one hash aggregation (the operator's main
// table, or one spill bucket being merged).
type aggregateState struct {
	table     *groupTable
	intTable  *intGroupTable  // instead of table for one integer-like key column
	keyChunks [][]arrow.Array // per key column, the keys of new groups in group order
	accs      []accumulator
	encoder   KeyEncoder
	hashes    []uint64
	groups    []int32
	// zeroGroups is how many leading group ids of an aggregate without keys are known zero.
	zeroGroups int
	keyBytes   int64
	// packedLayout and packedTable group short keys packed into an int64 (aggregate_packed_keys.go)
	// until a batch does not pack.
	packedLayout *packedKeyLayout
	packedTable  *intGroupTable
	packedKeys   []int64
	// newRows is scratch for the rows of a batch that created groups, kept across batches (as
	// groups and hashes): growing it afresh per batch was 2% of TPC-H Q18, where most rows of the
	// final aggregate create a group.
	newRows []int32
}

func (op *hashAggregate) newState() (*aggregateState, error) {
	st := &aggregateState{table: newGroupTable(), keyChunks: make([][]arrow.Array, len(op.node.Keys))}
	keyTypes := make([]arrow.DataType, len(op.node.Keys))
	for i, k := range op.node.Keys {
		keyTypes[i] = k.DataType()
	}
	if intGroupable(keyTypes) {
		st.intTable = newIntGroupTable()
	} else if st.packedLayout = newPackedKeyLayout(keyTypes); st.packedLayout != nil {
		st.packedTable = newHashedIntGroupTable()
	}
	for _, c := range op.node.Calls {
		acc, err := newAccumulator(c, op.tc.ANSI)
		if err != nil {
			st.release()
			return nil, err
		}
		st.accs = append(st.accs, acc)
	}
	if len(op.node.Keys) == 0 && op.node.Mode != physical.AggregatePartial {
		// A global aggregate has its one group even when no row arrives.
		st.table.findOrInsert([]uint64{0}, nil, []int32{0, 0}, make([]int32, 1), nil)
		for _, a := range st.accs {
			a.resize(1)
		}
	}
	return st, nil
}

// groupCount is the count of groups so far.
func (st *aggregateState) groupCount() int {
	if st.intTable != nil {
		return st.intTable.len()
	}
	if st.packedTable != nil {
		return st.packedTable.len()
	}
	return st.table.len()
}

func (st *aggregateState) size() int64 {
	n := st.table.size() + st.keyBytes
	if st.intTable != nil {
		n += st.intTable.size()
	}
	if st.packedTable != nil {
		n += st.packedTable.size() + int64(cap(st.packedKeys))*8
	}
	for _, a := range st.accs {
		n += a.size()
	}
	return n
}

func (st *aggregateState) release() {
	for _, chunks := range st.keyChunks {
		for _, c := range chunks {
			c.Release()
		}
	}
	st.keyChunks = nil
	for _, a := range st.accs {
		a.release()
	}
	st.accs = nil
}

// sharedZeroGroupIDs is the group ids of the rows of an aggregate without keys, all 0, shared
// read-only by every task.
var sharedZeroGroupIDs = sync.OnceValue(func() []int32 { return make([]int32, 1<<20) })

// assignGroups finds the group of every row from its key columns, recording new groups' keys.
func (st *aggregateState) assignGroups(ec *EvalContext, keys []arrow.Array, n int) ([]int32, error) {
	if len(keys) == 0 {
		// Every row is in group 0, and its hashes are never needed. Nothing writes the group ids
		// of an aggregate without keys, so every task shares one zeroed array (a new one per task
		// cleared 1 MiB per 262,144-row batch); a batch larger than it gets one of its own,
		// cleared once.
		if st.table.len() == 0 {
			st.table.findOrInsert([]uint64{0}, nil, []int32{0, 0}, make([]int32, 1), nil)
		}
		for _, a := range st.accs {
			a.resize(st.groupCount())
		}
		if shared := sharedZeroGroupIDs(); n <= len(shared) {
			return shared[:n:n], nil
		}
		if cap(st.groups) < n {
			st.groups = make([]int32, n) // zeroed by make
			st.zeroGroups = n
		}
		if n > st.zeroGroups {
			clear(st.groups[:n])
			st.zeroGroups = n
		}
		return st.groups[:n], nil
	}
	if cap(st.groups) < n {
		st.groups = make([]int32, n)
		st.hashes = make([]uint64, n)
	}
	groups, hashes := st.groups[:n], st.hashes[:n]
	var newRows []int32
	if st.intTable != nil {
		if intKeyWidth(keys[0].DataType()) == 0 {
			return nil, errkind.Internal("hash aggregate key is %s, planned as an integer-like type", keys[0].DataType())
		}
		newRows = st.intTable.findOrInsert(keys[0], groups, st.newRows[:0])
	} else {
		packed := false
		if st.packedLayout != nil {
			if newRows, packed = st.assignPackedGroups(keys, groups, st.newRows[:0]); !packed {
				if err := st.unpack(ec); err != nil {
					return nil, err
				}
			}
		}
		if !packed {
			HashColumns(ec.Task.Allocator, keys, hashes)
			buf, offsets := st.encoder.Encode(ec.Task.Allocator, keys, n)
			newRows = st.table.findOrInsert(hashes, buf, offsets, groups, st.newRows[:0])
		}
	}
	st.newRows = newRows[:0]
	if len(newRows) > 0 {
		for k, col := range keys {
			taken, err := takeArrayByIndex(ec, col, newRows)
			if err != nil {
				return nil, err
			}
			st.keyChunks[k] = append(st.keyChunks[k], taken)
			st.keyBytes += arrayBytes(taken.Data())
		}
	}
	for _, a := range st.accs {
		a.resize(st.groupCount())
	}
	return groups, nil
}

// hashAggregate runs one partition of a physical.HashAggregate.
type hashAggregate struct {
	tc     *TaskContext
	node   *physical.HashAggregate
	input  Operator
	res    *MemoryReservation
	state  *aggregateState
	offset []int // per call, the first state column in Final-mode input
	width  []int // per call, its count of state columns
	// programs compute decimal arithmetic arguments of sum/avg without materializing them
	// (aggregate_decimal_program.go); nil when no call has one or the input is partial states.
	programs *decimalPrograms
	handled  []bool // per call, done by programs for the current batch

	output   []arrow.RecordBatch // batches ready to return
	inputEOF bool
	// rows consumed since the partial table last started empty
	rowsSinceFlush int64
	// spill buckets: writers while consuming, files once merging
	bucketWriters []*arrowio.SpillWriter
	buckets       []*arrowio.SpillFile
	spilled       bool
	nextBucket    int
	finished      bool
}

func buildHashAggregate(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.HashAggregate)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	op := &hashAggregate{tc: tc, node: node, input: in, res: tc.MemoryPool().NewReservation("HashAggregate")}
	at := len(node.Keys)
	for i, c := range node.Calls {
		w := len(physical.AggregateStateFields(c, fmt.Sprintf("_%d", i)))
		op.offset = append(op.offset, at)
		op.width = append(op.width, w)
		at += w
	}
	if node.Mode != physical.AggregateFinal {
		op.programs = newDecimalPrograms(node.Calls)
	}
	return op, nil
}

func (op *hashAggregate) Schema() *arrow.Schema { return op.node.OutSchema }

func (op *hashAggregate) Open(ctx context.Context) error {
	if err := op.input.Open(ctx); err != nil {
		return err
	}
	st, err := op.newState()
	if err != nil {
		return err
	}
	op.state = st
	return nil
}

func (op *hashAggregate) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if len(op.output) > 0 {
			b := op.output[0]
			op.output = op.output[1:]
			return b, nil
		}
		if op.finished {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		ec := &EvalContext{Ctx: ctx, Task: op.tc}
		if !op.inputEOF {
			b, err := op.input.Next(ctx)
			if errors.Is(err, io.EOF) {
				op.inputEOF = true
				if err := op.endOfInput(ec); err != nil {
					return nil, err
				}
				continue
			}
			if err != nil {
				return nil, err
			}
			rows := b.NumRows()
			err = op.consume(ec, op.state, b, op.node.Mode == physical.AggregateFinal)
			b.Release()
			if err != nil {
				return nil, err
			}
			if err := op.account(ec); err != nil {
				return nil, err
			}
			if err := op.flushClusteredPartial(ec, rows); err != nil {
				return nil, err
			}
			continue
		}
		// Merging spill buckets one at a time.
		if err := op.mergeNextBucket(ec); err != nil {
			return nil, err
		}
	}
}

// consume folds one batch into st: raw rows (update), or partial states (merge).
func (op *hashAggregate) consume(ec *EvalContext, st *aggregateState, b arrow.RecordBatch, merge bool) error {
	n := int(b.NumRows())
	if n == 0 {
		return nil
	}
	if !merge {
		// Keys, arguments and filters of one batch share repeated subexpressions.
		shared, release := ec.WithSharedResults(b)
		defer release()
		ec = shared
	}
	keys := make([]arrow.Array, len(op.node.Keys))
	defer releaseArrayList(keys)
	for i, k := range op.node.Keys {
		if merge {
			keys[i] = b.Column(i)
			keys[i].Retain()
			continue
		}
		c, err := EvalArray(ec, k, b)
		if err != nil {
			return err
		}
		keys[i] = c
	}
	groups, err := st.assignGroups(ec, keys, n)
	if err != nil {
		return err
	}
	var handled []bool
	if op.programs != nil && !merge {
		if handled, err = op.programs.update(ec, st.accs, b, groups, op.handled); err != nil {
			return err
		}
		op.handled = handled
	}
	for i, call := range op.node.Calls {
		if i < len(handled) && handled[i] {
			continue
		}
		acc := st.accs[i]
		if merge {
			states := b.Columns()[op.offset[i] : op.offset[i]+op.width[i]]
			if err := acc.merge(ec, groups, states); err != nil {
				return accumulatorError(call, err)
			}
			continue
		}
		if err := op.update(ec, acc, call, b, groups); err != nil {
			return accumulatorError(call, err)
		}
	}
	return nil
}

func (op *hashAggregate) update(ec *EvalContext, acc accumulator, call *logical.AggregateCall, b arrow.RecordBatch, groups []int32) error {
	args := make([]arrow.Array, len(call.Args))
	defer releaseArrayList(args)
	for j, a := range call.Args {
		c, err := EvalArray(ec, a, b)
		if err != nil {
			return err
		}
		args[j] = c
	}
	if call.Filter == nil {
		return acc.update(ec, groups, args)
	}
	mask, err := EvalArray(ec, call.Filter, b)
	if err != nil {
		return err
	}
	defer mask.Release()
	bm := mask.(*array.Boolean)
	var rows []int32
	for i := 0; i < bm.Len(); i++ {
		if bm.IsValid(i) && bm.Value(i) {
			rows = append(rows, int32(i))
		}
	}
	if len(rows) == 0 {
		return nil
	}
	subGroups := make([]int32, len(rows))
	for k, r := range rows {
		subGroups[k] = groups[r]
	}
	subArgs := make([]arrow.Array, len(args))
	defer releaseArrayList(subArgs)
	for j, a := range args {
		t, err := takeArrayByIndex(ec, a, rows)
		if err != nil {
			return err
		}
		subArgs[j] = t
	}
	return acc.update(ec, subGroups, subArgs)
}

// account reserves the state's memory; past the limit a partial aggregate emits its groups and
// a final one spills them.
func (op *hashAggregate) account(ec *EvalContext) error {
	need := op.state.size() - op.res.Size()
	if need <= 0 || op.res.TryGrow(need) {
		return nil
	}
	switch {
	case op.node.Mode == physical.AggregatePartial:
		return op.flushPartial(ec)
	case op.hasDistinct():
		return op.res.Grow(need)
	}
	return op.spill(ec)
}

func (op *hashAggregate) hasDistinct() bool {
	for _, c := range op.node.Calls {
		if c.Distinct || c.Function == "collect_set" {
			return true
		}
	}
	return false
}

// Partial aggregation over clustered keys (TPC-H lineitem is sorted by l_orderkey) finds each
// key's rows together, so a table of every key seen holds groups that will never be hit again: it
// only grows past the caches and rehashes. Past partialFlushGroups groups, a partial aggregate
// whose input collapsed at least partialFlushReduction rows per group emits its groups and starts
// over; the final phase merges them anyway, and keys that are spread out (little reduction so
// far) keep the whole table as before.
const (
	partialFlushGroups    = 1 << 16
	partialFlushReduction = 2
)

// flushClusteredPartial applies that rule after a batch of rows.
func (op *hashAggregate) flushClusteredPartial(ec *EvalContext, rows int64) error {
	if op.node.Mode != physical.AggregatePartial || len(op.node.Keys) == 0 {
		return nil
	}
	op.rowsSinceFlush += rows
	groups := int64(op.state.groupCount())
	if groups < partialFlushGroups || op.rowsSinceFlush < partialFlushReduction*groups {
		return nil
	}
	return op.flushPartial(ec)
}

// flushPartial emits the partial groups so far and starts a new table.
func (op *hashAggregate) flushPartial(ec *EvalContext) error {
	b, err := op.stateBatch(ec, op.state, op.node.OutSchema)
	if err != nil {
		return err
	}
	op.output = append(op.output, op.slice(b)...)
	b.Release()
	return op.reset()
}

func (op *hashAggregate) reset() error {
	op.rowsSinceFlush = 0
	op.state.release()
	op.res.Free()
	st, err := op.newState()
	if err != nil {
		return err
	}
	op.state = st
	return nil
}

// stateSchema is the layout of spilled and partial states: keys, then each call's state.
func (op *hashAggregate) stateSchema() *arrow.Schema {
	fields := make([]arrow.Field, 0, len(op.node.OutSchema.Fields()))
	for i := range op.node.Keys {
		fields = append(fields, op.node.OutSchema.Field(i))
	}
	for i, c := range op.node.Calls {
		fields = append(fields, physical.AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
	}
	return arrow.NewSchema(fields, nil)
}

// keyColumns concatenates the keys of st's groups, one array per key column.
func (op *hashAggregate) keyColumns(ec *EvalContext, st *aggregateState) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(op.node.Keys))
	for i, chunks := range st.keyChunks {
		switch len(chunks) {
		case 0:
			out[i] = array.MakeArrayOfNull(ec.Task.Allocator, op.node.OutSchema.Field(i).Type, 0)
		case 1:
			chunks[0].Retain()
			out[i] = chunks[0]
		default:
			c, err := array.Concatenate(chunks, ec.Task.Allocator)
			if err != nil {
				releaseArrayList(out)
				return nil, err
			}
			out[i] = c
		}
	}
	return out, nil
}

// stateBatch renders st's groups as keys + states (schema given), owned by the caller.
func (op *hashAggregate) stateBatch(ec *EvalContext, st *aggregateState, schema *arrow.Schema) (arrow.RecordBatch, error) {
	cols, err := op.keyColumns(ec, st)
	if err != nil {
		return nil, err
	}
	defer func() { releaseArrayList(cols) }()
	for _, a := range st.accs {
		s, err := a.state(ec)
		if err != nil {
			return nil, err
		}
		cols = append(cols, s...)
	}
	return array.NewRecordBatch(schema, cols, int64(st.groupCount())), nil
}

// resultBatch renders st's groups as keys + final values.
func (op *hashAggregate) resultBatch(ec *EvalContext, st *aggregateState) (arrow.RecordBatch, error) {
	cols, err := op.keyColumns(ec, st)
	if err != nil {
		return nil, err
	}
	defer func() { releaseArrayList(cols) }()
	for i, a := range st.accs {
		v, err := a.finish(ec)
		if err != nil {
			return nil, accumulatorError(op.node.Calls[i], err)
		}
		cols = append(cols, v)
	}
	return array.NewRecordBatch(op.node.OutSchema, cols, int64(st.groupCount())), nil
}

// slice cuts b into batches of the task's batch size (sharing its buffers).
func (op *hashAggregate) slice(b arrow.RecordBatch) []arrow.RecordBatch {
	n := b.NumRows()
	if n == 0 {
		return nil
	}
	size := int64(max(op.tc.BatchSize, 1))
	var out []arrow.RecordBatch
	for lo := int64(0); lo < n; lo += size {
		out = append(out, b.NewSlice(lo, min(lo+size, n)))
	}
	return out
}

// spill writes the groups' states into spill buckets by key hash and starts a new table.
func (op *hashAggregate) spill(ec *EvalContext) error {
	schema := op.stateSchema()
	b, err := op.stateBatch(ec, op.state, schema)
	if err != nil {
		return err
	}
	defer b.Release()
	if op.bucketWriters == nil {
		op.bucketWriters = make([]*arrowio.SpillWriter, spillFanout)
	}
	op.spilled = true
	if b.NumRows() > 0 {
		keys := b.Columns()[:len(op.node.Keys)]
		hashes := make([]uint64, b.NumRows())
		HashColumns(ec.Task.Allocator, keys, hashes)
		rows := make([][]int32, spillFanout)
		for i, h := range hashes {
			// High bits: the exchange already used h mod N to bring these keys here.
			bucket := (h >> 40) % spillFanout
			rows[bucket] = append(rows[bucket], int32(i))
		}
		for k, r := range rows {
			if len(r) == 0 {
				continue
			}
			part, err := takeRowsByIndex(ec, b, r)
			if err != nil {
				return err
			}
			if op.bucketWriters[k] == nil {
				w, err := op.tc.NewSpillFile(schema)
				if err != nil {
					part.Release()
					return err
				}
				op.bucketWriters[k] = w
			}
			err = op.bucketWriters[k].Write(part)
			part.Release()
			if err != nil {
				return err
			}
		}
	}
	op.tc.Logger.Debug("hash aggregate spilled", zap.Int("groups", op.state.groupCount()), zap.Int64("reserved", op.res.Size()))
	return op.reset()
}

// endOfInput produces the output of the in-memory table, or spills it too and starts merging
// the buckets.
func (op *hashAggregate) endOfInput(ec *EvalContext) error {
	if !op.spilled {
		var b arrow.RecordBatch
		var err error
		if op.node.Mode == physical.AggregatePartial {
			b, err = op.stateBatch(ec, op.state, op.node.OutSchema)
		} else {
			b, err = op.resultBatch(ec, op.state)
		}
		if err != nil {
			return err
		}
		op.output = append(op.output, op.slice(b)...)
		b.Release()
		op.state.release()
		op.res.Free()
		op.finished = true
		return nil
	}
	if err := op.spill(ec); err != nil {
		return err
	}
	for _, w := range op.bucketWriters {
		if w == nil {
			op.buckets = append(op.buckets, nil)
			continue
		}
		f, err := w.Finish()
		if err != nil {
			return err
		}
		op.buckets = append(op.buckets, f)
	}
	op.bucketWriters = nil
	return nil
}

// mergeNextBucket merges one spill bucket's states into final values.
func (op *hashAggregate) mergeNextBucket(ec *EvalContext) error {
	for op.nextBucket < len(op.buckets) && op.buckets[op.nextBucket] == nil {
		op.nextBucket++
	}
	if op.nextBucket >= len(op.buckets) {
		op.finished = true
		return nil
	}
	f := op.buckets[op.nextBucket]
	op.buckets[op.nextBucket] = nil
	op.nextBucket++
	defer f.Close()
	if err := op.reset(); err != nil {
		return err
	}
	st := op.state
	r, err := f.Open(op.tc.Allocator)
	if err != nil {
		return err
	}
	defer r.Close()
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		err = op.consume(ec, st, b, true)
		b.Release()
		if err != nil {
			return err
		}
		// A bucket is merged in memory; past the limit it only logs (no recursive spilling).
		if need := st.size() - op.res.Size(); need > 0 && !op.res.TryGrow(need) {
			op.tc.Logger.Debug("hash aggregate bucket exceeds the memory limit", zap.Int64("bytes", st.size()))
		}
	}
	out, err := op.resultBatch(ec, st)
	if err != nil {
		return err
	}
	op.output = append(op.output, op.slice(out)...)
	out.Release()
	return nil
}

func (op *hashAggregate) Close() error {
	for _, b := range op.output {
		b.Release()
	}
	op.output = nil
	for _, w := range op.bucketWriters {
		if w != nil {
			w.Abort()
		}
	}
	op.bucketWriters = nil
	for _, f := range op.buckets {
		if f != nil {
			f.Close()
		}
	}
	op.buckets = nil
	if op.state != nil {
		op.state.release()
		op.state = nil
	}
	op.res.Free()
	return op.input.Close()
}
