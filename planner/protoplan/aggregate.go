package protoplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_Aggregate{}, aggregateRelation)
	registerRelation(&pb.Relation_Deduplicate{}, deduplicateRelation)
	RegisterProjectPlanner(planGlobalAggregate)
	// Windows compute aggregates over frames: let the window front end see inside AggregateCall.
	previous := WindowAggregate
	WindowAggregate = func(fn logical.Expr) (string, []logical.Expr, bool) {
		if a, ok := fn.(*logical.AggregateCall); ok && !a.Distinct && a.Filter == nil {
			return a.Function, a.Args, true
		}
		return previous(fn)
	}
}

func aggregateRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	agg := rel.GetAggregate()
	input, err := c.input(agg.Input)
	if err != nil {
		return nil, err
	}
	grouping, err := c.Expressions(agg.GroupingExpressions)
	if err != nil {
		return nil, err
	}
	aggregates, err := c.Expressions(agg.AggregateExpressions)
	if err != nil {
		return nil, err
	}
	switch agg.GroupType {
	case pb.Aggregate_GROUP_TYPE_GROUPBY, pb.Aggregate_GROUP_TYPE_UNSPECIFIED:
		return c.Aggregate(input, grouping, aggregates)
	case pb.Aggregate_GROUP_TYPE_PIVOT:
		return c.pivot(input, grouping, aggregates, agg.Pivot)
	case pb.Aggregate_GROUP_TYPE_ROLLUP, pb.Aggregate_GROUP_TYPE_CUBE, pb.Aggregate_GROUP_TYPE_GROUPING_SETS:
		return c.groupingSetsRelation(input, agg.GroupType, grouping, aggregates, agg.GroupingSets)
	}
	return nil, errkind.Invalid("malformed plan: unknown aggregate group type %v", agg.GroupType)
}

// Aggregate builds groupBy(grouping).agg(aggregates): the output is the grouping columns, then
// the aggregates, as in Spark.
func (c *Converter) Aggregate(input logical.Plan, grouping, aggregates []logical.Expr) (logical.Plan, error) {
	groupNamed, err := c.A.ResolveNamedList(grouping, input)
	if err != nil {
		return nil, err
	}
	groupExprs := make([]logical.Expr, len(groupNamed))
	for i, g := range groupNamed {
		groupExprs[i] = logical.StripAlias(g)
		if logical.ContainsAggregate(groupExprs[i]) {
			return nil, errkind.Invalid("aggregate functions are not allowed in groupBy: '%s'", g.String())
		}
	}
	aggNamed, err := c.A.ResolveNamedList(aggregates, input)
	if err != nil {
		return nil, err
	}
	outputs := append(append([]logical.Named(nil), groupNamed...), aggNamed...)
	build := func(computed []logical.Named) (logical.Plan, error) {
		return c.newAggregate(input, groupExprs, computed)
	}
	if p, ok, err := c.aggregateWithWindows(groupExprs, outputs, build); ok || err != nil {
		return p, err // aggregate_window.go
	}
	return build(outputs)
}

func (c *Converter) newAggregate(input logical.Plan, grouping []logical.Expr, outputs []logical.Named) (logical.Plan, error) {
	if err := RejectGroupingCalls(outputs); err != nil {
		return nil, err
	}
	for _, out := range outputs {
		if err := checkAggregateOutput(out, grouping); err != nil {
			return nil, err
		}
	}
	return &logical.Aggregate{Input: input, Grouping: grouping, Aggregates: outputs}, nil
}

// checkAggregateOutput fails on columns that are neither grouped nor aggregated and on nested
// aggregates, with Spark's error classes.
func checkAggregateOutput(out logical.Named, grouping []logical.Expr) error {
	keys := map[string]bool{}
	for _, g := range grouping {
		keys[logical.ExprKey(g)] = true
	}
	var err error
	var visit func(e logical.Expr, insideAggregate bool)
	visit = func(e logical.Expr, insideAggregate bool) {
		if err != nil {
			return
		}
		if !insideAggregate && keys[logical.ExprKey(e)] {
			return
		}
		switch x := e.(type) {
		case *logical.AggregateCall:
			if insideAggregate {
				err = errkind.Invalid("[NESTED_AGGREGATE_FUNCTION] '%s' is inside another aggregate function; compute it in a separate aggregation", x.String())
				return
			}
			for _, ch := range x.Children() {
				visit(ch, true)
			}
			return
		case *logical.ColumnRef:
			if !insideAggregate {
				err = errkind.Invalid("[MISSING_AGGREGATION] column '%s' in '%s' is neither in groupBy nor inside an aggregate function; add it to groupBy or aggregate it, e.g. first(%s)",
					x.ColumnName, out.String(), x.ColumnName)
			}
			return
		case *logical.WindowExpr:
			return
		}
		for _, ch := range e.Children() {
			visit(ch, insideAggregate)
		}
	}
	var root logical.Expr = out
	if a, ok := out.(*logical.Alias); ok {
		root = a.Child
	}
	visit(root, false)
	return err
}

// planGlobalAggregate turns a select with aggregates and no window (df.select(max("x"))) into a
// global aggregate.
func planGlobalAggregate(c *Converter, input logical.Plan, named []logical.Named) (logical.Plan, bool, error) {
	hasAggregate, hasWindow := false, false
	for _, n := range named {
		hasAggregate = hasAggregate || aggregatesOutsideWindows(n)
		hasWindow = hasWindow || holdsWindow(n)
	}
	if !hasAggregate {
		return nil, false, nil
	}
	if hasWindow {
		// selectExpr("sum(x)", "rank() OVER (ORDER BY sum(x))"): aggregate, then the windows.
		build := func(computed []logical.Named) (logical.Plan, error) { return c.newAggregate(input, nil, computed) }
		return c.aggregateWithWindows(nil, named, build) // aggregate_window.go
	}
	p, err := c.newAggregate(input, nil, named)
	return p, err == nil, err
}

// pivot builds groupBy(grouping).pivot(col, values).agg(aggregates): one output column per
// (value, aggregate), computing the aggregate over the group's rows whose pivot column equals
// the value (null-safe). Cells without such rows are null, as in Spark.
func (c *Converter) pivot(input logical.Plan, grouping, aggregates []logical.Expr, p *pb.Aggregate_Pivot) (logical.Plan, error) {
	if p == nil || p.Col == nil {
		return nil, errkind.Invalid("malformed plan: a pivot aggregate needs a pivot column")
	}
	if len(p.Values) == 0 {
		return nil, errkind.Invalid("pivot needs its values; the client computes them from the data when they are not given")
	}
	groupNamed, err := c.A.ResolveNamedList(grouping, input)
	if err != nil {
		return nil, err
	}
	colExpr, err := c.Expression(p.Col)
	if err != nil {
		return nil, err
	}
	pivotCol, err := c.A.ResolveExpr(colExpr, input)
	if err != nil {
		return nil, err
	}
	aggNamed, err := c.A.ResolveNamedList(aggregates, input)
	if err != nil {
		return nil, err
	}
	values := make([]*logical.Literal, len(p.Values))
	for i, v := range p.Values {
		if values[i], err = Literal(v); err != nil {
			return nil, err
		}
	}
	return c.PivotAggregate(input, groupNamed, pivotCol, values, nil, aggNamed)
}

// PivotAggregate builds a pivot (DataFrame pivot, SQL PIVOT) over resolved parts: the grouping
// columns, then for each value one column per aggregate, named by valueNames[i] (the value's
// text when empty), suffixed by the aggregate's name when there are several aggregates.
func (c *Converter) PivotAggregate(input logical.Plan, groupNamed []logical.Named, pivotCol logical.Expr, values []*logical.Literal, valueNames []string, aggNamed []logical.Named) (logical.Plan, error) {
	conditions := make([]logical.Expr, len(values))
	names := make([]string, len(values))
	for i, lit := range values {
		cond, err := c.A.ResolveCall("<=>", []logical.Expr{pivotCol, lit}, false)
		if err != nil {
			return nil, err
		}
		conditions[i] = cond
		names[i] = PivotValueName(lit)
		if i < len(valueNames) && valueNames[i] != "" {
			names[i] = valueNames[i]
		}
	}
	return c.PivotAggregateWhere(input, groupNamed, conditions, names, aggNamed)
}

// PivotValueName is the column name Spark gives an unaliased pivot value: its text, or null.
func PivotValueName(lit *logical.Literal) string {
	if !lit.Value.IsValid() {
		return "null"
	}
	return lit.String()
}

// PivotAggregateWhere is PivotAggregate with each pivot value given as the condition its rows
// meet (SQL's PIVOT over several columns compares each column) and its column name.
func (c *Converter) PivotAggregateWhere(input logical.Plan, groupNamed []logical.Named, conditions []logical.Expr, valueNames []string, aggNamed []logical.Named) (logical.Plan, error) {
	groupExprs := make([]logical.Expr, len(groupNamed))
	for i, g := range groupNamed {
		groupExprs[i] = logical.StripAlias(g)
	}
	outputs := append([]logical.Named(nil), groupNamed...)
	for i, cond := range conditions {
		valueName := valueNames[i]
		for _, a := range aggNamed {
			var body logical.Expr = a
			if al, ok := a.(*logical.Alias); ok {
				body = al.Child
			}
			filtered, err := logical.Transform(body, func(x logical.Expr) (logical.Expr, error) {
				call, ok := x.(*logical.AggregateCall)
				if !ok {
					return x, nil
				}
				cp := *call
				cp.NullIfEmpty = true
				cp.Null = true // a cell without rows is null, even for count
				if cp.Filter == nil {
					cp.Filter = cond
				} else {
					both, err := c.A.ResolveCall("and", []logical.Expr{cp.Filter, cond}, false)
					if err != nil {
						return nil, err
					}
					cp.Filter = both
				}
				return &cp, nil
			})
			if err != nil {
				return nil, err
			}
			name := valueName
			if len(aggNamed) > 1 {
				name = valueName + "_" + a.Name()
			}
			outputs = append(outputs, &logical.Alias{Child: filtered, Alias: name, AttrID: c.A.IDs.Next()})
		}
	}
	return c.newAggregate(input, groupExprs, outputs)
}

func deduplicateRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	d := rel.GetDeduplicate()
	input, err := c.input(d.Input)
	if err != nil {
		return nil, err
	}
	attrs := input.Output()
	if d.GetAllColumnsAsKeys() || len(d.ColumnNames) == 0 {
		return &logical.Deduplicate{Input: input, Keys: attrs}, nil
	}
	var keys []*logical.ColumnRef
	seen := map[logical.ExprID]bool{}
	for _, name := range d.ColumnNames {
		found := false
		for _, a := range attrs {
			if c.namesEqual(a.ColumnName, name) {
				found = true
				if !seen[a.AttrID] {
					seen[a.AttrID] = true
					keys = append(keys, a)
				}
			}
		}
		if !found {
			names := make([]string, len(attrs))
			for i, a := range attrs {
				names[i] = a.ColumnName
			}
			return nil, errkind.Invalid("dropDuplicates: column '%s' not found. Available: %s", name, strings.Join(names, ", "))
		}
	}
	return &logical.Deduplicate{Input: input, Keys: keys}, nil
}
