package protoplan

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Python functions: CommonInlineUserDefinedFunction expressions and the MapPartitions, GroupMap
// and CoGroupMap relations.

func init() {
	RegisterExpressionConverter(pythonUDFExpression)
	registerRelation(&pb.Relation_MapPartitions{}, mapPartitionsRelation)
	registerRelation(&pb.Relation_GroupMap{}, groupMapRelation)
	registerRelation(&pb.Relation_CoGroupMap{}, coGroupMapRelation)
	// groupBy().agg() with grouped aggregate pandas UDFs becomes an AggregateInPython; any other
	// aggregation goes to the handler registered before this file's init (aggregate.go).
	previous := handlers[fmt.Sprintf("%T", &pb.Relation_Aggregate{})]
	registerRelation(&pb.Relation_Aggregate{}, func(c *Converter, rel *pb.Relation) (logical.Plan, error) {
		if p, ok, err := pythonAggregate(c, rel.GetAggregate()); ok || err != nil {
			return p, err
		}
		if previous == nil {
			return nil, errkind.NotImplemented("groupBy().agg() is not supported yet")
		}
		return previous(c, rel)
	})
}

// pythonAggregate plans an aggregation whose aggregates are grouped aggregate pandas UDFs; ok is
// false when none is.
func pythonAggregate(c *Converter, agg *pb.Aggregate) (logical.Plan, bool, error) {
	if agg == nil || !containsPythonAggregate(agg.AggregateExpressions) {
		return nil, false, nil
	}
	if agg.GroupType != pb.Aggregate_GROUP_TYPE_GROUPBY && agg.GroupType != pb.Aggregate_GROUP_TYPE_UNSPECIFIED {
		return nil, true, errkind.NotImplemented("grouped aggregate pandas UDFs work with groupBy only, not %s", agg.GroupType)
	}
	input, err := c.input(agg.Input)
	if err != nil {
		return nil, true, err
	}
	groupingIn, err := c.Expressions(agg.GroupingExpressions)
	if err != nil {
		return nil, true, err
	}
	groupNamed, err := c.A.ResolveNamedList(groupingIn, input)
	if err != nil {
		return nil, true, err
	}
	aggIn, err := c.Expressions(agg.AggregateExpressions)
	if err != nil {
		return nil, true, err
	}
	aggNamed, err := c.A.ResolveNamedList(aggIn, input)
	if err != nil {
		return nil, true, err
	}
	out := &logical.AggregateInPython{Input: input}
	for _, g := range groupNamed {
		out.Grouping = append(out.Grouping, logical.StripAlias(g))
		out.Attrs = append(out.Attrs, g.ToAttribute())
	}
	for _, a := range aggNamed {
		call, ok := logical.StripAlias(a).(*logical.PythonUDF)
		if !ok || !call.Function.EvalType.IsAggregate() {
			return nil, true, errkind.Invalid("'%s' cannot be computed with grouped aggregate pandas UDFs in one agg(): Spark does not mix them with other aggregates; compute them in two aggregations and join", a.String())
		}
		for _, arg := range call.Args {
			if logical.ContainsPythonUDF(arg) {
				return nil, true, errkind.Invalid("the arguments of grouped aggregate pandas UDF '%s' must not call Python functions; compute them in a select first", call.Function.Name)
			}
		}
		call = &logical.PythonUDF{Function: &logical.PythonFunction{Name: call.Function.Name, EvalType: logical.PythonGroupedAggPandas,
			Command: call.Function.Command, PythonVersion: call.Function.PythonVersion, ReturnType: call.Function.ReturnType,
			Deterministic: call.Function.Deterministic}, Args: call.Args}
		out.Calls = append(out.Calls, call)
		out.Attrs = append(out.Attrs, a.ToAttribute())
	}
	return out, true, nil
}

func containsPythonAggregate(exprs []*pb.Expression) bool {
	for _, e := range exprs {
		found := false
		var walk func(e *pb.Expression)
		walk = func(e *pb.Expression) {
			if e == nil || found {
				return
			}
			switch x := e.ExprType.(type) {
			case *pb.Expression_CommonInlineUserDefinedFunction:
				if u := x.CommonInlineUserDefinedFunction.PythonUdf; u != nil && logical.PythonEvalType(u.EvalType).IsAggregate() {
					found = true
				}
			case *pb.Expression_Alias_:
				walk(x.Alias.Expr)
			}
		}
		walk(e)
		if found {
			return true
		}
	}
	return false
}

// PythonFunction converts the proto form of a Python function, checking what the server relies on.
func PythonFunction(f *pb.CommonInlineUserDefinedFunction) (*logical.PythonFunction, error) {
	if f == nil || f.PythonUdf == nil {
		return nil, errkind.Invalid("malformed plan: a user-defined function has no Python function")
	}
	p := f.PythonUdf
	if len(p.Command) == 0 {
		return nil, errkind.Invalid("malformed plan: Python function '%s' has no pickled command", f.FunctionName)
	}
	if p.OutputType == nil {
		return nil, errkind.Invalid("Python function '%s' has no return type; pass returnType to udf()/pandas_udf() or a schema to mapInPandas/applyInPandas", f.FunctionName)
	}
	rt, err := DecodeDataType(p.OutputType)
	if err != nil {
		return nil, err
	}
	et := logical.PythonEvalType(p.EvalType)
	switch et {
	case logical.PythonRowPickled, logical.PythonRowArrow, logical.PythonScalarPandas, logical.PythonScalarPandasIter,
		logical.PythonGroupedAggPandas, logical.PythonWindowAggPandas, logical.PythonMapPandasIter, logical.PythonMapArrowIter,
		logical.PythonGroupedMapPandas, logical.PythonCoGroupedMapPandas:
	default:
		return nil, errkind.Invalid("Python function '%s' has unknown eval type %d", f.FunctionName, p.EvalType)
	}
	name := f.FunctionName
	if name == "" {
		name = "<lambda>"
	}
	return &logical.PythonFunction{Name: name, EvalType: et, Command: p.Command, PythonVersion: p.PythonVer, ReturnType: rt, Deterministic: f.Deterministic}, nil
}

func pythonUDFExpression(c *Converter, e *pb.Expression) (logical.Expr, bool, error) {
	x, ok := e.ExprType.(*pb.Expression_CommonInlineUserDefinedFunction)
	if !ok {
		return nil, false, nil
	}
	f, err := PythonFunction(x.CommonInlineUserDefinedFunction)
	if err != nil {
		return nil, true, err
	}
	switch {
	case f.EvalType.IsScalar(), f.EvalType.IsAggregate():
	default:
		return nil, true, errkind.Invalid("Python function '%s' is a %s function; it can only be used with %s, not in a column expression",
			f.Name, f.EvalType, usageOf(f.EvalType))
	}
	args, err := c.Expressions(x.CommonInlineUserDefinedFunction.Arguments)
	if err != nil {
		return nil, true, err
	}
	return &logical.PythonUDF{Function: f, Args: args}, true, nil
}

func usageOf(t logical.PythonEvalType) string {
	switch t {
	case logical.PythonMapPandasIter:
		return "DataFrame.mapInPandas"
	case logical.PythonMapArrowIter:
		return "DataFrame.mapInArrow"
	case logical.PythonGroupedMapPandas:
		return "groupBy().applyInPandas"
	case logical.PythonCoGroupedMapPandas:
		return "groupBy().cogroup().applyInPandas"
	}
	return "select"
}

// outputAttributes makes fresh attributes for a function's declared struct return type.
func (c *Converter) outputAttributes(f *logical.PythonFunction, what string) ([]*logical.ColumnRef, error) {
	st, ok := f.ReturnType.(*arrow.StructType)
	if !ok {
		return nil, errkind.Invalid("%s needs a schema (a struct type such as 'id long, v double'), got %s", what, logical.SparkTypeName(f.ReturnType))
	}
	attrs := make([]*logical.ColumnRef, st.NumFields())
	for i, fl := range st.Fields() {
		attrs[i] = &logical.ColumnRef{AttrID: c.A.IDs.Next(), ColumnName: fl.Name, Type: fl.Type, Null: true, Metadata: fl.Metadata}
	}
	return attrs, nil
}

func mapPartitionsRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	m := rel.GetMapPartitions()
	input, err := c.input(m.Input)
	if err != nil {
		return nil, err
	}
	f, err := PythonFunction(m.Func)
	if err != nil {
		return nil, err
	}
	if f.EvalType != logical.PythonMapPandasIter && f.EvalType != logical.PythonMapArrowIter {
		return nil, errkind.Invalid("mapInPandas/mapInArrow need a SQL_MAP_PANDAS_ITER_UDF or SQL_MAP_ARROW_ITER_UDF function, got %s", f.EvalType)
	}
	attrs, err := c.outputAttributes(f, "mapInPandas/mapInArrow")
	if err != nil {
		return nil, err
	}
	return &logical.MapInPython{Input: input, Function: f, Attrs: attrs}, nil
}

func (c *Converter) groupingExpressions(in []*pb.Expression, input logical.Plan) ([]logical.Expr, error) {
	exprs, err := c.Expressions(in)
	if err != nil {
		return nil, err
	}
	out := make([]logical.Expr, len(exprs))
	for i, e := range exprs {
		r, err := c.A.ResolveExpr(e, input)
		if err != nil {
			return nil, err
		}
		out[i] = logical.StripAlias(r)
	}
	return out, nil
}

func groupMapRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	g := rel.GetGroupMap()
	input, err := c.input(g.Input)
	if err != nil {
		return nil, err
	}
	f, err := PythonFunction(g.Func)
	if err != nil {
		return nil, err
	}
	if f.EvalType != logical.PythonGroupedMapPandas {
		return nil, errkind.Invalid("applyInPandas needs a SQL_GROUPED_MAP_PANDAS_UDF function, got %s", f.EvalType)
	}
	grouping, err := c.groupingExpressions(g.GroupingExpressions, input)
	if err != nil {
		return nil, err
	}
	attrs, err := c.outputAttributes(f, "applyInPandas")
	if err != nil {
		return nil, err
	}
	return &logical.FlatMapGroupsInPython{Input: input, Grouping: grouping, Function: f, Attrs: attrs}, nil
}

func coGroupMapRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	g := rel.GetCoGroupMap()
	left, err := c.input(g.Input)
	if err != nil {
		return nil, err
	}
	right, err := c.input(g.Other)
	if err != nil {
		return nil, err
	}
	f, err := PythonFunction(g.Func)
	if err != nil {
		return nil, err
	}
	if f.EvalType != logical.PythonCoGroupedMapPandas {
		return nil, errkind.Invalid("cogroup().applyInPandas needs a SQL_COGROUPED_MAP_PANDAS_UDF function, got %s", f.EvalType)
	}
	lg, err := c.groupingExpressions(g.InputGroupingExpressions, left)
	if err != nil {
		return nil, err
	}
	rg, err := c.groupingExpressions(g.OtherGroupingExpressions, right)
	if err != nil {
		return nil, err
	}
	if len(lg) != len(rg) {
		return nil, errkind.Invalid("cogroup needs the same number of grouping columns on both sides, got %d and %d", len(lg), len(rg))
	}
	for i := range lg {
		if !arrow.TypeEqual(lg[i].DataType(), rg[i].DataType()) {
			return nil, errkind.Invalid("cogroup key %d is %s on the left (%s) but %s on the right (%s); cast one side so both match",
				i+1, logical.SparkTypeName(lg[i].DataType()), lg[i].String(), logical.SparkTypeName(rg[i].DataType()), rg[i].String())
		}
	}
	attrs, err := c.outputAttributes(f, "cogroup().applyInPandas")
	if err != nil {
		return nil, err
	}
	return &logical.FlatMapCoGroupsInPython{Left: left, Right: right, LeftGrouping: lg, RightGrouping: rg, Function: f, Attrs: attrs}, nil
}
