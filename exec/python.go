package exec

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
	"github.com/quiverdata/quiver/udf"
)

// PythonExtension is the TaskContext.Extensions key of the task's *PythonSettings.
const PythonExtension = "quiver.python"

// PythonSettings is what Python operators need from the server for one task: the worker pool of
// the session's interpreter and the session's UDF settings.
type PythonSettings struct {
	Pool *udf.Pool
	// Timeout bounds one call of a UDF on one batch or group (quiver.udf.timeout); 0: none.
	Timeout time.Duration
	// Config is passed to workers (session time zone, batch size, ...); keys an operator's
	// header sets itself win.
	Config map[string]string
	// BatchSizeSet says the session set spark.sql.execution.arrow.maxRecordsPerBatch: scalar
	// pandas UDFs then see batches of exactly that many rows (the last of a message fewer), else
	// Quiver's larger default (pythonDefaultRowsPerCall).
	BatchSizeSet bool
	// NoSharedMemory sends scalar UDF arguments and results through the socket even when shared
	// memory is available (quiver.udf.sharedMemory=false): for comparison and as a way out.
	NoSharedMemory bool
}

func pythonSettings(tc *TaskContext) (*PythonSettings, error) {
	s, ok := tc.Extensions[PythonExtension].(*PythonSettings)
	if !ok || s == nil || s.Pool == nil {
		return nil, errkind.NotImplemented("this server has no Python worker pool, so Python UDFs cannot run")
	}
	return s, nil
}

func init() {
	RegisterBuilder(&physical.PythonEval{}, buildPythonEval)
	RegisterBuilder(&physical.MapInPython{}, buildMapInPython)
	RegisterExprEvaluator(evalPythonUDF)
}

// pythonFunction is the worker protocol's description of one function.
func pythonFunction(f *logical.PythonFunction, offsets []int32, mem memory.Allocator) *pb.WorkerFunction {
	sum := sha256.Sum256(f.Command)
	field := arrow.Field{Name: "", Type: f.ReturnType, Nullable: true}
	return &pb.WorkerFunction{
		Name: f.Name, Command: f.Command, PythonVer: f.PythonVersion, ArgumentOffsets: offsets,
		ReturnType: &pb.DataType{ArrowSchema: flight.SerializeSchema(arrow.NewSchema([]arrow.Field{field}, nil), mem)},
		FunctionId: hex.EncodeToString(sum[:16]),
	}
}

func describeFunctions(fs []*logical.PythonFunction) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	if len(names) == 1 {
		return "UDF '" + names[0] + "'"
	}
	return "UDFs '" + strings.Join(names, "', '") + "'"
}

// pythonStream is one task on a borrowed worker: a goroutine feeds input batches while the
// operator reads output. Close gives the worker back (or has the pool replace it).
type pythonStream struct {
	settings *PythonSettings
	worker   *udf.Worker
	task     *udf.Task
	cancel   context.CancelFunc
	pumpDone chan struct{}
	mu       sync.Mutex
	pumpErr  error
}

// startPythonStream borrows a worker, checks the functions' Python version, sends the header
// and starts feeding input. next yields input batches (io.EOF at the end); send writes one (the
// stream's writer for Arrow, a pickled frame for rows); closeInput ends the input.
//
// nested says that the input pipeline of the operator runs Python operators of its own while this
// one holds its worker; such an operator must not wait for a pool worker (see AcquireExtra).
func startPythonStream(ctx context.Context, tc *TaskContext, header *pb.WorkerTask, functions []*logical.PythonFunction,
	nested bool, feed func(ctx context.Context, task *udf.Task) error) (*pythonStream, error) {
	settings, err := pythonSettings(tc)
	if err != nil {
		return nil, err
	}
	var w *udf.Worker
	if nested {
		w, err = settings.Pool.AcquireExtra(ctx)
	} else {
		w, err = settings.Pool.Acquire(ctx)
	}
	if err != nil {
		return nil, err
	}
	for _, f := range functions {
		if err := w.CheckVersion(f.Name, f.PythonVersion); err != nil {
			settings.Pool.Release(w)
			return nil, err
		}
	}
	if header.Config == nil {
		header.Config = map[string]string{}
	}
	for k, v := range settings.Config {
		if _, ok := header.Config[k]; !ok {
			header.Config[k] = v
		}
	}
	taskCtx, cancel := context.WithCancel(ctx)
	// Scalar pandas results of primitive types come back through shared memory (decision 0026),
	// and the arguments of the scalar Arrow forms go there when the header describes them.
	resultRing := header.EvalType == pb.PythonEvalType_PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF && !settings.NoSharedMemory
	argumentRing := header.EvalType != pb.PythonEvalType_PYTHON_EVAL_TYPE_SQL_BATCHED_UDF && !settings.NoSharedMemory
	task, err := w.StartTask(taskCtx, header, udf.TaskOptions{Timeout: settings.Timeout, Allocator: tc.Allocator,
		Describe: describeFunctions(functions), ResultRing: resultRing, ArgumentRing: argumentRing})
	if err != nil {
		cancel()
		settings.Pool.Release(w)
		return nil, err
	}
	s := &pythonStream{settings: settings, worker: w, task: task, cancel: cancel, pumpDone: make(chan struct{})}
	go func() {
		defer close(s.pumpDone)
		defer func() {
			if r := recover(); r != nil {
				s.setPumpErr(errkind.Internal("feeding a Python worker panicked: %v", r))
			}
		}()
		if err := feed(taskCtx, task); err != nil {
			s.setPumpErr(err)
		}
	}()
	return s, nil
}

func (s *pythonStream) setPumpErr(err error) {
	s.mu.Lock()
	if s.pumpErr == nil {
		s.pumpErr = err
	}
	s.mu.Unlock()
	// The worker waits for input that will never come: stop it; the pool replaces it.
	s.task.Abort(err)
}

// failure prefers the input side's error: a worker killed because its input failed reports the
// input's failure, not the dead connection.
func (s *pythonStream) failure(err error) error {
	if errors.Is(err, io.EOF) {
		return err
	}
	s.mu.Lock()
	pe := s.pumpErr
	s.mu.Unlock()
	if pe != nil {
		return pe
	}
	return err
}

// nextBatch returns the worker's next non-empty result batch relabelled with schema (the
// operator's declared output), or io.EOF once the worker has sent everything; at io.EOF the
// stream is closed and *done is set. Release the batch.
func (s *pythonStream) nextBatch(schema *arrow.Schema, done *bool) (arrow.RecordBatch, error) {
	for {
		b, err := s.task.ReadBatch()
		if err != nil {
			err = s.failure(err)
			if errors.Is(err, io.EOF) {
				*done = true
				s.close()
			}
			return nil, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		if schema == nil {
			return b, nil
		}
		out := array.NewRecordBatch(schema, b.Columns(), b.NumRows())
		b.Release()
		return out, nil
	}
}

func (s *pythonStream) close() {
	if s == nil || s.task == nil {
		return
	}
	// Finish before cancelling: cancellation of a finished task must not kill the worker.
	if !s.task.Done() {
		s.task.Abort(fmt.Errorf("%w: the operator was closed before the Python worker finished", errkind.ErrCanceled))
	}
	<-s.pumpDone
	s.task.Finish()
	s.cancel()
	s.settings.Pool.Release(s.worker)
	s.task = nil
}

// feedBatches returns a feed function sending the batches next produces, each cut to at most
// batchSize rows (spark.sql.execution.arrow.maxRecordsPerBatch), after transform (which owns
// nothing; it returns a new batch the feed releases).
func feedBatches(next func(ctx context.Context) (arrow.RecordBatch, error), batchSize int, schema *arrow.Schema,
	transform func(b arrow.RecordBatch) (arrow.RecordBatch, error)) func(ctx context.Context, task *udf.Task) error {
	return func(ctx context.Context, task *udf.Task) error {
		for {
			b, err := next(ctx)
			if errors.Is(err, io.EOF) {
				return task.CloseInput(schema)
			}
			if err != nil {
				return err
			}
			err = sendSliced(b, batchSize, func(piece arrow.RecordBatch) error {
				out := piece
				if transform != nil {
					t, err := transform(piece)
					if err != nil {
						return err
					}
					defer t.Release()
					out = t
				}
				return task.WriteBatch(out)
			})
			b.Release()
			if err != nil {
				return err
			}
		}
	}
}

// sendSliced calls send with b cut into pieces of at most size rows (b itself when it fits).
func sendSliced(b arrow.RecordBatch, size int, send func(arrow.RecordBatch) error) error {
	n := b.NumRows()
	if size <= 0 || n <= int64(size) {
		if n == 0 {
			return nil
		}
		return send(b)
	}
	for start := int64(0); start < n; start += int64(size) {
		piece := b.NewSlice(start, min(start+int64(size), n))
		err := send(piece)
		piece.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// -- PythonEval: scalar calls appended as columns ------------------------------------------------

type pythonEval struct {
	tc      *TaskContext
	node    *physical.PythonEval
	input   Operator
	stream  *pythonStream
	pickled bool
	nested  bool

	// Arguments: distinct bound expressions, evaluated once per batch.
	arguments []logical.Expr
	offsets   [][]int32
	argSchema *arrow.Schema

	// queue holds input batches sent to the worker and not yet matched with output, in order.
	queueMu sync.Mutex
	queue   []arrow.RecordBatch
	// pending output not yet matched (Arrow path) and the current input batch's progress.
	out       arrow.RecordBatch
	outOffset int64
	in        arrow.RecordBatch
	inOffset  int64
	done      bool
}

func buildPythonEval(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.PythonEval)
	if settings, err := pythonSettings(tc); err == nil && !settings.NoSharedMemory &&
		len(node.Calls) > 0 && node.Calls[0].Function.EvalType != logical.PythonRowPickled {
		placeStoredArguments(tc, node, partition)
	}
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return newPythonEval(tc, node, in), nil
}

func newPythonEval(tc *TaskContext, node *physical.PythonEval, in Operator) *pythonEval {
	p := &pythonEval{tc: tc, node: node, input: in, nested: pipelineRunsPython(node.Input)}
	p.pickled = len(node.Calls) > 0 && node.Calls[0].Function.EvalType == logical.PythonRowPickled
	index := map[string]int{}
	var fields []arrow.Field
	for _, c := range node.Calls {
		innermost := pythonChain(c)[0]
		offs := make([]int32, len(innermost.Args))
		for j, a := range innermost.Args {
			key := a.String() + "|" + fmt.Sprint(a.DataType())
			idx, ok := index[key]
			if !ok {
				idx = len(p.arguments)
				index[key] = idx
				p.arguments = append(p.arguments, a)
				fields = append(fields, arrow.Field{Name: fmt.Sprintf("_%d", idx), Type: a.DataType(), Nullable: true})
			}
			offs[j] = int32(idx)
		}
		p.offsets = append(p.offsets, offs)
	}
	p.argSchema = arrow.NewSchema(fields, nil)
	return p
}

func (p *pythonEval) Schema() *arrow.Schema { return p.node.OutSchema }

func (p *pythonEval) Open(ctx context.Context) error { return p.input.Open(ctx) }

// pythonBatchesPerMessage is how many maxRecordsPerBatch-row batches of arguments go to a worker
// in one Arrow message for the scalar Arrow forms. Measured on plus-one over 10M rows: one
// message per 10,000 rows spent a third of the server's time waking goroutines up.
const pythonBatchesPerMessage = 8

// pythonDefaultMessageBytes is the size of the arguments of one call of a scalar pandas (or
// Arrow row) UDF when the session leaves spark.sql.execution.arrow.maxRecordsPerBatch unset.
// Spark's 10,000 rows bound the JVM's memory per batch; here each call costs the worker a fixed
// amount of Python (Series construction, operator dispatch, framing), which at 10,000 rows was
// half its time on plus-one, and at 131,072 rows still ~40% more CPU than at 524,288 (decision
// 0026 and its amendments). 4 MiB is a quarter of a worker's argument and result rings, so a
// message still finds room while a UDF or a downstream operator holds an earlier one.
const pythonDefaultMessageBytes = 4 << 20

// pythonDefaultRowsPerCall is the rows per call for that size: 524,288 for one double argument,
// fewer for wider ones, never below 131,072 (the QUIVER_UDF_ROWS environment variable fixes it,
// for experiments).
func (p *pythonEval) pythonDefaultRowsPerCall() int {
	if rows := envInt("QUIVER_UDF_ROWS", 0); rows > 0 {
		return rows
	}
	rowBytes := 0
	for _, f := range p.argSchema.Fields() {
		if fw, ok := f.Type.(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
			rowBytes += fw.BitWidth() / 8
		} else {
			rowBytes += 16 // booleans round up; strings and nested values are a guess
		}
	}
	return min(1<<19, max(1<<17, pythonDefaultMessageBytes/max(rowBytes, 1)))
}

// rowsPerCall is the most rows a scalar UDF sees per call, and rowsPerMessage the most rows sent
// to the worker in one Arrow message.
func (p *pythonEval) batchSizes() (rowsPerCall, rowsPerMessage int) {
	settings, err := pythonSettings(p.tc)
	if err == nil && !settings.BatchSizeSet && !p.pickled && p.tc.BatchSize == DefaultBatchSize {
		rows := p.pythonDefaultRowsPerCall()
		return rows, rows
	}
	rowsPerCall = p.tc.BatchSize
	if p.pickled || rowsPerCall <= 0 {
		return rowsPerCall, rowsPerCall
	}
	return rowsPerCall, rowsPerCall * pythonBatchesPerMessage
}

func (p *pythonEval) header(rowsPerCall int) *pb.WorkerTask {
	et := p.node.Calls[0].Function.EvalType
	h := &pb.WorkerTask{EvalType: pb.PythonEvalType(et), Config: map[string]string{
		"spark.sql.execution.arrow.maxRecordsPerBatch": strconv.Itoa(rowsPerCall)}}
	var fields []arrow.Field
	for i, c := range p.node.Calls {
		chain := pythonChain(c)
		f := pythonFunction(chain[0].Function, p.offsets[i], p.tc.Allocator)
		for _, next := range chain[1:] {
			f.Chain = append(f.Chain, pythonFunction(next.Function, nil, p.tc.Allocator))
		}
		h.Functions = append(h.Functions, f)
		fields = append(fields, arrow.Field{Name: fmt.Sprintf("_%d", i), Type: c.Function.ReturnType, Nullable: true})
	}
	h.ReturnSchema = &pb.Schema{ArrowSchema: flight.SerializeSchema(arrow.NewSchema(fields, nil), p.tc.Allocator)}
	// The pickled path converts with it; the Arrow forms' input may then go through shared memory
	// (udf.TaskOptions.ArgumentRing), read by the worker with it.
	h.ArgumentSchema = &pb.Schema{ArrowSchema: flight.SerializeSchema(p.argSchema, p.tc.Allocator)}
	return h
}

func (p *pythonEval) functions() []*logical.PythonFunction {
	var out []*logical.PythonFunction
	for _, c := range p.node.Calls {
		for _, link := range pythonChain(c) {
			out = append(out, link.Function)
		}
	}
	return out
}

// pythonChain is a stack of calls that runs as one function in the worker, innermost first: u,
// and while the call has one argument that is a call of the same eval type, that call too
// (udf1(udf2(x)) sends x and applies udf2 then udf1, as Spark chains Python functions). The
// optimizer extracts such stacks whole (optimizer.IsPythonChain).
func pythonChain(u *logical.PythonUDF) []*logical.PythonUDF {
	chain := []*logical.PythonUDF{u}
	for u.Function.EvalType != logical.PythonScalarPandasIter && len(u.Args) == 1 {
		inner, ok := u.Args[0].(*logical.PythonUDF)
		if !ok || inner.Function.EvalType != u.Function.EvalType {
			break
		}
		chain = append([]*logical.PythonUDF{inner}, chain...)
		u = inner
	}
	return chain
}

// arguments evaluates the distinct argument expressions over b into a batch (owned by caller).
func (p *pythonEval) argumentBatch(ctx context.Context, b arrow.RecordBatch) (arrow.RecordBatch, error) {
	ec := &EvalContext{Ctx: ctx, Task: p.tc}
	return ProjectBatch(ec, p.arguments, p.argSchema, b)
}

func (p *pythonEval) start(ctx context.Context) error {
	rowsPerCall, rowsPerMessage := p.batchSizes()
	feedNext := func(ctx context.Context) (arrow.RecordBatch, error) { return p.input.Next(ctx) }
	var feed func(ctx context.Context, task *udf.Task) error
	enqueue := func(b arrow.RecordBatch) {
		b.Retain()
		p.queueMu.Lock()
		p.queue = append(p.queue, b)
		p.queueMu.Unlock()
	}
	if p.pickled {
		feed = func(ctx context.Context, task *udf.Task) error {
			for {
				b, err := feedNext(ctx)
				if errors.Is(err, io.EOF) {
					return task.WriteFrame(nil)
				}
				if err != nil {
					return err
				}
				err = sendSliced(b, rowsPerMessage, func(piece arrow.RecordBatch) error {
					args, err := p.argumentBatch(ctx, piece)
					if err != nil {
						return err
					}
					defer args.Release()
					frame, err := udf.PickleRows(args.Columns(), 0, int(args.NumRows()))
					if err != nil {
						return err
					}
					enqueue(piece)
					return task.WriteFrame(frame)
				})
				b.Release()
				if err != nil {
					return err
				}
			}
		}
	} else {
		// The worker cuts each message into the batches the functions are called with
		// (maxRecordsPerBatch rows); sending several per message pays the transport's per-message
		// costs (IPC framing, system calls, goroutine wake-ups on both ends) once for all of them.
		feed = p.feedMessages(feedNext, rowsPerMessage, enqueue)
	}
	s, err := startPythonStream(ctx, p.tc, p.header(rowsPerCall), p.functions(), p.nested, feed)
	if err != nil {
		return err
	}
	p.stream = s
	return nil
}

// feedMessages sends the arguments of the input's rows in messages of rowsPerMessage rows:
// input batches are cut, and small ones joined (a scan or a filter may yield batches of a few
// thousand rows, and each message costs a call of the UDF when the session leaves the batch size
// to Quiver). Each input piece is queued as it is evaluated, so output rows pair with input rows
// whatever the message boundaries.
func (p *pythonEval) feedMessages(next func(ctx context.Context) (arrow.RecordBatch, error), rowsPerMessage int,
	enqueue func(arrow.RecordBatch)) func(ctx context.Context, task *udf.Task) error {
	return func(ctx context.Context, task *udf.Task) error {
		var pending []arrow.RecordBatch
		var rows int64
		defer func() {
			for _, b := range pending {
				b.Release()
			}
		}()
		flush := func() error {
			if len(pending) == 0 {
				return nil
			}
			// Joined where they go: into the argument ring, or into one batch for the socket.
			err := task.WriteMessage(pending, rows)
			for _, b := range pending {
				b.Release()
			}
			pending, rows = pending[:0], 0
			return err
		}
		for {
			b, err := next(ctx)
			if errors.Is(err, io.EOF) {
				if err := flush(); err != nil {
					return err
				}
				return task.CloseInput(p.argSchema)
			}
			if err != nil {
				return err
			}
			err = sendSliced(b, rowsPerMessage, func(piece arrow.RecordBatch) error {
				args, err := p.argumentBatch(ctx, piece)
				if err != nil {
					return err
				}
				enqueue(piece)
				if rowsPerMessage > 0 && rows+args.NumRows() > int64(rowsPerMessage) {
					if err := flush(); err != nil {
						args.Release()
						return err
					}
				}
				pending = append(pending, args)
				rows += args.NumRows()
				if rowsPerMessage <= 0 || rows >= int64(rowsPerMessage) {
					return flush()
				}
				return nil
			})
			b.Release()
			if err != nil {
				return err
			}
		}
	}
}

// readOutput returns the worker's next result batch (one column per call).
func (p *pythonEval) readOutput() (arrow.RecordBatch, error) {
	if !p.pickled {
		b, err := p.stream.task.ReadBatch()
		return b, p.stream.failure(err)
	}
	frame, err := p.stream.task.ReadFrame()
	if err != nil {
		return nil, p.stream.failure(err)
	}
	v, err := udf.Unpickle(frame)
	if err != nil {
		return nil, err
	}
	lists, ok := v.([]any)
	if !ok || len(lists) != len(p.node.Calls) {
		return nil, errkind.Internal("the Python worker sent %T instead of one result list per UDF", v)
	}
	cols := make([]arrow.Array, len(lists))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	var n int64 = -1
	fields := make([]arrow.Field, len(lists))
	for i, l := range lists {
		values, _ := l.([]any)
		f := p.node.Calls[i].Function
		bld := array.NewBuilder(p.tc.Allocator, f.ReturnType)
		for _, x := range values {
			if err := udf.AppendWire(bld, x, f.Name); err != nil {
				bld.Release()
				return nil, err
			}
		}
		cols[i] = bld.NewArray()
		bld.Release()
		n = int64(len(values))
		fields[i] = arrow.Field{Name: fmt.Sprintf("_%d", i), Type: f.ReturnType, Nullable: true}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, n), nil
}

func (p *pythonEval) popInput() (arrow.RecordBatch, bool) {
	p.queueMu.Lock()
	defer p.queueMu.Unlock()
	if len(p.queue) == 0 {
		return nil, false
	}
	b := p.queue[0]
	p.queue = p.queue[1:]
	return b, true
}

// Next zips input rows with result rows, whatever the batch boundaries on each side.
func (p *pythonEval) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if p.done {
		return nil, io.EOF
	}
	if p.stream == nil {
		if err := p.start(ctx); err != nil {
			return nil, err
		}
	}
	for {
		if p.out == nil || p.outOffset >= p.out.NumRows() {
			if p.out != nil {
				p.out.Release()
				p.out = nil
			}
			b, err := p.readOutput()
			if errors.Is(err, io.EOF) {
				p.queueMu.Lock()
				left := len(p.queue)
				p.queueMu.Unlock()
				if p.in != nil && p.inOffset < p.in.NumRows() || left > 0 {
					return nil, errkind.Invalid("%s returned fewer rows than it was given", describeFunctions(p.functions()))
				}
				p.done = true
				p.stream.close()
				return nil, io.EOF
			}
			if err != nil {
				return nil, err
			}
			p.out, p.outOffset = b, 0
			if b.NumRows() == 0 {
				continue
			}
		}
		if p.in == nil || p.inOffset >= p.in.NumRows() {
			if p.in != nil {
				p.in.Release()
				p.in = nil
			}
			b, ok := p.popInput()
			if !ok {
				return nil, errkind.Invalid("%s returned more rows than it was given", describeFunctions(p.functions()))
			}
			p.in, p.inOffset = b, 0
			continue
		}
		n := min(p.in.NumRows()-p.inOffset, p.out.NumRows()-p.outOffset)
		cols := make([]arrow.Array, 0, len(p.node.OutSchema.Fields()))
		for i := 0; i < int(p.in.NumCols()); i++ {
			cols = append(cols, array.NewSlice(p.in.Column(i), p.inOffset, p.inOffset+n))
		}
		for i := 0; i < int(p.out.NumCols()); i++ {
			cols = append(cols, array.NewSlice(p.out.Column(i), p.outOffset, p.outOffset+n))
		}
		res := array.NewRecordBatch(p.node.OutSchema, cols, n)
		for _, c := range cols {
			c.Release()
		}
		p.inOffset += n
		p.outOffset += n
		return res, nil
	}
}

func (p *pythonEval) Close() error {
	if p.stream != nil {
		p.stream.close()
		p.stream = nil
	}
	for _, b := range []arrow.RecordBatch{p.in, p.out} {
		if b != nil {
			b.Release()
		}
	}
	p.in, p.out = nil, nil
	p.queueMu.Lock()
	for _, b := range p.queue {
		b.Release()
	}
	p.queue = nil
	p.queueMu.Unlock()
	return p.input.Close()
}

// -- MapInPython: mapInPandas / mapInArrow ---------------------------------------------------------

type mapInPython struct {
	tc     *TaskContext
	node   *physical.MapInPython
	input  Operator
	stream *pythonStream
	done   bool
}

func buildMapInPython(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
	node := n.(*physical.MapInPython)
	in, err := Build(tc, node.Input, partition)
	if err != nil {
		return nil, err
	}
	return &mapInPython{tc: tc, node: node, input: in}, nil
}

func (m *mapInPython) Schema() *arrow.Schema          { return m.node.OutSchema }
func (m *mapInPython) Open(ctx context.Context) error { return m.input.Open(ctx) }

func (m *mapInPython) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if m.done {
		return nil, io.EOF
	}
	if m.stream == nil {
		f := m.node.Function
		h := &pb.WorkerTask{EvalType: pb.PythonEvalType(f.EvalType), Functions: []*pb.WorkerFunction{pythonFunction(f, nil, m.tc.Allocator)},
			ReturnSchema: &pb.Schema{ArrowSchema: flight.SerializeSchema(m.node.OutSchema, m.tc.Allocator)}}
		feed := feedBatches(func(ctx context.Context) (arrow.RecordBatch, error) { return m.input.Next(ctx) }, m.tc.BatchSize, m.node.Input.Schema(), nil)
		s, err := startPythonStream(ctx, m.tc, h, []*logical.PythonFunction{f}, pipelineRunsPython(m.node.Input), feed)
		if err != nil {
			return nil, err
		}
		m.stream = s
	}
	return m.stream.nextBatch(m.node.OutSchema, &m.done)
}

func (m *mapInPython) Close() error {
	if m.stream != nil {
		m.stream.close()
		m.stream = nil
	}
	return m.input.Close()
}

// -- fallback: a Python call evaluated where no PythonEval node could take it ----------------------

// evalPythonUDF evaluates a scalar Python call inside an expression the planner did not extract
// (a join condition, an aggregate's argument): one worker round trip for this batch.
func evalPythonUDF(ec *EvalContext, e logical.Expr, batch arrow.RecordBatch) (compute.Datum, bool, error) {
	u, ok := e.(*logical.PythonUDF)
	if !ok {
		return nil, false, nil
	}
	if !u.Function.EvalType.IsScalar() {
		return nil, true, errkind.Invalid("UDF '%s' is a %s function and cannot be evaluated per row here", u.Function.Name, u.Function.EvalType)
	}
	schema := arrow.NewSchema(append(append([]arrow.Field(nil), batch.Schema().Fields()...),
		arrow.Field{Name: "pythonUDF0", Type: u.Function.ReturnType, Nullable: true}), nil)
	node := &physical.PythonEval{Input: &physical.Empty{OutSchema: batch.Schema()}, Calls: []*logical.PythonUDF{u}, OutSchema: schema}
	batch.Retain()
	pe := newPythonEval(ec.Task, node, NewBatchSource(batch.Schema(), []arrow.RecordBatch{batch}))
	pe.nested = true // the operator evaluating this expression may hold a worker already
	defer pe.Close()
	if err := pe.Open(ec.Ctx); err != nil {
		return nil, true, err
	}
	var parts []arrow.Array
	defer func() {
		for _, a := range parts {
			a.Release()
		}
	}()
	for {
		b, err := pe.Next(ec.Ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, true, err
		}
		col := b.Column(int(b.NumCols()) - 1)
		col.Retain()
		parts = append(parts, col)
		b.Release()
	}
	var all arrow.Array
	switch len(parts) {
	case 0:
		all = array.MakeArrayOfNull(ec.Task.Allocator, u.Function.ReturnType, 0)
	case 1:
		all = parts[0]
		all.Retain()
	default:
		var err error
		all, err = array.Concatenate(parts, ec.Task.Allocator)
		if err != nil {
			return nil, true, err
		}
	}
	defer all.Release()
	return compute.NewDatum(all), true, nil
}

// pipelineRunsPython reports whether computing a partition of n runs Python operators in the
// same task while the consumer streams (exchanges end the pipeline: their input ran earlier).
func pipelineRunsPython(n physical.Node) bool {
	switch x := n.(type) {
	case *physical.Exchange:
		return false
	case *physical.PythonEval, *physical.MapInPython:
		return true
	case *physical.Projection:
		if exprsRunPython(x.Expressions) {
			return true
		}
	case *physical.Filter:
		if logical.ContainsPythonUDF(x.Predicate) {
			return true
		}
	case *physical.GroupedPython, *physical.CoGroupedPython:
		// They read their whole input before taking a worker; only their own worker overlaps.
		return true
	}
	for _, c := range n.Children() {
		if pipelineRunsPython(c) {
			return true
		}
	}
	return false
}

func exprsRunPython(exprs []logical.Expr) bool {
	for _, e := range exprs {
		if logical.ContainsPythonUDF(e) {
			return true
		}
	}
	return false
}

func envInt(name string, fallback int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return fallback
}
