package logical

import (
	"fmt"
	"strings"
)

// GroupingIDName is the column Expand adds for GROUPING SETS, ROLLUP and CUBE: bit i (from the
// most significant of len(keys) bits) is set when key i is not in the row's grouping set, as in
// Spark's spark_grouping_id.
const GroupingIDName = "spark_grouping_id"

// Expand emits every input row once per projection list, as Spark's Expand: grouping sets,
// rollup and cube project each row once per grouping set, with the keys outside the set nulled
// and the set's grouping id, and an Aggregate over it groups by the keys and the id.
type Expand struct {
	Input Plan
	// Projections are the output expressions, one list per copy of each row; every list has one
	// expression per attribute of Attributes, over the input's columns.
	Projections [][]Expr
	// Attributes are the output columns.
	Attributes []*ColumnRef
}

func (e *Expand) Output() []*ColumnRef { return e.Attributes }
func (e *Expand) Children() []Plan     { return []Plan{e.Input} }
func (e *Expand) WithChildren(c []Plan) Plan {
	cp := *e
	cp.Input = c[0]
	return &cp
}
func (e *Expand) Describe() string {
	lists := make([]string, len(e.Projections))
	for i, p := range e.Projections {
		parts := make([]string, len(p))
		for j, x := range p {
			parts[j] = exprWithIDs(x)
		}
		lists[i] = "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("Expand [%s], [%s]", strings.Join(lists, ", "), attrList(e.Attributes))
}

// GroupingFunctions are grouping(col) and grouping_id(cols...): the analyzer resolves them to a
// Call the grouping-sets planner replaces with columns of the Expand; they have no kernel.
var GroupingFunctions = map[string]bool{"grouping": true, "grouping_id": true}
