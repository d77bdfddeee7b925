package logical

import "fmt"

// WindowInPython evaluates grouped aggregate pandas UDFs over windows (pandas_udf(Series ->
// scalar).over(Window.partitionBy(...))) with the whole window partition as the frame: every
// row gets the function's value over the rows that share its partition values (Spark's
// WindowInPandas for unbounded frames). The optimizer makes it from a Window node.
type WindowInPython struct {
	Input     Plan
	Partition []Expr
	// OrderSpec and Frames (one per call) are set when a call's frame is not the whole
	// partition: such a call runs once per row over the rows of the row's frame.
	OrderSpec []*SortOrder
	Frames    []*WindowFrame
	Calls     []*PythonUDF
	// Results are the calls' output columns, appended to Input's.
	Results []*ColumnRef
}

func (w *WindowInPython) Output() []*ColumnRef {
	return append(append([]*ColumnRef(nil), w.Input.Output()...), w.Results...)
}
func (w *WindowInPython) Children() []Plan { return []Plan{w.Input} }
func (w *WindowInPython) WithChildren(c []Plan) Plan {
	cp := *w
	cp.Input = c[0]
	return &cp
}
func (w *WindowInPython) Describe() string {
	calls := make([]Expr, len(w.Calls))
	for i, c := range w.Calls {
		calls[i] = c
	}
	return fmt.Sprintf("WindowInPandas [%s], partition by [%s], [%s]", JoinExprs(calls, ", "), JoinExprs(w.Partition, ", "), attrList(w.Results))
}
