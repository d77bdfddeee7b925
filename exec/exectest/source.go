package exectest

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/physical"
)

// Table is a test input: a schema and partitions of rows.
type Table struct {
	Schema     *arrow.Schema
	Partitions []Rows
}

// NewTable returns a one-partition table.
func NewTable(schema *arrow.Schema, rows Rows) Table {
	return Table{Schema: schema, Partitions: []Rows{rows}}
}

// AllRows is every partition's rows in partition order.
func (t Table) AllRows() Rows {
	var out Rows
	for _, p := range t.Partitions {
		out = append(out, p...)
	}
	return out
}

// Source is a physical leaf node that replays a Table: partition i yields the rows of
// Partitions[i] in batches of the task's BatchSize. Put it under the node being tested so the
// real builders (exec.Build) run the plan; the harness varies BatchSize.
type Source struct {
	Table Table
	// Label tells sources apart in plan output.
	Label string
}

func (s *Source) Schema() *arrow.Schema     { return s.Table.Schema }
func (s *Source) Children() []physical.Node { return nil }
func (s *Source) NumPartitions() int        { return max(len(s.Table.Partitions), 1) }
func (s *Source) Describe() string {
	return fmt.Sprintf("TestSource %s partitions=%d", s.Label, s.NumPartitions())
}

func init() {
	exec.RegisterBuilder(&Source{}, buildSource)
}

func buildSource(tc *exec.TaskContext, n physical.Node, partition int) (exec.Operator, error) {
	s := n.(*Source)
	var rows Rows
	if partition < len(s.Table.Partitions) {
		rows = s.Table.Partitions[partition]
	}
	size := tc.BatchSize
	if size <= 0 {
		size = exec.DefaultBatchSize
	}
	sliced, _ := tc.Extensions[slicedInputsKey].(bool)
	var batches []arrow.RecordBatch
	for start := 0; start < len(rows); start += size {
		chunk := rows[start:min(start+size, len(rows))]
		var b arrow.RecordBatch
		var err error
		if sliced {
			b, err = makeSlicedBatch(tc, s.Table.Schema, chunk)
		} else {
			b, err = MakeBatch(tc.Allocator, s.Table.Schema, chunk)
		}
		if err != nil {
			for _, done := range batches {
				done.Release()
			}
			return nil, err
		}
		batches = append(batches, b)
	}
	return exec.NewBatchSource(s.Table.Schema, batches), nil
}

// slicedInputsKey in TaskContext.Extensions makes sources yield slices of larger batches, so
// every array has a non-zero offset: operators must honour Offset() everywhere.
const slicedInputsKey = "exectest.slicedInputs"

const slicePadding = 3

func makeSlicedBatch(tc *exec.TaskContext, schema *arrow.Schema, rows Rows) (arrow.RecordBatch, error) {
	padded := make(Rows, 0, len(rows)+2*slicePadding)
	pad := make([]any, schema.NumFields())
	for i := 0; i < slicePadding; i++ {
		padded = append(padded, pad)
	}
	padded = append(padded, rows...)
	for i := 0; i < slicePadding; i++ {
		padded = append(padded, pad)
	}
	whole, err := MakeBatch(tc.Allocator, schema, padded)
	if err != nil {
		return nil, err
	}
	defer whole.Release()
	return whole.NewSlice(slicePadding, int64(slicePadding+len(rows))), nil
}

// StoreTable puts a table in the task's block store as DataFrame id, each partition in batches
// of tc.BatchSize (sliced when the run slices inputs), for tests of scans over stored data.
func StoreTable(tc *exec.TaskContext, id string, table Table) error {
	frame := &exec.StoredFrame{ID: id, Schema: table.Schema}
	for p := range table.Partitions {
		op, err := buildSource(tc, &Source{Table: table}, p)
		if err != nil {
			return err
		}
		source := op.(*exec.BatchSource)
		var batches []arrow.RecordBatch
		for {
			b, err := source.Next(context.Background())
			if err != nil {
				break
			}
			frame.NumRows += b.NumRows()
			frame.NumBytes += exec.BatchBytes(b)
			batches = append(batches, b)
		}
		frame.Partitions = append(frame.Partitions, batches)
	}
	tc.Store.Put(frame)
	return nil
}
