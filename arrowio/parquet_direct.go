package arrowio

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/quiverdata/quiver/errkind"
)

// The direct reader decodes flat Parquet columns with parquet-go's column chunk readers into
// scratch slices and builds each output batch from the rows the scan's pushed predicate may
// keep. pqarrow (parquet.go, parquet_fast.go) builds whole Arrow arrays for every row first:
// every decimal widened to 16 bytes, every string gathered, then most of it thrown away by the
// row filter's take. Here the predicate runs on the physical values (dates and unscaled
// decimals as integers, strings as bytes) as soon as its column is decoded, the conjunct that
// removes the most rows runs first, columns of chunks where no row survives are skipped
// without decoding, and only surviving rows are widened or copied into the output, which
// collects rows over several chunks until it holds half a batch (so a selective filter still
// yields full batches without joining small ones).

// directKind is how one column is decoded and written out.
type directKind int

const (
	directInt32 directKind = iota // int32 and date32: the physical INT32 as is
	directInt64
	directFloat32
	directFloat64
	directDecimalInt32 // decimal stored as INT32, widened to 16 bytes
	directDecimalInt64 // decimal stored as INT64, widened to 16 bytes
	directByteArray    // string or binary
)

// width is the size of a physical value of fixed-width kinds; 0 for strings.
func (k directKind) width() int {
	switch k {
	case directInt32, directFloat32, directDecimalInt32:
		return 4
	case directInt64, directFloat64, directDecimalInt64:
		return 8
	}
	return 0
}

// directColumnKind says whether a flat column of Arrow type t stored as physical type p can be
// read directly, and how.
func directColumnKind(t arrow.DataType, column *schema.Column) (directKind, bool) {
	if column.MaxRepetitionLevel() > 0 || column.MaxDefinitionLevel() > 1 {
		return 0, false
	}
	p := column.PhysicalType()
	switch t.(type) {
	case *arrow.Int32Type, *arrow.Date32Type:
		return directInt32, p == parquet.Types.Int32
	case *arrow.Int64Type:
		return directInt64, p == parquet.Types.Int64
	case *arrow.Float32Type:
		return directFloat32, p == parquet.Types.Float
	case *arrow.Float64Type:
		return directFloat64, p == parquet.Types.Double
	case *arrow.Decimal128Type:
		switch p {
		case parquet.Types.Int32:
			return directDecimalInt32, true
		case parquet.Types.Int64:
			return directDecimalInt64, true
		}
	case *arrow.StringType, *arrow.BinaryType:
		return directByteArray, p == parquet.Types.ByteArray
	}
	return 0, false
}

// directColumn is one column of the direct reader: its chunk reader for the current row group,
// the current chunk's decoded rows, and the output batch being filled.
type directColumn struct {
	field    arrow.Field
	kind     directKind
	index    int // leaf index in the file
	nullable bool
	reader   file.ColumnChunkReader

	// The current chunk, row aligned (nulls hold zero values); loaded says it is decoded.
	loaded      bool
	valid       []bool // nil when the chunk has no null
	definitions []int16
	int32s      []int32
	int64s      []int64
	float32s    []float32
	float64s    []float64
	byteArrays  []parquet.ByteArray
	// Strings of the chunk copied out of the page (pages are reused as the reader moves on):
	// row i is chunkBytes[chunkOffsets[i]:chunkOffsets[i+1]].
	chunkOffsets []int32
	chunkBytes   []byte
	// Dictionary-encoded strings are read as indices (every data page of the split's row groups
	// is dictionary encoded): records reads them, and a chunk is held as its dictionary array
	// (chunk) with row aligned indices, or materialized into chunkOffsets/chunkBytes when the
	// reader hands over more than one dictionary.
	records           file.RecordReader
	info              file.LevelInfo
	chunk             *array.Dictionary
	indices           []int32
	dictionaryOffsets []int32
	dictionaryBytes   []byte
	materialized      bool
	rowGroupSerial    int // counts the row groups opened, for predicates' caches
	// pages decodes fixed-width columns whose chunk has only encodings it knows (usePages),
	// instead of reader.
	pages    pageDecoder
	usePages bool
	// indexed: a fixed-width chunk's rows are indices into the page decoder's dictionary.
	indexed bool
	// uniform is the width of every value of the string dictionary of row group widthRowGroup
	// (uniformOK), computed once per dictionary.
	uniform                            int32
	uniformOK                          bool
	widthRowGroup, widthDictionarySize int
	// dictionaryRows: the chunk's strings are indices (row aligned) into dictionaryOffsets and
	// dictionaryBytes.
	dictionaryRows bool

	// The output batch: values (fixed width) or offsets and bytes (strings), and validity when a
	// null was written.
	values     *memory.Buffer
	offsets    *memory.Buffer
	outBytes   []byte
	outValid   []bool
	outHasNull bool
}

// directReader reads the row groups of one split with the direct decoders.
type directReader struct {
	file      *file.Reader
	rowGroups []int
	columns   []*directColumn
	predicate *directPredicate
	mem       memory.Allocator
	batchSize int
	schema    *arrow.Schema

	rowGroup       *file.RowGroupReader
	openedRowGroup int
	remaining      int64 // rows left in the open row group
	// firstRow and numRows narrow a split of one row group to a range of its rows (numRows 0:
	// whole row groups).
	firstRow, numRows int64
	// selections are scratch selection vectors handed out per chunk.
	selections [][]int32
	used       int
}

// newDirectReader returns a reader of the listed top-level file fields, or nil when one of them
// is not a flat column of a type it decodes.
func newDirectReader(fr *pqarrow.FileReader, fields []int, rowGroups []int, mem memory.Allocator, batchSize int) *directReader {
	md := fr.ParquetReader().MetaData()
	r := &directReader{file: fr.ParquetReader(), rowGroups: rowGroups, mem: mem, batchSize: batchSize}
	arrowFields := make([]arrow.Field, 0, len(fields))
	for _, idx := range fields {
		field := &fr.Manifest.Fields[idx]
		if !field.IsLeaf() || field.Field == nil {
			return nil
		}
		column := md.Schema.Column(field.ColIndex)
		kind, ok := directColumnKind(field.Field.Type, column)
		if !ok {
			return nil
		}
		c := &directColumn{field: *field.Field, kind: kind, index: field.ColIndex, nullable: column.MaxDefinitionLevel() > 0, info: field.LevelInfo, widthRowGroup: -1}
		if kind == directByteArray && allDictionaryPages(md, field.ColIndex, rowGroups) {
			c.records = file.NewRecordReader(column, field.LevelInfo, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int32, ValueType: field.Field.Type}, mem, nil)
		}
		r.columns = append(r.columns, c)
		arrowFields = append(arrowFields, *field.Field)
	}
	r.schema = arrow.NewSchema(arrowFields, nil)
	return r
}

// filter compiles the scan's predicate against the columns read. dataset names the predicate's
// columns; a comparison on a column read with another type than the dataset's is not checked.
func (r *directReader) filter(predicate *Predicate, ds *Dataset) {
	if predicate == nil {
		return
	}
	r.predicate = compileDirectPredicate(predicate, func(column int) *directColumn {
		if column < 0 || column >= ds.NumDataColumns() {
			return nil
		}
		want := ds.DataSchema.Field(column)
		for _, c := range r.columns {
			if c.field.Name == want.Name && arrow.TypeEqual(c.field.Type, want.Type) {
				return c
			}
		}
		return nil
	})
}

// openRowGroup moves to the next row group of the split; false at the end.
func (r *directReader) openRowGroup() (bool, error) {
	r.closeColumns()
	for len(r.rowGroups) > 0 {
		rg := r.file.RowGroup(r.rowGroups[0])
		r.openedRowGroup = r.rowGroups[0]
		r.rowGroups = r.rowGroups[1:]
		if rg.NumRows() == 0 {
			continue
		}
		for _, c := range r.columns {
			c.rowGroupSerial++
			if c.kind == directByteArray {
				// Strings whose pages are all dictionary encoded are read as indices.
				chunk, err := rg.MetaData().ColumnChunk(c.index)
				if err == nil && pageDecodable(chunk) && allDictionaryPages(r.file.MetaData(), c.index, []int{r.openedRowGroup}) {
					pages, err := rg.GetColumnPageReader(c.index)
					if err != nil {
						return false, errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
					}
					c.pages.reset(pages, 0, c.nullable)
					c.usePages = true
					continue
				}
			}
			if c.records != nil {
				pages, err := rg.GetColumnPageReader(c.index)
				if err == nil {
					if records, ok := c.records.(file.RecordReaderWithError); ok {
						err = records.SetPageReaderWithError(pages)
					} else {
						c.records.SetPageReader(pages)
					}
				}
				if err != nil {
					return false, errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
				}
				continue
			}
			if width := c.kind.width(); width > 0 {
				chunk, err := rg.MetaData().ColumnChunk(c.index)
				if err == nil && pageDecodable(chunk) {
					pages, err := rg.GetColumnPageReader(c.index)
					if err != nil {
						return false, errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
					}
					c.pages.reset(pages, width, c.nullable)
					c.usePages = true
					// With only dictionary pages, rows stay indices until the predicate has run.
					c.indexed = allDictionaryPages(r.file.MetaData(), c.index, []int{r.openedRowGroup})
					continue
				}
			}
			reader, err := rg.Column(c.index)
			if err != nil {
				return false, errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
			}
			c.reader = reader
		}
		r.rowGroup, r.remaining = rg, rg.NumRows()
		if r.numRows > 0 {
			if err := r.seek(r.firstRow); err != nil {
				return false, err
			}
			r.remaining = min(r.numRows, rg.NumRows()-r.firstRow)
		}
		return true, nil
	}
	return false, nil
}

// seek moves every column of the open row group to row (a split starting inside it).
func (r *directReader) seek(row int64) error {
	if row == 0 {
		return nil
	}
	for _, c := range r.columns {
		var err error
		switch {
		case c.usePages:
			err = c.pages.seek(row)
		case c.records != nil:
			err = c.records.SeekToRow(row)
		default:
			err = c.reader.SeekToRow(row)
		}
		if err != nil {
			return errkind.Invalid("reading Parquet column %s from row %d of row group %d: %v", c.field.Name, row, r.openedRowGroup, err)
		}
	}
	return nil
}

// Next returns a batch of the rows that may satisfy the predicate, in the file's column order;
// io.EOF at the end.
func (r *directReader) Next() (arrow.RecordBatch, error) {
	capacity := r.batchSize
	rows := 0
	started := false
	defer func() {
		if !started {
			return
		}
		for _, c := range r.columns {
			c.releaseOutput()
		}
	}()
	// Collect chunks until the batch is full, or with a predicate half full; the rows of a chunk
	// never overflow the batch.
	half := max(1, capacity/2)
	for rows < capacity && (r.predicate == nil || rows < half) {
		if r.remaining == 0 {
			more, err := r.openRowGroup()
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
		}
		if !started {
			for _, c := range r.columns {
				c.startOutput(r.mem, capacity)
			}
			started = true
		}
		n := int(min(r.remaining, int64(capacity-rows)))
		kept, err := r.readChunk(n, rows)
		if err != nil {
			return nil, err
		}
		r.remaining -= int64(n)
		rows += kept
	}
	if rows == 0 {
		return nil, io.EOF
	}
	columns := make([]arrow.Array, len(r.columns))
	for i, c := range r.columns {
		columns[i] = c.finishOutput(r.mem, rows)
	}
	started = false
	batch := array.NewRecordBatch(r.schema, columns, int64(rows))
	for _, c := range columns {
		c.Release()
	}
	return batch, nil
}

// readChunk decodes the next n rows of the row group and appends those the predicate may keep
// to the output at row at; it returns how many it appended.
func (r *directReader) readChunk(n, at int) (int, error) {
	r.used = 0
	for _, c := range r.columns {
		c.loaded = false
		c.releaseChunk()
	}
	var selection []int32 // nil: every row
	all := true
	if r.predicate != nil {
		var err error
		selection, all, err = r.predicate.evaluate(r, n, nil, true, true)
		if err != nil {
			return 0, err
		}
	}
	kept := n
	if !all {
		kept = len(selection)
		selection = selection[:kept]
	}
	for _, c := range r.columns {
		if kept == 0 {
			if !c.loaded {
				if err := c.skip(n); err != nil {
					return 0, err
				}
			}
			continue
		}
		if err := c.appendRows(n, selection, all, at); err != nil {
			return 0, err
		}
	}
	return kept, nil
}

// selection hands out a scratch selection vector of capacity n, valid for the current chunk.
func (r *directReader) selection(n int) []int32 {
	if r.used == len(r.selections) {
		r.selections = append(r.selections, make([]int32, 0, r.batchSize))
	}
	s := r.selections[r.used]
	r.used++
	if cap(s) < n {
		s = make([]int32, 0, n)
		r.selections[r.used-1] = s
	}
	return s[:0]
}

// closeColumns closes the column chunk readers of the open row group (they hold page buffers).
func (r *directReader) closeColumns() {
	for _, c := range r.columns {
		c.pages.close()
		c.usePages, c.indexed = false, false
		if closer, ok := c.reader.(interface{ Close() error }); ok {
			closer.Close()
		}
		c.reader = nil
	}
}

func (r *directReader) Close() error {
	r.closeColumns()
	for _, c := range r.columns {
		c.releaseChunk()
		if c.records != nil {
			c.records.Release()
			c.records = nil
		}
	}
	return nil
}

// startOutput allocates the output buffers for a batch of up to capacity rows.
func (c *directColumn) startOutput(mem memory.Allocator, capacity int) {
	c.outHasNull = false
	switch c.kind {
	case directInt32, directFloat32:
		c.values = newOutputBuffer(mem, capacity*4)
	case directInt64, directFloat64:
		c.values = newOutputBuffer(mem, capacity*8)
	case directDecimalInt32, directDecimalInt64:
		c.values = newOutputBuffer(mem, capacity*16)
	case directByteArray:
		c.offsets = newOutputBuffer(mem, (capacity+1)*4)
		arrow.Int32Traits.CastFromBytes(c.offsets.Bytes())[0] = 0
		c.outBytes = c.outBytes[:0]
	}
	if c.nullable {
		if cap(c.outValid) < capacity {
			c.outValid = make([]bool, capacity)
		}
		c.outValid = c.outValid[:capacity]
	}
}

func (c *directColumn) releaseOutput() {
	if c.values != nil {
		c.values.Release()
		c.values = nil
	}
	if c.offsets != nil {
		c.offsets.Release()
		c.offsets = nil
	}
}

// finishOutput turns the output of rows rows into an array; the buffers pass to the array.
func (c *directColumn) finishOutput(mem memory.Allocator, rows int) arrow.Array {
	var validity *memory.Buffer
	nulls := 0
	if c.outHasNull {
		validity = newOutputBuffer(mem, int(bitutil.BytesForBits(int64(rows))))
		bits := validity.Bytes()
		clear(bits)
		for i, v := range c.outValid[:rows] {
			if v {
				bitutil.SetBit(bits, i)
			} else {
				nulls++
			}
		}
	}
	var buffers []*memory.Buffer
	if c.kind == directByteArray {
		data := newOutputBuffer(mem, len(c.outBytes))
		copy(data.Bytes(), c.outBytes)
		buffers = []*memory.Buffer{validity, c.offsets, data}
		defer data.Release()
	} else {
		buffers = []*memory.Buffer{validity, c.values}
	}
	d := array.NewData(c.field.Type, rows, buffers, nil, nulls, 0)
	defer d.Release()
	if validity != nil {
		validity.Release()
	}
	c.releaseOutput()
	return array.MakeFromData(d)
}

// load decodes the chunk's n rows into the scratch slices, row aligned. With a selection (all
// false) a column read as dictionary indices may decode only the selected rows; the caller then
// reads no other row of this chunk (selections only shrink as conjuncts run).
func (c *directColumn) load(n int, selection []int32, all bool) error {
	if c.loaded {
		return nil
	}
	if c.usePages && (c.indexed || c.kind == directByteArray) {
		return c.loadIndices(n, selection, all)
	}
	c.loaded = true
	var definitions []int16
	if c.nullable {
		c.definitions = grow(c.definitions, n)
		definitions = c.definitions
	}
	if c.usePages {
		return c.loadPages(n)
	}
	var levels int64
	var read int
	var err error
	switch c.kind {
	case directInt32, directDecimalInt32:
		c.int32s = grow(c.int32s, n)
		levels, read, err = c.reader.(*file.Int32ColumnChunkReader).ReadBatch(int64(n), c.int32s, definitions, nil)
		if err == nil {
			spread(c.int32s, definitions, n, read)
		}
	case directInt64, directDecimalInt64:
		c.int64s = grow(c.int64s, n)
		levels, read, err = c.reader.(*file.Int64ColumnChunkReader).ReadBatch(int64(n), c.int64s, definitions, nil)
		if err == nil {
			spread(c.int64s, definitions, n, read)
		}
	case directFloat32:
		c.float32s = grow(c.float32s, n)
		levels, read, err = c.reader.(*file.Float32ColumnChunkReader).ReadBatch(int64(n), c.float32s, definitions, nil)
		if err == nil {
			spread(c.float32s, definitions, n, read)
		}
	case directFloat64:
		c.float64s = grow(c.float64s, n)
		levels, read, err = c.reader.(*file.Float64ColumnChunkReader).ReadBatch(int64(n), c.float64s, definitions, nil)
		if err == nil {
			spread(c.float64s, definitions, n, read)
		}
	case directByteArray:
		if c.records != nil {
			return c.loadDictionary(n)
		}
		return c.loadStrings(n)
	}
	if err != nil {
		return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
	}
	if int(levels) != n {
		return errkind.Invalid("reading Parquet column %s: %d rows where the row group has %d", c.field.Name, levels, n)
	}
	c.setValidity(n, read)
	return nil
}

// setValidity derives the chunk's validity from its definition levels.
func (c *directColumn) setValidity(n, read int) {
	c.valid = nil
	if !c.nullable || read == n {
		return
	}
	c.valid = grow(c.valid[:0], n)
	for i, d := range c.definitions[:n] {
		c.valid[i] = d > 0
	}
}

// loadStrings decodes the chunk's strings page by page, copying them out of each page before
// the reader moves to the next.
func (c *directColumn) loadStrings(n int) error {
	reader := c.reader.(*file.ByteArrayColumnChunkReader)
	c.byteArrays = grow(c.byteArrays, n)
	if c.nullable {
		c.definitions = grow(c.definitions, n)
	}
	c.chunkOffsets = grow(c.chunkOffsets, n+1)
	c.chunkBytes = c.chunkBytes[:0]
	c.chunkOffsets[0] = 0
	done, values := 0, 0
	for done < n {
		var definitions []int16
		if c.nullable {
			definitions = c.definitions[done:n]
		}
		levels, read, err := reader.ReadBatchInPage(int64(n-done), c.byteArrays[:n-done], definitions, nil)
		if err != nil {
			return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
		}
		if levels == 0 {
			return errkind.Invalid("reading Parquet column %s: the row group ends early", c.field.Name)
		}
		next := 0
		chunkBytes, chunkOffsets := c.chunkBytes, c.chunkOffsets
		for i := range int(levels) {
			if definitions == nil || definitions[i] > 0 {
				chunkBytes = appendShort(chunkBytes, c.byteArrays[next])
				next++
			}
			chunkOffsets[done+i+1] = int32(len(chunkBytes))
		}
		c.chunkBytes = chunkBytes
		values += read
		done += int(levels)
	}
	c.setValidity(n, values)
	return nil
}

// skip passes over the chunk's n rows; whole pages are not decoded.
func (c *directColumn) skip(n int) error {
	if c.usePages {
		// Decoding indices costs little next to the page's decompression.
		if c.kind == directByteArray || c.indexed {
			return c.loadIndices(n, nil, false) // decodes no row on required columns
		}
		return c.loadPages(n)
	}
	if c.records != nil {
		return c.loadDictionary(n) // the record reader has no skip; indices are cheap
	}
	var err error
	switch reader := c.reader.(type) {
	case *file.Int32ColumnChunkReader:
		_, err = reader.Skip(int64(n))
	case *file.Int64ColumnChunkReader:
		_, err = reader.Skip(int64(n))
	case *file.Float32ColumnChunkReader:
		_, err = reader.Skip(int64(n))
	case *file.Float64ColumnChunkReader:
		_, err = reader.Skip(int64(n))
	case *file.ByteArrayColumnChunkReader:
		_, err = reader.Skip(int64(n))
	default:
		err = fmt.Errorf("unexpected column reader %T", c.reader)
	}
	if err != nil {
		return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
	}
	return nil
}

// appendRows writes the selected rows of the chunk (all of them when all) to the output at row
// at, decoding the chunk first when no predicate needed it.
func (c *directColumn) appendRows(n int, selection []int32, all bool, at int) error {
	if c.kind == directByteArray && !c.loaded && c.records == nil && !c.usePages {
		return c.appendStrings(n, selection, all, at)
	}
	if err := c.load(n, selection, all); err != nil {
		return err
	}
	kept := n
	if !all {
		kept = len(selection)
	}
	if c.indexed {
		c.appendIndexed(n, selection, all, at, kept)
		c.appendValidity(n, selection, all, at)
		return nil
	}
	switch c.kind {
	case directInt32:
		gather(arrow.Int32Traits.CastFromBytes(c.values.Bytes())[at:at+kept], c.int32s[:n], selection, all)
	case directInt64:
		gather(arrow.Int64Traits.CastFromBytes(c.values.Bytes())[at:at+kept], c.int64s[:n], selection, all)
	case directFloat32:
		gather(arrow.Float32Traits.CastFromBytes(c.values.Bytes())[at:at+kept], c.float32s[:n], selection, all)
	case directFloat64:
		gather(arrow.Float64Traits.CastFromBytes(c.values.Bytes())[at:at+kept], c.float64s[:n], selection, all)
	case directDecimalInt32:
		out := arrow.Decimal128Traits.CastFromBytes(c.values.Bytes())[at : at+kept]
		if all {
			for i, v := range c.int32s[:n] {
				out[i] = decimal128.New(int64(v>>31), uint64(int64(v)))
			}
		} else {
			values := c.int32s[:n]
			for i, row := range selection {
				v := values[row]
				out[i] = decimal128.New(int64(v>>31), uint64(int64(v)))
			}
		}
	case directDecimalInt64:
		out := arrow.Decimal128Traits.CastFromBytes(c.values.Bytes())[at : at+kept]
		if all {
			for i, v := range c.int64s[:n] {
				out[i] = decimal128.New(v>>63, uint64(v))
			}
		} else {
			values := c.int64s[:n]
			for i, row := range selection {
				v := values[row]
				out[i] = decimal128.New(v>>63, uint64(v))
			}
		}
	case directByteArray:
		offsets := arrow.Int32Traits.CastFromBytes(c.offsets.Bytes())
		if c.dictionaryRows {
			if err := c.gatherDictionary(offsets, n, selection, all, at); err != nil {
				return err
			}
			break
		}
		if all {
			base := int32(len(c.outBytes))
			c.outBytes = append(c.outBytes, c.chunkBytes...)
			for i := range n {
				offsets[at+i+1] = base + c.chunkOffsets[i+1]
			}
		} else {
			outBytes, chunkBytes, chunkOffsets := c.outBytes, c.chunkBytes, c.chunkOffsets
			for i, row := range selection {
				outBytes = appendShort(outBytes, chunkBytes[chunkOffsets[row]:chunkOffsets[row+1]])
				offsets[at+i+1] = int32(len(outBytes))
			}
			c.outBytes = outBytes
		}
		if err := c.checkStringSize(); err != nil {
			return err
		}
	}
	c.appendValidity(n, selection, all, at)
	return nil
}

// appendValidity records the selected rows' validity in the output.
func (c *directColumn) appendValidity(n int, selection []int32, all bool, at int) {
	if !c.nullable {
		return
	}
	if c.valid == nil {
		kept := n
		if !all {
			kept = len(selection)
		}
		out := c.outValid[at : at+kept]
		for i := range out {
			out[i] = true
		}
		return
	}
	c.outHasNull = true
	if all {
		copy(c.outValid[at:at+n], c.valid[:n])
		return
	}
	for i, row := range selection {
		c.outValid[at+i] = c.valid[row]
	}
}

// appendStrings decodes a string column that no predicate read, copying only the selected rows
// out of each page.
func (c *directColumn) appendStrings(n int, selection []int32, all bool, at int) error {
	reader := c.reader.(*file.ByteArrayColumnChunkReader)
	c.byteArrays = grow(c.byteArrays, n)
	if c.nullable {
		c.definitions = grow(c.definitions, n)
		c.valid = grow(c.valid[:0], n)
	}
	offsets := arrow.Int32Traits.CastFromBytes(c.offsets.Bytes())
	done, values, next := 0, 0, 0 // rows decoded, values decoded, position in selection
	out := at
	for done < n {
		var definitions []int16
		if c.nullable {
			definitions = c.definitions[done:n]
		}
		levels, read, err := reader.ReadBatchInPage(int64(n-done), c.byteArrays[:n-done], definitions, nil)
		if err != nil {
			return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
		}
		if levels == 0 {
			return errkind.Invalid("reading Parquet column %s: the row group ends early", c.field.Name)
		}
		value := 0
		outBytes := c.outBytes
		for i := range int(levels) {
			row := done + i
			isValid := definitions == nil || definitions[i] > 0
			if c.nullable {
				c.valid[row] = isValid
			}
			if all || next < len(selection) && int(selection[next]) == row {
				if isValid {
					outBytes = appendShort(outBytes, c.byteArrays[value])
				}
				offsets[out+1] = int32(len(outBytes))
				out++
				next++
			}
			if isValid {
				value++
			}
		}
		c.outBytes = outBytes
		values += read
		done += int(levels)
	}
	if !c.nullable || values == n {
		c.valid = nil
	}
	c.loaded = true
	c.chunkOffsets = c.chunkOffsets[:0] // the chunk's strings were not kept
	if err := c.checkStringSize(); err != nil {
		return err
	}
	c.appendValidity(n, selection, all, at)
	return nil
}

func (c *directColumn) checkStringSize() error {
	if int64(len(c.outBytes)) > int64(^uint32(0)>>1) {
		return errkind.Invalid("a batch of column %s holds more than 2 GiB of strings; lower the batch size", c.field.Name)
	}
	return nil
}

// grow returns s with length n, reallocating when its capacity is smaller.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, max(n, 2*cap(s)))
	}
	return s[:n]
}

// spread moves the read dense values of a chunk with nulls to their rows (from the back, in
// place); null rows get zero.
func spread[T int32 | int64 | float32 | float64](values []T, definitions []int16, n, read int) {
	if definitions == nil || read == n {
		return
	}
	next := read - 1
	for i := n - 1; i >= 0; i-- {
		if definitions[i] > 0 {
			values[i] = values[next]
			next--
		} else {
			values[i] = 0
		}
	}
}

func gather[T int32 | int64 | float32 | float64](out, values []T, selection []int32, all bool) {
	if all {
		copy(out, values)
		return
	}
	for i, row := range selection {
		out[i] = values[row]
	}
}

// directPredicate is the scan's predicate compiled against the direct reader's columns.
// Comparisons that cannot be checked here are left out (they keep every row), as in rowFilter.
type directPredicate struct {
	op       string // and, or, or a comparison: range (integers) or strings
	children []*directPredicate
	column   *directColumn
	// ranges: the integer comparison holds for lo <= x <= hi of one of the ranges.
	ranges []integerRange
	// strings: the comparison op against each literal (any literal matching keeps the row).
	stringOp string
	literals [][]byte
	// set: the column's value is in the set (an "inset" runtime filter, keyset.go).
	set KeySet
	// kept and seen count the rows this conjunct kept, to run the most selective first.
	kept, seen int64
	// dictionaryMatch says, per value of the column's dictionary, whether it matches; it holds
	// for the dictionary of size matchDictionarySize of row group matchRowGroup.
	dictionaryMatch     []bool
	matchRowGroup       int
	matchDictionarySize int
}

type integerRange struct{ lo, hi int64 }

// compileDirectPredicate translates p; columnOf finds the direct column of a dataset column
// (nil: not checkable). Nil when nothing of p can be checked.
func compileDirectPredicate(p *Predicate, columnOf func(int) *directColumn) *directPredicate {
	switch p.Op {
	case "and":
		out := &directPredicate{op: "and"}
		for _, child := range p.Children {
			if c := compileDirectPredicate(child, columnOf); c != nil {
				if c.op == "and" {
					out.children = append(out.children, c.children...)
				} else {
					out.children = append(out.children, c)
				}
			}
		}
		if len(out.children) == 0 {
			return nil
		}
		if len(out.children) == 1 {
			return out.children[0]
		}
		return out
	case "or":
		out := &directPredicate{op: "or"}
		for _, child := range p.Children {
			c := compileDirectPredicate(child, columnOf)
			if c == nil {
				return nil
			}
			out.children = append(out.children, c)
		}
		if len(out.children) == 0 {
			return nil
		}
		return out
	case "inset":
		return compileKeySetPredicate(p, columnOf)
	case "eq", "lt", "lte", "gt", "gte", "in":
	default:
		return nil
	}
	column := columnOf(p.Column)
	if column == nil || len(p.Values) == 0 || p.Op != "in" && len(p.Values) != 1 {
		return nil
	}
	op := p.Op
	if op == "in" {
		op = "eq"
	}
	out := &directPredicate{column: column, matchRowGroup: -1}
	for _, v := range p.Values {
		if v == nil || !v.IsValid() {
			if p.Op == "in" {
				continue // a null in IN never matches
			}
			return nil
		}
		if column.kind == directByteArray {
			if column.field.Type.ID() != arrow.STRING || p.Float {
				return nil
			}
			literal, ok := toBytes(v)
			if !ok || v.DataType().ID() != arrow.STRING && v.DataType().ID() != arrow.LARGE_STRING {
				return nil
			}
			out.op, out.stringOp = "strings", op
			out.literals = append(out.literals, literal)
			continue
		}
		lo, hi, ok := directBounds(column, op, v, p.Float)
		if !ok {
			return nil
		}
		out.op = "range"
		out.ranges = append(out.ranges, integerRange{lo, hi})
	}
	if out.op == "" { // IN over nulls only: no row matches
		out.op = "range"
	}
	return out
}

// directBounds bounds the physical integers x of column for which "column op v" may hold,
// with the rules of rowFilter.compareColumn.
func directBounds(column *directColumn, op string, v scalar.Scalar, asFloat bool) (int64, int64, bool) {
	switch t := column.field.Type.(type) {
	case *arrow.Date32Type:
		date, isDate := v.(*scalar.Date32)
		if !isDate || asFloat {
			return 0, 0, false
		}
		return exactBounds(op, int64(date.Value))
	case *arrow.Int32Type, *arrow.Int64Type:
		return integerBounds(op, v, asFloat, 0)
	case *arrow.Decimal128Type:
		if d, isDecimal := v.(*scalar.Decimal128); isDecimal && !asFloat && d.Type.(*arrow.Decimal128Type).Scale == t.Scale {
			if !fitsInt64(d.Value.HighBits(), d.Value.LowBits()) {
				return 0, 0, false
			}
			return exactBounds(op, int64(d.Value.LowBits()))
		}
		return integerBounds(op, v, true, t.Scale)
	}
	return 0, 0, false
}

// evaluate narrows the chunk's candidate rows (selection, or all n rows when all) to those p
// may keep; it returns the new selection and whether it is still every row.
// Inside an or, columns are decoded for every candidate row: its branches test the same rows
// with different columns, so one branch's narrower selection must not limit another's.
func (p *directPredicate) evaluate(r *directReader, n int, selection []int32, all bool, partial bool) ([]int32, bool, error) {
	switch p.op {
	case "and":
		for _, child := range p.children {
			if !all && len(selection) == 0 {
				break
			}
			before := n
			if !all {
				before = len(selection)
			}
			var err error
			selection, all, err = child.evaluate(r, n, selection, all, partial)
			if err != nil {
				return nil, false, err
			}
			child.seen += int64(before)
			if all {
				child.kept += int64(before)
			} else {
				child.kept += int64(len(selection))
			}
		}
		// The conjunct that kept the smallest share runs first next time.
		slices.SortStableFunc(p.children, func(a, b *directPredicate) int {
			// a.kept/a.seen < b.kept/b.seen, without division
			x, y := a.kept*max(b.seen, 1), b.kept*max(a.seen, 1)
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		return selection, all, nil
	case "or":
		var union []int32
		for _, child := range p.children {
			input := selection
			if !all {
				input = append(r.selection(len(selection)), selection...)
			}
			kept, keptAll, err := child.evaluate(r, n, input, all, false)
			if err != nil {
				return nil, false, err
			}
			if keptAll {
				return selection, all, nil
			}
			union = mergeSelections(union, kept, r.selection(len(union)+len(kept)))
		}
		return union, false, nil
	}
	loadSelection, loadAll := selection, all
	if !partial {
		loadSelection, loadAll = nil, true
	}
	if err := p.column.load(n, loadSelection, loadAll); err != nil {
		return nil, false, err
	}
	out := r.selection(n)
	if !all {
		out = selection[:0] // rows only leave: filtering in place is safe
	}
	c := p.column
	switch p.op {
	case "range":
		if c.indexed {
			out = p.selectIndexed(out, n, selection, all)
			break
		}
		switch c.kind {
		case directInt32, directDecimalInt32:
			out = selectRanges(out, c.int32s[:n], c.valid, selection, all, p.ranges)
		case directInt64, directDecimalInt64:
			out = selectRanges(out, c.int64s[:n], c.valid, selection, all, p.ranges)
		default:
			return selection, all, nil
		}
	case "strings":
		out = p.selectStrings(out, n, selection, all)
	case "set":
		out = p.selectKeySet(out, n, selection, all)
	}
	return out, false, nil
}

// selectRanges writes the candidate rows whose value lies in one of the ranges, or is null
// (valid non-nil and false: the Filter above decides nulls), to out.
func selectRanges[T int32 | int64](out []int32, values []T, valid []bool, selection []int32, all bool, ranges []integerRange) []int32 {
	if len(ranges) == 1 && valid == nil {
		lo, hi := ranges[0].lo, ranges[0].hi
		if lo > hi {
			return out[:0]
		}
		// One unsigned comparison per row and no branch: the rows of a selective filter are
		// unpredictable.
		span := uint64(hi) - uint64(lo)
		k := 0
		if all {
			out = out[:len(values)]
			for i, x := range values {
				out[k] = int32(i)
				k += int(asByte(uint64(int64(x))-uint64(lo) <= span))
			}
		} else {
			out = out[:len(selection)]
			for _, row := range selection {
				out[k] = row
				k += int(asByte(uint64(int64(values[row]))-uint64(lo) <= span))
			}
		}
		return out[:k]
	}
	match := func(row int) bool {
		if valid != nil && !valid[row] {
			return true
		}
		x := int64(values[row])
		for _, r := range ranges {
			if r.lo <= x && x <= r.hi {
				return true
			}
		}
		return false
	}
	out = out[:0]
	if all {
		for i := range values {
			if match(i) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for _, row := range selection {
		if match(int(row)) {
			out = append(out, row)
		}
	}
	return out
}

// selectStrings writes the candidate rows whose string compares as p says with a literal, or
// is null, to out.
func (p *directPredicate) selectStrings(out []int32, n int, selection []int32, all bool) []int32 {
	c := p.column
	var match func(row int) bool
	if c.dictionaryRows {
		// Dictionary strings: compare each dictionary value once, then look rows up.
		size := len(c.dictionaryOffsets) - 1
		if p.matchRowGroup != c.rowGroupSerial || p.matchDictionarySize != size || len(p.dictionaryMatch) != size {
			p.dictionaryMatch = grow(p.dictionaryMatch, size)
			for k := range size {
				p.dictionaryMatch[k] = p.matches(c.dictionaryBytes[c.dictionaryOffsets[k]:c.dictionaryOffsets[k+1]])
			}
			p.matchRowGroup, p.matchDictionarySize = c.rowGroupSerial, size
		}
		return selectByDictionary(out, p.dictionaryMatch, c.indices[:n], c.valid, selection, all)
	} else {
		match = func(row int) bool {
			return c.valid != nil && !c.valid[row] || p.matches(c.chunkBytes[c.chunkOffsets[row]:c.chunkOffsets[row+1]])
		}
	}
	out = out[:0]
	if all {
		for i := range n {
			if match(i) {
				out = append(out, int32(i))
			}
		}
		return out
	}
	for _, row := range selection {
		if match(int(row)) {
			out = append(out, row)
		}
	}
	return out
}

// matches reports whether a string compares as p says with one of its literals. Spark orders
// strings by their UTF-8 bytes, as bytes.Compare does.
func (p *directPredicate) matches(value []byte) bool {
	for _, literal := range p.literals {
		cmp := bytes.Compare(value, literal)
		var ok bool
		switch p.stringOp {
		case "eq":
			ok = cmp == 0
		case "lt":
			ok = cmp < 0
		case "lte":
			ok = cmp <= 0
		case "gt":
			ok = cmp > 0
		case "gte":
			ok = cmp >= 0
		}
		if ok {
			return true
		}
	}
	return false
}

// mergeSelections merges two sorted selections without duplicates into out.
func mergeSelections(a, b, out []int32) []int32 {
	out = out[:0]
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			out = append(out, a[i])
			i++
		case a[i] > b[j]:
			out = append(out, b[j])
			j++
		default:
			out = append(out, a[i])
			i++
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// releaseChunk drops the dictionary array of the previous chunk.
func (c *directColumn) releaseChunk() {
	c.dictionaryRows = false
	if c.chunk != nil {
		c.chunk.Release()
		c.chunk = nil
	}
}

// loadDictionary reads the chunk's n rows of a dictionary-encoded string column as indices.
func (c *directColumn) loadDictionary(n int) error {
	c.loaded = true
	c.releaseChunk()
	c.records.Reset()
	if err := c.records.Reserve(int64(n)); err != nil {
		return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
	}
	done := 0
	for done < n {
		read, err := c.records.ReadRecords(int64(n - done))
		if err != nil {
			return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
		}
		if read == 0 {
			return errkind.Invalid("reading Parquet column %s: the row group ends early", c.field.Name)
		}
		done += int(read)
	}
	chunks := c.records.(file.BinaryRecordReader).GetBuilderChunks()
	defer func() {
		for _, chunk := range chunks {
			if chunk != nil {
				chunk.Release()
			}
		}
	}()
	c.valid = nil
	c.materialized = len(chunks) != 1
	if !c.materialized {
		chunk, ok := chunks[0].(*array.Dictionary)
		indices, indicesOK := chunk.Indices().(*array.Int32)
		values, valuesOK := chunk.Dictionary().(offsetsAndBytes)
		if !ok || !indicesOK || !valuesOK || chunk.Len() != n {
			return errkind.Invalid("reading Parquet column %s: unexpected dictionary chunk %s of %d rows", c.field.Name, chunks[0].DataType(), chunks[0].Len())
		}
		c.chunk, chunks[0] = chunk, nil
		c.indices = indices.Int32Values()
		c.dictionaryOffsets = values.ValueOffsets()
		c.dictionaryBytes = values.ValueBytes()
		base := c.dictionaryOffsets[0]
		if base != 0 { // offsets relative to the value bytes
			c.dictionaryBytes = c.dictionaryBytes[:0]
			c.materialized = true
		}
		size := int32(len(c.dictionaryOffsets) - 1)
		if chunk.NullN() > 0 {
			c.valid = grow(c.valid[:0], n)
			for i := range n {
				c.valid[i] = chunk.IsValid(i)
			}
		}
		for i, k := range c.indices {
			if uint32(k) >= uint32(size) && (c.valid == nil || c.valid[i]) {
				return errkind.Invalid("reading Parquet column %s: dictionary index %d out of range [0, %d)", c.field.Name, k, size)
			}
		}
		if !c.materialized {
			c.dictionaryRows = true
			return nil
		}
		c.releaseChunk()
		chunks[0] = chunk
	}
	// More than one dictionary: gather the strings into the chunk's own bytes.
	c.chunkOffsets = grow(c.chunkOffsets, n+1)
	c.chunkOffsets[0] = 0
	c.chunkBytes = c.chunkBytes[:0]
	c.valid = grow(c.valid[:0], n)
	hasNull := false
	row := 0
	for _, chunk := range chunks {
		dictionary, ok := chunk.(*array.Dictionary)
		if !ok {
			return errkind.Invalid("reading Parquet column %s: unexpected chunk %s", c.field.Name, chunk.DataType())
		}
		values := dictionary.Dictionary().(offsetsAndBytes)
		indices := dictionary.Indices().(*array.Int32).Int32Values()
		offsets := values.ValueOffsets()
		data := values.ValueBytes()
		size := int32(len(offsets) - 1)
		for i, k := range indices {
			valid := dictionary.IsValid(i)
			c.valid[row] = valid
			if valid {
				if uint32(k) >= uint32(size) {
					return errkind.Invalid("reading Parquet column %s: dictionary index %d out of range [0, %d)", c.field.Name, k, size)
				}
				c.chunkBytes = append(c.chunkBytes, data[offsets[k]-offsets[0]:offsets[k+1]-offsets[0]]...)
			} else {
				hasNull = true
			}
			row++
			c.chunkOffsets[row] = int32(len(c.chunkBytes))
		}
	}
	if row != n {
		return errkind.Invalid("reading Parquet column %s: %d rows where %d were asked", c.field.Name, row, n)
	}
	if !hasNull {
		c.valid = nil
	}
	return nil
}

// gatherDictionary writes the selected rows' strings of a dictionary chunk to the output.
func (c *directColumn) gatherDictionary(offsets []int32, n int, selection []int32, all bool, at int) error {
	dictionaryOffsets, dictionaryBytes := c.dictionaryOffsets, c.dictionaryBytes
	indices, valid := c.indices[:n], c.valid
	// A local slice: appending to the column's field would cost a write barrier per value.
	outBytes := c.outBytes
	if valid == nil && len(dictionaryOffsets) > 1 {
		if c.widthRowGroup != c.rowGroupSerial || c.widthDictionarySize != len(dictionaryOffsets) {
			c.uniform, c.uniformOK = uniformWidth(dictionaryOffsets)
			c.widthRowGroup, c.widthDictionarySize = c.rowGroupSerial, len(dictionaryOffsets)
		}
		if width, ok := c.uniform, c.uniformOK; ok && width <= 8 {
			// Flags and codes of one width: offsets are multiples of it, bytes are copied
			// without growing checks.
			rows := n
			if !all {
				rows = len(selection)
			}
			base := len(outBytes)
			outBytes = slices.Grow(outBytes, rows*int(width))[:base+rows*int(width)]
			w := int(width)
			for i := range rows {
				offsets[at+i+1] = int32(base + (i+1)*w)
			}
			data := outBytes[base:]
			if w == 1 {
				if all {
					for i, k := range indices {
						data[i] = dictionaryBytes[k]
					}
				} else {
					for i, row := range selection {
						data[i] = dictionaryBytes[indices[row]]
					}
				}
				c.outBytes = outBytes
				return c.checkStringSize()
			}
			if all {
				for i, k := range indices {
					copy(data[i*w:i*w+w], dictionaryBytes[int(k)*w:int(k)*w+w])
				}
			} else {
				for i, row := range selection {
					k := int(indices[row])
					copy(data[i*w:i*w+w], dictionaryBytes[k*w:k*w+w])
				}
			}
			c.outBytes = outBytes
			return c.checkStringSize()
		}
	}
	if all {
		for row, k := range indices {
			if valid == nil || valid[row] {
				outBytes = appendShort(outBytes, dictionaryBytes[dictionaryOffsets[k]:dictionaryOffsets[k+1]])
			}
			offsets[at+row+1] = int32(len(outBytes))
		}
	} else {
		for i, row := range selection {
			if valid == nil || valid[row] {
				k := indices[row]
				outBytes = appendShort(outBytes, dictionaryBytes[dictionaryOffsets[k]:dictionaryOffsets[k+1]])
			}
			offsets[at+i+1] = int32(len(outBytes))
		}
	}
	c.outBytes = outBytes
	return c.checkStringSize()
}

// appendShort appends value to out; flags and codes are a few bytes, where a byte loop beats a
// memmove call per value.
func appendShort(out, value []byte) []byte {
	if len(value) > 16 {
		return append(out, value...)
	}
	for _, b := range value {
		out = append(out, b)
	}
	return out
}

// loadPages decodes the chunk's n rows with the column's page decoder.
func (c *directColumn) loadPages(n int) error {
	c.loaded = true
	var out []byte
	switch c.kind {
	case directInt32, directDecimalInt32:
		c.int32s = grow(c.int32s, n)
		out = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.int32s))), 4*n)
	case directFloat32:
		c.float32s = grow(c.float32s, n)
		out = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.float32s))), 4*n)
	case directInt64, directDecimalInt64:
		c.int64s = grow(c.int64s, n)
		out = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.int64s))), 8*n)
	case directFloat64:
		c.float64s = grow(c.float64s, n)
		out = unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(c.float64s))), 8*n)
	}
	var valid []bool
	if c.nullable {
		c.valid = grow(c.valid[:0], n)
		valid = c.valid
	}
	nulls, err := c.pages.read(out, valid, n)
	if err != nil {
		return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
	}
	if nulls == 0 {
		c.valid = nil
	}
	return nil
}

// loadIndices decodes the chunk's n rows of a dictionary-encoded column as indices into the row
// group's dictionary: every row, or on a required column only the selected ones (all false).
func (c *directColumn) loadIndices(n int, selection []int32, all bool) error {
	c.loaded = true
	c.indices = grow(c.indices, n)
	c.valid = nil
	if c.nullable {
		c.valid = grow(c.valid[:0], n)
		nulls, err := c.pages.readIndices(c.indices, c.valid, n)
		if err != nil {
			return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
		}
		if nulls == 0 {
			c.valid = nil
		}
	} else if err := c.pages.readSelectedIndices(c.indices, n, selection, all); err != nil {
		return errkind.Invalid("reading Parquet column %s: %v", c.field.Name, err)
	}
	if c.kind == directByteArray {
		c.dictionaryOffsets, c.dictionaryBytes = c.pages.dictionaryOffsets, c.pages.dictionaryBytes
		c.dictionaryRows = true
	}
	return nil
}

// dictionaryView is the page decoder's fixed-width dictionary as values of T, one past its size
// (the buffer's slack), so that the zero index of a null row is always addressable.
func dictionaryView[T int32 | int64 | float32 | float64](d *pageDecoder) []T {
	var zero T
	width := int(unsafe.Sizeof(zero))
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(d.dictionary))), len(d.dictionary)/width)[:d.dictionarySize+1]
}

// appendIndexed writes the selected rows of an indexed chunk, looking their values up.
func (c *directColumn) appendIndexed(n int, selection []int32, all bool, at, kept int) {
	indices := c.indices[:n]
	switch c.kind {
	case directInt32:
		gatherIndexed(arrow.Int32Traits.CastFromBytes(c.values.Bytes())[at:at+kept], dictionaryView[int32](&c.pages), indices, selection, all)
	case directInt64:
		gatherIndexed(arrow.Int64Traits.CastFromBytes(c.values.Bytes())[at:at+kept], dictionaryView[int64](&c.pages), indices, selection, all)
	case directFloat32:
		gatherIndexed(arrow.Float32Traits.CastFromBytes(c.values.Bytes())[at:at+kept], dictionaryView[float32](&c.pages), indices, selection, all)
	case directFloat64:
		gatherIndexed(arrow.Float64Traits.CastFromBytes(c.values.Bytes())[at:at+kept], dictionaryView[float64](&c.pages), indices, selection, all)
	case directDecimalInt32:
		out := arrow.Decimal128Traits.CastFromBytes(c.values.Bytes())[at : at+kept]
		dictionary := dictionaryView[int32](&c.pages)
		if all {
			for i, k := range indices {
				v := dictionary[k]
				out[i] = decimal128.New(int64(v>>31), uint64(int64(v)))
			}
		} else {
			for i, row := range selection {
				v := dictionary[indices[row]]
				out[i] = decimal128.New(int64(v>>31), uint64(int64(v)))
			}
		}
	case directDecimalInt64:
		out := arrow.Decimal128Traits.CastFromBytes(c.values.Bytes())[at : at+kept]
		dictionary := dictionaryView[int64](&c.pages)
		if all {
			for i, k := range indices {
				v := dictionary[k]
				out[i] = decimal128.New(v>>63, uint64(v))
			}
		} else {
			for i, row := range selection {
				v := dictionary[indices[row]]
				out[i] = decimal128.New(v>>63, uint64(v))
			}
		}
	}
}

func gatherIndexed[T int32 | int64 | float32 | float64](out, dictionary []T, indices, selection []int32, all bool) {
	if all {
		for i, k := range indices {
			out[i] = dictionary[k]
		}
		return
	}
	for i, row := range selection {
		out[i] = dictionary[indices[row]]
	}
}

// selectIndexed is selectRanges for an indexed chunk: each dictionary value is compared once
// per row group, and rows look their index up.
func (p *directPredicate) selectIndexed(out []int32, n int, selection []int32, all bool) []int32 {
	c := p.column
	size := c.pages.dictionarySize
	if p.matchRowGroup != c.rowGroupSerial || p.matchDictionarySize != size || len(p.dictionaryMatch) != size+1 {
		p.dictionaryMatch = grow(p.dictionaryMatch, size+1)
		candidates := make([]int32, size)
		for k := range candidates {
			candidates[k] = int32(k)
		}
		var matching []int32
		switch c.kind {
		case directInt32, directDecimalInt32:
			matching = selectRanges(make([]int32, size), dictionaryView[int32](&c.pages)[:size], nil, candidates, false, p.ranges)
		case directInt64, directDecimalInt64:
			matching = selectRanges(make([]int32, size), dictionaryView[int64](&c.pages)[:size], nil, candidates, false, p.ranges)
		}
		clear(p.dictionaryMatch)
		for _, k := range matching {
			p.dictionaryMatch[k] = true
		}
		p.matchRowGroup, p.matchDictionarySize = c.rowGroupSerial, size
	}
	return selectByDictionary(out, p.dictionaryMatch, c.indices[:n], c.valid, selection, all)
}

// selectByDictionary writes the candidate rows whose dictionary index matches, or that are null
// (valid non-nil and false), to out.
func selectByDictionary(out []int32, match []bool, indices []int32, valid []bool, selection []int32, all bool) []int32 {
	n := len(indices)
	if valid != nil {
		out = out[:0]
		if all {
			for i, k := range indices {
				if !valid[i] || match[k] {
					out = append(out, int32(i))
				}
			}
			return out
		}
		for _, row := range selection {
			if !valid[row] || match[indices[row]] {
				out = append(out, row)
			}
		}
		return out
	}
	k := 0
	if all {
		out = out[:n]
		for i, index := range indices {
			out[k] = int32(i)
			k += int(asByte(match[index]))
		}
		return out[:k]
	}
	out = out[:len(selection)]
	for _, row := range selection {
		out[k] = row
		k += int(asByte(match[indices[row]]))
	}
	return out[:k]
}
