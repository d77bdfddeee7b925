package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Generators: explode, explode_outer, posexplode, posexplode_outer. They resolve to a Call the
// select planner (protoplan/generate.go) lifts into a logical.Generate node; they have no kernel,
// so a generator anywhere but at the top of a select item is rejected there.

// GeneratorFunctions lists the generator function names.
var GeneratorFunctions = map[string]bool{"explode": true, "explode_outer": true, "posexplode": true, "posexplode_outer": true}

func init() {
	for name := range GeneratorFunctions {
		registerFunction(resolveGenerator, name)
	}
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

// GeneratorColumns are the columns a generator produces, named as Spark names them (pos, col,
// key, value), with names replaced by aliases when given.
func GeneratorColumns(call *logical.Call, aliases []string, ids *logical.IDGenerator) ([]*logical.ColumnRef, error) {
	var fields []arrow.Field
	if call.Function == "posexplode" || call.Function == "posexplode_outer" {
		fields = append(fields, arrow.Field{Name: "pos", Type: arrow.PrimitiveTypes.Int32, Nullable: call.Function == "posexplode_outer"})
	}
	switch t := call.Args[0].DataType().(type) {
	case *arrow.ListType:
		fields = append(fields, arrow.Field{Name: "col", Type: t.Elem(), Nullable: true})
	case *arrow.MapType:
		fields = append(fields, arrow.Field{Name: "key", Type: t.KeyType(), Nullable: call.Function == "explode_outer" || call.Function == "posexplode_outer"},
			arrow.Field{Name: "value", Type: t.ItemType(), Nullable: true})
	}
	if len(aliases) > 0 && len(aliases) != len(fields) {
		return nil, errkind.Invalid("%s produces %d columns but %d aliases were given", call.String(), len(fields), len(aliases))
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
