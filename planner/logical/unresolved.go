package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// The expressions in this file come from front ends and are replaced by the analyzer. They have
// no type; DataType returns nil.

// UnresolvedAttribute is a column name as written: NameParts ["t", "a"] for t.a.
type UnresolvedAttribute struct {
	NameParts []string
	// PlanID, when set, names the relation the column was taken from (df["a"]).
	PlanID *int64
}

func (u *UnresolvedAttribute) DataType() arrow.DataType   { return nil }
func (u *UnresolvedAttribute) Nullable() bool             { return true }
func (u *UnresolvedAttribute) Children() []Expr           { return nil }
func (u *UnresolvedAttribute) WithChildren(_ []Expr) Expr { return u }
func (u *UnresolvedAttribute) String() string             { return strings.Join(u.NameParts, ".") }

// UnresolvedFunction is a function or operator call by name.
type UnresolvedFunction struct {
	Name     string
	Args     []Expr
	Distinct bool
}

func (u *UnresolvedFunction) DataType() arrow.DataType { return nil }
func (u *UnresolvedFunction) Nullable() bool           { return true }
func (u *UnresolvedFunction) Children() []Expr         { return u.Args }
func (u *UnresolvedFunction) WithChildren(c []Expr) Expr {
	cp := *u
	cp.Args = c
	return &cp
}
func (u *UnresolvedFunction) String() string {
	return fmt.Sprintf("%s(%s)", u.Name, JoinExprs(u.Args, ", "))
}

// UnresolvedStar is "*" or "t.*".
type UnresolvedStar struct {
	Target []string
	PlanID *int64
}

func (u *UnresolvedStar) DataType() arrow.DataType   { return nil }
func (u *UnresolvedStar) Nullable() bool             { return false }
func (u *UnresolvedStar) Children() []Expr           { return nil }
func (u *UnresolvedStar) WithChildren(_ []Expr) Expr { return u }
func (u *UnresolvedStar) String() string {
	if len(u.Target) == 0 {
		return "*"
	}
	return strings.Join(u.Target, ".") + ".*"
}

// UnresolvedSQLExpression is a SQL expression in text form; the analyzer parses it with the SQL
// front end's expression parser.
type UnresolvedSQLExpression struct {
	Text string
}

func (u *UnresolvedSQLExpression) DataType() arrow.DataType   { return nil }
func (u *UnresolvedSQLExpression) Nullable() bool             { return true }
func (u *UnresolvedSQLExpression) Children() []Expr           { return nil }
func (u *UnresolvedSQLExpression) WithChildren(_ []Expr) Expr { return u }
func (u *UnresolvedSQLExpression) String() string             { return u.Text }

// UnresolvedCast is a cast to a type given as Spark DDL text.
type UnresolvedCast struct {
	Child    Expr
	TypeText string
	Mode     EvalMode
}

func (u *UnresolvedCast) DataType() arrow.DataType { return nil }
func (u *UnresolvedCast) Nullable() bool           { return true }
func (u *UnresolvedCast) Children() []Expr         { return []Expr{u.Child} }
func (u *UnresolvedCast) WithChildren(c []Expr) Expr {
	cp := *u
	cp.Child = c[0]
	return &cp
}
func (u *UnresolvedCast) String() string {
	return fmt.Sprintf("CAST(%s AS %s)", u.Child.String(), strings.ToUpper(u.TypeText))
}

// UnresolvedExtractValue is child[extraction]: struct field, map key or array index.
type UnresolvedExtractValue struct {
	Child      Expr
	Extraction Expr
}

func (u *UnresolvedExtractValue) DataType() arrow.DataType { return nil }
func (u *UnresolvedExtractValue) Nullable() bool           { return true }
func (u *UnresolvedExtractValue) Children() []Expr         { return []Expr{u.Child, u.Extraction} }
func (u *UnresolvedExtractValue) WithChildren(c []Expr) Expr {
	return &UnresolvedExtractValue{Child: c[0], Extraction: c[1]}
}
func (u *UnresolvedExtractValue) String() string {
	return fmt.Sprintf("%s[%s]", u.Child.String(), u.Extraction.String())
}

// UnresolvedAlias names an unresolved expression; resolved into Alias.
type UnresolvedAlias struct {
	Child    Expr
	Names    []string
	Metadata arrow.Metadata
}

func (u *UnresolvedAlias) DataType() arrow.DataType { return nil }
func (u *UnresolvedAlias) Nullable() bool           { return true }
func (u *UnresolvedAlias) Children() []Expr         { return []Expr{u.Child} }
func (u *UnresolvedAlias) WithChildren(c []Expr) Expr {
	cp := *u
	cp.Child = c[0]
	return &cp
}
func (u *UnresolvedAlias) String() string { return strings.Join(u.Names, ", ") }

// SortDirection and NullOrdering describe a sort key.
type SortDirection int

const (
	Ascending SortDirection = iota
	Descending
)

type NullOrdering int

const (
	// NullsDefault means Spark's default: first for ascending, last for descending.
	NullsDefault NullOrdering = iota
	NullsFirst
	NullsLast
)

// SortOrder is a sort key; used by Sort, windows and range partitioning.
type SortOrder struct {
	Child     Expr
	Direction SortDirection
	Nulls     NullOrdering
}

func (s *SortOrder) DataType() arrow.DataType { return s.Child.DataType() }
func (s *SortOrder) Nullable() bool           { return s.Child.Nullable() }
func (s *SortOrder) Children() []Expr         { return []Expr{s.Child} }
func (s *SortOrder) WithChildren(c []Expr) Expr {
	cp := *s
	cp.Child = c[0]
	return &cp
}

// NullsFirstEffective resolves NullsDefault the way Spark does.
func (s *SortOrder) NullsFirstEffective() bool {
	switch s.Nulls {
	case NullsFirst:
		return true
	case NullsLast:
		return false
	}
	return s.Direction == Ascending
}

func (s *SortOrder) String() string {
	dir := "ASC"
	if s.Direction == Descending {
		dir = "DESC"
	}
	nulls := "NULLS LAST"
	if s.NullsFirstEffective() {
		nulls = "NULLS FIRST"
	}
	return fmt.Sprintf("%s %s %s", s.Child.String(), dir, nulls)
}
