package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// FrameType is ROWS or RANGE.
type FrameType int

const (
	RowFrame FrameType = iota
	RangeFrame
)

// FrameBound is one end of a window frame: unbounded, or an offset from the current row
// (negative is PRECEDING, 0 CURRENT ROW, positive FOLLOWING). For RANGE frames the offset is in
// units of the single order key.
type FrameBound struct {
	Unbounded bool
	Offset    int64
}

func (b FrameBound) describe(lower bool) string {
	switch {
	case b.Unbounded && lower:
		return "UNBOUNDED PRECEDING"
	case b.Unbounded:
		return "UNBOUNDED FOLLOWING"
	case b.Offset == 0:
		return "CURRENT ROW"
	case b.Offset < 0:
		return fmt.Sprintf("%d PRECEDING", -b.Offset)
	}
	return fmt.Sprintf("%d FOLLOWING", b.Offset)
}

// WindowFrame is the set of rows an aggregate over a window sees for each row.
type WindowFrame struct {
	Type         FrameType
	Lower, Upper FrameBound
}

func (f *WindowFrame) String() string {
	kind := "ROWS"
	if f.Type == RangeFrame {
		kind = "RANGE"
	}
	return fmt.Sprintf("%s BETWEEN %s AND %s", kind, f.Lower.describe(true), f.Upper.describe(false))
}

// IsWholePartition reports whether the frame covers every row of the partition.
func (f *WindowFrame) IsWholePartition() bool { return f.Lower.Unbounded && f.Upper.Unbounded }

// DefaultFrame is Spark's frame when none is given: RANGE UNBOUNDED PRECEDING..CURRENT ROW with
// an ORDER BY, the whole partition without one.
func DefaultFrame(ordered bool) *WindowFrame {
	if ordered {
		return &WindowFrame{Type: RangeFrame, Lower: FrameBound{Unbounded: true}, Upper: FrameBound{}}
	}
	return &WindowFrame{Type: RowFrame, Lower: FrameBound{Unbounded: true}, Upper: FrameBound{Unbounded: true}}
}

// WindowExpr is a function evaluated over a window: ranking functions (row_number, rank, ...),
// offset functions (lag, lead) and aggregates over a frame. Function's children are resolved
// against the window's input.
type WindowExpr struct {
	Function      Expr
	PartitionSpec []Expr
	OrderSpec     []*SortOrder
	// Frame is nil until the analyzer applies the default.
	Frame *WindowFrame
}

func (w *WindowExpr) DataType() arrow.DataType { return w.Function.DataType() }
func (w *WindowExpr) Nullable() bool           { return w.Function.Nullable() }
func (w *WindowExpr) Children() []Expr {
	out := make([]Expr, 0, 1+len(w.PartitionSpec)+len(w.OrderSpec))
	out = append(out, w.Function)
	out = append(out, w.PartitionSpec...)
	for _, o := range w.OrderSpec {
		out = append(out, o)
	}
	return out
}
func (w *WindowExpr) WithChildren(c []Expr) Expr {
	cp := *w
	cp.Function = c[0]
	cp.PartitionSpec = append([]Expr(nil), c[1:1+len(w.PartitionSpec)]...)
	cp.OrderSpec = make([]*SortOrder, len(w.OrderSpec))
	for i := range w.OrderSpec {
		if so, ok := c[1+len(w.PartitionSpec)+i].(*SortOrder); ok {
			cp.OrderSpec[i] = so
		} else {
			cp.OrderSpec[i] = &SortOrder{Child: c[1+len(w.PartitionSpec)+i], Direction: w.OrderSpec[i].Direction, Nulls: w.OrderSpec[i].Nulls}
		}
	}
	return &cp
}

// SpecString renders PARTITION BY ... ORDER BY ... the way Spark does, without the frame.
func (w *WindowExpr) SpecString() string {
	var parts []string
	if len(w.PartitionSpec) > 0 {
		parts = append(parts, "PARTITION BY "+JoinExprs(w.PartitionSpec, ", "))
	}
	if len(w.OrderSpec) > 0 {
		orders := make([]string, len(w.OrderSpec))
		for i, o := range w.OrderSpec {
			orders[i] = o.String()
		}
		parts = append(parts, "ORDER BY "+strings.Join(orders, ", "))
	}
	return strings.Join(parts, " ")
}

// String is Spark's column name: "row_number() OVER (PARTITION BY k ORDER BY v ASC NULLS FIRST
// ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)".
func (w *WindowExpr) String() string {
	spec := w.SpecString()
	if w.Frame != nil {
		if spec != "" {
			spec += " "
		}
		if c, ok := w.Function.(*Call); ok && (c.Function == "lag" || c.Function == "lead") {
			// Spark names offset frames this way: lag(v, 1, NULL) OVER (... ROWS BETWEEN -1
			// FOLLOWING AND -1 FOLLOWING).
			spec += fmt.Sprintf("ROWS BETWEEN %d FOLLOWING AND %d FOLLOWING", w.Frame.Lower.Offset, w.Frame.Upper.Offset)
		} else {
			spec += w.Frame.String()
		}
	}
	return fmt.Sprintf("%s OVER (%s)", w.Function.String(), spec)
}

// Window computes window expressions that share one PARTITION BY / ORDER BY over its input; its
// output is the input's columns followed by one column per expression.
type Window struct {
	Input         Plan
	Expressions   []*Alias // each Child is a *WindowExpr with this node's specs
	PartitionSpec []Expr
	OrderSpec     []*SortOrder
}

func (w *Window) Output() []*ColumnRef {
	out := append([]*ColumnRef(nil), w.Input.Output()...)
	for _, e := range w.Expressions {
		out = append(out, e.ToAttribute())
	}
	return out
}
func (w *Window) Children() []Plan { return []Plan{w.Input} }
func (w *Window) WithChildren(c []Plan) Plan {
	cp := *w
	cp.Input = c[0]
	return &cp
}
func (w *Window) Describe() string {
	parts := make([]string, len(w.Expressions))
	for i, e := range w.Expressions {
		parts[i] = describeNamed(e)
	}
	orders := make([]string, len(w.OrderSpec))
	for i, o := range w.OrderSpec {
		orders[i] = o.String()
	}
	return fmt.Sprintf("Window [%s], [%s], [%s]", strings.Join(parts, ", "), JoinExprs(w.PartitionSpec, ", "), strings.Join(orders, ", "))
}

// MapOverAggregate rewrites a window written over an aggregation's input into one over its
// output: toOutput maps each child expression. A window function that is itself an aggregate
// (sum(sum(x)) OVER (...)) keeps its call and has its arguments mapped, since the window sums the
// aggregation's sum(x) over its frame.
func (w *WindowExpr) MapOverAggregate(toOutput func(Expr) (Expr, error)) (Expr, error) {
	children := w.Children()
	next := make([]Expr, len(children))
	var err error
	if call, ok := StripAlias(w.Function).(*AggregateCall); ok {
		args := call.Children()
		rewritten := make([]Expr, len(args))
		for i, arg := range args {
			if rewritten[i], err = toOutput(arg); err != nil {
				return nil, err
			}
		}
		next[0] = call.WithChildren(rewritten)
	} else if next[0], err = toOutput(StripAlias(w.Function)); err != nil {
		return nil, err
	}
	for i := 1; i < len(children); i++ {
		if next[i], err = toOutput(children[i]); err != nil {
			return nil, err
		}
	}
	return w.WithChildren(next), nil
}
