package optimizer

import (
	"github.com/quiverdata/quiver/planner/logical"
)

// PythonWindows moves pandas aggregate UDFs used over a window out of Window nodes into a
// WindowInPython node below them (Spark's ExtractWindowExpressions does the same for
// WindowInPandas). Calls over ordered or bounded frames carry the order and their frames.
type PythonWindows struct{}

func init() { RegisterRule(PythonWindows{}) }

func (PythonWindows) Name() string { return "PythonWindows" }

func (PythonWindows) Apply(p logical.Plan) (logical.Plan, bool, error) {
	changed := false
	out, err := logical.TransformPlan(p, func(n logical.Plan) (logical.Plan, error) {
		w, ok := n.(*logical.Window)
		if !ok {
			return n, nil
		}
		var python []*logical.Alias
		var rest []*logical.Alias
		for _, e := range w.Expressions {
			if _, isPython := pythonWindowCall(e); isPython {
				python = append(python, e)
			} else {
				rest = append(rest, e)
			}
		}
		if len(python) == 0 {
			return n, nil
		}
		changed = true
		eval := &logical.WindowInPython{Input: w.Input, Partition: w.PartitionSpec}
		framed := false
		for _, e := range python {
			call, _ := pythonWindowCall(e)
			frame := e.Child.(*logical.WindowExpr).Frame
			framed = framed || frame != nil && !frame.IsWholePartition()
			eval.Calls = append(eval.Calls, call)
			eval.Frames = append(eval.Frames, frame)
			eval.Results = append(eval.Results, e.ToAttribute())
		}
		if framed {
			eval.OrderSpec = w.OrderSpec
		} else {
			eval.Frames = nil
		}
		if len(rest) == 0 {
			return eval, nil
		}
		// Other window functions of the node run above, then the columns are put back in order.
		above := &logical.Window{Input: eval, Expressions: rest, PartitionSpec: w.PartitionSpec, OrderSpec: w.OrderSpec}
		var named []logical.Named
		for _, a := range w.Output() {
			named = append(named, a)
		}
		return &logical.Project{Input: above, Expressions: named}, nil
	})
	return out, changed, err
}

// pythonWindowCall is the pandas aggregate UDF a window expression calls, if it calls one.
func pythonWindowCall(e *logical.Alias) (*logical.PythonUDF, bool) {
	w, ok := e.Child.(*logical.WindowExpr)
	if !ok {
		return nil, false
	}
	u, ok := w.Function.(*logical.PythonUDF)
	if !ok || !u.Function.EvalType.IsAggregate() {
		return nil, false
	}
	return u, true
}
