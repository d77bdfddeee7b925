package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// PythonEvalType says how a Python function is called; PySpark's PythonEvalType numbering.
type PythonEvalType int32

const (
	// PythonRowPickled is a row-at-a-time function over pickled rows (the classic path).
	PythonRowPickled PythonEvalType = 100
	// PythonRowArrow is a row-at-a-time function over Arrow transport (useArrow=True).
	PythonRowArrow PythonEvalType = 101
	// PythonScalarPandas is Series... -> Series, once per batch.
	PythonScalarPandas PythonEvalType = 200
	// PythonGroupedMapPandas is groupBy().applyInPandas.
	PythonGroupedMapPandas PythonEvalType = 201
	// PythonGroupedAggPandas is Series -> scalar per group (groupBy().agg).
	PythonGroupedAggPandas PythonEvalType = 202
	// PythonWindowAggPandas is a grouped aggregate over a window.
	PythonWindowAggPandas PythonEvalType = 203
	// PythonScalarPandasIter is Iterator[Series] -> Iterator[Series].
	PythonScalarPandasIter PythonEvalType = 204
	// PythonMapPandasIter is mapInPandas.
	PythonMapPandasIter PythonEvalType = 205
	// PythonCoGroupedMapPandas is cogroup().applyInPandas.
	PythonCoGroupedMapPandas PythonEvalType = 206
	// PythonMapArrowIter is mapInArrow.
	PythonMapArrowIter PythonEvalType = 207
)

// String names the eval type as PySpark does.
func (t PythonEvalType) String() string {
	switch t {
	case PythonRowPickled:
		return "SQL_BATCHED_UDF"
	case PythonRowArrow:
		return "SQL_ARROW_BATCHED_UDF"
	case PythonScalarPandas:
		return "SQL_SCALAR_PANDAS_UDF"
	case PythonGroupedMapPandas:
		return "SQL_GROUPED_MAP_PANDAS_UDF"
	case PythonGroupedAggPandas:
		return "SQL_GROUPED_AGG_PANDAS_UDF"
	case PythonWindowAggPandas:
		return "SQL_WINDOW_AGG_PANDAS_UDF"
	case PythonScalarPandasIter:
		return "SQL_SCALAR_PANDAS_ITER_UDF"
	case PythonMapPandasIter:
		return "SQL_MAP_PANDAS_ITER_UDF"
	case PythonCoGroupedMapPandas:
		return "SQL_COGROUPED_MAP_PANDAS_UDF"
	case PythonMapArrowIter:
		return "SQL_MAP_ARROW_ITER_UDF"
	}
	return fmt.Sprintf("eval type %d", int32(t))
}

// IsScalar reports whether calls of this type produce one value per input row and can sit in a
// projection (row UDFs and scalar pandas UDFs).
func (t PythonEvalType) IsScalar() bool {
	switch t {
	case PythonRowPickled, PythonRowArrow, PythonScalarPandas, PythonScalarPandasIter:
		return true
	}
	return false
}

// IsAggregate reports whether calls of this type reduce a group to one value.
func (t PythonEvalType) IsAggregate() bool {
	return t == PythonGroupedAggPandas || t == PythonWindowAggPandas
}

// PythonFunction is a Python function as the client sent it.
type PythonFunction struct {
	Name     string
	EvalType PythonEvalType
	// Command is the cloudpickled function.
	Command []byte
	// PythonVersion is "major.minor" of the interpreter that pickled it.
	PythonVersion string
	// ReturnType is the declared type; a struct for DataFrame-returning forms.
	ReturnType    arrow.DataType
	Deterministic bool
}

// PythonUDF is a call of a Python function inside an expression. The analyzer resolves its
// arguments like any call's; the optimizer's ExtractPythonUDFs rule moves scalar calls into
// PythonEval nodes so that each batch makes one round trip to a worker.
type PythonUDF struct {
	Function *PythonFunction
	Args     []Expr
}

func (p *PythonUDF) DataType() arrow.DataType { return p.Function.ReturnType }
func (p *PythonUDF) Nullable() bool           { return true }
func (p *PythonUDF) Children() []Expr         { return p.Args }
func (p *PythonUDF) WithChildren(c []Expr) Expr {
	cp := *p
	cp.Args = c
	return &cp
}

// String is how Spark names the column: name(args).
func (p *PythonUDF) String() string {
	return fmt.Sprintf("%s(%s)", p.Function.Name, JoinExprs(p.Args, ", "))
}

// ContainsPythonUDF reports whether e calls a Python function.
func ContainsPythonUDF(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if _, ok := x.(*PythonUDF); ok {
			found = true
		}
		return !found
	})
	return found
}

// PythonEval evaluates scalar Python calls over its input and appends one column per call
// (Spark's ArrowEvalPython / BatchEvalPython). All calls share one eval type.
type PythonEval struct {
	Input   Plan
	Calls   []*PythonUDF
	Results []*ColumnRef
}

func (p *PythonEval) Output() []*ColumnRef {
	return append(append([]*ColumnRef(nil), p.Input.Output()...), p.Results...)
}
func (p *PythonEval) Children() []Plan { return []Plan{p.Input} }
func (p *PythonEval) WithChildren(c []Plan) Plan {
	cp := *p
	cp.Input = c[0]
	return &cp
}
func (p *PythonEval) Describe() string {
	name := "ArrowEvalPython"
	if len(p.Calls) > 0 && p.Calls[0].Function.EvalType == PythonRowPickled {
		name = "BatchEvalPython"
	}
	parts := make([]string, len(p.Calls))
	for i, c := range p.Calls {
		parts[i] = fmt.Sprintf("%s AS %s#%d", c.String(), p.Results[i].ColumnName, p.Results[i].AttrID)
	}
	return fmt.Sprintf("%s [%s]", name, strings.Join(parts, ", "))
}

// MapInPython is mapInPandas / mapInArrow: the function maps an iterator of batches of the input
// to batches of Output.
type MapInPython struct {
	Input    Plan
	Function *PythonFunction
	Attrs    []*ColumnRef
}

func (m *MapInPython) Output() []*ColumnRef { return m.Attrs }
func (m *MapInPython) Children() []Plan     { return []Plan{m.Input} }
func (m *MapInPython) WithChildren(c []Plan) Plan {
	cp := *m
	cp.Input = c[0]
	return &cp
}
func (m *MapInPython) Describe() string {
	name := "MapInPandas"
	if m.Function.EvalType == PythonMapArrowIter {
		name = "MapInArrow"
	}
	return fmt.Sprintf("%s %s, [%s]", name, m.Function.Name, attrList(m.Attrs))
}

// FlatMapGroupsInPython is groupBy().applyInPandas: the function maps each group (a pandas
// DataFrame of all input columns) to a DataFrame of Output.
type FlatMapGroupsInPython struct {
	Input    Plan
	Grouping []Expr
	Function *PythonFunction
	Attrs    []*ColumnRef
}

func (m *FlatMapGroupsInPython) Output() []*ColumnRef { return m.Attrs }
func (m *FlatMapGroupsInPython) Children() []Plan     { return []Plan{m.Input} }
func (m *FlatMapGroupsInPython) WithChildren(c []Plan) Plan {
	cp := *m
	cp.Input = c[0]
	return &cp
}
func (m *FlatMapGroupsInPython) Describe() string {
	return fmt.Sprintf("FlatMapGroupsInPandas [%s], %s, [%s]", JoinExprs(m.Grouping, ", "), m.Function.Name, attrList(m.Attrs))
}

// FlatMapCoGroupsInPython is cogroup().applyInPandas.
type FlatMapCoGroupsInPython struct {
	Left, Right                 Plan
	LeftGrouping, RightGrouping []Expr
	Function                    *PythonFunction
	Attrs                       []*ColumnRef
}

func (m *FlatMapCoGroupsInPython) Output() []*ColumnRef { return m.Attrs }
func (m *FlatMapCoGroupsInPython) Children() []Plan     { return []Plan{m.Left, m.Right} }
func (m *FlatMapCoGroupsInPython) WithChildren(c []Plan) Plan {
	cp := *m
	cp.Left, cp.Right = c[0], c[1]
	return &cp
}
func (m *FlatMapCoGroupsInPython) Describe() string {
	return fmt.Sprintf("FlatMapCoGroupsInPandas [%s], [%s], %s, [%s]", JoinExprs(m.LeftGrouping, ", "),
		JoinExprs(m.RightGrouping, ", "), m.Function.Name, attrList(m.Attrs))
}

// AggregateInPython computes grouped aggregate pandas UDFs per group: one output row per group
// with the grouping values then one column per call (Spark's AggregateInPandas).
type AggregateInPython struct {
	Input    Plan
	Grouping []Expr
	Calls    []*PythonUDF
	// Attrs are the output: one per grouping expression, then one per call.
	Attrs []*ColumnRef
}

func (a *AggregateInPython) Output() []*ColumnRef { return a.Attrs }
func (a *AggregateInPython) Children() []Plan     { return []Plan{a.Input} }
func (a *AggregateInPython) WithChildren(c []Plan) Plan {
	cp := *a
	cp.Input = c[0]
	return &cp
}
func (a *AggregateInPython) Describe() string {
	calls := make([]Expr, len(a.Calls))
	for i, c := range a.Calls {
		calls[i] = c
	}
	return fmt.Sprintf("AggregateInPandas [%s], [%s], [%s]", JoinExprs(a.Grouping, ", "), JoinExprs(calls, ", "), attrList(a.Attrs))
}
