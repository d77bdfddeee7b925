package arrowio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// physicalBatch has a column for each physical read path of parquet_fast.go, nullable and not,
// with negative and extreme values, plus a string column with too many distinct values for one
// dictionary page (its later pages fall back to plain encoding).
func physicalBatch(t *testing.T, mem memory.Allocator, rows int) arrow.RecordBatch {
	t.Helper()
	d92 := &arrow.Decimal128Type{Precision: 9, Scale: 2}
	d184 := &arrow.Decimal128Type{Precision: 18, Scale: 4}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "dec_int32", Type: d92, Nullable: true},
		{Name: "dec_int64", Type: d184, Nullable: false},
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "flag", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "mode", Type: arrow.BinaryTypes.String, Nullable: false},
		{Name: "payload", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "comment", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	builder := array.NewRecordBuilder(mem, schema)
	defer builder.Release()
	modes := []string{"AIR", "", "TRUCK", "REG AIR", "héllo wörld"}
	for i := range rows {
		null := i%5 == 3
		if null {
			builder.Field(0).AppendNull()
			builder.Field(2).AppendNull()
			builder.Field(3).AppendNull()
			builder.Field(5).AppendNull()
			builder.Field(6).AppendNull()
		} else {
			builder.Field(0).(*array.Decimal128Builder).Append(decimal128.FromI64(int64((i%2001 - 1000) * 99991)))
			builder.Field(2).(*array.Date32Builder).Append(arrow.Date32(i%3000 - 1500))
			builder.Field(3).(*array.StringBuilder).Append(string(rune('A' + i%3)))
			builder.Field(5).(*array.BinaryBuilder).Append([]byte{byte(i % 7), 0, byte(i % 11)})
			builder.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("comment number %d, unique", i))
		}
		values := []int64{-999_999_999_999_999_999, 999_999_999_999_999_999, int64(i) * -7919, 0}
		builder.Field(1).(*array.Decimal128Builder).Append(decimal128.FromI64(values[i%4]))
		builder.Field(4).(*array.StringBuilder).Append(modes[i%len(modes)])
	}
	return builder.NewRecordBatch()
}

// writePhysicalFile writes b the way parquet-rs and tpchgen write TPC-H: decimals as integers,
// dictionary encoding with a small dictionary page limit, several row groups.
func writePhysicalFile(t *testing.T, b arrow.RecordBatch, mem memory.Allocator) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "physical.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	props := parquet.NewWriterProperties(
		parquet.WithStoreDecimalAsInteger(true),
		parquet.WithDictionaryDefault(true),
		parquet.WithDictionaryPageSizeLimit(4<<10),
		parquet.WithDataPageSize(2<<10),
		parquet.WithMaxRowGroupLength(500),
		parquet.WithAllocator(mem))
	w, err := pqarrow.NewFileWriter(b.Schema(), f, props, pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(mem)))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestParquetPhysicalReads(t *testing.T) {
	const rows = 1200
	setupMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	in := physicalBatch(t, setupMem, rows)
	defer in.Release()
	path := writePhysicalFile(t, in, setupMem)

	// The file must take every fast path, or the test proves nothing.
	f, fr, err := openParquet(path, setupMem, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The first row group; the writer stores some later ones plain, so a scan reads both ways.
	reads := physicalReads(fr, []int{0, 1, 2, 3, 4, 5, 6}, []int{0})
	want := map[int]columnRead{0: readIntegerAsDecimal, 1: readIntegerAsDecimal, 2: readIntegerRetyped, 3: readDictionaryStrings, 4: readDictionaryStrings, 5: readDictionaryStrings}
	for idx, how := range want {
		if reads[idx].how != how {
			t.Errorf("column %d is read as %v, want %v", idx, reads[idx].how, how)
		}
	}
	if _, ok := reads[6]; ok {
		t.Errorf("the comment column falls back to plain pages and must be read as is")
	}
	fr.ParquetReader().Close()
	f.Close()

	for _, batchSize := range batchSizes {
		t.Run(fmt.Sprint(batchSize), func(t *testing.T) {
			mem := checkedMem(t)
			ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
			if err != nil {
				t.Fatal(err)
			}
			if !ds.DataSchema.Equal(in.Schema()) {
				t.Fatalf("schema %s, want %s", ds.DataSchema, in.Schema())
			}
			for _, projection := range [][]int{nil, {6, 3, 1}, {2}} {
				batches, err := ReadAll(context.Background(), ds, projection, mem, batchSize)
				if err != nil {
					t.Fatal(err)
				}
				if projection == nil {
					projection = []int{0, 1, 2, 3, 4, 5, 6}
				}
				for out, column := range projection {
					chunks := make([]arrow.Array, len(batches))
					for i, b := range batches {
						chunks[i] = b.Column(out)
					}
					got, err := array.Concatenate(chunks, mem)
					if err != nil {
						t.Fatal(err)
					}
					if !array.Equal(got, in.Column(column)) {
						t.Errorf("column %s differs", in.Schema().Field(column).Name)
					}
					got.Release()
				}
				for _, b := range batches {
					b.Release()
				}
			}
		})
	}
}

// One split over two dictionary-encoded row groups: batches span both dictionaries.
func TestParquetDictionaryAcrossRowGroups(t *testing.T) {
	setupMem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	in := physicalBatch(t, setupMem, 1200)
	defer in.Release()
	path := writePhysicalFile(t, in, setupMem)
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	for _, batchSize := range []int{7, 333, 10000} {
		t.Run(fmt.Sprint(batchSize), func(t *testing.T) {
			mem := checkedMem(t)
			r := NewSplitReader(context.Background(), ds, []Split{{File: 0, RowGroups: []int{0, 1}}}, []int{3, 4, 5}, mem, batchSize)
			defer r.Close()
			var batches []arrow.RecordBatch
			for {
				b, err := r.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				batches = append(batches, b)
			}
			for out, column := range []int{3, 4, 5} {
				chunks := make([]arrow.Array, len(batches))
				for i, b := range batches {
					chunks[i] = b.Column(out)
				}
				got, err := array.Concatenate(chunks, mem)
				if err != nil {
					t.Fatal(err)
				}
				want := array.NewSlice(in.Column(column), 0, 1000)
				if !array.Equal(got, want) {
					t.Errorf("column %s differs", in.Schema().Field(column).Name)
				}
				got.Release()
				want.Release()
			}
			for _, b := range batches {
				b.Release()
			}
		})
	}
}

func TestRecyclingAllocatorReusesAndBalances(t *testing.T) {
	mem := checkedMem(t)
	r := newRecyclingAllocator(mem)
	first := r.Allocate(110_000)
	if len(first) != 110_000 || cap(first) != 110_000 {
		t.Fatalf("len %d cap %d", len(first), cap(first))
	}
	for i := range first {
		first[i] = 0xff
	}
	r.Free(first)
	second := r.Allocate(100_000)
	if &second[0] != &first[0] {
		t.Fatalf("a freed buffer of the same class was not reused")
	}
	for i, v := range second {
		if v != 0 {
			t.Fatalf("reused memory not zeroed at %d", i)
		}
	}
	grown := r.Reallocate(sizeClass(100_000), second)
	for i, v := range grown[100_000:] {
		if v != 0 {
			t.Fatalf("grown memory not zeroed at %d", 100_000+i)
		}
	}
	moved := r.Reallocate(300_000, grown)
	small := r.Allocate(100)
	small = r.Reallocate(200, small)
	r.Free(small)
	kept := r.Allocate(50_000)
	r.Close()
	// Freed after Close: straight to the underlying allocator.
	r.Free(moved)
	r.Free(kept)
	if sizeClass(160_000) != 196_608 || sizeClass(196_608) != 196_608 || sizeClass(4095) != 4095 {
		t.Fatalf("size classes: %d %d", sizeClass(160_000), sizeClass(196_608))
	}
}

// A consumer that keeps every batch past the reader's Close still gets valid data, and all
// memory returns to the task's allocator.
func TestSplitReaderBatchesOutliveClose(t *testing.T) {
	mem := checkedMem(t)
	in := physicalBatch(t, mem, 3000)
	defer in.Release()
	path := writePhysicalFile(t, in, mem)
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
	if err != nil {
		t.Fatal(err)
	}
	parts, _, err := ds.PlanSplits(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var splits []Split
	for _, p := range parts {
		splits = append(splits, p...)
	}
	r := NewSplitReader(context.Background(), ds, splits, []int{4}, mem, 512)
	var kept []arrow.RecordBatch
	var lengths []int
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, b)
		lengths = append(lengths, int(b.NumRows()))
		if len(kept)%2 == 0 { // release some early so their buffers are reused
			kept[len(kept)-2].Release()
			kept[len(kept)-2] = nil
		}
	}
	r.Close()
	row := 0
	for i, b := range kept {
		if b == nil {
			row += lengths[i]
			continue
		}
		column := b.Column(0).(*array.String)
		for j := range column.Len() {
			if column.Value(j) != in.Column(4).(*array.String).Value(row+j) {
				t.Fatalf("batch %d row %d: %q", i, j, column.Value(j))
			}
		}
		row += column.Len()
		b.Release()
	}
	if row != 3000 {
		t.Fatalf("read %d rows", row)
	}
}

// arrow-go's selection kernels size their output by the cap of the slices an allocator returns
// but write within their len; strings longer than the batch's mean length used to overrun the
// estimate into that gap and were cut or panicked when the scan's allocator handed out padded
// slices.
func TestRecyclingAllocatorServesComputeKernels(t *testing.T) {
	mem := checkedMem(t)
	r := newRecyclingAllocator(mem)
	defer r.Close()
	builder := array.NewStringBuilder(memory.DefaultAllocator)
	defer builder.Release()
	var want []string
	keep := make([]bool, 10_000)
	for i := range 10_000 {
		value := "s"
		if i%10 == 0 {
			value = strings.Repeat(string(rune('a'+i%26)), 50)
		}
		builder.Append(value)
		if i%10 == 0 || i%10 == 1 {
			keep[i] = true
			want = append(want, value)
		}
	}
	values := builder.NewStringArray()
	defer values.Release()
	maskBuilder := array.NewBooleanBuilder(memory.DefaultAllocator)
	maskBuilder.AppendValues(keep, nil)
	mask := maskBuilder.NewBooleanArray()
	maskBuilder.Release()
	defer mask.Release()
	for range 3 { // later rounds reuse pooled buffers
		out, err := compute.FilterArray(compute.WithAllocator(context.Background(), r), values, mask, *compute.DefaultFilterOptions())
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*array.String)
		if got.Len() != len(want) {
			t.Fatalf("filtered %d rows, want %d", got.Len(), len(want))
		}
		for i, w := range want {
			if got.Value(i) != w {
				t.Fatalf("row %d: got %q, want %q", i, got.Value(i), w)
			}
		}
		out.Release()
	}
}
