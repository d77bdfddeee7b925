package sqlplan

import (
	"fmt"
	"reflect"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
)

// Parameter types for Flight SQL prepared statements (ActionCreatePreparedStatementResult's
// parameter_schema). A statement is bound with every ? replaced by a null-typed marker; where
// the analyzer coerces a marker to a type (the other side of a comparison, an IN list, a function
// argument), it wraps it in a cast, and the cast's type is the parameter's. Parameters nothing
// types stay arrow.Null, as other Flight SQL servers report unknown parameter types.

// parameterMarker stands for the ? with the given index while types are inferred.
type parameterMarker struct{ Index int }

func (*parameterMarker) DataType() arrow.DataType                     { return arrow.Null }
func (*parameterMarker) Nullable() bool                               { return true }
func (*parameterMarker) Children() []logical.Expr                     { return nil }
func (m *parameterMarker) WithChildren(_ []logical.Expr) logical.Expr { return m }
func (m *parameterMarker) String() string                             { return fmt.Sprintf("?%d", m.Index+1) }

// insertParameterTypes types the ? items of INSERT INTO t [(columns)] VALUES (...) as the
// table's columns they fill.
func insertParameterTypes(c *protoplan.Converter, insert *InsertInto, types []arrow.DataType) {
	values, ok := insert.Query.(*Values)
	if !ok {
		return
	}
	table, err := NewBinder(c, Parameters{}).tableRef(&TableName{Name: insert.Table})
	if err != nil {
		return
	}
	columns := table.Output()
	if len(insert.Columns) > 0 {
		named := make([]*logical.ColumnRef, len(insert.Columns))
		for i, name := range insert.Columns {
			for _, column := range columns {
				if equalFoldASCII(column.ColumnName, name) {
					named[i] = column
				}
			}
		}
		columns = named
	}
	for _, row := range values.Rows {
		for i, item := range row {
			if p, ok := item.(*Parameter); ok && p.Name == "" && i < len(columns) && columns[i] != nil && p.Index < len(types) {
				types[p.Index] = bindingType(columns[i].Type)
			}
		}
	}
}

// ParameterTypes returns the type of each of the count positional parameters of a query
// statement, widened to the type clients bind values with: integers as bigint, floating
// point and decimals as double (Go's database/sql hands the driver int64 and float64; the server casts a
// bound value to the type the query needs). INSERT ... VALUES parameters take their
// column's type. Other statements, and queries that do not bind without values (LIMIT ?),
// report arrow.Null for every parameter.
func ParameterTypes(c *protoplan.Converter, stmt Statement, count int) []arrow.DataType {
	types := make([]arrow.DataType, count)
	for i := range types {
		types[i] = arrow.Null
	}
	if insert, ok := stmt.(*InsertInto); ok && count > 0 {
		insertParameterTypes(c, insert, types)
		return types
	}
	qs, ok := stmt.(*QueryStatement)
	if !ok || count == 0 {
		return types
	}
	plan, err := NewBinder(c, Parameters{markers: true}).Query(qs.Query)
	if err != nil {
		return types
	}
	visitPlanExpressions(plan, func(e logical.Expr) {
		logical.Walk(e, func(x logical.Expr) bool {
			if cast, ok := x.(*logical.Cast); ok {
				if m, ok := cast.Child.(*parameterMarker); ok && m.Index < count && types[m.Index].ID() == arrow.NULL {
					types[m.Index] = bindingType(cast.To)
				}
			}
			return true
		})
	})
	return types
}

func bindingType(t arrow.DataType) arrow.DataType {
	switch t.ID() {
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return arrow.PrimitiveTypes.Int64
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64, arrow.DECIMAL128, arrow.DECIMAL256:
		// Decimals too: Go's driver cannot build decimal parameters, and the server casts a bound
		// double to the decimal the query compares with.
		return arrow.PrimitiveTypes.Float64
	case arrow.LARGE_STRING:
		return arrow.BinaryTypes.String
	}
	return t
}

var (
	exprType = reflect.TypeOf((*logical.Expr)(nil)).Elem()
	planType = reflect.TypeOf((*logical.Plan)(nil)).Elem()
)

// visitPlanExpressions calls f on every expression held by a plan's nodes. Plan nodes are plain
// structs whose expressions sit in fields (Condition, Expressions, Grouping, ...), so reflection
// finds them all without a list of node kinds to keep up to date.
func visitPlanExpressions(p logical.Plan, f func(logical.Expr)) {
	var visit func(v reflect.Value, depth int)
	visit = func(v reflect.Value, depth int) {
		if depth > 4 || !v.IsValid() {
			return
		}
		if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return
			}
			if v.Type().Implements(planType) && depth > 0 {
				return // a child plan: visited through Children
			}
			if v.Type().Implements(exprType) {
				f(v.Interface().(logical.Expr))
				return
			}
			visit(v.Elem(), depth+1)
			return
		}
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					visit(v.Field(i), depth+1)
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				visit(v.Index(i), depth+1)
			}
		}
	}
	visit(reflect.ValueOf(p), 0)
	for _, child := range p.Children() {
		visitPlanExpressions(child, f)
	}
}
