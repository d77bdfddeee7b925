package exec

import (
	"context"
	"errors"
	"io"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Small batches (a selective filter's or a join's) come out joined, in order, with every row
// and null intact; big ones pass through; nothing leaks, also when closed early.
func TestBatchCoalescerJoinsSmallBatches(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	// Batch sizes: many tiny ones, a big one in the middle, tiny ones again, an empty one.
	sizes := []int{3, 1, 5, 0, 2, 40, 7, 1, 1, 9, 2}
	var batches []arrow.RecordBatch
	var want []int64
	next := int64(0)
	for _, n := range sizes {
		ints := array.NewInt64Builder(mem)
		strs := array.NewStringBuilder(mem)
		for range n {
			if next%5 == 0 {
				ints.AppendNull()
				strs.AppendNull()
			} else {
				ints.Append(next)
				strs.Append(string(rune('a' + next%26)))
			}
			want = append(want, next)
			next++
		}
		columns := []arrow.Array{ints.NewArray(), strs.NewArray()}
		ints.Release()
		strs.Release()
		batches = append(batches, array.NewRecordBatch(schema, columns, int64(n)))
		columns[0].Release()
		columns[1].Release()
	}
	tc := NewTaskContext(mem, nil, nil)
	tc.BatchSize = 40 // pass through from 10 rows, join up to 20
	op := newBatchCoalescer(tc, NewBatchSource(schema, batches))
	ctx := context.Background()
	if err := op.Open(ctx); err != nil {
		t.Fatal(err)
	}
	var got []int64
	var gotSizes []int64
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		gotSizes = append(gotSizes, b.NumRows())
		ints := b.Column(0).(*array.Int64)
		strs := b.Column(1).(*array.String)
		for i := range ints.Len() {
			row := int64(len(got))
			if row%5 == 0 {
				if !ints.IsNull(i) || !strs.IsNull(i) {
					t.Fatalf("row %d should be null", row)
				}
			} else if ints.Value(i) != row || strs.Value(i) != string(rune('a'+row%26)) {
				t.Fatalf("row %d read as %d %q", row, ints.Value(i), strs.Value(i))
			}
			got = append(got, row)
		}
		b.Release()
	}
	if len(got) != len(want) {
		t.Fatalf("read %d rows, want %d", len(got), len(want))
	}
	// 3+1+5+2 = 11 rows are pending when the big batch comes and go out joined with it, in
	// order; then 7+1+1+9+2 = 20 reach half the batch size.
	wantSizes := []int64{51, 20}
	if len(gotSizes) != len(wantSizes) || gotSizes[0] != wantSizes[0] || gotSizes[1] != wantSizes[1] {
		t.Fatalf("batch sizes %v, want %v", gotSizes, wantSizes)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
}
