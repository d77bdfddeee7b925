package udf

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sys/unix"
)

// placeAll places every fixed-width column of batches, however few rows they have.
func placeAll(t *testing.T, batches []arrow.RecordBatch) []arrow.RecordBatch {
	t.Helper()
	minimum := SharedSegmentMinRows
	SharedSegmentMinRows = 0
	defer func() { SharedSegmentMinRows = minimum }()
	out := PlaceColumns(batches, nil)
	if out == nil {
		t.Skip("no shared segments here (memfd_create failed)")
	}
	if again := PlaceColumns(out, nil); again != nil {
		releaseAll(again)
		t.Fatal("placed columns were placed again")
	}
	return out
}

func releaseAll(batches []arrow.RecordBatch) {
	for _, b := range batches {
		b.Release()
	}
}

func TestSharedSegmentsCarryStoredColumnsToAWorkerWithoutACopy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	before := SharedSegmentCount()
	p, py := newTestPool(t, 1)
	in := argumentBatch(t, mem)
	defer in.Release()

	// Stored batches of 17, 20 and 11 rows: the second starts at row 17 of each segment, the third
	// at 37, offsets that are not multiples of 8; the first comes from a slice at offset 3.
	originals := []arrow.RecordBatch{in.NewSlice(3, 20), in, in.NewSlice(1, 12)}
	defer originals[0].Release()
	defer originals[2].Release()
	stored := placeAll(t, originals)
	if got := SharedSegmentCount() - before; got != 1 {
		t.Fatalf("%d segments for one partition's columns placed together", got)
	}
	for i := range stored {
		for c := range argumentTypes {
			if !array.Equal(stored[i].Column(c), originals[i].Column(c)) {
				t.Fatalf("stored batch %d column %s: %v, placed %v", i, argumentTypes[c].typ, stored[i].Column(c), originals[i].Column(c))
			}
		}
	}

	// Messages cut across stored batches at unaligned rows: consecutive rows of the segments, so
	// each goes as one S frame. The last joins rows that are not consecutive: the ring carries it.
	messages := [][]arrow.RecordBatch{
		{stored[0].NewSlice(2, 17), stored[1].NewSlice(0, 9)},
		{stored[1].NewSlice(9, 20), stored[2]},
		{stored[2].NewSlice(3, 5), stored[0].NewSlice(0, 2)},
	}
	stored[2].Retain()
	want := [][]arrow.RecordBatch{
		{originals[0].NewSlice(2, 17), originals[1].NewSlice(0, 9)},
		{originals[1].NewSlice(9, 20), originals[2]},
		{originals[2].NewSlice(3, 5), originals[0].NewSlice(0, 2)},
	}
	originals[2].Retain()
	defer func() {
		for i := range messages {
			releaseAll(messages[i])
			releaseAll(want[i])
		}
	}()
	for i, m := range messages {
		var rows int64
		for _, b := range m {
			rows += b.NumRows()
		}
		if _, ok := locateSegments(m, rows); ok != (i < 2) {
			t.Fatalf("message %d: in segments %v", i, ok)
		}
	}

	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	h := identityTask(t, py, in.Schema(), mem)
	got, err := runMessages(t, w, mem, h, in.Schema(), messages)
	defer releaseAll(got)
	if err != nil {
		t.Fatal(err)
	}
	var flat []arrow.RecordBatch
	for _, m := range want {
		flat = append(flat, m...)
	}
	compareColumns(t, mem, in.Schema(), got, flat)
	if len(w.sentSegments) != 1 {
		t.Fatalf("the worker was sent %d segments, want 1", len(w.sentSegments))
	}
	if w.arguments == nil || w.arguments.pos == 0 {
		t.Fatal("the message of rows that are not consecutive did not go through the ring")
	}

	// The task released its references: the segments live exactly as long as batches over them.
	releaseAll(stored)
	if got := SharedSegmentCount() - before; got != 1 {
		t.Fatalf("%d segments left while slices of the stored batches hold them, want 1", got)
	}
	for i := range messages {
		releaseAll(messages[i])
		messages[i] = nil
	}
	if got := SharedSegmentCount(); got != before {
		t.Fatalf("%d segments left after every batch over them was released, want %d", got, before)
	}
	// The worker hears of the freed segments in its next task's header, once.
	config := map[string]string{}
	w.announceSegments(config)
	if ids := strings.Split(config[configFreedSegments], ","); len(ids) != 1 || ids[0] == "" {
		t.Fatalf("freed segments announced: %q", config[configFreedSegments])
	}
	config = map[string]string{}
	w.announceSegments(config)
	if config[configFreedSegments] != "" {
		t.Fatalf("freed segments announced twice: %q", config[configFreedSegments])
	}
	// And the worker, told so, still runs tasks over new segments.
	stored = placeAll(t, []arrow.RecordBatch{in})
	defer releaseAll(stored)
	got2, err := runMessages(t, w, mem, h, in.Schema(), [][]arrow.RecordBatch{stored})
	defer releaseAll(got2)
	if err != nil {
		t.Fatal(err)
	}
	compareColumns(t, mem, in.Schema(), got2, []arrow.RecordBatch{in})
}

// compareColumns compares the concatenations of got and want column by column.
func compareColumns(t *testing.T, mem memory.Allocator, schema *arrow.Schema, got, want []arrow.RecordBatch) {
	t.Helper()
	for c, f := range schema.Fields() {
		var gotParts, wantParts []arrow.Array
		for _, b := range got {
			gotParts = append(gotParts, b.Column(c))
		}
		for _, b := range want {
			wantParts = append(wantParts, b.Column(c))
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

// A column whose first nulls come after null-free batches: the rows before are marked valid then,
// and batches after them write their validity too, so a message across all of them has one bitmap.
func TestSharedSegmentValidityStartsWithTheFirstNulls(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	before := SharedSegmentCount()
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	batch := func(values, flags, strings string) arrow.RecordBatch {
		b, _, err := array.RecordFromJSON(mem, schema, stringsReader(`[`+rows(values, flags, strings)+`]`))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	originals := []arrow.RecordBatch{
		batch("1 2 3 4 5", "t f t f t", "a b c d e"),
		batch("6 null 8 9 10 null 12", "f null t t f f null", "f g h i j k l"),
		batch("13 14 15 16", "t t f f", "m n o p"),
	}
	defer releaseAll(originals)
	stored := placeAll(t, originals)
	defer releaseAll(stored)
	if got := SharedSegmentCount() - before; got != 1 {
		t.Fatalf("%d segments for one partition's two fixed-width columns", got)
	}
	if stored[0].Column(0).Data().Buffers()[0] != nil {
		t.Fatal("a batch without nulls got a validity buffer")
	}
	// A message holds the UDF's arguments only: the fixed-width columns (with the string column it
	// cannot go in segments).
	cut := [][2]int64{{3, 5}, {0, 7}, {0, 3}}
	arguments := arrow.NewSchema(schema.Fields()[:2], nil)
	var pieces, withText []arrow.RecordBatch
	for i, c := range cut {
		slice := stored[i].NewSlice(c[0], c[1])
		withText = append(withText, slice)
		pieces = append(pieces, array.NewRecordBatch(arguments, slice.Columns()[:2], slice.NumRows()))
	}
	defer releaseAll(pieces)
	defer releaseAll(withText)
	if _, ok := locateSegments(withText, 12); ok {
		t.Fatal("a message with a string column was found in segments")
	}
	ranges, ok := locateSegments(pieces, 12)
	if !ok {
		t.Fatal("consecutive rows of one segment were not found as one range")
	}
	if ranges[0].arrayOffset != 3 || ranges[0].nulls != 2 || ranges[0].validityLength == 0 {
		t.Fatalf("range %+v", ranges[0])
	}
	// The worker's view of the range, built as the worker builds it, equals the pieces joined.
	for c := range 2 {
		r := ranges[c]
		s := r.column.segment
		var validity *memory.Buffer
		if r.validityLength > 0 {
			validity = memory.NewBufferBytes(s.data[r.validityOffset : r.validityOffset+r.validityLength])
		}
		values := memory.NewBufferBytes(s.data[r.valuesOffset : r.valuesOffset+r.valuesLength])
		data := array.NewData(schema.Field(c).Type, 12, []*memory.Buffer{validity, values}, nil, int(r.nulls), int(r.arrayOffset))
		view := array.MakeFromData(data)
		parts := []arrow.Array{pieces[0].Column(c), pieces[1].Column(c), pieces[2].Column(c)}
		want, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(view, want) {
			t.Errorf("column %d: the range reads %v, the pieces are %v", c, view, want)
		}
		view.Release()
		data.Release()
		want.Release()
	}
	// The string column stays where it was.
	if stored[1].Column(2).(*array.String).Value(3) != "i" {
		t.Fatal("the string column changed")
	}
}

func stringsReader(s string) *strings.Reader { return strings.NewReader(s) }

// rows turns space-separated column values into JSON objects ("t"/"f" booleans, "null").
func rows(values, flags, texts string) string {
	v, f, s := strings.Fields(values), strings.Fields(flags), strings.Fields(texts)
	out := make([]string, len(v))
	for i := range v {
		flag := map[string]string{"t": "true", "f": "false", "null": "null"}[f[i]]
		out[i] = `{"v": ` + v[i] + `, "flag": ` + flag + `, "s": "` + s[i] + `"}`
	}
	return strings.Join(out, ",")
}

// A descriptor that is not the segment the frame names (as after the server reused the number)
// is refused by the worker after mapping it, with a clear error; the worker stays in step and
// serves the next task.
func TestAWorkerRefusesADescriptorThatIsNotTheNamedSegment(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	in := argumentBatch(t, mem)
	defer in.Release()
	stored := placeAll(t, []arrow.RecordBatch{in})
	defer releaseAll(stored)
	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	h := identityTask(t, py, in.Schema(), mem)

	ranges, ok := locateSegments(stored, in.NumRows())
	if !ok {
		t.Fatal("a placed batch was not found in segments")
	}
	// The first column's frame names another segment id over the same (duplicated) descriptor.
	genuine := ranges[0].column.segment
	fd, err := unix.Dup(genuine.fd)
	if err != nil {
		t.Fatal(err)
	}
	impostor := &sharedSegment{id: genuine.id + 1<<40, fd: fd, size: genuine.size}
	impostor.references.Store(1) // the task's reference is added by writeSegmentFrame
	region := *ranges[0].column
	region.segment = impostor
	ranges[0].column = &region
	task, err := w.StartTask(context.Background(), h, TaskOptions{Allocator: mem, Describe: "identity", ResultRing: true, ArgumentRing: true})
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		if err := task.writeSegmentFrame(ranges, in.NumRows()); err != nil {
			errc <- err
			return
		}
		errc <- task.CloseInput(in.Schema())
	}()
	var readErr error
	for {
		b, err := task.ReadBatch()
		if err != nil {
			readErr = err
			break
		}
		b.Release()
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	task.Finish()
	impostor.release()
	if readErr == nil || !strings.Contains(readErr.Error(), "is not the server's shared segment") {
		t.Fatalf("got %v, want the worker to refuse the descriptor", readErr)
	}
	// The same worker, in step, runs the real frames next.
	got, err := runMessages(t, w, mem, h, in.Schema(), [][]arrow.RecordBatch{stored})
	defer releaseAll(got)
	if err != nil {
		t.Fatal(err)
	}
	compareColumns(t, mem, in.Schema(), got, []arrow.RecordBatch{in})
}

// TestAWorkerThatCannotOpenDescriptorsGetsTheRing: a worker says in its hello whether it may open
// this process's descriptors through /proc (here it may: same user). One that may not is never
// sent S frames: stored columns take the argument ring, and the answers are the same.
func TestAWorkerThatCannotOpenDescriptorsGetsTheRing(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p, py := newTestPool(t, 1)
	in := argumentBatch(t, mem)
	defer in.Release()
	stored := placeAll(t, []arrow.RecordBatch{in})
	defer releaseAll(stored)

	w, err := p.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Release(w)
	if !w.canMapSegments {
		t.Fatal("a worker of the same user said it cannot open the executor's descriptors")
	}
	w.canMapSegments = false // as a worker that cannot would say
	stored[0].Retain()
	messages := [][]arrow.RecordBatch{{stored[0]}}
	defer releaseAll(messages[0])
	got, err := runMessages(t, w, mem, identityTask(t, py, in.Schema(), mem), in.Schema(), messages)
	defer releaseAll(got)
	if err != nil {
		t.Fatal(err)
	}
	compareColumns(t, mem, in.Schema(), got, []arrow.RecordBatch{in})
	if len(w.sentSegments) != 0 {
		t.Fatalf("the worker was sent %d segments", len(w.sentSegments))
	}
	if w.arguments == nil || w.arguments.pos == 0 {
		t.Fatal("the stored columns did not go through the ring")
	}
}
