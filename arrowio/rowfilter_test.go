package arrowio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// rowFilterBatch: day (date32), n32 (int32), n64 (int64), price (decimal(15,2)), flag (string),
// every column with nulls, values around the literals used below.
func rowFilterBatch(t *testing.T, rows int) arrow.RecordBatch {
	t.Helper()
	mem := checkedMem(t)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "day", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "n32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "n64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: &arrow.Decimal128Type{Precision: 15, Scale: 2}, Nullable: true},
		{Name: "flag", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	builder := array.NewRecordBuilder(mem, schema)
	defer builder.Release()
	flags := []string{"A", "N", "R", "AIR", ""}
	for i := range rows {
		if i%9 == 4 {
			for c := range 5 {
				builder.Field(c).AppendNull()
			}
			continue
		}
		builder.Field(0).(*array.Date32Builder).Append(arrow.Date32(8750 + i%40))
		builder.Field(1).(*array.Int32Builder).Append(int32(i%50 - 25))
		builder.Field(2).(*array.Int64Builder).Append(int64(i%31) * 1_000_000_007)
		builder.Field(3).(*array.Decimal128Builder).Append(decimal128.FromI64(int64(i%23 - 3)))
		builder.Field(4).(*array.StringBuilder).Append(flags[i%len(flags)])
	}
	return builder.NewRecordBatch()
}

// exactMatch evaluates a leaf comparison the way the Filter does: in float64 for Float
// predicates, exactly otherwise; null never matches.
func exactMatch(t *testing.T, b arrow.RecordBatch, p *Predicate, row int) bool {
	switch p.Op {
	case "and":
		for _, c := range p.Children {
			if !exactMatch(t, b, c, row) {
				return false
			}
		}
		return true
	case "or":
		for _, c := range p.Children {
			if exactMatch(t, b, c, row) {
				return true
			}
		}
		return false
	case "in":
		for _, v := range p.Values {
			if exactMatch(t, b, &Predicate{Op: "eq", Column: p.Column, Values: []scalar.Scalar{v}, Float: p.Float}, row) {
				return true
			}
		}
		return false
	}
	column := b.Column(p.Column)
	switch p.Op {
	case "isnull":
		return column.IsNull(row)
	case "isnotnull":
		return column.IsValid(row)
	}
	if column.IsNull(row) {
		return false
	}
	var cmp int
	switch c := column.(type) {
	case *array.String:
		x, y := c.Value(row), string(p.Values[0].(*scalar.String).Value.Bytes())
		cmp = map[bool]int{true: -1, false: 0}[x < y] + map[bool]int{true: 1, false: 0}[x > y]
	default:
		var x, y float64
		switch c := column.(type) {
		case *array.Date32:
			x = float64(c.Value(row))
		case *array.Int32:
			x = float64(c.Value(row))
		case *array.Int64:
			x = float64(c.Value(row))
		case *array.Decimal128:
			x = c.Value(row).ToFloat64(2)
		}
		switch v := p.Values[0].(type) {
		case *scalar.Decimal128:
			y = v.Value.ToFloat64(v.Type.(*arrow.Decimal128Type).Scale)
		default:
			var ok bool
			if y, ok = toFloat(v); !ok {
				i, _ := toInt(v)
				y = float64(i)
			}
		}
		cmp = compareFloat(x, y)
	}
	switch p.Op {
	case "eq":
		return cmp == 0
	case "lt":
		return cmp < 0
	case "lte":
		return cmp <= 0
	case "gt":
		return cmp > 0
	case "gte":
		return cmp >= 0
	}
	t.Fatalf("unknown op %s", p.Op)
	return false
}

func TestRowFilterKeepsEveryMatch(t *testing.T) {
	b := rowFilterBatch(t, 400)
	defer b.Release()
	d152 := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	day := func(op string, v int32) *Predicate {
		return &Predicate{Op: op, Column: 0, Values: []scalar.Scalar{scalar.NewDate32Scalar(arrow.Date32(v))}}
	}
	cases := []struct {
		predicate *Predicate
		exact     bool // the reader's answer equals the exact one on non-null rows
	}{
		{day("gte", 8760), true},
		{day("lt", 8770), true},
		{&Predicate{Op: "and", Children: []*Predicate{day("gte", 8760), day("lt", 8770)}}, true},
		{day("eq", 8789), true},
		{day("lte", 8760), true},
		{&Predicate{Op: "gte", Column: 1, Values: []scalar.Scalar{scalar.NewInt32Scalar(20)}}, true},
		{&Predicate{Op: "lt", Column: 1, Values: []scalar.Scalar{scalar.NewInt32Scalar(-20)}}, true},
		{&Predicate{Op: "gt", Column: 2, Values: []scalar.Scalar{scalar.NewInt64Scalar(20_000_000_140)}}, true},
		{&Predicate{Op: "lte", Column: 2, Values: []scalar.Scalar{scalar.NewFloat64Scalar(3.5e9)}, Float: true}, false},
		{&Predicate{Op: "lt", Column: 3, Values: []scalar.Scalar{scalar.NewDecimal128Scalar(decimal128.FromI64(5), d152)}}, true},
		{&Predicate{Op: "gte", Column: 3, Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.05)}, Float: true}, false},
		{&Predicate{Op: "lte", Column: 3, Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.07)}, Float: true}, false},
		{&Predicate{Op: "eq", Column: 3, Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.1)}, Float: true}, false},
		{&Predicate{Op: "lt", Column: 3, Values: []scalar.Scalar{scalar.NewDecimal128Scalar(decimal128.FromI64(24), &arrow.Decimal128Type{Precision: 10, Scale: 1})}, Float: true}, false},
		{&Predicate{Op: "eq", Column: 4, Values: []scalar.Scalar{scalar.NewStringScalar("AIR")}}, true},
		{&Predicate{Op: "gt", Column: 4, Values: []scalar.Scalar{scalar.NewStringScalar("A")}}, true},
		{&Predicate{Op: "in", Column: 4, Values: []scalar.Scalar{scalar.NewStringScalar("N"), scalar.NewStringScalar("")}}, true},
		{&Predicate{Op: "or", Children: []*Predicate{day("eq", 8750), {Op: "eq", Column: 4, Values: []scalar.Scalar{scalar.NewStringScalar("R")}}}}, true},
		// A child the reader cannot check makes an or keep everything, an and ignore it.
		{&Predicate{Op: "or", Children: []*Predicate{day("eq", 8750), {Op: "isnull", Column: 4}}}, false},
		{&Predicate{Op: "and", Children: []*Predicate{day("eq", 8750), {Op: "isnull", Column: 4}}}, false},
	}
	projection := []int{0, 1, 2, 3, 4}
	for _, c := range cases {
		t.Run(c.predicate.String(), func(t *testing.T) {
			f := newRowFilter(c.predicate, projection, checkedMem(t))
			keep := f.evaluate(c.predicate, b, int(b.NumRows()))
			if keep == nil {
				if c.exact {
					t.Fatalf("the reader checks nothing")
				}
				return
			}
			dropped := 0
			for row := range int(b.NumRows()) {
				want := exactMatch(t, b, c.predicate, row)
				if want && !keep[row] {
					t.Fatalf("row %d matches but was dropped", row)
				}
				if !keep[row] {
					dropped++
				}
				nullRow := row%9 == 4
				if c.exact && !nullRow && keep[row] != want {
					t.Fatalf("row %d: kept %v, exact answer %v", row, keep[row], want)
				}
			}
			if dropped == 0 && c.exact {
				t.Fatalf("nothing dropped")
			}
		})
	}
}

// apply drops rows through a batch copy only when enough go; the result's rows are a superset
// of the exact matches, in order.
func TestRowFilterApply(t *testing.T) {
	for _, keepDays := range []int32{1, 20, 39, 40} {
		t.Run(fmt.Sprint(keepDays), func(t *testing.T) {
			mem := checkedMem(t)
			b := rowFilterBatch(t, 400)
			predicate := &Predicate{Op: "lt", Column: 0, Values: []scalar.Scalar{scalar.NewDate32Scalar(arrow.Date32(8750 + keepDays))}}
			var want []int32
			days := b.Column(0).(*array.Date32)
			for row := range days.Len() {
				if days.IsValid(row) && int32(days.Value(row)) < 8750+keepDays {
					want = append(want, int32(days.Value(row)))
				}
			}
			out, err := newRowFilter(predicate, []int{0, 1, 2, 3, 4}, mem).apply(b)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			got := out.Column(0).(*array.Date32)
			matched := 0
			for row := range got.Len() {
				if got.IsValid(row) && int32(got.Value(row)) < 8750+keepDays {
					if int32(got.Value(row)) != want[matched] {
						t.Fatalf("row %d out of order", row)
					}
					matched++
				}
			}
			if matched != len(want) {
				t.Fatalf("kept %d of %d matches", matched, len(want))
			}
			if share := float64(len(want)) / 400; share < 0.5 && got.Len() > 2*len(want)+60 {
				t.Fatalf("kept %d rows for %d matches", got.Len(), len(want))
			}
		})
	}
}

// A reader gives up on a filter that drops nothing for a while (data sorted on the column) and
// takes it up again when a probed batch loses rows; every match is read either way.
func TestSplitReaderRowFilterSortedData(t *testing.T) {
	mem := checkedMem(t)
	values := make([]int64, 30000)
	for i := range values {
		values[i] = int64(i)
	}
	in := int64Batch(mem, "x", values)
	defer in.Release()
	dir := filepath.Join(t.TempDir(), "sorted")
	writeDataset(t, WriteSpec{Path: dir, Format: "parquet", Schema: in.Schema()}, mem, []arrow.RecordBatch{in})
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	parts, _, err := ds.PlanSplits(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	predicate := &Predicate{Op: "lt", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(12000)}}
	r := NewSplitReader(context.Background(), ds, parts[0], nil, mem, 500)
	r.FilterRows(predicate)
	defer r.Close()
	read, matches := 0, 0
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range b.Column(0).(*array.Int64).Int64Values() {
			if v < 12000 {
				if v != int64(matches) {
					t.Fatalf("match %d read as %d", matches, v)
				}
				matches++
			}
		}
		read += int(b.NumRows())
		b.Release()
	}
	if matches != 12000 {
		t.Fatalf("read %d of 12000 matches", matches)
	}
	if read >= 30000 {
		t.Fatalf("read all %d rows: the filter never resumed", read)
	}
}

// A selective filter leaves a few rows of every batch; the reader joins them into batches of at
// least half the batch size (but the last), in the order read, so the operators above do not pay
// their per-batch cost for a handful of rows.
func TestSplitReaderJoinsFilteredBatches(t *testing.T) {
	mem := checkedMem(t)
	values := make([]int64, 40000)
	for i := range values {
		values[i] = int64(i)
	}
	in := int64Batch(mem, "x", values)
	defer in.Release()
	dir := filepath.Join(t.TempDir(), "selective")
	writeDataset(t, WriteSpec{Path: dir, Format: "parquet", Schema: in.Schema()}, mem, []arrow.RecordBatch{in})
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	parts, _, err := ds.PlanSplits(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// x in (every 50th value): 2% of each 1000-row batch may match.
	var list []scalar.Scalar
	var want []int64
	for v := int64(0); v < 40000; v += 50 {
		list = append(list, scalar.NewInt64Scalar(v))
		want = append(want, v)
	}
	predicate := &Predicate{Op: "in", Column: 0, Values: list}
	for _, batchSize := range []int{1, 7, 1000} {
		r := NewSplitReader(context.Background(), ds, parts[0], nil, mem, batchSize)
		r.FilterRows(predicate)
		var got []int64
		var sizes []int64
		for {
			b, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, b.NumRows())
			for _, v := range b.Column(0).(*array.Int64).Int64Values() {
				if v%50 == 0 {
					got = append(got, v)
				}
			}
			b.Release()
		}
		r.Close()
		if len(got) != len(want) {
			t.Fatalf("batch size %d: read %d matches, want %d", batchSize, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("batch size %d: match %d is %d, want %d", batchSize, i, got[i], want[i])
			}
		}
		if batchSize < 8 {
			continue // a single kept row is already a quarter of such a batch
		}
		for i, n := range sizes[:len(sizes)-1] {
			if n < int64(batchSize)/2 {
				t.Fatalf("batch size %d: batch %d has %d rows (sizes %v)", batchSize, i, n, sizes)
			}
		}
	}
}
