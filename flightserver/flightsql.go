package flightserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql/schema_ref"
	flightpb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	"github.com/quiverdata/quiver/planner/sqlplan"
)

// Flight SQL on the server's one port, over the same catalog as the DataFrame API: a Flight SQL
// connection is a session (the Handshake's bearer token names it), so its temp views are its
// own, while global temp views and saved tables are shared with every client. Results stream
// partition by partition; nothing buffers a whole result.

// catalogName is the one catalog Flight SQL clients see, named as Spark's.
const catalogName = "spark_catalog"

func init() {
	SQLServerFactory = newFlightSQLServer
}

type flightSQLServer struct {
	flightsql.BaseServer
	s *Server

	mu       sync.Mutex
	pending  map[string]*pendingSQL // planned queries waiting for DoGet, by handle
	running  map[string]context.CancelFunc
	prepared map[string]*preparedStatement
}

type pendingSQL struct {
	session *Session
	query   *Query
}

type preparedStatement struct {
	session    string
	text       string
	parameters []*logical.Literal
}

func newFlightSQLServer(s *Server) flight.FlightServer {
	srv := &flightSQLServer{s: s, pending: map[string]*pendingSQL{}, running: map[string]context.CancelFunc{},
		prepared: map[string]*preparedStatement{}}
	for id, v := range map[flightsql.SqlInfo]any{
		flightsql.SqlInfoFlightSqlServerName:           "Quiver",
		flightsql.SqlInfoFlightSqlServerVersion:        "0.1.0",
		flightsql.SqlInfoFlightSqlServerArrowVersion:   "18",
		flightsql.SqlInfoFlightSqlServerReadOnly:       false,
		flightsql.SqlInfoFlightSqlServerSql:            true,
		flightsql.SqlInfoFlightSqlServerSubstrait:      false,
		flightsql.SqlInfoFlightSqlServerTransaction:    int32(0), // SQL_SUPPORTED_TRANSACTION_NONE
		flightsql.SqlInfoFlightSqlServerCancel:         true,
		flightsql.SqlInfoIdentifierQuoteChar:           "`",
		flightsql.SqlInfoQuotedIdentifierCase:          int32(0), // case insensitive
		flightsql.SqlInfoIdentifierCase:                int32(0),
		flightsql.SqlInfoDDLCatalog:                    false,
		flightsql.SqlInfoDDLSchema:                     false,
		flightsql.SqlInfoDDLTable:                      true,
		flightsql.SqlInfoSearchStringEscape:            "\\",
		flightsql.SqlInfoSupportsColumnAliasing:        true,
		flightsql.SqlInfoNullPlusNullIsNull:            true,
		flightsql.SqlInfoSupportsTableCorrelationNames: true,
		flightsql.SqlInfoSupportsExpressionsInOrderBy:  true,
		flightsql.SqlInfoSupportsOrderByUnrelated:      true,
		flightsql.SqlInfoSupportedGroupBy:              int32(1), // SQL_GROUP_BY_UNRELATED
		flightsql.SqlInfoSupportsLikeEscapeClause:      true,
		flightsql.SqlInfoSchemaTerm:                    "database",
		flightsql.SqlInfoCatalogTerm:                   "catalog",
	} {
		_ = srv.RegisterSqlInfo(id, v)
	}
	return flightsql.NewFlightServerWithAllocator(srv, s.mem)
}

// -- statements ------------------------------------------------------------------------------------

// plan parses, binds and lowers SQL for the calling session; commands take effect here.
func (f *flightSQLServer) plan(ctx context.Context, text string, params sqlplan.Parameters) (*Session, *Query, error) {
	session := f.s.session(ctx)
	conv := protoplan.NewConverter(f.s.NewAnalyzer(session))
	result, err := sqlplan.Execute(conv, text, params)
	if err != nil {
		return nil, nil, err
	}
	q, err := f.s.PlanLogical(session, result.Plan)
	if err != nil {
		return nil, nil, err
	}
	return session, q, nil
}

// issue runs a query's earlier stages and answers with one endpoint whose ticket streams every
// result partition in order.
func (f *flightSQLServer) issue(ctx context.Context, session *Session, q *Query, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if err := q.Prepare(ctx, f.s.TaskContext(session)); err != nil {
		return nil, ToStatus(err)
	}
	handle := newID()
	f.mu.Lock()
	f.pending[handle] = &pendingSQL{session: session, query: q}
	f.mu.Unlock()
	ticket, err := flightsql.CreateStatementQueryTicket([]byte(handle))
	if err != nil {
		return nil, ToStatus(err)
	}
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(q.Schema(), f.s.mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: ticket}}},
		TotalRecords:     -1, TotalBytes: -1, Ordered: true,
	}, nil
}

func (f *flightSQLServer) GetFlightInfoStatement(ctx context.Context, cmd flightsql.StatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	session, q, err := f.plan(ctx, cmd.GetQuery(), sqlplan.Parameters{})
	if err != nil {
		return nil, ToStatus(err)
	}
	return f.issue(ctx, session, q, desc)
}

func (f *flightSQLServer) GetSchemaStatement(ctx context.Context, cmd flightsql.StatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	stmt, err := sqlplan.ParseStatement(cmd.GetQuery())
	if err != nil {
		return nil, ToStatus(err)
	}
	qs, ok := stmt.(*sqlplan.QueryStatement)
	if !ok {
		return nil, ToStatus(errkind.Invalid("GetSchema needs a query, not a command"))
	}
	session := f.s.session(ctx)
	plan, err := sqlplan.NewBinder(protoplan.NewConverter(f.s.NewAnalyzer(session)), sqlplan.Parameters{}).Query(qs.Query)
	if err != nil {
		return nil, ToStatus(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(logical.OutputSchema(plan), f.s.mem)}, nil
}

func (f *flightSQLServer) DoGetStatement(ctx context.Context, ticket flightsql.StatementQueryTicket) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	handle := string(ticket.GetStatementHandle())
	f.mu.Lock()
	p, ok := f.pending[handle]
	delete(f.pending, handle)
	f.mu.Unlock()
	if !ok {
		return nil, nil, ToStatus(errkind.NotFound("statement handle is unknown, already read or cancelled; run the query again"))
	}
	ctx, cancel := context.WithCancel(ctx)
	f.mu.Lock()
	f.running[handle] = cancel
	f.mu.Unlock()
	ch := make(chan flight.StreamChunk, 2)
	go func() {
		defer close(ch)
		defer func() {
			cancel()
			f.mu.Lock()
			delete(f.running, handle)
			f.mu.Unlock()
			p.query.Release()
		}()
		if err := f.stream(ctx, p, ch); err != nil {
			select {
			case ch <- flight.StreamChunk{Err: ToStatus(err)}:
			case <-ctx.Done():
			}
		}
	}()
	return p.query.Schema(), ch, nil
}

// stream runs each result partition and sends its batches; the receiver releases them.
func (f *flightSQLServer) stream(ctx context.Context, p *pendingSQL, ch chan<- flight.StreamChunk) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errkind.Internal("internal error while streaming a Flight SQL result: %v (this is a Quiver bug; the server is still running)", r)
		}
	}()
	tc := f.s.TaskContext(p.session)
	for part := 0; part < p.query.Physical.NumPartitions(); part++ {
		op, err := exec.Build(tc, p.query.Physical, part)
		if err != nil {
			return err
		}
		if err := f.streamOperator(ctx, op, ch); err != nil {
			return err
		}
	}
	return nil
}

func (f *flightSQLServer) streamOperator(ctx context.Context, op exec.Operator, ch chan<- flight.StreamChunk) error {
	defer op.Close()
	if err := op.Open(ctx); err != nil {
		return err
	}
	for {
		b, err := op.Next(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case ch <- flight.StreamChunk{Data: b}:
		case <-ctx.Done():
			b.Release()
			return errkind.ErrCanceled
		}
	}
}

func (f *flightSQLServer) DoPutCommandStatementUpdate(ctx context.Context, cmd flightsql.StatementUpdate) (int64, error) {
	return f.update(ctx, cmd.GetQuery(), sqlplan.Parameters{})
}

// update runs a statement for its effect (DDL, INSERT); a query is run and its rows counted.
func (f *flightSQLServer) update(ctx context.Context, text string, params sqlplan.Parameters) (int64, error) {
	session := f.s.session(ctx)
	conv := protoplan.NewConverter(f.s.NewAnalyzer(session))
	result, err := sqlplan.Execute(conv, text, params)
	if err != nil {
		return 0, ToStatus(err)
	}
	if result.Command {
		return 0, nil
	}
	return 0, ToStatus(errkind.Invalid("executeUpdate got a query; use executeQuery for SELECT"))
}

// -- prepared statements ---------------------------------------------------------------------------

func (f *flightSQLServer) CreatePreparedStatement(ctx context.Context, req flightsql.ActionCreatePreparedStatementRequest) (flightsql.ActionCreatePreparedStatementResult, error) {
	var res flightsql.ActionCreatePreparedStatementResult
	stmt, err := sqlplan.ParseStatement(req.GetQuery())
	if err != nil {
		return res, ToStatus(err)
	}
	handle := newID()
	f.mu.Lock()
	f.prepared[handle] = &preparedStatement{session: sessionFrom(ctx), text: req.GetQuery()}
	f.mu.Unlock()
	res.Handle = []byte(handle)
	// The parameter schema types each ? from its context (id > ? takes id's type, widened to
	// bigint or double, the types clients bind with). When a parameter has no type from its
	// context (SELECT ?), there is no parameter schema: clients then bind values with their own
	// types, which Go's database/sql driver can only do without a schema (it has no builder for
	// a null-typed field); see docs/decisions/0025.
	if count := sqlplan.ParameterCount(req.GetQuery()); count > 0 {
		converter := protoplan.NewConverter(f.s.NewAnalyzer(f.s.session(ctx)))
		fields := make([]arrow.Field, count)
		typed := true
		for i, t := range sqlplan.ParameterTypes(converter, stmt, count) {
			fields[i] = arrow.Field{Name: fmt.Sprintf("parameter_%d", i+1), Type: t, Nullable: true}
			typed = typed && t.ID() != arrow.NULL
		}
		if typed {
			res.ParameterSchema = arrow.NewSchema(fields, nil)
		}
	} else {
		if qs, ok := stmt.(*sqlplan.QueryStatement); ok {
			session := f.s.session(ctx)
			if plan, err := sqlplan.NewBinder(protoplan.NewConverter(f.s.NewAnalyzer(session)), sqlplan.Parameters{}).Query(qs.Query); err == nil {
				res.DatasetSchema = logical.OutputSchema(plan)
			}
		}
	}
	return res, nil
}

func (f *flightSQLServer) preparedFor(ctx context.Context, handle []byte) (*preparedStatement, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ps, ok := f.prepared[string(handle)]
	if !ok || ps.session != sessionFrom(ctx) {
		return nil, ToStatus(errkind.NotFound("prepared statement handle is unknown or closed; prepare the statement again"))
	}
	return ps, nil
}

func (f *flightSQLServer) ClosePreparedStatement(ctx context.Context, req flightsql.ActionClosePreparedStatementRequest) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.prepared, string(req.GetPreparedStatementHandle()))
	return nil
}

// DoPutPreparedStatementQuery binds parameters: the first row of the uploaded batch.
func (f *flightSQLServer) DoPutPreparedStatementQuery(ctx context.Context, cmd flightsql.PreparedStatementQuery, reader flight.MessageReader, _ flight.MetadataWriter) ([]byte, error) {
	ps, err := f.preparedFor(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	params, err := bindParameters(reader)
	if err != nil {
		return nil, ToStatus(err)
	}
	f.mu.Lock()
	ps.parameters = params
	f.mu.Unlock()
	return cmd.GetPreparedStatementHandle(), nil
}

func bindParameters(reader flight.MessageReader) ([]*logical.Literal, error) {
	var out []*logical.Literal
	for reader.Next() {
		b := reader.RecordBatch()
		if b.NumRows() == 0 || out != nil {
			continue
		}
		for _, col := range b.Columns() {
			s, err := scalar.GetScalar(col, 0)
			if err != nil {
				return nil, errkind.Invalid("cannot read a bound parameter: %v", err)
			}
			out = append(out, logical.NewLiteral(s))
		}
	}
	if err := reader.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, errkind.Invalid("malformed parameter batch: %v", err)
	}
	return out, nil
}

func (f *flightSQLServer) DoPutPreparedStatementUpdate(ctx context.Context, cmd flightsql.PreparedStatementUpdate, reader flight.MessageReader) (int64, error) {
	ps, err := f.preparedFor(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return 0, err
	}
	params, err := bindParameters(reader)
	if err != nil {
		return 0, ToStatus(err)
	}
	if params == nil {
		params = ps.parameters
	}
	return f.update(ctx, ps.text, sqlplan.Parameters{Positional: params})
}

func (f *flightSQLServer) GetFlightInfoPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	ps, err := f.preparedFor(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	session, q, err := f.plan(ctx, ps.text, sqlplan.Parameters{Positional: ps.parameters})
	if err != nil {
		return nil, ToStatus(err)
	}
	return f.issue(ctx, session, q, desc)
}

func (f *flightSQLServer) GetSchemaPreparedStatement(ctx context.Context, cmd flightsql.PreparedStatementQuery, _ *flight.FlightDescriptor) (*flight.SchemaResult, error) {
	ps, err := f.preparedFor(ctx, cmd.GetPreparedStatementHandle())
	if err != nil {
		return nil, err
	}
	_, q, err := f.plan(ctx, ps.text, sqlplan.Parameters{Positional: ps.parameters})
	if err != nil {
		return nil, ToStatus(err)
	}
	return &flight.SchemaResult{Schema: flight.SerializeSchema(q.Schema(), f.s.mem)}, nil
}

// -- cancellation ----------------------------------------------------------------------------------

func (f *flightSQLServer) CancelFlightInfo(_ context.Context, req *flight.CancelFlightInfoRequest) (flight.CancelFlightInfoResult, error) {
	state := flight.CancelStatusNotCancellable
	if req.Info == nil {
		return flight.CancelFlightInfoResult{Status: state}, nil
	}
	for _, ep := range req.Info.Endpoint {
		if ep.Ticket == nil {
			continue
		}
		var a anypb.Any
		if err := proto.Unmarshal(ep.Ticket.Ticket, &a); err != nil {
			continue
		}
		var t flightpb.TicketStatementQuery
		if err := a.UnmarshalTo(&t); err != nil {
			continue
		}
		handle := string(t.GetStatementHandle())
		f.mu.Lock()
		if p, ok := f.pending[handle]; ok {
			delete(f.pending, handle)
			p.query.Release()
			state = flight.CancelStatusCancelled
		} else if cancel, ok := f.running[handle]; ok {
			cancel()
			state = flight.CancelStatusCancelled
		}
		f.mu.Unlock()
	}
	return flight.CancelFlightInfoResult{Status: state}, nil
}

// -- metadata --------------------------------------------------------------------------------------

func (f *flightSQLServer) metadataInfo(desc *flight.FlightDescriptor, schema *arrow.Schema) *flight.FlightInfo {
	return &flight.FlightInfo{
		Schema:           flight.SerializeSchema(schema, f.s.mem),
		FlightDescriptor: desc,
		Endpoint:         []*flight.FlightEndpoint{{Ticket: &flight.Ticket{Ticket: desc.Cmd}}},
		TotalRecords:     -1, TotalBytes: -1,
	}
}

// batchChannel sends one batch built from JSON rows.
func (f *flightSQLServer) batchChannel(schema *arrow.Schema, rowsJSON string) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	b, _, err := array.RecordFromJSON(f.s.mem, schema, strings.NewReader(rowsJSON))
	if err != nil {
		return nil, nil, ToStatus(errkind.Internal("building a metadata result: %v", err))
	}
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b}
	close(ch)
	return schema, ch, nil
}

func (f *flightSQLServer) GetFlightInfoCatalogs(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.Catalogs), nil
}

func (f *flightSQLServer) DoGetCatalogs(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.Catalogs, `[{"catalog_name": "`+catalogName+`"}]`)
}

func (f *flightSQLServer) GetFlightInfoSchemas(_ context.Context, _ flightsql.GetDBSchemas, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.DBSchemas), nil
}

func (f *flightSQLServer) DoGetDBSchemas(_ context.Context, cmd flightsql.GetDBSchemas) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	var rows []string
	if c := cmd.GetCatalog(); c == nil || *c == catalogName {
		for _, s := range []string{"default", "global_temp"} {
			if p := cmd.GetDBSchemaFilterPattern(); p == nil || likeMatch(*p, s) {
				rows = append(rows, `{"catalog_name": "`+catalogName+`", "db_schema_name": "`+s+`"}`)
			}
		}
	}
	return f.batchChannel(schema_ref.DBSchemas, "["+strings.Join(rows, ",")+"]")
}

func (f *flightSQLServer) GetFlightInfoTables(_ context.Context, cmd flightsql.GetTables, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	if cmd.GetIncludeSchema() {
		return f.metadataInfo(desc, schema_ref.TablesWithIncludedSchema), nil
	}
	return f.metadataInfo(desc, schema_ref.Tables), nil
}

type tableListing struct {
	schema, name, kind, reference string
}

func (f *flightSQLServer) DoGetTables(ctx context.Context, cmd flightsql.GetTables) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	session := f.s.session(ctx)
	var all []tableListing
	if c := cmd.GetCatalog(); c == nil || *c == catalogName || *c == "" {
		if ListSavedTables != nil {
			for _, t := range ListSavedTables(f.s) {
				all = append(all, tableListing{"default", t.Name, "TABLE", t.Name})
			}
		}
		for _, v := range session.ViewNames() {
			all = append(all, tableListing{"default", v, "VIEW", "`" + v + "`"})
		}
		for _, v := range f.s.sessions.global.ViewNames() {
			all = append(all, tableListing{"global_temp", v, "VIEW", "global_temp.`" + v + "`"})
		}
	}
	types := map[string]bool{}
	for _, t := range cmd.GetTableTypes() {
		types[strings.ToUpper(t)] = true
	}
	var kept []tableListing
	for _, t := range all {
		if p := cmd.GetDBSchemaFilterPattern(); p != nil && !likeMatch(*p, t.schema) {
			continue
		}
		if p := cmd.GetTableNameFilterPattern(); p != nil && !likeMatch(*p, t.name) {
			continue
		}
		if len(types) > 0 && !types[t.kind] {
			continue
		}
		kept = append(kept, t)
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].schema+"."+kept[i].name < kept[j].schema+"."+kept[j].name })
	schema := schema_ref.Tables
	if cmd.GetIncludeSchema() {
		schema = schema_ref.TablesWithIncludedSchema
	}
	bld := array.NewRecordBuilder(f.s.mem, schema)
	defer bld.Release()
	for _, t := range kept {
		bld.Field(0).(*array.StringBuilder).Append(catalogName)
		bld.Field(1).(*array.StringBuilder).Append(t.schema)
		bld.Field(2).(*array.StringBuilder).Append(t.name)
		bld.Field(3).(*array.StringBuilder).Append(t.kind)
		if cmd.GetIncludeSchema() {
			var serialized []byte
			if q, err := f.s.PlanProto(session, readPlan(t.reference)); err == nil {
				serialized = flight.SerializeSchema(q.Schema(), f.s.mem)
			} else {
				serialized = flight.SerializeSchema(arrow.NewSchema(nil, nil), f.s.mem)
			}
			bld.Field(4).(*array.BinaryBuilder).Append(serialized)
		}
	}
	b := bld.NewRecordBatch()
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b}
	close(ch)
	return schema, ch, nil
}

func (f *flightSQLServer) GetFlightInfoTableTypes(_ context.Context, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.TableTypes), nil
}

func (f *flightSQLServer) DoGetTableTypes(context.Context) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.TableTypes, `[{"table_type": "TABLE"}, {"table_type": "VIEW"}]`)
}

// Keys: Quiver has no primary or foreign keys; the answers are empty, with the right schemas.

func (f *flightSQLServer) GetFlightInfoPrimaryKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.PrimaryKeys), nil
}
func (f *flightSQLServer) DoGetPrimaryKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.PrimaryKeys, "[]")
}
func (f *flightSQLServer) GetFlightInfoExportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.ExportedKeys), nil
}
func (f *flightSQLServer) DoGetExportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.ExportedKeys, "[]")
}
func (f *flightSQLServer) GetFlightInfoImportedKeys(_ context.Context, _ flightsql.TableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.ImportedKeys), nil
}
func (f *flightSQLServer) DoGetImportedKeys(context.Context, flightsql.TableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.ImportedKeys, "[]")
}
func (f *flightSQLServer) GetFlightInfoCrossReference(_ context.Context, _ flightsql.CrossTableRef, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.CrossReference), nil
}
func (f *flightSQLServer) DoGetCrossReference(context.Context, flightsql.CrossTableRef) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	return f.batchChannel(schema_ref.CrossReference, "[]")
}

func (f *flightSQLServer) GetFlightInfoXdbcTypeInfo(_ context.Context, _ flightsql.GetXdbcTypeInfo, desc *flight.FlightDescriptor) (*flight.FlightInfo, error) {
	return f.metadataInfo(desc, schema_ref.XdbcTypeInfo), nil
}

// xdbcTypes are Spark's SQL types with their JDBC type codes.
var xdbcTypes = []struct {
	name     string
	code     int32
	size     int32
	quoted   bool
	unsigned bool
}{
	{"BOOLEAN", 16, 1, false, false}, {"TINYINT", -6, 3, false, false}, {"SMALLINT", 5, 5, false, false},
	{"INT", 4, 10, false, false}, {"BIGINT", -5, 19, false, false}, {"FLOAT", 6, 7, false, false},
	{"DOUBLE", 8, 15, false, false}, {"DECIMAL", 3, 38, false, false}, {"STRING", 12, 2147483647, true, false},
	{"BINARY", -2, 2147483647, false, false}, {"DATE", 91, 10, true, false}, {"TIMESTAMP", 93, 29, true, false},
}

func (f *flightSQLServer) DoGetXdbcTypeInfo(_ context.Context, cmd flightsql.GetXdbcTypeInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	bld := array.NewRecordBuilder(f.s.mem, schema_ref.XdbcTypeInfo)
	defer bld.Release()
	for _, t := range xdbcTypes {
		if d := cmd.GetDataType(); d != nil && *d != t.code {
			continue
		}
		bld.Field(0).(*array.StringBuilder).Append(t.name)
		bld.Field(1).(*array.Int32Builder).Append(t.code)
		bld.Field(2).(*array.Int32Builder).Append(t.size)
		if t.quoted {
			bld.Field(3).(*array.StringBuilder).Append("'")
			bld.Field(4).(*array.StringBuilder).Append("'")
		} else {
			bld.Field(3).AppendNull()
			bld.Field(4).AppendNull()
		}
		params := bld.Field(5).(*array.ListBuilder)
		params.Append(true)
		bld.Field(6).(*array.Int32Builder).Append(1) // nullable
		bld.Field(7).(*array.BooleanBuilder).Append(false)
		bld.Field(8).(*array.Int32Builder).Append(3) // searchable
		bld.Field(9).(*array.BooleanBuilder).Append(t.unsigned)
		bld.Field(10).(*array.BooleanBuilder).Append(false)
		bld.Field(11).(*array.BooleanBuilder).Append(false)
		bld.Field(12).(*array.StringBuilder).Append(strings.ToLower(t.name))
		for i := 13; i <= 14; i++ {
			bld.Field(i).(*array.Int32Builder).Append(0)
		}
		bld.Field(15).(*array.Int32Builder).Append(t.code)
		for i := 16; i <= 18; i++ {
			bld.Field(i).(*array.Int32Builder).AppendNull()
		}
	}
	b := bld.NewRecordBatch()
	ch := make(chan flight.StreamChunk, 1)
	ch <- flight.StreamChunk{Data: b}
	close(ch)
	return schema_ref.XdbcTypeInfo, ch, nil
}

// likeMatch matches a Flight SQL filter pattern (SQL LIKE: % any text, _ one character).
func likeMatch(pattern, s string) bool {
	var b strings.Builder
	b.WriteString("(?is)^")
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	return err == nil && re.MatchString(s)
}
