package optimizer

import (
	"fmt"

	"github.com/quiverdata/quiver/planner/logical"
)

// ExtractPythonUDFs moves scalar Python calls out of projections and filters into PythonEval
// nodes below them, as Spark's ExtractPythonUDFs does: the calls of one eval type in one node
// share one round trip per batch to a worker, and their results become plain columns. A stack of
// calls of one eval type each taking the one below as its only argument (f(g(x))) is one call
// too: the worker applies g then f (Spark's chained Python functions). Other nested calls
// (f(g(x), y), calls of different eval types) are extracted innermost first, one PythonEval per
// level.
type ExtractPythonUDFs struct{}

func init() { RegisterRule(ExtractPythonUDFs{}) }

func (ExtractPythonUDFs) Name() string { return "ExtractPythonUDFs" }

func (r ExtractPythonUDFs) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	// Result columns need ids no attribute of the plan uses; the analyzer's generator is gone by
	// now, so continue above the largest id in the plan.
	next := maxExprID(p)
	newID := func() logical.ExprID {
		next++
		return next
	}
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		next, ok := extractFrom(n, newID)
		if ok {
			changed = true
			return next, nil
		}
		return n, nil
	})
	return out, changed, err
}

func extractFrom(n logical.Plan, newID func() logical.ExprID) (logical.Plan, bool) {
	switch x := n.(type) {
	case *logical.Project:
		exprs := make([]logical.Expr, len(x.Expressions))
		for i, e := range x.Expressions {
			exprs[i] = e
		}
		eval, rewritten := extractCalls(x.Input, exprs, newID)
		if eval == nil {
			return n, false
		}
		named := make([]logical.Named, len(rewritten))
		for i, e := range rewritten {
			named[i] = e.(logical.Named)
		}
		return &logical.Project{Input: eval, Expressions: named}, true
	case *logical.Filter:
		eval, rewritten := extractCalls(x.Input, []logical.Expr{x.Condition}, newID)
		if eval == nil {
			return n, false
		}
		keep := x.Input.Output()
		named := make([]logical.Named, len(keep))
		for i, a := range keep {
			named[i] = a
		}
		return &logical.Project{Input: &logical.Filter{Input: eval, Condition: rewritten[0]}, Expressions: named}, true
	}
	return n, false
}

// extractCalls finds the innermost scalar Python calls of the first eval type met, puts them in a
// PythonEval over input and replaces them in exprs with references to its result columns.
func extractCalls(input logical.Plan, exprs []logical.Expr, newID func() logical.ExprID) (*logical.PythonEval, []logical.Expr) {
	var calls []*logical.PythonUDF
	var kind logical.PythonEvalType
	seen := map[string]int{}
	for _, e := range exprs {
		logical.Walk(e, func(x logical.Expr) bool {
			u, ok := x.(*logical.PythonUDF)
			if !ok || !u.Function.EvalType.IsScalar() {
				return true
			}
			if !IsPythonChain(u) {
				for _, a := range u.Args {
					if logical.ContainsPythonUDF(a) {
						return true // the inner call goes first
					}
				}
			}
			if len(calls) == 0 {
				kind = u.Function.EvalType
			} else if u.Function.EvalType != kind || kind == logical.PythonScalarPandasIter {
				return false // one eval type per node; an iterator UDF runs alone
			}
			key := callKey(u)
			if _, dup := seen[key]; !dup {
				seen[key] = len(calls)
				calls = append(calls, u)
			}
			return false
		})
	}
	if len(calls) == 0 {
		return nil, nil
	}
	results := make([]*logical.ColumnRef, len(calls))
	for i, c := range calls {
		results[i] = &logical.ColumnRef{AttrID: newID(), ColumnName: fmt.Sprintf("pythonUDF%d", i), Type: c.DataType(), Null: true}
	}
	rewritten := make([]logical.Expr, len(exprs))
	for i, e := range exprs {
		r, _ := logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
			u, ok := x.(*logical.PythonUDF)
			if !ok {
				return x, nil
			}
			if idx, found := seen[callKey(u)]; found && u.Function.EvalType == kind {
				return results[idx], nil
			}
			return x, nil
		})
		rewritten[i] = r
	}
	return &logical.PythonEval{Input: input, Calls: calls, Results: results}, rewritten
}

// IsPythonChain reports whether u's arguments hold no Python call other than a chain below it:
// one argument that is itself a call of the same eval type whose arguments are a chain or free
// of Python calls. Such a stack runs as one function in the worker. Iterator UDFs do not chain.
func IsPythonChain(u *logical.PythonUDF) bool {
	if u.Function.EvalType == logical.PythonScalarPandasIter {
		return false
	}
	if len(u.Args) != 1 {
		for _, a := range u.Args {
			if logical.ContainsPythonUDF(a) {
				return false
			}
		}
		return true
	}
	inner, ok := u.Args[0].(*logical.PythonUDF)
	if !ok {
		return !logical.ContainsPythonUDF(u.Args[0])
	}
	return inner.Function.EvalType == u.Function.EvalType && IsPythonChain(inner)
}

// callKey identifies a call for de-duplication: the same function over the same arguments.
func callKey(u *logical.PythonUDF) string {
	return fmt.Sprintf("%p|%s|%s", u.Function, u.Function.Name, logical.JoinExprs(u.Args, ", "))
}

// maxExprID is the largest attribute id a plan produces or names.
func maxExprID(p logical.Plan) logical.ExprID {
	var m logical.ExprID
	var visit func(n logical.Plan)
	visit = func(n logical.Plan) {
		for _, a := range n.Output() {
			m = max(m, a.AttrID)
		}
		for _, c := range n.Children() {
			visit(c)
		}
	}
	visit(p)
	return m
}
