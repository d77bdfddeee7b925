package protoplan

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Unpivot (DataFrame.unpivot / melt, SQL UNPIVOT) turns value columns into rows: each input
// row is repeated once per value column (or group of columns) with the id columns, the value
// column's name and its value(s), each value position cast to the values' least common type,
// in row order as Spark's Expand emits them (an inline Generate over an array of structs).
// SQL's default EXCLUDE NULLS filters out rows whose values are all null.

func init() {
	registerRelation(&pb.Relation_Unpivot{}, unpivotRelation)
}

func unpivotRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	u := rel.GetUnpivot()
	input, err := c.input(u.Input)
	if err != nil {
		return nil, err
	}
	idExpressions, err := c.Expressions(u.Ids)
	if err != nil {
		return nil, err
	}
	ids, err := c.A.ResolveNamedList(idExpressions, input)
	if err != nil {
		return nil, err
	}
	var values []logical.Named
	if len(u.Values) == 0 {
		// No values: every input column that is not an id.
		isID := map[logical.ExprID]bool{}
		for _, id := range ids {
			if ref, ok := logical.StripAlias(id).(*logical.ColumnRef); ok {
				isID[ref.AttrID] = true
			}
		}
		for _, column := range input.Output() {
			if !isID[column.AttrID] {
				values = append(values, column)
			}
		}
	} else {
		valueExpressions, err := c.Expressions(u.Values)
		if err != nil {
			return nil, err
		}
		if values, err = c.A.ResolveNamedList(valueExpressions, input); err != nil {
			return nil, err
		}
	}
	groups := make([][]logical.Named, len(values))
	names := make([]string, len(values))
	for i, v := range values {
		groups[i] = []logical.Named{v}
		names[i] = v.Name()
	}
	return c.Unpivot(input, ids, groups, names, u.VariableColumnName, []string{u.ValueColumnName}, false)
}

// Unpivot builds the unpivot of input: ids are kept in every row; values[i] are the expressions
// of the i-th output row of each input row, named names[i] in the variableName column, one per
// valueNames column. excludeNulls drops rows whose values are all null (SQL UNPIVOT's default).
func (c *Converter) Unpivot(input logical.Plan, ids []logical.Named, values [][]logical.Named, names []string, variableName string, valueNames []string, excludeNulls bool) (logical.Plan, error) {
	if len(values) == 0 {
		return nil, errkind.Invalid("[UNPIVOT_REQUIRES_VALUE_COLUMNS] At least one value column needs to be specified for UNPIVOT; all columns were given as ids")
	}
	for i, group := range values {
		if len(group) != len(valueNames) {
			return nil, errkind.Invalid("[UNPIVOT_VALUE_SIZE_MISMATCH] unpivot value %s has %d columns but there are %d value column names (%s); give every value as many columns as names",
				names[i], len(group), len(valueNames), strings.Join(valueNames, ", "))
		}
	}
	types := make([]arrow.DataType, len(valueNames))
	nullable := make([]bool, len(valueNames))
	for j := range valueNames {
		var result arrow.DataType = arrow.Null
		for _, group := range values {
			next, ok := unpivotType(result, group[j].DataType())
			if !ok {
				listed := make([]string, len(values))
				for i, g := range values {
					listed[i] = fmt.Sprintf("%s (`%s`)", logical.SparkTypeName(g[j].DataType()), g[j].Name())
				}
				return nil, errkind.Invalid("[UNPIVOT_VALUE_DATA_TYPE_MISMATCH] Unpivot value columns must share a least common type, some types do not: [%s]; cast them to one type", strings.Join(listed, ", "))
			}
			result = next
			nullable[j] = nullable[j] || group[j].Nullable()
		}
		types[j] = result
	}
	// Each input row's items are an array of structs (name, values...) that an inline Generate
	// turns into rows, in the input row's order as Spark's Expand emits them.
	fields := make([]arrow.Field, 0, 1+len(valueNames))
	fields = append(fields, arrow.Field{Name: variableName, Type: arrow.BinaryTypes.String})
	for j, name := range valueNames {
		fields = append(fields, arrow.Field{Name: name, Type: types[j], Nullable: true})
	}
	structType := arrow.StructOf(fields...)
	items := make([]logical.Expr, len(values))
	for i, group := range values {
		row := make([]logical.Expr, 0, len(fields))
		row = append(row, logical.NewLiteral(scalar.NewStringScalar(names[i])))
		for j, value := range group {
			var e logical.Expr = logical.StripAlias(value)
			if !arrow.TypeEqual(e.DataType(), types[j]) {
				cast, err := c.A.NewCast(e, types[j], logical.EvalANSI)
				if err != nil {
					return nil, err
				}
				e = cast
			}
			row = append(row, e)
		}
		items[i] = &logical.Call{Function: "make_struct", Args: row, Type: structType}
	}
	collection := &logical.Call{Function: "make_array", Args: items, Type: arrow.ListOf(structType)}
	generated := make([]*logical.ColumnRef, 0, len(fields))
	generated = append(generated, &logical.ColumnRef{AttrID: c.A.IDs.Next(), ColumnName: variableName, Type: arrow.BinaryTypes.String})
	valueAttributes := make([]*logical.ColumnRef, len(valueNames))
	for j, name := range valueNames {
		valueAttributes[j] = &logical.ColumnRef{AttrID: c.A.IDs.Next(), ColumnName: name, Type: types[j], Null: nullable[j]}
		generated = append(generated, valueAttributes[j])
	}
	generate := &logical.Generate{
		Input:           input,
		Generator:       &logical.Call{Function: "inline", Args: []logical.Expr{collection}, Type: collection.Type, Display: "unpivot"},
		GeneratorOutput: generated,
		Inline:          true,
	}
	outputs := make([]logical.Named, 0, len(ids)+len(generated))
	outputs = append(outputs, ids...)
	for _, column := range generated {
		outputs = append(outputs, column)
	}
	var plan logical.Plan = &logical.Project{Input: generate, Expressions: outputs}
	if !excludeNulls {
		return plan, nil
	}
	var condition logical.Expr
	for _, value := range valueAttributes {
		notNull, err := c.A.ResolveCall("isnotnull", []logical.Expr{value}, false)
		if err != nil {
			return nil, err
		}
		if condition == nil {
			condition = notNull
		} else if condition, err = c.A.ResolveCall("or", []logical.Expr{condition, notNull}, false); err != nil {
			return nil, err
		}
	}
	return &logical.Filter{Input: plan, Condition: condition}, nil
}

// unpivotType is the least common type of two unpivot values, as Spark finds it: numbers widen,
// other types must be equal or comparable, and nothing is promoted to string.
func unpivotType(l, r arrow.DataType) (arrow.DataType, bool) {
	switch {
	case arrow.TypeEqual(l, r):
		return l, true
	case l.ID() == arrow.NULL:
		return r, true
	case r.ID() == arrow.NULL:
		return l, true
	}
	if t, ok := analyzer.WiderNumericType(l, r); ok {
		return t, true
	}
	if isStringType(l) || isStringType(r) {
		return nil, false
	}
	return analyzer.ComparableType(l, r)
}
