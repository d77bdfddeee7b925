package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// completePythonWindow checks a grouped aggregate pandas UDF used over a window
// (pandas_udf(Series -> scalar).over(...)) and sets its frame. The whole partition is the only
// frame supported: each row gets the function's value over its window partition, which is what
// Spark computes for an unordered window.
func completePythonWindow(w *logical.WindowExpr) error {
	name := w.Function.(*logical.PythonUDF).Function.Name
	if w.Frame == nil {
		if len(w.OrderSpec) > 0 {
			return errkind.NotImplemented("pandas UDF '%s' over an ordered window (a growing frame) is not supported; "+
				"drop the orderBy or use rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing)", name)
		}
		w.Frame = &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}, Upper: logical.FrameBound{Unbounded: true}}
		return nil
	}
	if !w.Frame.Lower.Unbounded || !w.Frame.Upper.Unbounded {
		return errkind.NotImplemented("pandas UDF '%s' over the bounded window frame %s is not supported; "+
			"use an unbounded frame (rowsBetween(Window.unboundedPreceding, Window.unboundedFollowing))", name, w.Frame.String())
	}
	return nil
}
