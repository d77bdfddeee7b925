package arrowio

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
)

// Save modes, as DataFrameWriter.mode spells them.
const (
	ModeError     = "error"
	ModeOverwrite = "overwrite"
	ModeAppend    = "append"
	ModeIgnore    = "ignore"
)

// WriteSpec says what a dataset write produces.
type WriteSpec struct {
	Path   string
	Format string
	// Mode is error (errorifexists, the default), overwrite, append or ignore.
	Mode        string
	PartitionBy []string
	Options     map[string]string
	// Schema is the schema of the batches written (partition columns included).
	Schema *arrow.Schema
	// TimeZone renders timestamps in text formats and partition directory names.
	TimeZone string
}

// WriteResult counts what a committed write produced.
type WriteResult struct {
	NumRows  int64
	NumFiles int
	// Skipped is true when mode ignore found the path existing and wrote nothing.
	Skipped bool
}

// DatasetWrite is one write in progress: tasks write files into a staging directory next to
// the target; Commit moves them into place (renames), Abort removes them, so a failed write
// leaves the target as it was.
type DatasetWrite struct {
	spec       WriteSpec
	opts       Options
	mem        memory.Allocator
	staging    string
	dataSchema *arrow.Schema
	// partitionColumns are ordinals of the partition columns in spec.Schema; dataColumns the rest.
	partitionColumns, dataColumns []int
	jobID                         string
	skipped, exists               bool

	mu     sync.Mutex
	rows   int64
	files  int
	closed bool
}

// NormalizeMode maps PySpark's mode names to Quiver's; "" is error.
func NormalizeMode(mode string) (string, error) {
	switch strings.ToLower(mode) {
	case "", "error", "errorifexists", "default":
		return ModeError, nil
	case "overwrite":
		return ModeOverwrite, nil
	case "append":
		return ModeAppend, nil
	case "ignore":
		return ModeIgnore, nil
	}
	return "", errkind.Invalid("unknown save mode %q; accepted save modes are 'overwrite', 'append', 'ignore', 'error', 'errorifexists', 'default'", mode)
}

// BeginWrite checks the mode against the target and prepares a staging directory. With mode
// ignore and an existing target the write is Skipped: tasks must not run.
func BeginWrite(spec WriteSpec, mem memory.Allocator) (*DatasetWrite, error) {
	format := strings.ToLower(spec.Format)
	if format == "" {
		format = FormatParquet
	}
	switch format {
	case FormatParquet, FormatCSV, FormatJSON:
	default:
		return nil, errkind.NotImplemented("writing the %q format is not supported; use parquet, csv or json", spec.Format)
	}
	spec.Format = format
	mode, err := NormalizeMode(spec.Mode)
	if err != nil {
		return nil, err
	}
	spec.Mode = mode
	if spec.Path == "" {
		return nil, errkind.Invalid("a write needs a path")
	}
	if spec.TimeZone == "" {
		spec.TimeZone = "UTC"
	}
	w := &DatasetWrite{spec: spec, opts: NewOptions(spec.Options), mem: mem, jobID: randomID()}
	seen := map[int]bool{}
	for _, name := range spec.PartitionBy {
		idx := fieldIndex(spec.Schema, name)
		if idx < 0 {
			return nil, errkind.Invalid("partition column %q is not a column of the DataFrame (columns: %s)", name, schemaNames(spec.Schema))
		}
		if seen[idx] {
			return nil, errkind.Invalid("partition column %q is given twice", name)
		}
		seen[idx] = true
		w.partitionColumns = append(w.partitionColumns, idx)
		if t := spec.Schema.Field(idx).Type; !partitionableType(t) {
			return nil, errkind.Invalid("cannot partition by %s: %s columns cannot be directory names", name, t)
		}
	}
	var fields []arrow.Field
	for i, f := range spec.Schema.Fields() {
		if !seen[i] {
			w.dataColumns = append(w.dataColumns, i)
			fields = append(fields, f)
		}
	}
	if len(fields) == 0 && len(spec.PartitionBy) > 0 {
		return nil, errkind.Invalid("cannot use all columns for partition columns; keep at least one data column")
	}
	w.dataSchema = arrow.NewSchema(fields, nil)
	if format == FormatCSV {
		for _, f := range fields {
			if !csvWritable(f.Type) {
				return nil, errkind.Invalid("[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] the CSV data source does not support column %s of type %s; cast it to string or write Parquet or JSON", f.Name, f.Type)
			}
		}
		if _, err := parseCSVOptions(w.opts, true); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(spec.Path); err == nil {
		w.exists = true
	} else if !os.IsNotExist(err) {
		return nil, errkind.Invalid("cannot check %s: %v", spec.Path, err)
	}
	if w.exists {
		switch mode {
		case ModeError:
			return nil, errkind.Invalid("[PATH_ALREADY_EXISTS] Path %s already exists. Set mode as \"overwrite\" to overwrite the existing path", spec.Path)
		case ModeIgnore:
			w.skipped = true
			return w, nil
		}
	}
	parent := filepath.Dir(filepath.Clean(spec.Path))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, errkind.Invalid("cannot create %s: %v", parent, err)
	}
	w.staging = filepath.Join(parent, fmt.Sprintf(".%s.quiver-staging-%s", filepath.Base(spec.Path), w.jobID))
	if err := os.Mkdir(w.staging, 0o755); err != nil {
		return nil, errkind.Invalid("cannot create the staging directory %s: %v", w.staging, err)
	}
	return w, nil
}

func partitionableType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.LIST, arrow.LARGE_LIST, arrow.STRUCT, arrow.MAP, arrow.BINARY, arrow.LARGE_BINARY, arrow.FIXED_SIZE_LIST:
		return false
	}
	return true
}

func schemaNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}

func randomID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Skipped reports a write that mode ignore skipped.
func (w *DatasetWrite) Skipped() bool { return w.skipped }

// Spec is the write's (normalized) spec.
func (w *DatasetWrite) Spec() WriteSpec { return w.spec }

// NewTask returns the writer of one task (one input partition). Tasks may run concurrently.
func (w *DatasetWrite) NewTask(task int) *TaskWriter {
	return &TaskWriter{w: w, task: task, files: map[string]*openFile{}}
}

// Commit moves the staged files into place and writes _SUCCESS.
func (w *DatasetWrite) Commit() (WriteResult, error) {
	if w.skipped {
		return WriteResult{Skipped: true}, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return WriteResult{}, errkind.Internal("the write was already committed or aborted")
	}
	w.closed = true
	res := WriteResult{NumRows: w.rows, NumFiles: w.files}
	fail := func(err error) (WriteResult, error) {
		os.RemoveAll(w.staging)
		return WriteResult{}, err
	}
	if w.files == 0 && w.spec.Format != FormatParquet || w.files == 0 && len(w.partitionColumns) > 0 {
		// Spark writes no data file for an empty result in text formats; Parquet keeps the
		// schema with one empty file (below).
	} else if w.files == 0 {
		// An empty Parquet file keeps the schema readable, as Spark writes one for an empty
		// DataFrame.
		t := w.NewTask(0)
		if _, err := t.fileFor(""); err != nil {
			return fail(err)
		}
		if err := t.closeFiles(); err != nil {
			return fail(err)
		}
		res.NumFiles = 1
	}
	if err := os.WriteFile(filepath.Join(w.staging, "_SUCCESS"), nil, 0o644); err != nil {
		return fail(errkind.Invalid("cannot write _SUCCESS: %v", err))
	}
	target := filepath.Clean(w.spec.Path)
	switch {
	case !w.exists:
		if err := os.Rename(w.staging, target); err != nil {
			return fail(errkind.Invalid("cannot move the written files to %s: %v", target, err))
		}
	case w.spec.Mode == ModeOverwrite:
		trash := filepath.Join(filepath.Dir(target), fmt.Sprintf(".%s.quiver-replaced-%s", filepath.Base(target), w.jobID))
		if err := os.Rename(target, trash); err != nil {
			return fail(errkind.Invalid("cannot replace %s: %v", target, err))
		}
		if err := os.Rename(w.staging, target); err != nil {
			_ = os.Rename(trash, target)
			return fail(errkind.Invalid("cannot move the written files to %s: %v", target, err))
		}
		os.RemoveAll(trash)
	case w.spec.Mode == ModeAppend:
		if info, err := os.Stat(target); err == nil && !info.IsDir() {
			return fail(errkind.Invalid("cannot append to %s: it is a file, not a directory", target))
		}
		err := filepath.WalkDir(w.staging, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(w.staging, path)
			dest := filepath.Join(target, rel)
			if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
				return err
			}
			return os.Rename(path, dest)
		})
		os.RemoveAll(w.staging)
		if err != nil {
			return WriteResult{}, errkind.Invalid("appending to %s failed part way: %v", target, err)
		}
	}
	return res, nil
}

// Abort removes everything the write staged. Safe to call after Commit (it does nothing then).
func (w *DatasetWrite) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || w.skipped {
		return
	}
	w.closed = true
	os.RemoveAll(w.staging)
}

// TaskWriter writes one task's batches: one file per partition directory.
type TaskWriter struct {
	w     *DatasetWrite
	task  int
	files map[string]*openFile
	rows  int64
}

type openFile struct {
	f  *os.File
	fw formatWriter
}

// formatWriter writes batches to one file.
type formatWriter interface {
	Write(b arrow.RecordBatch) error
	Close() error
}

// nopCloser keeps a format writer from closing the file (the TaskWriter closes it).
type nopCloser struct{ io.Writer }

func (w *TaskWriter) fileFor(dir string) (*openFile, error) {
	if f, ok := w.files[dir]; ok {
		return f, nil
	}
	if w.w.skipped || w.w.staging == "" {
		return nil, errkind.Internal("writing to a skipped write (mode ignore and %s exists): check Skipped before running tasks", w.w.spec.Path)
	}
	ext := "." + w.w.spec.Format
	if w.w.spec.Format == FormatParquet {
		if c := strings.ToLower(w.w.opts.Get("compression", "snappy")); c != "none" && c != "uncompressed" {
			ext = "." + c + ext
		}
	}
	name := fmt.Sprintf("part-%05d-%s-c000%s", w.task, w.w.jobID, ext)
	path := filepath.Join(w.w.staging, dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, errkind.Invalid("cannot create %s: %v", filepath.Dir(path), err)
	}
	osf, err := os.Create(path)
	if err != nil {
		return nil, errkind.Invalid("cannot create %s: %v", path, err)
	}
	var fw formatWriter
	switch w.w.spec.Format {
	case FormatParquet:
		fw, err = newParquetWriter(nopCloser{osf}, w.w.dataSchema, w.w.opts, w.w.mem)
	case FormatCSV:
		fw, err = newCSVWriter(osf, w.w.dataSchema, w.w.opts, w.w.spec.TimeZone)
	case FormatJSON:
		fw, err = newJSONWriter(osf, w.w.dataSchema, w.w.opts, w.w.spec.TimeZone)
	}
	if err != nil {
		osf.Close()
		return nil, err
	}
	of := &openFile{f: osf, fw: fw}
	w.files[dir] = of
	w.w.mu.Lock()
	w.w.files++
	w.w.mu.Unlock()
	return of, nil
}

// Write writes a batch with the write's schema. The batch is not released.
func (w *TaskWriter) Write(b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		return nil
	}
	if int(b.NumCols()) != w.w.spec.Schema.NumFields() {
		return errkind.Internal("a batch of %d columns written to a %d-column dataset", b.NumCols(), w.w.spec.Schema.NumFields())
	}
	cols := make([]arrow.Array, len(w.w.dataColumns))
	for i, c := range w.w.dataColumns {
		cols[i] = b.Column(c)
	}
	data := array.NewRecordBatch(w.w.dataSchema, cols, b.NumRows())
	defer data.Release()
	if len(w.w.partitionColumns) == 0 {
		f, err := w.fileFor("")
		if err != nil {
			return err
		}
		if err := f.fw.Write(data); err != nil {
			return err
		}
		w.rows += b.NumRows()
		return nil
	}
	// Group rows by their partition directory, then take each group's rows.
	dirs := make([]string, b.NumRows())
	parts := make([]string, len(w.w.partitionColumns))
	groups := map[string][]int64{}
	var order []string
	for r := 0; r < int(b.NumRows()); r++ {
		for i, c := range w.w.partitionColumns {
			arr := b.Column(c)
			name := FormatPartitionValue(formatPartitionText(arr, r, w.w.spec.TimeZone), arr.IsValid(r))
			parts[i] = escapePathName(w.w.spec.Schema.Field(c).Name) + "=" + name
		}
		dirs[r] = filepath.Join(parts...)
		if _, ok := groups[dirs[r]]; !ok {
			order = append(order, dirs[r])
		}
		groups[dirs[r]] = append(groups[dirs[r]], int64(r))
	}
	ctx := compute.WithAllocator(context.Background(), w.w.mem)
	for _, dir := range order {
		rows := groups[dir]
		f, err := w.fileFor(dir)
		if err != nil {
			return err
		}
		if len(rows) == int(b.NumRows()) {
			if err := f.fw.Write(data); err != nil {
				return err
			}
			continue
		}
		idxBuilder := array.NewInt64Builder(w.w.mem)
		idxBuilder.AppendValues(rows, nil)
		indices := idxBuilder.NewArray()
		idxBuilder.Release()
		taken, err := compute.Take(ctx, *compute.DefaultTakeOptions(), compute.NewDatumWithoutOwning(data), compute.NewDatumWithoutOwning(indices))
		indices.Release()
		if err != nil {
			return errkind.Internal("selecting the rows of partition %s: %v", dir, err)
		}
		rb := taken.(*compute.RecordDatum).Value
		err = f.fw.Write(rb)
		taken.Release()
		if err != nil {
			return err
		}
	}
	w.rows += b.NumRows()
	return nil
}

func escapePathName(s string) string { return FormatPartitionValue(s, true) }

// Close finishes the task's files. After an error the whole write must be aborted.
func (w *TaskWriter) Close() error {
	err := w.closeFiles()
	w.w.mu.Lock()
	w.w.rows += w.rows
	w.w.mu.Unlock()
	w.rows = 0
	return err
}

func (w *TaskWriter) closeFiles() error {
	var first error
	for dir, f := range w.files {
		if err := f.fw.Close(); err != nil && first == nil {
			first = errkind.Invalid("finishing a %s file: %v", w.w.spec.Format, err)
		}
		if err := f.f.Close(); err != nil && first == nil {
			first = errkind.Invalid("closing a written file: %v", err)
		}
		delete(w.files, dir)
	}
	return first
}
