package arrowio

import (
	"context"
	"errors"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
)

// batchReader yields batches of one split in the scan's output schema. Next returns io.EOF at
// the end; the caller owns each batch.
type batchReader interface {
	Next() (arrow.RecordBatch, error)
	Close() error
}

// isPrefiltered reports whether a reader applies the scan's predicate to its batches itself.
func isPrefiltered(b batchReader) bool {
	p, ok := b.(interface{ prefiltered() bool })
	return ok && p.prefiltered()
}

// SplitReader reads the splits of one scan partition in order.
type SplitReader struct {
	ctx        context.Context
	ds         *Dataset
	splits     []Split
	projection []int
	out        *arrow.Schema
	mem        memory.Allocator
	recycler   *recyclingAllocator
	batchSize  int
	current    batchReader
	rows       *rowFilter
	// pending holds batches the row filter shrank, until together they make a batch worth the
	// per-batch cost of the operators above (a selective filter leaves a few hundred rows of
	// every 10,000, and each batch costs the Filter above a fixed round of kernel calls).
	pending     []arrow.RecordBatch
	pendingRows int64
}

// NewSplitReader reads splits of ds, producing the dataset columns listed in projection
// (indexes into ds.Schema(); nil reads all). Nothing is opened before the first Next.
func NewSplitReader(ctx context.Context, ds *Dataset, splits []Split, projection []int, mem memory.Allocator, batchSize int) *SplitReader {
	if batchSize < 1 {
		batchSize = 10000
	}
	full := ds.Schema()
	if projection == nil {
		projection = make([]int, full.NumFields())
		for i := range projection {
			projection[i] = i
		}
	}
	fields := make([]arrow.Field, len(projection))
	for i, p := range projection {
		fields[i] = full.Field(p)
	}
	recycler := newRecyclingAllocator(mem)
	return &SplitReader{ctx: ctx, ds: ds, splits: splits, projection: projection, out: arrow.NewSchema(fields, nil), mem: recycler, recycler: recycler, batchSize: batchSize}
}

// Schema is the schema of every batch.
func (r *SplitReader) Schema() *arrow.Schema { return r.out }

// FilterRows makes the reader drop rows that cannot satisfy predicate (the scan's pushed
// filter; nil drops nothing). It is conservative: the caller must still apply the exact
// filter to the batches. Call before the first Next.
func (r *SplitReader) FilterRows(predicate *Predicate) {
	if predicate == nil {
		r.rows = nil
		return
	}
	r.rows = newRowFilter(predicate, r.projection, r.mem)
}

// Next returns the next batch (owned by the caller) or io.EOF.
func (r *SplitReader) Next() (arrow.RecordBatch, error) {
	for {
		if err := r.ctx.Err(); err != nil {
			return nil, err
		}
		if r.current == nil {
			if len(r.splits) == 0 {
				if len(r.pending) > 0 {
					return r.flushPending()
				}
				return nil, io.EOF
			}
			split := r.splits[0]
			r.splits = r.splits[1:]
			br, err := r.open(split)
			if err != nil {
				return nil, err
			}
			r.current = br
		}
		b, err := r.current.Next()
		if errors.Is(err, io.EOF) {
			r.current.Close()
			r.current = nil
			continue
		}
		if err != nil {
			return nil, err
		}
		if r.rows != nil && b.NumRows() > 0 && !isPrefiltered(r.current) {
			if b, err = r.rows.apply(b); err != nil {
				return nil, err
			}
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		// A prefiltering reader joins its own batches (all but a split's last hold half a batch).
		if r.rows == nil || len(r.pending) == 0 && (b.NumRows() >= int64(r.batchSize)/4 || isPrefiltered(r.current)) {
			return b, nil
		}
		r.pending = append(r.pending, b)
		r.pendingRows += b.NumRows()
		if r.pendingRows >= int64(r.batchSize)/2 {
			return r.flushPending()
		}
	}
}

// flushPending returns the pending batches as one batch, in the order they were read.
func (r *SplitReader) flushPending() (arrow.RecordBatch, error) {
	pending, rows := r.pending, r.pendingRows
	r.pending, r.pendingRows = nil, 0
	defer func() {
		for _, b := range pending {
			b.Release()
		}
	}()
	return ConcatBatches(pending, rows, r.mem)
}

// ConcatBatches joins batches of one schema holding rows rows in all into one batch, in order;
// the batches stay owned by the caller.
func ConcatBatches(batches []arrow.RecordBatch, rows int64, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(batches) == 1 {
		batches[0].Retain()
		return batches[0], nil
	}
	columns := make([]arrow.Array, batches[0].NumCols())
	parts := make([]arrow.Array, len(batches))
	for c := range columns {
		for i, b := range batches {
			parts[i] = b.Column(c)
		}
		column, err := array.Concatenate(parts, mem)
		if err != nil {
			for _, done := range columns[:c] {
				done.Release()
			}
			return nil, errkind.Internal("joining batches: %v", err)
		}
		columns[c] = column
	}
	out := array.NewRecordBatch(batches[0].Schema(), columns, rows)
	for _, column := range columns {
		column.Release()
	}
	return out, nil
}

// Close releases the open file, if any, and the buffers kept for reuse. Batches returned
// earlier stay valid.
func (r *SplitReader) Close() error {
	var err error
	for _, b := range r.pending {
		b.Release()
	}
	r.pending, r.pendingRows = nil, 0
	if r.current != nil {
		err = r.current.Close()
		r.current = nil
	}
	r.recycler.Close()
	return err
}

func (r *SplitReader) open(split Split) (batchReader, error) {
	if split.File < 0 || split.File >= len(r.ds.Files) {
		return nil, errkind.Internal("split names file %d of %d", split.File, len(r.ds.Files))
	}
	mapper := newColumnMapper(r.ds, r.ds.Files[split.File], r.projection, r.out, r.mem)
	switch r.ds.Format {
	case FormatParquet:
		var predicate *Predicate
		if r.rows != nil {
			predicate = r.rows.predicate
		}
		return newParquetSplitReader(r.ctx, r.ds, split, mapper, r.mem, r.batchSize, predicate)
	case FormatCSV:
		return newCSVSplitReader(r.ds, split, mapper, r.mem, r.batchSize)
	case FormatJSON:
		return newJSONSplitReader(r.ds, split, mapper, r.mem, r.batchSize)
	}
	return nil, errkind.NotImplemented("reading %s", r.ds.Format)
}

// columnMapper turns batches read from a file (data columns, matched by name) into the scan's
// output: projected order, partition values as constant columns, absent columns as nulls,
// columns cast to the dataset's type where the file's type differs.
type columnMapper struct {
	ds         *Dataset
	file       *File
	projection []int
	out        *arrow.Schema
	mem        memory.Allocator
}

func newColumnMapper(ds *Dataset, f *File, projection []int, out *arrow.Schema, mem memory.Allocator) *columnMapper {
	return &columnMapper{ds: ds, file: f, projection: projection, out: out, mem: mem}
}

// dataColumnNames lists the data columns the output needs, in output order.
func (m *columnMapper) dataColumnNames() []string {
	var names []string
	for _, p := range m.projection {
		if p < m.ds.NumDataColumns() {
			names = append(names, m.ds.DataSchema.Field(p).Name)
		}
	}
	return names
}

// dataColumns lists the needed data column ordinals (into DataSchema), in output order.
func (m *columnMapper) dataColumns() []int {
	var out []int
	for _, p := range m.projection {
		if p < m.ds.NumDataColumns() {
			out = append(out, p)
		}
	}
	return out
}

// build makes an output batch of rows from b (nil when no data column is read). b is not
// released; the result is owned by the caller.
func (m *columnMapper) build(b arrow.RecordBatch, rows int64) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, len(m.projection))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	nData := m.ds.NumDataColumns()
	for i, p := range m.projection {
		want := m.out.Field(i)
		if p >= nData {
			v := m.file.PartitionValues[p-nData]
			arr, err := scalar.MakeArrayFromScalar(v, int(rows), m.mem)
			if err != nil {
				return nil, errkind.Internal("partition column %s: %v", want.Name, err)
			}
			cols[i] = arr
			continue
		}
		var src arrow.Array
		if b != nil {
			if idx := fieldIndex(b.Schema(), want.Name); idx >= 0 {
				src = b.Column(idx)
			}
		}
		if src == nil {
			cols[i] = array.MakeArrayOfNull(m.mem, want.Type, int(rows))
			continue
		}
		if arrow.TypeEqual(src.DataType(), want.Type) {
			src.Retain()
			cols[i] = src
			continue
		}
		if same, ok := retype(src, want.Type); ok {
			cols[i] = same
			continue
		}
		ctx := compute.WithAllocator(context.Background(), m.mem)
		cast, err := compute.CastArray(ctx, src, compute.SafeCastOptions(want.Type))
		if err != nil {
			return nil, errkind.Invalid("column %s of %s is %s and cannot be read as %s: %v", want.Name, m.file.Path, src.DataType(), want.Type, err)
		}
		cols[i] = cast
	}
	return array.NewRecordBatch(m.out, cols, rows), nil
}

// ReadAll reads every split of ds into batches; for tests and small reads. The caller releases
// the batches.
func ReadAll(ctx context.Context, ds *Dataset, projection []int, mem memory.Allocator, batchSize int) ([]arrow.RecordBatch, error) {
	parts, _, err := ds.PlanSplits(1, nil)
	if err != nil {
		return nil, err
	}
	var out []arrow.RecordBatch
	for _, p := range parts {
		r := NewSplitReader(ctx, ds, p, projection, mem, batchSize)
		for {
			b, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				for _, x := range out {
					x.Release()
				}
				return nil, err
			}
			out = append(out, b)
		}
		r.Close()
	}
	return out, nil
}

var _ = strings.EqualFold

// normalizeSchema drops Parquet field ids from field metadata and gives nested types Arrow's
// canonical child names (list "item", map "entries"/"key"/"value"), so a schema read from a
// file equals the one the engine builds (arrow.ListOf, arrow.MapOf).
func normalizeSchema(s *arrow.Schema) *arrow.Schema {
	fields := make([]arrow.Field, s.NumFields())
	for i, f := range s.Fields() {
		fields[i] = normalizeField(f)
	}
	md := s.Metadata()
	return arrow.NewSchema(fields, &md)
}

func normalizeField(f arrow.Field) arrow.Field {
	if f.HasMetadata() {
		keys, values := []string{}, []string{}
		for i, k := range f.Metadata.Keys() {
			if k != "PARQUET:field_id" {
				keys = append(keys, k)
				values = append(values, f.Metadata.Values()[i])
			}
		}
		f.Metadata = arrow.NewMetadata(keys, values)
		if len(keys) == 0 {
			f.Metadata = arrow.Metadata{}
		}
	}
	f.Type = normalizeType(f.Type)
	return f
}

func normalizeType(t arrow.DataType) arrow.DataType {
	switch tt := t.(type) {
	case *arrow.ListType:
		elem := normalizeField(tt.ElemField())
		elem.Name = "item"
		return arrow.ListOfField(elem)
	case *arrow.LargeListType:
		elem := normalizeField(tt.ElemField())
		elem.Name = "item"
		return arrow.LargeListOfField(elem)
	case *arrow.FixedSizeListType:
		elem := normalizeField(tt.ElemField())
		elem.Name = "item"
		return arrow.FixedSizeListOfField(tt.Len(), elem)
	case *arrow.StructType:
		fields := make([]arrow.Field, tt.NumFields())
		for i, f := range tt.Fields() {
			fields[i] = normalizeField(f)
		}
		return arrow.StructOf(fields...)
	case *arrow.MapType:
		item := normalizeField(tt.ItemField())
		m := arrow.MapOfWithMetadata(normalizeType(tt.KeyType()), arrow.Metadata{}, item.Type, item.Metadata)
		if !item.Nullable {
			m = arrow.MapOfWithMetadata(normalizeType(tt.KeyType()), arrow.Metadata{}, item.Type, item.Metadata)
			m.SetItemNullable(false)
		}
		m.KeysSorted = tt.KeysSorted
		return m
	}
	return t
}

// retype gives an array another type that differs only in nested field names, sharing the
// buffers; ok is false when the types differ in more.
func retype(arr arrow.Array, t arrow.DataType) (arrow.Array, bool) {
	if !arrow.TypeEqual(normalizeType(arr.DataType()), normalizeType(t)) {
		return nil, false
	}
	d := retypeData(arr.Data(), t)
	defer d.Release()
	return array.MakeFromData(d), true
}

func retypeData(d arrow.ArrayData, t arrow.DataType) arrow.ArrayData {
	var childTypes []arrow.DataType
	switch tt := t.(type) {
	case *arrow.ListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.LargeListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.FixedSizeListType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.MapType:
		childTypes = []arrow.DataType{tt.Elem()}
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			childTypes = append(childTypes, f.Type)
		}
	}
	children := make([]arrow.ArrayData, len(d.Children()))
	for i, c := range d.Children() {
		if i < len(childTypes) {
			children[i] = retypeData(c, childTypes[i])
		} else {
			c.Retain()
			children[i] = c
		}
	}
	out := array.NewData(t, d.Len(), d.Buffers(), children, d.NullN(), d.Offset())
	for _, c := range children {
		c.Release()
	}
	return out
}
