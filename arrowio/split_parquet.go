package arrowio

import (
	"math"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/metadata"
)

// Parquet partitions of equal size. Spark's rule packs whole row groups into partitions of at
// most the split size, which leaves the last partition with what is left over: TPC-H lineitem at
// scale factor 1 (13 row groups) made partitions of 6, 6 and 1 row groups, so with two task slots
// the last one ran alone, and a table of one row group (customer, part) ran on one core. Here the
// kept row groups are laid end to end by bytes and cut into a multiple of parallelism of equal
// parts; a cut that falls inside a row group whose file has an offset index splits it at the
// proportional row (the reader seeks each column to the page holding that row), any other row
// group goes whole to the part holding its middle.

// minimumPieceFraction: a cut closer than this to a row group's start, end or previous cut is
// dropped (a row group's rows over minimumPieceFraction; both sides would open the row group's pages and dictionaries for a few rows).
const minimumPieceFraction = 16

// parquetPiece is a row group or a row range of one, with its place on the byte line.
type parquetPiece struct {
	split      Split
	start, end float64
}

func (d *Dataset) planParquetSplits(parallelism int, splitBytes int64, filter *Predicate) ([][]Split, SplitStats, error) {
	var stats SplitStats
	type unit struct {
		file, rowGroup int
		bytes          int64
	}
	var units []unit
	var dataBytes, costBytes int64
	for fi, f := range d.Files {
		stats.Files++
		if filter != nil && !d.mayMatch(filter, f, -1) {
			stats.FilesSkipped++
			stats.RowGroups += len(f.RowGroups)
			stats.RowGroupsSkipped += len(f.RowGroups)
			continue
		}
		opened := false
		for rg := range f.RowGroups {
			stats.RowGroups++
			if filter != nil && !d.mayMatch(filter, f, rg) {
				stats.RowGroupsSkipped++
				continue
			}
			b := max(f.RowGroups[rg].Bytes, 1)
			dataBytes += b
			costBytes += b
			if !opened {
				costBytes += openCostBytes
				opened = true
			}
			units = append(units, unit{file: fi, rowGroup: rg, bytes: b})
		}
	}
	if len(units) == 0 {
		return [][]Split{nil}, stats, nil
	}
	// As many parts as Spark's split size asks for (with or without open costs, whichever is
	// more), rounded up to a multiple of parallelism so that no slot idles in the last wave.
	parts := max(ceilDivide(dataBytes, splitBytes), ceilDivide(costBytes, splitBytes+openCostBytes))
	if parts > 1 && parallelism > 1 {
		parts = ceilDivide(parts, int64(parallelism)) * int64(parallelism)
	}
	// Parts are equal in data bytes: every part opens its files, so open costs only count
	// toward how many parts there are.
	target := float64(dataBytes) / float64(parts)
	var pieces []parquetPiece
	position := 0.0
	for _, u := range units {
		start, end := position, position+float64(u.bytes)
		position = end
		group := d.Files[u.file].RowGroups[u.rowGroup]
		whole := parquetPiece{split: Split{File: u.file, RowGroups: []int{u.rowGroup}}, start: start, end: end}
		if !group.Seekable || group.NumRows < 2 {
			pieces = append(pieces, whole)
			continue
		}
		// Rows at which the part boundaries inside this row group fall.
		var cuts []int64
		minimum := max(1, group.NumRows/minimumPieceFraction)
		last := int64(0)
		for k := math.Floor(start/target) + 1; k*target < end; k++ {
			row := int64(math.Round((k*target - start) / (end - start) * float64(group.NumRows)))
			if row-last < minimum || group.NumRows-row < minimum {
				continue
			}
			cuts = append(cuts, row)
			last = row
		}
		if len(cuts) == 0 {
			pieces = append(pieces, whole)
			continue
		}
		cuts = append(cuts, group.NumRows)
		first := int64(0)
		for _, row := range cuts {
			pieceStart := start + (end-start)*float64(first)/float64(group.NumRows)
			pieceEnd := start + (end-start)*float64(row)/float64(group.NumRows)
			pieces = append(pieces, parquetPiece{
				split: Split{File: u.file, RowGroups: []int{u.rowGroup}, FirstRow: first, NumRows: row - first},
				start: pieceStart, end: pieceEnd,
			})
			first = row
		}
	}
	// Each piece goes to the part holding its middle; consecutive whole row groups of a file in
	// one part share a split.
	out := make([][]Split, parts)
	for _, p := range pieces {
		k := min(int64((p.start+p.end)/2/target), parts-1)
		splits := out[k]
		if n := len(splits); n > 0 && p.split.NumRows == 0 && splits[n-1].NumRows == 0 && splits[n-1].File == p.split.File {
			splits[n-1].RowGroups = append(splits[n-1].RowGroups, p.split.RowGroups...)
			continue
		}
		out[k] = append(splits, p.split)
	}
	nonEmpty := out[:0]
	for _, splits := range out {
		if len(splits) > 0 {
			nonEmpty = append(nonEmpty, splits)
		}
	}
	return nonEmpty, stats, nil
}

func ceilDivide(a, b int64) int64 {
	return max(1, (a+b-1)/b)
}

// seekableRowGroup reports whether a reader can start inside the row group: every column is
// flat and unencrypted with an offset index, and a dictionary-encoded chunk's dictionary page is
// where the footer says (a reader that seeks past the chunk's start reads it from there).
func seekableRowGroup(rg *metadata.RowGroupMetaData, md *metadata.FileMetaData) bool {
	if rg.NumColumns() == 0 {
		return false
	}
	for i := range rg.NumColumns() {
		chunk, err := rg.ColumnChunk(i)
		if err != nil || chunk.GetOffsetIndexLocation() == nil || chunk.CryptoMetadata() != nil {
			return false
		}
		if md.Schema.Column(i).MaxRepetitionLevel() > 0 {
			return false
		}
		for _, e := range chunk.Encodings() {
			if (e == parquet.Encodings.PlainDict || e == parquet.Encodings.RLEDict) && !(chunk.HasDictionaryPage() && chunk.DictionaryPageOffset() > 0) {
				return false
			}
		}
	}
	return true
}
