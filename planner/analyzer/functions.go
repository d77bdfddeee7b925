package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// FunctionResolver types a call once its arguments are resolved.
type FunctionResolver func(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error)

// functions maps lower-case names (and operator symbols) to resolvers. Files in this package add
// to it from init, one per family (operators, math, strings, dates, aggregates, ...).
var functions = map[string]FunctionResolver{}

func registerFunction(resolver FunctionResolver, names ...string) {
	for _, n := range names {
		functions[n] = resolver
	}
}

// FunctionNames lists every registered function name, for suggestions and SHOW FUNCTIONS.
func FunctionNames() []string {
	out := make([]string, 0, len(functions))
	for n := range functions {
		out = append(out, n)
	}
	return out
}

func (a *Analyzer) resolveFunction(u *logical.UnresolvedFunction) (logical.Expr, error) {
	name := strings.ToLower(u.Name)
	for _, arg := range u.Args {
		if arg.DataType() == nil {
			if _, isStar := arg.(*logical.UnresolvedStar); isStar && name == "count" {
				continue
			}
			return nil, errkind.Internal("argument %s of %s was not resolved", arg.String(), u.Name)
		}
	}
	if udf, ok := a.resolveSessionFunction(u); ok {
		return udf, nil
	}
	r, ok := functions[name]
	if !ok {
		var candidates []string
		for n := range functions {
			candidates = append(candidates, n)
		}
		msg := fmt.Sprintf("function '%s' is not supported by Quiver", u.Name)
		if s := SuggestClosest(name, candidates); s != "" {
			msg += fmt.Sprintf("; did you mean '%s'?", s)
		}
		return nil, errkind.NotImplemented("%s", msg)
	}
	return r(a, name, u.Args, u.Distinct)
}

func (a *Analyzer) resolveExtract(child, extraction logical.Expr) (logical.Expr, error) {
	switch t := child.DataType().(type) {
	case *arrow.StructType:
		lit, ok := extraction.(*logical.Literal)
		if !ok || !lit.Value.IsValid() {
			return nil, errkind.Invalid("struct field access on '%s' needs a field name literal", child.String())
		}
		name := literalString(lit)
		return a.extractPath(child, []string{name})
	case *arrow.MapType, *arrow.ListType, *arrow.LargeListType:
		_ = t
		return resolveCall(a, "element_at_extract", []logical.Expr{child, extraction}, false)
	}
	return nil, errkind.Invalid("cannot extract a value from '%s' of type %s; only structs, maps and arrays support [ ]", child.String(), logical.SparkTypeName(child.DataType()))
}

// ResolveCall resolves a function call on resolved arguments; front ends use it to build calls.
func (a *Analyzer) ResolveCall(name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	return resolveCall(a, name, args, distinct)
}

func resolveCall(a *Analyzer, name string, args []logical.Expr, distinct bool) (logical.Expr, error) {
	r, ok := functions[name]
	if !ok {
		return nil, errkind.NotImplemented("function '%s' is not supported by Quiver", name)
	}
	return r(a, name, args, distinct)
}

func literalString(l *logical.Literal) string {
	if s, ok := l.Value.(*scalar.String); ok {
		return string(s.Value.Bytes())
	}
	return l.Value.String()
}

func stringScalar(s string) scalar.Scalar { return scalar.NewStringScalar(s) }

func checkArity(name string, args []logical.Expr, minArgs, maxArgs int) error {
	if len(args) < minArgs || (maxArgs >= 0 && len(args) > maxArgs) {
		want := fmt.Sprintf("%d", minArgs)
		if maxArgs != minArgs {
			if maxArgs < 0 {
				want = fmt.Sprintf("at least %d", minArgs)
			} else {
				want = fmt.Sprintf("%d to %d", minArgs, maxArgs)
			}
		}
		return errkind.Invalid("function '%s' takes %s arguments, got %d", name, want, len(args))
	}
	return nil
}

func anyNullable(args []logical.Expr) bool {
	for _, a := range args {
		if a.Nullable() {
			return true
		}
	}
	return false
}
