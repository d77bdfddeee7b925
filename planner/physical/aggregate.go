package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// AggregateMode says what a HashAggregate consumes and produces. Aggregation runs in two phases
// when its input has several partitions: Partial per input partition (rows -> per-group
// states), a hash exchange on the keys, then Final (states -> values). Complete does both at
// once, for single-partition input and for DISTINCT aggregates (whose states do not merge).
type AggregateMode int

const (
	AggregatePartial AggregateMode = iota
	AggregateFinal
	AggregateComplete
)

func (m AggregateMode) String() string {
	return [...]string{"partial", "final", "complete"}[m]
}

// HashAggregate groups rows by Keys and computes Calls per group. Output: the keys, then per
// call its state columns (Partial, see AggregateStateFields) or its value (Final, Complete).
// A HashAggregate without keys yields exactly one row in Final and Complete mode.
type HashAggregate struct {
	Input Node
	Mode  AggregateMode
	// Keys are bound to Input: expressions for Partial and Complete, the leading state columns
	// for Final.
	Keys []logical.Expr
	// Calls have arguments and filters bound to the input of the Partial (or Complete) phase.
	// In Final mode they are only read for their function, types and options.
	Calls     []*logical.AggregateCall
	OutSchema *arrow.Schema
}

func (h *HashAggregate) Schema() *arrow.Schema { return h.OutSchema }
func (h *HashAggregate) Children() []Node      { return []Node{h.Input} }
func (h *HashAggregate) NumPartitions() int    { return h.Input.NumPartitions() }
func (h *HashAggregate) Describe() string {
	calls := make([]string, len(h.Calls))
	for i, c := range h.Calls {
		calls[i] = c.String()
	}
	return fmt.Sprintf("HashAggregate(%s) keys=[%s] functions=[%s]", h.Mode, logical.JoinExprs(h.Keys, ", "), strings.Join(calls, ", "))
}

// AggregateStateFields is the layout of a call's partial state, which the executor's
// accumulators produce and merge. name prefixes the field names. A NullIfEmpty call has a last
// field counting the rows that reached the group.
func AggregateStateFields(call *logical.AggregateCall, name string) []arrow.Field {
	fields := aggregateStateFields(call, name)
	if call.NullIfEmpty {
		fields = append(fields, arrow.Field{Name: name + ".rows", Type: arrow.PrimitiveTypes.Int64})
	}
	return fields
}

func aggregateStateFields(call *logical.AggregateCall, name string) []arrow.Field {
	f := func(suffix string, t arrow.DataType, nullable bool) arrow.Field {
		return arrow.Field{Name: name + "." + suffix, Type: t, Nullable: nullable}
	}
	var argType arrow.DataType = arrow.Null
	if len(call.Args) > 0 {
		argType = call.Args[0].DataType()
	}
	switch call.Function {
	case "count":
		return []arrow.Field{f("count", arrow.PrimitiveTypes.Int64, false)}
	case "sum":
		return []arrow.Field{f("sum", call.Type, true)}
	case "avg":
		if d, ok := argType.(*arrow.Decimal128Type); ok {
			return []arrow.Field{f("sum", &arrow.Decimal128Type{Precision: min(38, d.Precision+10), Scale: d.Scale}, true), f("count", arrow.PrimitiveTypes.Int64, false)}
		}
		return []arrow.Field{f("sum", arrow.PrimitiveTypes.Float64, true), f("count", arrow.PrimitiveTypes.Int64, false)}
	case "min", "max":
		return []arrow.Field{f("value", call.Type, true)}
	case "first", "last":
		return []arrow.Field{f("value", call.Type, true), f("set", arrow.FixedWidthTypes.Boolean, false)}
	case "collect_list", "collect_set":
		return []arrow.Field{f("values", call.Type, false)}
	case "stddev_samp", "stddev_pop", "var_samp", "var_pop":
		return []arrow.Field{f("n", arrow.PrimitiveTypes.Float64, false), f("mean", arrow.PrimitiveTypes.Float64, false), f("m2", arrow.PrimitiveTypes.Float64, false)}
	case "approx_count_distinct":
		return []arrow.Field{f("registers", arrow.BinaryTypes.Binary, false)}
	case "product":
		return []arrow.Field{f("product", arrow.PrimitiveTypes.Float64, true)}
	case "bit_and", "bit_or", "bit_xor":
		return []arrow.Field{f("value", arrow.PrimitiveTypes.Int64, true)}
	case "skewness", "kurtosis":
		fields := make([]arrow.Field, 0, 5)
		for _, suffix := range []string{"n", "mean", "m2", "m3", "m4"} {
			fields = append(fields, f(suffix, arrow.PrimitiveTypes.Float64, false))
		}
		return fields
	case "corr", "covar_pop", "covar_samp":
		fields := make([]arrow.Field, 0, 6)
		for _, suffix := range []string{"n", "xMean", "yMean", "ck", "xM", "yM"} {
			fields = append(fields, f(suffix, arrow.PrimitiveTypes.Float64, false))
		}
		return fields
	}
	return nil
}

// needsCompleteMode reports calls whose partial states do not merge.
func needsCompleteMode(c *logical.AggregateCall) bool {
	return c.Distinct || c.Function == "collect_set"
}

func init() {
	RegisterLowering(&logical.Aggregate{}, lowerAggregate)
	RegisterLowering(&logical.Deduplicate{}, lowerDeduplicate)
}

func lowerAggregate(p *Planner, n logical.Plan) (Node, error) {
	a := n.(*logical.Aggregate)
	var calls []*logical.AggregateCall
	callIndex := map[string]int{}
	for _, out := range a.Aggregates {
		logical.Walk(out, func(x logical.Expr) bool {
			if c, ok := x.(*logical.AggregateCall); ok {
				key := logical.ExprKey(c)
				if _, seen := callIndex[key]; !seen {
					callIndex[key] = len(calls)
					calls = append(calls, c)
				}
				return false
			}
			return true
		})
	}
	agg, err := p.planHashAggregate(a.Input, a.Grouping, calls)
	if err != nil {
		return nil, err
	}
	groupIndex := map[string]int{}
	for i, g := range a.Grouping {
		groupIndex[logical.ExprKey(g)] = i
	}
	aggSchema := agg.Schema()
	ref := func(i int) logical.Expr {
		f := aggSchema.Field(i)
		return &logical.BoundRef{Ordinal: i, ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
	}
	exprs := make([]logical.Expr, len(a.Aggregates))
	for i, out := range a.Aggregates {
		var x logical.Expr = out
		if al, ok := out.(*logical.Alias); ok {
			x = al.Child
		}
		rewritten, err := rewriteTopDown(x, func(e logical.Expr) (logical.Expr, bool, error) {
			if c, ok := e.(*logical.AggregateCall); ok {
				return ref(len(a.Grouping) + callIndex[logical.ExprKey(c)]), true, nil
			}
			if _, isLit := e.(*logical.Literal); isLit {
				return e, true, nil
			}
			if g, ok := groupIndex[logical.ExprKey(e)]; ok {
				return ref(g), true, nil
			}
			if c, ok := e.(*logical.ColumnRef); ok {
				return nil, false, errkind.Invalid("[MISSING_AGGREGATION] the expression '%s' is neither grouped by nor inside an aggregate function; add it to groupBy or wrap it in an aggregate such as first(%s)", c.ColumnName, c.ColumnName)
			}
			return e, false, nil
		})
		if err != nil {
			return nil, err
		}
		exprs[i] = rewritten
	}
	return &Projection{Input: agg, Expressions: exprs, OutSchema: logical.OutputSchema(a)}, nil
}

// planHashAggregate lowers input and aggregates it by grouping (expressions over input's
// output) computing calls (arguments over input's output). The result's schema is the keys then
// one value per call.
func (p *Planner) planHashAggregate(inputPlan logical.Plan, grouping []logical.Expr, calls []*logical.AggregateCall) (Node, error) {
	input, err := p.Plan(inputPlan)
	if err != nil {
		return nil, err
	}
	inAttrs := inputPlan.Output()
	keys := make([]logical.Expr, len(grouping))
	keyFields := make([]arrow.Field, len(grouping))
	finalKeys := make([]logical.Expr, len(grouping))
	for i, g := range grouping {
		b, err := Bind(g, inAttrs)
		if err != nil {
			return nil, err
		}
		keys[i] = b
		keyFields[i] = arrow.Field{Name: g.String(), Type: g.DataType(), Nullable: g.Nullable()}
		finalKeys[i] = &logical.BoundRef{Ordinal: i, ColumnName: g.String(), Type: g.DataType(), Null: g.Nullable()}
	}
	bound := make([]*logical.AggregateCall, len(calls))
	complete := input.NumPartitions() == 1
	var stateFields, resultFields []arrow.Field
	for i, c := range calls {
		b, err := Bind(c, inAttrs)
		if err != nil {
			return nil, err
		}
		bound[i] = b.(*logical.AggregateCall)
		complete = complete || needsCompleteMode(c)
		stateFields = append(stateFields, AggregateStateFields(c, fmt.Sprintf("_%d", i))...)
		resultFields = append(resultFields, arrow.Field{Name: c.String(), Type: c.Type, Nullable: c.Null})
	}
	resultSchema := arrow.NewSchema(append(append([]arrow.Field(nil), keyFields...), resultFields...), nil)
	parallelism := max(p.DefaultParallelism, 1)
	exchangeOn := func(in Node, keys []logical.Expr) Node {
		if len(keys) == 0 {
			return &Exchange{Input: in, Partitioning: Partitioning{Kind: SinglePartitioning, NumPartitions: 1}}
		}
		return &Exchange{Input: in, Partitioning: Partitioning{Kind: HashPartitioning, NumPartitions: parallelism, Keys: keys}}
	}
	if complete {
		if input.NumPartitions() > 1 {
			input = exchangeOn(input, keys)
		}
		return &HashAggregate{Input: input, Mode: AggregateComplete, Keys: keys, Calls: bound, OutSchema: resultSchema}, nil
	}
	partial := &HashAggregate{Input: input, Mode: AggregatePartial, Keys: keys, Calls: bound,
		OutSchema: arrow.NewSchema(append(append([]arrow.Field(nil), keyFields...), stateFields...), nil)}
	return &HashAggregate{Input: exchangeOn(partial, finalKeys), Mode: AggregateFinal, Keys: finalKeys, Calls: bound, OutSchema: resultSchema}, nil
}

// lowerDeduplicate keeps the first row per key: group by the keys and take first() of every
// other column (from the same first row: first without ignorenulls keeps the row's values).
func lowerDeduplicate(p *Planner, n logical.Plan) (Node, error) {
	d := n.(*logical.Deduplicate)
	attrs := d.Input.Output()
	isKey := map[logical.ExprID]int{}
	grouping := make([]logical.Expr, len(d.Keys))
	for i, k := range d.Keys {
		isKey[k.AttrID] = i
		grouping[i] = k
	}
	var calls []*logical.AggregateCall
	callOf := map[int]int{}
	for i, a := range attrs {
		if _, ok := isKey[a.AttrID]; ok {
			continue
		}
		callOf[i] = len(calls)
		calls = append(calls, &logical.AggregateCall{Function: "first", Args: []logical.Expr{a}, Type: a.Type, Null: true, Display: "first(" + a.ColumnName + ")"})
	}
	agg, err := p.planHashAggregate(d.Input, grouping, calls)
	if err != nil {
		return nil, err
	}
	schema := agg.Schema()
	exprs := make([]logical.Expr, len(attrs))
	for i, a := range attrs {
		ordinal := len(d.Keys) + callOf[i]
		if k, ok := isKey[a.AttrID]; ok {
			ordinal = k
		}
		f := schema.Field(ordinal)
		exprs[i] = &logical.BoundRef{Ordinal: ordinal, ColumnName: f.Name, Type: f.Type, Null: f.Nullable}
	}
	return &Projection{Input: agg, Expressions: exprs, OutSchema: logical.OutputSchema(d)}, nil
}

// rewriteTopDown replaces nodes top-down: f returns a replacement and done=true to stop
// descending, or done=false to rewrite the node's children.
func rewriteTopDown(e logical.Expr, f func(logical.Expr) (logical.Expr, bool, error)) (logical.Expr, error) {
	r, done, err := f(e)
	if err != nil {
		return nil, err
	}
	if done {
		return r, nil
	}
	children := e.Children()
	if len(children) == 0 {
		return e, nil
	}
	next := make([]logical.Expr, len(children))
	for i, c := range children {
		nc, err := rewriteTopDown(c, f)
		if err != nil {
			return nil, err
		}
		next[i] = nc
	}
	return e.WithChildren(next), nil
}
