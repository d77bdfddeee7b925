package arrowio

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// Split is one unit of a scan: some row groups of a Parquet file, part of one row group, or a
// byte range of a text file. A partition of a file scan reads a list of splits.
type Split struct {
	File int // index into Dataset.Files
	// RowGroups lists the Parquet row groups read (nil for text formats).
	RowGroups []int
	// FirstRow and NumRows narrow a split of one Parquet row group to the rows
	// [FirstRow, FirstRow+NumRows) of it; NumRows 0 reads the whole row groups.
	FirstRow, NumRows int64
	// Start and Length are the byte range of a text file; Length < 0 reads to the end.
	Start, Length int64
}

// Rows counts the rows a Parquet split reads.
func (d *Dataset) Rows(s Split) int64 {
	if s.NumRows > 0 {
		return s.NumRows
	}
	var n int64
	for _, g := range s.RowGroups {
		n += d.Files[s.File].RowGroups[g].NumRows
	}
	return n
}

// SplitStats tell what planning skipped, for explain output and tests.
type SplitStats struct {
	Files, FilesSkipped         int
	RowGroups, RowGroupsSkipped int
}

func (s SplitStats) String() string {
	out := fmt.Sprintf("files=%d", s.Files)
	if s.FilesSkipped > 0 {
		out += fmt.Sprintf(" (%d skipped)", s.FilesSkipped)
	}
	if s.RowGroups > 0 {
		out += fmt.Sprintf(" rowGroups=%d (%d skipped)", s.RowGroups, s.RowGroupsSkipped)
	}
	return out
}

// Spark's spark.sql.files.maxPartitionBytes and openCostInBytes defaults.
const (
	defaultMaxPartitionBytes = 128 << 20
	openCostBytes            = 4 << 20
)

// PlanSplits groups the dataset's files into partitions for a parallelism, the way Spark's
// FilePartition does: split size min(maxPartitionBytes, max(openCost, total/parallelism)), text
// files cut at byte offsets (a reader aligns on lines). Parquet files are cut into partitions of
// equal bytes, a multiple of parallelism of them, inside row groups where the file has an offset
// index (planParquetSplits). Row groups (and files, through partition values) that filter cannot
// match are skipped. It always returns at least one partition.
func (d *Dataset) PlanSplits(parallelism int, filter *Predicate) ([][]Split, SplitStats, error) {
	if parallelism < 1 {
		parallelism = 1
	}
	maxBytes, err := d.Options.Int("maxPartitionBytes", defaultMaxPartitionBytes)
	if err != nil {
		return nil, SplitStats{}, err
	}
	splitBytes := max(openCostBytes, d.TotalBytes()/int64(parallelism))
	if maxBytes > 0 {
		splitBytes = min(maxBytes, splitBytes)
	}
	splittable := true
	if multi, _ := d.Options.Bool("multiLine", false); multi {
		splittable = false
	}
	if d.Format == FormatParquet {
		return d.planParquetSplits(parallelism, splitBytes, filter)
	}
	var stats SplitStats
	type unit struct {
		split Split
		bytes int64
	}
	var units []unit
	for fi, f := range d.Files {
		stats.Files++
		if filter != nil && !d.mayMatch(filter, f, -1) {
			stats.FilesSkipped++
			stats.RowGroups += len(f.RowGroups)
			stats.RowGroupsSkipped += len(f.RowGroups)
			continue
		}
		if !splittable || f.Size <= splitBytes || strings.HasSuffix(f.Path, ".gz") {
			units = append(units, unit{split: Split{File: fi, Length: -1}, bytes: f.Size + openCostBytes})
			continue
		}
		for off := int64(0); off < f.Size; off += splitBytes {
			units = append(units, unit{split: Split{File: fi, Start: off, Length: min(splitBytes, f.Size-off)}, bytes: min(splitBytes, f.Size-off) + openCostBytes})
		}
	}
	var parts [][]Split
	var current []Split
	var currentBytes int64
	for _, u := range units {
		if len(current) > 0 && currentBytes+u.bytes > splitBytes {
			parts = append(parts, current)
			current, currentBytes = nil, 0
		}
		current = append(current, u.split)
		currentBytes += u.bytes
	}
	if len(current) > 0 || len(parts) == 0 {
		parts = append(parts, current)
	}
	return parts, stats, nil
}

// Predicate is a filter a scan can check against partition values and row-group statistics.
// Column indexes the dataset's full schema (data columns, then partition columns).
type Predicate struct {
	// Op is one of eq, lt, lte, gt, gte (Column op Values[0]), in (Column in Values),
	// isnull, isnotnull, and, or (over Children).
	Op       string
	Column   int
	Values   []scalar.Scalar
	Children []*Predicate
	// Float compares in the float64 domain: the filter compares the column under a numeric
	// widening cast (decimal or int column against a double literal).
	Float bool
	// Set holds the keys of an "inset" predicate (Column's value is in Set), a runtime filter
	// from a join (keyset.go); other readers than the direct one ignore it.
	Set KeySet
}

func (p *Predicate) String() string {
	switch p.Op {
	case "and", "or":
		parts := make([]string, len(p.Children))
		for i, c := range p.Children {
			parts[i] = c.String()
		}
		return "(" + strings.Join(parts, " "+p.Op+" ") + ")"
	case "isnull", "isnotnull":
		return fmt.Sprintf("%s(#%d)", p.Op, p.Column)
	}
	vals := make([]string, len(p.Values))
	for i, v := range p.Values {
		vals[i] = v.String()
	}
	return fmt.Sprintf("#%d %s %s", p.Column, p.Op, strings.Join(vals, ","))
}

// MayMatch reports whether any row of a file's row group (rowGroup < 0: the whole file, using
// partition values only) can satisfy p. Unknowns answer true.
func (d *Dataset) mayMatch(p *Predicate, f *File, rowGroup int) bool {
	switch p.Op {
	case "and":
		for _, c := range p.Children {
			if !d.mayMatch(c, f, rowGroup) {
				return false
			}
		}
		return true
	case "or":
		for _, c := range p.Children {
			if d.mayMatch(c, f, rowGroup) {
				return true
			}
		}
		return false
	}
	nData := d.DataSchema.NumFields()
	var min, max scalar.Scalar
	var nulls, rows int64 = -1, -1
	colType := arrow.DataType(nil)
	switch {
	case p.Column >= nData && p.Column-nData < len(f.PartitionValues):
		v := f.PartitionValues[p.Column-nData]
		colType = v.DataType()
		if v.IsValid() {
			min, max, nulls = v, v, 0
		} else {
			nulls = 1
		}
		rows = 1
	case p.Column < nData && rowGroup >= 0 && rowGroup < len(f.RowGroups):
		rg := f.RowGroups[rowGroup]
		colType = d.DataSchema.Field(p.Column).Type
		if p.Column < len(rg.Columns) && rg.Columns[p.Column] != nil {
			st := rg.Columns[p.Column]
			min, max = st.Min, st.Max
			if st.HasNullCount {
				nulls = st.NullCount
			}
		}
		rows = rg.NumRows
	default:
		return true
	}
	switch p.Op {
	case "isnull":
		return nulls != 0
	case "isnotnull":
		return nulls < 0 || nulls < rows
	}
	if nulls >= 0 && nulls == rows {
		return false // only nulls: no comparison is true
	}
	if min == nil || max == nil {
		return true
	}
	isFloatColumn := arrow.IsFloating(colType.ID())
	check := func(op string, v scalar.Scalar) bool {
		if v == nil || !v.IsValid() {
			return false // comparison with null is never true
		}
		lo, ok1 := compareScalars(min, v, p.Float)
		hi, ok2 := compareScalars(max, v, p.Float)
		if !ok1 || !ok2 {
			return true
		}
		switch op {
		case "eq":
			return lo <= 0 && hi >= 0
		case "lt":
			return lo < 0
		case "lte":
			return lo <= 0
		case "gt":
			// NaN is greater than every number in Spark and Parquet keeps NaN out of min/max.
			return hi > 0 || isFloatColumn
		case "gte":
			return hi >= 0 || isFloatColumn
		}
		return true
	}
	switch p.Op {
	case "in":
		for _, v := range p.Values {
			if check("eq", v) {
				return true
			}
		}
		return false
	case "eq", "lt", "lte", "gt", "gte":
		if len(p.Values) != 1 {
			return true
		}
		return check(p.Op, p.Values[0])
	}
	return true
}

// compareScalars orders two valid scalars; ok is false when they are not comparable here.
func compareScalars(a, b scalar.Scalar, asFloat bool) (int, bool) {
	if asFloat || isFloatLike(a) || isFloatLike(b) {
		x, ok1 := toFloat(a)
		y, ok2 := toFloat(b)
		if !ok1 || !ok2 || math.IsNaN(x) || math.IsNaN(y) {
			return 0, false
		}
		// Decimal to double conversion may be off by an ulp; a small tolerance keeps row groups
		// at the boundary.
		tol := 1e-12 * math.Max(math.Abs(x), math.Abs(y))
		switch {
		case x < y-tol:
			return -1, true
		case x > y+tol:
			return 1, true
		}
		return 0, true
	}
	if ta, ok := a.DataType().(*arrow.TimestampType); ok {
		tb, ok := b.DataType().(*arrow.TimestampType)
		if !ok || ta.Unit != tb.Unit {
			return 0, false
		}
	}
	if da, ok := a.(*scalar.Decimal128); ok {
		db, ok := b.(*scalar.Decimal128)
		if !ok || da.Type.(*arrow.Decimal128Type).Scale != db.Type.(*arrow.Decimal128Type).Scale {
			x, ok1 := toFloat(a)
			y, ok2 := toFloat(b)
			if !ok1 || !ok2 {
				return 0, false
			}
			return compareFloat(x, y), true
		}
		return da.Value.Cmp(db.Value), true
	}
	if x, ok := toInt(a); ok {
		if y, ok := toInt(b); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
		return 0, false
	}
	xa, ok1 := toBytes(a)
	xb, ok2 := toBytes(b)
	if ok1 && ok2 {
		return bytes.Compare(xa, xb), true
	}
	return 0, false
}

func compareFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func isFloatLike(s scalar.Scalar) bool {
	return arrow.IsFloating(s.DataType().ID())
}

func toFloat(s scalar.Scalar) (float64, bool) {
	switch v := s.(type) {
	case *scalar.Float32:
		return float64(v.Value), true
	case *scalar.Float64:
		return v.Value, true
	case *scalar.Decimal128:
		return v.Value.ToFloat64(v.Type.(*arrow.Decimal128Type).Scale), true
	}
	if i, ok := toInt(s); ok && !isTemporal(s.DataType()) {
		return float64(i), true
	}
	return 0, false
}

func isTemporal(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.DATE32, arrow.DATE64, arrow.TIMESTAMP, arrow.TIME32, arrow.TIME64:
		return true
	}
	return false
}

func toInt(s scalar.Scalar) (int64, bool) {
	switch v := s.(type) {
	case *scalar.Int8:
		return int64(v.Value), true
	case *scalar.Int16:
		return int64(v.Value), true
	case *scalar.Int32:
		return int64(v.Value), true
	case *scalar.Int64:
		return v.Value, true
	case *scalar.Uint8:
		return int64(v.Value), true
	case *scalar.Uint16:
		return int64(v.Value), true
	case *scalar.Uint32:
		return int64(v.Value), true
	case *scalar.Uint64:
		if v.Value > math.MaxInt64 {
			return 0, false
		}
		return int64(v.Value), true
	case *scalar.Date32:
		return int64(v.Value), true
	case *scalar.Date64:
		return int64(v.Value) / 86400000, true
	case *scalar.Timestamp:
		return int64(v.Value), true
	case *scalar.Boolean:
		if v.Value {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

func toBytes(s scalar.Scalar) ([]byte, bool) {
	switch v := s.(type) {
	case *scalar.String:
		return v.Value.Bytes(), true
	case *scalar.LargeString:
		return v.Value.Bytes(), true
	case *scalar.Binary:
		return v.Value.Bytes(), true
	case *scalar.LargeBinary:
		return v.Value.Bytes(), true
	}
	return nil, false
}

var _ = decimal128.Num{}
