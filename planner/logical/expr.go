// Package logical holds Quiver's protocol-neutral logical plan: plan nodes and expressions as
// plain data. Front ends (proto, SQL) build it, the analyzer resolves it, the optimizer rewrites it
// and the physical planner lowers it. It must not import execution code.
package logical

import (
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
)

// ExprID identifies an attribute for the life of a plan, as Spark's ExprId does: two columns with
// the same name from different relations (a self-join) have different ids.
type ExprID int64

// IDGenerator hands out ExprIDs. One per query keeps ids small and plans reproducible.
type IDGenerator struct{ next atomic.Int64 }

// Next returns a fresh id.
func (g *IDGenerator) Next() ExprID { return ExprID(g.next.Add(1)) }

// Expr is an expression node. Resolved expressions know their type; unresolved ones (produced by
// front ends) report Resolved() == false until the analyzer replaces them.
type Expr interface {
	// DataType is the Arrow type of the value; nil while unresolved.
	DataType() arrow.DataType
	// Nullable reports whether the value may be null.
	Nullable() bool
	// Children returns the direct sub-expressions.
	Children() []Expr
	// WithChildren returns a copy with the children replaced (same count as Children()).
	WithChildren(children []Expr) Expr
	// String renders the expression the way Spark names columns: "(a + 1)", "sum(x)".
	String() string
}

// Named is an expression that produces a named output column.
type Named interface {
	Expr
	Name() string
	ID() ExprID
	// ToAttribute returns the attribute that refers to this output from a parent node.
	ToAttribute() *ColumnRef
}

// ColumnRef is a resolved reference to an attribute of the child plan's output.
type ColumnRef struct {
	AttrID     ExprID
	ColumnName string
	// Qualifier is the relation alias, if any ("t" in t.a).
	Qualifier string
	Type      arrow.DataType
	Null      bool
	// Metadata is the Arrow field metadata carried with the column (pandas dtype hints, ...).
	Metadata arrow.Metadata
}

func (c *ColumnRef) DataType() arrow.DataType   { return c.Type }
func (c *ColumnRef) Nullable() bool             { return c.Null }
func (c *ColumnRef) Children() []Expr           { return nil }
func (c *ColumnRef) WithChildren(_ []Expr) Expr { return c }
func (c *ColumnRef) String() string             { return c.ColumnName }
func (c *ColumnRef) Name() string               { return c.ColumnName }
func (c *ColumnRef) ID() ExprID                 { return c.AttrID }
func (c *ColumnRef) ToAttribute() *ColumnRef    { return c }
func (c *ColumnRef) Field() arrow.Field {
	return arrow.Field{Name: c.ColumnName, Type: c.Type, Nullable: c.Null, Metadata: c.Metadata}
}

// WithQualifier returns a copy carrying a relation alias.
func (c *ColumnRef) WithQualifier(q string) *ColumnRef {
	cp := *c
	cp.Qualifier = q
	return &cp
}

// BoundRef is a column reference bound to an ordinal of the input batch. Only physical plans
// contain it.
type BoundRef struct {
	Ordinal    int
	ColumnName string
	Type       arrow.DataType
	Null       bool
}

func (b *BoundRef) DataType() arrow.DataType   { return b.Type }
func (b *BoundRef) Nullable() bool             { return b.Null }
func (b *BoundRef) Children() []Expr           { return nil }
func (b *BoundRef) WithChildren(_ []Expr) Expr { return b }
func (b *BoundRef) String() string             { return fmt.Sprintf("%s#%d", b.ColumnName, b.Ordinal) }

// Literal is a constant. Value is a typed Arrow scalar; a null literal has Value.IsValid() false.
type Literal struct {
	Value scalar.Scalar
}

// NewLiteral wraps a scalar.
func NewLiteral(s scalar.Scalar) *Literal { return &Literal{Value: s} }

// NullLiteral returns a typed null.
func NullLiteral(t arrow.DataType) *Literal { return &Literal{Value: scalar.MakeNullScalar(t)} }

func (l *Literal) DataType() arrow.DataType   { return l.Value.DataType() }
func (l *Literal) Nullable() bool             { return !l.Value.IsValid() }
func (l *Literal) Children() []Expr           { return nil }
func (l *Literal) WithChildren(_ []Expr) Expr { return l }
func (l *Literal) String() string {
	if !l.Value.IsValid() {
		return "NULL"
	}
	switch v := l.Value.(type) {
	case *scalar.String:
		return v.String()
	case *scalar.Boolean:
		if v.Value {
			return "true"
		}
		return "false"
	}
	return l.Value.String()
}

// Alias names an expression's output column.
type Alias struct {
	Child    Expr
	Alias    string
	AttrID   ExprID
	Metadata arrow.Metadata
}

func (a *Alias) DataType() arrow.DataType { return a.Child.DataType() }
func (a *Alias) Nullable() bool           { return a.Child.Nullable() }
func (a *Alias) Children() []Expr         { return []Expr{a.Child} }
func (a *Alias) WithChildren(c []Expr) Expr {
	cp := *a
	cp.Child = c[0]
	return &cp
}
func (a *Alias) String() string { return a.Alias }
func (a *Alias) Name() string   { return a.Alias }
func (a *Alias) ID() ExprID     { return a.AttrID }
func (a *Alias) ToAttribute() *ColumnRef {
	return &ColumnRef{AttrID: a.AttrID, ColumnName: a.Alias, Type: a.Child.DataType(), Null: a.Child.Nullable(), Metadata: a.Metadata}
}

// Call is a resolved scalar function or operator call. Function is the canonical lower-case name
// the executor's kernel registry knows ("add", "eq", "and", "upper", ...).
type Call struct {
	Function string
	Args     []Expr
	Type     arrow.DataType
	Null     bool
	// Display is how Spark prints the call, used for the default column name.
	Display string
}

func (c *Call) DataType() arrow.DataType { return c.Type }
func (c *Call) Nullable() bool           { return c.Null }
func (c *Call) Children() []Expr         { return c.Args }
func (c *Call) WithChildren(children []Expr) Expr {
	cp := *c
	cp.Args = children
	return &cp
}
func (c *Call) String() string {
	if c.Display != "" {
		return c.Display
	}
	return fmt.Sprintf("%s(%s)", c.Function, JoinExprs(c.Args, ", "))
}

// EvalMode says how casts and arithmetic behave on failure.
type EvalMode int

const (
	// EvalANSI raises on overflow, invalid casts and division by zero (Spark 4 default).
	EvalANSI EvalMode = iota
	// EvalLegacy yields null instead (spark.sql.ansi.enabled=false).
	EvalLegacy
	// EvalTry yields null (try_cast, try_divide).
	EvalTry
)

// Cast converts a value to another type.
type Cast struct {
	Child Expr
	To    arrow.DataType
	Mode  EvalMode
}

func (c *Cast) DataType() arrow.DataType { return c.To }
func (c *Cast) Nullable() bool           { return c.Child.Nullable() || c.Mode != EvalANSI }
func (c *Cast) Children() []Expr         { return []Expr{c.Child} }
func (c *Cast) WithChildren(children []Expr) Expr {
	cp := *c
	cp.Child = children[0]
	return &cp
}
func (c *Cast) String() string {
	return fmt.Sprintf("CAST(%s AS %s)", c.Child.String(), SparkSQLTypeName(c.To))
}

// JoinExprs renders expressions separated by sep.
func JoinExprs(exprs []Expr, sep string) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = e.String()
	}
	return strings.Join(parts, sep)
}

// Transform rewrites an expression tree bottom-up with f. f returns the node unchanged when it has
// nothing to do.
func Transform(e Expr, f func(Expr) (Expr, error)) (Expr, error) {
	children := e.Children()
	if len(children) > 0 {
		changed := false
		next := make([]Expr, len(children))
		for i, c := range children {
			nc, err := Transform(c, f)
			if err != nil {
				return nil, err
			}
			next[i] = nc
			if nc != c {
				changed = true
			}
		}
		if changed {
			e = e.WithChildren(next)
		}
	}
	return f(e)
}

// Walk visits every node of an expression tree, parents first; f returns false to skip children.
func Walk(e Expr, f func(Expr) bool) {
	if !f(e) {
		return
	}
	for _, c := range e.Children() {
		Walk(c, f)
	}
}

// ReferencedIDs returns the attribute ids an expression reads.
func ReferencedIDs(e Expr) map[ExprID]bool {
	ids := map[ExprID]bool{}
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			ids[c.AttrID] = true
		}
		return true
	})
	return ids
}

// StripAlias returns the expression under any aliases.
func StripAlias(e Expr) Expr {
	for {
		a, ok := e.(*Alias)
		if !ok {
			return e
		}
		e = a.Child
	}
}
