package analyzer

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// FunctionCatalog is implemented by catalogs that know session functions: Python functions
// registered with spark.udf.register, callable by name from SQL and expr().
type FunctionCatalog interface {
	LookupFunction(name string) (*logical.PythonFunction, bool)
}

// resolveSessionFunction resolves a call of a registered Python function; ok is false when the
// name is not one. Session functions shadow built-ins, as temporary functions do in Spark.
func (a *Analyzer) resolveSessionFunction(u *logical.UnresolvedFunction) (logical.Expr, bool) {
	fc, ok := a.Catalog.(FunctionCatalog)
	if !ok {
		return nil, false
	}
	f, ok := fc.LookupFunction(u.Name)
	if !ok {
		return nil, false
	}
	return &logical.PythonUDF{Function: f, Args: u.Args}, true
}
