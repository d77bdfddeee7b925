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
// keys and land in the same part, so each part's answer depends on that part alone. A part
// whose counts do not fit either is split again, by another hash seed, into setOperationFanout
// smaller parts.
type setOperationSpill struct {
	parts []setOperationPart // parts still to do; the last one is next

	current               *setOperationPart
	rightCounts, leftSeen map[string]int64
	reader                *arrowio.SpillReader
}

// setOperationPart is one part on disk: the right side's counts, the counts of left rows seen
// before the split, and the left rows still to process.
type setOperationPart struct {
	right, seen, left *arrowio.SpillFile
	depth             int
}

// maxSplitDepth bounds how often a part is split again (16^4 parts of one operator); a part
// that still does not fit then is an error.
const maxSplitDepth = 4

func (p *setOperationPart) close() {
	for _, f := range []*arrowio.SpillFile{p.right, p.seen, p.left} {
		if f != nil {
			f.Close()
		}
	}
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

// keyCountSource calls emit for each (key, count) it holds; nil holds none.
type keyCountSource func(emit func(key []byte, count int64) error) error

// splitInput is what a split distributes: counts in memory, the rest of the counts still to
// read, and the left rows still to process.
type splitInput struct {
	rightCounts, leftSeen map[string]int64
	rightRest, seenRest   keyCountSource
	leftRest              Operator
	depth                 int
}

// split writes in to setOperationFanout new parts by a fresh hash of the row key and queues
// them; it frees the maps.
func (s *setOperation) split(ctx context.Context, in splitInput) (err error) {
	if in.depth > maxSplitDepth {
		return errkind.ResourceExhausted("INTERSECT/EXCEPT counts still exceed the memory limit after splitting them %d ways; raise quiver serve --memory-limit",
			1<<(4*maxSplitDepth))
	}
	seed := maphash.MakeSeed()
	partOf := func(key []byte) int { return int(maphash.Bytes(seed, key) % setOperationFanout) }
	var writers [3]partWriters
	defer func() {
		if err != nil {
			for _, w := range writers {
				w.abort()
			}
		}
	}()
	for i, schema := range []*arrow.Schema{keyCountSchema, keyCountSchema, s.left.Schema()} {
		if writers[i], err = newPartWriters(s.tc, schema); err != nil {
			return err
		}
	}
	for i, side := range []struct {
		counts map[string]int64
		rest   keyCountSource
	}{{in.rightCounts, in.rightRest}, {in.leftSeen, in.seenRest}} {
		buffer := newKeyCountBuffer(s.tc, writers[i])
		add := func(key []byte, count int64) error { return buffer.add(partOf(key), key, count) }
		for key, count := range side.counts {
			if err = add([]byte(key), count); err != nil {
				break
			}
		}
		if err == nil && side.rest != nil {
			err = side.rest(add)
		}
		if e := buffer.close(); err == nil {
			err = e
		}
		if err != nil {
			return err
		}
	}
	s.res.Free()
	if err = s.splitLeftRows(ctx, in.leftRest, writers[2], partOf); err != nil {
		return err
	}
	var files [3][]*arrowio.SpillFile
	for i, w := range writers {
		if files[i], err = w.finish(); err != nil {
			for _, done := range files[:i] {
				closeSpills(done)
			}
			writers = [3]partWriters{}
			return err
		}
		writers[i] = nil
	}
	for p := 0; p < setOperationFanout; p++ {
		s.spill.parts = append(s.spill.parts, setOperationPart{right: files[0][p], seen: files[1][p], left: files[2][p], depth: in.depth})
	}
	return nil
}

// splitLeftRows writes the rows of input to the part of their key.
func (s *setOperation) splitLeftRows(ctx context.Context, input Operator, writers partWriters, partOf func([]byte) int) error {
	var enc KeyEncoder
	for {
		b, err := input.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		buf, offs := enc.Encode(s.tc.Allocator, b.Columns(), int(b.NumRows()))
		rows := make([][]int32, setOperationFanout)
		for i := 0; i < int(b.NumRows()); i++ {
			p := partOf(buf[offs[i]:offs[i+1]])
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

// startSpill moves the operator's state and the rest of its inputs (the right one only when
// rightUnfinished) to disk parts.
func (s *setOperation) startSpill(ctx context.Context, rightUnfinished bool) error {
	s.spill = &setOperationSpill{}
	in := splitInput{rightCounts: s.rightCounts, leftSeen: s.leftSeen, leftRest: s.left, depth: 1}
	if rightUnfinished {
		in.rightRest = s.remainingRightRows(ctx)
	}
	s.rightCounts, s.leftSeen = nil, nil
	return s.split(ctx, in)
}

// remainingRightRows reads the rest of the right input as (key, 1) per row.
func (s *setOperation) remainingRightRows(ctx context.Context) keyCountSource {
	return func(emit func(key []byte, count int64) error) error {
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
				err = emit(buf[offs[i]:offs[i+1]], 1)
			}
			b.Release()
			if err != nil {
				return err
			}
		}
	}
}

// fileCounts reads (key, count) batches from reader; the first batch may be given already.
func fileCounts(reader *arrowio.SpillReader, first arrow.RecordBatch) keyCountSource {
	return func(emit func(key []byte, count int64) error) error {
		defer reader.Close()
		b := first
		for {
			if b == nil {
				var err error
				if b, err = reader.Next(); errors.Is(err, io.EOF) {
					return nil
				} else if err != nil {
					return err
				}
			}
			keys, counts := b.Column(0).(*array.Binary), b.Column(1).(*array.Int64)
			var err error
			for i := 0; i < keys.Len() && err == nil; i++ {
				err = emit(keys.Value(i), counts.Value(i))
			}
			b.Release()
			b = nil
			if err != nil {
				return err
			}
		}
	}
}

// next returns the next output batch of the parts, or io.EOF after the last.
func (sp *setOperationSpill) next(ctx context.Context, s *setOperation) (arrow.RecordBatch, error) {
	for {
		if sp.reader == nil {
			if len(sp.parts) == 0 {
				return nil, io.EOF
			}
			part := sp.parts[len(sp.parts)-1]
			sp.parts = sp.parts[:len(sp.parts)-1]
			sp.current = &part
			loaded, err := sp.loadPart(ctx, s)
			if err != nil {
				return nil, err
			}
			if !loaded {
				continue
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
		if err != nil {
			if out != nil {
				out.Release()
			}
			return nil, err
		}
		if !s.res.TryGrow(grown) {
			// The part's maps outgrew the pool: split its state and its remaining rows.
			in := splitInput{rightCounts: sp.rightCounts, leftSeen: sp.leftSeen,
				leftRest: &spillSource{schema: s.left.Schema(), reader: sp.reader}, depth: sp.current.depth + 1}
			sp.reader = nil
			err := s.split(ctx, in)
			in.leftRest.Close()
			sp.finishPart(s)
			if err != nil {
				if out != nil {
					out.Release()
				}
				return nil, err
			}
		}
		if out != nil {
			return out, nil
		}
	}
}

// loadPart reads the current part's counts into memory and opens its left rows. When the
// counts do not fit, it splits the part instead and reports false.
func (sp *setOperationSpill) loadPart(ctx context.Context, s *setOperation) (bool, error) {
	part := sp.current
	sp.rightCounts, sp.leftSeen = map[string]int64{}, map[string]int64{}
	in := splitInput{rightCounts: sp.rightCounts, leftSeen: sp.leftSeen, depth: part.depth + 1}
	overflow, err := sp.loadCounts(s, part.right, sp.rightCounts, &in.rightRest)
	if err == nil && !overflow {
		overflow, err = sp.loadCounts(s, part.seen, sp.leftSeen, &in.seenRest)
	} else if err == nil {
		in.seenRest, err = openCounts(s, part.seen)
	}
	if err != nil {
		return false, err
	}
	reader, err := part.left.Open(s.tc.Allocator)
	if err != nil {
		return false, err
	}
	if !overflow {
		sp.reader = reader
		return true, nil
	}
	in.leftRest = &spillSource{schema: s.left.Schema(), reader: reader}
	err = s.split(ctx, in)
	in.leftRest.Close()
	sp.finishPart(s)
	return false, err
}

func openCounts(s *setOperation, file *arrowio.SpillFile) (keyCountSource, error) {
	reader, err := file.Open(s.tc.Allocator)
	if err != nil {
		return nil, err
	}
	return fileCounts(reader, nil), nil
}

// loadCounts adds the counts of file to counts. When the pool fills up it stops and sets *rest
// to the counts not yet read, reporting true.
func (sp *setOperationSpill) loadCounts(s *setOperation, file *arrowio.SpillFile, counts map[string]int64, rest *keyCountSource) (bool, error) {
	reader, err := file.Open(s.tc.Allocator)
	if err != nil {
		return false, err
	}
	for {
		b, err := reader.Next()
		if errors.Is(err, io.EOF) {
			reader.Close()
			return false, nil
		}
		if err != nil {
			reader.Close()
			return false, err
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
			*rest = fileCounts(reader, nil)
			return true, nil
		}
	}
}

func (sp *setOperationSpill) finishPart(s *setOperation) {
	if sp.reader != nil {
		sp.reader.Close()
		sp.reader = nil
	}
	if sp.current != nil {
		sp.current.close()
		sp.current = nil
	}
	sp.rightCounts, sp.leftSeen = nil, nil
	s.res.Free()
}

func (sp *setOperationSpill) close() {
	if sp.reader != nil {
		sp.reader.Close()
		sp.reader = nil
	}
	if sp.current != nil {
		sp.current.close()
		sp.current = nil
	}
	for i := range sp.parts {
		sp.parts[i].close()
	}
	sp.parts = nil
}
