package udf

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// argumentTypes are the fixed-width types sent through the argument ring, each with values and
// nulls as JSON for array.FromJSON: 20 rows, so slices can start at offsets that are not
// multiples of 8 (the ring's bitmaps must be realigned).
var argumentTypes = []struct {
	typ  arrow.DataType
	json string
}{
	{arrow.PrimitiveTypes.Int8, `[1, -2, null, 4, 5, 6, 7, null, 9, 10, -11, 12, 13, null, 15, 16, 17, 18, 19, -20]`},
	{arrow.PrimitiveTypes.Int16, `[100, null, 300, -400, 5, 6, 7, 8, 9, null, 11, 12, 13, 14, 15, 16, 17, 18, null, 20]`},
	{arrow.PrimitiveTypes.Int32, `[null, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, -70000, 19, null]`},
	{arrow.PrimitiveTypes.Int64, `[1, 2, 3, null, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 4000000000]`},
	{arrow.PrimitiveTypes.Float32, `[1.5, 2, 3, 4, null, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]`},
	{arrow.PrimitiveTypes.Float64, `[0.25, 2, 3, 4, 5, null, 7, 8, 9, 10, 11, 12, null, 14, 15, 16, 17, 18, 19, -1e300]`},
	{arrow.FixedWidthTypes.Boolean, `[true, false, null, true, true, false, true, false, false, true, null, true, false, true, true, true, false, false, true, false]`},
	{arrow.FixedWidthTypes.Date32, `[0, 1, 2, null, 18000, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, null, 18, -719162]`},
	{&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, `["2020-01-01T00:00:00Z", null, "2021-06-30T12:34:56.789012Z", "1970-01-01T00:00:00Z", "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z", "2001-01-01T00:00:00Z", "2002-01-01T00:00:00Z", "2003-01-01T00:00:00Z", "2004-01-01T00:00:00Z", "2005-01-01T00:00:00Z", null, "2007-01-01T00:00:00Z", "2008-01-01T00:00:00Z", "2009-01-01T00:00:00Z", "2010-01-01T00:00:00Z", "2011-01-01T00:00:00Z", "2012-01-01T00:00:00Z", "2013-01-01T00:00:00Z", "2014-01-01T00:00:00Z"]`},
	{&arrow.Decimal128Type{Precision: 10, Scale: 2}, `["1.25", "-2.50", null, "4.00", "5.01", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16", "17", null, "19", "12345678.99"]`},
}

// argumentBatch is one batch with a column of each argument type.
func argumentBatch(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(argumentTypes))
	columns := make([]arrow.Array, len(argumentTypes))
	for i, c := range argumentTypes {
		a, _, err := array.FromJSON(mem, c.typ, strings.NewReader(c.json))
		if err != nil {
			t.Fatalf("%s: %v", c.typ, err)
		}
		fields[i] = arrow.Field{Name: fmt.Sprintf("_%d", i), Type: c.typ, Nullable: true}
		columns[i] = a
	}
	b := array.NewRecordBatch(arrow.NewSchema(fields, nil), columns, 20)
	for _, a := range columns {
		a.Release()
	}
	return b
}

// identityTask is a scalar pandas task returning each argument column unchanged, with its input
// framed through the argument ring.
func identityTask(t *testing.T, py string, schema *arrow.Schema, mem memory.Allocator) *pb.WorkerTask {
	var functions []*pb.WorkerFunction
	for i, f := range schema.Fields() {
		functions = append(functions, function(t, py, fmt.Sprintf("same_%d", i), "lambda s: s", f.Type, int32(i)))
	}
	out := make([]arrow.Field, len(functions))
	copy(out, schema.Fields())
	return &pb.WorkerTask{EvalType: pb.PythonEvalType_PYTHON_EVAL_TYPE_SQL_SCALAR_PANDAS_UDF, Functions: functions,
		ReturnSchema:   &pb.Schema{ArrowSchema: flight.SerializeSchema(arrow.NewSchema(out, nil), mem)},
		ArgumentSchema: &pb.Schema{ArrowSchema: flight.SerializeSchema(schema, mem)}}
}

// runMessages sends each list of pieces as one message and returns the output batches.
func runMessages(t *testing.T, w *Worker, mem memory.Allocator, h *pb.WorkerTask, schema *arrow.Schema, messages [][]arrow.RecordBatch) ([]arrow.RecordBatch, error) {
	task, err := w.StartTask(context.Background(), h, TaskOptions{Allocator: mem, Describe: "identity", ResultRing: true, ArgumentRing: true})
	if err != nil {
		return nil, err
	}
	defer task.Finish()
	if !task.framedInput {
		t.Fatal("the task's input is not framed: no argument ring")
	}
	errc := make(chan error, 1)
	go func() {
		for _, pieces := range messages {
			var rows int64
			for _, p := range pieces {
				rows += p.NumRows()
			}
			if err := task.WriteMessage(pieces, rows); err != nil {
				errc <- err
				return
			}
		}
		errc <- task.CloseInput(schema)
	}()
	var got []arrow.RecordBatch
	for {
		b, err := task.ReadBatch()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			<-errc
			return got, err
		}
		got = append(got, b)
	}
	return got, <-errc
}

func TestArgumentRingCarriesFixedWidthColumnsToAWorker(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	in := argumentBatch(t, mem)
	defer in.Release()
	// One message joined from slices starting at rows 3, 9 and 11 (bit offsets that are not
	// byte-aligned), and a second message of one whole batch.
	cuts := [][2]int64{{3, 9}, {9, 10}, {11, 20}}
	var pieces []arrow.RecordBatch
	for _, c := range cuts {
		pieces = append(pieces, in.NewSlice(c[0], c[1]))
	}
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()

	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	h := identityTask(t, py, in.Schema(), mem)
	check := func(got []arrow.RecordBatch, err error, want []arrow.RecordBatch) {
		t.Helper()
		defer func() {
			for _, b := range got {
				b.Release()
			}
		}()
		if err != nil {
			t.Fatal(err)
		}
		var rows int64
		for _, b := range got {
			rows += b.NumRows()
		}
		var wantRows int64
		for _, b := range want {
			wantRows += b.NumRows()
		}
		if rows != wantRows {
			t.Fatalf("got %d rows back, sent %d", rows, wantRows)
		}
		// Compare column by column over the concatenations: the pieces are the reference.
		for c, f := range in.Schema().Fields() {
			gotParts := make([]arrow.Array, len(got))
			for i, b := range got {
				gotParts[i] = b.Column(c)
			}
			wantParts := make([]arrow.Array, len(want))
			for i, b := range want {
				wantParts[i] = b.Column(c)
			}
			gotAll, err := array.Concatenate(gotParts, mem)
			if err != nil {
				t.Fatal(err)
			}
			wantAll, err := array.Concatenate(wantParts, mem)
			if err != nil {
				t.Fatal(err)
			}
			if !array.Equal(gotAll, wantAll) {
				t.Errorf("%s: got %v, sent %v", f.Type, gotAll, wantAll)
			}
			gotAll.Release()
			wantAll.Release()
		}
	}

	got, err := runMessages(t, w, mem, h, in.Schema(), [][]arrow.RecordBatch{pieces, {in}})
	check(got, err, append(append([]arrow.RecordBatch{}, pieces...), in))
	if w.arguments == nil || w.arguments.pos == 0 {
		t.Fatal("no message went through the argument ring")
	}

	// A ring without room (the worker still references everything below the watermark, as when
	// a UDF keeps its inputs): the messages go through the socket and arrive just the same.
	w.arguments.mu.Lock()
	w.arguments.pos += w.arguments.size
	before := w.arguments.pos
	w.arguments.mu.Unlock()
	got, err = runMessages(t, w, mem, h, in.Schema(), [][]arrow.RecordBatch{pieces, {in}})
	check(got, err, append(append([]arrow.RecordBatch{}, pieces...), in))
	if w.arguments.pos != before {
		t.Fatal("a message went into a ring without room")
	}
}

func (r *argumentRing) setWatermark(v uint64) {
	atomic.StoreUint64((*uint64)(unsafe.Pointer(&r.data[0])), v)
}

func TestArgumentRingWritesOnlyBelowTheWatermarkPlusItsSize(t *testing.T) {
	r, err := newArgumentRing(shmDirectory, "quiver-udf-test-"+newSecret()[:16])
	if err != nil {
		t.Skipf("no shared memory here: %v", err)
	}
	defer r.close()
	const region = 1 << 20
	for i := 0; i < argumentRingSize/region; i++ {
		if p, ok := r.reserve(region); !ok || p != uint64(i*region) {
			t.Fatalf("reservation %d: %d, %v", i, p, ok)
		}
	}
	if _, ok := r.reserve(64); ok {
		t.Fatal("reserved past watermark + size")
	}
	// The worker gave back the first two regions: two more fit, not three.
	r.setWatermark(2 * region)
	for i := 0; i < 2; i++ {
		if p, ok := r.reserve(region); !ok || p != uint64(argumentRingSize+i*region) {
			t.Fatalf("after the watermark moved, reservation %d: %d, %v", i, p, ok)
		}
	}
	if _, ok := r.reserve(64); ok {
		t.Fatal("reserved over a region the worker still references")
	}
	// A region never wraps around the end of the ring: 15 MiB do not fit in the 14 MiB left
	// of this lap, so they start at the next lap, once the worker is past 3 MiB of the last lap...
	r.setWatermark(argumentRingSize + 2*region)
	if _, ok := r.reserve(15 * region); ok {
		t.Fatal("reserved a region over data the worker still references")
	}
	r.setWatermark(2*argumentRingSize - region)
	if p, ok := r.reserve(15 * region); !ok || p != 2*argumentRingSize {
		t.Fatalf("got %d, %v; want the start of the next lap, %d", p, ok, 2*argumentRingSize)
	}
	if _, ok := r.reserve(argumentRingSize + 64); ok {
		t.Fatal("reserved a region larger than the ring")
	}
	r.close()
	if _, ok := r.reserve(64); ok {
		t.Fatal("reserved in a closed ring")
	}
}

func TestArgumentRingTakesAllNullPiecesWithoutValues(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	schema := arrow.NewSchema([]arrow.Field{{Name: "_0", Type: arrow.PrimitiveTypes.Float64, Nullable: true}}, nil)
	first, _, err := array.FromJSON(mem, arrow.PrimitiveTypes.Float64, strings.NewReader(`[1.5, 2.5]`))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release()
	// An all-null piece whose values buffer is absent, as some producers make them.
	bitmap := memory.NewResizableBuffer(mem)
	bitmap.Resize(1)
	bitmap.Bytes()[0] = 0
	data := array.NewData(arrow.PrimitiveTypes.Float64, 3, []*memory.Buffer{bitmap, nil}, nil, 3, 0)
	bitmap.Release()
	nulls := array.MakeFromData(data)
	data.Release()
	defer nulls.Release()
	pieces := []arrow.RecordBatch{
		array.NewRecordBatch(schema, []arrow.Array{first}, 2),
		array.NewRecordBatch(schema, []arrow.Array{nulls}, 3),
	}
	defer func() {
		for _, b := range pieces {
			b.Release()
		}
	}()
	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	got, err := runMessages(t, w, mem, identityTask(t, py, schema, mem), schema, [][]arrow.RecordBatch{pieces})
	defer func() {
		for _, b := range got {
			b.Release()
		}
	}()
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Column(0).String() != "[1.5 2.5 (null) (null) (null)]" {
		t.Fatalf("got %v", got)
	}
}

func TestWithoutSharedMemoryArgumentsAndResultsUseTheSocket(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	py := pythonOrSkip(t)
	p, err := NewPool(PoolConfig{Python: py, Size: 1, PythonPath: filepath.Join(repoRoot(t), "python"),
		SharedMemoryDirectory: filepath.Join(t.TempDir(), "missing")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in := argumentBatch(t, mem)
	defer in.Release()
	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	task, err := w.StartTask(context.Background(), identityTask(t, py, in.Schema(), mem),
		TaskOptions{Allocator: mem, Describe: "identity", ResultRing: true, ArgumentRing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer task.Finish()
	if task.framedInput || w.arguments != nil || w.ring != nil {
		t.Fatal("a ring was made without a shared-memory directory")
	}
	written := make(chan error, 1)
	go func() {
		err := task.WriteMessage([]arrow.RecordBatch{in}, in.NumRows())
		if err == nil {
			err = task.CloseInput(in.Schema())
		}
		written <- err
	}()
	var rows int64
	for {
		b, err := task.ReadBatch()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for c := range in.Schema().Fields() {
			want := array.NewSlice(in.Column(c), rows, rows+b.NumRows())
			if !array.Equal(b.Column(c), want) {
				t.Errorf("column %d: got %v", c, b.Column(c))
			}
			want.Release()
		}
		rows += b.NumRows()
		b.Release()
	}
	if rows != in.NumRows() {
		t.Fatalf("got %d rows, sent %d", rows, in.NumRows())
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
}
