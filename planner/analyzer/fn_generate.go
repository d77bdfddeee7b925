package analyzer

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Generators: explode, explode_outer, posexplode, posexplode_outer, inline, inline_outer and
// stack. They resolve to a Call the select planner (protoplan/generate.go) and LATERAL VIEW
// (sqlplan/lateral.go) lift into a logical.Generate node; they have no kernel, so a generator
// anywhere but at the top of a select item is rejected there. The Call's one argument is the
// collection Generate iterates: inline's array of structs, whose fields become the columns, and
// for stack(n, v1, ..., vk) an array of n structs built from the values (col0, col1, ...).

// GeneratorFunctions lists the generator function names.
var GeneratorFunctions = map[string]bool{"explode": true, "explode_outer": true, "posexplode": true, "posexplode_outer": true,
	"inline": true, "inline_outer": true, "stack": true}

// GeneratorIsOuter tells whether a generator keeps rows whose collection is null or empty.
func GeneratorIsOuter(name string) bool { return strings.HasSuffix(name, "_outer") }

// GeneratorHasPosition tells whether a generator adds the element's position (posexplode).
func GeneratorHasPosition(name string) bool { return strings.HasPrefix(name, "posexplode") }

// GeneratorIsInline tells whether a generator's elements are structs whose fields are its
// columns (inline, inline_outer, stack).
func GeneratorIsInline(name string) bool { return strings.HasPrefix(name, "inline") || name == "stack" }

func init() {
	registerFunction(resolveGenerator, "explode", "explode_outer", "posexplode", "posexplode_outer")
	registerFunction(resolveInline, "inline", "inline_outer")
	registerFunction(resolveStack, "stack")
}

func resolveGenerator(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	switch x.DataType().(type) {
	case *arrow.ListType, *arrow.MapType:
	default:
		return nil, errkind.Invalid("%s needs an array or a map, but '%s' is %s", name, args[0].String(), logical.SparkTypeName(args[0].DataType()))
	}
	return &logical.Call{Function: name, Args: []logical.Expr{x}, Type: x.DataType(), Null: true,
		Display: fmt.Sprintf("%s(%s)", name, args[0].String())}, nil
}

// resolveInline is inline(array<struct>): one row per element, one column per field.
func resolveInline(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if err := checkArity(name, args, 1, 1); err != nil {
		return nil, err
	}
	x, err := a.normalizeList(args[0])
	if err != nil {
		return nil, err
	}
	list, ok := x.DataType().(*arrow.ListType)
	if !ok || list.Elem().ID() != arrow.STRUCT {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.UNEXPECTED_INPUT_TYPE] %s needs an array of structs, but '%s' is %s; build one with array(struct(...), ...)",
			name, args[0].String(), logical.SparkTypeName(x.DataType()))
	}
	return &logical.Call{Function: name, Args: []logical.Expr{x}, Type: x.DataType(), Null: true,
		Display: fmt.Sprintf("%s(%s)", name, args[0].String())}, nil
}

// resolveStack is stack(n, v1, ..., vk): n rows of ceil(k/n) columns (col0, col1, ...), filled
// row by row, the missing last values null. As in Spark, a column's values must have one type
// (a NULL takes it).
func resolveStack(a *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if len(args) < 2 {
		return nil, errkind.Invalid("[WRONG_NUM_ARGS] stack needs a row count and at least one value, as in stack(2, 'a', 1, 'b', 2); got %d arguments", len(args))
	}
	count, ok := args[0].(*logical.Literal)
	if !ok || !count.Value.IsValid() || count.DataType().ID() != arrow.INT32 {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.NON_FOLDABLE_INPUT] the row count of stack must be a constant int, got '%s'", args[0].String())
	}
	rows := int(count.Value.(*scalar.Int32).Value)
	if rows <= 0 {
		return nil, errkind.Invalid("[DATATYPE_MISMATCH.VALUE_OUT_OF_RANGE] the row count of stack must be positive, got %d", rows)
	}
	values := args[1:]
	columns := (len(values) + rows - 1) / rows
	fields := make([]arrow.Field, columns)
	for j := range fields {
		fields[j] = arrow.Field{Name: fmt.Sprintf("col%d", j), Type: arrow.Null}
		for i := j; i < len(values); i += columns {
			t := values[i].DataType()
			switch {
			case t.ID() == arrow.NULL:
			case fields[j].Type.ID() == arrow.NULL:
				fields[j].Type = t
			case !arrow.TypeEqual(fields[j].Type, t):
				return nil, errkind.Invalid("[DATATYPE_MISMATCH.STACK_COLUMN_DIFF_TYPES] column %d of stack has values of different types, %s and %s ('%s'); cast them to one type",
					j, logical.SparkTypeName(fields[j].Type), logical.SparkTypeName(t), values[i].String())
			}
			fields[j].Nullable = fields[j].Nullable || values[i].Nullable()
		}
		if i := j + columns*(rows-1); i >= len(values) {
			fields[j].Nullable = true // the last row lacks this column
		}
	}
	structType := arrow.StructOf(fields...)
	structs := make([]logical.Expr, rows)
	for r := range structs {
		row := make([]logical.Expr, columns)
		for j := range row {
			i := r*columns + j
			if i >= len(values) || values[i].DataType().ID() == arrow.NULL {
				row[j] = logical.NullLiteral(fields[j].Type)
				continue
			}
			row[j] = values[i]
		}
		structs[r] = &logical.Call{Function: "make_struct", Args: row, Type: structType}
	}
	collection := &logical.Call{Function: "make_array", Args: structs, Type: arrow.ListOf(structType)}
	return &logical.Call{Function: name, Args: []logical.Expr{collection}, Type: collection.Type, Null: false,
		Display: fmt.Sprintf("stack(%s)", logical.JoinExprs(args, ", "))}, nil
}

// GeneratorColumns are the columns a generator produces, named as Spark names them (pos, col,
// key, value), with names replaced by aliases when given.
func GeneratorColumns(call *logical.Call, aliases []string, ids *logical.IDGenerator) ([]*logical.ColumnRef, error) {
	var fields []arrow.Field
	if call.Function == "posexplode" || call.Function == "posexplode_outer" {
		fields = append(fields, arrow.Field{Name: "pos", Type: arrow.PrimitiveTypes.Int32, Nullable: call.Function == "posexplode_outer"})
	}
	switch t := call.Args[0].DataType().(type) {
	case *arrow.ListType:
		if GeneratorIsInline(call.Function) {
			// inline over a null struct element gives a row of nulls.
			for _, f := range t.Elem().(*arrow.StructType).Fields() {
				fields = append(fields, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true})
			}
			break
		}
		fields = append(fields, arrow.Field{Name: "col", Type: t.Elem(), Nullable: true})
	case *arrow.MapType:
		fields = append(fields, arrow.Field{Name: "key", Type: t.KeyType(), Nullable: call.Function == "explode_outer" || call.Function == "posexplode_outer"},
			arrow.Field{Name: "value", Type: t.ItemType(), Nullable: true})
	}
	if len(aliases) > 0 && len(aliases) != len(fields) {
		return nil, errkind.Invalid("[UDTF_ALIAS_NUMBER_MISMATCH] %s produces %d columns but %d aliases were given; give one alias per column", call.String(), len(fields), len(aliases))
	}
	out := make([]*logical.ColumnRef, len(fields))
	for i, f := range fields {
		name := f.Name
		if len(aliases) > 0 {
			name = aliases[i]
		}
		out[i] = &logical.ColumnRef{AttrID: ids.Next(), ColumnName: name, Type: f.Type, Null: f.Nullable}
	}
	return out, nil
}
