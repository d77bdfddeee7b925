package exec

import (
	"context"
	"errors"
	"hash/maphash"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
)

// setOperationFanout is how many parts a spilling set operation splits its rows into.
const setOperationFanout = 16

// keyCountSchema is the spill form of a count map: one row per distinct row key.
var keyCountSchema = arrow.NewSchema([]arrow.Field{
	{Name: "key", Type: arrow.BinaryTypes.Binary},
	{Name: "count", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// setOperationSpill is a set operation finished part by part from disk. Equal rows have equal
// keys and land in the same part, so each part's answer depends on that part alone.
type setOperationSpill struct {
	seed  maphash.Seed
	right []*arrowio.SpillFile // right-side counts per part
	seen  []*arrowio.SpillFile // left rows seen before the spill, counted, per part
	left  []*arrowio.SpillFile // the left rows not yet processed, per part
	part  int

	rightCounts, leftSeen map[string]int64
	reader                *arrowio.SpillReader
}

func (sp *setOperationSpill) partOf(key []byte) int {
	return int(maphash.Bytes(sp.seed, key) % setOperationFanout)
}

// partWriters is one spill file per part.
type partWriters []*arrowio.SpillWriter

func newPartWriters(tc *TaskContext, schema *arrow.Schema) (partWriters, error) {
	writers := make(partWriters, setOperationFanout)
	for p := range writers {
		w, err := tc.NewSpillFile(schema)
		if err != nil {
			writers.abort()
			return nil, err
		}
		writers[p] = w
	}
	return writers, nil
}

func (ws partWriters) abort() {
	for _, w := range ws {
		if w != nil {
			w.Abort()
		}
	}
}

func (ws partWriters) finish() ([]*arrowio.SpillFile, error) {
	files := make([]*arrowio.SpillFile, len(ws))
	for p, w := range ws {
		f, err := w.Finish()
		if err != nil {
			ws[p+1:].abort()
			closeSpills(files)
			return nil, err
		}
		files[p] = f
	}
	return files, nil
}

// keyCountBuffer collects (key, count) rows per part and writes them in batches.
type keyCountBuffer struct {
	tc      *TaskContext
	writers partWriters
	keys    []*array.BinaryBuilder
	counts  []*array.Int64Builder
}

func newKeyCountBuffer(tc *TaskContext, writers partWriters) *keyCountBuffer {
	b := &keyCountBuffer{tc: tc, writers: writers}
	for range writers {
		b.keys = append(b.keys, array.NewBinaryBuilder(tc.Allocator, arrow.BinaryTypes.Binary))
		b.counts = append(b.counts, array.NewInt64Builder(tc.Allocator))
	}
	return b
}

func (b *keyCountBuffer) add(part int, key []byte, count int64) error {
	b.keys[part].Append(key)
	b.counts[part].Append(count)
	if b.counts[part].Len() >= max(b.tc.BatchSize, 1) {
		return b.flush(part)
	}
	return nil
}

func (b *keyCountBuffer) flush(part int) error {
	if b.counts[part].Len() == 0 {
		return nil
	}
	keys, counts := b.keys[part].NewArray(), b.counts[part].NewArray()
	batch := array.NewRecordBatch(keyCountSchema, []arrow.Array{keys, counts}, int64(keys.Len()))
	keys.Release()
	counts.Release()
	defer batch.Release()
	return b.writers[part].Write(batch)
}

// close flushes every part and releases the builders.
func (b *keyCountBuffer) close() error {
	var err error
	for p := range b.writers {
		if e := b.flush(p); err == nil {
			err = e
		}
		b.keys[p].Release()
		b.counts[p].Release()
	}
	return err
}

func (b *keyCountBuffer) addMap(sp *setOperationSpill, counts map[string]int64) error {
	for key, count := range counts {
		if err := b.add(sp.partOf([]byte(key)), []byte(key), count); err != nil {
			return err
		}
	}
	return nil
}

// startSpill writes both count maps and the rest of both inputs (the right one only when
// rightUnfinished) to disk by part, and frees the maps.
func (s *setOperation) startSpill(ctx context.Context, rightUnfinished bool) (err error) {
	sp := &setOperationSpill{seed: maphash.MakeSeed()}
	s.spill = sp
	rightWriters, err := newPartWriters(s.tc, keyCountSchema)
	if err != nil {
		return err
	}
	seenWriters, err := newPartWriters(s.tc, keyCountSchema)
	if err != nil {
		rightWriters.abort()
		return err
	}
	leftWriters, err := newPartWriters(s.tc, s.left.Schema())
	if err != nil {
		rightWriters.abort()
		seenWriters.abort()
		return err
	}
	defer func() {
		if err != nil {
			rightWriters.abort()
			seenWriters.abort()
			leftWriters.abort()
		}
	}()
	rightBuffer := newKeyCountBuffer(s.tc, rightWriters)
	err = rightBuffer.addMap(sp, s.rightCounts)
	if err == nil && rightUnfinished {
		err = s.spillRightRows(ctx, rightBuffer)
	}
	if e := rightBuffer.close(); err == nil {
		err = e
	}
	if err != nil {
		return err
	}
	s.rightCounts = nil
	seenBuffer := newKeyCountBuffer(s.tc, seenWriters)
	err = seenBuffer.addMap(sp, s.leftSeen)
	if e := seenBuffer.close(); err == nil {
		err = e
	}
	if err != nil {
		return err
	}
	s.leftSeen = nil
	s.res.Free()
	if err = s.spillLeftRows(ctx, leftWriters); err != nil {
		return err
	}
	if sp.right, err = rightWriters.finish(); err != nil {
		return err
	}
	if sp.seen, err = seenWriters.finish(); err != nil {
		closeSpills(sp.right)
		return err
	}
	if sp.left, err = leftWriters.finish(); err != nil {
		closeSpills(sp.right)
		closeSpills(sp.seen)
		return err
	}
	return nil
}

// spillRightRows writes each remaining right row as (key, 1).
func (s *setOperation) spillRightRows(ctx context.Context, buffer *keyCountBuffer) error {
	var enc KeyEncoder
	for {
		b, err := s.right.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		buf, offs := enc.Encode(s.tc.Allocator, b.Columns(), int(b.NumRows()))
		for i := 0; i < int(b.NumRows()) && err == nil; i++ {
			key := buf[offs[i]:offs[i+1]]
			err = buffer.add(s.spill.partOf(key), key, 1)
		}
		b.Release()
		if err != nil {
			return err
		}
	}
}

// spillLeftRows writes the remaining left rows to the part of their key.
func (s *setOperation) spillLeftRows(ctx context.Context, writers partWriters) error {
	var enc KeyEncoder
	for {
		b, err := s.left.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		buf, offs := enc.Encode(s.tc.Allocator, b.Columns(), int(b.NumRows()))
		rows := make([][]int32, setOperationFanout)
		for i := 0; i < int(b.NumRows()); i++ {
			p := s.spill.partOf(buf[offs[i]:offs[i+1]])
			rows[p] = append(rows[p], int32(i))
		}
		for p, r := range rows {
			if len(r) == 0 || err != nil {
				continue
			}
			idx := int32Indices(s.tc, r)
			var taken arrow.RecordBatch
			taken, err = takeRecordRows(ctx, s.tc, b, idx)
			idx.Release()
			if err == nil {
				err = writers[p].Write(taken)
				taken.Release()
			}
		}
		b.Release()
		if err != nil {
			return err
		}
	}
}

// next returns the next output batch of the parts, or io.EOF after the last.
func (sp *setOperationSpill) next(ctx context.Context, s *setOperation) (arrow.RecordBatch, error) {
	for {
		if sp.reader == nil {
			if sp.part >= setOperationFanout {
				return nil, io.EOF
			}
			if err := sp.loadPart(s); err != nil {
				return nil, err
			}
		}
		b, err := sp.reader.Next()
		if errors.Is(err, io.EOF) {
			sp.finishPart(s)
			continue
		}
		if err != nil {
			return nil, err
		}
		out, grown, err := s.filterLeft(ctx, b, sp.rightCounts, sp.leftSeen)
		b.Release()
		if err == nil {
			err = s.res.Grow(grown)
		}
		if err != nil {
			if out != nil {
				out.Release()
			}
			return nil, err
		}
		if out != nil {
			return out, nil
		}
	}
}

// loadPart reads the current part's counts into memory and opens its left rows.
func (sp *setOperationSpill) loadPart(s *setOperation) error {
	p := sp.part
	sp.rightCounts, sp.leftSeen = map[string]int64{}, map[string]int64{}
	for _, load := range []struct {
		file   *arrowio.SpillFile
		counts map[string]int64
	}{{sp.right[p], sp.rightCounts}, {sp.seen[p], sp.leftSeen}} {
		if err := sp.loadCounts(s, load.file, load.counts); err != nil {
			return err
		}
	}
	reader, err := sp.left[p].Open(s.tc.Allocator)
	if err != nil {
		return err
	}
	sp.reader = reader
	return nil
}

func (sp *setOperationSpill) loadCounts(s *setOperation, file *arrowio.SpillFile, counts map[string]int64) error {
	reader, err := file.Open(s.tc.Allocator)
	if err != nil {
		return err
	}
	defer reader.Close()
	for {
		b, err := reader.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		keys, values := b.Column(0).(*array.Binary), b.Column(1).(*array.Int64)
		var grown int64
		for i := 0; i < keys.Len(); i++ {
			key := keys.Value(i)
			if _, ok := counts[string(key)]; !ok {
				grown += int64(len(key) + mapEntryBytes)
			}
			counts[string(key)] += values.Value(i)
		}
		b.Release()
		if !s.res.TryGrow(grown) {
			return errkind.ResourceExhausted("one of the %d parts of a spilled INTERSECT/EXCEPT still does not fit the memory limit; raise quiver serve --memory-limit", setOperationFanout)
		}
	}
}

func (sp *setOperationSpill) finishPart(s *setOperation) {
	p := sp.part
	sp.reader.Close()
	sp.reader = nil
	for _, files := range [][]*arrowio.SpillFile{sp.right, sp.seen, sp.left} {
		files[p].Close()
		files[p] = nil
	}
	sp.rightCounts, sp.leftSeen = nil, nil
	s.res.Free()
	sp.part++
}

func (sp *setOperationSpill) close() {
	if sp.reader != nil {
		sp.reader.Close()
		sp.reader = nil
	}
	closeSpills(sp.right)
	closeSpills(sp.seen)
	closeSpills(sp.left)
}
