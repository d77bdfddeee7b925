package arrowio

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

var batchSizes = []int{1, 2, 7, 10000}

func checkedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// allTypesBatch has a column of every Arrow type Quiver writes to Parquet, with nulls.
func allTypesBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true},
	}, nil)
	b, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[
	 {"i8": 1, "i16": -2, "i32": 3, "i64": 4000000000, "f32": 1.5, "f64": -2.25, "b": true, "s": "héllo", "bin": "AAE=", "d": 18000, "ts": 1600000000000000, "dec": "12.34", "l": [1, null, 3], "st": {"x": 1, "y": "a"}},
	 {"i8": null, "i16": null, "i32": null, "i64": null, "f32": null, "f64": null, "b": null, "s": null, "bin": null, "d": null, "ts": null, "dec": null, "l": null, "st": null},
	 {"i8": -128, "i16": 32767, "i32": -2147483648, "i64": -1, "f32": 0, "f64": 1e300, "b": false, "s": "", "bin": "", "d": -1, "ts": -1, "dec": "-0.01", "l": [], "st": {"x": null, "y": null}}
	]`))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeDataset(t *testing.T, spec WriteSpec, mem memory.Allocator, tasks ...[]arrow.RecordBatch) WriteResult {
	t.Helper()
	w, err := BeginWrite(spec, mem)
	if err != nil {
		t.Fatal(err)
	}
	for i, batches := range tasks {
		if w.Skipped() {
			break
		}
		tw := w.NewTask(i)
		for _, b := range batches {
			if err := tw.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := tw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func readDataset(t *testing.T, spec DiscoverSpec, mem memory.Allocator, batchSize int) (*Dataset, arrow.Table) {
	t.Helper()
	ds, err := Discover(spec)
	if err != nil {
		t.Fatal(err)
	}
	batches, err := ReadAll(context.Background(), ds, nil, mem, batchSize)
	if err != nil {
		t.Fatal(err)
	}
	tbl := array.NewTableFromRecords(ds.Schema(), batches)
	for _, b := range batches {
		b.Release()
	}
	return ds, tbl
}

func TestParquetRoundTripAllTypes(t *testing.T) {
	for _, bs := range batchSizes {
		t.Run(fmt.Sprint(bs), func(t *testing.T) {
			mem := checkedMem(t)
			in := allTypesBatch(t, mem)
			defer in.Release()
			dir := filepath.Join(t.TempDir(), "out")
			res := writeDataset(t, WriteSpec{Path: dir, Format: "parquet", Schema: in.Schema()}, mem, []arrow.RecordBatch{in})
			if res.NumRows != 3 || res.NumFiles != 1 {
				t.Fatalf("wrote %+v", res)
			}
			ds, tbl := readDataset(t, DiscoverSpec{Format: "parquet", Paths: []string{dir}}, mem, bs)
			defer tbl.Release()
			if !ds.Schema().Equal(in.Schema()) {
				t.Fatalf("schema %s, want %s", ds.Schema(), in.Schema())
			}
			for c := 0; c < int(in.NumCols()); c++ {
				got, err := array.Concatenate(tbl.Column(c).Data().Chunks(), mem)
				if err != nil {
					t.Fatal(err)
				}
				if !array.Equal(got, in.Column(c)) {
					t.Errorf("column %s: got %v want %v", in.Schema().Field(c).Name, got, in.Column(c))
				}
				got.Release()
			}
		})
	}
}

func int64Batch(mem memory.Allocator, name string, values []int64) arrow.RecordBatch {
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(values, nil)
	arr := b.NewArray()
	defer arr.Release()
	return array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: name, Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil), []arrow.Array{arr}, int64(len(values)))
}

func TestRowGroupPruning(t *testing.T) {
	mem := checkedMem(t)
	values := make([]int64, 100)
	for i := range values {
		values[i] = int64(i)
	}
	in := int64Batch(mem, "x", values)
	defer in.Release()
	dir := filepath.Join(t.TempDir(), "pq")
	writeDataset(t, WriteSpec{Path: dir, Format: "parquet", Schema: in.Schema(), Options: map[string]string{"maxRowsPerRowGroup": "10"}}, mem, []arrow.RecordBatch{in})
	ds, err := Discover(DiscoverSpec{Format: "parquet", Paths: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		pred     *Predicate
		skipped  int
		minValue int64 // every row >= minValue is read
	}{
		{&Predicate{Op: "gt", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(85)}}, 8, 86},
		{&Predicate{Op: "lte", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(5)}}, 9, 0},
		{&Predicate{Op: "eq", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(1000)}}, 10, 0},
		{&Predicate{Op: "or", Children: []*Predicate{
			{Op: "eq", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(3)}},
			{Op: "eq", Column: 0, Values: []scalar.Scalar{scalar.NewInt64Scalar(95)}}}}, 8, 0},
		{&Predicate{Op: "gt", Column: 0, Values: []scalar.Scalar{scalar.NewFloat64Scalar(89.5)}, Float: true}, 9, 90},
		{&Predicate{Op: "isnull", Column: 0}, 10, 0},
		{&Predicate{Op: "isnotnull", Column: 0}, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.pred.String(), func(t *testing.T) {
			parts, stats, err := ds.PlanSplits(2, c.pred)
			if err != nil {
				t.Fatal(err)
			}
			if stats.RowGroups != 10 || stats.RowGroupsSkipped != c.skipped {
				t.Fatalf("stats %+v, want 10 row groups with %d skipped", stats, c.skipped)
			}
			// The kept row groups hold every matching row.
			var got []int64
			for _, p := range parts {
				r := NewSplitReader(context.Background(), ds, p, nil, mem, 7)
				for {
					b, err := r.Next()
					if err != nil {
						break
					}
					got = append(got, b.Column(0).(*array.Int64).Int64Values()...)
					b.Release()
				}
				r.Close()
			}
			if want := 100 - c.skipped*10; len(got) != want {
				t.Fatalf("read %d rows, want %d", len(got), want)
			}
		})
	}
}

func TestCSVInference(t *testing.T) {
	// Expected types are what PySpark 4 infers with inferSchema=true (CSVInferSchema): each
	// value is tried as int, bigint, double, date, timestamp, boolean, else string, and
	// column types merge by widening numbers, date+timestamp -> timestamp, else string.
	cases := []struct {
		values []string
		want   string
	}{
		{[]string{"1", "2", ""}, "int32"},
		{[]string{"1", "3000000000"}, "int64"},
		{[]string{"1", "2.5"}, "float64"},
		{[]string{"1e3", "NaN"}, "float64"},
		{[]string{"2020-01-01", "2021-12-31"}, "date32"},
		{[]string{"2020-01-01", "2020-01-01 10:00:00"}, "timestamp[us, tz=UTC]"},
		{[]string{"2020-01-01T10:00:00Z"}, "timestamp[us, tz=UTC]"},
		{[]string{"true", "FALSE"}, "bool"},
		{[]string{"true", "1"}, "utf8"},
		{[]string{"1", "x"}, "utf8"},
		{[]string{"", ""}, "utf8"},
		{[]string{" 1"}, "float64"}, // Integer.parseInt rejects spaces, Double.parseDouble trims them
		{[]string{"2020-1-1"}, "utf8"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.values, ","), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "a.csv")
			if err := os.WriteFile(path, []byte("v\n"+strings.Join(c.values, "\n")+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			ds, err := Discover(DiscoverSpec{Format: "csv", Paths: []string{path}, Options: map[string]string{"header": "true", "inferSchema": "true"}})
			if err != nil {
				t.Fatal(err)
			}
			if got := ds.DataSchema.Field(0).Type.String(); got != c.want {
				t.Fatalf("inferred %s, want %s", got, c.want)
			}
		})
	}
}

func TestCSVOptionsAndByteRangeSplits(t *testing.T) {
	mem := checkedMem(t)
	var b strings.Builder
	b.WriteString("id;name;score\n")
	for i := 0; i < 2000; i++ {
		name := fmt.Sprintf("n%d", i)
		switch i % 5 {
		case 1:
			name = `'quoted; with sep'`
		case 2:
			name = `'it\'s'`
		case 3:
			name = "NA"
		}
		fmt.Fprintf(&b, "%d;%s;%d.5\n", i, name, i)
	}
	path := filepath.Join(t.TempDir(), "data.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := map[string]string{"header": "true", "inferSchema": "true", "sep": ";", "quote": "'", "nullValue": "NA", "maxPartitionBytes": "1000"}
	ds, err := Discover(DiscoverSpec{Format: "csv", Paths: []string{path}, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ds.DataSchema.Field(0).Type, ds.DataSchema.Field(1).Type, ds.DataSchema.Field(2).Type); got != "int32 utf8 float64" {
		t.Fatalf("schema %s", got)
	}
	parts, _, err := ds.PlanSplits(4, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) < 10 {
		t.Fatalf("expected many byte-range partitions, got %d", len(parts))
	}
	var ids []int
	names := map[int]string{}
	nulls := 0
	for _, p := range parts {
		r := NewSplitReader(context.Background(), ds, p, nil, mem, 7)
		for {
			batch, err := r.Next()
			if err != nil {
				break
			}
			idCol := batch.Column(0).(*array.Int32)
			nameCol := batch.Column(1).(*array.String)
			for i := 0; i < int(batch.NumRows()); i++ {
				id := int(idCol.Value(i))
				ids = append(ids, id)
				if nameCol.IsNull(i) {
					nulls++
				} else {
					names[id] = nameCol.Value(i)
				}
			}
			batch.Release()
		}
		r.Close()
	}
	sort.Ints(ids)
	if len(ids) != 2000 {
		t.Fatalf("read %d rows, want 2000", len(ids))
	}
	for i, id := range ids {
		if id != i {
			t.Fatalf("row %d missing or duplicated", i)
		}
	}
	if nulls != 400 || names[1] != "quoted; with sep" || names[2] != "it's" {
		t.Fatalf("nulls=%d names[1]=%q names[2]=%q", nulls, names[1], names[2])
	}
}

func TestPartitionDiscoveryAndWrite(t *testing.T) {
	mem := checkedMem(t)
	sc := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true}, {Name: "y", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "v", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	in, _, err := array.RecordFromJSON(mem, sc, strings.NewReader(`[{"k":"a/b","y":2020,"v":1},{"k":null,"y":2021,"v":2},{"k":"a/b","y":2021,"v":3},{"k":"c","y":2020,"v":null}]`))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Release()
	dir := filepath.Join(t.TempDir(), "parts")
	res := writeDataset(t, WriteSpec{Path: dir, Format: "json", Schema: sc, PartitionBy: []string{"y", "k"}}, mem, []arrow.RecordBatch{in})
	if res.NumRows != 4 || res.NumFiles != 4 {
		t.Fatalf("wrote %+v", res)
	}
	for _, d := range []string{"y=2020/k=a%2Fb", "y=2021/k=__HIVE_DEFAULT_PARTITION__", "y=2021/k=a%2Fb", "y=2020/k=c"} {
		if _, err := os.Stat(filepath.Join(dir, d)); err != nil {
			t.Errorf("missing partition directory %s", d)
		}
	}
	ds, tbl := readDataset(t, DiscoverSpec{Format: "json", Paths: []string{dir}}, mem, 2)
	defer tbl.Release()
	if got := ds.Schema().String(); !strings.Contains(got, "v: type=float64") || ds.PartitionSchema.Field(0).Type.ID() != arrow.INT32 || ds.PartitionSchema.Field(1).Name != "k" {
		t.Fatalf("schema %s", got)
	}
	if tbl.NumRows() != 4 {
		t.Fatalf("read %d rows", tbl.NumRows())
	}
	// A predicate on a partition column skips whole files.
	pred := &Predicate{Op: "eq", Column: 1, Values: []scalar.Scalar{scalar.NewInt32Scalar(2020)}}
	_, stats, err := ds.PlanSplits(1, pred)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Files != 4 || stats.FilesSkipped != 2 {
		t.Fatalf("stats %+v", stats)
	}
}

func TestWriteModesAndAtomicity(t *testing.T) {
	mem := checkedMem(t)
	in := int64Batch(mem, "x", []int64{1, 2, 3})
	defer in.Release()
	dir := filepath.Join(t.TempDir(), "t")
	spec := WriteSpec{Path: dir, Format: "csv", Schema: in.Schema()}
	writeDataset(t, spec, mem, []arrow.RecordBatch{in})
	count := func() int64 {
		_, tbl := readDataset(t, DiscoverSpec{Format: "csv", Paths: []string{dir}}, mem, 100)
		defer tbl.Release()
		return tbl.NumRows()
	}
	if _, err := BeginWrite(spec, mem); err == nil || !strings.Contains(err.Error(), "PATH_ALREADY_EXISTS") {
		t.Fatalf("mode error on an existing path: %v", err)
	}
	spec.Mode = "ignore"
	if res := writeDataset(t, spec, mem, []arrow.RecordBatch{in}); !res.Skipped || count() != 3 {
		t.Fatalf("ignore: %+v rows=%d", res, count())
	}
	spec.Mode = "append"
	writeDataset(t, spec, mem, []arrow.RecordBatch{in}, []arrow.RecordBatch{in})
	if count() != 9 {
		t.Fatalf("append: %d rows", count())
	}
	spec.Mode = "overwrite"
	writeDataset(t, spec, mem, []arrow.RecordBatch{in})
	if count() != 3 {
		t.Fatalf("overwrite: %d rows", count())
	}
	// A write that fails part way (a task wrote files, then the job aborts) leaves the target
	// as it was and no staging directory behind.
	w, err := BeginWrite(spec, mem)
	if err != nil {
		t.Fatal(err)
	}
	tw := w.NewTask(0)
	if err := tw.Write(in); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	w.Abort()
	if count() != 3 {
		t.Fatalf("after an aborted overwrite: %d rows", count())
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("left behind: %v", entries)
	}
	if _, err := NormalizeMode("sometimes"); err == nil {
		t.Fatal("an unknown mode must be rejected")
	}
}

func TestGlobsAndMissingPaths(t *testing.T) {
	mem := checkedMem(t)
	root := t.TempDir()
	for i, name := range []string{"a1.csv", "a2.csv", "b.csv", "_ignored.csv"} {
		os.WriteFile(filepath.Join(root, name), []byte(fmt.Sprintf("%d\n", i)), 0o644)
	}
	_, tbl := readDataset(t, DiscoverSpec{Format: "csv", Paths: []string{filepath.Join(root, "a*.csv")}}, mem, 10)
	if tbl.NumRows() != 2 {
		t.Fatalf("glob read %d rows", tbl.NumRows())
	}
	tbl.Release()
	_, tbl = readDataset(t, DiscoverSpec{Format: "csv", Paths: []string{filepath.Join(root, "{a1,b}.csv")}}, mem, 10)
	if tbl.NumRows() != 2 {
		t.Fatalf("alternatives read %d rows", tbl.NumRows())
	}
	tbl.Release()
	_, tbl = readDataset(t, DiscoverSpec{Format: "csv", Paths: []string{root}}, mem, 10)
	if tbl.NumRows() != 3 {
		t.Fatalf("directory read %d rows (hidden files must be skipped)", tbl.NumRows())
	}
	tbl.Release()
	if _, err := Discover(DiscoverSpec{Format: "csv", Paths: []string{filepath.Join(root, "nope")}}); err == nil || !strings.Contains(err.Error(), "PATH_NOT_FOUND") {
		t.Fatalf("missing path: %v", err)
	}
}

func TestJSONInference(t *testing.T) {
	mem := checkedMem(t)
	path := filepath.Join(t.TempDir(), "a.json")
	os.WriteFile(path, []byte(`{"b": 1, "a": "x", "n": {"z": 1, "y": [1, 2.5]}}
{"b": 2.5, "c": null, "n": {"z": "s"}}

{"b": null, "a": 3, "t": true}
not json
`), 0o644)
	ds, tbl := readDataset(t, DiscoverSpec{Format: "json", Paths: []string{path}}, mem, 10)
	defer tbl.Release()
	// Spark sorts fields by name, widens long+double to double, makes conflicts and
	// all-null columns strings.
	want := "a:utf8 b:float64 c:utf8 n:struct<y: list<item: float64, nullable>, z: utf8> t:bool"
	var got []string
	for _, f := range ds.DataSchema.Fields() {
		got = append(got, f.Name+":"+f.Type.String())
	}
	if strings.Join(got, " ") != strings.ReplaceAll(want, "struct<y: list<item: float64, nullable>, z: utf8>", ds.DataSchema.Field(3).Type.String()) || ds.DataSchema.Field(3).Type.(*arrow.StructType).Field(1).Type.ID() != arrow.STRING {
		t.Fatalf("schema %v", got)
	}
	if tbl.NumRows() != 4 {
		t.Fatalf("rows %d (a corrupt line reads as nulls in PERMISSIVE mode)", tbl.NumRows())
	}
	a, _ := array.Concatenate(tbl.Column(0).Data().Chunks(), mem)
	defer a.Release()
	if a.(*array.String).Value(2) != "3" {
		t.Fatalf("a number in a string column reads as its text, got %q", a.(*array.String).Value(2))
	}
}

func TestCSVMultiLineAndCRLF(t *testing.T) {
	mem := checkedMem(t)
	path := filepath.Join(t.TempDir(), "m.csv")
	os.WriteFile(path, []byte("id,text\r\n1,\"line one\nline two\"\r\n2,\"\"\r\n3,\r\n"), 0o644)
	ds, tbl := readDataset(t, DiscoverSpec{Format: "csv", Paths: []string{path}, Options: map[string]string{"header": "true", "multiLine": "true", "inferSchema": "true"}}, mem, 2)
	defer tbl.Release()
	if ds.DataSchema.Field(0).Type.ID() != arrow.INT32 || tbl.NumRows() != 3 {
		t.Fatalf("schema %s rows %d", ds.DataSchema, tbl.NumRows())
	}
	text, _ := array.Concatenate(tbl.Column(1).Data().Chunks(), mem)
	defer text.Release()
	s := text.(*array.String)
	// A quoted empty field is an empty string, an unquoted one null (Spark's emptyValue/nullValue).
	if s.Value(0) != "line one\nline two" || s.IsNull(1) || s.Value(1) != "" || !s.IsNull(2) {
		t.Fatalf("values %v", s)
	}
}
