package logical

import (
	"fmt"
	"strconv"
)

// Union concatenates its inputs by position (UNION ALL). Inputs have the same column count and
// types (the front end inserts casts); Attributes are the output columns, named after the first
// input, with fresh ids.
type Union struct {
	Inputs     []Plan
	Attributes []*ColumnRef
}

func (u *Union) Output() []*ColumnRef { return u.Attributes }
func (u *Union) Children() []Plan     { return u.Inputs }
func (u *Union) WithChildren(c []Plan) Plan {
	cp := *u
	cp.Inputs = c
	return &cp
}
func (u *Union) Describe() string { return fmt.Sprintf("Union [%s]", attrList(u.Attributes)) }

// SetOperationKind is INTERSECT or EXCEPT.
type SetOperationKind int

const (
	Intersect SetOperationKind = iota
	Except
)

// SetOperation is INTERSECT [ALL] or EXCEPT [ALL] of two inputs with the same column types,
// comparing whole rows with null-safe equality (NULL equals NULL, NaN equals NaN) as Spark does.
// The output takes the left input's attributes.
type SetOperation struct {
	Left, Right Plan
	Kind        SetOperationKind
	All         bool
}

func (s *SetOperation) Output() []*ColumnRef { return s.Left.Output() }
func (s *SetOperation) Children() []Plan     { return []Plan{s.Left, s.Right} }
func (s *SetOperation) WithChildren(c []Plan) Plan {
	cp := *s
	cp.Left, cp.Right = c[0], c[1]
	return &cp
}
func (s *SetOperation) Describe() string {
	name := "Intersect"
	if s.Kind == Except {
		name = "Except"
	}
	if s.All {
		return name + " All"
	}
	return name
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
