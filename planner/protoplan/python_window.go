package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// completePythonWindow checks a grouped aggregate pandas UDF used over a window
// (pandas_udf(Series -> scalar).over(...)) and sets its frame as Spark does: the whole
// partition without an ORDER BY, RANGE UNBOUNDED PRECEDING..CURRENT ROW with one. Ordered and
// bounded frames (rowsBetween, rangeBetween) call the function once per row on the rows of its
// frame, as PySpark 4 does.
func completePythonWindow(w *logical.WindowExpr) error {
	if w.Frame == nil {
		w.Frame = logical.DefaultFrame(len(w.OrderSpec) > 0)
	}
	if w.Frame.IsWholePartition() {
		return nil
	}
	name := w.Function.(*logical.PythonUDF).Function.Name
	if len(w.OrderSpec) == 0 {
		return errkind.Invalid("pandas UDF '%s' over the window frame %s needs an ordered window: add orderBy(...) to the Window or use the whole partition", name, w.Frame.String())
	}
	if w.Frame.Type == logical.RangeFrame && len(w.OrderSpec) != 1 &&
		(!w.Frame.Lower.Unbounded && w.Frame.Lower.Offset != 0 || !w.Frame.Upper.Unbounded && w.Frame.Upper.Offset != 0) {
		return errkind.Invalid("pandas UDF '%s': a RANGE frame with value offsets (%s) needs exactly one orderBy column, got %d", name, w.Frame.String(), len(w.OrderSpec))
	}
	return nil
}
