package arrowio

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// SpillWriter writes batches an operator cannot keep in memory to a temporary Arrow IPC stream
// file. Write batches, then Finish to get a SpillFile to read them back. Close (or Abort before
// Finish) deletes the file.
type SpillWriter struct {
	file   *os.File
	buf    *bufio.Writer
	writer *ipc.Writer
	schema *arrow.Schema
	mem    memory.Allocator
	rows   int64
	// OnWrite, when set, is told the bytes each Write added to the file (spill metrics).
	OnWrite func(bytes int64)
	bytes   int64
}

// NewSpillWriter creates a spill file in dir for batches of schema.
func NewSpillWriter(dir string, schema *arrow.Schema, mem memory.Allocator) (*SpillWriter, error) {
	f, err := os.CreateTemp(dir, "quiver-spill-*.arrows")
	if err != nil {
		return nil, err
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	cw := &countingWriter{w: buf}
	w := &SpillWriter{file: f, buf: buf, schema: schema, mem: mem}
	w.writer = ipc.NewWriter(cw, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	cw.onWrite = func(n int) {
		w.bytes += int64(n)
		if w.OnWrite != nil {
			w.OnWrite(int64(n))
		}
	}
	return w, nil
}

type countingWriter struct {
	w       io.Writer
	onWrite func(int)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if c.onWrite != nil {
		c.onWrite(n)
	}
	return n, err
}

// Write appends a batch; the caller keeps ownership of b.
func (w *SpillWriter) Write(b arrow.RecordBatch) error {
	if err := w.writer.Write(b); err != nil {
		return fmt.Errorf("writing spill file %s: %w", w.file.Name(), err)
	}
	w.rows += b.NumRows()
	return nil
}

// Rows is the count of rows written so far.
func (w *SpillWriter) Rows() int64 { return w.rows }

// Finish flushes and closes the writer and returns the file to read back.
func (w *SpillWriter) Finish() (*SpillFile, error) {
	err := w.writer.Close()
	if err == nil {
		err = w.buf.Flush()
	}
	if cerr := w.file.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(w.file.Name())
		return nil, fmt.Errorf("finishing spill file %s: %w", w.file.Name(), err)
	}
	return &SpillFile{path: w.file.Name(), schema: w.schema, rows: w.rows, bytes: w.bytes}, nil
}

// Abort discards the file without reading it.
func (w *SpillWriter) Abort() {
	w.writer.Close()
	w.file.Close()
	os.Remove(w.file.Name())
}

// SpillFile is a finished spill file.
type SpillFile struct {
	path   string
	schema *arrow.Schema
	rows   int64
	bytes  int64
}

// Rows is the count of rows in the file.
func (f *SpillFile) Rows() int64 { return f.rows }

// Bytes is the file's size.
func (f *SpillFile) Bytes() int64 { return f.bytes }

// Path is where the file is (for logs).
func (f *SpillFile) Path() string { return f.path }

// Open reads the file back as a stream of batches.
func (f *SpillFile) Open(mem memory.Allocator) (*SpillReader, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return nil, fmt.Errorf("opening spill file: %w", err)
	}
	r, err := ipc.NewReader(bufio.NewReaderSize(file, 1<<20), ipc.WithAllocator(mem), ipc.WithSchema(f.schema))
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("reading spill file %s: %w", f.path, err)
	}
	return &SpillReader{file: file, reader: r}, nil
}

// Close deletes the file. Readers already open keep reading (the file is unlinked).
func (f *SpillFile) Close() error {
	err := os.Remove(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// SpillReader reads a spill file's batches in the order they were written.
type SpillReader struct {
	file   *os.File
	reader *ipc.Reader
}

// Next returns the next batch, owned by the caller (Release it), or io.EOF at the end.
func (r *SpillReader) Next() (arrow.RecordBatch, error) {
	if r.reader.Next() {
		b := r.reader.RecordBatch()
		b.Retain()
		return b, nil
	}
	if err := r.reader.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("reading spill file: %w", err)
	}
	return nil, io.EOF
}

// Close releases the reader and closes the file.
func (r *SpillReader) Close() error {
	r.reader.Release()
	return r.file.Close()
}
