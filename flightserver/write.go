package flightserver

import (
	"context"

	"go.uber.org/zap"
	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	RegisterAction(ActionHandler{Type: "quiver.write", Description: "Write a plan's rows as Parquet, CSV or JSON files (ActionWrite -> WriteResult)",
		New: func() proto.Message { return &pb.ActionWrite{} }, Handler: writeAction})
}

func writeAction(s *Server, ctx context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.ActionWrite)
	if req.TableName != "" {
		q, err := s.PlanProto(session, req.Plan)
		if err != nil {
			return nil, err
		}
		return nil, s.SaveAsTable(ctx, session, q, req.TableName, req.Format, req.Mode) // tables.go
	}
	if req.Path == "" {
		return nil, errkind.Invalid("df.write needs a path: call .save(path), .parquet(path), .csv(path) or .json(path)")
	}
	q, err := s.PlanProto(session, req.Plan)
	if err != nil {
		return nil, err
	}
	res, err := s.WriteQuery(ctx, session, q, arrowio.WriteSpec{
		Path: req.Path, Format: req.Format, Mode: req.Mode, PartitionBy: req.PartitionBy, Options: req.Options,
	})
	if err != nil {
		return nil, err
	}
	return []proto.Message{&pb.WriteResult{NumRows: res.NumRows, NumFiles: int32(res.NumFiles)}}, nil
}

// WriteQuery runs a planned query and writes its rows to spec.Path (a server-side path) in
// spec.Format with spec.Mode; the write is atomic (staged, then renamed into place). The SQL
// front end's CREATE TABLE / INSERT build on it.
func (s *Server) WriteQuery(ctx context.Context, session *Session, q *Query, spec arrowio.WriteSpec) (arrowio.WriteResult, error) {
	tc := s.TaskContext(session)
	if spec.TimeZone == "" {
		spec.TimeZone = tc.SessionTimeZone
	}
	res, err := exec.WritePlan(ctx, tc, q.Physical, spec)
	if err != nil {
		s.log.Info("write failed", zap.String("session", session.ID), zap.String("path", spec.Path), zap.Error(err))
		return res, err
	}
	s.log.Info("wrote files", zap.String("session", session.ID), zap.String("path", spec.Path), zap.String("format", spec.Format),
		zap.Int64("rows", res.NumRows), zap.Int("files", res.NumFiles), zap.Bool("skipped", res.Skipped))
	return res, nil
}
