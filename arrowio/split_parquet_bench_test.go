package arrowio

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"syscall"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkParquetScanBalance reads lineitem the way a scan stage does on two task slots, with
// the partitions of whole row groups Spark's packing gives (6, 6 and 1 row groups at scale
// factor 1) and with the equal parts PlanSplits cuts inside row groups. Besides the process CPU
// per scan it reports the critical path: the CPU time of each partition (its thread's), laid on
// two slots in order as the scheduler runs them, the busier slot's total. On an idle two-core
// machine that is the scan's wall time; it does not depend on the load of a shared machine.
//
//	go test -run x -bench ParquetScanBalance -benchtime 5x ./arrowio/
func BenchmarkParquetScanBalance(b *testing.B) {
	path := lineitemPath(b)
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	equal, _, err := ds.PlanSplits(2, nil)
	if err != nil {
		b.Fatal(err)
	}
	// Spark's packing: whole row groups up to the split size, open cost included.
	var wholeGroups [][]Split
	var current []int
	var currentBytes int64
	splitBytes := ds.TotalBytes() / 2
	for rg, g := range ds.Files[0].RowGroups {
		if len(current) > 0 && currentBytes+g.Bytes > splitBytes {
			wholeGroups = append(wholeGroups, []Split{{File: 0, RowGroups: current}})
			current, currentBytes = nil, 0
		}
		if len(current) == 0 {
			currentBytes += openCostBytes
		}
		current = append(current, rg)
		currentBytes += g.Bytes
	}
	wholeGroups = append(wholeGroups, []Split{{File: 0, RowGroups: current}})
	var projection []int
	for _, name := range []string{"l_orderkey", "l_quantity", "l_extendedprice", "l_discount", "l_tax", "l_returnflag", "l_linestatus", "l_shipdate", "l_comment"} {
		projection = append(projection, fieldIndex(ds.DataSchema, name))
	}
	for _, plan := range []struct {
		name  string
		parts [][]Split
	}{{"wholeRowGroups", wholeGroups}, {"equalParts", equal}} {
		b.Run(plan.name, func(b *testing.B) {
			parts := plan.parts
			mem := memory.NewGoAllocator()
			var path float64
			cpuStart := processCPUSeconds()
			b.ResetTimer()
			for range b.N {
				cpu := make([]float64, len(parts))
				var wg sync.WaitGroup
				slots := make(chan struct{}, 2)
				for p := range parts {
					wg.Add(1)
					go func() {
						defer wg.Done()
						slots <- struct{}{}
						defer func() { <-slots }()
						runtime.LockOSThread()
						defer runtime.UnlockOSThread()
						start := threadCPUSeconds()
						r := NewSplitReader(context.Background(), ds, parts[p], projection, mem, 10000)
						defer func() {
							r.Close()
							cpu[p] = threadCPUSeconds() - start
						}()
						for {
							batch, err := r.Next()
							if errors.Is(err, io.EOF) {
								return
							}
							if err != nil {
								b.Error(err)
								return
							}
							batch.Release()
						}
					}()
				}
				wg.Wait()
				busy := [2]float64{}
				for _, c := range cpu {
					if busy[0] <= busy[1] {
						busy[0] += c
					} else {
						busy[1] += c
					}
				}
				path += max(busy[0], busy[1])
			}
			b.ReportMetric((processCPUSeconds()-cpuStart)/float64(b.N), "cpu-s/op")
			b.ReportMetric(path/float64(b.N), "path-s/op")
			b.ReportMetric(float64(len(parts)), "partitions")
		})
	}
}

func threadCPUSeconds() float64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &usage); err != nil {
		return 0
	}
	return float64(usage.Utime.Nano()+usage.Stime.Nano()) / 1e9
}

// BenchmarkParquetOpen opens lineitem as every split does, parsing its footer or with the footer
// discovery kept (File.footer).
func BenchmarkParquetOpen(b *testing.B) {
	path := lineitemPath(b)
	ds, err := Discover(DiscoverSpec{Format: FormatParquet, Paths: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	for _, kept := range []bool{false, true} {
		b.Run(map[bool]string{false: "parseFooter", true: "keptFooter"}[kept], func(b *testing.B) {
			discovered := ds.Files[0]
			if !kept {
				discovered = nil
			} else if discovered.footer == nil {
				b.Fatal("discovery kept no footer")
			}
			for range b.N {
				f, fr, err := openParquet(path, memory.DefaultAllocator, 10000, discovered)
				if err != nil {
					b.Fatal(err)
				}
				fr.ParquetReader().Close()
				f.Close()
			}
		})
	}
}
