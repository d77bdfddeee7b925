package arrowio

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// lineitemPath finds TPC-H lineitem: scale factor 1 from bench/data when generated, else the
// committed scale factor 0.1.
func lineitemPath(b *testing.B) string {
	for _, p := range []string{"../bench/data/tpch-sf1/lineitem.parquet", "../testdata/tpch/sf0.1/lineitem.parquet"} {
		if _, err := os.Stat(p); err == nil {
			abs, _ := filepath.Abs(p)
			return abs
		}
	}
	b.Skip("no TPC-H lineitem Parquet file; run make bench-data")
	return ""
}

// BenchmarkParquetScan reads lineitem's columns of TPC-H Q1 and Q6 the way a file scan stage
// does: splits planned for two task slots, each partition read by its own goroutine, batches of
// 10000 rows. It reports rows/s and the file's compressed bytes of the read columns per second.
//
//	go test -run x -bench ParquetScan -cpuprofile /tmp/cpu.out ./arrowio/
func BenchmarkParquetScan(b *testing.B) {
	path := lineitemPath(b)
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	column := func(name string) int { return fieldIndex(ds.DataSchema, name) }
	d152 := &arrow.Decimal128Type{Precision: 15, Scale: 2}
	// Q6's pushed filter as the planner builds it: dates exact, discount compared as double.
	q6Filter := &Predicate{Op: "and", Children: []*Predicate{
		{Op: "gte", Column: column("l_shipdate"), Values: []scalar.Scalar{scalar.NewDate32Scalar(8766)}},
		{Op: "lt", Column: column("l_shipdate"), Values: []scalar.Scalar{scalar.NewDate32Scalar(9131)}},
		{Op: "gte", Column: column("l_discount"), Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.05)}, Float: true},
		{Op: "lte", Column: column("l_discount"), Values: []scalar.Scalar{scalar.NewFloat64Scalar(0.07)}, Float: true},
		{Op: "lt", Column: column("l_quantity"), Values: []scalar.Scalar{scalar.NewDecimal128Scalar(decimal128.FromI64(2400), d152)}},
	}}
	queries := []struct {
		name    string
		columns []string
		filter  *Predicate
	}{
		{"Q6", []string{"l_quantity", "l_extendedprice", "l_discount", "l_shipdate"}, nil},
		{"Q6RowFilter", []string{"l_quantity", "l_extendedprice", "l_discount", "l_shipdate"}, q6Filter},
		{"Q1", []string{"l_quantity", "l_extendedprice", "l_discount", "l_tax", "l_returnflag", "l_linestatus", "l_shipdate"}, nil},
		{"AllColumns", nil, nil},
	}
	for _, direct := range []bool{true, false} {
		for _, q := range queries {
			name := q.name
			if !direct {
				name = "pqarrow" + name
			}
			b.Run(name, func(b *testing.B) {
				defer func(was bool) { directReads = was }(directReads)
				directReads = direct
				var projection []int
				for _, name := range q.columns {
					projection = append(projection, fieldIndex(ds.DataSchema, name))
				}
				if q.columns == nil {
					for i := range ds.DataSchema.NumFields() {
						projection = append(projection, i)
					}
				}
				bytes := compressedBytes(b, path, ds, projection)
				parts, _, err := ds.PlanSplits(2, nil)
				if err != nil {
					b.Fatal(err)
				}
				// The server's allocator; a checked one records a stack per allocation and would
				// dominate the profile (leaks are the read tests' business).
				mem := memory.NewGoAllocator()
				var rows int64
				cpuStart := processCPUSeconds()
				b.ResetTimer()
				for range b.N {
					var wg sync.WaitGroup
					counts := make([]int64, len(parts))
					errs := make([]error, len(parts))
					// Two task slots, as the scheduler runs them on this two-core machine.
					slots := make(chan struct{}, 2)
					for p := range parts {
						wg.Add(1)
						go func() {
							defer wg.Done()
							slots <- struct{}{}
							defer func() { <-slots }()
							r := NewSplitReader(context.Background(), ds, parts[p], projection, mem, 10000)
							r.FilterRows(q.filter)
							defer r.Close()
							for {
								batch, err := r.Next()
								if errors.Is(err, io.EOF) {
									return
								}
								if err != nil {
									errs[p] = err
									return
								}
								counts[p] += batch.NumRows()
								batch.Release()
							}
						}()
					}
					wg.Wait()
					for p := range parts {
						if errs[p] != nil {
							b.Fatal(errs[p])
						}
						rows += counts[p]
					}
				}
				cpu := processCPUSeconds() - cpuStart
				seconds := b.Elapsed().Seconds()
				// CPU time (all threads, GC included) is steadier than wall time on a shared machine.
				b.ReportMetric(cpu/float64(b.N), "cpu-s/op")
				b.ReportMetric(float64(rows)/seconds/1e6, "Mrows/s")
				b.ReportMetric(float64(bytes)*float64(b.N)/seconds/1e6, "MB/s")
				b.ReportMetric(float64(len(parts)), "partitions")
			})
		}
	}
}

// compressedBytes sums the compressed size of the projected columns' chunks over the file.
func compressedBytes(b *testing.B, path string, ds *Dataset, projection []int) int64 {
	f, fr, err := openParquet(path, memory.DefaultAllocator, 1, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	defer fr.ParquetReader().Close()
	md := fr.ParquetReader().MetaData()
	var total int64
	for r := range md.NumRowGroups() {
		rg := md.RowGroup(r)
		for _, p := range projection {
			idx := md.Schema.ColumnIndexByName(ds.DataSchema.Field(p).Name)
			if idx < 0 {
				continue
			}
			cc, err := rg.ColumnChunk(idx)
			if err != nil {
				b.Fatal(err)
			}
			total += cc.TotalCompressedSize()
		}
	}
	return total
}

func processCPUSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}
