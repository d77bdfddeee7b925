package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// AggregateCall is a resolved call of an aggregate function: it reduces the rows of a group to
// one value. It only appears in an Aggregate's output expressions (and, for windows, in a
// WindowExpr). Function is the canonical name the executor knows: count, sum, avg, min, max,
// first, last, collect_list, collect_set, stddev_samp, stddev_pop, var_samp, var_pop,
// approx_count_distinct.
type AggregateCall struct {
	Function string
	Args     []Expr
	Distinct bool
	// Filter, when set, keeps only rows where it is true (SQL's FILTER (WHERE ...), pivot).
	Filter Expr
	// IgnoreNulls is first/last's ignorenulls.
	IgnoreNulls bool
	// Parameter is a constant option of the function (approx_count_distinct's relative SD).
	Parameter float64
	// NullIfEmpty makes the value null for a group where no row passed Filter, instead of
	// count's 0 or collect_list's empty list (pivot cells without rows are null in Spark).
	NullIfEmpty bool
	Type        arrow.DataType
	Null        bool
	// Display is the name Spark gives the column: "sum(x)", "count(DISTINCT x)", "count(1)".
	Display string
}

func (a *AggregateCall) DataType() arrow.DataType { return a.Type }
func (a *AggregateCall) Nullable() bool           { return a.Null }

// Children are the arguments, then the filter when set.
func (a *AggregateCall) Children() []Expr {
	if a.Filter == nil {
		return a.Args
	}
	out := make([]Expr, 0, len(a.Args)+1)
	out = append(out, a.Args...)
	return append(out, a.Filter)
}

func (a *AggregateCall) WithChildren(children []Expr) Expr {
	cp := *a
	cp.Args = append([]Expr(nil), children[:len(a.Args)]...)
	if a.Filter != nil {
		cp.Filter = children[len(a.Args)]
	}
	return &cp
}

func (a *AggregateCall) String() string {
	if a.Display != "" {
		return a.Display
	}
	distinct := ""
	if a.Distinct {
		distinct = "DISTINCT "
	}
	return fmt.Sprintf("%s(%s%s)", a.Function, distinct, JoinExprs(a.Args, ", "))
}

// Aggregate groups its input by Grouping and computes Aggregates: named expressions over the
// grouping expressions and AggregateCalls. No grouping means one group over the whole input
// (one output row even for empty input).
type Aggregate struct {
	Input      Plan
	Grouping   []Expr
	Aggregates []Named
}

func (a *Aggregate) Output() []*ColumnRef {
	out := make([]*ColumnRef, len(a.Aggregates))
	for i, e := range a.Aggregates {
		out[i] = e.ToAttribute()
	}
	return out
}
func (a *Aggregate) Children() []Plan { return []Plan{a.Input} }
func (a *Aggregate) WithChildren(c []Plan) Plan {
	cp := *a
	cp.Input = c[0]
	return &cp
}
func (a *Aggregate) Describe() string {
	keys := make([]string, len(a.Grouping))
	for i, g := range a.Grouping {
		keys[i] = exprWithIDs(g)
	}
	parts := make([]string, len(a.Aggregates))
	for i, e := range a.Aggregates {
		parts[i] = describeNamed(e)
	}
	return fmt.Sprintf("Aggregate [%s], [%s]", strings.Join(keys, ", "), strings.Join(parts, ", "))
}

// Deduplicate keeps the first row of each distinct combination of Keys (all columns for
// distinct()); the output is the input's columns unchanged.
type Deduplicate struct {
	Input Plan
	Keys  []*ColumnRef
}

func (d *Deduplicate) Output() []*ColumnRef { return d.Input.Output() }
func (d *Deduplicate) Children() []Plan     { return []Plan{d.Input} }
func (d *Deduplicate) WithChildren(c []Plan) Plan {
	cp := *d
	cp.Input = c[0]
	return &cp
}
func (d *Deduplicate) Describe() string { return "Deduplicate [" + attrList(d.Keys) + "]" }

// ContainsAggregate reports whether an expression has an AggregateCall (outside any window).
func ContainsAggregate(e Expr) bool {
	found := false
	Walk(e, func(x Expr) bool {
		if found {
			return false
		}
		if _, ok := x.(*AggregateCall); ok {
			found = true
			return false
		}
		return !isWindowExpr(x)
	})
	return found
}

// isWindowExpr reports whether x is a window expression, whose aggregates are not the
// Aggregate's; window.go defines the node.
func isWindowExpr(x Expr) bool {
	_, ok := x.(*WindowExpr)
	return ok
}

// ExprKey renders an expression with attribute ids, so two expressions with equal keys compute
// the same value over the same input (used to match grouping expressions and to share calls).
func ExprKey(e Expr) string {
	var b strings.Builder
	var walk func(x Expr)
	walk = func(x Expr) {
		switch v := x.(type) {
		case *ColumnRef:
			fmt.Fprintf(&b, "#%d", v.AttrID)
			return
		case *BoundRef:
			fmt.Fprintf(&b, "@%d", v.Ordinal)
			return
		case *Literal:
			fmt.Fprintf(&b, "lit(%s:%s)", v.String(), SparkTypeName(v.DataType()))
			return
		case *Alias:
			walk(v.Child)
			return
		case *Call:
			b.WriteString(v.Function)
		case *Cast:
			fmt.Fprintf(&b, "cast<%s,%d>", SparkTypeName(v.To), v.Mode)
		case *AggregateCall:
			fmt.Fprintf(&b, "agg:%s:%v:%v:%v:%v", v.Function, v.Distinct, v.IgnoreNulls, v.Parameter, v.NullIfEmpty)
			if v.Filter != nil {
				b.WriteString(":filter")
			}
		default:
			fmt.Fprintf(&b, "%T:%s", x, x.String())
		}
		b.WriteString("(")
		for i, c := range x.Children() {
			if i > 0 {
				b.WriteString(",")
			}
			walk(c)
		}
		b.WriteString(")")
	}
	walk(e)
	return b.String()
}
