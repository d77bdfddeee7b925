package flightserver_test

import (
	"context"
	"errors"
	"io"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/stretchr/testify/suite"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/quiverdata/quiver/flightserver"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// The server tests run a real server on a loopback port and talk to it with arrow-go's Flight
// client, the way any Flight client would. The server's allocator and the client's are both
// checked: every test ends with zero bytes outstanding on each side.

const testToken = "s3cret-token"

type serverSuite struct {
	suite.Suite
	serverMem *memory.CheckedAllocator
	clientMem *memory.CheckedAllocator
	server    *flightserver.Server
	serveDone chan error
	logs      *observer.ObservedLogs
	client    flight.Client
	// ctx carries the raw bearer token (the default session).
	ctx context.Context
}

func TestServer(t *testing.T) { suite.Run(t, new(serverSuite)) }

func (s *serverSuite) SetupTest() { s.startServer(flightserver.Config{}) }

// startServer starts a server with cfg plus the test's address, token, allocator and logger.
func (s *serverSuite) startServer(cfg flightserver.Config) {
	s.serverMem = memory.NewCheckedAllocator(memory.NewGoAllocator())
	s.clientMem = memory.NewCheckedAllocator(memory.NewGoAllocator())
	core, logs := observer.New(zap.DebugLevel)
	s.logs = logs
	cfg.Addr = "127.0.0.1:0"
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	cfg.Allocator = s.serverMem
	cfg.Logger = zap.New(core)
	if cfg.DefaultParallelism == 0 {
		cfg.DefaultParallelism = 2
	}
	server, err := flightserver.New(cfg)
	s.Require().NoError(err)
	s.Require().NoError(server.Listen())
	s.server = server
	s.serveDone = make(chan error, 1)
	go func() { s.serveDone <- server.Serve() }()
	client, err := flight.NewClientWithMiddleware(server.Addr().String(), nil, nil,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	s.Require().NoError(err)
	s.client = client
	s.ctx = bearer(context.Background(), cfg.Token)
}

func (s *serverSuite) TearDownTest() { s.stopServer() }

func (s *serverSuite) stopServer() {
	if s.server == nil {
		return
	}
	s.Require().NoError(s.client.Close())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.server.Shutdown(ctx)
	s.Require().NoError(<-s.serveDone)
	s.server = nil
	s.serverMem.AssertSize(s.T(), 0)
	s.clientMem.AssertSize(s.T(), 0)
}

func bearer(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// -- fixtures and plan builders -------------------------------------------------------------------

var amountsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "amount", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

func (s *serverSuite) batch(schema *arrow.Schema, rows string) arrow.RecordBatch {
	b, _, err := array.RecordFromJSON(s.clientMem, schema, strings.NewReader(rows))
	s.Require().NoError(err)
	return b
}

func (s *serverSuite) amounts() arrow.RecordBatch {
	return s.batch(amountsSchema, `[{"id": 1, "amount": 1.5, "name": "a"}, {"id": 2, "amount": null, "name": "bb"},
		{"id": 3, "amount": -2.25, "name": null}, {"id": 4, "amount": 1e300, "name": "dddd"}]`)
}

func mustAny(m proto.Message) []byte {
	a, err := anypb.New(m)
	if err != nil {
		panic(err)
	}
	raw, err := proto.Marshal(a)
	if err != nil {
		panic(err)
	}
	return raw
}

func createDescriptor() *flight.FlightDescriptor {
	return &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: mustAny(&pb.CommandCreateDataFrame{})}
}

func executeDescriptor(plan *pb.Plan) *flight.FlightDescriptor {
	return &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: mustAny(&pb.CommandExecutePlan{Plan: plan})}
}

func readRelation(name string) *pb.Relation {
	return &pb.Relation{RelType: &pb.Relation_Read{Read: &pb.Read{ReadType: &pb.Read_NamedTable_{
		NamedTable: &pb.Read_NamedTable{UnparsedIdentifier: name}}}}}
}

func column(name string) *pb.Expression {
	return &pb.Expression{ExprType: &pb.Expression_UnresolvedAttribute_{
		UnresolvedAttribute: &pb.Expression_UnresolvedAttribute{UnparsedIdentifier: name}}}
}

func project(input *pb.Relation, expressions ...*pb.Expression) *pb.Relation {
	return &pb.Relation{RelType: &pb.Relation_Project{Project: &pb.Project{Input: input, Expressions: expressions}}}
}

func rangeRelation(end int64, partitions int32) *pb.Relation {
	return &pb.Relation{RelType: &pb.Relation_Range{Range: &pb.Range{End: end, Step: 1, NumPartitions: &partitions}}}
}

func plan(root *pb.Relation) *pb.Plan { return &pb.Plan{Root: root} }

// -- client helpers -------------------------------------------------------------------------------

// streamMessages encodes an Arrow IPC stream as the FlightData messages a writer would send.
func (s *serverSuite) streamMessages(schema *arrow.Schema, batches ...arrow.RecordBatch) []*flight.FlightData {
	var c capture
	w := flight.NewRecordWriter(&c, ipc.WithSchema(schema), ipc.WithAllocator(s.clientMem))
	for _, b := range batches {
		s.Require().NoError(w.Write(b))
	}
	s.Require().NoError(w.Close())
	return c.messages
}

type capture struct{ messages []*flight.FlightData }

func (c *capture) Send(fd *flight.FlightData) error {
	c.messages = append(c.messages, proto.Clone(fd).(*flight.FlightData))
	return nil
}

// putMessages sends raw FlightData messages as a DoPut and returns the stored DataFrame's id.
func (s *serverSuite) putMessages(ctx context.Context, messages []*flight.FlightData) (string, error) {
	stream, err := s.client.DoPut(ctx)
	if err != nil {
		return "", err
	}
	for _, m := range messages {
		if err := stream.Send(m); err != nil {
			break // the server ended the call; Recv returns its status
		}
	}
	if err := stream.CloseSend(); err != nil {
		return "", err
	}
	res, err := stream.Recv()
	if err != nil {
		return "", err
	}
	var created pb.CreateDataFrameResult
	if err := proto.Unmarshal(res.AppMetadata, &created); err != nil {
		return "", err
	}
	if _, err := stream.Recv(); !errors.Is(err, io.EOF) {
		return "", err
	}
	return created.DataframeId, nil
}

// put uploads batches (not released) as a new DataFrame.
func (s *serverSuite) put(ctx context.Context, batches ...arrow.RecordBatch) (string, error) {
	messages := s.streamMessages(batches[0].Schema(), batches...)
	messages[0].FlightDescriptor = createDescriptor()
	return s.putMessages(ctx, messages)
}

func (s *serverSuite) mustPut(ctx context.Context, batches ...arrow.RecordBatch) string {
	id, err := s.put(ctx, batches...)
	s.Require().NoError(err)
	s.Require().NotEmpty(id)
	return id
}

// execute runs a plan and returns its result as one batch (Release it).
func (s *serverSuite) execute(ctx context.Context, p *pb.Plan) (arrow.RecordBatch, error) {
	info, err := s.client.GetFlightInfo(ctx, executeDescriptor(p))
	if err != nil {
		return nil, err
	}
	schema, err := flight.DeserializeSchema(info.Schema, s.clientMem)
	if err != nil {
		return nil, err
	}
	var batches []arrow.RecordBatch
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	for _, ep := range info.Endpoint {
		got, err := s.doGet(ctx, ep.Ticket)
		if err != nil {
			return nil, err
		}
		batches = append(batches, got...)
	}
	return concat(s.clientMem, schema, batches), nil
}

// doGet reads one ticket's batches (each to be released by the caller).
func (s *serverSuite) doGet(ctx context.Context, ticket *flight.Ticket) ([]arrow.RecordBatch, error) {
	stream, err := s.client.DoGet(ctx, ticket)
	if err != nil {
		return nil, err
	}
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(s.clientMem))
	if err != nil {
		return nil, err
	}
	defer rdr.Release()
	var out []arrow.RecordBatch
	for rdr.Next() {
		b := rdr.RecordBatch()
		b.Retain()
		out = append(out, b)
	}
	if err := rdr.Err(); err != nil && !errors.Is(err, io.EOF) {
		for _, b := range out {
			b.Release()
		}
		return nil, err
	}
	return out, nil
}

// concat joins batches into one (owned by the caller); the inputs are not released.
func concat(mem memory.Allocator, schema *arrow.Schema, batches []arrow.RecordBatch) arrow.RecordBatch {
	columns := make([]arrow.Array, schema.NumFields())
	var rows int64
	for _, b := range batches {
		rows += b.NumRows()
	}
	for i := range columns {
		parts := make([]arrow.Array, 0, len(batches))
		for _, b := range batches {
			parts = append(parts, b.Column(i))
		}
		if len(parts) == 0 {
			columns[i] = array.MakeArrayOfNull(mem, schema.Field(i).Type, 0)
			continue
		}
		c, err := array.Concatenate(parts, mem)
		if err != nil {
			panic(err)
		}
		columns[i] = c
	}
	out := array.NewRecordBatch(schema, columns, rows)
	for _, c := range columns {
		c.Release()
	}
	return out
}

func (s *serverSuite) action(ctx context.Context, actionType string, body proto.Message) ([][]byte, error) {
	stream, err := s.client.DoAction(ctx, &flight.Action{Type: actionType, Body: mustAny(body)})
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, r.Body)
	}
}

func (s *serverSuite) listFlights(ctx context.Context) ([]string, error) {
	stream, err := s.client.ListFlights(ctx, &flight.Criteria{})
	if err != nil {
		return nil, err
	}
	var names []string
	for {
		info, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return names, nil
		}
		if err != nil {
			return nil, err
		}
		names = append(names, info.FlightDescriptor.Path...)
	}
}

func (s *serverSuite) requireCode(err error, code codes.Code, contains ...string) {
	s.T().Helper()
	s.Require().Error(err)
	st, ok := status.FromError(err)
	s.Require().True(ok, "not a gRPC status: %v", err)
	s.Require().Equal(code, st.Code(), "message: %s", st.Message())
	for _, c := range contains {
		s.Require().Contains(st.Message(), c)
	}
}

// requireIntact reads a stored DataFrame back and compares it with what was uploaded.
func (s *serverSuite) requireIntact(ctx context.Context, id string, want arrow.RecordBatch) {
	s.T().Helper()
	got, err := s.execute(ctx, plan(readRelation(id)))
	s.Require().NoError(err)
	defer got.Release()
	s.Require().True(array.RecordEqual(want, got), "want %v\ngot %v", want, got)
}

// requireServing proves the server still takes uploads and queries after a bad call.
func (s *serverSuite) requireServing(ctx context.Context) {
	s.T().Helper()
	b := s.amounts()
	defer b.Release()
	id := s.mustPut(ctx, b)
	s.requireIntact(ctx, id, b)
}

// withWitness stores a DataFrame, runs bad, and checks that the server still serves and that the
// DataFrame is intact afterwards.
func (s *serverSuite) withWitness(bad func()) {
	s.T().Helper()
	witness := s.amounts()
	defer witness.Release()
	id := s.mustPut(s.ctx, witness)
	bad()
	s.requireIntact(s.ctx, id, witness)
	s.requireServing(s.ctx)
}

// -- round trip ----------------------------------------------------------------------------------

func (s *serverSuite) TestPutGetRoundTrip() {
	batches := []arrow.RecordBatch{s.amounts(), s.amounts(), s.batch(amountsSchema, `[]`), s.amounts()}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	id := s.mustPut(s.ctx, batches...)
	want := concat(s.clientMem, amountsSchema, batches)
	defer want.Release()
	s.requireIntact(s.ctx, id, want)

	// GetFlightInfo with a path descriptor reads the same DataFrame.
	info, err := s.client.GetFlightInfo(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{id}})
	s.Require().NoError(err)
	schema, err := flight.DeserializeSchema(info.Schema, s.clientMem)
	s.Require().NoError(err)
	s.Require().True(schema.Equal(amountsSchema), "schema %v", schema)
	var rows int64
	for _, ep := range info.Endpoint {
		got, err := s.doGet(s.ctx, ep.Ticket)
		s.Require().NoError(err)
		for _, b := range got {
			rows += b.NumRows()
			b.Release()
		}
	}
	s.Require().Equal(want.NumRows(), rows)
}

func (s *serverSuite) TestPutSplitsPartitions() {
	s.stopServer()
	s.startServer(flightserver.Config{RowsPerPartition: 4})
	batches := []arrow.RecordBatch{s.amounts(), s.amounts(), s.amounts()}
	defer func() {
		for _, b := range batches {
			b.Release()
		}
	}()
	id := s.mustPut(s.ctx, batches...)
	info, err := s.client.GetFlightInfo(s.ctx, executeDescriptor(plan(readRelation(id))))
	s.Require().NoError(err)
	s.Require().Len(info.Endpoint, 3, "one endpoint per stored partition of 4 rows")
	for _, ep := range info.Endpoint {
		got, err := s.doGet(s.ctx, ep.Ticket)
		s.Require().NoError(err)
		for _, b := range got {
			b.Release()
		}
	}
}

func (s *serverSuite) TestProjectionOverRange() {
	got, err := s.execute(s.ctx, plan(project(rangeRelation(10_000, 3), column("id"))))
	s.Require().NoError(err)
	defer got.Release()
	ids := got.Column(0).(*array.Int64)
	s.Require().Equal(10_000, ids.Len())
	for i := 0; i < ids.Len(); i++ {
		s.Require().Equal(int64(i), ids.Value(i))
	}
}

// -- authentication ------------------------------------------------------------------------------

func (s *serverSuite) TestMissingOrWrongTokenIsUnauthenticated() {
	for name, ctx := range map[string]context.Context{
		"missing": context.Background(),
		"wrong":   bearer(context.Background(), "not-the-token"),
		"prefix":  bearer(context.Background(), testToken[:5]),
		"basic":   metadata.AppendToOutgoingContext(context.Background(), "authorization", "Basic dXNlcjpwYXNz"),
	} {
		s.Run(name, func() {
			_, err := s.client.GetFlightInfo(ctx, executeDescriptor(plan(rangeRelation(3, 1))))
			s.requireCode(err, codes.Unauthenticated)
			_, err = s.put(ctx, s.amountsReleased()...)
			s.requireCode(err, codes.Unauthenticated)
			_, err = s.listFlights(ctx)
			s.requireCode(err, codes.Unauthenticated)
			_, err = s.action(ctx, "quiver.list", &pb.ActionListDataFrames{})
			s.requireCode(err, codes.Unauthenticated)
			_, err = s.doGet(ctx, &flight.Ticket{Ticket: mustAny(&pb.TicketResultPartition{Handle: "x"})})
			s.requireCode(err, codes.Unauthenticated)
			_, err = s.client.GetSchema(ctx, executeDescriptor(plan(rangeRelation(3, 1))))
			s.requireCode(err, codes.Unauthenticated)
		})
	}
	s.requireServing(s.ctx)
}

// amountsReleased returns a fixture batch whose reference is held by the test's cleanup.
func (s *serverSuite) amountsReleased() []arrow.RecordBatch {
	b := s.amounts()
	s.T().Cleanup(b.Release)
	return []arrow.RecordBatch{b}
}

func (s *serverSuite) TestHandshakeBasicAuthBindsSession() {
	ctxA, err := s.client.AuthenticateBasicToken(context.Background(), "user", testToken)
	s.Require().NoError(err)
	ctxB, err := s.client.AuthenticateBasicToken(context.Background(), "", testToken)
	s.Require().NoError(err)
	// The bearer token handed out works on its own, without any Quiver header.
	b := s.amounts()
	defer b.Release()
	id := s.mustPut(ctxA, b)
	s.requireIntact(ctxA, id, b)
	// It is bound to a session: another handshake's session cannot see the DataFrame.
	_, err = s.execute(ctxB, plan(readRelation(id)))
	s.requireCode(err, codes.NotFound)
	_, err = s.execute(s.ctx, plan(readRelation(id)))
	s.requireCode(err, codes.NotFound)

	_, err = s.client.AuthenticateBasicToken(context.Background(), "user", "wrong")
	s.requireCode(err, codes.Unauthenticated)
}

func (s *serverSuite) TestHandshakePayloadAndBearer() {
	for name, ctx := range map[string]context.Context{
		"payload": context.Background(),
		"bearer":  bearer(context.Background(), testToken),
	} {
		s.Run(name, func() {
			stream, err := s.client.Handshake(ctx)
			s.Require().NoError(err)
			s.Require().NoError(stream.Send(&flight.HandshakeRequest{Payload: []byte(testToken)}))
			s.Require().NoError(stream.CloseSend())
			res, err := stream.Recv()
			s.Require().NoError(err)
			s.Require().True(strings.HasPrefix(string(res.Payload), testToken+"."), "payload %q", res.Payload)
			got, err := s.execute(bearer(context.Background(), string(res.Payload)), plan(rangeRelation(5, 1)))
			s.Require().NoError(err)
			got.Release()
		})
	}
	stream, err := s.client.Handshake(context.Background())
	s.Require().NoError(err)
	s.Require().NoError(stream.Send(&flight.HandshakeRequest{Payload: []byte("nope")}))
	s.Require().NoError(stream.CloseSend())
	_, err = stream.Recv()
	s.requireCode(err, codes.Unauthenticated)
}

func (s *serverSuite) TestTokenWithDots() {
	// A configured token may contain dots (a JWT does); it must still work as a raw bearer token
	// and through the handshake.
	s.stopServer()
	const token = "header.payload.signature"
	s.startServer(flightserver.Config{Token: token})
	s.requireServing(s.ctx)
	ctx, err := s.client.AuthenticateBasicToken(context.Background(), "u", token)
	s.Require().NoError(err)
	s.requireServing(ctx)
	_, err = s.execute(bearer(context.Background(), "header.payload"), plan(rangeRelation(1, 1)))
	s.requireCode(err, codes.Unauthenticated)
}

// -- bad input -----------------------------------------------------------------------------------

func (s *serverSuite) TestDoPutGarbageBytes() {
	rng := rand.New(rand.NewSource(42))
	garbage := func(n int) []byte {
		b := make([]byte, n)
		rng.Read(b)
		return b
	}
	s.withWitness(func() {
		for i := 0; i < 20; i++ {
			_, err := s.putMessages(s.ctx, []*flight.FlightData{{FlightDescriptor: createDescriptor(), DataHeader: garbage(1 + rng.Intn(300)), DataBody: garbage(rng.Intn(300))}})
			s.requireCode(err, codes.InvalidArgument, "Arrow IPC")
		}
	})
}

func (s *serverSuite) TestDoPutGarbageBatchAfterValidSchema() {
	b := s.amounts()
	defer b.Release()
	messages := s.streamMessages(b.Schema(), b)
	messages[0].FlightDescriptor = createDescriptor()
	rng := rand.New(rand.NewSource(7))
	s.withWitness(func() {
		for i := 0; i < 20; i++ {
			header := make([]byte, len(messages[1].DataHeader))
			rng.Read(header)
			_, err := s.putMessages(s.ctx, []*flight.FlightData{messages[0], {DataHeader: header, DataBody: messages[1].DataBody}})
			s.requireCode(err, codes.InvalidArgument)
		}
		// A valid batch header over a body of garbage values (lengths, offsets) is caught too.
		body := make([]byte, len(messages[1].DataBody))
		for i := range body {
			body[i] = 0xff
		}
		_, err := s.putMessages(s.ctx, []*flight.FlightData{messages[0], {DataHeader: messages[1].DataHeader, DataBody: body}})
		s.requireCode(err, codes.InvalidArgument)
	})
	s.Require().Empty(s.storedExcept(2), "a rejected upload stores nothing")
}

// storedExcept lists DataFrames of the default session beyond the first n.
func (s *serverSuite) storedExcept(n int) []string {
	names, err := s.listFlights(s.ctx)
	s.Require().NoError(err)
	if len(names) <= n {
		return nil
	}
	return names[n:]
}

func (s *serverSuite) TestDoPutTruncatedStream() {
	b := s.amounts()
	defer b.Release()
	messages := s.streamMessages(b.Schema(), b)
	messages[0].FlightDescriptor = createDescriptor()
	s.withWitness(func() {
		truncated := proto.Clone(messages[1]).(*flight.FlightData)
		truncated.DataBody = truncated.DataBody[:len(truncated.DataBody)/2]
		_, err := s.putMessages(s.ctx, []*flight.FlightData{messages[0], truncated})
		s.requireCode(err, codes.InvalidArgument)

		header := proto.Clone(messages[1]).(*flight.FlightData)
		header.DataHeader = header.DataHeader[:len(header.DataHeader)/2]
		_, err = s.putMessages(s.ctx, []*flight.FlightData{messages[0], header})
		s.requireCode(err, codes.InvalidArgument)

		// A stream with a descriptor but no schema, and a stream with nothing at all.
		_, err = s.putMessages(s.ctx, []*flight.FlightData{{FlightDescriptor: createDescriptor()}})
		s.requireCode(err, codes.InvalidArgument)
		_, err = s.putMessages(s.ctx, nil)
		s.requireCode(err, codes.InvalidArgument)
		// Data without a descriptor.
		_, err = s.putMessages(s.ctx, []*flight.FlightData{{DataHeader: messages[0].DataHeader}})
		s.requireCode(err, codes.InvalidArgument, "descriptor")
	})
}

func (s *serverSuite) TestDoPutClientCancelsMidUpload() {
	b := s.amounts()
	defer b.Release()
	messages := s.streamMessages(b.Schema(), b, b, b)
	messages[0].FlightDescriptor = createDescriptor()
	s.withWitness(func() {
		ctx, cancel := context.WithCancel(s.ctx)
		stream, err := s.client.DoPut(ctx)
		s.Require().NoError(err)
		for _, m := range messages[:3] {
			s.Require().NoError(stream.Send(m))
		}
		cancel()
		_, err = stream.Recv()
		s.requireCode(err, codes.Canceled)
		s.Require().Eventually(func() bool {
			return s.logs.FilterField(zap.String("method", "/arrow.flight.protocol.FlightService/DoPut")).FilterMessage("call failed").Len() == 1
		}, 10*time.Second, 5*time.Millisecond, "the server logs the abandoned upload")
	})
	s.Require().Empty(s.storedExcept(2), "an abandoned upload stores nothing")
}

func (s *serverSuite) TestDoPutBatchSchemaDiffersFromStream() {
	declared := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.BinaryTypes.String}}, nil)
	fewer := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.BinaryTypes.String}}, nil)
	retyped := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.BinaryTypes.String}, {Name: "y", Type: arrow.PrimitiveTypes.Int64}}, nil)
	more := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.BinaryTypes.String},
		{Name: "z", Type: arrow.PrimitiveTypes.Int64}}, nil)
	good := s.batch(declared, `[{"x": 1, "y": "one"}, {"x": 2, "y": "two"}]`)
	defer good.Release()
	s.withWitness(func() {
		for name, other := range map[string]arrow.RecordBatch{
			"fewer columns": s.batch(fewer, `[{"x": "aaaaaaaaaaaaaaaaaaaaaaaaaaaa"}, {"x": "b"}, {"x": "c"}]`),
			"other types":   s.batch(retyped, `[{"x": "a", "y": 10}, {"x": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "y": 20}]`),
			"more columns":  s.batch(more, `[{"x": 1, "y": "a", "z": 3}]`),
		} {
			s.Run(name, func() {
				defer other.Release()
				head := s.streamMessages(declared, good)
				head[0].FlightDescriptor = createDescriptor()
				tail := s.streamMessages(other.Schema(), other)
				// The stream declares `declared`, sends a good batch, then a batch encoded with
				// another schema (no schema message in between).
				_, err := s.putMessages(s.ctx, []*flight.FlightData{head[0], head[1], tail[1]})
				s.requireCode(err, codes.InvalidArgument)
				// A second schema message in the middle of a stream is refused as well.
				_, err = s.putMessages(s.ctx, []*flight.FlightData{head[0], head[1], tail[0], tail[1]})
				s.requireCode(err, codes.InvalidArgument)
			})
		}
	})
	s.Require().Empty(s.storedExcept(2))
}

func (s *serverSuite) TestUnknownCommandTypeURL() {
	unknown := &anypb.Any{TypeUrl: "type.googleapis.com/quiver.v1.NoSuchCommand", Value: []byte{1, 2, 3}}
	raw, err := proto.Marshal(unknown)
	s.Require().NoError(err)
	s.withWitness(func() {
		_, err := s.client.GetFlightInfo(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: raw})
		s.requireCode(err, codes.InvalidArgument, "NoSuchCommand")
		_, err = s.client.GetSchema(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: raw})
		s.requireCode(err, codes.InvalidArgument, "NoSuchCommand")
		_, err = s.client.GetFlightInfo(s.ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: []byte("not a protobuf at all \xff\xff")})
		s.requireCode(err, codes.InvalidArgument)

		b := s.amounts()
		defer b.Release()
		messages := s.streamMessages(b.Schema(), b)
		messages[0].FlightDescriptor = &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: raw}
		_, err = s.putMessages(s.ctx, messages)
		s.requireCode(err, codes.InvalidArgument, "NoSuchCommand")

		_, err = s.doGet(s.ctx, &flight.Ticket{Ticket: raw})
		s.requireCode(err, codes.InvalidArgument, "NoSuchCommand")
		_, err = s.doGet(s.ctx, &flight.Ticket{Ticket: []byte("garbage")})
		s.requireCode(err, codes.InvalidArgument)

		_, err = s.action(s.ctx, "quiver.no_such_action", &pb.ActionListDataFrames{})
		s.requireCode(err, codes.InvalidArgument, "quiver.no_such_action")
		// A known action with a body of the wrong message type.
		_, err = s.action(s.ctx, "quiver.release", &pb.ActionListDataFrames{})
		s.requireCode(err, codes.InvalidArgument)
	})
}

func (s *serverSuite) TestMalformedPlan() {
	noType := &pb.Expression{}
	cases := map[string]*pb.Plan{
		"no root":                      {},
		"relation without rel_type":    plan(&pb.Relation{}),
		"nested relation without type": plan(project(&pb.Relation{}, column("id"))),
		"project without input":        plan(project(nil, column("id"))),
		"expression without type":      plan(project(rangeRelation(3, 1), noType)),
		"function with untyped arg": plan(project(rangeRelation(3, 1), &pb.Expression{ExprType: &pb.Expression_UnresolvedFunction_{
			UnresolvedFunction: &pb.Expression_UnresolvedFunction{FunctionName: "+", Arguments: []*pb.Expression{column("id"), noType}}}})),
		"filter without condition": plan(&pb.Relation{RelType: &pb.Relation_Filter{Filter: &pb.Filter{Input: rangeRelation(3, 1)}}}),
		"range with step 0":        plan(&pb.Relation{RelType: &pb.Relation_Range{Range: &pb.Range{End: 10}}}),
	}
	s.withWitness(func() {
		for name, p := range cases {
			s.Run(name, func() {
				_, err := s.client.GetFlightInfo(s.ctx, executeDescriptor(p))
				s.requireCode(err, codes.InvalidArgument)
				_, err = s.action(s.ctx, "quiver.analyze", &pb.ActionAnalyzePlan{Plan: p})
				s.requireCode(err, codes.InvalidArgument)
			})
		}
	})
}

func (s *serverSuite) TestUnknownColumnSuggests() {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}, {Name: "amount", Type: arrow.PrimitiveTypes.Float64},
		{Name: "ts", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := s.batch(schema, `[{"id": 1, "amount": 2.5, "ts": 3}]`)
	defer b.Release()
	s.withWitness(func() {
		id := s.mustPut(s.ctx, b)
		_, err := s.execute(s.ctx, plan(project(readRelation(id), column("amout"))))
		s.requireCode(err, codes.InvalidArgument, "amout", "did you mean 'amount'", "id, amount, ts")
	})
}

func (s *serverSuite) TestUnknownDataFrameIsNotFound() {
	_, err := s.execute(s.ctx, plan(readRelation("0123456789abcdef0123456789abcdef")))
	s.requireCode(err, codes.NotFound)
}

// -- tickets -------------------------------------------------------------------------------------

func (s *serverSuite) TestTicketsAreSingleUse() {
	info, err := s.client.GetFlightInfo(s.ctx, executeDescriptor(plan(rangeRelation(100, 2))))
	s.Require().NoError(err)
	s.Require().Len(info.Endpoint, 2)
	got, err := s.doGet(s.ctx, info.Endpoint[0].Ticket)
	s.Require().NoError(err)
	for _, b := range got {
		b.Release()
	}
	_, err = s.doGet(s.ctx, info.Endpoint[0].Ticket)
	s.requireCode(err, codes.NotFound, "single-use")
	// Another session cannot redeem this session's ticket, and trying does not use it up.
	other, err := s.client.AuthenticateBasicToken(context.Background(), "", testToken)
	s.Require().NoError(err)
	_, err = s.doGet(other, info.Endpoint[1].Ticket)
	s.requireCode(err, codes.NotFound)
	got, err = s.doGet(s.ctx, info.Endpoint[1].Ticket)
	s.Require().NoError(err)
	for _, b := range got {
		b.Release()
	}
}

func (s *serverSuite) TestTicketsExpire() {
	s.stopServer()
	s.startServer(flightserver.Config{TicketTTL: 20 * time.Millisecond})
	info, err := s.client.GetFlightInfo(s.ctx, executeDescriptor(plan(rangeRelation(100, 2))))
	s.Require().NoError(err)
	time.Sleep(60 * time.Millisecond)
	for _, ep := range info.Endpoint {
		_, err = s.doGet(s.ctx, ep.Ticket)
		s.requireCode(err, codes.NotFound, "expire")
	}
	s.requireServing(s.ctx)
}

// -- sessions ------------------------------------------------------------------------------------

func (s *serverSuite) TestSessionsAreIsolated() {
	ctxA, err := s.client.AuthenticateBasicToken(context.Background(), "", testToken)
	s.Require().NoError(err)
	ctxB := metadata.AppendToOutgoingContext(s.ctx, flightserver.SessionHeader, "session-b")
	b := s.amounts()
	defer b.Release()
	id := s.mustPut(ctxA, b)
	view := &pb.ActionCreateView{Name: "v", Plan: plan(readRelation(id))}
	_, err = s.action(ctxA, "quiver.create_view", view)
	s.Require().NoError(err)
	s.requireIntact(ctxA, "v", b)

	_, err = s.execute(ctxB, plan(readRelation("v")))
	s.requireCode(err, codes.NotFound, "'v' not found")
	_, err = s.execute(ctxB, plan(readRelation(id)))
	s.requireCode(err, codes.NotFound)
	_, err = s.action(ctxB, "quiver.release", &pb.ActionReleaseDataFrame{DataframeId: id})
	s.requireCode(err, codes.NotFound)
	names, err := s.listFlights(ctxB)
	s.Require().NoError(err)
	s.Require().Empty(names)
	// Session B's own view of the same name is its own.
	_, err = s.action(ctxB, "quiver.create_view", &pb.ActionCreateView{Name: "v", Plan: plan(rangeRelation(2, 1))})
	s.Require().NoError(err)
	got, err := s.execute(ctxB, plan(readRelation("v")))
	s.Require().NoError(err)
	s.Require().Equal(int64(2), got.NumRows())
	got.Release()
	s.requireIntact(ctxA, "v", b)
}

func (s *serverSuite) TestListFlightsAndActions() {
	b := s.amounts()
	defer b.Release()
	first := s.mustPut(s.ctx, b)
	second := s.mustPut(s.ctx, b, b)
	// DoPut with a path descriptor creates a temp view of that name.
	messages := s.streamMessages(b.Schema(), b)
	messages[0].FlightDescriptor = &flight.FlightDescriptor{Type: flight.DescriptorPATH, Path: []string{"uploaded"}}
	third, err := s.putMessages(s.ctx, messages)
	s.Require().NoError(err)

	names, err := s.listFlights(s.ctx)
	s.Require().NoError(err)
	s.Require().ElementsMatch([]string{first, second, third, "uploaded"}, names)

	stream, err := s.client.ListFlights(s.ctx, &flight.Criteria{})
	s.Require().NoError(err)
	for {
		info, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		s.Require().NoError(err)
		schema, err := flight.DeserializeSchema(info.Schema, s.clientMem)
		s.Require().NoError(err)
		s.Require().True(schema.Equal(amountsSchema))
		if info.FlightDescriptor.Path[0] == second {
			s.Require().Equal(2*b.NumRows(), info.TotalRecords)
		}
	}

	list := func() map[string]string {
		bodies, err := s.action(s.ctx, "quiver.list", &pb.ActionListDataFrames{})
		s.Require().NoError(err)
		out := map[string]string{}
		for _, body := range bodies {
			var info pb.DataFrameInfo
			s.Require().NoError(proto.Unmarshal(body, &info))
			out[info.Name] = info.Kind
		}
		return out
	}
	s.Require().Equal(map[string]string{first: "dataframe", second: "dataframe", third: "dataframe", "uploaded": "temp_view"}, list())

	_, err = s.action(s.ctx, "quiver.release", &pb.ActionReleaseDataFrame{DataframeId: first})
	s.Require().NoError(err)
	s.Require().Equal(map[string]string{second: "dataframe", third: "dataframe", "uploaded": "temp_view"}, list())
	_, err = s.execute(s.ctx, plan(readRelation(first)))
	s.requireCode(err, codes.NotFound, "released")
	s.requireIntact(s.ctx, third, b)

	// ListActions names the actions.
	actions, err := s.client.ListActions(s.ctx, &flight.Empty{})
	s.Require().NoError(err)
	var types []string
	for {
		a, err := actions.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		s.Require().NoError(err)
		types = append(types, a.Type)
	}
	s.Require().Subset(types, []string{"quiver.analyze", "quiver.list", "quiver.release"})
}

// -- cancellation and leaks ----------------------------------------------------------------------

func (s *serverSuite) TestClientDisconnectMidDoGetLeaksNothing() {
	// A wide projection over a long range: every batch is allocated from the checked allocator,
	// and far more than fits in gRPC's flow-control window.
	id := &pb.Expression{ExprType: &pb.Expression_UnresolvedFunction_{UnresolvedFunction: &pb.Expression_UnresolvedFunction{
		FunctionName: "+", Arguments: []*pb.Expression{column("id"), column("id")}}}}
	info, err := s.client.GetFlightInfo(s.ctx, executeDescriptor(plan(project(rangeRelation(50_000_000, 1), id, column("id")))))
	s.Require().NoError(err)
	ctx, cancel := context.WithCancel(s.ctx)
	stream, err := s.client.DoGet(ctx, info.Endpoint[0].Ticket)
	s.Require().NoError(err)
	rdr, err := flight.NewRecordReader(stream, ipc.WithAllocator(s.clientMem))
	s.Require().NoError(err)
	s.Require().True(rdr.Next())
	cancel()
	for rdr.Next() {
	}
	s.requireCode(rdr.Err(), codes.Canceled)
	rdr.Release()
	s.Require().Eventually(func() bool {
		return s.logs.FilterField(zap.String("method", "/arrow.flight.protocol.FlightService/DoGet")).FilterMessage("call failed").Len() == 1
	}, 10*time.Second, 5*time.Millisecond, "the server notices the client went away")
	s.Require().Eventually(func() bool { return s.serverMem.CurrentAlloc() == 0 }, 10*time.Second, 5*time.Millisecond,
		"the abandoned stream's batches are released (%d bytes outstanding)", s.serverMem.CurrentAlloc())
	s.requireServing(s.ctx)
}

// -- logs ----------------------------------------------------------------------------------------

func (s *serverSuite) TestLogs() {
	b := s.amounts()
	defer b.Release()
	id := s.mustPut(s.ctx, b)
	stored := s.logs.FilterMessage("stored DataFrame").All()
	s.Require().Len(stored, 1)
	fields := stored[0].ContextMap()
	s.Require().Equal(id, fields["id"])
	s.Require().Equal(b.NumRows(), fields["rows"])
	s.Require().Equal("default", fields["session"])

	_, err := s.execute(bearer(context.Background(), "wrong"), plan(readRelation(id)))
	s.requireCode(err, codes.Unauthenticated)
	s.Require().Equal(1, s.logs.FilterMessage("rejected call").Len())

	_, err = s.execute(s.ctx, plan(project(readRelation(id), column("nope"))))
	s.requireCode(err, codes.InvalidArgument)
	failed := s.logs.FilterMessage("call failed").All()
	s.Require().Len(failed, 1)
	s.Require().Equal("InvalidArgument", failed[0].ContextMap()["code"])
	s.Require().Equal("/arrow.flight.protocol.FlightService/GetFlightInfo", failed[0].ContextMap()["method"])
}

// -- listen address ------------------------------------------------------------------------------

func TestValidateListenAddress(t *testing.T) {
	cases := []struct {
		cfg flightserver.Config
		ok  bool
	}{
		{flightserver.Config{Addr: "127.0.0.1:0"}, true},
		{flightserver.Config{Addr: "localhost:50051"}, true},
		{flightserver.Config{Addr: "[::1]:0"}, true},
		{flightserver.Config{Addr: "127.0.0.2:0"}, true},
		{flightserver.Config{Addr: "0.0.0.0:0"}, false},
		{flightserver.Config{Addr: ":50051"}, false},
		{flightserver.Config{Addr: "[::]:0"}, false},
		{flightserver.Config{Addr: "example.com:50051"}, false},
		{flightserver.Config{Addr: "0.0.0.0:0", Token: "t"}, true},
		{flightserver.Config{Addr: "0.0.0.0:0", TLSCertFile: "c.pem", TLSKeyFile: "k.pem"}, true},
		{flightserver.Config{Addr: "0.0.0.0:0", TLSCertFile: "c.pem"}, false},
		{flightserver.Config{Addr: "no-port"}, false},
	}
	for _, c := range cases {
		err := flightserver.ValidateListenAddress(c.cfg)
		if c.ok {
			require.NoError(t, err, c.cfg.Addr)
			continue
		}
		require.Error(t, err, c.cfg.Addr)
		if c.cfg.Addr != "no-port" {
			require.Contains(t, err.Error(), "token")
		}
		_, err = flightserver.New(c.cfg)
		require.Error(t, err, "New refuses %s too", c.cfg.Addr)
	}
}
