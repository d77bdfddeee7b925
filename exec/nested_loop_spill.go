package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
)

// Block nested-loop join: a join without equality keys cannot be split by key hash (every build
// row may match every probe row), so when its build side overflows the memory pool the build
// side goes to disk in blocks that each fit, the probe side goes to disk once, and every block
// is joined with a full replay of the probe side. Pairs are emitted per block. Build rows of a
// block that found no partner (build-side outer joins) are emitted when the block's probe replay
// ends. Probe rows' matches are remembered across blocks in one flag per probe row, and the
// probe-side outer, semi and anti rows are emitted by a last replay of the probe side.

type blockNestedLoop struct {
	blocks    []*arrowio.SpillFile
	probeFile *arrowio.SpillFile
	next      int // the next block to load
	// probeMatched[r] says probe row r (counted over the whole probe side) found a partner.
	probeMatched []bool
	probeReader  *arrowio.SpillReader
	probeRow     int  // first row of the next probe batch in the replay
	finalPass    bool // the replay that emits probe-side outer, semi and anti rows
	done         bool
}

// startBlockNestedLoop writes the build side (carried, then the rest) to blocks that fit the
// memory the carried batches held, and the probe side to one spill file. It takes ownership of
// carried.
func (j *hashJoin) startBlockNestedLoop(ctx context.Context, carried []arrow.RecordBatch) error {
	var heldBytes int64
	for _, b := range carried {
		heldBytes += BatchBytes(b)
	}
	j.res.Free()
	// Half of what overflowed leaves room for the probe batches and the output in flight.
	blockBytes := heldBytes / 2
	if limit := j.tc.MemoryPool().Limit(); limit > 0 {
		blockBytes = min(blockBytes, limit/2)
	}
	blockBytes = max(blockBytes, 1)
	bnl := &blockNestedLoop{}
	j.blockLoop = bnl
	schema := j.node.BuildNode().Schema()
	var writer *arrowio.SpillWriter
	var written int64
	finishBlock := func() error {
		if writer == nil {
			return nil
		}
		f, err := writer.Finish()
		writer = nil
		if err != nil {
			return err
		}
		bnl.blocks = append(bnl.blocks, f)
		return nil
	}
	var writeSlice func(b arrow.RecordBatch, bytes int64) error
	write := func(b arrow.RecordBatch) error {
		defer b.Release()
		n := b.NumRows()
		if n == 0 {
			return nil
		}
		// A batch larger than a block goes in row slices of about a block each.
		size := BatchBytes(b)
		rowsPerSlice := n
		if size > blockBytes {
			rowsPerSlice = max(n*blockBytes/size, 1)
		}
		for from := int64(0); from < n; from += rowsPerSlice {
			to := min(from+rowsPerSlice, n)
			slice := b.NewSlice(from, to)
			err := writeSlice(slice, size*(to-from)/n)
			slice.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	writeSlice = func(b arrow.RecordBatch, bytes int64) error {
		if writer == nil {
			w, err := j.tc.NewSpillFile(schema)
			if err != nil {
				return err
			}
			writer, written = w, 0
		}
		if err := writer.Write(b); err != nil {
			return err
		}
		written += bytes
		if written >= blockBytes {
			return finishBlock()
		}
		return nil
	}
	fail := func(err error) error {
		if writer != nil {
			writer.Abort()
		}
		return err
	}
	for i, b := range carried {
		if err := write(b); err != nil {
			releaseBatchList(carried[i+1:])
			return fail(err)
		}
	}
	for {
		b, err := j.build.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = write(b)
		}
		if err != nil {
			return fail(err)
		}
	}
	if err := finishBlock(); err != nil {
		return err
	}
	probeWriter, err := j.tc.NewSpillFile(j.node.ProbeNode().Schema())
	if err != nil {
		return err
	}
	var probeRows int64
	for {
		b, err := j.probe.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			probeRows += b.NumRows()
			err = probeWriter.Write(b)
			b.Release()
		}
		if err != nil {
			probeWriter.Abort()
			return err
		}
	}
	if bnl.probeFile, err = probeWriter.Finish(); err != nil {
		return err
	}
	if j.probeOuter || j.semi || j.anti {
		bnl.probeMatched = make([]bool, probeRows)
	}
	return nil
}

// nextBlockNestedLoop is hashJoin.Next once the join works block by block.
func (j *hashJoin) nextBlockNestedLoop(ctx context.Context) (arrow.RecordBatch, error) {
	bnl := j.blockLoop
	for {
		if len(j.pending) > 0 {
			b := j.pending[0]
			j.pending = j.pending[1:]
			return b, nil
		}
		if bnl.done {
			return nil, io.EOF
		}
		if bnl.probeReader == nil {
			if err := bnl.startReplay(ctx, j); err != nil {
				return nil, err
			}
			continue
		}
		b, err := bnl.probeReader.Next()
		if errors.Is(err, io.EOF) {
			bnl.probeReader.Close()
			bnl.probeReader = nil
			if bnl.finalPass {
				bnl.done = true
			} else if j.buildOuter {
				if err := j.emitUnmatchedBuild(ctx); err != nil {
					return nil, err
				}
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		probe := array.NewRecordBatch(j.node.ProbeNode().Schema(), b.Columns(), b.NumRows())
		b.Release()
		if bnl.finalPass {
			err = bnl.emitProbeSide(ctx, j, probe)
		} else {
			err = bnl.joinBlock(ctx, j, probe)
		}
		bnl.probeRow += int(probe.NumRows())
		probe.Release()
		if err != nil {
			return nil, err
		}
	}
}

// startReplay loads the next block and opens the probe file again, or opens it for the final
// pass once every block is done.
func (bnl *blockNestedLoop) startReplay(ctx context.Context, j *hashJoin) error {
	if j.buildBatch != nil {
		j.buildBatch.Release()
		j.buildBatch = nil
	}
	j.res.Free()
	if bnl.next < len(bnl.blocks) {
		if err := bnl.loadBlock(ctx, j, bnl.blocks[bnl.next]); err != nil {
			return err
		}
		bnl.next++
	} else if bnl.probeMatched != nil && !bnl.finalPass {
		bnl.finalPass = true
	} else {
		bnl.done = true
		return nil
	}
	reader, err := bnl.probeFile.Open(j.tc.Allocator)
	if err != nil {
		return err
	}
	bnl.probeReader, bnl.probeRow = reader, 0
	return nil
}

func (bnl *blockNestedLoop) loadBlock(ctx context.Context, j *hashJoin, file *arrowio.SpillFile) error {
	reader, err := file.Open(j.tc.Allocator)
	if err != nil {
		return err
	}
	defer reader.Close()
	var batches []arrow.RecordBatch
	defer func() { releaseBatchList(batches) }()
	for {
		b, err := reader.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		batches = append(batches, b)
	}
	all, err := concatRecordBatches(j.tc, j.node.BuildNode().Schema(), batches)
	if err != nil {
		return err
	}
	if err := j.res.Grow(BatchBytes(all)); err != nil {
		all.Release()
		return errkind.ResourceExhausted("a nested-loop join's build block of %d bytes no longer fits the memory limit (other operators took the room); raise quiver serve --memory-limit",
			BatchBytes(all))
	}
	j.buildBatch = all
	j.table = newJoinTable(j.tc, nil, nil)
	j.table.rows = int(all.NumRows())
	if j.buildOuter {
		j.buildMatched = make([]bool, all.NumRows())
	}
	return nil
}

// joinBlock pairs one probe batch with the loaded block, emitting matched pairs and recording
// which probe rows matched.
func (bnl *blockNestedLoop) joinBlock(ctx context.Context, j *hashJoin, b arrow.RecordBatch) error {
	n := int(b.NumRows())
	firstOnly := (j.semi || j.anti) && j.node.Condition == nil
	cursor := j.table.probe(j.tc, nil, n, firstOnly)
	chunk := max(j.tc.BatchSize, 1)
	for {
		probeIdx, buildIdx := cursor.next(chunk)
		if len(probeIdx) == 0 {
			return nil
		}
		if j.node.Condition != nil {
			var err error
			if probeIdx, buildIdx, err = j.applyCondition(ctx, b, probeIdx, buildIdx); err != nil {
				return err
			}
		}
		for k, p := range probeIdx {
			if bnl.probeMatched != nil {
				bnl.probeMatched[bnl.probeRow+int(p)] = true
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
}

// emitProbeSide emits the probe rows of one batch that semi, anti or probe-side outer joins
// keep, now that every block has been seen.
func (bnl *blockNestedLoop) emitProbeSide(ctx context.Context, j *hashJoin, b arrow.RecordBatch) error {
	var rows []int32
	for i := 0; i < int(b.NumRows()); i++ {
		m := bnl.probeMatched[bnl.probeRow+i]
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
	// gather reads the build side even for null-padded rows; an empty build batch serves.
	if j.buildBatch == nil {
		j.buildBatch = emptyRecordBatch(j.tc, j.node.BuildNode().Schema())
	}
	chunk := max(j.tc.BatchSize, 1)
	for from := 0; from < len(rows); from += chunk {
		out, err := j.gather(ctx, b, rows[from:min(from+chunk, len(rows))], nil, true)
		if err != nil {
			return err
		}
		j.pending = append(j.pending, out)
	}
	return nil
}

func emptyRecordBatch(tc *TaskContext, schema *arrow.Schema) arrow.RecordBatch {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		cols[i] = array.MakeArrayOfNull(tc.Allocator, f.Type, 0)
	}
	defer releaseArrayList(cols)
	return array.NewRecordBatch(schema, cols, 0)
}

func (bnl *blockNestedLoop) close() {
	if bnl.probeReader != nil {
		bnl.probeReader.Close()
		bnl.probeReader = nil
	}
	closeSpills(bnl.blocks)
	bnl.blocks = nil
	if bnl.probeFile != nil {
		bnl.probeFile.Close()
		bnl.probeFile = nil
	}
}
