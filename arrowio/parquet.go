package arrowio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/quiverdata/quiver/errkind"
)

// discoverParquet reads every file's footer (row groups and statistics, concurrently) and, without
// a user schema, takes the schema of the first file, as Spark does without mergeSchema.
func discoverParquet(ds *Dataset) error {
	if len(ds.Files) == 0 {
		if ds.DataSchema == nil {
			return errkind.Invalid("[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for Parquet: %s has no data files. It must be specified manually", strings.Join(ds.Paths, ", "))
		}
		return nil
	}
	schemas := make([]*arrow.Schema, len(ds.Files))
	errs := make([]error, len(ds.Files))
	var wg sync.WaitGroup
	var kept atomic.Int64 // serialized bytes of the footers kept
	sem := make(chan struct{}, 8)
	for i, f := range ds.Files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			var footer *metadata.FileMetaData
			schemas[i], f.RowGroups, footer, errs[i] = readParquetFooter(f.Path)
			if footer != nil && kept.Add(int64(footer.Size())) <= keptFootersBytes {
				f.footer = footer
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	if ds.DataSchema == nil {
		ds.DataSchema = normalizeSchema(schemas[0])
	}
	// Statistics are per file schema; re-index them by the dataset's columns (matched by name).
	for i, f := range ds.Files {
		for r := range f.RowGroups {
			f.RowGroups[r].Columns = reindexStats(f.RowGroups[r].Columns, schemas[i], ds.DataSchema)
		}
	}
	return nil
}

func reindexStats(stats []*ColumnStats, fileSchema, dataSchema *arrow.Schema) []*ColumnStats {
	out := make([]*ColumnStats, dataSchema.NumFields())
	for i, f := range dataSchema.Fields() {
		idx := fieldIndex(fileSchema, f.Name)
		if idx < 0 || idx >= len(stats) || stats[idx] == nil {
			continue
		}
		if !arrow.TypeEqual(fileSchema.Field(idx).Type, f.Type) {
			continue // a user schema with another type: the file's statistics do not apply
		}
		out[i] = stats[idx]
	}
	return out
}

// fieldIndex finds a field by exact name, then case-insensitively (Spark's default).
func fieldIndex(s *arrow.Schema, name string) int {
	if idx := s.FieldIndices(name); len(idx) > 0 {
		return idx[0]
	}
	for i, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

// keptFootersBytes bounds the serialized size of the footers a dataset keeps (File.footer).
// Parsing lineitem's footer at TPC-H scale factor 1 (13 row groups, 16 columns) costs 3-4 ms,
// once per split read; a dataset of many files parses the rest per split as before.
const keptFootersBytes = 16 << 20

// openParquet opens a Parquet file. With discovered (the dataset's File, or nil) holding a kept
// footer and the file still of the size and modification time discovery saw, the kept footer is
// used instead of reading and parsing it again; a file rewritten since is read with its own.
func openParquet(path string, mem memory.Allocator, batchSize int64, discovered *File) (*os.File, *pqarrow.FileReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errkind.NotFound("cannot open %s: %v", path, err)
	}
	var footer *metadata.FileMetaData
	if discovered != nil && discovered.footer != nil {
		if info, err := f.Stat(); err == nil && info.Size() == discovered.Size && info.ModTime().Equal(discovered.ModTime) {
			footer = discovered.footer
		}
	}
	props := parquet.NewReaderProperties(mem)
	// Stream column chunks through a small buffer: unbuffered, pqarrow reads each whole chunk
	// (megabytes) into a new Go slice, a third of a TPC-H Q6 scan's garbage. Page bodies
	// bigger than the buffer are read straight into the decompression buffer.
	props.BufferedStreamEnabled = true
	props.BufferSize = 64 << 10
	options := []file.ReadOption{file.WithReadProps(props)}
	if footer != nil {
		options = append(options, file.WithMetadata(footer))
	}
	rdr, err := file.NewParquetReader(f, options...)
	if err != nil {
		f.Close()
		return nil, nil, errkind.Invalid("%s is not a readable Parquet file: %v", path, err)
	}
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: batchSize}, mem)
	if err != nil {
		rdr.Close()
		return nil, nil, errkind.Invalid("cannot read the schema of %s: %v", path, err)
	}
	return f, fr, nil
}

// readParquetFooter reads a file's schema and row group metadata; the parsed footer is returned
// for splits to reuse (nil for an encrypted file, whose footer the reader decrypts and changes).
func readParquetFooter(path string) (*arrow.Schema, []RowGroup, *metadata.FileMetaData, error) {
	f, fr, err := openParquet(path, memory.DefaultAllocator, 1, nil)
	if err != nil {
		return nil, nil, nil, err
	}
	defer f.Close()
	defer fr.ParquetReader().Close()
	sc, err := fr.Schema()
	if err != nil {
		return nil, nil, nil, errkind.Invalid("cannot convert the schema of %s to Arrow: %v", path, err)
	}
	md := fr.ParquetReader().MetaData()
	groups := make([]RowGroup, md.NumRowGroups())
	for r := range groups {
		rg := md.RowGroup(r)
		groups[r] = RowGroup{NumRows: rg.NumRows(), Bytes: rg.TotalCompressedSize(), Columns: make([]*ColumnStats, sc.NumFields())}
		if groups[r].Bytes <= 0 {
			groups[r].Bytes = rg.TotalByteSize()
		}
		groups[r].Seekable = seekableRowGroup(rg, md)
		for i, field := range fr.Manifest.Fields {
			if !field.IsLeaf() || i >= sc.NumFields() {
				continue // statistics of nested columns are not used for pruning
			}
			cc, err := rg.ColumnChunk(field.ColIndex)
			if err != nil {
				continue
			}
			groups[r].Columns[i] = columnStats(cc, md.Schema.Column(field.ColIndex), sc.Field(i).Type)
		}
	}
	if md.IsSetEncryptionAlgorithm() {
		return sc, groups, nil, nil
	}
	// Readers sharing the footer only read it; this is its one lazily filled field.
	md.WriterVersion()
	return sc, groups, md, nil
}

// columnStats converts a column chunk's statistics to scalars of the column's Arrow type; nil
// where the conversion is not known to preserve order.
func columnStats(cc *metadata.ColumnChunkMetaData, descr *schema.Column, t arrow.DataType) *ColumnStats {
	if ok, err := cc.StatsSet(); !ok || err != nil {
		return nil
	}
	st, err := cc.Statistics()
	if err != nil || st == nil {
		return nil
	}
	out := &ColumnStats{}
	if st.HasNullCount() {
		out.NullCount, out.HasNullCount = st.NullCount(), true
	}
	if !st.HasMinMax() {
		return out
	}
	if ts, ok := t.(*arrow.TimestampType); ok {
		lt, ok := descr.LogicalType().(*schema.TimestampLogicalType)
		if !ok || !timeUnitMatches(lt.TimeUnit(), ts.Unit) {
			return out
		}
	}
	var min, max scalar.Scalar
	switch s := st.(type) {
	case *metadata.Int32Statistics:
		min, max = intScalar(int64(s.Min()), t), intScalar(int64(s.Max()), t)
	case *metadata.Int64Statistics:
		min, max = intScalar(s.Min(), t), intScalar(s.Max(), t)
	case *metadata.Float32Statistics:
		if t.ID() == arrow.FLOAT32 {
			min, max = scalar.NewFloat32Scalar(s.Min()), scalar.NewFloat32Scalar(s.Max())
		}
	case *metadata.Float64Statistics:
		if t.ID() == arrow.FLOAT64 {
			min, max = scalar.NewFloat64Scalar(s.Min()), scalar.NewFloat64Scalar(s.Max())
		}
	case *metadata.BooleanStatistics:
		if t.ID() == arrow.BOOL {
			min, max = scalar.NewBooleanScalar(s.Min()), scalar.NewBooleanScalar(s.Max())
		}
	case *metadata.ByteArrayStatistics:
		switch t.ID() {
		case arrow.STRING:
			min, max = scalar.NewStringScalar(string(s.Min())), scalar.NewStringScalar(string(s.Max()))
		case arrow.LARGE_STRING:
			min, max = scalar.NewLargeStringScalar(string(s.Min())), scalar.NewLargeStringScalar(string(s.Max()))
		case arrow.BINARY:
			min, max = scalar.NewBinaryScalar(memory.NewBufferBytes(append([]byte(nil), s.Min()...)), t), scalar.NewBinaryScalar(memory.NewBufferBytes(append([]byte(nil), s.Max()...)), t)
		}
	case *metadata.FixedLenByteArrayStatistics:
		if dt, ok := t.(*arrow.Decimal128Type); ok {
			min, max = decimalFromBigEndian(s.Min(), dt), decimalFromBigEndian(s.Max(), dt)
		}
	}
	if min != nil && max != nil {
		out.Min, out.Max = min, max
	}
	return out
}

func timeUnitMatches(u schema.TimeUnitType, a arrow.TimeUnit) bool {
	switch u {
	case schema.TimeUnitMillis:
		return a == arrow.Millisecond
	case schema.TimeUnitMicros:
		return a == arrow.Microsecond
	case schema.TimeUnitNanos:
		return a == arrow.Nanosecond
	}
	return false
}

func intScalar(v int64, t arrow.DataType) scalar.Scalar {
	switch tt := t.(type) {
	case *arrow.Int8Type:
		return scalar.NewInt8Scalar(int8(v))
	case *arrow.Int16Type:
		return scalar.NewInt16Scalar(int16(v))
	case *arrow.Int32Type:
		return scalar.NewInt32Scalar(int32(v))
	case *arrow.Int64Type:
		return scalar.NewInt64Scalar(v)
	case *arrow.Date32Type:
		return scalar.NewDate32Scalar(arrow.Date32(v))
	case *arrow.TimestampType:
		return scalar.NewTimestampScalar(arrow.Timestamp(v), tt)
	case *arrow.Decimal128Type:
		return scalar.NewDecimal128Scalar(decimal128.FromI64(v), tt)
	}
	// Unsigned columns are stored as signed physical values: their order differs; skip them.
	return nil
}

func decimalFromBigEndian(b []byte, t *arrow.Decimal128Type) scalar.Scalar {
	if len(b) == 0 || len(b) > 16 {
		return nil
	}
	v := new(big.Int).SetBytes(b)
	if b[0]&0x80 != 0 { // two's complement negative
		v.Sub(v, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return scalar.NewDecimal128Scalar(decimal128.FromBigInt(v), t)
}

// directReads selects the direct reader for the columns it decodes; tests and benchmarks turn
// it off to compare with pqarrow's reading.
var directReads = true

// parquetSplitReader reads the row groups of one split.
type parquetSplitReader struct {
	file   *os.File
	fr     *pqarrow.FileReader
	rr     pqarrow.RecordReader
	mapper *columnMapper
	mem    memory.Allocator
	// reads says which columns are read in a physical form and converted back (parquet_fast.go).
	reads map[int]fieldRead
	// countOnly: no data column is read; batches carry row counts from metadata.
	countOnly []int64
	// direct reads flat columns without pqarrow and applies the scan's predicate itself
	// (parquet_direct.go); nil when a column needs pqarrow.
	direct *directReader
	// left counts the rows rr may still return for a split of part of a row group (-1: all).
	left int64
}

// prefiltered reports whether the reader's batches already went through the scan's predicate.
func (r *parquetSplitReader) prefiltered() bool { return r.direct != nil }

func newParquetSplitReader(ctx context.Context, ds *Dataset, split Split, mapper *columnMapper, mem memory.Allocator, batchSize int, predicate *Predicate) (batchReader, error) {
	f := ds.Files[split.File]
	osf, fr, err := openParquet(f.Path, mem, int64(batchSize), f)
	if err != nil {
		return nil, err
	}
	r := &parquetSplitReader{file: osf, fr: fr, mapper: mapper, mem: mem}
	fileSchema, err := fr.Schema()
	if err != nil {
		r.Close()
		return nil, errkind.Invalid("cannot convert the schema of %s to Arrow: %v", f.Path, err)
	}
	var leaves, fields []int
	for _, name := range mapper.dataColumnNames() {
		idx := fieldIndex(fileSchema, name)
		if idx < 0 {
			continue // absent in this file: the mapper fills nulls
		}
		fields = append(fields, idx)
		leaves = appendLeaves(leaves, &fr.Manifest.Fields[idx])
	}
	rowGroups := split.RowGroups
	if len(leaves) > 0 && directReads {
		if direct := newDirectReader(fr, fields, rowGroups, mem, batchSize); direct != nil {
			direct.filter(predicate, ds)
			if split.NumRows > 0 {
				direct.firstRow, direct.numRows = split.FirstRow, split.NumRows
			}
			r.direct = direct
			return r, nil
		}
	}
	r.reads = physicalReads(fr, fields, rowGroups)
	if len(leaves) == 0 {
		md := fr.ParquetReader().MetaData()
		for _, rg := range rowGroups {
			n := md.RowGroup(rg).NumRows()
			if split.NumRows > 0 {
				n = min(split.NumRows, n-split.FirstRow)
			}
			for n > 0 {
				chunk := min(n, int64(batchSize))
				r.countOnly = append(r.countOnly, chunk)
				n -= chunk
			}
		}
		return r, nil
	}
	rr, err := fr.GetRecordReader(ctx, leaves, rowGroups)
	if err != nil {
		r.Close()
		return nil, errkind.Invalid("cannot read %s: %v", f.Path, err)
	}
	r.rr = rr
	r.left = -1
	if split.NumRows > 0 {
		if split.FirstRow > 0 {
			if err := rr.SeekToRow(split.FirstRow); err != nil {
				r.Close()
				return nil, errkind.Invalid("cannot read %s from row %d of row group %d: %v", f.Path, split.FirstRow, rowGroups[0], err)
			}
		}
		r.left = split.NumRows
	}
	return r, nil
}

func appendLeaves(out []int, f *pqarrow.SchemaField) []int {
	if f.IsLeaf() {
		return append(out, f.ColIndex)
	}
	for i := range f.Children {
		out = appendLeaves(out, &f.Children[i])
	}
	return out
}

func (r *parquetSplitReader) Next() (arrow.RecordBatch, error) {
	if r.direct != nil {
		b, err := r.direct.Next()
		if err != nil {
			return nil, err
		}
		defer b.Release()
		return r.mapper.build(b, b.NumRows())
	}
	if r.rr == nil {
		if len(r.countOnly) == 0 {
			return nil, io.EOF
		}
		n := r.countOnly[0]
		r.countOnly = r.countOnly[1:]
		return r.mapper.build(nil, n)
	}
	if r.left == 0 {
		return nil, io.EOF
	}
	if !r.rr.Next() {
		if err := r.rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			return nil, errkind.Invalid("reading Parquet: %v", err)
		}
		return nil, io.EOF
	}
	b := r.rr.RecordBatch()
	if r.left > 0 {
		if b.NumRows() > r.left {
			// The split ends inside this batch: the rest belongs to the next split.
			b = b.NewSlice(0, r.left)
			defer b.Release()
		}
		r.left -= b.NumRows()
	}
	if r.reads != nil {
		b.Retain()
		restored, err := restoreTypes(b, r.reads, r.fr.Manifest.Fields, r.mem)
		if err != nil {
			return nil, err
		}
		defer restored.Release()
		return r.mapper.build(restored, restored.NumRows())
	}
	return r.mapper.build(b, b.NumRows())
}

func (r *parquetSplitReader) Close() error {
	if r.direct != nil {
		r.direct.Close()
		r.direct = nil
	}
	if r.rr != nil {
		r.rr.Release()
		r.rr = nil
	}
	if r.fr != nil {
		r.fr.ParquetReader().Close()
		r.fr = nil
	}
	if r.file != nil {
		r.file.Close()
		r.file = nil
	}
	return nil
}

// parquetWriter writes one Parquet file.
type parquetWriter struct {
	fw *pqarrow.FileWriter
}

func newParquetWriter(w io.Writer, sc *arrow.Schema, opts Options, mem memory.Allocator) (formatWriter, error) {
	codec := compress.Codecs.Snappy // Spark's default spark.sql.parquet.compression.codec
	switch c := strings.ToLower(opts.Get("compression", opts.Get("codec", "snappy"))); c {
	case "snappy":
	case "none", "uncompressed":
		codec = compress.Codecs.Uncompressed
	case "gzip":
		codec = compress.Codecs.Gzip
	case "zstd":
		codec = compress.Codecs.Zstd
	case "brotli":
		codec = compress.Codecs.Brotli
	case "lz4", "lz4_raw":
		codec = compress.Codecs.Lz4Raw
	default:
		return nil, errkind.Invalid("unknown Parquet compression %q; use snappy, gzip, zstd, lz4, brotli or none", c)
	}
	rows, err := opts.Int("maxRowsPerRowGroup", 1<<20)
	if err != nil {
		return nil, err
	}
	if rows < 1 {
		return nil, errkind.Invalid("maxRowsPerRowGroup must be at least 1")
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(codec), parquet.WithMaxRowGroupLength(rows), parquet.WithAllocator(mem))
	fw, err := pqarrow.NewFileWriter(sc, w, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema(), pqarrow.WithAllocator(mem)))
	if err != nil {
		return nil, errkind.Invalid("cannot write %s as Parquet: %v", sc, err)
	}
	return &parquetWriter{fw: fw}, nil
}

func (w *parquetWriter) Write(b arrow.RecordBatch) error {
	if err := w.fw.WriteBuffered(b); err != nil {
		return fmt.Errorf("writing Parquet: %w", err)
	}
	return nil
}

func (w *parquetWriter) Close() error { return w.fw.Close() }
