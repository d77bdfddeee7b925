package arrowio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The pyarrow files with an offset index (make_direct_pyarrow.py): 3 row groups of 1000 rows,
// pages of ~512 bytes, data pages v1 and v2.
var indexedPyarrowFiles = []string{"testdata/direct_pyarrow_indexed.parquet", "testdata/direct_pyarrow_v2_indexed.parquet"}

// readPartitions reads the partitions one after another, each through its own SplitReader (as
// the tasks of a scan do), and concatenates each output column in partition order.
func readPartitions(t *testing.T, ds *Dataset, parts [][]Split, projection []int, predicate *Predicate, mem memory.Allocator, batchSize int) []arrow.Array {
	t.Helper()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	var schema *arrow.Schema
	for _, splits := range parts {
		r := NewSplitReader(context.Background(), ds, splits, projection, mem, batchSize)
		r.FilterRows(predicate)
		schema = r.Schema()
		for {
			b, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				r.Close()
				t.Fatal(err)
			}
			if b.NumRows() > int64(batchSize) {
				t.Fatalf("a batch of %d rows for batch size %d", b.NumRows(), batchSize)
			}
			batches = append(batches, b)
		}
		r.Close()
	}
	columns := make([]arrow.Array, schema.NumFields())
	for c := range columns {
		chunks := make([]arrow.Array, len(batches))
		for i, b := range batches {
			chunks[i] = b.Column(c)
		}
		if len(chunks) == 0 {
			columns[c] = array.MakeArrayOfNull(mem, schema.Field(c).Type, 0)
			continue
		}
		joined, err := array.Concatenate(chunks, mem)
		if err != nil {
			t.Fatal(err)
		}
		columns[c] = joined
	}
	return columns
}

// withPartitionBytes is ds with a maxPartitionBytes option that makes about parts parts.
func withPartitionBytes(ds *Dataset, parts int) *Dataset {
	var total int64
	for _, g := range ds.Files[0].RowGroups {
		total += g.Bytes
	}
	out := *ds
	out.Options = Options{"maxpartitionbytes": strconv.FormatInt(max(1, total/int64(parts)), 10)}
	return &out
}

// Splits of a file with an offset index start and end inside row groups, and the partitions
// read one after another give every row once, in the file's order, through the direct reader
// and through pqarrow, with and without a pushed predicate.
func TestParquetSplitsInsideRowGroups(t *testing.T) {
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	epoch1990 := int64(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	condition := testCondition{op: "and", children: []testCondition{
		{op: "gte", column: "day", values: []any{epoch1990 + 500}},
		{op: "lt", column: "dec_big", values: []any{int64(30000)}},
		{op: "in", column: "mode", values: []any{"AIR", "héllo"}},
	}}
	for fileIndex, name := range indexedPyarrowFiles {
		base := pyarrowDataset(t, pyarrowPath(t, name))
		for _, g := range base.Files[0].RowGroups {
			if !g.Seekable {
				t.Fatalf("%s: a row group with an offset index must be seekable", name)
			}
		}
		for _, shape := range []struct{ parallelism, parts int }{{2, 2}, {3, 7}, {5, 13}, {4, 40}} {
			ds := withPartitionBytes(base, shape.parts)
			parts, _, err := ds.PlanSplits(shape.parallelism, nil)
			if err != nil {
				t.Fatal(err)
			}
			// 40 parts would cut pieces under a sixteenth of a row group: some cuts are dropped.
			if len(parts)%shape.parallelism != 0 && shape.parts < 40 {
				t.Errorf("%d parts for parallelism %d: %v", len(parts), shape.parallelism, parts)
			}
			inside, rows := 0, int64(0)
			for _, p := range parts {
				for _, s := range p {
					rows += ds.Rows(s)
					if s.NumRows > 0 && s.FirstRow > 0 {
						inside++
					}
				}
			}
			if inside == 0 || rows != pyarrowRows {
				t.Fatalf("parts %v: %d splits start inside a row group, %d rows in all", parts, inside, rows)
			}
			for _, direct := range []bool{true, false} {
				for _, predicate := range []bool{false, true} {
					batchSize := []int{7, 100, 10000}[(shape.parts+fileIndex)%3]
					t.Run(fmt.Sprint(name, shape, direct, predicate), func(t *testing.T) {
						defer func(was bool) { directReads = was }(directReads)
						directReads = direct
						mem := checkedMem(t)
						want := pyarrowExpected(t, mem, ds.DataSchema)
						defer want.Release()
						var pushed *Predicate
						if predicate {
							pushed = condition.predicate(ds)
							var keep []int64
							for i := range pyarrowRows {
								if condition.mayHold(pyarrowRow(i)) {
									keep = append(keep, int64(i))
								}
							}
							want = takeRows(t, mem, want, keep)
							defer want.Release()
						}
						got := readPartitions(t, ds, parts, all, pushed, mem, batchSize)
						defer releaseAll(got)
						if got[0].Len() != int(want.NumRows()) {
							t.Fatalf("read %d rows, want %d", got[0].Len(), want.NumRows())
						}
						for column := range all {
							if !array.Equal(got[column], want.Column(column)) {
								t.Errorf("column %s differs", ds.DataSchema.Field(column).Name)
							}
						}
					})
				}
			}
		}
	}
}

// takeRows returns the rows of b at indices (a new batch; b is not released).
func takeRows(t *testing.T, mem memory.Allocator, b arrow.RecordBatch, indices []int64) arrow.RecordBatch {
	t.Helper()
	builder := array.NewInt64Builder(mem)
	builder.AppendValues(indices, nil)
	selection := builder.NewInt64Array()
	builder.Release()
	defer selection.Release()
	ctx := compute.WithAllocator(context.Background(), mem)
	out, err := compute.Take(ctx, *compute.DefaultTakeOptions(), compute.NewDatumWithoutOwning(b), compute.NewDatumWithoutOwning(selection))
	if err != nil {
		t.Fatal(err)
	}
	return out.(*compute.RecordDatum).Value
}

// A file without an offset index is cut at row groups only; partitions stay a multiple of the
// parallelism where the row groups allow it, and tables of one row group are not split.
func TestParquetSplitsWithoutOffsetIndex(t *testing.T) {
	ds := withPartitionBytes(pyarrowDataset(t, pyarrowPath(t, pyarrowFiles[0])), 10)
	for _, g := range ds.Files[0].RowGroups {
		if g.Seekable {
			t.Fatal("a row group without an offset index cannot be seekable")
		}
	}
	parts, _, err := ds.PlanSplits(2, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 {
		t.Fatalf("3 row groups make 3 parts, got %v", parts)
	}
	for _, p := range parts {
		for _, s := range p {
			if s.NumRows != 0 {
				t.Fatalf("a split inside a row group of a file without an offset index: %v", parts)
			}
		}
	}
}

// The partitions of a scan run at once and share the footer parsed at discovery; each reads its
// rows (run with -race to check the sharing).
func TestParquetPartitionsReadConcurrentlyShareTheFooter(t *testing.T) {
	ds := withPartitionBytes(pyarrowDataset(t, pyarrowPath(t, indexedPyarrowFiles[0])), 6)
	if ds.Files[0].footer == nil {
		t.Fatal("discovery keeps a small file's footer")
	}
	parts, _, err := ds.PlanSplits(3, nil)
	if err != nil {
		t.Fatal(err)
	}
	mem := checkedMem(t)
	want := pyarrowExpected(t, mem, ds.DataSchema)
	defer want.Release()
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got := make([][]arrow.Array, len(parts))
	done := make(chan struct{})
	for p := range parts {
		go func() {
			defer func() { done <- struct{}{} }()
			got[p] = readPartitions(t, ds, parts[p:p+1], all, nil, mem, 100)
		}()
	}
	for range parts {
		<-done
	}
	offset := int64(0)
	for p := range parts {
		rows := int64(got[p][0].Len())
		for column := range all {
			expected := array.NewSlice(want.Column(column), offset, offset+rows)
			if !array.Equal(got[p][column], expected) {
				t.Errorf("part %d: column %s differs", p, ds.DataSchema.Field(column).Name)
			}
			expected.Release()
		}
		offset += rows
		releaseAll(got[p])
	}
	if offset != pyarrowRows {
		t.Fatalf("read %d rows, want %d", offset, pyarrowRows)
	}
}

// A file rewritten after discovery is read with its own footer, not the kept one.
func TestParquetFileRewrittenAfterDiscovery(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.parquet")
	copyFile := func(from string) {
		data, err := os.ReadFile(pyarrowPath(t, from))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	copyFile(indexedPyarrowFiles[0])
	ds := pyarrowDataset(t, path)
	if ds.Files[0].footer == nil {
		t.Fatal("discovery keeps a small file's footer")
	}
	// The same rows in another layout (no offset index, other page offsets).
	copyFile(pyarrowFiles[1])
	later := ds.Files[0].ModTime.Add(time.Second)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	mem := checkedMem(t)
	want := pyarrowExpected(t, mem, ds.DataSchema)
	defer want.Release()
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got := readPartitions(t, ds, [][]Split{{{File: 0, RowGroups: []int{0, 1, 2}}}}, all, nil, mem, 1000)
	defer releaseAll(got)
	for column := range all {
		if !array.Equal(got[column], want.Column(column)) {
			t.Errorf("column %s differs", ds.DataSchema.Field(column).Name)
		}
	}
}
