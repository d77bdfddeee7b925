package flightserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

const flightSQLPrefix = "type.googleapis.com/arrow.flight.protocol.sql."

// Handshake checks the presented token and answers with a bearer token bound to a new session.
func (s *Server) Handshake(stream flight.FlightService_HandshakeServer) error {
	req, err := stream.Recv()
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	var payload []byte
	if req != nil {
		payload = req.Payload
	}
	if _, ok := s.splitBearer(handshakeToken(stream.Context(), payload)); s.cfg.Token != "" && !ok {
		s.log.Info("rejected call", zapMethod(handshakeMethod), zap.String("reason", "handshake with a wrong or missing token"))
		return status.Error(codes.Unauthenticated, "invalid token: present the server's token as the password (basic auth), as a bearer token, or as the handshake payload")
	}
	session := newID()
	s.log.Debug("session opened", zap.String("session", session))
	bearer := s.cfg.Token + "." + session
	if err := stream.SendHeader(metadata.Pairs(authorizationHeader, "Bearer "+bearer)); err != nil {
		return err
	}
	return stream.Send(&flight.HandshakeResponse{Payload: []byte(bearer)})
}

// unpackCommand reads the Any in a command descriptor or ticket.
func unpackCommand(raw []byte) (*anypb.Any, error) {
	var a anypb.Any
	if err := proto.Unmarshal(raw, &a); err != nil || a.TypeUrl == "" {
		return nil, errkind.Invalid("the command is not a google.protobuf.Any holding a Quiver or Flight SQL command")
	}
	return &a, nil
}

func (s *Server) session(ctx context.Context) *Session { return s.sessions.get(sessionFrom(ctx)) }

// GetFlightInfo plans a query and answers with its schema and one endpoint per result partition.
func (s *Server) GetFlightInfo(ctx context.Context, desc *flight.FlightDescriptor) (info *flight.FlightInfo, err error) {
	defer s.recoverAs(&err, "GetFlightInfo")
	var plan *pb.Plan
	switch desc.GetType() {
	case flight.DescriptorPATH:
		if len(desc.Path) != 1 {
			return nil, status.Error(codes.InvalidArgument, "a path descriptor must have exactly one element: a DataFrame id or view name")
		}
		plan = readPlan(desc.Path[0])
	case flight.DescriptorCMD:
		cmd, err := unpackCommand(desc.Cmd)
		if err != nil {
			return nil, ToStatus(err)
		}
		if strings.HasPrefix(cmd.TypeUrl, flightSQLPrefix) {
			return s.sqlServer().GetFlightInfo(ctx, desc)
		}
		var exe pb.CommandExecutePlan
		if cmd.MessageIs(&exe) {
			if err := cmd.UnmarshalTo(&exe); err != nil {
				return nil, status.Errorf(codes.InvalidArgument, "malformed CommandExecutePlan: %v", err)
			}
			plan = exe.Plan
		} else {
			return nil, status.Errorf(codes.InvalidArgument, "unknown command %q for GetFlightInfo: send quiver.v1.CommandExecutePlan or a Flight SQL command", cmd.TypeUrl)
		}
	default:
		return nil, status.Error(codes.InvalidArgument, "the descriptor has no type: use a command or a path")
	}
	session := s.session(ctx)
	q, err := s.PlanProto(session, plan)
	if err != nil {
		return nil, ToStatus(err)
	}
	return s.issueTickets(ctx, session, q, desc)
}

// issueTickets runs the query's earlier stages and registers a ticket per result partition.
func (s *Server) issueTickets(ctx context.Context, session *Session, q *Query, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if err := q.Prepare(ctx, s.TaskContext(session)); err != nil {
		return nil, ToStatus(err)
	}
	n := q.Physical.NumPartitions()
	q.remaining.Store(int32(n))
	endpoints := make([]*flight.FlightEndpoint, n)
	for i := 0; i < n; i++ {
		handle := s.tickets.add(session.ID, q, i)
		t, err := anypb.New(&pb.TicketResultPartition{Handle: handle})
		if err != nil {
			return nil, ToStatus(err)
		}
		raw, err := proto.Marshal(t)
		if err != nil {
			return nil, ToStatus(err)
		}
		endpoints[i] = &flight.FlightEndpoint{Ticket: &flight.Ticket{Ticket: raw}}
	}
	if n == 0 {
		q.Release()
	}
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(q.Schema(), s.mem),
		FlightDescriptor: desc,
		Endpoint:         endpoints,
		TotalRecords:     -1,
		TotalBytes:       -1,
		Ordered:          true,
	}, nil
}

func readPlan(name string) *pb.Plan {
	return &pb.Plan{Root: &pb.Relation{RelType: &pb.Relation_Read{Read: &pb.Read{ReadType: &pb.Read_NamedTable_{NamedTable: &pb.Read_NamedTable{UnparsedIdentifier: name}}}}}}
}

// GetSchema plans a query and answers with its schema only.
func (s *Server) GetSchema(ctx context.Context, desc *flight.FlightDescriptor) (res *flight.SchemaResult, err error) {
	defer s.recoverAs(&err, "GetSchema")
	if desc.GetType() == flight.DescriptorCMD {
		if cmd, err := unpackCommand(desc.Cmd); err == nil && strings.HasPrefix(cmd.TypeUrl, flightSQLPrefix) {
			return s.sqlServer().GetSchema(ctx, desc)
		}
	}
	var plan *pb.Plan
	if desc.GetType() == flight.DescriptorPATH && len(desc.Path) == 1 {
		plan = readPlan(desc.Path[0])
	} else {
		cmd, err := unpackCommand(desc.Cmd)
		if err != nil {
			return nil, ToStatus(err)
		}
		var exe pb.CommandExecutePlan
		if err := cmd.UnmarshalTo(&exe); err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "GetSchema needs a CommandExecutePlan or a path, got %q", cmd.TypeUrl)
		}
		plan = exe.Plan
	}
	q, err := s.PlanProto(s.session(ctx), plan)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(q.Schema(), s.mem)}, nil
}

// DoGet streams one result partition.
func (s *Server) DoGet(ticket *flight.Ticket, stream flight.FlightService_DoGetServer) (err error) {
	defer s.recoverAs(&err, "DoGet")
	cmd, err := unpackCommand(ticket.Ticket)
	if err != nil {
		return ToStatus(err)
	}
	if strings.HasPrefix(cmd.TypeUrl, flightSQLPrefix) {
		return s.sqlServer().DoGet(ticket, stream)
	}
	var t pb.TicketResultPartition
	if !cmd.MessageIs(&t) {
		return status.Errorf(codes.InvalidArgument, "unknown ticket %q: DoGet takes tickets from GetFlightInfo", cmd.TypeUrl)
	}
	if err := cmd.UnmarshalTo(&t); err != nil {
		return status.Errorf(codes.InvalidArgument, "malformed ticket: %v", err)
	}
	res, err := s.tickets.claim(t.Handle, sessionFrom(stream.Context()))
	if err != nil {
		return ToStatus(err)
	}
	defer res.query.partitionDone()
	ctx := stream.Context()
	tc := s.TaskContext(res.query.Session)
	op, err := exec.Build(tc, res.query.Physical, res.partition)
	if err != nil {
		return ToStatus(err)
	}
	return ToStatus(StreamOperator(ctx, op, stream, s))
}

// StreamOperator runs an operator and writes its batches to a Flight stream. It releases every
// batch and closes the operator on all paths, including a client that goes away mid-stream.
func StreamOperator(ctx context.Context, op exec.Operator, stream flight.DataStreamWriter, s *Server) error {
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return err
	}
	w := flight.NewRecordWriter(stream, ipc.WithSchema(op.Schema()), ipc.WithAllocator(s.mem))
	defer w.Close()
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: the client went away: %v", errkind.ErrCanceled, err)
		}
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		err = w.Write(b)
		b.Release()
		if err != nil {
			return err
		}
	}
}

// DoPut stores an uploaded stream as a DataFrame (CommandCreateDataFrame or a path descriptor),
// or hands Flight SQL updates to the Flight SQL handler.
func (s *Server) DoPut(stream flight.FlightService_DoPutServer) (err error) {
	defer s.recoverAs(&err, "DoPut")
	first, err := stream.Recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return status.Error(codes.InvalidArgument, "empty DoPut: send a descriptor and an Arrow schema first")
		}
		return err
	}
	desc := first.FlightDescriptor
	if desc == nil {
		return status.Error(codes.InvalidArgument, "DoPut's first message has no flight descriptor: put a CommandCreateDataFrame (or a path) in it")
	}
	replay := &replayStream{FlightService_DoPutServer: stream, first: first}
	var viewName string
	var cmd pb.CommandCreateDataFrame
	switch desc.GetType() {
	case flight.DescriptorPATH:
		if len(desc.Path) != 1 || desc.Path[0] == "" {
			return status.Error(codes.InvalidArgument, "a path descriptor for DoPut must have one non-empty element: the view name to create")
		}
		viewName = desc.Path[0]
	case flight.DescriptorCMD:
		a, err := unpackCommand(desc.Cmd)
		if err != nil {
			return ToStatus(err)
		}
		if strings.HasPrefix(a.TypeUrl, flightSQLPrefix) {
			return s.sqlServer().DoPut(replay)
		}
		if !a.MessageIs(&cmd) {
			return status.Errorf(codes.InvalidArgument, "unknown command %q for DoPut: send quiver.v1.CommandCreateDataFrame", a.TypeUrl)
		}
		if err := a.UnmarshalTo(&cmd); err != nil {
			return status.Errorf(codes.InvalidArgument, "malformed CommandCreateDataFrame: %v", err)
		}
	default:
		return status.Error(codes.InvalidArgument, "the descriptor has no type: use a command or a path")
	}
	session := s.session(stream.Context())
	rowsPerPartition := s.cfg.RowsPerPartition
	if cmd.RowsPerPartition != nil && *cmd.RowsPerPartition > 0 {
		rowsPerPartition = *cmd.RowsPerPartition
	}
	frame, err := s.receiveFrame(replay, rowsPerPartition)
	if err != nil {
		return ToStatus(err)
	}
	frame.Owner = session.ID
	s.store.Put(frame)
	if viewName != "" {
		if err := session.setView(viewName, readPlan(frame.ID), true); err != nil {
			return ToStatus(err)
		}
	}
	s.log.Info("stored DataFrame", zap.String("session", session.ID), zap.String("id", frame.ID),
		zap.Int64("rows", frame.NumRows), zap.Int("partitions", len(frame.Partitions)), zap.Int64("bytes", frame.NumBytes))
	meta, err := proto.Marshal(&pb.CreateDataFrameResult{DataframeId: frame.ID, NumRows: frame.NumRows, NumPartitions: int32(len(frame.Partitions)), NumBytes: frame.NumBytes})
	if err != nil {
		return ToStatus(err)
	}
	return stream.Send(&flight.PutResult{AppMetadata: meta})
}

// receiveFrame reads an Arrow IPC stream into partitions. On any error it releases what it read.
func (s *Server) receiveFrame(stream flight.DataStreamReader, rowsPerPartition int64) (frame *exec.StoredFrame, err error) {
	var partitions [][]arrow.RecordBatch
	var current []arrow.RecordBatch
	var currentRows, rows, bytes int64
	release := func() {
		for _, p := range append(partitions, current) {
			for _, b := range p {
				b.Release()
			}
		}
	}
	defer func() {
		if r := recover(); r != nil {
			release()
			frame = nil
			err = errkind.Invalid("malformed Arrow IPC stream in DoPut: %v", r)
		}
	}()
	checked := &checkedStream{DataStreamReader: stream}
	rdr, err := flight.NewRecordReader(checked, ipc.WithAllocator(s.mem))
	if err != nil {
		if st, ok := status.FromError(err); ok && st.Code() == codes.Canceled {
			return nil, fmt.Errorf("%w: the client went away during the upload; nothing was stored", errkind.ErrCanceled)
		}
		return nil, errkind.Invalid("malformed Arrow IPC stream in DoPut: %v (send an Arrow IPC stream: a schema message, then record batches)", err)
	}
	defer rdr.Release()
	schema := rdr.Schema()
	checked.schema = schema
	for rdr.Next() {
		b := rdr.RecordBatch()
		if err := exec.ValidateBatch(schema, b); err != nil {
			release()
			return nil, fmt.Errorf("invalid record batch in DoPut after %d rows: %w; nothing was stored", rows, err)
		}
		if b.NumRows() == 0 {
			continue
		}
		b.Retain()
		current = append(current, b)
		currentRows += b.NumRows()
		rows += b.NumRows()
		bytes += exec.BatchBytes(b)
		if currentRows >= rowsPerPartition {
			partitions = append(partitions, current)
			current, currentRows = nil, 0
		}
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		release()
		if st, ok := status.FromError(err); ok && st.Code() == codes.Canceled {
			return nil, fmt.Errorf("%w: the client went away during the upload; nothing was stored", errkind.ErrCanceled)
		}
		return nil, errkind.Invalid("malformed Arrow IPC stream in DoPut after %d rows: %v; nothing was stored", rows, err)
	}
	if len(current) > 0 || len(partitions) == 0 {
		partitions = append(partitions, current)
	}
	return &exec.StoredFrame{ID: newID(), Schema: schema, Partitions: partitions, NumRows: rows, NumBytes: bytes}, nil
}

// replayStream hands back the first message of a DoPut before reading the rest.
type replayStream struct {
	flight.FlightService_DoPutServer
	first *flight.FlightData
}

func (r *replayStream) Recv() (*flight.FlightData, error) {
	if r.first != nil {
		f := r.first
		r.first = nil
		return f, nil
	}
	return r.FlightService_DoPutServer.Recv()
}

// ListFlights lists the session's DataFrames and temp views; each descriptor can be passed to
// GetFlightInfo to read it.
func (s *Server) ListFlights(_ *flight.Criteria, stream flight.FlightService_ListFlightsServer) (err error) {
	defer s.recoverAs(&err, "ListFlights")
	session := s.session(stream.Context())
	for _, f := range s.store.List(session.ID) {
		info := &flight.FlightInfo{
			Schema:           flight.SerializeSchema(f.Schema, s.mem),
			FlightDescriptor: &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{f.ID}},
			TotalRecords:     f.NumRows, TotalBytes: f.NumBytes,
		}
		if err := stream.Send(info); err != nil {
			return err
		}
	}
	for _, name := range session.ViewNames() {
		q, err := s.PlanProto(session, readPlan(name))
		if err != nil {
			continue // a view over a released DataFrame is listed by DataFrames it can still read
		}
		info := &flight.FlightInfo{
			Schema:           flight.SerializeSchema(q.Schema(), s.mem),
			FlightDescriptor: &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{name}},
			TotalRecords:     -1, TotalBytes: -1,
		}
		if err := stream.Send(info); err != nil {
			return err
		}
	}
	return nil
}

// recoverAs turns a panic in a handler into an Internal error and logs its stack; the server
// keeps serving.
func (s *Server) recoverAs(err *error, method string) {
	if r := recover(); r != nil {
		s.log.Error("panic in handler", zap.String("method", method), zap.Any("panic", r), zap.ByteString("stack", debug.Stack()))
		*err = status.Errorf(codes.Internal, "internal error in %s: %v (this is a Quiver bug; the server is still running)", method, r)
	}
}

func (s *Server) sqlServer() flight.FlightServer {
	if s.sql == nil {
		return &unimplementedSQL{}
	}
	return s.sql
}

type unimplementedSQL struct{ flight.BaseFlightServer }

// partitionDone counts a served (or expired) partition and frees the query after the last.
func (q *Query) partitionDone() {
	if q.remaining.Add(-1) == 0 {
		q.Release()
	}
}
