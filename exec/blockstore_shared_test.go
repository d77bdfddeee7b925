package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/udf"
)

func TestPlaceSharedSwapsAPartitionWhileReadersKeepTheirBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	minimum := udf.SharedSegmentMinRows
	udf.SharedSegmentMinRows = 0
	defer func() { udf.SharedSegmentMinRows = minimum }()
	before := udf.SharedSegmentCount()

	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "name", Type: arrow.BinaryTypes.String}, {Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	batch := func(from int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for i := from; i < from+13; i++ {
			if i%5 == 0 {
				b.Field(0).AppendNull()
			} else {
				b.Field(0).(*array.Int64Builder).Append(int64(i))
			}
			b.Field(1).(*array.StringBuilder).Append("x")
			b.Field(2).(*array.Float64Builder).Append(float64(i) / 2)
		}
		return b.NewRecordBatch()
	}
	store := NewBlockStore()
	defer store.Close()
	store.Put(&StoredFrame{ID: "f", Schema: schema, Partitions: [][]arrow.RecordBatch{{batch(0), batch(13)}, {batch(26)}}})

	// A reader holding partition 0 from before the swap.
	reading, _, err := store.RetainPartition("f", 0)
	if err != nil {
		t.Fatal(err)
	}
	store.PlaceShared("f", 0, []int{0, 1}) // the string column is not placed
	if got := udf.SharedSegmentCount() - before; got != 1 {
		t.Fatalf("%d segments after placing one column of one partition", got)
	}
	store.PlaceShared("f", 0, []int{0})
	if got := udf.SharedSegmentCount() - before; got != 1 {
		t.Fatalf("a placed column was placed again: %d segments", got)
	}
	placed, _, err := store.RetainPartition("f", 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range placed {
		if placed[i] == reading[i] {
			t.Fatal("the partition's batches were not swapped")
		}
		for c := range schema.NumFields() {
			if !array.Equal(placed[i].Column(c), reading[i].Column(c)) {
				t.Fatalf("batch %d column %d: placed %v, was %v", i, c, placed[i].Column(c), reading[i].Column(c))
			}
		}
	}
	if placed[0].Column(1) != reading[0].Column(1) && placed[0].Column(1).Data().Buffers()[2] != reading[0].Column(1).Data().Buffers()[2] {
		t.Fatal("the string column was copied")
	}
	for _, b := range reading {
		b.Release()
	}
	store.PlaceShared("f", 1, nil)
	store.PlaceShared("missing", 0, nil)
	if got := udf.SharedSegmentCount() - before; got != 2 {
		t.Fatalf("%d segments after placing partition 1 whole, want 2", got)
	}

	// Dropping the frame frees its segments once the last reader lets its batches go.
	store.Remove("f")
	if got := udf.SharedSegmentCount() - before; got != 1 {
		t.Fatalf("%d segments while a reader holds partition 0, want 1", got)
	}
	for _, b := range placed {
		b.Release()
	}
	if got := udf.SharedSegmentCount(); got != before {
		t.Fatalf("%d segments left after the frame was dropped, want %d", got, before)
	}
}
