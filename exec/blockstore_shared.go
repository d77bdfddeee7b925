package exec

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
	"github.com/quiverdata/quiver/udf"
)

// PlaceShared moves the given columns (stored ordinals; nil: all) of one partition of a stored
// DataFrame into shared segments the Python workers map (udf.PlaceColumns), so that a UDF's
// arguments read from them reach the workers without a copy. The first task to need it pays the
// copy; the partition's batches are swapped under the store's lock, and readers holding the old
// ones keep them (batches are refcounted). Nothing happens when the columns are there already.
func (s *BlockStore) PlaceShared(id string, partition int, columns []int) {
	s.mu.RLock()
	f, ok := s.frames[id]
	if !ok || partition < 0 || partition >= len(f.Partitions) {
		s.mu.RUnlock()
		return
	}
	original := f.Partitions[partition]
	batches := make([]arrow.RecordBatch, len(original))
	for i, b := range original {
		b.Retain()
		batches[i] = b
	}
	s.mu.RUnlock()
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	placed := udf.PlaceColumns(batches, columns)
	if placed == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	current, ok := s.frames[id]
	if ok && current == f && samePartition(f.Partitions[partition], original) {
		for _, b := range f.Partitions[partition] {
			b.Release()
		}
		f.Partitions[partition] = placed
		return
	}
	// The frame was replaced, dropped or placed by another task meanwhile.
	for _, b := range placed {
		b.Release()
	}
}

func samePartition(a, b []arrow.RecordBatch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// placeStoredArguments places in shared segments the stored columns a scalar Python UDF reads as
// arguments, for the task's partition: those its argument references name, of each stored scan in
// the UDF's input pipeline (down to an exchange). A column renamed on the way is not found and goes
// through the argument ring, as any computed argument does.
func placeStoredArguments(tc *TaskContext, node *physical.PythonEval, partition int) {
	names := map[string]bool{}
	for _, c := range node.Calls {
		for _, argument := range pythonChain(c)[0].Args {
			logical.Walk(argument, func(e logical.Expr) bool {
				switch column := e.(type) {
				case *logical.BoundRef:
					names[column.ColumnName] = true
				case *logical.ColumnRef:
					names[column.ColumnName] = true
				}
				return true
			})
		}
	}
	if len(names) > 0 && tc.Store != nil {
		placeStoredColumns(tc, node.Input, partition, names)
	}
}

func placeStoredColumns(tc *TaskContext, n physical.Node, partition int, names map[string]bool) {
	switch x := n.(type) {
	case *physical.Exchange:
		return
	case *physical.StoredScan:
		var columns []int
		for i, f := range x.OutSchema.Fields() {
			if !names[f.Name] {
				continue
			}
			if x.Projection != nil {
				columns = append(columns, x.Projection[i])
			} else {
				columns = append(columns, i)
			}
		}
		if len(columns) > 0 {
			tc.Store.PlaceShared(x.DataFrameID, partition, columns)
		}
		return
	}
	for _, c := range n.Children() {
		placeStoredColumns(tc, c, partition, names)
	}
}
