package analyzer

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// grouping(col) and grouping_id(cols...) resolve to Calls without a kernel: the grouping-sets
// planner (protoplan/grouping_sets.go) replaces them with columns its Expand computes, and
// rejects them in a plain GROUP BY as Spark does. grouping is a tinyint, grouping_id a bigint
// (spark.sql.legacy.integerGroupingId off), neither nullable.
func init() {
	registerFunction(resolveGrouping, "grouping", "grouping_id")
}

func resolveGrouping(_ *Analyzer, name string, args []logical.Expr, _ bool) (logical.Expr, error) {
	if name == "grouping" {
		if err := checkArity(name, args, 1, 1); err != nil {
			return nil, err
		}
		return &logical.Call{Function: name, Args: args, Type: arrow.PrimitiveTypes.Int8,
			Display: fmt.Sprintf("grouping(%s)", args[0].String())}, nil
	}
	return &logical.Call{Function: name, Args: args, Type: arrow.PrimitiveTypes.Int64,
		Display: fmt.Sprintf("grouping_id(%s)", logical.JoinExprs(args, ", "))}, nil
}
