package arrowio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// testdata/direct_pyarrow.parquet is written by pyarrow (testdata/make_direct_pyarrow.py):
// 3000 rows in row groups of 1000, pages of ~512 bytes, every type the direct reader decodes,
// nulls in most columns, dictionary strings, a plain encoded string column and plain encoded
// integers and floats. pyarrowRow repeats the script's formulas: the tests compare with values no
// reader computed.
const pyarrowRows = 3000

type pyarrowValues struct {
	i32       *int64
	i64       int64
	f32       *float64
	f64       float64
	day       *int64
	decSmall  *int64 // unscaled, scale 2
	decBig    int64  // unscaled, scale 4
	flag      *string
	mode      string
	comment   *string
	payload   string
	nullEvery map[string]bool
}

func pyarrowRow(i int) pyarrowValues {
	nullEvery := func(n int) bool { return i%n == n-1 }
	some := func(v int64, null bool) *int64 {
		if null {
			return nil
		}
		return &v
	}
	v := pyarrowValues{
		i32:     some(int64(i*37-50000), nullEvery(7)),
		i64:     int64(i)*1_000_000_007 - 7,
		f64:     float64(i)*0.5 - 100,
		decBig:  int64((i*7919)%100003 - 50000),
		mode:    []string{"AIR", "REG AIR", "TRUCK", "", "héllo"}[i%5],
		payload: string([]byte{byte(i % 7), 0, byte(i % 11)}),
	}
	if !nullEvery(5) {
		f := float64(i)*0.25 - 10
		v.f32 = &f
	}
	epoch1990 := int64(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	v.day = some(epoch1990+int64(i%4000), nullEvery(11))
	v.decSmall = some(int64(i%2001-1000), nullEvery(3))
	if !nullEvery(13) {
		flag := string("ARN"[i%3])
		v.flag = &flag
	}
	if !nullEvery(4) {
		comment := fmt.Sprintf("comment %d is unique", i)
		v.comment = &comment
	}
	return v
}

// pyarrowFiles are the file with data pages v1 and the same rows with data pages v2.
var pyarrowFiles = []string{"testdata/direct_pyarrow.parquet", "testdata/direct_pyarrow_v2.parquet"}

func pyarrowPath(t *testing.T, name string) string {
	path, err := filepath.Abs(name)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// pyarrowExpected builds the file's content from the formulas.
func pyarrowExpected(t *testing.T, mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	t.Helper()
	builder := array.NewRecordBuilder(mem, schema)
	defer builder.Release()
	for i := range pyarrowRows {
		v := pyarrowRow(i)
		if v.i32 == nil {
			builder.Field(0).AppendNull()
		} else {
			builder.Field(0).(*array.Int32Builder).Append(int32(*v.i32))
		}
		builder.Field(1).(*array.Int64Builder).Append(v.i64)
		if v.f32 == nil {
			builder.Field(2).AppendNull()
		} else {
			builder.Field(2).(*array.Float32Builder).Append(float32(*v.f32))
		}
		builder.Field(3).(*array.Float64Builder).Append(v.f64)
		if v.day == nil {
			builder.Field(4).AppendNull()
		} else {
			builder.Field(4).(*array.Date32Builder).Append(arrow.Date32(*v.day))
		}
		if v.decSmall == nil {
			builder.Field(5).AppendNull()
		} else {
			builder.Field(5).(*array.Decimal128Builder).Append(decimal128.FromI64(*v.decSmall))
		}
		builder.Field(6).(*array.Decimal128Builder).Append(decimal128.FromI64(v.decBig))
		if v.flag == nil {
			builder.Field(7).AppendNull()
		} else {
			builder.Field(7).(*array.StringBuilder).Append(*v.flag)
		}
		builder.Field(8).(*array.StringBuilder).Append(v.mode)
		if v.comment == nil {
			builder.Field(9).AppendNull()
		} else {
			builder.Field(9).(*array.StringBuilder).Append(*v.comment)
		}
		builder.Field(10).(*array.BinaryBuilder).Append([]byte(v.payload))
	}
	return builder.NewRecordBatch()
}

func pyarrowDataset(t *testing.T, name string) *Dataset {
	t.Helper()
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{pyarrowPath(t, name)}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"i32:int32", "i64:int64", "f32:float32", "f64:float64", "day:date32", "dec_small:decimal(9, 2)", "dec_big:decimal(18, 4)", "flag:utf8", "mode:utf8", "comment:utf8", "payload:binary"}
	for i, f := range ds.DataSchema.Fields() {
		if got := f.Name + ":" + f.Type.String(); i >= len(want) || got != want[i] {
			t.Fatalf("column %d is %s, want %s", i, got, want[i])
		}
	}
	return ds
}

// readSplits reads every row of ds through one SplitReader (all row groups in one split list),
// with predicate as the pushed filter, and concatenates each output column.
func readSplits(t *testing.T, ds *Dataset, projection []int, predicate *Predicate, mem memory.Allocator, batchSize int) []arrow.Array {
	t.Helper()
	parts, _, err := ds.PlanSplits(1, nil)
	if err != nil {
		t.Fatal(err)
	}
	var splits []Split
	for _, p := range parts {
		splits = append(splits, p...)
	}
	r := NewSplitReader(context.Background(), ds, splits, projection, mem, batchSize)
	r.FilterRows(predicate)
	defer r.Close()
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for {
		b, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if b.NumRows() > int64(batchSize) {
			t.Fatalf("a batch of %d rows for batch size %d", b.NumRows(), batchSize)
		}
		batches = append(batches, b)
	}
	columns := make([]arrow.Array, r.Schema().NumFields())
	for c := range columns {
		chunks := make([]arrow.Array, len(batches))
		for i, b := range batches {
			chunks[i] = b.Column(c)
		}
		if len(chunks) == 0 {
			columns[c] = array.MakeArrayOfNull(mem, r.Schema().Field(c).Type, 0)
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

func releaseAll(arrays []arrow.Array) {
	for _, a := range arrays {
		a.Release()
	}
}

// The files take the direct path, each column the way its pages allow.
func TestDirectReaderIsChosen(t *testing.T) {
	for _, name := range pyarrowFiles {
		mem := checkedMem(t)
		ds := pyarrowDataset(t, name)
		all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
		mapper := newColumnMapper(ds, ds.Files[0], all, nil, mem)
		reader, err := newParquetSplitReader(context.Background(), ds, Split{File: 0, RowGroups: []int{0, 1, 2}}, mapper, mem, 100, nil)
		if err != nil {
			t.Fatal(err)
		}
		direct := reader.(*parquetSplitReader).direct
		if direct == nil {
			t.Fatalf("%s must be read by the direct reader", name)
		}
		if more, err := direct.openRowGroup(); !more || err != nil {
			t.Fatalf("opening the first row group: %v %v", more, err)
		}
		for _, c := range direct.columns {
			// Every column but the plain encoded strings goes through the page decoder.
			plain := c.field.Name == "comment" || c.field.Name == "i64" || c.field.Name == "f32"
			if c.usePages != (c.field.Name != "comment") {
				t.Errorf("%s: column %s read by the page decoder: %v", name, c.field.Name, c.usePages)
			}
			// Fixed-width dictionary columns are read as indices, strings by their own flag.
			if c.kind != directByteArray && c.indexed == plain {
				t.Errorf("%s: column %s read as dictionary indices: %v", name, c.field.Name, c.indexed)
			}
		}
		reader.Close()
	}
}

func TestDirectReaderReadsKnownValues(t *testing.T) {
	all := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, direct := range []bool{true, false} {
		for i, batchSize := range []int{1, 7, 333, 10000} {
			name := pyarrowFiles[i%2]
			ds := pyarrowDataset(t, name)
			t.Run(fmt.Sprint(name, direct, batchSize), func(t *testing.T) {
				defer func(was bool) { directReads = was }(directReads)
				directReads = direct
				mem := checkedMem(t)
				want := pyarrowExpected(t, mem, ds.DataSchema)
				defer want.Release()
				projections := [][]int{all, {9, 7, 1}, {5}, {8, 6, 4}}
				if batchSize == 1 { // slow under the checked allocator: the string paths only
					projections = [][]int{{9, 7}}
				}
				for _, projection := range projections {
					got := readSplits(t, ds, projection, nil, mem, batchSize)
					for out, column := range projection {
						if !array.Equal(got[out], want.Column(column)) {
							t.Errorf("column %s differs", ds.DataSchema.Field(column).Name)
						}
					}
					releaseAll(got)
				}
			})
		}
	}
}

// testCondition is a comparison of the tests' predicates, evaluated on the formulas' values.
type testCondition struct {
	op       string // and, or, or a comparison
	column   string
	children []testCondition
	values   []any // int64 (integers, dates, unscaled decimals) or string
}

func (c testCondition) predicate(ds *Dataset) *Predicate {
	switch c.op {
	case "and", "or":
		p := &Predicate{Op: c.op}
		for _, child := range c.children {
			p.Children = append(p.Children, child.predicate(ds))
		}
		return p
	}
	column := fieldIndex(ds.DataSchema, c.column)
	t := ds.DataSchema.Field(column).Type
	p := &Predicate{Op: c.op, Column: column}
	for _, v := range c.values {
		var s scalar.Scalar
		switch x := v.(type) {
		case nil:
			s = scalar.MakeNullScalar(t)
		case string:
			s = scalar.NewStringScalar(x)
		case int64:
			switch tt := t.(type) {
			case *arrow.Date32Type:
				s = scalar.NewDate32Scalar(arrow.Date32(x))
			case *arrow.Decimal128Type:
				s = scalar.NewDecimal128Scalar(decimal128.FromI64(x), tt)
			case *arrow.Int32Type:
				s = scalar.NewInt32Scalar(int32(x))
			default:
				s = scalar.NewInt64Scalar(x)
			}
		}
		p.Values = append(p.Values, s)
	}
	return p
}

// mayHold is the reader's contract for one row: false only when the comparison is certainly
// false (a null makes a comparison unknown, which the reader keeps).
func (c testCondition) mayHold(v pyarrowValues) bool {
	switch c.op {
	case "and":
		for _, child := range c.children {
			if !child.mayHold(v) {
				return false
			}
		}
		return true
	case "or":
		for _, child := range c.children {
			if child.mayHold(v) {
				return true
			}
		}
		return false
	}
	var value any
	switch c.column {
	case "i32":
		if v.i32 != nil {
			value = *v.i32
		}
	case "i64":
		value = v.i64
	case "day":
		if v.day != nil {
			value = *v.day
		}
	case "dec_small":
		if v.decSmall != nil {
			value = *v.decSmall
		}
	case "dec_big":
		value = v.decBig
	case "flag":
		if v.flag != nil {
			value = *v.flag
		}
	case "mode":
		value = v.mode
	case "comment":
		if v.comment != nil {
			value = *v.comment
		}
	}
	if value == nil {
		return true
	}
	op := c.op
	if op == "in" {
		op = "eq"
	}
	for _, literal := range c.values {
		if literal == nil {
			continue
		}
		var cmp int
		switch x := value.(type) {
		case int64:
			y := literal.(int64)
			cmp = map[bool]int{true: -1, false: 0}[x < y] + map[bool]int{true: 1, false: 0}[x > y]
		case string:
			cmp = strings.Compare(x, literal.(string))
		}
		if op == "eq" && cmp == 0 || op == "lt" && cmp < 0 || op == "lte" && cmp <= 0 || op == "gt" && cmp > 0 || op == "gte" && cmp >= 0 {
			return true
		}
	}
	return false
}

func TestDirectReaderFiltersRows(t *testing.T) {
	epoch1990 := int64(time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	leaf := func(column, op string, values ...any) testCondition {
		return testCondition{op: op, column: column, values: values}
	}
	and := func(children ...testCondition) testCondition { return testCondition{op: "and", children: children} }
	or := func(children ...testCondition) testCondition { return testCondition{op: "or", children: children} }
	conditions := map[string]testCondition{
		// TPC-H Q6's shape: a date range, a decimal range, an integer bound; nulls in each.
		"q6": and(leaf("day", "gte", epoch1990+500), leaf("day", "lt", epoch1990+1500),
			leaf("dec_small", "gte", int64(-200)), leaf("dec_small", "lte", int64(300)), leaf("i32", "lt", int64(40000))),
		"strings":       or(leaf("flag", "eq", "A"), leaf("mode", "in", "AIR", "héllo", nil)),
		"plain strings": and(leaf("comment", "gt", "comment 2"), leaf("comment", "lte", "comment 25")),
		"int64 in":      leaf("i64", "in", int64(7*1_000_000_007-7), int64(2999*1_000_000_007-7), int64(5)),
		"nothing":       and(leaf("dec_big", "gt", int64(1<<40)), leaf("mode", "eq", "AIR")),
		"everything":    leaf("dec_big", "gte", int64(-1<<40)),
		"empty string":  and(leaf("mode", "lte", ""), leaf("i32", "gte", int64(-50000))),
		// Required dictionary columns decoded only for the rows earlier conjuncts kept.
		"required chain": and(leaf("dec_big", "gte", int64(-20000)), leaf("mode", "in", "TRUCK", "REG AIR"), leaf("dec_big", "lt", int64(30000))),
		// Or branches over the same columns with different selections.
		"branches": or(and(leaf("mode", "eq", "AIR"), leaf("dec_big", "lt", int64(0))), and(leaf("dec_big", "gte", int64(40000)), leaf("mode", "eq", "TRUCK"))),
	}
	for name, condition := range conditions {
		var keep []int64
		for i := range pyarrowRows {
			if condition.mayHold(pyarrowRow(i)) {
				keep = append(keep, int64(i))
			}
		}
		if name != "nothing" && (len(keep) == 0 || len(keep) == pyarrowRows && name != "everything") {
			t.Fatalf("%s keeps %d of %d rows: the condition tests nothing", name, len(keep), pyarrowRows)
		}
		for i, batchSize := range []int{3, 333, 10000} {
			ds := pyarrowDataset(t, pyarrowFiles[i%2])
			t.Run(fmt.Sprint(name, batchSize), func(t *testing.T) {
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
				projection := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
				got := readSplits(t, ds, projection, condition.predicate(ds), mem, batchSize)
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

// A comparison in the float domain (a decimal column under a cast to double) keeps every row
// that may match within rounding; a comparison on a column the scan does not read keeps all.
func TestDirectReaderConservativeComparisons(t *testing.T) {
	ds := pyarrowDataset(t, pyarrowFiles[1])
	mem := checkedMem(t)
	decSmall := fieldIndex(ds.DataSchema, "dec_small")
	predicate := &Predicate{Op: "and", Children: []*Predicate{
		{Op: "gte", Column: decSmall, Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.05)}, Float: true},
		{Op: "lte", Column: decSmall, Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.07)}, Float: true},
		{Op: "gt", Column: fieldIndex(ds.DataSchema, "f64"), Values: []scalar.Scalar{scalar.NewFloat64Scalar(1e9)}},
		{Op: "eq", Column: fieldIndex(ds.DataSchema, "i64"), Values: []scalar.Scalar{scalar.NewInt64Scalar(-1)}},
	}}
	got := readSplits(t, ds, []int{decSmall, fieldIndex(ds.DataSchema, "f64")}, predicate, mem, 500)
	defer releaseAll(got)
	exact, kept := 0, map[int64]bool{}
	for i := range pyarrowRows {
		if v := pyarrowRow(i).decSmall; v == nil || *v >= 5 && *v <= 7 {
			exact++
		}
	}
	column := got[0].(*array.Decimal128)
	for i := range column.Len() {
		if column.IsNull(i) {
			kept[-1<<62] = true
			continue
		}
		v := int64(column.Value(i).LowBits())
		if v < 4 || v > 8 {
			t.Fatalf("kept %d, outside the rounding margin of [0.05, 0.07]", v)
		}
		kept[v] = true
	}
	// 4 and 7 occur only in null rows.
	if column.Len() < exact || !kept[5] || !kept[6] || !kept[8] || !kept[-1<<62] {
		t.Fatalf("kept %d rows (%v), the condition holds or is unknown for %d", column.Len(), kept, exact)
	}
}
