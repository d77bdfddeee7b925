package flightserver_test

import (
	"context"
	"database/sql"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	_ "github.com/apache/arrow-go/v18/arrow/flight/flightsql/driver"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/quiverdata/quiver/flightserver"
)

// Flight SQL through real clients: Go's database/sql driver and the flightsql client, against
// a real server with a token. Each connection is its own session (its bearer token names it).

// startFlightSQLServer starts a server on a checked allocator that must be empty at the end.
func startFlightSQLServer(t *testing.T) (*flightserver.Server, memory.Allocator) {
	t.Setenv("QUIVER_WAREHOUSE_DIR", t.TempDir())
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	srv, err := flightserver.New(flightserver.Config{Addr: "127.0.0.1:0", Token: "secret", Allocator: mem, DefaultParallelism: 2})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	go func() { _ = srv.Serve() }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		mem.AssertSize(t, 0)
	})
	return srv, mem
}

func TestFlightSQLDatabaseSQLDriver(t *testing.T) {
	srv, _ := startFlightSQLServer(t)
	open := func(session string) *sql.DB {
		db, err := sql.Open("flightsql", "flightsql://"+srv.Addr().String()+"?token=secret."+session)
		require.NoError(t, err)
		t.Cleanup(func() { db.Close() })
		return db
	}
	a, b := open("client-a"), open("client-b")
	_, err := a.Exec("CREATE TEMP VIEW mine AS SELECT * FROM VALUES (1, 'x'), (2, 'y') AS t(id, name)")
	require.NoError(t, err)
	_, err = a.Exec("CREATE GLOBAL TEMP VIEW shared AS SELECT id * 10 AS id FROM range(3)")
	require.NoError(t, err)
	_, err = a.Exec("CREATE TABLE saved USING parquet AS SELECT id FROM range(4)")
	require.NoError(t, err)

	// With a parameter schema, database/sql binds Go's int64, float64 and string values.
	var matched int64
	require.NoError(t, a.QueryRow("SELECT count(*) FROM mine WHERE id >= ? AND name <> ? AND id * 1.0 < ?", 1, "y", 5.5).Scan(&matched))
	require.Equal(t, int64(1), matched)

	// A parameter nothing types (SELECT ?) leaves the statement without a parameter schema, so
	// the driver binds each Go value with its own type; typed ones still use the schema.
	var untypedInt int64
	require.NoError(t, a.QueryRow("SELECT ?", int64(42)).Scan(&untypedInt))
	require.Equal(t, int64(42), untypedInt)
	var untypedText string
	require.NoError(t, a.QueryRow("SELECT ?", "text").Scan(&untypedText))
	require.Equal(t, "text", untypedText)
	var untypedFloat float64
	require.NoError(t, a.QueryRow("SELECT ?", 1.25).Scan(&untypedFloat))
	require.Equal(t, 1.25, untypedFloat)
	require.NoError(t, a.QueryRow("SELECT ? * 2.0", 1.25).Scan(&untypedFloat))
	require.Equal(t, 2.5, untypedFloat)
	var plusOne int64
	require.NoError(t, a.QueryRow("SELECT ? + 1", 41).Scan(&plusOne))
	require.Equal(t, int64(42), plusOne)
	var echoed, idName string
	require.NoError(t, a.QueryRow("SELECT ?, name FROM mine WHERE id = ?", "label", 2).Scan(&echoed, &idName))
	require.Equal(t, []string{"label", "y"}, []string{echoed, idName})
	var flag bool
	require.NoError(t, a.QueryRow("SELECT NOT ?", false).Scan(&flag))
	require.True(t, flag)

	_, err = a.Exec("CREATE TABLE bound (n INT, s STRING) USING parquet")
	require.NoError(t, err)
	_, err = a.Exec("INSERT INTO bound VALUES (?, ?)", 7, "seven")
	require.NoError(t, err)
	var boundName string
	require.NoError(t, a.QueryRow("SELECT s FROM bound WHERE n = ?", 7).Scan(&boundName))
	require.Equal(t, "seven", boundName)

	rows, err := a.Query("SELECT id, name FROM mine WHERE id > ? ORDER BY id", 0)
	require.NoError(t, err)
	var got []string
	for rows.Next() {
		var id int64
		var name string
		require.NoError(t, rows.Scan(&id, &name))
		got = append(got, name)
	}
	require.NoError(t, rows.Err())
	require.Equal(t, []string{"x", "y"}, got)

	// Another connection sees the global view and the table, not the first one's temp view.
	var total int64
	require.NoError(t, b.QueryRow("SELECT sum(id) FROM global_temp.shared").Scan(&total))
	require.Equal(t, int64(30), total)
	require.NoError(t, b.QueryRow("SELECT count(*) FROM saved").Scan(&total))
	require.Equal(t, int64(4), total)
	_, err = b.Query("SELECT * FROM mine")
	require.Error(t, err)
	require.Contains(t, err.Error(), "not found")
}

func TestFlightSQLClientMetadataAndErrors(t *testing.T) {
	srv, _ := startFlightSQLServer(t)
	cl, err := flightsql.NewClient(srv.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer cl.Close()
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "user", "secret")
	require.NoError(t, err)

	for _, stmt := range []string{
		"CREATE TEMP VIEW v AS SELECT 1 AS a, 'b' AS b",
		"CREATE TABLE t (x INT, y STRING) USING parquet",
		"INSERT INTO t VALUES (1, 'one')",
	} {
		_, err := cl.ExecuteUpdate(ctx, stmt)
		require.NoError(t, err, stmt)
	}
	read := func(info *flight.FlightInfo, err error) [][]string {
		require.NoError(t, err)
		rdr, err := cl.DoGet(ctx, info.Endpoint[0].Ticket)
		require.NoError(t, err)
		defer rdr.Release()
		var out [][]string
		for rdr.Next() {
			b := rdr.RecordBatch()
			for i := 0; i < int(b.NumRows()); i++ {
				var row []string
				for _, c := range b.Columns() {
					row = append(row, c.ValueStr(i))
				}
				out = append(out, row)
			}
		}
		require.NoError(t, rdr.Err())
		return out
	}
	require.Equal(t, [][]string{{"spark_catalog"}}, read(cl.GetCatalogs(ctx)))
	schemas := read(cl.GetDBSchemas(ctx, &flightsql.GetDBSchemasOpts{}))
	require.Len(t, schemas, 2)
	tables := read(cl.GetTables(ctx, &flightsql.GetTablesOpts{IncludeSchema: true}))
	var names []string
	for _, r := range tables {
		names = append(names, r[1]+"."+r[2]+":"+r[3])
	}
	sort.Strings(names)
	require.Equal(t, []string{"default.t:TABLE", "default.v:VIEW"}, names)
	pattern := "v%"
	filtered := read(cl.GetTables(ctx, &flightsql.GetTablesOpts{TableNameFilterPattern: &pattern, TableTypes: []string{"VIEW"}}))
	require.Len(t, filtered, 1)
	require.Len(t, read(cl.GetTableTypes(ctx)), 2)
	require.NotEmpty(t, read(cl.GetXdbcTypeInfo(ctx, nil)))
	require.Empty(t, read(cl.GetPrimaryKeys(ctx, flightsql.TableRef{Table: "t"})))
	info := read(cl.GetSqlInfo(ctx, []flightsql.SqlInfo{flightsql.SqlInfoFlightSqlServerName, flightsql.SqlInfoIdentifierQuoteChar}))
	require.Len(t, info, 2)
	require.Equal(t, [][]string{{"1", "one"}}, read(cl.Execute(ctx, "SELECT x, y FROM t")))
	// EXPLAIN through Flight SQL shows the planned stages, as DataFrame.explain() does.
	explained := read(cl.Execute(ctx, "EXPLAIN EXTENDED SELECT y, count(*) FROM t GROUP BY y"))
	require.Len(t, explained, 1)
	require.Contains(t, explained[0][0], "== Optimized Logical Plan ==")
	require.Contains(t, explained[0][0], "== Physical Plan ==\nStage")

	// Prepared statement with a bound parameter; the parameter schema types it from context
	// (x is int, bound as bigint, the type clients bind integers with).
	prep, err := cl.Prepare(ctx, "SELECT x + ? FROM t")
	require.NoError(t, err)
	defer prep.Close(ctx)
	require.Equal(t, 1, prep.ParameterSchema().NumFields())
	require.Equal(t, arrow.PrimitiveTypes.Int64, prep.ParameterSchema().Field(0).Type)
	binding, _, err := array.RecordFromJSON(memory.DefaultAllocator, prep.ParameterSchema(), strings.NewReader(`[{"parameter_1": 41}]`))
	require.NoError(t, err)
	defer binding.Release()
	prep.SetParameters(binding)
	require.Equal(t, [][]string{{"42"}}, read(prep.Execute(ctx)))

	for text, want := range map[string][]arrow.DataType{
		"SELECT y FROM t WHERE y = ? AND x BETWEEN ? AND ?":    {arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Int64},
		"SELECT x FROM t WHERE x * 1.5 > ? OR y IN (?, 'two')": {arrow.PrimitiveTypes.Float64, arrow.BinaryTypes.String},
		"SELECT ? + 1":                               {arrow.PrimitiveTypes.Int64},
		"INSERT INTO t VALUES (?, ?)":                {arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String},
		"INSERT INTO t (y, x) VALUES (?, 2), (?, ?)": {arrow.BinaryTypes.String, arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int64},
		"SELECT upper(?), date_add(?, 1)":            {arrow.BinaryTypes.String, arrow.FixedWidthTypes.Date32},
	} {
		typed, err := cl.Prepare(ctx, text)
		require.NoError(t, err, text)
		var got []arrow.DataType
		for _, f := range typed.ParameterSchema().Fields() {
			got = append(got, f.Type)
		}
		require.Equal(t, want, got, text)
		require.NoError(t, typed.Close(ctx))
	}
	// A parameter nothing types leaves no parameter schema: clients bind their own types.
	for _, text := range []string{"SELECT ?", "SELECT x FROM t LIMIT ?", "SELECT ?, x FROM t WHERE x = ?"} {
		untyped, err := cl.Prepare(ctx, text)
		require.NoError(t, err, text)
		require.Nil(t, untyped.ParameterSchema(), text)
		require.NoError(t, untyped.Close(ctx))
	}

	// Errors carry positions, suggestions and gRPC codes.
	_, err = cl.Execute(ctx, "SELECT x FROM t WHERE")
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.Contains(t, err.Error(), "line 1, column 22")
	_, err = cl.Execute(ctx, "SELECT yy FROM t")
	require.Equal(t, codes.InvalidArgument, status.Code(err))
	require.Contains(t, err.Error(), "did you mean 'y'")
	_, err = cl.Execute(ctx, "SELECT * FROM tt")
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = cl.Execute(ctx, "SELECT x FROM t, LATERAL (SELECT x)")
	require.Equal(t, codes.Unimplemented, status.Code(err))
	require.Contains(t, err.Error(), "LATERAL subqueries")

	// Cancelling a planned query frees it; its ticket no longer reads.
	planned, err := cl.Execute(ctx, "SELECT id FROM range(1000000)")
	require.NoError(t, err)
	res, err := cl.CancelFlightInfo(ctx, &flight.CancelFlightInfoRequest{Info: planned})
	require.NoError(t, err)
	require.Equal(t, flight.CancelStatusCancelled, res.Status)
	_, err = cl.DoGet(ctx, planned.Endpoint[0].Ticket)
	if err == nil {
		rdr, rerr := cl.DoGet(ctx, planned.Endpoint[0].Ticket)
		if rerr == nil {
			for rdr.Next() {
			}
			err = rdr.Err()
			rdr.Release()
		} else {
			err = rerr
		}
	}
	require.Error(t, err)
}
