package flightserver

import (
	"context"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	"github.com/quiverdata/quiver/planner/sqlplan"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// SQL wiring: the SQL front end parses expression strings (selectExpr, F.expr, filter("a > 1")),
// plans Relation.sql, and runs statements against this server's catalog.

func init() {
	SQLExpressionParser = sqlplan.ParseExpression
	RegisterAction(ActionHandler{Type: "quiver.sql", Description: "Run a SQL statement (SQL -> Plan): commands take effect now; the answer is the plan to read",
		New: func() proto.Message { return &pb.SQL{} }, Handler: sqlAction})
}

// sqlAction is spark.sql(text): a query comes back as a Relation.sql to run lazily; a command
// (CREATE VIEW, DROP, SHOW, SET, ...) runs once, here, and its rows come back as a VALUES query,
// so reading the DataFrame later does not run the command again.
func sqlAction(s *Server, _ context.Context, session *Session, body proto.Message) ([]proto.Message, error) {
	req := body.(*pb.SQL)
	stmt, err := sqlplan.ParseStatement(req.Query)
	if err != nil {
		return nil, err
	}
	params, err := sqlplan.ParametersFromProto(req)
	if err != nil {
		return nil, err
	}
	converter := protoplan.NewConverter(s.NewAnalyzer(session))
	result, err := sqlplan.ExecuteStatement(converter, stmt, params)
	if err != nil {
		return nil, err
	}
	if !result.Command {
		return []proto.Message{&pb.Plan{Root: &pb.Relation{RelType: &pb.Relation_Sql{Sql: req}}}}, nil
	}
	text := rowsQuery(result.Columns, result.Rows)
	return []proto.Message{&pb.Plan{Root: &pb.Relation{RelType: &pb.Relation_Sql{Sql: &pb.SQL{Query: text}}}}}, nil
}

// rowsQuery renders a command's string rows as a side-effect-free query.
func rowsQuery(columns []string, rows [][]string) string {
	if len(columns) == 0 {
		return "SELECT * FROM VALUES (0) AS t(`result`) LIMIT 0"
	}
	quotedColumns := make([]string, len(columns))
	for i, c := range columns {
		quotedColumns[i] = "`" + strings.ReplaceAll(c, "`", "``") + "`"
	}
	value := func(column, v string) string {
		if column == "isTemporary" {
			return v
		}
		return sqlString(v)
	}
	if len(rows) == 0 {
		items := make([]string, len(columns))
		for i := range columns {
			items[i] = "CAST(NULL AS STRING) AS " + quotedColumns[i]
		}
		return "SELECT " + strings.Join(items, ", ") + " LIMIT 0"
	}
	tuples := make([]string, len(rows))
	for i, row := range rows {
		parts := make([]string, len(row))
		for j, v := range row {
			parts[j] = value(columns[j], v)
		}
		tuples[i] = "(" + strings.Join(parts, ", ") + ")"
	}
	return fmt.Sprintf("SELECT * FROM VALUES %s AS t(%s)", strings.Join(tuples, ", "), strings.Join(quotedColumns, ", "))
}

func sqlString(v string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(v, `\`, `\\`), "'", `\'`) + "'"
}

// -- sqlplan.StatementCatalog on the server's catalog -------------------------------------------

// ExplainPlan is SQL's EXPLAIN: the same plans, stages and text as DataFrame.explain(mode).
func (c *catalog) ExplainPlan(p logical.Plan, mode string) (string, error) {
	q, err := c.server.PlanLogical(c.session, p)
	if err != nil {
		return "", err
	}
	explainMode := map[string]pb.ActionAnalyzePlan_ExplainMode{
		"":          pb.ActionAnalyzePlan_EXPLAIN_MODE_SIMPLE,
		"EXTENDED":  pb.ActionAnalyzePlan_EXPLAIN_MODE_EXTENDED,
		"FORMATTED": pb.ActionAnalyzePlan_EXPLAIN_MODE_FORMATTED,
		"CODEGEN":   pb.ActionAnalyzePlan_EXPLAIN_MODE_CODEGEN,
		"COST":      pb.ActionAnalyzePlan_EXPLAIN_MODE_COST,
	}[mode]
	return q.Explain(explainMode), nil
}

func (c *catalog) CreateView(name []string, text string, global, replace, ifNotExists bool) error {
	target := c.session
	viewName := name[len(name)-1]
	if len(name) == 2 {
		if !strings.EqualFold(name[0], "global_temp") {
			return errkind.Invalid("views live in no database; name the view without '%s.'", name[0])
		}
		global = true
	}
	if global {
		target = c.server.sessions.global
	}
	if ifNotExists {
		if _, exists := target.view(viewName); exists {
			return nil
		}
	}
	plan := &pb.Plan{Root: &pb.Relation{RelType: &pb.Relation_Sql{Sql: &pb.SQL{Query: text}}}}
	if err := target.setView(viewName, plan, replace); err != nil {
		return errkind.Invalid("view '%s' already exists; use CREATE OR REPLACE TEMP VIEW to replace it", viewName)
	}
	return nil
}

func (c *catalog) DropView(name []string) (bool, error) {
	if len(name) == 2 && strings.EqualFold(name[0], "global_temp") {
		return c.server.sessions.global.dropView(name[1]), nil
	}
	if len(name) != 1 {
		return false, nil
	}
	return c.session.dropView(name[0]), nil
}

func (c *catalog) ListTables(database string) ([]sqlplan.TableInfo, error) {
	var out []sqlplan.TableInfo
	if strings.EqualFold(database, "global_temp") {
		for _, n := range c.server.sessions.global.ViewNames() {
			out = append(out, sqlplan.TableInfo{Database: "global_temp", Name: n, IsTemporary: true})
		}
		return out, nil
	}
	if database != "" && !strings.EqualFold(database, "default") {
		return nil, errkind.NotFound("database '%s' not found; Quiver has 'default' and 'global_temp'", database)
	}
	if ListSavedTables != nil {
		out = append(out, ListSavedTables(c.server)...)
	}
	for _, n := range c.session.ViewNames() {
		out = append(out, sqlplan.TableInfo{Name: n, IsTemporary: true})
	}
	return out, nil
}

// ListSavedTables lists the saved (persistent) tables; set by the file that owns tables.
var ListSavedTables func(s *Server) []sqlplan.TableInfo

func (c *catalog) SetConfig(key, value string) error {
	c.session.SetConfig(key, value)
	return nil
}

func (c *catalog) GetConfig(key string) (map[string]string, error) {
	all := c.session.AllConfig()
	if key == "" {
		return all, nil
	}
	v, ok := all[key]
	if !ok {
		return map[string]string{key: "<undefined>"}, nil
	}
	return map[string]string{key: v}, nil
}
