package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Grace hash join: when the build side does not fit in the memory pool, both sides are split
// by a hash of the join keys into graceFanout spill files each, and partition p of the build
// side is joined with partition p of the probe side, one at a time. Equal keys hash alike, so
// every match is inside one partition; rows with null keys land in some partition and stay
// unmatched there, as they would in memory.

const graceFanout = 16

type graceState struct {
	build, probe []*arrowio.SpillFile
	next         int
}

// errBuildTooLarge reports that the build side overflowed the pool; buildTable returns it with
// the batches read so far still in j.spillCarry.
var errBuildTooLarge = errors.New("hash join build side exceeds the memory pool")

// startGrace partitions the rest of both inputs to disk and loads the first partition.
func (j *hashJoin) startGrace(ctx context.Context, carried []arrow.RecordBatch) error {
	if len(j.buildKeys()) == 0 {
		return j.startBlockNestedLoop(ctx, carried)
	}
	j.res.Free()
	build, err := j.partitionToDisk(ctx, j.node.BuildNode().Schema(), j.buildKeys(), carried, j.build)
	if err != nil {
		return err
	}
	probe, err := j.partitionToDisk(ctx, j.node.ProbeNode().Schema(), j.probeKeys(), nil, j.probe)
	if err != nil {
		closeSpills(build)
		return err
	}
	j.grace = &graceState{build: build, probe: probe}
	return j.loadGracePartition(ctx)
}

// partitionToDisk writes first then everything left in input to graceFanout spill files by key
// hash. It takes ownership of the batches in first.
func (j *hashJoin) partitionToDisk(ctx context.Context, schema *arrow.Schema, keys []logical.Expr, first []arrow.RecordBatch, input Operator) ([]*arrowio.SpillFile, error) {
	writers := make([]*arrowio.SpillWriter, graceFanout)
	abort := func() {
		for _, w := range writers {
			if w != nil {
				w.Abort()
			}
		}
	}
	for p := range writers {
		w, err := j.tc.NewSpillFile(schema)
		if err != nil {
			abort()
			for _, b := range first {
				b.Release()
			}
			return nil, err
		}
		writers[p] = w
	}
	ec := &EvalContext{Ctx: ctx, Task: j.tc}
	write := func(b arrow.RecordBatch) error {
		defer b.Release()
		keyArrays, err := evalExprList(ec, keys, b)
		if err != nil {
			return err
		}
		hashes := make([]uint64, b.NumRows())
		HashColumns(j.tc.Allocator, keyArrays, hashes)
		releaseArrayList(keyArrays)
		rows := make([][]int32, graceFanout)
		for i, h := range hashes {
			// The table's buckets use the low bits; partition on the high ones.
			p := (h >> 48) % graceFanout
			rows[p] = append(rows[p], int32(i))
		}
		for p, r := range rows {
			if len(r) == 0 {
				continue
			}
			idx := int32Indices(j.tc, r)
			taken, err := takeRecordRows(ctx, j.tc, b, idx)
			idx.Release()
			if err != nil {
				return err
			}
			part := array.NewRecordBatch(schema, taken.Columns(), taken.NumRows())
			taken.Release()
			err = writers[p].Write(part)
			part.Release()
			if err != nil {
				return err
			}
		}
		return nil
	}
	for i, b := range first {
		if err := write(b); err != nil {
			for _, rest := range first[i+1:] {
				rest.Release()
			}
			abort()
			return nil, err
		}
	}
	for {
		b, err := input.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err == nil {
			err = write(b)
		}
		if err != nil {
			abort()
			return nil, err
		}
	}
	files := make([]*arrowio.SpillFile, graceFanout)
	for p, w := range writers {
		f, err := w.Finish()
		if err != nil {
			for _, rest := range writers[p+1:] {
				rest.Abort()
			}
			closeSpills(files)
			return nil, err
		}
		files[p] = f
	}
	return files, nil
}

// loadGracePartition builds the table of the next partition and probes it with the matching
// probe partition.
func (j *hashJoin) loadGracePartition(ctx context.Context) error {
	g := j.grace
	p := g.next
	g.next++
	if j.buildBatch != nil {
		j.buildBatch.Release()
		j.buildBatch = nil
	}
	j.res.Free()
	reader, err := g.build[p].Open(j.tc.Allocator)
	if err != nil {
		return err
	}
	j.build.Close()
	j.build = &spillSource{schema: j.node.BuildNode().Schema(), reader: reader}
	if err := j.buildTable(ctx); err != nil {
		if errors.Is(err, errBuildTooLarge) {
			releaseBatchList(j.spillCarry)
			j.spillCarry = nil
			return errkind.ResourceExhausted("a hash join partition's build side does not fit the memory limit even after splitting it %d ways (heavily repeated join keys?); raise quiver serve --memory-limit", graceFanout)
		}
		return err
	}
	probeReader, err := g.probe[p].Open(j.tc.Allocator)
	if err != nil {
		return err
	}
	j.probe.Close()
	j.probe = &spillSource{schema: j.node.ProbeNode().Schema(), reader: probeReader}
	j.probeEOF, j.finished = false, false
	return nil
}

func closeSpills(files []*arrowio.SpillFile) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}

func releaseBatchList(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

// spillSource replays a spill file as an operator.
type spillSource struct {
	schema *arrow.Schema
	reader *arrowio.SpillReader
}

func (s *spillSource) Open(context.Context) error { return nil }
func (s *spillSource) Schema() *arrow.Schema      { return s.schema }
func (s *spillSource) Next(context.Context) (arrow.RecordBatch, error) {
	b, err := s.reader.Next()
	if err != nil {
		return nil, err
	}
	if !b.Schema().Equal(s.schema) {
		out := array.NewRecordBatch(s.schema, b.Columns(), b.NumRows())
		b.Release()
		return out, nil
	}
	return b, nil
}
func (s *spillSource) Close() error {
	if s.reader == nil {
		return nil
	}
	err := s.reader.Close()
	s.reader = nil
	return err
}
