package protoplan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	RegisterExpressionConverter(windowExpression)
	RegisterProjectPlanner(planWindows)
}

// windowExpression converts f(...).over(w) into an unresolved WindowExpr; the analyzer resolves
// its children and planWindows gives it a frame and a Window node.
func windowExpression(c *Converter, e *pb.Expression) (logical.Expr, bool, error) {
	x, ok := e.ExprType.(*pb.Expression_Window_)
	if !ok {
		return nil, false, nil
	}
	w := x.Window
	if w.WindowFunction == nil {
		return nil, true, errkind.Invalid("malformed plan: a window expression has no function")
	}
	fn, err := c.Expression(w.WindowFunction)
	if err != nil {
		return nil, true, err
	}
	partition, err := c.Expressions(w.PartitionSpec)
	if err != nil {
		return nil, true, err
	}
	out := &logical.WindowExpr{Function: fn, PartitionSpec: partition}
	for _, o := range w.OrderSpec {
		so, err := c.SortOrder(o)
		if err != nil {
			return nil, true, err
		}
		out.OrderSpec = append(out.OrderSpec, so)
	}
	if f := w.FrameSpec; f != nil {
		frame := &logical.WindowFrame{Type: logical.RowFrame}
		switch f.FrameType {
		case pb.Expression_Window_WindowFrame_FRAME_TYPE_RANGE:
			frame.Type = logical.RangeFrame
		case pb.Expression_Window_WindowFrame_FRAME_TYPE_ROW:
		default:
			return nil, true, errkind.Invalid("malformed plan: a window frame needs a type (ROWS or RANGE)")
		}
		if frame.Lower, err = frameBound(f.Lower, true); err != nil {
			return nil, true, err
		}
		if frame.Upper, err = frameBound(f.Upper, false); err != nil {
			return nil, true, err
		}
		out.Frame = frame
	}
	return out, true, nil
}

func frameBound(b *pb.Expression_Window_WindowFrame_FrameBoundary, lower bool) (logical.FrameBound, error) {
	if b == nil {
		return logical.FrameBound{}, errkind.Invalid("malformed plan: a window frame is missing a bound")
	}
	switch v := b.Boundary.(type) {
	case *pb.Expression_Window_WindowFrame_FrameBoundary_CurrentRow:
		return logical.FrameBound{}, nil
	case *pb.Expression_Window_WindowFrame_FrameBoundary_Unbounded:
		return logical.FrameBound{Unbounded: true}, nil
	case *pb.Expression_Window_WindowFrame_FrameBoundary_Value:
		lit := v.Value.GetLiteral()
		if lit == nil {
			return logical.FrameBound{}, errkind.Invalid("a window frame bound must be an integer literal")
		}
		l, err := Literal(lit)
		if err != nil {
			return logical.FrameBound{}, err
		}
		n, ok := literalInt64(l)
		if !ok {
			return logical.FrameBound{}, errkind.Invalid("a window frame bound must be an integer, got %s", l.String())
		}
		return logical.FrameBound{Offset: n}, nil
	}
	return logical.FrameBound{}, errkind.Invalid("malformed plan: a window frame bound has no value")
}

func literalInt64(l *logical.Literal) (int64, bool) {
	d, err := l.Value.CastTo(arrow.PrimitiveTypes.Int64)
	if err != nil || !d.IsValid() {
		return 0, false
	}
	s, ok := d.(*scalar.Int64)
	if !ok {
		return 0, false
	}
	return s.Value, true
}

// planWindows turns a projection holding window expressions into Window nodes (one per distinct
// PARTITION BY / ORDER BY, stacked) under a Project that refers to their outputs.
func planWindows(c *Converter, input logical.Plan, named []logical.Named) (logical.Plan, bool, error) {
	named, err := distributeWindows(named)
	if err != nil {
		return nil, true, err
	}
	var windows []*logical.WindowExpr
	for _, n := range named {
		var err error
		logical.Walk(n, func(x logical.Expr) bool {
			if err != nil {
				return false
			}
			switch v := x.(type) {
			case *logical.WindowExpr:
				windows = append(windows, v)
				return false
			case *logical.Call:
				if analyzer.WindowOnlyFunctions[v.Function] {
					err = errkind.Invalid("%s is a window function: use it with .over(Window.partitionBy(...).orderBy(...))", v.String())
				}
			}
			return true
		})
		if err != nil {
			return nil, true, err
		}
	}
	if len(windows) == 0 {
		return nil, false, nil
	}
	// Unaliased window columns were named before their frame was known; name them again after.
	autoNamed := map[int]bool{}
	for i, n := range named {
		if a, ok := n.(*logical.Alias); ok {
			if w, ok := a.Child.(*logical.WindowExpr); ok && a.Alias == w.String() {
				autoNamed[i] = true
			}
		}
	}
	type group struct {
		key     string
		spec    *logical.WindowExpr
		aliases []*logical.Alias
	}
	var groups []*group
	replacement := map[*logical.WindowExpr]*logical.ColumnRef{}
	byName := map[string]*logical.ColumnRef{}
	for _, w := range windows {
		if err := completeWindow(w); err != nil {
			return nil, true, err
		}
		name := w.String()
		if ref, ok := byName[name]; ok {
			replacement[w] = ref
			continue
		}
		alias := &logical.Alias{Child: w, Alias: name, AttrID: c.A.IDs.Next()}
		key := w.SpecString()
		var g *group
		for _, x := range groups {
			if x.key == key {
				g = x
			}
		}
		if g == nil {
			g = &group{key: key, spec: w}
			groups = append(groups, g)
		}
		g.aliases = append(g.aliases, alias)
		replacement[w] = alias.ToAttribute()
		byName[name] = replacement[w]
	}
	plan := input
	for _, g := range groups {
		plan = &logical.Window{Input: plan, Expressions: g.aliases, PartitionSpec: g.spec.PartitionSpec, OrderSpec: g.spec.OrderSpec}
	}
	exprs := make([]logical.Named, len(named))
	for i, n := range named {
		exprs[i] = replaceWindows(n, replacement).(logical.Named)
		if autoNamed[i] {
			exprs[i] = exprs[i].(*logical.Alias).Child.(*logical.ColumnRef)
		}
	}
	return &logical.Project{Input: plan, Expressions: exprs}, true, nil
}

// distributeWindows rewrites a window over an expression of aggregates (string_agg, max_by,
// percentile and mode are functions of collect_list) into that expression of windows, one per
// aggregate, each with the window's partitioning, order and frame. An unaliased column keeps the
// name Spark gives the whole window: max_by(x, y) OVER (...).
func distributeWindows(named []logical.Named) ([]logical.Named, error) {
	out := make([]logical.Named, len(named))
	for i, n := range named {
		if a, ok := n.(*logical.Alias); ok {
			if w, ok := a.Child.(*logical.WindowExpr); ok && a.Alias == w.String() && composedOfAggregates(w) {
				complete := *w
				if complete.Frame == nil {
					complete.Frame = logical.DefaultFrame(len(w.OrderSpec) > 0)
				}
				child, err := distributeWindow(w)
				if err != nil {
					return nil, err
				}
				cp := *a
				cp.Alias = complete.String()
				cp.Child = child
				out[i] = &cp
				continue
			}
		}
		e, err := distributeWithin(n)
		if err != nil {
			return nil, err
		}
		out[i] = e.(logical.Named)
	}
	return out, nil
}

func distributeWithin(e logical.Expr) (logical.Expr, error) {
	if w, ok := e.(*logical.WindowExpr); ok {
		if composedOfAggregates(w) {
			return distributeWindow(w)
		}
		return e, nil
	}
	children := e.Children()
	if len(children) == 0 {
		return e, nil
	}
	next := make([]logical.Expr, len(children))
	changed := false
	for i, child := range children {
		var err error
		if next[i], err = distributeWithin(child); err != nil {
			return nil, err
		}
		changed = changed || next[i] != child
	}
	if !changed {
		return e, nil
	}
	return e.WithChildren(next), nil
}

// composedOfAggregates reports whether w's function is an expression over aggregates rather than
// an aggregate, a window function or a pandas UDF.
func composedOfAggregates(w *logical.WindowExpr) bool {
	switch fn := logical.StripAlias(w.Function).(type) {
	case *logical.AggregateCall, *logical.PythonUDF:
		return false
	case *logical.Call:
		if analyzer.WindowOnlyFunctions[fn.Function] {
			return false
		}
	}
	return logical.ContainsAggregate(w.Function)
}

func distributeWindow(w *logical.WindowExpr) (logical.Expr, error) {
	// Spark computes median as an ordered-set aggregate (percentile_cont WITHIN GROUP), which
	// takes no ORDER BY or frame of a window; percentile, the same value, takes both.
	if call, ok := logical.StripAlias(w.Function).(*logical.Call); ok && strings.HasPrefix(call.Display, "median(") && (len(w.OrderSpec) > 0 || w.Frame != nil) {
		return nil, errkind.Invalid("[INVALID_WINDOW_SPEC_FOR_AGGREGATION_FUNC] Cannot specify ORDER BY or a window frame for \"%s\": use percentile(x, 0.5) over an ordered window or a frame, or median over Window.partitionBy(...) alone", call.String())
	}
	frame := w.Frame
	if frame == nil {
		frame = logical.DefaultFrame(len(w.OrderSpec) > 0)
	}
	var over func(e logical.Expr) logical.Expr
	over = func(e logical.Expr) logical.Expr {
		if a, ok := e.(*logical.AggregateCall); ok {
			f := *frame
			return &logical.WindowExpr{Function: a, PartitionSpec: w.PartitionSpec, OrderSpec: w.OrderSpec, Frame: &f}
		}
		children := e.Children()
		if len(children) == 0 {
			return e
		}
		next := make([]logical.Expr, len(children))
		for i, child := range children {
			next[i] = over(child)
		}
		return e.WithChildren(next)
	}
	return over(logical.StripAlias(w.Function)), nil
}

// PlanWindows plans resolved window expressions over input as a projection does (Window nodes
// under a Project); the SQL planner uses it for windows over an aggregate's output.
func PlanWindows(c *Converter, input logical.Plan, named []logical.Named) (logical.Plan, error) {
	p, ok, err := planWindows(c, input, named)
	if err == nil && !ok {
		p = &logical.Project{Input: input, Expressions: named}
	}
	return p, err
}

// replaceWindows swaps each WindowExpr for the column its Window node produces, top-down so the
// window's own children are left alone.
func replaceWindows(e logical.Expr, replacement map[*logical.WindowExpr]*logical.ColumnRef) logical.Expr {
	if w, ok := e.(*logical.WindowExpr); ok {
		return replacement[w]
	}
	children := e.Children()
	if len(children) == 0 {
		return e
	}
	next := make([]logical.Expr, len(children))
	changed := false
	for i, ch := range children {
		next[i] = replaceWindows(ch, replacement)
		changed = changed || next[i] != ch
	}
	if !changed {
		return e
	}
	if a, ok := e.(*logical.Alias); ok {
		cp := *a
		cp.Child = next[0]
		return &cp
	}
	return e.WithChildren(next)
}

// completeWindow checks a window expression and sets its frame as Spark does.
func completeWindow(w *logical.WindowExpr) error {
	for _, o := range w.OrderSpec {
		if !logical.Orderable(o.Child.DataType()) {
			return errkind.Invalid("cannot order a window by '%s': values of type %s have no order", o.Child.String(), logical.SparkTypeName(o.Child.DataType()))
		}
	}
	fn := logical.StripAlias(w.Function)
	w.Function = fn
	call, isCall := fn.(*logical.Call)
	if isCall && analyzer.WindowOnlyFunctions[call.Function] {
		if len(w.OrderSpec) == 0 {
			return errkind.Invalid("window function %s needs an ordered window: use Window.partitionBy(...).orderBy(...)", call.String())
		}
		switch call.Function {
		case "lag", "lead":
			off := call.Args[1].(*logical.Literal)
			n, _ := literalInt64(off)
			if call.Function == "lag" {
				n = -n
			}
			w.Frame = &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Offset: n}, Upper: logical.FrameBound{Offset: n}}
		default:
			w.Frame = &logical.WindowFrame{Type: logical.RowFrame, Lower: logical.FrameBound{Unbounded: true}}
		}
		return nil
	}
	if u, ok := fn.(*logical.PythonUDF); ok && u.Function.EvalType == logical.PythonGroupedAggPandas {
		return completePythonWindow(w)
	}
	if a, ok := fn.(*logical.AggregateCall); ok && a.Distinct {
		return errkind.Invalid("[DISTINCT_WINDOW_FUNCTION_UNSUPPORTED] Distinct window functions are not supported: '%s'; aggregate the distinct values first (collect_set over the window, or a groupBy and a join)", fn.String())
	}
	if !IsWindowAggregate(fn) {
		return errkind.Invalid("'%s' cannot be used over a window: use an aggregate (sum, avg, collect_list, stddev, ...) or a window function (row_number, rank, dense_rank, percent_rank, cume_dist, ntile, lag, lead)", fn.String())
	}
	if w.Frame == nil {
		w.Frame = logical.DefaultFrame(len(w.OrderSpec) > 0)
	}
	f := w.Frame
	if !f.Lower.Unbounded && !f.Upper.Unbounded && f.Lower.Offset > f.Upper.Offset {
		return errkind.Invalid("window frame %s has its lower bound after its upper bound", f.String())
	}
	if f.Type == logical.RangeFrame && (!f.Lower.Unbounded && f.Lower.Offset != 0 || !f.Upper.Unbounded && f.Upper.Offset != 0) {
		if len(w.OrderSpec) != 1 {
			return errkind.Invalid("a RANGE window frame with value offsets (%s) needs exactly one ORDER BY column, got %d", f.String(), len(w.OrderSpec))
		}
		switch w.OrderSpec[0].Child.DataType().ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64, arrow.DATE32:
		default:
			return errkind.Invalid("a RANGE window frame with value offsets needs a numeric or date ORDER BY column; '%s' is %s",
				w.OrderSpec[0].Child.String(), logical.SparkTypeName(w.OrderSpec[0].Child.DataType()))
		}
	}
	return nil
}

// IsWindowAggregate reports whether fn is an aggregate a Window node can evaluate: any aggregate
// without DISTINCT or FILTER (exec computes sum, avg, min, max, count, first and last with frame
// algorithms of their own, and the others with their accumulators).
func IsWindowAggregate(fn logical.Expr) bool {
	_, _, ok := WindowAggregate(fn)
	return ok
}

// WindowAggregate unpacks an aggregate call: its function name and arguments.
// (A variable so the aggregate front end can extend it.)
var WindowAggregate = func(fn logical.Expr) (name string, args []logical.Expr, ok bool) {
	if call, isCall := fn.(*logical.AggregateCall); isCall && !call.Distinct && call.Filter == nil {
		return call.Function, call.Args, true
	}
	return "", nil, false
}
