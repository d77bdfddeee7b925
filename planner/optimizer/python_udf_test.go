package optimizer

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// A chain of projections with Python calls, and a filter on one, extracts every call once and
// reaches a fixpoint.
func TestExtractPythonUDFsChains(t *testing.T) {
	ids := &logical.IDGenerator{}
	src := &logical.StoredDataFrame{ID: "t", ArrowSchema: arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Float64}}, nil), NumPartitions: 1}
	scan := logical.NewScan(src, ids)
	plus := &logical.PythonFunction{Name: "plus", EvalType: logical.PythonScalarPandas, ReturnType: arrow.PrimitiveTypes.Float64}
	v := scan.Output()[0]
	p := &logical.Alias{Child: &logical.PythonUDF{Function: plus, Args: []logical.Expr{v}}, Alias: "p", AttrID: ids.Next()}
	inner := &logical.Project{Input: scan, Expressions: []logical.Named{p}}
	q := &logical.Alias{Child: &logical.PythonUDF{Function: plus, Args: []logical.Expr{p.ToAttribute()}}, Alias: "q", AttrID: ids.Next()}
	outer := &logical.Project{Input: inner, Expressions: []logical.Named{q}}
	cond := &logical.Call{Function: "gt", Args: []logical.Expr{&logical.PythonUDF{Function: plus, Args: []logical.Expr{q.ToAttribute()}}, v}, Type: arrow.FixedWidthTypes.Boolean}
	filtered := &logical.Filter{Input: outer, Condition: cond}
	_ = filtered
	o := &Optimizer{Rules: []Rule{ExtractPythonUDFs{}}, MaxIterations: 10}
	out, err := o.Optimize(outer)
	if err != nil {
		t.Fatal(err)
	}
	text := logical.Format(out)
	if n := strings.Count(text, "ArrowEvalPython"); n != 2 {
		t.Fatalf("want 2 ArrowEvalPython nodes, got %d:\n%s", n, text)
	}
}
