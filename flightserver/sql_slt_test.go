package flightserver_test

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/quiverdata/quiver/flightserver"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// The SQL logic tests: testdata/sql/*.slt in sqllogictest format, run through a real server
// (spark.sql's path: the quiver.sql action, then GetFlightInfo and DoGet). Expected rows were
// checked against DuckDB when written; `go test ./flightserver -run TestSQLLogic -rewrite`
// rewrites them from Quiver's answers (review the diff against DuckDB before committing).

var rewriteSLT = flag.Bool("rewrite", false, "rewrite the expected output of testdata/sql/*.slt")

type sltRecord struct {
	kind     string // "statement" or "query"
	expect   string // statement: "ok" or "error"; query: column types
	errText  string
	rowsort  bool
	sql      string
	expected []string
	line     int
	// header keeps the record's first line, comments the lines above it, for rewriting.
	header   string
	comments []string
}

func parseSLT(t *testing.T, path string) []*sltRecord {
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	var records []*sltRecord
	var cur *sltRecord
	inResult := false
	scanner := bufio.NewScanner(f)
	line := 0
	var comments []string
	flush := func() {
		if cur != nil {
			cur.sql = strings.TrimSpace(cur.sql)
			records = append(records, cur)
		}
		cur, inResult = nil, false
	}
	for scanner.Scan() {
		line++
		text := scanner.Text()
		switch {
		case cur == nil && strings.HasPrefix(text, "#"):
			comments = append(comments, text)
		case cur == nil && strings.TrimSpace(text) == "":
			if len(comments) > 0 {
				comments = append(comments, "")
			}
		case cur == nil:
			fields := strings.Fields(text)
			cur = &sltRecord{kind: fields[0], line: line, header: text, comments: comments}
			comments = nil
			switch fields[0] {
			case "statement":
				cur.expect = fields[1]
				if cur.expect == "error" {
					cur.errText = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(text, "statement"), " error"))
				}
			case "query":
				if len(fields) > 1 {
					cur.expect = fields[1]
				}
				cur.rowsort = len(fields) > 2 && fields[2] == "rowsort"
			default:
				t.Fatalf("%s:%d: unknown record %q", path, line, text)
			}
		case strings.TrimSpace(text) == "":
			flush()
		case text == "----":
			inResult = true
		case inResult:
			cur.expected = append(cur.expected, text)
		default:
			cur.sql += text + "\n"
		}
	}
	flush()
	return records
}

type sltClient struct {
	client flight.Client
	ctx    context.Context
	mem    memory.Allocator
}

func (c *sltClient) run(sql string) ([]string, error) {
	body, err := anypb.New(&pb.SQL{Query: sql})
	if err != nil {
		return nil, err
	}
	raw, _ := proto.Marshal(body)
	stream, err := c.client.DoAction(c.ctx, &flight.Action{Type: "quiver.sql", Body: raw})
	if err != nil {
		return nil, err
	}
	res, err := stream.Recv()
	if err != nil {
		return nil, err
	}
	for {
		if _, err := stream.Recv(); err != nil {
			break
		}
	}
	var plan pb.Plan
	if err := proto.Unmarshal(res.Body, &plan); err != nil {
		return nil, err
	}
	cmd, _ := anypb.New(&pb.CommandExecutePlan{Plan: &plan})
	cmdRaw, _ := proto.Marshal(cmd)
	info, err := c.client.GetFlightInfo(c.ctx, &flight.FlightDescriptor{Type: flight.DescriptorCMD, Cmd: cmdRaw})
	if err != nil {
		return nil, err
	}
	var rows []string
	for _, ep := range info.Endpoint {
		s, err := c.client.DoGet(c.ctx, ep.Ticket)
		if err != nil {
			return nil, err
		}
		r, err := flight.NewRecordReader(s, ipc.WithAllocator(c.mem))
		if err != nil {
			if errors.Is(err, io.EOF) {
				continue
			}
			return nil, err
		}
		for r.Next() {
			rows = append(rows, formatRows(r.RecordBatch())...)
		}
		err = r.Err()
		r.Release()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
	}
	return rows, nil
}

func formatRows(b arrow.RecordBatch) []string {
	out := make([]string, b.NumRows())
	for i := range out {
		parts := make([]string, b.NumCols())
		for j, col := range b.Columns() {
			parts[j] = formatValue(col, i)
		}
		out[i] = strings.Join(parts, " ")
	}
	return out
}

func formatValue(col arrow.Array, i int) string {
	if col.IsNull(i) {
		return "NULL"
	}
	switch a := col.(type) {
	case *array.Float64:
		return formatFloat(a.Value(i))
	case *array.Float32:
		return formatFloat(float64(a.Value(i)))
	case *array.Decimal128:
		// Values, not scales, are compared (Spark's avg keeps more scale digits than DuckDB's).
		text := a.Value(i).ToString(a.DataType().(*arrow.Decimal128Type).Scale)
		if strings.Contains(text, ".") {
			text = strings.TrimRight(strings.TrimRight(text, "0"), ".")
		}
		return text
	case *array.String:
		if a.Value(i) == "" {
			return "(empty)"
		}
		return a.Value(i)
	case *array.Date32:
		return a.Value(i).FormattedString()
	}
	return col.ValueStr(i)
}

// formatFloat rounds to 6 significant digits so float sums compare across engines.
func formatFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func TestSQLLogic(t *testing.T) {
	files, err := filepath.Glob("../testdata/sql/*.slt")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) { runSLTFile(t, path) })
	}
}

func runSLTFile(t *testing.T, path string) {
	t.Setenv("QUIVER_WAREHOUSE_DIR", t.TempDir())
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	srv, err := flightserver.New(flightserver.Config{Addr: "127.0.0.1:0", Token: "secret", Allocator: mem, DefaultParallelism: 2})
	require.NoError(t, err)
	require.NoError(t, srv.Listen())
	go func() { _ = srv.Serve() }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		// Every batch of every query is released by the time the server stops.
		mem.AssertSize(t, 0)
	}()
	client, err := flight.NewClientWithMiddleware(srv.Addr().String(), nil, nil, grpc.WithTransportCredentials(insecure.NewCredentials()))
	require.NoError(t, err)
	defer client.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer secret.slt-"+filepath.Base(path))
	c := &sltClient{client: client, ctx: ctx, mem: memory.NewGoAllocator()}

	records := parseSLT(t, path)
	changed := false
	for _, rec := range records {
		rows, err := c.run(rec.sql)
		where := fmt.Sprintf("%s:%d", path, rec.line)
		switch {
		case rec.kind == "statement" && rec.expect == "ok":
			if err != nil {
				t.Errorf("%s: statement failed: %v\n%s", where, err, rec.sql)
			}
		case rec.kind == "statement":
			if err == nil {
				t.Errorf("%s: statement should fail with %q but succeeded\n%s", where, rec.errText, rec.sql)
			} else if !strings.Contains(err.Error(), rec.errText) {
				t.Errorf("%s: error %q does not contain %q", where, err.Error(), rec.errText)
			}
		default:
			if err != nil {
				t.Errorf("%s: query failed: %v\n%s", where, err, rec.sql)
				continue
			}
			if rec.rowsort {
				sort.Strings(rows)
			}
			if *rewriteSLT {
				if strings.Join(rows, "\n") != strings.Join(rec.expected, "\n") {
					rec.expected = rows
					changed = true
				}
				continue
			}
			if strings.Join(rows, "\n") != strings.Join(rec.expected, "\n") {
				t.Errorf("%s: wrong result for\n%s\n--- want\n%s\n--- got\n%s", where, rec.sql,
					strings.Join(rec.expected, "\n"), strings.Join(rows, "\n"))
			}
		}
	}
	if *rewriteSLT && changed {
		var b strings.Builder
		for i, rec := range records {
			if i > 0 {
				b.WriteString("\n")
			}
			for _, c := range rec.comments {
				b.WriteString(c + "\n")
			}
			b.WriteString(rec.header + "\n" + rec.sql + "\n")
			if rec.kind == "query" {
				b.WriteString("----\n")
				for _, r := range rec.expected {
					b.WriteString(r + "\n")
				}
			}
		}
		require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o644))
	}
}
