package sqlplan

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// TableInfo describes one entry of SHOW TABLES.
type TableInfo struct {
	Database    string
	Name        string
	IsTemporary bool
}

// StatementCatalog is what SQL statements change: the server's catalog implements it (found by
// a type assertion on the analyzer's catalog).
type StatementCatalog interface {
	// CreateView stores a temp view (global: visible to every session) planned from SQL text.
	CreateView(name []string, text string, global, replace, ifNotExists bool) error
	// DropView drops a temp view; it reports whether one existed.
	DropView(name []string) (bool, error)
	// ListTables lists the views and tables of a database ("" is the current one).
	ListTables(database string) ([]TableInfo, error)
	// SetConfig sets a session setting; GetConfig reads them (all when key is "").
	SetConfig(key, value string) error
	GetConfig(key string) (map[string]string, error)
}

// TableCatalog is what table statements need; implemented by the server's table catalog.
type TableCatalog interface {
	CreateTable(c *protoplan.Converter, t *CreateTable, query logical.Plan) error
	InsertInto(c *protoplan.Converter, table []string, query logical.Plan, overwrite bool) error
	DropTable(name []string, ifExists bool) (bool, error)
}

// Result is what a statement produced: a plan to read (a query, or a command's rows).
type Result struct {
	Plan logical.Plan
	// Command is true for statements that changed something (or only report, like SHOW); their
	// rows are in Columns/Rows as well so a caller can return them without planning again.
	Command bool
	Columns []string
	Rows    [][]string
}

func init() {
	protoplan.SQLPlanner = func(c *protoplan.Converter, s *pb.SQL) (logical.Plan, error) {
		params, err := ParametersFromProto(s)
		if err != nil {
			return nil, err
		}
		r, err := Execute(c, s.Query, params)
		if err != nil {
			return nil, err
		}
		return r.Plan, nil
	}
}

// ParametersFromProto converts spark.sql's args.
func ParametersFromProto(s *pb.SQL) (Parameters, error) {
	params := Parameters{Named: map[string]*logical.Literal{}}
	for name, l := range s.Args {
		lit, err := protoplan.Literal(l)
		if err != nil {
			return params, err
		}
		params.Named[name] = lit
	}
	for _, l := range s.PosArgs {
		lit, err := protoplan.Literal(l)
		if err != nil {
			return params, err
		}
		params.Positional = append(params.Positional, lit)
	}
	return params, nil
}

// Plan parses and binds a query (statements that are not queries are refused).
func Plan(c *protoplan.Converter, text string, params Parameters) (logical.Plan, error) {
	r, err := Execute(c, text, params)
	if err != nil {
		return nil, err
	}
	return r.Plan, nil
}

// Execute parses a statement and plans it; commands (CREATE VIEW, DROP, SET, ...) take effect
// now, through the catalog, and return their rows.
func Execute(c *protoplan.Converter, text string, params Parameters) (*Result, error) {
	stmt, err := ParseStatement(text)
	if err != nil {
		return nil, err
	}
	return ExecuteStatement(c, stmt, params)
}

// ExecuteStatement plans a parsed statement; see Execute.
func ExecuteStatement(c *protoplan.Converter, stmt Statement, params Parameters) (*Result, error) {
	b := NewBinder(c, params)
	statements, _ := c.A.Catalog.(StatementCatalog)
	tables, _ := c.A.Catalog.(TableCatalog)
	needStatements := func(what string) error {
		if statements == nil {
			return errkind.NotImplemented("%s needs a server catalog", what)
		}
		return nil
	}
	switch s := stmt.(type) {
	case *QueryStatement:
		p, err := b.Query(s.Query)
		if err != nil {
			return nil, err
		}
		return &Result{Plan: p}, nil
	case *CreateView:
		if err := needStatements("CREATE VIEW"); err != nil {
			return nil, err
		}
		// Bind now so a broken view fails at creation, as in Spark.
		if _, err := b.Query(s.Query); err != nil {
			return nil, err
		}
		if len(params.Named) > 0 || len(params.Positional) > 0 {
			return nil, errkind.Invalid("a view cannot use statement parameters; put the values in the view's text")
		}
		text := s.Text
		if len(s.Name) == 2 && !strings.EqualFold(s.Name[0], "global_temp") {
			return nil, errkind.Invalid("temp views live in no database; name it without '%s.'", s.Name[0])
		}
		if err := statements.CreateView(s.Name, text, s.Global, s.Replace, s.IfNotExists); err != nil {
			return nil, err
		}
		return b.rows(nil, nil, true)
	case *Drop:
		if s.Kind == "TABLE" && tables != nil {
			dropped, err := tables.DropTable(s.Name, true)
			if err != nil {
				return nil, err
			}
			if dropped {
				return b.rows(nil, nil, true)
			}
		}
		if err := needStatements("DROP"); err != nil {
			return nil, err
		}
		dropped, err := statements.DropView(s.Name)
		if err != nil {
			return nil, err
		}
		if !dropped && !s.IfExists {
			return nil, errkind.NotFound("%s '%s' not found; use DROP %s IF EXISTS to ignore a missing one", strings.ToLower(s.Kind), nameString(s.Name), s.Kind)
		}
		return b.rows(nil, nil, true)
	case *ShowTables:
		if err := needStatements("SHOW TABLES"); err != nil {
			return nil, err
		}
		list, err := statements.ListTables(s.Database)
		if err != nil {
			return nil, err
		}
		var rows [][]string
		for _, t := range list {
			if s.Pattern != "" && !matchSparkPattern(s.Pattern, t.Name) {
				continue
			}
			rows = append(rows, []string{t.Database, t.Name, fmt.Sprint(t.IsTemporary)})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i][0]+"."+rows[i][1] < rows[j][0]+"."+rows[j][1] })
		return b.rows([]string{"namespace", "tableName", "isTemporary"}, rows, true)
	case *ShowDatabases:
		return b.rows([]string{"namespace"}, [][]string{{"default"}}, true)
	case *ShowFunctions:
		var rows [][]string
		for _, n := range analyzer.FunctionNames() {
			if s.Pattern == "" || matchSparkPattern(s.Pattern, n) {
				rows = append(rows, []string{n})
			}
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
		return b.rows([]string{"function"}, rows, true)
	case *Describe:
		var p logical.Plan
		var err error
		if s.Query != nil {
			p, err = b.Query(s.Query)
		} else {
			p, err = b.tableRef(&TableName{Name: s.Name})
		}
		if err != nil {
			return nil, err
		}
		var rows [][]string
		for _, a := range p.Output() {
			rows = append(rows, []string{a.ColumnName, logical.SparkTypeName(a.Type), ""})
		}
		return b.rows([]string{"col_name", "data_type", "comment"}, rows, true)
	case *Explain:
		inner, ok := s.Statement.(*QueryStatement)
		if !ok {
			return nil, errkind.NotImplemented("EXPLAIN of a statement other than a query")
		}
		p, err := b.Query(inner.Query)
		if err != nil {
			return nil, err
		}
		text, err := explainText(c.A.Catalog, p, s.Mode)
		if err != nil {
			return nil, err
		}
		return b.rows([]string{"plan"}, [][]string{{text}}, true)
	case *SetConfig:
		if err := needStatements("SET"); err != nil {
			return nil, err
		}
		if s.Value != nil {
			if err := statements.SetConfig(s.Key, *s.Value); err != nil {
				return nil, err
			}
			return b.rows([]string{"key", "value"}, [][]string{{s.Key, *s.Value}}, true)
		}
		all, err := statements.GetConfig(s.Key)
		if err != nil {
			return nil, err
		}
		var rows [][]string
		for k, v := range all {
			rows = append(rows, []string{k, v})
		}
		sort.Slice(rows, func(i, j int) bool { return rows[i][0] < rows[j][0] })
		return b.rows([]string{"key", "value"}, rows, true)
	case *UseDatabase:
		if !strings.EqualFold(s.Name, "default") {
			return nil, errkind.NotFound("database '%s' not found; Quiver has one database, 'default' (and global_temp for global views)", s.Name)
		}
		return b.rows(nil, nil, true)
	case *CreateTable:
		if tables == nil {
			return nil, errkind.NotImplemented("CREATE TABLE needs the server's table catalog, which this server does not have")
		}
		var q logical.Plan
		if s.Query != nil {
			var err error
			if q, err = b.Query(s.Query); err != nil {
				return nil, err
			}
		}
		if err := tables.CreateTable(c, s, q); err != nil {
			return nil, err
		}
		return b.rows(nil, nil, true)
	case *InsertInto:
		if tables == nil {
			return nil, errkind.NotImplemented("INSERT INTO needs the server's table catalog, which this server does not have")
		}
		q, err := b.Query(s.Query)
		if err != nil {
			return nil, err
		}
		if len(s.Columns) > 0 {
			if q, err = b.insertColumns(s, q); err != nil {
				return nil, err
			}
		}
		if err := tables.InsertInto(c, s.Table, q, s.Overwrite); err != nil {
			return nil, err
		}
		return b.rows(nil, nil, true)
	}
	return nil, errkind.Internal("unknown statement %T", stmt)
}

// rows builds a plan of string rows (a command's output). A command without output yields an
// empty result.
func (b *Binder) rows(columns []string, rows [][]string, command bool) (*Result, error) {
	r := &Result{Command: command, Columns: columns, Rows: rows}
	if len(columns) == 0 {
		r.Plan = &logical.Limit{Input: &logical.Project{Input: b.oneRow()}, Count: 0}
		return r, nil
	}
	values := &Values{}
	if len(rows) == 0 {
		row := make([]logical.Expr, len(columns))
		for i := range row {
			row[i] = &logical.UnresolvedCast{Child: logical.NullLiteral(arrow.Null), TypeText: "string"}
		}
		values.Rows = [][]logical.Expr{row}
	}
	for _, row := range rows {
		exprs := make([]logical.Expr, len(row))
		for i, v := range row {
			if columns[i] == "isTemporary" {
				exprs[i] = &logical.UnresolvedCast{Child: stringLiteral(v), TypeText: "boolean"}
			} else {
				exprs[i] = stringLiteral(v)
			}
		}
		values.Rows = append(values.Rows, exprs)
	}
	p, err := b.values(values)
	if err != nil {
		return nil, err
	}
	p, err = b.renameColumns(p, columns, "")
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		p = &logical.Limit{Input: p, Count: 0}
	}
	r.Plan = p
	return r, nil
}

// matchSparkPattern matches SHOW TABLES LIKE patterns: * is any text, | separates choices.
func matchSparkPattern(pattern, name string) bool {
	for _, alt := range strings.Split(pattern, "|") {
		glob := strings.ReplaceAll(strings.TrimSpace(alt), "%", "*")
		if ok, _ := path.Match(strings.ToLower(glob), strings.ToLower(name)); ok {
			return true
		}
	}
	return false
}
