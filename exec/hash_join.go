package exec

import (
	"context"
	"errors"
	"io"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

func init() {
	RegisterBuilder(&physical.HashJoin{}, buildHashJoin)
	RegisterKernel(protoplan.JoinKeyCoalesce, joinKeyCoalesceKernel)
	physical.ExchangeAvailable = func() bool {
		_, ok := builders["*physical.Exchange"]
		return ok && PrepareJob != nil
	}
}

// hashJoin joins one partition. It drains the build side into one batch and a hash table of
// row indexes (chained by hash), then streams the probe side: for each probe batch it hashes the
// key columns over whole arrays, walks the chains to collect (probe row, build row) candidate
// pairs, checks key equality on the encoded keys and the residual condition over the gathered
// pairs, and emits the output with take. Unmatched build rows of outer joins are emitted last.
type hashJoin struct {
	tc        *TaskContext
	node      *physical.HashJoin
	partition int
	probe     Operator
	build     Operator
	res       *MemoryReservation

	built      bool
	buildBatch arrow.RecordBatch
	table      *joinTable
	// buildMatched marks build rows that found a partner (full and build-side outer joins).
	buildMatched []bool

	pending  []arrow.RecordBatch
	probeEOF bool
	finished bool

	probeOuter, buildOuter, semi, anti bool
	// semiBuild is a semi join that builds its (left) tested side and streams the right one:
	// each build row is emitted once, on its first match (buildMatched marks the emitted ones).
	semiBuild bool
	// antiBuild is an anti join that builds its left side: probing marks the build rows that
	// have a partner, and the unmarked ones are emitted once the probe side is read.
	antiBuild bool

	// grace is set once the build side overflowed memory and both sides went to disk.
	grace *graceState
	// spillCarry holds the build batches read before the pool filled up.
	spillCarry []arrow.RecordBatch
	// blockLoop is set once a join without keys overflowed memory (nested_loop_spill.go).
	blockLoop *blockNestedLoop
	// shared is the broadcast build side this task shares with the join's other tasks (nil
	// for partitioned joins).
	shared *sharedBuild
	// sharedMatched replaces buildMatched for a broadcast semi or anti join that builds its
	// left side: the marks of every task's matches (sharedBuild.matched).
	sharedMatched []atomic.Bool
}

func buildHashJoin(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.HashJoin)
	probe, err := Build(tc, node.ProbeNode(), partition)
	if err != nil {
		return nil, err
	}
	var build Operator
	if node.Broadcast {
		// Every task reads the whole build side.
		build = &coalesce{tc: tc, node: &physical.CoalescePartitions{Input: node.BuildNode()}}
	} else {
		build, err = Build(tc, node.BuildNode(), partition)
		if err != nil {
			probe.Close()
			return nil, err
		}
	}
	j := &hashJoin{tc: tc, node: node, partition: partition, probe: probe, build: build}
	buildLeft := node.Build == physical.BuildLeft
	switch node.Type {
	case logical.LeftOuterJoin:
		j.probeOuter, j.buildOuter = !buildLeft, buildLeft
	case logical.RightOuterJoin:
		j.probeOuter, j.buildOuter = buildLeft, !buildLeft
	case logical.FullOuterJoin:
		j.probeOuter, j.buildOuter = true, true
	case logical.LeftSemiJoin:
		j.semi = true
		j.semiBuild = buildLeft
	case logical.LeftAntiJoin:
		j.anti = !buildLeft
		j.antiBuild = buildLeft
	}
	if !j.buildOuter {
		j.shared = sharedBroadcastBuild(node)
	}
	if (j.semiBuild || j.antiBuild) && node.Broadcast && j.shared == nil {
		// Every task would hold all build rows and emit a row once per task that matched it
		// (semi) or did not (anti); only a build shared by the tasks can mark rows for all.
		probe.Close()
		build.Close()
		return nil, errkind.Internal("a broadcast %s join that builds its left side needs its build side to be a finished broadcast stage", node.Type)
	}
	return j, nil
}

func (j *hashJoin) Schema() *arrow.Schema { return j.node.OutSchema }

func (j *hashJoin) Open(ctx context.Context) error {
	j.res = j.tc.MemoryPool().NewReservation("HashJoin")
	if err := j.build.Open(ctx); err != nil {
		return err
	}
	return j.probe.Open(ctx)
}

func (j *hashJoin) buildKeys() []logical.Expr {
	if j.node.Build == physical.BuildLeft {
		return j.node.LeftKeys
	}
	return j.node.RightKeys
}

// intKeys reports whether the join uses the integer-key table (intKeyJoin).
func (j *hashJoin) intKeys() bool {
	return intKeyJoin(exprTypes(j.buildKeys()), exprTypes(j.probeKeys()), j.node.NullSafe)
}

func exprTypes(exprs []logical.Expr) []arrow.DataType {
	out := make([]arrow.DataType, len(exprs))
	for i, e := range exprs {
		out[i] = e.DataType()
	}
	return out
}

func (j *hashJoin) probeKeys() []logical.Expr {
	if j.node.Build == physical.BuildLeft {
		return j.node.RightKeys
	}
	return j.node.LeftKeys
}

// buildTable drains the build side and indexes it.
func (j *hashJoin) buildTable(ctx context.Context) error {
	if j.shared != nil && j.grace == nil {
		ok, err := j.useSharedBuild(ctx)
		if ok {
			j.pushRuntimeFilter()
		}
		if err != nil || ok {
			return err
		}
	}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for {
		b, err := j.build.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		batches = append(batches, b)
		if !j.res.TryGrow(BatchBytes(b)) {
			j.spillCarry, batches = batches, nil
			return errBuildTooLarge
		}
	}
	all, err := concatRecordBatches(j.tc, j.node.BuildNode().Schema(), batches)
	if err != nil {
		return err
	}
	j.buildBatch = all
	ec := &EvalContext{Ctx: ctx, Task: j.tc}
	keys, err := evalExprList(ec, j.buildKeys(), all)
	if err != nil {
		return err
	}
	defer releaseArrayList(keys)
	j.table = newKeyedJoinTable(j.tc, keys, j.node.NullSafe, j.intKeys())
	j.table.rows = int(all.NumRows())
	if !j.res.TryGrow(j.table.bytes()) && j.grace == nil {
		// The table itself tipped the pool over: fall back to partitioning on disk.
		all.Retain()
		j.spillCarry = []arrow.RecordBatch{all}
		j.buildBatch.Release()
		j.buildBatch, j.table = nil, nil
		return errBuildTooLarge
	}
	if j.buildOuter || j.semiBuild || j.antiBuild {
		j.buildMatched = make([]bool, all.NumRows())
	}
	return nil
}

func (j *hashJoin) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !j.built {
		err := j.buildTable(ctx)
		if errors.Is(err, errBuildTooLarge) && j.grace == nil {
			carried := j.spillCarry
			j.spillCarry = nil
			err = j.startGrace(ctx, carried)
		}
		if err != nil {
			return nil, err
		}
		j.built = true
	}
	if j.blockLoop != nil {
		return j.nextBlockNestedLoop(ctx)
	}
	for {
		if len(j.pending) > 0 {
			b := j.pending[0]
			j.pending = j.pending[1:]
			return b, nil
		}
		if j.finished {
			if j.grace != nil && j.grace.next < len(j.grace.build) {
				if err := j.loadGracePartition(ctx); err != nil {
					return nil, err
				}
				continue
			}
			return nil, io.EOF
		}
		if j.probeEOF {
			j.finished = true
			if j.buildOuter {
				if err := j.emitUnmatchedBuild(ctx); err != nil {
					return nil, err
				}
			}
			if j.antiBuild && j.lastProbe() {
				if err := j.emitBuildRows(ctx, j.unmatchedBuildRows()); err != nil {
					return nil, err
				}
			}
			continue
		}
		b, err := j.probe.Next(ctx)
		if errors.Is(err, io.EOF) {
			j.probeEOF = true
			continue
		}
		if err != nil {
			return nil, err
		}
		err = j.probeBatch(ctx, b)
		b.Release()
		if err != nil {
			return nil, err
		}
	}
}

// probeBatch joins one probe batch, appending output batches to pending.
func (j *hashJoin) probeBatch(ctx context.Context, b arrow.RecordBatch) error {
	ec := &EvalContext{Ctx: ctx, Task: j.tc}
	keys, err := evalExprList(ec, j.probeKeys(), b)
	if err != nil {
		return err
	}
	defer releaseArrayList(keys)
	n := int(b.NumRows())
	if j.semiBuild || j.antiBuild {
		return j.probeLeftBuild(ctx, b, keys, n)
	}
	var probeMatched []bool
	if j.probeOuter || j.semi || j.anti {
		probeMatched = make([]bool, n)
	}
	// Semi and anti joins without a residual condition only need to know whether a row has a
	// partner; they stop at the first.
	firstOnly := (j.semi || j.anti) && j.node.Condition == nil
	cursor := j.table.probe(j.tc, keys, n, firstOnly)
	chunk := max(j.tc.BatchSize, 1)
	for {
		probeIdx, buildIdx := cursor.next(chunk)
		if len(probeIdx) == 0 {
			break
		}
		if j.node.Condition != nil {
			if probeIdx, buildIdx, err = j.applyCondition(ctx, b, probeIdx, buildIdx); err != nil {
				return err
			}
		}
		for k, p := range probeIdx {
			if probeMatched != nil {
				probeMatched[p] = true
			}
			if j.buildMatched != nil {
				j.buildMatched[buildIdx[k]] = true
			}
		}
		if j.semi || j.anti || len(probeIdx) == 0 {
			continue
		}
		out, err := j.gather(ctx, b, probeIdx, buildIdx, false)
		if err != nil {
			return err
		}
		j.pending = append(j.pending, out)
	}
	if probeMatched == nil {
		return nil
	}
	var rows []int32
	for i, m := range probeMatched {
		if m == j.semi || (j.probeOuter && !m) {
			rows = append(rows, int32(i))
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if j.semi || j.anti {
		idx := int32Indices(j.tc, rows)
		defer idx.Release()
		out, err := takeRecordRows(ctx, j.tc, b, idx)
		if err != nil {
			return err
		}
		j.pending = append(j.pending, array.NewRecordBatch(j.node.OutSchema, out.Columns(), out.NumRows()))
		out.Release()
		return nil
	}
	for from := 0; from < len(rows); from += chunk {
		part := rows[from:min(from+chunk, len(rows))]
		out, err := j.gather(ctx, b, part, nil, true)
		if err != nil {
			return err
		}
		j.pending = append(j.pending, out)
	}
	return nil
}

// probeLeftBuild streams one right-side batch through a semi or anti join that built its left
// side, marking the build rows that have a partner. A semi join emits the build rows matched
// for the first time, in the order they were found; an anti join emits nothing until the probe
// side is read (lastProbe). Every candidate pair is visited (a probe row's first partner is not
// enough: each build row with its key must be marked), unless the join has no residual
// condition and the pair's build row is marked already.
func (j *hashJoin) probeLeftBuild(ctx context.Context, b arrow.RecordBatch, keys []arrow.Array, n int) error {
	cursor := j.table.probe(j.tc, keys, n, false)
	chunk := max(j.tc.BatchSize, 1)
	var rows []int32
	for {
		probeIdx, buildIdx := cursor.next(chunk)
		if len(probeIdx) == 0 {
			break
		}
		if j.node.Condition != nil {
			// Pairs whose build row is marked already cannot change anything: skip them
			// before evaluating the condition over the gathered pairs.
			w := 0
			for k, r := range buildIdx {
				if !j.buildRowMarked(r) {
					probeIdx[w], buildIdx[w] = probeIdx[k], buildIdx[k]
					w++
				}
			}
			if w == 0 {
				continue
			}
			var err error
			if _, buildIdx, err = j.applyCondition(ctx, b, probeIdx[:w], buildIdx[:w]); err != nil {
				return err
			}
		}
		for _, r := range buildIdx {
			if j.markBuildRow(r) && j.semiBuild {
				rows = append(rows, r)
			}
		}
	}
	return j.emitBuildRows(ctx, rows)
}

// buildRowMarked reports whether build row r has found a partner (in any task when the build is
// shared).
func (j *hashJoin) buildRowMarked(r int32) bool {
	if j.sharedMatched != nil {
		return j.sharedMatched[r].Load()
	}
	return j.buildMatched[r]
}

// markBuildRow marks build row r as having a partner and reports whether this call marked it
// first: across all tasks of a broadcast join, exactly one call does.
func (j *hashJoin) markBuildRow(r int32) bool {
	if j.sharedMatched != nil {
		flag := &j.sharedMatched[r]
		return !flag.Load() && flag.CompareAndSwap(false, true)
	}
	if j.buildMatched[r] {
		return false
	}
	j.buildMatched[r] = true
	return true
}

// lastProbe reports, once this task has read its whole probe side, whether every probe task of
// the join has: true for a join that does not share its build side. With a shared build the
// last task to finish emits the rows that no task marked.
func (j *hashJoin) lastProbe() bool {
	if j.sharedMatched == nil {
		return true
	}
	return j.shared.probesDone.Add(1) == int32(j.node.NumPartitions())
}

// unmatchedBuildRows lists the build rows that found no partner.
func (j *hashJoin) unmatchedBuildRows() []int32 {
	var rows []int32
	for r := range int32(j.buildBatch.NumRows()) {
		if !j.buildRowMarked(r) {
			rows = append(rows, r)
		}
	}
	return rows
}

// emitBuildRows appends the build side's rows to pending, in batches of at most BatchSize rows.
func (j *hashJoin) emitBuildRows(ctx context.Context, rows []int32) error {
	chunk := max(j.tc.BatchSize, 1)
	for from := 0; from < len(rows); from += chunk {
		part := int32Indices(j.tc, rows[from:min(from+chunk, len(rows))])
		out, err := takeRecordRows(ctx, j.tc, j.buildBatch, part)
		part.Release()
		if err != nil {
			return err
		}
		j.pending = append(j.pending, array.NewRecordBatch(j.node.OutSchema, out.Columns(), out.NumRows()))
		out.Release()
	}
	return nil
}

// applyCondition keeps the candidate pairs for which the residual condition is true.
func (j *hashJoin) applyCondition(ctx context.Context, probe arrow.RecordBatch, probeIdx, buildIdx []int32) ([]int32, []int32, error) {
	joined, err := j.gatherFull(ctx, probe, probeIdx, buildIdx, false)
	if err != nil {
		return nil, nil, err
	}
	defer joined.Release()
	mask, err := EvalArray(&EvalContext{Ctx: ctx, Task: j.tc}, j.node.Condition, joined)
	if err != nil {
		return nil, nil, err
	}
	defer mask.Release()
	keep := mask.(*array.Boolean)
	w := 0
	for k := range probeIdx {
		if keep.IsValid(k) && keep.Value(k) {
			probeIdx[w], buildIdx[w] = probeIdx[k], buildIdx[k]
			w++
		}
	}
	return probeIdx[:w], buildIdx[:w], nil
}

// gatherFull builds left ++ right rows for pairs; buildNull pads the build side with nulls.
func (j *hashJoin) gatherFull(ctx context.Context, probe arrow.RecordBatch, probeIdx, buildIdx []int32, buildNull bool) (arrow.RecordBatch, error) {
	var bIdx arrow.Array
	if buildNull {
		bIdx = array.MakeArrayOfNull(j.tc.Allocator, arrow.PrimitiveTypes.Int32, len(probeIdx))
	} else {
		bIdx = int32Indices(j.tc, buildIdx)
	}
	defer bIdx.Release()
	var probeCols []arrow.Array
	if lo, ok := consecutiveRows(probeIdx); ok {
		// Every probe row in a run found one partner (an N:1 join where all rows match, as
		// TPC-H's joins with nation): slice the probe columns instead of copying them.
		probeCols = sliceColumnList(probe, lo, lo+len(probeIdx))
	} else {
		pIdx := int32Indices(j.tc, probeIdx)
		var err error
		probeCols, err = takeColumnList(ctx, j.tc, probe, pIdx)
		pIdx.Release()
		if err != nil {
			return nil, err
		}
	}
	defer releaseArrayList(probeCols)
	buildCols, err := takeColumnList(ctx, j.tc, j.buildBatch, bIdx)
	if err != nil {
		return nil, err
	}
	defer releaseArrayList(buildCols)
	var cols []arrow.Array
	if j.node.Build == physical.BuildLeft {
		cols = append(append(cols, buildCols...), probeCols...)
	} else {
		cols = append(append(cols, probeCols...), buildCols...)
	}
	fields := append(append([]arrow.Field(nil), j.node.Left.Schema().Fields()...), j.node.Right.Schema().Fields()...)
	for i := range fields {
		fields[i].Nullable = true
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(probeIdx))), nil
}

func (j *hashJoin) gather(ctx context.Context, probe arrow.RecordBatch, probeIdx, buildIdx []int32, buildNull bool) (arrow.RecordBatch, error) {
	full, err := j.gatherFull(ctx, probe, probeIdx, buildIdx, buildNull)
	if err != nil {
		return nil, err
	}
	defer full.Release()
	return array.NewRecordBatch(j.node.OutSchema, full.Columns(), full.NumRows()), nil
}

// emitUnmatchedBuild emits build rows that never matched, with nulls for the probe side.
func (j *hashJoin) emitUnmatchedBuild(ctx context.Context) error {
	var rows []int32
	for i, m := range j.buildMatched {
		if !m {
			rows = append(rows, int32(i))
		}
	}
	chunk := max(j.tc.BatchSize, 1)
	probeSchema := j.node.ProbeNode().Schema()
	for from := 0; from < len(rows); from += chunk {
		part := rows[from:min(from+chunk, len(rows))]
		bIdx := int32Indices(j.tc, part)
		buildCols, err := takeColumnList(ctx, j.tc, j.buildBatch, bIdx)
		bIdx.Release()
		if err != nil {
			return err
		}
		probeCols := make([]arrow.Array, probeSchema.NumFields())
		for i, f := range probeSchema.Fields() {
			probeCols[i] = array.MakeArrayOfNull(j.tc.Allocator, f.Type, len(part))
		}
		var cols []arrow.Array
		if j.node.Build == physical.BuildLeft {
			cols = append(append(cols, buildCols...), probeCols...)
		} else {
			cols = append(append(cols, probeCols...), buildCols...)
		}
		j.pending = append(j.pending, array.NewRecordBatch(j.node.OutSchema, cols, int64(len(part))))
		releaseArrayList(cols)
	}
	return nil
}

func (j *hashJoin) Close() error {
	for _, b := range j.pending {
		b.Release()
	}
	j.pending = nil
	if j.buildBatch != nil {
		j.buildBatch.Release()
		j.buildBatch = nil
	}
	if j.res != nil {
		j.res.Free()
	}
	releaseBatchList(j.spillCarry)
	j.spillCarry = nil
	if j.blockLoop != nil {
		j.blockLoop.close()
		j.blockLoop = nil
	}
	if j.grace != nil {
		closeSpills(j.grace.build)
		closeSpills(j.grace.probe)
		j.grace = nil
	}
	err := j.probe.Close()
	if e := j.build.Close(); err == nil {
		err = e
	}
	return err
}

// consecutiveRows reports whether rows is lo, lo+1, ..., lo+len(rows)-1 (and not empty).
func consecutiveRows(rows []int32) (lo int, ok bool) {
	if len(rows) == 0 {
		return 0, false
	}
	first := rows[0]
	for k, r := range rows {
		if r != first+int32(k) {
			return 0, false
		}
	}
	return int(first), true
}

// sliceColumnList returns b's columns cut to rows [lo, hi), sharing b's buffers; release them.
func sliceColumnList(b arrow.RecordBatch, lo, hi int) []arrow.Array {
	out := make([]arrow.Array, b.NumCols())
	for i, c := range b.Columns() {
		out[i] = array.NewSlice(c, int64(lo), int64(hi))
	}
	return out
}

func takeColumnList(ctx context.Context, tc *TaskContext, b arrow.RecordBatch, indices arrow.Array) ([]arrow.Array, error) {
	cctx := compute.WithAllocator(ctx, tc.Allocator)
	out := make([]arrow.Array, b.NumCols())
	for i, c := range b.Columns() {
		if fast, ok := gatherByIndexArray(tc.Allocator, c, indices); ok {
			out[i] = fast
			continue
		}
		a, err := compute.TakeArray(cctx, c, indices)
		if err != nil {
			releaseArrayList(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// evalExprList evaluates expressions over a batch into arrays; release them.
func evalExprList(ec *EvalContext, exprs []logical.Expr, b arrow.RecordBatch) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		a, err := EvalArray(ec, e, b)
		if err != nil {
			releaseArrayList(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// joinKeyCoalesceKernel is the merged key of a full outer USING join: the left key, or the
// right one where the left is null.
func joinKeyCoalesceKernel(ec *EvalContext, _ *logical.Call, args []compute.Datum, length int64) (compute.Datum, error) {
	l, err := DatumToArray(ec, args[0], length, nil)
	if err != nil {
		return nil, err
	}
	defer l.Release()
	r, err := DatumToArray(ec, args[1], length, nil)
	if err != nil {
		return nil, err
	}
	defer r.Release()
	if l.NullN() == 0 {
		return compute.NewDatum(l), nil
	}
	idx := make([]int32, l.Len())
	var fromRight []int32
	for i := range idx {
		idx[i] = int32(i)
		if l.IsNull(i) {
			fromRight = append(fromRight, int32(i))
		}
	}
	// Interleave by concatenating both and taking left rows or right rows (offset by len).
	both, err := array.Concatenate([]arrow.Array{l, r}, ec.Task.Allocator)
	if err != nil {
		return nil, err
	}
	defer both.Release()
	for _, i := range fromRight {
		idx[i] = int32(l.Len()) + i
	}
	indices := int32Indices(ec.Task, idx)
	defer indices.Release()
	out, err := compute.TakeArray(ec.ComputeContext(), both, indices)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return compute.NewDatum(out), nil
}
