package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Physical nodes that call Python functions. The operators live in exec (python_*.go) and talk
// to workers through the udf package.

// PythonEval appends one column per scalar Python call to each input batch (ArrowEvalPython,
// or BatchEvalPython for pickled row UDFs). Every call's arguments are bound to Input's schema.
type PythonEval struct {
	Input     Node
	Calls     []*logical.PythonUDF
	OutSchema *arrow.Schema
}

func (p *PythonEval) Schema() *arrow.Schema { return p.OutSchema }
func (p *PythonEval) Children() []Node      { return []Node{p.Input} }
func (p *PythonEval) NumPartitions() int    { return p.Input.NumPartitions() }
func (p *PythonEval) Describe() string {
	name := "ArrowEvalPython"
	if len(p.Calls) > 0 && p.Calls[0].Function.EvalType == logical.PythonRowPickled {
		name = "BatchEvalPython"
	}
	calls := make([]logical.Expr, len(p.Calls))
	for i, c := range p.Calls {
		calls[i] = c
	}
	return fmt.Sprintf("%s [%s] %s", name, logical.JoinExprs(calls, ", "), evalTypeOf(p.Calls))
}

func evalTypeOf(calls []*logical.PythonUDF) string {
	if len(calls) == 0 {
		return ""
	}
	return calls[0].Function.EvalType.String()
}

// MapInPython runs mapInPandas/mapInArrow over each input partition.
type MapInPython struct {
	Input     Node
	Function  *logical.PythonFunction
	OutSchema *arrow.Schema
}

func (m *MapInPython) Schema() *arrow.Schema { return m.OutSchema }
func (m *MapInPython) Children() []Node      { return []Node{m.Input} }
func (m *MapInPython) NumPartitions() int    { return m.Input.NumPartitions() }
func (m *MapInPython) Describe() string {
	name := "MapInPandas"
	if m.Function.EvalType == logical.PythonMapArrowIter {
		name = "MapInArrow"
	}
	return fmt.Sprintf("%s %s [%s]", name, m.Function.Name, fieldNames(m.OutSchema))
}

// GroupedPython runs a function per group of its input partition: applyInPandas (one output
// DataFrame per group) or grouped aggregate pandas UDFs (one row per group: the grouping values,
// then one column per call). Input is hash-partitioned on the grouping keys so that every group
// lives in one partition.
type GroupedPython struct {
	Input Node
	// Grouping is bound to Input's schema.
	Grouping []logical.Expr
	// Function is the applyInPandas function; nil for aggregates.
	Function *logical.PythonFunction
	// Calls are the aggregate calls; empty for applyInPandas.
	Calls []*logical.PythonUDF
	// Window: the calls run over windows (WindowInPandas): the output is every input row, ordered
	// by group, followed by each call's value over the row's group, instead of one row per group.
	Window bool
	// Sorted: Input is ordered by Grouping (a Sort below), so groups stream to the worker as
	// they come instead of the partition being gathered first.
	Sorted bool
	// OrderSpec and Frames (one per call, bound to Input) are set for window calls over
	// ordered or bounded frames: Input is sorted by (Grouping, OrderSpec) and each such call
	// runs once per row over its frame. A nil or whole-partition frame is the whole group.
	OrderSpec []*logical.SortOrder
	Frames    []*logical.WindowFrame
	OutSchema *arrow.Schema
}

func (g *GroupedPython) Schema() *arrow.Schema { return g.OutSchema }
func (g *GroupedPython) Children() []Node      { return []Node{g.Input} }
func (g *GroupedPython) NumPartitions() int    { return g.Input.NumPartitions() }
func (g *GroupedPython) Describe() string {
	if g.Function != nil {
		return fmt.Sprintf("FlatMapGroupsInPandas [%s], %s [%s]", logical.JoinExprs(g.Grouping, ", "), g.Function.Name, fieldNames(g.OutSchema))
	}
	calls := make([]logical.Expr, len(g.Calls))
	for i, c := range g.Calls {
		calls[i] = c
	}
	if g.Window {
		frames := ""
		for i, f := range g.Frames {
			if f != nil && !f.IsWholePartition() {
				frames += fmt.Sprintf(", %s %s", g.Calls[i].Function.Name, f.String())
			}
		}
		if frames != "" {
			frames = fmt.Sprintf(", order by [%s]%s", describeOrders(g.OrderSpec), frames)
		}
		return fmt.Sprintf("WindowInPandas [%s], partition by [%s]%s", logical.JoinExprs(calls, ", "), logical.JoinExprs(g.Grouping, ", "), frames)
	}
	return fmt.Sprintf("AggregateInPandas [%s], [%s]", logical.JoinExprs(g.Grouping, ", "), logical.JoinExprs(calls, ", "))
}

// CoGroupedPython runs cogroup().applyInPandas: both inputs are hash-partitioned the same way
// on their keys, so partition i of each holds the same groups.
type CoGroupedPython struct {
	Left, Right                 Node
	LeftGrouping, RightGrouping []logical.Expr
	Function                    *logical.PythonFunction
	// Sorted: both inputs are ordered by their keys (a Sort below each), so the operator merges
	// them and streams group pairs to the worker instead of gathering its partitions.
	Sorted    bool
	OutSchema *arrow.Schema
}

func (c *CoGroupedPython) Schema() *arrow.Schema { return c.OutSchema }
func (c *CoGroupedPython) Children() []Node      { return []Node{c.Left, c.Right} }
func (c *CoGroupedPython) NumPartitions() int    { return c.Left.NumPartitions() }
func (c *CoGroupedPython) Describe() string {
	return fmt.Sprintf("FlatMapCoGroupsInPandas [%s], [%s], %s [%s]", logical.JoinExprs(c.LeftGrouping, ", "),
		logical.JoinExprs(c.RightGrouping, ", "), c.Function.Name, fieldNames(c.OutSchema))
}

func init() {
	RegisterLowering(&logical.PythonEval{}, lowerPythonEval)
	RegisterLowering(&logical.MapInPython{}, lowerMapInPython)
	RegisterLowering(&logical.FlatMapGroupsInPython{}, lowerFlatMapGroups)
	RegisterLowering(&logical.FlatMapCoGroupsInPython{}, lowerFlatMapCoGroups)
	RegisterLowering(&logical.AggregateInPython{}, lowerAggregateInPython)
	RegisterLowering(&logical.WindowInPython{}, lowerWindowInPython)
}

func lowerWindowInPython(p *Planner, n logical.Plan) (Node, error) {
	w := n.(*logical.WindowInPython)
	input, err := p.Plan(w.Input)
	if err != nil {
		return nil, err
	}
	keys, err := bindAll(w.Partition, w.Input.Output())
	if err != nil {
		return nil, err
	}
	calls, err := BindPythonCalls(w.Calls, w.Input.Output())
	if err != nil {
		return nil, err
	}
	if len(w.Frames) > 0 {
		// Framed calls: the partition is gathered (rows in (keys, order) order) and each row's
		// frame computed over its group.
		order, err := BindOrders(w.OrderSpec, w.Input.Output())
		if err != nil {
			return nil, err
		}
		sortKeys := make([]*logical.SortOrder, 0, len(keys)+len(order))
		for _, k := range keys {
			sortKeys = append(sortKeys, &logical.SortOrder{Child: k})
		}
		sortKeys = append(sortKeys, order...)
		sorted := &Sort{Input: clusterBy(p, input, keys), Order: sortKeys}
		return &GroupedPython{Input: sorted, Grouping: keys, Calls: calls, Window: true, OrderSpec: order, Frames: w.Frames,
			OutSchema: logical.OutputSchema(w)}, nil
	}
	sorted, ok := sortedGroups(clusterBy(p, input, keys), keys)
	return &GroupedPython{Input: sorted, Grouping: keys, Calls: calls, Window: true, Sorted: ok, OutSchema: logical.OutputSchema(w)}, nil
}

// BindPythonCalls binds each call's arguments to attrs.
func BindPythonCalls(calls []*logical.PythonUDF, attrs []*logical.ColumnRef) ([]*logical.PythonUDF, error) {
	out := make([]*logical.PythonUDF, len(calls))
	for i, c := range calls {
		bound, err := Bind(c, attrs)
		if err != nil {
			return nil, err
		}
		out[i] = bound.(*logical.PythonUDF)
	}
	return out, nil
}

func lowerPythonEval(p *Planner, n logical.Plan) (Node, error) {
	e := n.(*logical.PythonEval)
	input, err := p.Plan(e.Input)
	if err != nil {
		return nil, err
	}
	calls, err := BindPythonCalls(e.Calls, e.Input.Output())
	if err != nil {
		return nil, err
	}
	return &PythonEval{Input: input, Calls: calls, OutSchema: logical.OutputSchema(e)}, nil
}

func lowerMapInPython(p *Planner, n logical.Plan) (Node, error) {
	m := n.(*logical.MapInPython)
	input, err := p.Plan(m.Input)
	if err != nil {
		return nil, err
	}
	return &MapInPython{Input: input, Function: m.Function, OutSchema: logical.OutputSchema(m)}, nil
}

func bindAll(exprs []logical.Expr, attrs []*logical.ColumnRef) ([]logical.Expr, error) {
	out := make([]logical.Expr, len(exprs))
	for i, e := range exprs {
		b, err := Bind(e, attrs)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// sortedGroups orders each partition of input by keys, so a grouped Python operator streams
// groups instead of gathering its partition; false (input unchanged) when a key has no order.
func sortedGroups(input Node, keys []logical.Expr) (Node, bool) {
	if len(keys) == 0 {
		return input, true // one group: any order
	}
	order := make([]*logical.SortOrder, len(keys))
	for i, k := range keys {
		if !logical.Orderable(k.DataType()) {
			return input, false
		}
		order[i] = &logical.SortOrder{Child: k, Direction: logical.Ascending, Nulls: logical.NullsFirst}
	}
	return &Sort{Input: input, Order: order}, true
}

// clusterBy redistributes input so equal keys meet in one partition: a hash exchange on the
// keys, or a single partition without keys.
func clusterBy(p *Planner, input Node, keys []logical.Expr) Node {
	if len(keys) == 0 {
		if input.NumPartitions() == 1 {
			return input
		}
		return &Exchange{Input: input, Partitioning: Partitioning{Kind: SinglePartitioning, NumPartitions: 1}}
	}
	return &Exchange{Input: input, Partitioning: Partitioning{Kind: HashPartitioning, NumPartitions: max(p.DefaultParallelism, 1), Keys: keys}}
}

func lowerFlatMapGroups(p *Planner, n logical.Plan) (Node, error) {
	g := n.(*logical.FlatMapGroupsInPython)
	input, err := p.Plan(g.Input)
	if err != nil {
		return nil, err
	}
	keys, err := bindAll(g.Grouping, g.Input.Output())
	if err != nil {
		return nil, err
	}
	sorted, ok := sortedGroups(clusterBy(p, input, keys), keys)
	return &GroupedPython{Input: sorted, Grouping: keys, Function: g.Function, Sorted: ok, OutSchema: logical.OutputSchema(g)}, nil
}

func lowerAggregateInPython(p *Planner, n logical.Plan) (Node, error) {
	a := n.(*logical.AggregateInPython)
	input, err := p.Plan(a.Input)
	if err != nil {
		return nil, err
	}
	keys, err := bindAll(a.Grouping, a.Input.Output())
	if err != nil {
		return nil, err
	}
	calls, err := BindPythonCalls(a.Calls, a.Input.Output())
	if err != nil {
		return nil, err
	}
	sorted, ok := sortedGroups(clusterBy(p, input, keys), keys)
	return &GroupedPython{Input: sorted, Grouping: keys, Calls: calls, Sorted: ok, OutSchema: logical.OutputSchema(a)}, nil
}

func lowerFlatMapCoGroups(p *Planner, n logical.Plan) (Node, error) {
	g := n.(*logical.FlatMapCoGroupsInPython)
	left, err := p.Plan(g.Left)
	if err != nil {
		return nil, err
	}
	right, err := p.Plan(g.Right)
	if err != nil {
		return nil, err
	}
	lk, err := bindAll(g.LeftGrouping, g.Left.Output())
	if err != nil {
		return nil, err
	}
	rk, err := bindAll(g.RightGrouping, g.Right.Output())
	if err != nil {
		return nil, err
	}
	leftInput, rightInput := clusterBy(p, left, lk), clusterBy(p, right, rk)
	// Merging needs both sides in one order over keys of the same types.
	sameTypes := len(lk) == len(rk)
	for i := 0; sameTypes && i < len(lk); i++ {
		sameTypes = arrow.TypeEqual(lk[i].DataType(), rk[i].DataType())
	}
	sorted := false
	if sameTypes {
		sortedLeft, leftOK := sortedGroups(leftInput, lk)
		sortedRight, rightOK := sortedGroups(rightInput, rk)
		if leftOK && rightOK {
			leftInput, rightInput, sorted = sortedLeft, sortedRight, true
		}
	}
	return &CoGroupedPython{Left: leftInput, Right: rightInput, LeftGrouping: lk, RightGrouping: rk,
		Function: g.Function, Sorted: sorted, OutSchema: logical.OutputSchema(g)}, nil
}

// PythonCallNames lists call names for explain output.
func PythonCallNames(calls []*logical.PythonUDF) string {
	names := make([]string, len(calls))
	for i, c := range calls {
		names[i] = c.Function.Name
	}
	return strings.Join(names, ", ")
}
