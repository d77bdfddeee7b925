// Package arrowio owns Quiver's file formats: Parquet, CSV and JSON-lines sources and sinks,
// file discovery (directories, globs, Hive-style partition directories), schema inference with
// PySpark's rules, and the atomic dataset writer. It is a library of readers and writers over
// Arrow batches: it knows nothing of plans, operators or sessions (spill files live in spill.go).
package arrowio

import (
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/apache/arrow-go/v18/parquet/metadata"

	"github.com/quiverdata/quiver/errkind"
)

// Formats Quiver reads and writes.
const (
	FormatParquet = "parquet"
	FormatCSV     = "csv"
	FormatJSON    = "json"
)

// Options are reader or writer options with case-insensitive keys, as Spark's options are.
type Options map[string]string

// NewOptions copies options, lower-casing the keys.
func NewOptions(m map[string]string) Options {
	o := Options{}
	for k, v := range m {
		o[strings.ToLower(k)] = v
	}
	return o
}

// Get returns an option or a default.
func (o Options) Get(key, def string) string {
	if v, ok := o[strings.ToLower(key)]; ok {
		return v
	}
	return def
}

// Has reports whether an option is set.
func (o Options) Has(key string) bool { _, ok := o[strings.ToLower(key)]; return ok }

// Bool reads a boolean option ("true"/"false", any case).
func (o Options) Bool(key string, def bool) (bool, error) {
	v, ok := o[strings.ToLower(key)]
	if !ok {
		return def, nil
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	if err != nil {
		return false, errkind.Invalid("option %s must be true or false, got %q", key, v)
	}
	return b, nil
}

// Int reads an integer option.
func (o Options) Int(key string, def int64) (int64, error) {
	v, ok := o[strings.ToLower(key)]
	if !ok {
		return def, nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, errkind.Invalid("option %s must be an integer, got %q", key, v)
	}
	return n, nil
}

// Dataset is a set of files of one format with one schema: what a reader scans. Discover builds
// it; it is immutable afterwards and shared by the plans that read it.
type Dataset struct {
	Format  string
	Paths   []string
	Options Options
	// DataSchema is the columns stored in the files; PartitionSchema the columns taken from
	// Hive-style directory names (col=value/), appended after the data columns.
	DataSchema      *arrow.Schema
	PartitionSchema *arrow.Schema
	Files           []*File
	// TimeZone interprets zone-less timestamps in text formats (the session time zone).
	TimeZone string
}

// File is one data file of a dataset.
type File struct {
	Path    string
	Size    int64
	ModTime time.Time
	// PartitionValues holds one scalar per PartitionSchema field (null scalars for
	// __HIVE_DEFAULT_PARTITION__).
	PartitionValues []scalar.Scalar
	// RowGroups is the Parquet row group metadata (empty for text formats).
	RowGroups []RowGroup
	// footer is the Parquet footer parsed at discovery (nil when not kept): every split of the
	// file opens it without parsing the footer again.
	footer *metadata.FileMetaData
}

// RowGroup is what the planner needs of a Parquet row group: its size and per-column statistics.
type RowGroup struct {
	NumRows int64
	Bytes   int64
	// Seekable says a split may start inside the row group: every column chunk has an offset
	// index (and a dictionary page the footer points at), so a reader finds the page of a row
	// without decoding the pages before it.
	Seekable bool
	// Columns holds statistics per DataSchema field (nil where the file lacks usable statistics).
	Columns []*ColumnStats
}

// ColumnStats are a row group's statistics for one top-level column, as scalars of the
// column's Arrow type.
type ColumnStats struct {
	Min, Max     scalar.Scalar // nil when the file has no min/max for the column
	NullCount    int64
	HasNullCount bool
}

// Schema is the full schema: data columns then partition columns.
func (d *Dataset) Schema() *arrow.Schema {
	fields := append([]arrow.Field(nil), d.DataSchema.Fields()...)
	if d.PartitionSchema != nil {
		fields = append(fields, d.PartitionSchema.Fields()...)
	}
	return arrow.NewSchema(fields, nil)
}

// Describe names the dataset in plans.
func (d *Dataset) Describe() string {
	paths := strings.Join(d.Paths, ", ")
	if len(paths) > 120 {
		paths = paths[:117] + "..."
	}
	return fmt.Sprintf("%s [%s] %d files", d.Format, paths, len(d.Files))
}

// NumDataColumns is the count of columns stored in files.
func (d *Dataset) NumDataColumns() int { return d.DataSchema.NumFields() }

// TotalBytes is the size of all files.
func (d *Dataset) TotalBytes() int64 {
	var n int64
	for _, f := range d.Files {
		n += f.Size
	}
	return n
}

// DiscoverSpec says what to read.
type DiscoverSpec struct {
	Format string
	Paths  []string
	// Options are the reader options (header, inferSchema, sep, basePath, ...).
	Options map[string]string
	// Schema is a user schema (data and, optionally, partition columns); nil infers it.
	Schema *arrow.Schema
	// TimeZone is the session time zone for zone-less timestamps in text formats.
	TimeZone string
}

// Discover lists the files of a read, discovers partition columns and settles the schema
// (the user's, or inferred: Parquet footers, CSV/JSON inference with PySpark's rules).
func Discover(spec DiscoverSpec) (*Dataset, error) {
	format := strings.ToLower(spec.Format)
	switch format {
	case FormatParquet, FormatCSV, FormatJSON:
	case "":
		format = FormatParquet // spark.sql.sources.default
	default:
		return nil, errkind.NotImplemented("the %q data source is not supported; use parquet, csv or json", spec.Format)
	}
	if len(spec.Paths) == 0 {
		return nil, errkind.Invalid("reading %s needs at least one path", format)
	}
	tz := spec.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	opts := NewOptions(spec.Options)
	ds := &Dataset{Format: format, Paths: spec.Paths, Options: opts, TimeZone: tz}
	listed, err := listFiles(spec.Paths, opts.Get("basePath", ""))
	if err != nil {
		return nil, err
	}
	partitionSchema, err := partitionColumns(listed, spec.Schema)
	if err != nil {
		return nil, err
	}
	ds.PartitionSchema = partitionSchema
	for _, l := range listed {
		ds.Files = append(ds.Files, &File{Path: l.path, Size: l.size, ModTime: l.modTime, PartitionValues: l.values})
	}
	if spec.Schema != nil {
		var data []arrow.Field
		for _, f := range spec.Schema.Fields() {
			if partitionSchema == nil || !hasField(partitionSchema, f.Name) {
				data = append(data, f)
			}
		}
		ds.DataSchema = arrow.NewSchema(data, nil)
	}
	switch format {
	case FormatParquet:
		err = discoverParquet(ds)
	case FormatCSV:
		err = discoverCSV(ds)
	case FormatJSON:
		err = discoverJSON(ds)
	}
	if err != nil {
		return nil, err
	}
	if ds.PartitionSchema != nil {
		for _, f := range ds.PartitionSchema.Fields() {
			if hasField(ds.DataSchema, f.Name) {
				return nil, errkind.Invalid("column %q is both in the data files and a partition directory (%s=...); rename one of them", f.Name, f.Name)
			}
		}
	}
	return ds, nil
}

func hasField(s *arrow.Schema, name string) bool {
	for _, f := range s.Fields() {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

type listedFile struct {
	path    string
	size    int64
	modTime time.Time
	// keys and raw values of partition directories between the root and the file
	keys, raws []string
	values     []scalar.Scalar
}

// hiddenName reports names Spark skips when listing: _SUCCESS, _temporary, .crc files, ...
func hiddenName(name string) bool {
	return strings.HasPrefix(name, "_") || strings.HasPrefix(name, ".")
}

func listFiles(paths []string, basePath string) ([]*listedFile, error) {
	var out []*listedFile
	seen := map[string]bool{}
	for _, p := range paths {
		var matches []string
		if strings.ContainsAny(p, "*?[{") {
			m, err := expandGlob(p)
			if err != nil {
				return nil, err
			}
			if len(m) == 0 {
				return nil, errkind.NotFound("[PATH_NOT_FOUND] Path does not exist: %s (the glob matched nothing)", p)
			}
			matches = m
		} else {
			matches = []string{p}
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				if os.IsNotExist(err) {
					return nil, errkind.NotFound("[PATH_NOT_FOUND] Path does not exist: %s", m)
				}
				return nil, errkind.Invalid("cannot read %s: %v", m, err)
			}
			root := m
			if basePath != "" {
				root = basePath
			} else if !info.IsDir() {
				root = filepath.Dir(m)
			}
			if !info.IsDir() {
				lf, err := newListedFile(root, m, info, basePath != "")
				if err != nil {
					return nil, err
				}
				if !seen[m] {
					seen[m] = true
					out = append(out, lf)
				}
				continue
			}
			err = filepath.WalkDir(m, func(path string, d os.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if path != m && hiddenName(d.Name()) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() {
					return nil
				}
				fi, err := d.Info()
				if err != nil {
					return err
				}
				lf, err := newListedFile(root, path, fi, true)
				if err != nil {
					return err
				}
				if !seen[path] {
					seen[path] = true
					out = append(out, lf)
				}
				return nil
			})
			if err != nil {
				if _, ok := err.(interface{ Unwrap() error }); ok {
					return nil, err
				}
				return nil, errkind.Invalid("cannot list %s: %v", m, err)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out, nil
}

// expandGlob matches a glob, adding Hadoop's {a,b} alternatives to filepath.Glob's syntax.
func expandGlob(pattern string) ([]string, error) {
	var patterns []string
	var expand func(p string)
	expand = func(p string) {
		open := strings.IndexByte(p, '{')
		if open < 0 {
			patterns = append(patterns, p)
			return
		}
		close := strings.IndexByte(p[open:], '}')
		if close < 0 {
			patterns = append(patterns, p)
			return
		}
		close += open
		for _, alt := range strings.Split(p[open+1:close], ",") {
			expand(p[:open] + alt + p[close+1:])
		}
	}
	expand(pattern)
	var out []string
	for _, p := range patterns {
		m, err := filepath.Glob(p)
		if err != nil {
			return nil, errkind.Invalid("bad glob %q: %v", pattern, err)
		}
		for _, x := range m {
			if !hiddenName(filepath.Base(x)) {
				out = append(out, x)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

func newListedFile(root, path string, info os.FileInfo, partitions bool) (*listedFile, error) {
	lf := &listedFile{path: path, size: info.Size(), modTime: info.ModTime()}
	if !partitions {
		return lf, nil
	}
	rel, err := filepath.Rel(root, filepath.Dir(path))
	if err != nil || rel == "." || strings.HasPrefix(rel, "..") {
		return lf, nil
	}
	for _, part := range strings.Split(rel, string(filepath.Separator)) {
		eq := strings.IndexByte(part, '=')
		if eq <= 0 {
			// A plain directory level: Spark ignores it for partitioning only when no level
			// below is a partition; keep it simple and stop at the first plain directory.
			lf.keys, lf.raws = nil, nil
			continue
		}
		key, err1 := url.PathUnescape(part[:eq])
		raw, err2 := url.PathUnescape(part[eq+1:])
		if err1 != nil || err2 != nil {
			key, raw = part[:eq], part[eq+1:]
		}
		lf.keys = append(lf.keys, key)
		lf.raws = append(lf.raws, raw)
	}
	return lf, nil
}

// HiveDefaultPartition is the directory value Spark and Hive use for a null partition value.
const HiveDefaultPartition = "__HIVE_DEFAULT_PARTITION__"

// partitionColumns checks that every file has the same partition keys and infers their types
// (int, bigint, double, date, timestamp, string: Spark's partition column type inference), or
// takes them from the user schema.
func partitionColumns(files []*listedFile, user *arrow.Schema) (*arrow.Schema, error) {
	if len(files) == 0 || len(files[0].keys) == 0 {
		for _, f := range files {
			if len(f.keys) > 0 {
				return nil, errkind.Invalid("conflicting directory structures: %s is under partition directories but %s is not; read them separately", f.path, files[0].path)
			}
		}
		return nil, nil
	}
	keys := files[0].keys
	for _, f := range files {
		if strings.Join(f.keys, "/") != strings.Join(keys, "/") {
			return nil, errkind.Invalid("conflicting partition column names: %s has %v but %s has %v; every file must sit under the same col=value/ levels", f.path, f.keys, files[0].path, keys)
		}
	}
	fields := make([]arrow.Field, len(keys))
	for i, k := range keys {
		var t arrow.DataType
		if user != nil {
			for _, uf := range user.Fields() {
				if strings.EqualFold(uf.Name, k) {
					t = uf.Type
				}
			}
		}
		if t == nil {
			raws := make([]string, len(files))
			for j, f := range files {
				raws[j] = f.raws[i]
			}
			t = inferPartitionType(raws)
		}
		fields[i] = arrow.Field{Name: k, Type: t, Nullable: true}
	}
	for _, f := range files {
		f.values = make([]scalar.Scalar, len(keys))
		for i := range keys {
			v, err := parsePartitionValue(f.raws[i], fields[i].Type)
			if err != nil {
				return nil, errkind.Invalid("partition directory %s=%s under %s: %v", keys[i], f.raws[i], f.path, err)
			}
			f.values[i] = v
		}
	}
	return arrow.NewSchema(fields, nil), nil
}

func inferPartitionType(raws []string) arrow.DataType {
	candidates := []arrow.DataType{arrow.PrimitiveTypes.Int32, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64, arrow.FixedWidthTypes.Date32}
	for _, t := range candidates {
		ok := true
		for _, r := range raws {
			if r == HiveDefaultPartition {
				continue
			}
			if _, err := parsePartitionValue(r, t); err != nil {
				ok = false
				break
			}
		}
		if ok {
			allNull := true
			for _, r := range raws {
				if r != HiveDefaultPartition {
					allNull = false
				}
			}
			if allNull {
				return arrow.BinaryTypes.String
			}
			return t
		}
	}
	return arrow.BinaryTypes.String
}

func parsePartitionValue(raw string, t arrow.DataType) (scalar.Scalar, error) {
	if raw == HiveDefaultPartition {
		return scalar.MakeNullScalar(t), nil
	}
	switch t.ID() {
	case arrow.INT32:
		v, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			return nil, err
		}
		return scalar.NewInt32Scalar(int32(v)), nil
	case arrow.INT64:
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, err
		}
		return scalar.NewInt64Scalar(v), nil
	case arrow.FLOAT64:
		v, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return nil, err
		}
		return scalar.NewFloat64Scalar(v), nil
	case arrow.DATE32:
		d, err := time.Parse("2006-01-02", raw)
		if err != nil {
			return nil, err
		}
		return scalar.NewDate32Scalar(arrow.Date32FromTime(d)), nil
	case arrow.STRING:
		return scalar.NewStringScalar(raw), nil
	}
	s, err := scalar.MakeScalarParam(raw, arrow.BinaryTypes.String)
	if err != nil {
		return nil, err
	}
	return s.CastTo(t)
}

// FormatPartitionValue renders a value as a partition directory component, escaping as Spark
// does (ExternalCatalogUtils.escapePathName) and naming nulls __HIVE_DEFAULT_PARTITION__.
func FormatPartitionValue(s string, valid bool) string {
	if !valid {
		return HiveDefaultPartition
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || strings.IndexByte("\"#%'*/:=?\\\x7f{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}
