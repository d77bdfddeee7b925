package exec

import (
	"context"
	"errors"
	"io"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/physical"
)

// WritePlan runs a physical plan and writes its rows as a dataset (df.write...save(path)): each
// result partition is a task writing its own files into the write's staging directory. On
// success the files are committed (renamed into place); on any failure the write is aborted
// and the target is left as it was. With mode ignore and an existing target nothing runs.
func WritePlan(ctx context.Context, tc *TaskContext, node physical.Node, spec arrowio.WriteSpec) (arrowio.WriteResult, error) {
	spec.Schema = node.Schema()
	if spec.TimeZone == "" {
		spec.TimeZone = tc.SessionTimeZone
	}
	w, err := arrowio.BeginWrite(spec, tc.Allocator)
	if err != nil {
		return arrowio.WriteResult{}, err
	}
	if w.Skipped() {
		return w.Commit()
	}
	committed := false
	defer func() {
		if !committed {
			w.Abort()
		}
	}()
	plan := physical.CutStages(node)
	s := NewScheduler(tc)
	defer s.Release()
	err = s.RunAll(ctx, plan, func(ctx context.Context, tc *TaskContext, st *physical.Stage, partition int) error {
		return writePartition(ctx, tc, st.Root, partition, w.NewTask(partition))
	})
	if err != nil {
		return arrowio.WriteResult{}, err
	}
	res, err := w.Commit()
	committed = true
	return res, err
}

func writePartition(ctx context.Context, tc *TaskContext, node physical.Node, partition int, tw *arrowio.TaskWriter) (err error) {
	op, err := Build(tc, node, partition)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := op.Close(); err == nil && cerr != nil {
			err = cerr
		}
		if cerr := tw.Close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	if err := op.Open(ctx); err != nil {
		return err
	}
	for {
		var b arrow.RecordBatch
		b, err = op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if m := tc.Metrics(); m != nil {
			m.RowsOut.Add(b.NumRows())
			m.BytesOut.Add(BatchBytes(b))
		}
		err = tw.Write(b)
		b.Release()
		if err != nil {
			return err
		}
	}
}
