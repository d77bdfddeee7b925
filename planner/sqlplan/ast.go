package sqlplan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Statement is one parsed SQL statement.
type Statement interface{ statement() }

// QueryStatement is a query: SELECT, VALUES, set operations, WITH.
type QueryStatement struct{ Query Query }

// CreateView is CREATE [OR REPLACE] [GLOBAL] TEMP[ORARY] VIEW name AS query.
type CreateView struct {
	Name        []string
	Global      bool
	Replace     bool
	IfNotExists bool
	Query       Query
	// Text is the query's SQL text, kept so the view re-plans from source like Spark's.
	Text string
}

// ColumnDefinition is one column of CREATE TABLE name (a int, ...).
type ColumnDefinition struct {
	Name     string
	TypeText string
	NotNull  bool
}

// CreateTable is CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name [(columns)] [USING format]
// [LOCATION 'path'] [AS query].
type CreateTable struct {
	Name        []string
	Replace     bool
	IfNotExists bool
	Columns     []ColumnDefinition
	Format      string
	Location    string
	Options     map[string]string
	Query       Query
}

// InsertInto is INSERT INTO|OVERWRITE [TABLE] name [(columns)] query.
type InsertInto struct {
	Table     []string
	Columns   []string
	Overwrite bool
	Query     Query
}

// Drop is DROP VIEW|TABLE [IF EXISTS] name.
type Drop struct {
	Kind     string // "VIEW" or "TABLE"
	Name     []string
	IfExists bool
}

// ShowTables is SHOW TABLES [IN|FROM database] [[LIKE] 'pattern'].
type ShowTables struct {
	Database string
	Pattern  string
}

// ShowDatabases is SHOW DATABASES|SCHEMAS.
type ShowDatabases struct{}

// ShowFunctions is SHOW FUNCTIONS [[LIKE] 'pattern'].
type ShowFunctions struct{ Pattern string }

// Describe is DESCRIBE [TABLE] name or DESCRIBE QUERY query.
type Describe struct {
	Name  []string
	Query Query
}

// Explain is EXPLAIN [EXTENDED|FORMATTED|CODEGEN|COST] statement.
type Explain struct {
	Mode      string
	Statement Statement
}

// SetConfig is SET key=value, SET key (show one) or SET (show all).
type SetConfig struct {
	Key   string
	Value *string
}

// CacheTable is CACHE TABLE / UNCACHE TABLE; accepted so scripts written for Spark run.
type UseDatabase struct{ Name string }

func (*QueryStatement) statement() {}
func (*CreateView) statement()     {}
func (*CreateTable) statement()    {}
func (*InsertInto) statement()     {}
func (*Drop) statement()           {}
func (*ShowTables) statement()     {}
func (*ShowDatabases) statement()  {}
func (*ShowFunctions) statement()  {}
func (*Describe) statement()       {}
func (*Explain) statement()        {}
func (*SetConfig) statement()      {}
func (*UseDatabase) statement()    {}

// Query is a query expression.
type Query interface{ query() }

// Select is one SELECT block.
type Select struct {
	Distinct bool
	Items    []logical.Expr
	From     TableRef // nil: one row (SELECT 1)
	Where    logical.Expr
	GroupBy  []logical.Expr
	// GroupingKind is "", "ROLLUP", "CUBE" or "GROUPING SETS" (the first such in GROUP BY).
	GroupingKind string
	// GroupingSets, when not nil, are the grouping sets (indices into GroupBy) of GROUP BY with
	// ROLLUP, CUBE or GROUPING SETS; plain GROUP BY leaves it nil.
	GroupingSets [][]int
	// GroupByAll is GROUP BY ALL: GroupBy holds a reference to a column named all, which wins
	// when the input has one (as in Spark); otherwise the binder groups by the select items
	// without aggregates.
	GroupByAll bool
	Having     logical.Expr
	Windows    map[string]*WindowSpec
}

// SetOp is UNION / INTERSECT / EXCEPT of two queries.
type SetOp struct {
	Kind        string // "UNION", "INTERSECT", "EXCEPT"
	All         bool
	Left, Right Query
	ByName      bool
}

// Values is VALUES (..), (..).
type Values struct {
	Rows [][]logical.Expr
}

// CTE is one WITH name [(columns)] AS (query).
type CTE struct {
	Name    string
	Columns []string
	Query   Query
}

// QueryBlock adds WITH, ORDER BY, LIMIT and OFFSET around a query body.
type QueryBlock struct {
	With    []CTE
	Body    Query
	OrderBy []*logical.SortOrder
	// OrderByAll is ORDER BY ALL: OrderBy holds one key, a column named all (see sortByAll).
	OrderByAll bool
	Limit      logical.Expr
	Offset     logical.Expr
}

func (*Select) query()     {}
func (*SetOp) query()      {}
func (*Values) query()     {}
func (*QueryBlock) query() {}

// TableRef is an item of FROM.
type TableRef interface{ tableRef() }

// TableName reads a table, view or CTE by name.
type TableName struct {
	Name          []string
	Alias         string
	ColumnAliases []string
	pos           int
}

// SubqueryRef is (query) [AS] alias.
type SubqueryRef struct {
	Query         Query
	Alias         string
	ColumnAliases []string
}

// TableFunction is a table-valued function in FROM: range(10), range(0, 10, 2).
type TableFunction struct {
	Name          string
	Args          []logical.Expr
	Alias         string
	ColumnAliases []string
}

// JoinRef joins two table references.
type JoinRef struct {
	Left, Right TableRef
	Type        logical.JoinType
	On          logical.Expr
	Using       []string
	Natural     bool
}

func (*TableName) tableRef()     {}
func (*SubqueryRef) tableRef()   {}
func (*TableFunction) tableRef() {}
func (*JoinRef) tableRef()       {}

// SQL-only expressions. The binder replaces them before the analyzer sees the expression.

// ScalarSubquery is (SELECT one value).
type ScalarSubquery struct{ Query Query }

// InSubquery is value [NOT] IN (SELECT ...).
type InSubquery struct {
	Value logical.Expr
	Query Query
	Not   bool
}

// Exists is [NOT] EXISTS (SELECT ...).
type Exists struct {
	Query Query
	Not   bool
}

// Parameter is a statement parameter: ? (Index, 0-based) or :name.
type Parameter struct {
	Name  string
	Index int
}

// WindowSpec is OVER (...) or a named window.
type WindowSpec struct {
	Name        string // a reference to WINDOW name AS (...)
	PartitionBy []logical.Expr
	OrderBy     []*logical.SortOrder
	Frame       *logical.WindowFrame
}

// WindowCall is function(...) OVER window.
type WindowCall struct {
	Function logical.Expr
	Spec     *WindowSpec
}

// unsupported marks a construct the engine does not support; the binder reports it by name.
type unsupported struct{ construct string }

func (*ScalarSubquery) DataType() arrow.DataType { return nil }
func (*ScalarSubquery) Nullable() bool           { return true }
func (*ScalarSubquery) Children() []logical.Expr { return nil }
func (s *ScalarSubquery) WithChildren(_ []logical.Expr) logical.Expr {
	return s
}
func (*ScalarSubquery) String() string { return "scalarsubquery()" }

func (*InSubquery) DataType() arrow.DataType   { return nil }
func (*InSubquery) Nullable() bool             { return true }
func (s *InSubquery) Children() []logical.Expr { return []logical.Expr{s.Value} }
func (s *InSubquery) WithChildren(c []logical.Expr) logical.Expr {
	cp := *s
	cp.Value = c[0]
	return &cp
}
func (s *InSubquery) String() string { return fmt.Sprintf("(%s IN (listquery()))", s.Value.String()) }

func (*Exists) DataType() arrow.DataType                     { return nil }
func (*Exists) Nullable() bool                               { return false }
func (*Exists) Children() []logical.Expr                     { return nil }
func (e *Exists) WithChildren(_ []logical.Expr) logical.Expr { return e }
func (*Exists) String() string                               { return "exists()" }

func (*Parameter) DataType() arrow.DataType                     { return nil }
func (*Parameter) Nullable() bool                               { return true }
func (*Parameter) Children() []logical.Expr                     { return nil }
func (p *Parameter) WithChildren(_ []logical.Expr) logical.Expr { return p }
func (p *Parameter) String() string {
	if p.Name != "" {
		return ":" + p.Name
	}
	return "?"
}

func (*WindowCall) DataType() arrow.DataType { return nil }
func (*WindowCall) Nullable() bool           { return true }
func (w *WindowCall) Children() []logical.Expr {
	out := []logical.Expr{w.Function}
	out = append(out, w.Spec.PartitionBy...)
	for _, o := range w.Spec.OrderBy {
		out = append(out, o)
	}
	return out
}
func (w *WindowCall) WithChildren(c []logical.Expr) logical.Expr {
	spec := *w.Spec
	spec.PartitionBy = append([]logical.Expr(nil), c[1:1+len(w.Spec.PartitionBy)]...)
	spec.OrderBy = make([]*logical.SortOrder, len(w.Spec.OrderBy))
	for i, o := range w.Spec.OrderBy {
		x := c[1+len(w.Spec.PartitionBy)+i]
		if so, ok := x.(*logical.SortOrder); ok {
			spec.OrderBy[i] = so
		} else {
			spec.OrderBy[i] = &logical.SortOrder{Child: x, Direction: o.Direction, Nulls: o.Nulls}
		}
	}
	return &WindowCall{Function: c[0], Spec: &spec}
}
func (w *WindowCall) String() string { return w.Function.String() + " OVER (...)" }

func (*unsupported) DataType() arrow.DataType                     { return nil }
func (*unsupported) Nullable() bool                               { return true }
func (*unsupported) Children() []logical.Expr                     { return nil }
func (u *unsupported) WithChildren(_ []logical.Expr) logical.Expr { return u }
func (u *unsupported) String() string                             { return u.construct }

// nameString renders a multi-part name for messages.
func nameString(parts []string) string { return strings.Join(parts, ".") }
