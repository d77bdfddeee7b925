package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Lambda expressions, the arguments of higher-order functions such as transform(a, x -> x + 1).
// Front ends build a LambdaFunction whose body refers to its parameters through
// UnresolvedNamedLambdaVariable; the analyzer types the parameters from the function's other
// arguments (the element type of the array, the key and value types of the map) and replaces the
// references with LambdaVariable. The executor evaluates a body once over all elements of a batch.

// UnresolvedNamedLambdaVariable is a reference to a lambda parameter by name: NameParts ["x"] for
// x, ["x", "f"] for the field f of a struct parameter x.
type UnresolvedNamedLambdaVariable struct {
	NameParts []string
}

func (u *UnresolvedNamedLambdaVariable) DataType() arrow.DataType   { return nil }
func (u *UnresolvedNamedLambdaVariable) Nullable() bool             { return true }
func (u *UnresolvedNamedLambdaVariable) Children() []Expr           { return nil }
func (u *UnresolvedNamedLambdaVariable) WithChildren(_ []Expr) Expr { return u }
func (u *UnresolvedNamedLambdaVariable) String() string             { return strings.Join(u.NameParts, ".") }

// LambdaVariable is a resolved lambda parameter. AttrID tells apart parameters of nested lambdas
// that share a name.
type LambdaVariable struct {
	VariableName string
	AttrID       ExprID
	Type         arrow.DataType
	Null         bool
}

func (v *LambdaVariable) DataType() arrow.DataType   { return v.Type }
func (v *LambdaVariable) Nullable() bool             { return v.Null }
func (v *LambdaVariable) Children() []Expr           { return nil }
func (v *LambdaVariable) WithChildren(_ []Expr) Expr { return v }

// String is how Spark prints a lambda variable in column names, whatever its name.
func (v *LambdaVariable) String() string { return "namedlambdavariable()" }

// LambdaFunction is `(x, y) -> body`. Before analysis Variables is nil and Parameters holds the
// names as written; the analyzer fills Variables (one per parameter) and resolves Body.
type LambdaFunction struct {
	Parameters []string
	Variables  []*LambdaVariable
	Body       Expr
}

// DataType is the body's type once resolved; nil before.
func (l *LambdaFunction) DataType() arrow.DataType {
	if l.Variables == nil {
		return nil
	}
	return l.Body.DataType()
}
func (l *LambdaFunction) Nullable() bool   { return l.Body.Nullable() }
func (l *LambdaFunction) Children() []Expr { return []Expr{l.Body} }
func (l *LambdaFunction) WithChildren(c []Expr) Expr {
	cp := *l
	cp.Body = c[0]
	return &cp
}

// String renders the lambda as Spark names it in column names once resolved:
// lambdafunction((namedlambdavariable() + 1), namedlambdavariable()); before that with the
// parameter names, for error messages.
func (l *LambdaFunction) String() string {
	parts := []string{l.Body.String()}
	if l.Variables != nil {
		for _, v := range l.Variables {
			parts = append(parts, v.String())
		}
	} else {
		parts = append(parts, l.Parameters...)
	}
	return fmt.Sprintf("lambdafunction(%s)", strings.Join(parts, ", "))
}
