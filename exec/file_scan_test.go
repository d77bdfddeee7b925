package exec

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

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// writeSortedParquet writes ids 0..n-1 (every 7th null in v) in row groups of 100 rows.
func writeSortedParquet(t *testing.T, mem memory.Allocator, n int) string {
	t.Helper()
	ids := array.NewInt64Builder(mem)
	vs := array.NewStringBuilder(mem)
	for i := 0; i < n; i++ {
		ids.Append(int64(i))
		if i%7 == 0 {
			vs.AppendNull()
		} else {
			vs.Append(fmt.Sprintf("v%d", i))
		}
	}
	idArr, vArr := ids.NewArray(), vs.NewArray()
	ids.Release()
	vs.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}, {Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	b := array.NewRecordBatch(sc, []arrow.Array{idArr, vArr}, int64(n))
	idArr.Release()
	vArr.Release()
	defer b.Release()
	dir := filepath.Join(t.TempDir(), "ids")
	w, err := arrowio.BeginWrite(arrowio.WriteSpec{Path: dir, Format: "parquet", Schema: sc, Options: map[string]string{"maxRowsPerRowGroup": "100"}}, mem)
	if err != nil {
		t.Fatal(err)
	}
	tw := w.NewTask(0)
	if err := tw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFileScanProjectionAndPushdown(t *testing.T) {
	for _, batchSize := range []int{1, 2, 7, DefaultBatchSize} {
		t.Run(fmt.Sprint(batchSize), func(t *testing.T) {
			tc, mem := newTestTaskContext(t)
			tc.BatchSize = batchSize
			defer mem.AssertSize(t, 0)
			dir := writeSortedParquet(t, mem, 1000)
			ds, err := arrowio.Discover(arrowio.DiscoverSpec{Format: "parquet", Paths: []string{dir}, Options: map[string]string{"maxPartitionBytes": "1"}})
			if err != nil {
				t.Fatal(err)
			}
			scan := logical.NewScan(ds, &logical.IDGenerator{})
			id := scan.Attributes[0]
			// id >= 850 (literal on the left, as 850 <= id) and v is not null
			scan.Projection = []int{1}
			scan.Filters = []logical.Expr{
				&logical.Call{Function: "lte", Args: []logical.Expr{logical.NewLiteral(scalar.NewInt64Scalar(850)), id}, Type: arrow.FixedWidthTypes.Boolean},
				&logical.Call{Function: "isnotnull", Args: []logical.Expr{scan.Attributes[1]}, Type: arrow.FixedWidthTypes.Boolean},
			}
			node, err := (&physical.Planner{DefaultParallelism: 2}).Plan(scan)
			if err != nil {
				t.Fatal(err)
			}
			fs := node.(*physical.FileScan)
			if fs.Stats.RowGroups != 10 || fs.Stats.RowGroupsSkipped != 8 {
				t.Fatalf("stats %+v: want 8 of 10 row groups skipped", fs.Stats)
			}
			if !strings.Contains(fs.Describe(), "rowGroups=10 (8 skipped)") || fs.NumPartitions() < 2 {
				t.Fatalf("describe %q, %d partitions", fs.Describe(), fs.NumPartitions())
			}
			parts, _, _, err := CollectResult(context.Background(), tc, node)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range parts {
				for _, b := range p {
					if b.NumCols() != 1 || b.Schema().Field(0).Name != "v" {
						t.Fatalf("projection not applied: %s", b.Schema())
					}
					col := b.Column(0).(*array.String)
					for i := 0; i < col.Len(); i++ {
						if col.IsValid(i) {
							got = append(got, col.Value(i))
						}
					}
				}
			}
			releaseAll(parts)
			// The kept row groups (800..999) are read whole; the Filter above the scan trims them.
			want := 0
			for i := 800; i < 1000; i++ {
				if i%7 != 0 {
					want++
				}
			}
			sort.Strings(got)
			if len(got) != want {
				t.Fatalf("read %d non-null values, want %d", len(got), want)
			}
		})
	}
}

func TestWritePlanAbortsOnFailure(t *testing.T) {
	tc, mem := newTestTaskContext(t)
	defer mem.AssertSize(t, 0)
	target := filepath.Join(t.TempDir(), "out")
	// A plan whose scan fails: a file that is not Parquet.
	bad := filepath.Join(t.TempDir(), "bad")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "x.parquet"), []byte("not parquet"), 0o644)
	ds := &arrowio.Dataset{Format: "parquet", Paths: []string{bad}, Options: arrowio.Options{},
		DataSchema: arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil),
		Files:      []*arrowio.File{{Path: filepath.Join(bad, "x.parquet"), Size: 11}}}
	node := &physical.FileScan{Dataset: ds, Splits: [][]arrowio.Split{{{File: 0, RowGroups: []int{0}}}}, OutSchema: ds.Schema()}
	if _, err := WritePlan(context.Background(), tc, node, arrowio.WriteSpec{Path: target, Format: "parquet"}); err == nil {
		t.Fatal("the write should fail")
	}
	if _, err := os.Stat(target); !os.IsNotExist(err) {
		t.Fatalf("a failed write left %s behind", target)
	}
	entries, _ := os.ReadDir(filepath.Dir(target))
	if len(entries) != 0 {
		t.Fatalf("a failed write left %v behind", entries)
	}
	// A plan that succeeds writes every partition.
	res, err := WritePlan(context.Background(), tc, rangeNode(1000, 3), arrowio.WriteSpec{Path: target, Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	if res.NumRows != 1000 || res.NumFiles != 3 {
		t.Fatalf("wrote %+v", res)
	}
}
