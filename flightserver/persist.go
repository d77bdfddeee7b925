package flightserver

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/exec"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	RegisterAction(ActionHandler{Type: "quiver.persist",
		Description: "Materialize a plan in the block store: cache, persist, checkpoint (ActionPersist -> CreateDataFrameResult)",
		New:         func() proto.Message { return &pb.ActionPersist{} }, Handler: persistAction})
}

// persistAction runs a plan to the end and stores its partitions as a DataFrame owned by the
// session; the client then reads it through a CachedDataFrame relation.
func persistAction(s *Server, ctx context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionPersist)
	q, err := s.PlanProto(session, req.Plan)
	if err != nil {
		return nil, err
	}
	parts, _, _, err := exec.CollectResult(ctx, s.TaskContext(session), q.Physical)
	if err != nil {
		return nil, err
	}
	frame := &exec.StoredFrame{ID: newID(), Owner: session.ID, Schema: q.Schema(), Partitions: make([][]arrow.RecordBatch, 0, len(parts))}
	for _, p := range parts {
		var kept []arrow.RecordBatch
		for _, b := range p {
			if b.NumRows() == 0 {
				b.Release()
				continue
			}
			frame.NumRows += b.NumRows()
			frame.NumBytes += exec.BatchBytes(b)
			kept = append(kept, b)
		}
		frame.Partitions = append(frame.Partitions, kept)
	}
	s.store.Put(frame)
	return []proto.Message{&pb.CreateDataFrameResult{DataframeId: frame.ID, NumRows: frame.NumRows,
		NumPartitions: int32(len(frame.Partitions)), NumBytes: frame.NumBytes}}, nil
}
