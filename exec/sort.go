package exec

import (
	"container/heap"
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

func init() {
	RegisterBuilder(&physical.Sort{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Sort)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		return NewSort(tc, in, node.Order, node.Limit), nil
	})
	RegisterBuilder(&physical.Tail{}, func(tc *TaskContext, n physical.Node, partition int) (Operator, error) {
		node := n.(*physical.Tail)
		in, err := Build(tc, node.Input, partition)
		if err != nil {
			return nil, err
		}
		return &tailOperator{tc: tc, input: in, count: node.Count}, nil
	})
}

// sortOperator sorts its whole input. Rows are buffered and accounted in the memory pool; past
// the limit the buffer is sorted and written to a spill file (an Arrow IPC run), and at the end
// the runs are merged k ways. With a limit only the top rows are kept, so it never spills.
type sortOperator struct {
	tc     *TaskContext
	input  Operator
	orders []*logical.SortOrder
	limit  int64
	res    *MemoryReservation

	buffered     []arrow.RecordBatch
	bufferedRows int64
	runs         []*arrowio.SpillFile
	prepared     bool

	// in-memory output
	sorted  arrow.RecordBatch
	indices []int32
	pos     int

	merge *runMerger
}

// NewSort returns an operator sorting input by orders (bound to its schema); limit > 0 keeps only
// the first limit rows. It takes ownership of input.
func NewSort(tc *TaskContext, input Operator, orders []*logical.SortOrder, limit int64) Operator {
	return &sortOperator{tc: tc, input: input, orders: orders, limit: limit}
}

func (s *sortOperator) Open(ctx context.Context) error {
	s.res = s.tc.MemoryPool().NewReservation("Sort")
	return s.input.Open(ctx)
}

func (s *sortOperator) Schema() *arrow.Schema { return s.input.Schema() }

func (s *sortOperator) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !s.prepared {
		if err := s.consume(ctx); err != nil {
			return nil, err
		}
		s.prepared = true
	}
	if s.merge != nil {
		return s.merge.next(ctx)
	}
	if s.sorted == nil || s.pos >= len(s.indices) {
		return nil, io.EOF
	}
	end := min(s.pos+s.tc.BatchSize, len(s.indices))
	idx := int32Indices(s.tc, s.indices[s.pos:end])
	defer idx.Release()
	s.pos = end
	return takeRecordRows(ctx, s.tc, s.sorted, idx)
}

func (s *sortOperator) consume(ctx context.Context) error {
	for {
		b, err := s.input.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		s.buffered = append(s.buffered, b)
		s.bufferedRows += b.NumRows()
		fits := s.res.TryGrow(BatchBytes(b))
		if s.limit > 0 {
			if !fits || s.bufferedRows > max(2*s.limit, int64(s.tc.BatchSize)) {
				// Top-K: keep only the first limit rows of what is buffered.
				if err := s.compact(ctx); err != nil {
					return err
				}
			}
			continue
		}
		if !fits {
			if err := s.spillBuffered(ctx); err != nil {
				return err
			}
		}
	}
	if len(s.runs) == 0 {
		return s.sortBuffered(ctx)
	}
	if len(s.buffered) > 0 {
		if err := s.spillBuffered(ctx); err != nil {
			return err
		}
	}
	m, err := newRunMerger(ctx, s.tc, s.input.Schema(), s.orders, s.runs)
	if err != nil {
		return err
	}
	s.runs = nil
	s.merge = m
	return nil
}

// sortBuffered concatenates the buffered batches into s.sorted with its sorted row order.
func (s *sortOperator) sortBuffered(ctx context.Context) error {
	all, err := concatRecordBatches(s.tc, s.input.Schema(), s.buffered)
	if err != nil {
		return err
	}
	s.releaseBuffered()
	ec := &EvalContext{Ctx: ctx, Task: s.tc}
	keys, err := evalSortKeys(ec, s.orders, all)
	if err != nil {
		all.Release()
		return err
	}
	defer releaseArrayList(keys)
	s.indices = sortIndices(keys, s.orders, int(all.NumRows()))
	if s.limit > 0 && int64(len(s.indices)) > s.limit {
		s.indices = s.indices[:s.limit]
	}
	if s.sorted != nil {
		s.sorted.Release()
	}
	s.sorted = all
	s.pos = 0
	// The concatenated batch replaces the buffered ones in the reservation.
	s.res.Free()
	s.res.TryGrow(BatchBytes(all))
	return nil
}

// compact reduces the buffer to its first limit rows in order.
func (s *sortOperator) compact(ctx context.Context) error {
	if err := s.sortBuffered(ctx); err != nil {
		return err
	}
	top, err := s.takeSorted(ctx, 0, len(s.indices))
	if err != nil {
		return err
	}
	s.sorted.Release()
	s.sorted, s.indices = nil, nil
	s.res.Free()
	s.res.TryGrow(BatchBytes(top))
	s.buffered = []arrow.RecordBatch{top}
	s.bufferedRows = top.NumRows()
	return nil
}

func (s *sortOperator) takeSorted(ctx context.Context, from, to int) (arrow.RecordBatch, error) {
	idx := int32Indices(s.tc, s.indices[from:to])
	defer idx.Release()
	return takeRecordRows(ctx, s.tc, s.sorted, idx)
}

// spillBuffered sorts the buffer and writes it as one run.
func (s *sortOperator) spillBuffered(ctx context.Context) error {
	if err := s.sortBuffered(ctx); err != nil {
		return err
	}
	w, err := s.tc.NewSpillFile(s.input.Schema())
	if err != nil {
		return err
	}
	for from := 0; from < len(s.indices); from += s.tc.BatchSize {
		b, err := s.takeSorted(ctx, from, min(from+s.tc.BatchSize, len(s.indices)))
		if err != nil {
			w.Abort()
			return err
		}
		err = w.Write(b)
		b.Release()
		if err != nil {
			w.Abort()
			return err
		}
	}
	f, err := w.Finish()
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f)
	s.sorted.Release()
	s.sorted, s.indices = nil, nil
	s.res.Free()
	return nil
}

func (s *sortOperator) releaseBuffered() {
	for _, b := range s.buffered {
		b.Release()
	}
	s.buffered = nil
	s.bufferedRows = 0
}

func (s *sortOperator) Close() error {
	s.releaseBuffered()
	if s.sorted != nil {
		s.sorted.Release()
		s.sorted = nil
	}
	for _, f := range s.runs {
		f.Close()
	}
	s.runs = nil
	if s.merge != nil {
		s.merge.close()
		s.merge = nil
	}
	if s.res != nil {
		s.res.Free()
	}
	return s.input.Close()
}

// runMerger merges sorted spill runs. Each step concatenates the runs' current batches and
// gathers the next rows in order with one take, stopping when a run's batch is used up.
type runMerger struct {
	tc      *TaskContext
	schema  *arrow.Schema
	orders  []*logical.SortOrder
	cursors []*runCursor
	heap    cursorHeap
}

type runCursor struct {
	file   *arrowio.SpillFile
	reader *arrowio.SpillReader
	batch  arrow.RecordBatch
	keys   []arrow.Array
	row    int
	offset int // of this batch in the step's concatenation
}

func newRunMerger(ctx context.Context, tc *TaskContext, schema *arrow.Schema, orders []*logical.SortOrder, runs []*arrowio.SpillFile) (*runMerger, error) {
	m := &runMerger{tc: tc, schema: schema, orders: orders}
	m.heap.orders = orders
	for _, f := range runs {
		r, err := f.Open(tc.Allocator)
		if err != nil {
			f.Close()
			m.close()
			return nil, err
		}
		c := &runCursor{file: f, reader: r}
		m.cursors = append(m.cursors, c)
		ok, err := m.advance(ctx, c)
		if err != nil {
			m.close()
			return nil, err
		}
		if ok {
			m.heap.items = append(m.heap.items, c)
		}
	}
	heap.Init(&m.heap)
	return m, nil
}

// advance loads the run's next batch; false at the end of the run.
func (m *runMerger) advance(ctx context.Context, c *runCursor) (bool, error) {
	if c.batch != nil {
		c.batch.Release()
		releaseArrayList(c.keys)
		c.batch, c.keys = nil, nil
	}
	for {
		b, err := c.reader.Next()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		keys, err := evalSortKeys(&EvalContext{Ctx: ctx, Task: m.tc}, m.orders, b)
		if err != nil {
			b.Release()
			return false, err
		}
		c.batch, c.keys, c.row = b, keys, 0
		return true, nil
	}
}

func (m *runMerger) next(ctx context.Context) (arrow.RecordBatch, error) {
	if len(m.heap.items) == 0 {
		return nil, io.EOF
	}
	active := append([]*runCursor(nil), m.heap.items...)
	batches := make([]arrow.RecordBatch, len(active))
	offset := 0
	for i, c := range active {
		batches[i] = c.batch
		c.offset = offset
		offset += int(c.batch.NumRows())
	}
	all, err := concatRecordBatches(m.tc, m.schema, batches)
	if err != nil {
		return nil, err
	}
	defer all.Release()
	idx := make([]int32, 0, m.tc.BatchSize)
	var exhausted *runCursor
	for len(idx) < m.tc.BatchSize {
		c := m.heap.items[0]
		idx = append(idx, int32(c.offset+c.row))
		c.row++
		if c.row >= int(c.batch.NumRows()) {
			exhausted = c
			break
		}
		heap.Fix(&m.heap, 0)
	}
	indices := int32Indices(m.tc, idx)
	defer indices.Release()
	out, err := takeRecordRows(ctx, m.tc, all, indices)
	if err != nil {
		return nil, err
	}
	if exhausted != nil {
		ok, err := m.advance(ctx, exhausted)
		if err != nil {
			out.Release()
			return nil, err
		}
		if ok {
			heap.Fix(&m.heap, 0)
		} else {
			heap.Pop(&m.heap)
		}
	}
	return out, nil
}

func (m *runMerger) close() {
	for _, c := range m.cursors {
		if c.batch != nil {
			c.batch.Release()
			releaseArrayList(c.keys)
			c.batch = nil
		}
		c.reader.Close()
		c.file.Close()
	}
	m.cursors = nil
	m.heap.items = nil
}

type cursorHeap struct {
	items  []*runCursor
	orders []*logical.SortOrder
}

func (h *cursorHeap) Len() int { return len(h.items) }
func (h *cursorHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	return compareKeysAt(a.keys, a.row, b.keys, b.row, h.orders) < 0
}
func (h *cursorHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *cursorHeap) Push(x any)    { h.items = append(h.items, x.(*runCursor)) }
func (h *cursorHeap) Pop() any {
	last := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return last
}

// tailOperator keeps the last count rows of its input.
type tailOperator struct {
	tc       *TaskContext
	input    Operator
	count    int64
	kept     []arrow.RecordBatch
	keptRows int64
	prepared bool
}

func (t *tailOperator) Open(ctx context.Context) error { return t.input.Open(ctx) }
func (t *tailOperator) Schema() *arrow.Schema          { return t.input.Schema() }

func (t *tailOperator) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if !t.prepared {
		t.prepared = true
		for {
			b, err := t.input.Next(ctx)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			t.kept = append(t.kept, b)
			t.keptRows += b.NumRows()
			// Drop whole batches that the newer ones already cover.
			for len(t.kept) > 1 && t.keptRows-t.kept[0].NumRows() >= t.count {
				t.keptRows -= t.kept[0].NumRows()
				t.kept[0].Release()
				t.kept = t.kept[1:]
			}
		}
		if len(t.kept) > 0 && t.keptRows > t.count {
			first := t.kept[0]
			skip := t.keptRows - t.count
			t.kept[0] = first.NewSlice(min(skip, first.NumRows()), first.NumRows())
			first.Release()
			t.keptRows = t.count
		}
	}
	for len(t.kept) > 0 {
		b := t.kept[0]
		t.kept = t.kept[1:]
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		return b, nil
	}
	return nil, io.EOF
}

func (t *tailOperator) Close() error {
	for _, b := range t.kept {
		b.Release()
	}
	t.kept = nil
	return t.input.Close()
}
