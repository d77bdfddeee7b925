package arrowio

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
)

// mapKeySet is a KeySet over a Go map (the join table is exec's; any set will do here).
type mapKeySet map[int64]bool

func (s mapKeySet) ContainsInt64(v int64) bool { return s[v] }

// An "inset" runtime filter keeps exactly the rows whose value is in the set, and the rows whose
// value is null (the join above decides those), alone and under an and with a pushed comparison,
// on int32 and int64 columns, data pages v1 and v2, at several batch sizes. The expected rows
// come from the file's formulas.
func TestDirectReaderKeySetFilter(t *testing.T) {
	i32Keys, i64Keys := mapKeySet{}, mapKeySet{}
	for i := 0; i < pyarrowRows; i += 17 {
		i32Keys[int64(i*37-50000)] = true
		i64Keys[int64(i)*1_000_000_007-7] = true
	}
	i32Keys[123456789] = true // a key no row has
	i64Keys[5] = true
	cases := []struct {
		name   string
		column string
		set    mapKeySet
		also   *testCondition // a pushed comparison and-ed with the set
		keep   func(v pyarrowValues) bool
	}{
		{"int32", "i32", i32Keys, nil, func(v pyarrowValues) bool { return v.i32 == nil || i32Keys[*v.i32] }},
		{"int64", "i64", i64Keys, nil, func(v pyarrowValues) bool { return i64Keys[v.i64] }},
		{"int64 and a comparison", "i64", i64Keys, &testCondition{op: "lt", column: "dec_big", values: []any{int64(0)}},
			func(v pyarrowValues) bool { return i64Keys[v.i64] && v.decBig < 0 }},
		{"empty set", "i64", mapKeySet{}, nil, func(pyarrowValues) bool { return false }},
	}
	for _, c := range cases {
		var keep []int64
		for i := range pyarrowRows {
			if c.keep(pyarrowRow(i)) {
				keep = append(keep, int64(i))
			}
		}
		if c.name != "empty set" && (len(keep) == 0 || len(keep) == pyarrowRows) {
			t.Fatalf("%s keeps %d of %d rows: the set tests nothing", c.name, len(keep), pyarrowRows)
		}
		for i, batchSize := range []int{3, 333, 10000} {
			ds := pyarrowDataset(t, pyarrowFiles[i%2])
			t.Run(fmt.Sprint(c.name, "/", batchSize), func(t *testing.T) {
				mem := checkedMem(t)
				full := pyarrowExpected(t, mem, ds.DataSchema)
				defer full.Release()
				indices := array.NewInt64Builder(mem)
				indices.AppendValues(keep, nil)
				selection := indices.NewInt64Array()
				indices.Release()
				defer selection.Release()
				ctx := compute.WithAllocator(context.Background(), mem)
				wantBatch, err := compute.Take(ctx, *compute.DefaultTakeOptions(), compute.NewDatumWithoutOwning(full), compute.NewDatumWithoutOwning(selection))
				if err != nil {
					t.Fatal(err)
				}
				defer wantBatch.Release()
				want := wantBatch.(*compute.RecordDatum).Value
				predicate := &Predicate{Op: "inset", Column: fieldIndex(ds.DataSchema, c.column), Set: c.set}
				if c.also != nil {
					predicate = &Predicate{Op: "and", Children: []*Predicate{predicate, c.also.predicate(ds)}}
				}
				projection := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
				got := readSplits(t, ds, projection, predicate, mem, batchSize)
				defer releaseAll(got)
				if got[0].Len() != len(keep) {
					t.Fatalf("read %d rows, want %d", got[0].Len(), len(keep))
				}
				for column := range projection {
					if !array.Equal(got[column], want.Column(column)) {
						t.Errorf("column %s differs", ds.DataSchema.Field(column).Name)
					}
				}
			})
		}
	}
}

// A set over a column it cannot test (a float column) keeps every row.
func TestKeySetFilterOnOtherColumnsKeepsRows(t *testing.T) {
	ds := pyarrowDataset(t, pyarrowFiles[0])
	mem := checkedMem(t)
	// f64 is a float column: the set is not checked there.
	predicate := &Predicate{Op: "inset", Column: fieldIndex(ds.DataSchema, "f64"), Set: mapKeySet{}}
	got := readSplits(t, ds, []int{1, 3}, predicate, mem, 1000)
	defer releaseAll(got)
	if got[0].Len() != pyarrowRows {
		t.Fatalf("read %d rows, want all %d", got[0].Len(), pyarrowRows)
	}
}

// A KeyBitmap answers like the set it was made from, in ContainsInt64 and in the reader's own
// loop (a column without nulls, i64, so that the branch-free loop runs).
func TestDirectReaderKeyBitmapFilter(t *testing.T) {
	low := int64(40)*1_000_000_007 - 7 // row 40's i64
	bitmap := &KeyBitmap{Min: low, Bits: make([]uint64, 4)}
	for v := low; v < low+256; v += 3 {
		d := uint64(v - low)
		bitmap.Bits[d>>6] |= 1 << (d & 63)
	}
	for v := low - 10; v < low+300; v++ {
		want := v >= low && v < low+256 && (v-low)%3 == 0
		if got := bitmap.ContainsInt64(v); got != want {
			t.Fatalf("ContainsInt64(%d) = %v, want %v", v, got, want)
		}
	}
	ds := pyarrowDataset(t, pyarrowFiles[0])
	mem := checkedMem(t)
	// The rows' i64 values are 1_000_000_007 apart: only row 40's lies in the bitmap's range.
	predicate := &Predicate{Op: "inset", Column: fieldIndex(ds.DataSchema, "i64"), Set: bitmap}
	got := readSplits(t, ds, []int{1}, predicate, mem, 1000)
	defer releaseAll(got)
	if got[0].Len() != 1 || got[0].(*array.Int64).Value(0) != low {
		t.Fatalf("read %d rows, want the one row with i64 %d", got[0].Len(), low)
	}
}
