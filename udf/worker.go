package udf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Worker is one `python -m quiver.worker` process and its connection. A worker runs one task at
// a time; it is owned by whoever Acquired it until Release.
type Worker struct {
	pool          *Pool
	cmd           *exec.Cmd
	pid           int
	pythonVersion string
	conn          *net.UnixConn
	r             *bufio.Reader
	w             *bufio.Writer
	stderr        *tailBuffer

	exited  chan struct{}
	waitErr error

	killOnce sync.Once
	// extra marks a worker started beyond the pool size (AcquireExtra); it is stopped on Release.
	extra bool
	// broken marks a worker whose connection is out of step (a task was abandoned midway); the
	// pool discards it on Release.
	broken bool
	// ring is the shared memory the worker writes scalar UDF results into; created by the first
	// task that asks for it (TaskOptions.ResultRing), nil when shared memory is not available.
	ring      *resultRing
	ringTried bool
	// arguments is the shared memory the executor writes scalar UDF arguments into; created by
	// the first task that asks for it (TaskOptions.ArgumentRing), nil when not available.
	arguments      *argumentRing
	argumentsTried bool
	// sentSegments are the shared segments this worker was sent in S frames and not yet told
	// were freed (announceSegments).
	segmentsMu   sync.Mutex
	sentSegments map[uint64]*sharedSegment
	// canMapSegments: the worker said it can open this process's descriptors through /proc, so
	// stored columns may go as shared segments; otherwise they take the argument ring.
	canMapSegments bool
}

// PID is the worker's process id.
func (w *Worker) PID() int { return w.pid }

// PythonVersion is "major.minor.micro" as the worker announced it.
func (w *Worker) PythonVersion() string { return w.pythonVersion }

func (w *Worker) alive() bool {
	select {
	case <-w.exited:
		return false
	default:
		return true
	}
}

// kill ends the worker's process group and its connection.
func (w *Worker) kill() {
	w.killOnce.Do(func() {
		w.broken = true
		// Negative pid: the whole process group, so processes the UDF forked die too.
		syscall.Kill(-w.pid, syscall.SIGKILL)
		if w.conn != nil {
			w.conn.Close()
		}
		if w.ring != nil {
			w.ring.close()
		}
		if w.arguments != nil {
			w.arguments.close()
		}
	})
}

// death describes why a worker's connection failed: its exit status when it died (waiting a
// moment for the process to be reaped), else the I/O error.
func (w *Worker) death(ioErr error) string {
	select {
	case <-w.exited:
	case <-time.After(2 * time.Second):
		return fmt.Sprintf("the connection to the Python worker (pid %d) failed: %v", w.pid, ioErr)
	}
	msg := fmt.Sprintf("the Python worker (pid %d) died: %s", w.pid, describeExit(w.waitErr))
	if tail := strings.TrimSpace(w.stderr.String()); tail != "" {
		msg += "; its last output: " + lastLines(tail, 12)
	}
	return msg
}

func lastLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// CheckVersion fails when a function was pickled by a Python whose major.minor differs from the
// worker's: cloudpickle's bytecode does not survive that.
func (w *Worker) CheckVersion(functionName, pickledWith string) error {
	if pickledWith == "" || w.pythonVersion == "" {
		return nil
	}
	if majorMinor(pickledWith) != majorMinor(w.pythonVersion) {
		return errkind.Invalid("UDF '%s' was pickled with Python %s but the Python workers run Python %s (%s); "+
			"set quiver.python (or QUIVER_PYTHON on the server) to a Python %s interpreter, or define the function with Python %s",
			functionName, majorMinor(pickledWith), majorMinor(w.pythonVersion), w.pool.cfg.Python, majorMinor(pickledWith), majorMinor(w.pythonVersion))
	}
	return nil
}

func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		return parts[0] + "." + parts[1]
	}
	return v
}

// TaskOptions are the per-task limits.
type TaskOptions struct {
	// Timeout fails the task when the worker produces nothing for this long (one call of the UDF
	// on one batch or group takes longer); zero means no limit.
	Timeout time.Duration
	// Allocator for output batches.
	Allocator memory.Allocator
	// Describe names what runs, for errors ("UDF 'plus_one'").
	Describe string
	// ResultRing asks the worker to frame its output and to put result columns of primitive
	// types in shared memory (resultRing) when it can; only for the scalar pandas form.
	ResultRing bool
	// ArgumentRing asks to send the input as frames with columns in shared memory
	// (argumentRing) when every column of the header's ArgumentSchema is of a fixed-width type
	// and shared memory is available; the caller then writes with WriteMessage.
	ArgumentRing bool
}

// Header keys of the framed output (ResultRing).
const (
	configFramedOutput   = "quiver.udf.framed_output"
	configResultRing     = "quiver.udf.result_ring"
	configResultRingSize = "quiver.udf.result_ring_size"
	// The input comes as frames of the same kinds (frameRing in the argument ring, frameInline,
	// frameEnd), for a task whose header carries the argument schema.
	configFramedInput      = "quiver.udf.framed_input"
	configArgumentRing     = "quiver.udf.argument_ring"
	configArgumentRingSize = "quiver.udf.argument_ring_size"
)

// Kinds of framed output: an Arrow IPC stream of one batch, a batch in the result ring, the end.
const (
	frameInline byte = 'I'
	frameRing   byte = 'R'
	frameEnd    byte = 'E'
)

// Task is one round trip with a worker: the caller writes input with WriteBatch (or WriteFrame
// for pickled rows) from one goroutine, ends it with CloseInput, and reads output with
// ReadBatch (or ReadFrame) from another. Finish must be called once, after the output ended or
// on abandon; it reports the task's error.
type Task struct {
	worker  *Worker
	header  *pb.WorkerTask
	options TaskOptions

	writer *ipc.Writer
	reader *ipc.Reader
	// framed: the output comes as frames (TaskOptions.ResultRing); schema is its batches' schema.
	framed bool
	schema *arrow.Schema
	// framedInput: the input goes as frames (TaskOptions.ArgumentRing), batches of inputSchema.
	framedInput bool
	inputSchema *arrow.Schema

	mu         sync.Mutex
	abortErr   error
	done       chan struct{}
	activity   chan struct{}
	result     *pb.WorkerTaskResult
	finished   bool
	finishOnce sync.Once
	// ended is set by Finish, under mu; a late cancellation must not kill a reused worker.
	ended bool
	// segments are the shared segments the task sent (retained, under mu), released at Finish:
	// the worker opens each by its descriptor when it reads the frame.
	segments []*sharedSegment
}

// StartTask sends a task header. ctx cancellation and the timeout kill the worker: a worker stuck
// in user code cannot be interrupted any other way.
func (w *Worker) StartTask(ctx context.Context, header *pb.WorkerTask, options TaskOptions) (*Task, error) {
	if options.Allocator == nil {
		options.Allocator = memory.DefaultAllocator
	}
	t := &Task{worker: w, header: header, options: options, done: make(chan struct{}), activity: make(chan struct{}, 1)}
	if options.ResultRing && header.ReturnSchema != nil {
		schema, err := flight.DeserializeSchema(header.ReturnSchema.ArrowSchema, options.Allocator)
		if err != nil {
			return nil, errkind.Internal("decoding a UDF return schema: %v", err)
		}
		t.framed, t.schema = true, schema
		if !w.ringTried {
			w.ringTried = true
			ring, err := newResultRing(w.pool.cfg.SharedMemoryDirectory, fmt.Sprintf("quiver-udf-%d-%s", os.Getpid(), newSecret()[:16]))
			if err != nil {
				w.pool.log.Debug("no shared memory for UDF results; they go through the socket", zap.Error(err))
			} else {
				w.ring = ring
			}
		}
		if header.Config == nil {
			header.Config = map[string]string{}
		}
		header.Config[configFramedOutput] = "1"
		if w.ring != nil {
			header.Config[configResultRing] = w.ring.path
			header.Config[configResultRingSize] = strconv.FormatUint(w.ring.size, 10)
		}
	}
	if options.ArgumentRing && header.ArgumentSchema != nil {
		if err := t.frameInput(header); err != nil {
			return nil, err
		}
	}
	if header.Config == nil {
		header.Config = map[string]string{}
	}
	w.announceSegments(header.Config)
	raw, err := proto.Marshal(header)
	if err != nil {
		return nil, errkind.Internal("encoding a worker task: %v", err)
	}
	if err := writeFrame(w.w, raw); err != nil {
		w.broken = true
		return nil, t.ioError(err)
	}
	go t.watch(ctx)
	return t, nil
}

// frameInput sets the task up to send its input as frames through the worker's argument ring,
// when the argument schema allows and the ring exists; otherwise the input stays one Arrow IPC
// stream through the socket.
func (t *Task) frameInput(header *pb.WorkerTask) error {
	schema, err := flight.DeserializeSchema(header.ArgumentSchema.ArrowSchema, t.options.Allocator)
	if err != nil {
		return errkind.Internal("decoding a UDF argument schema: %v", err)
	}
	if !ringableSchema(schema) {
		return nil
	}
	w := t.worker
	if !w.argumentsTried {
		w.argumentsTried = true
		ring, err := newArgumentRing(w.pool.cfg.SharedMemoryDirectory, fmt.Sprintf("quiver-udf-%d-%s", os.Getpid(), newSecret()[:16]))
		if err != nil {
			w.pool.log.Debug("no shared memory for UDF arguments; they go through the socket", zap.Error(err))
		} else {
			w.arguments = ring
		}
	}
	if w.arguments == nil {
		return nil
	}
	t.framedInput, t.inputSchema = true, schema
	if header.Config == nil {
		header.Config = map[string]string{}
	}
	header.Config[configFramedInput] = "1"
	header.Config[configArgumentRing] = w.arguments.path
	header.Config[configArgumentRingSize] = strconv.FormatUint(w.arguments.size, 10)
	return nil
}

// watch kills the worker when the query is cancelled or the UDF exceeds its timeout.
func (t *Task) watch(ctx context.Context) {
	var timeout <-chan time.Time
	var timer *time.Timer
	if t.options.Timeout > 0 {
		timer = time.NewTimer(t.options.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	for {
		select {
		case <-t.done:
			return
		case <-t.activity:
			if timer != nil {
				if !timer.Stop() {
					select {
					case <-timer.C:
					default:
					}
				}
				timer.Reset(t.options.Timeout)
			}
		case <-ctx.Done():
			t.abort(fmt.Errorf("%w: the query was cancelled while %s ran in a Python worker: %v", errkind.ErrCanceled, t.options.Describe, ctx.Err()))
			return
		case <-timeout:
			t.abort(errkind.ResourceExhausted("%s took longer than its timeout of %s (quiver.udf.timeout) on one batch; the worker (pid %d) was stopped. Raise quiver.udf.timeout or make the function faster",
				t.options.Describe, t.options.Timeout, t.worker.pid))
			return
		}
	}
}

func (t *Task) touch() {
	select {
	case t.activity <- struct{}{}:
	default:
	}
}

func (t *Task) abort(err error) {
	t.mu.Lock()
	if t.ended {
		// The task is over (Finish ran): the worker is idle or serving someone else now.
		t.mu.Unlock()
		return
	}
	if t.abortErr == nil {
		t.abortErr = err
	}
	t.mu.Unlock()
	t.worker.kill()
}

func (t *Task) aborted() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.abortErr
}

// ioError turns a failed read or write into the task's error: the abort reason when the task was
// aborted, else how the worker died.
func (t *Task) ioError(err error) error {
	if a := t.aborted(); a != nil {
		return a
	}
	t.worker.broken = true
	return errkind.Internal("%s failed: %s", t.options.Describe, t.worker.death(err))
}

// WriteBatch sends one input batch (the caller keeps ownership). The first call starts the
// Arrow stream with the batch's schema.
func (t *Task) WriteBatch(b arrow.RecordBatch) error {
	if t.framedInput {
		return t.WriteMessage([]arrow.RecordBatch{b}, b.NumRows())
	}
	if t.writer == nil {
		t.writer = ipc.NewWriter(t.worker.w, ipc.WithSchema(b.Schema()), ipc.WithAllocator(t.options.Allocator))
	}
	if err := t.writer.Write(b); err != nil {
		return t.ioError(err)
	}
	return nil
}

// WriteMessage sends the rows of batches (rows in all, one schema; the caller keeps ownership)
// as one message: the worker sees one batch. With framed input the columns are copied straight
// into the argument ring when it has room (the only copy the executor makes); otherwise the
// batches are joined and go through the socket.
func (t *Task) WriteMessage(batches []arrow.RecordBatch, rows int64) error {
	if len(batches) == 0 || rows == 0 {
		return nil
	}
	if t.framedInput {
		// Columns of stored DataFrames lie in shared segments the worker maps: nothing to copy.
		if columns, ok := locateSegments(batches, rows); ok && t.worker.canMapSegments {
			if err := t.writeSegmentFrame(columns, rows); err != nil {
				return t.ioError(err)
			}
			return nil
		}
		written, err := t.worker.arguments.writeMessage(t.worker.w, batches, rows)
		if err == nil && written {
			// The frame is a hundred bytes: without the flush the worker would not see it until
			// the buffer filled, many messages later.
			err = t.worker.w.Flush()
		}
		if err != nil {
			return t.ioError(err)
		}
		if written {
			return nil
		}
	}
	message, err := arrowio.ConcatBatches(batches, rows, t.options.Allocator)
	if err != nil {
		return err
	}
	defer message.Release()
	if !t.framedInput {
		return t.WriteBatch(message)
	}
	// No room in the ring: this message goes through the socket, as an Arrow IPC stream of its
	// own after the frame's kind.
	if err := t.worker.w.WriteByte(frameInline); err != nil {
		return t.ioError(err)
	}
	writer := ipc.NewWriter(t.worker.w, ipc.WithSchema(t.inputSchema), ipc.WithAllocator(t.options.Allocator))
	if err := writer.Write(message); err != nil {
		return t.ioError(err)
	}
	if err := writer.Close(); err != nil {
		return t.ioError(err)
	}
	if err := t.worker.w.Flush(); err != nil {
		return t.ioError(err)
	}
	return nil
}

// CloseInput ends the input stream (an empty stream of schema when nothing was written).
func (t *Task) CloseInput(schema *arrow.Schema) error {
	if t.framedInput {
		if err := t.worker.w.WriteByte(frameEnd); err != nil {
			return t.ioError(err)
		}
		if err := t.worker.w.Flush(); err != nil {
			return t.ioError(err)
		}
		return nil
	}
	if t.writer == nil {
		t.writer = ipc.NewWriter(t.worker.w, ipc.WithSchema(schema), ipc.WithAllocator(t.options.Allocator))
	}
	if err := t.writer.Close(); err != nil {
		return t.ioError(err)
	}
	if err := t.worker.w.Flush(); err != nil {
		return t.ioError(err)
	}
	return nil
}

// WriteFrame sends one pickled frame of the row path; an empty frame ends the input.
func (t *Task) WriteFrame(b []byte) error {
	if err := writeFrame(t.worker.w, b); err != nil {
		return t.ioError(err)
	}
	if len(b) == 0 {
		if err := t.worker.w.Flush(); err != nil {
			return t.ioError(err)
		}
	}
	return nil
}

// ReadBatch returns the next output batch, which the caller must Release, or io.EOF after the
// last one. A worker-side failure is returned as the error.
func (t *Task) ReadBatch() (arrow.RecordBatch, error) {
	if t.finished {
		return nil, io.EOF
	}
	if t.framed {
		return t.readFramedBatch()
	}
	if t.reader == nil {
		r, err := ipc.NewReader(t.worker.r, ipc.WithAllocator(t.options.Allocator))
		if err != nil {
			return nil, t.ioError(err)
		}
		t.reader = r
	}
	if t.reader.Next() {
		t.touch()
		b := t.reader.RecordBatch()
		b.Retain()
		return b, nil
	}
	if err := t.reader.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, t.ioError(err)
	}
	return nil, t.readResult()
}

// readFramedBatch reads one frame of framed output: a batch in the ring, a batch as an Arrow
// IPC stream of its own, or the end (then the task result).
func (t *Task) readFramedBatch() (arrow.RecordBatch, error) {
	kind, err := t.worker.r.ReadByte()
	if err != nil {
		return nil, t.ioError(err)
	}
	switch kind {
	case frameEnd:
		return nil, t.readResult()
	case frameRing:
		if t.worker.ring == nil {
			t.worker.broken = true
			return nil, errkind.Internal("%s: the Python worker sent a result in shared memory it was not given", t.options.Describe)
		}
		b, err := t.worker.ring.readRingBatch(t.worker.r, t.schema)
		if err != nil {
			t.worker.broken = true
			if errors.Is(err, errkind.ErrInternal) {
				return nil, err
			}
			return nil, t.ioError(err)
		}
		t.touch()
		return b, nil
	case frameInline:
		raw, err := readFrame(t.worker.r)
		if err != nil {
			return nil, t.ioError(err)
		}
		r, err := ipc.NewReader(bytes.NewReader(raw), ipc.WithAllocator(t.options.Allocator))
		if err != nil {
			t.worker.broken = true
			return nil, errkind.Internal("%s: malformed result batch from the Python worker: %v", t.options.Describe, err)
		}
		defer r.Release()
		if !r.Next() {
			t.worker.broken = true
			return nil, errkind.Internal("%s: the Python worker sent a result frame without a batch: %v", t.options.Describe, r.Err())
		}
		t.touch()
		b := r.RecordBatch()
		b.Retain()
		return b, nil
	}
	t.worker.broken = true
	return nil, errkind.Internal("%s: the Python worker sent an output frame of unknown kind %q", t.options.Describe, kind)
}

// ReadFrame returns the next pickled output frame, or io.EOF after the last.
func (t *Task) ReadFrame() ([]byte, error) {
	if t.finished {
		return nil, io.EOF
	}
	b, err := readFrame(t.worker.r)
	if err != nil {
		return nil, t.ioError(err)
	}
	t.touch()
	if len(b) == 0 {
		return nil, t.readResult()
	}
	return b, nil
}

// readResult reads the WorkerTaskResult that ends the output; io.EOF when the task succeeded.
func (t *Task) readResult() error {
	raw, err := readFrame(t.worker.r)
	if err != nil {
		return t.ioError(err)
	}
	var res pb.WorkerTaskResult
	if err := proto.Unmarshal(raw, &res); err != nil {
		t.worker.broken = true
		return errkind.Internal("%s: malformed task result from the Python worker: %v", t.options.Describe, err)
	}
	t.result = &res
	t.finished = true
	if res.Error != nil {
		return &PythonError{Detail: res.Error, Describe: t.options.Describe}
	}
	return io.EOF
}

// Finish ends the task: it releases the stream reader and, when the output was not read to its
// end, marks the worker broken so the pool replaces it instead of reusing a connection that is
// out of step.
func (t *Task) Finish() {
	t.finishOnce.Do(func() {
		t.mu.Lock()
		t.ended = true
		t.mu.Unlock()
		close(t.done)
		t.releaseSegments()
		if t.reader != nil {
			t.reader.Release()
			t.reader = nil
		}
		if !t.finished {
			t.worker.kill()
		}
	})
}

// Done reports whether the worker sent its task result: the connection is in step again.
func (t *Task) Done() bool { return t.finished }

// Abort stops the task with err: the worker is killed (a UDF cannot be interrupted otherwise)
// and reads and writes fail with err from now on.
func (t *Task) Abort(err error) { t.abort(err) }

// PythonError is a failure the worker reported: an exception in the UDF (with its traceback) or a
// result that does not match the declared type.
type PythonError struct {
	Detail   *pb.WorkerError
	Describe string
}

func (e *PythonError) Error() string {
	d := e.Detail
	var b strings.Builder
	name := d.FunctionName
	if name == "" {
		name = e.Describe
	} else {
		name = "UDF '" + name + "'"
	}
	fmt.Fprintf(&b, "PythonException: %s failed: %s: %s", name, d.ExceptionType, d.Message)
	if d.Traceback != "" {
		b.WriteString("\n")
		b.WriteString(strings.TrimRight(d.Traceback, "\n"))
	}
	return b.String()
}

// Unwrap classifies the failure: a user's error (an exception in the function, a wrong return
// type) is invalid input; anything else is internal.
func (e *PythonError) Unwrap() error {
	if e.Detail.UserError {
		return errkind.ErrInvalid
	}
	return errkind.ErrInternal
}

// frames: a 4-byte big-endian length, then the bytes.

func writeFrame(w io.Writer, b []byte) error {
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(b)))
	if _, err := w.Write(n[:]); err != nil {
		return err
	}
	if len(b) == 0 {
		return nil
	}
	_, err := w.Write(b)
	return err
}

func readFrame(r io.Reader) ([]byte, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return nil, err
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > 1<<30 {
		return nil, fmt.Errorf("frame of %d bytes is larger than the 1 GiB limit", size)
	}
	b := make([]byte, size)
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, err
	}
	return b, nil
}
