package logical

import (
	"fmt"
	"strings"
)

// Generate runs a generator (explode, explode_outer, posexplode, posexplode_outer) over each
// input row: the row repeats once per element of the generator's array or map, followed by
// the generated columns (pos, col / key, value). Outer keeps rows whose collection is null or
// empty, with null generated columns. Like Spark's Generate with join=true.
type Generate struct {
	Input Plan
	// Generator is the resolved generator call; its single argument is the array or map.
	Generator *Call
	// Outer keeps rows with a null or empty collection.
	Outer bool
	// Position adds the element's 0-based position as the first generated column.
	Position bool
	// Inline: the elements are structs whose fields are the generated columns (inline, stack).
	Inline bool
	// GeneratorOutput are the generated columns, after the input's columns.
	GeneratorOutput []*ColumnRef
}

func (g *Generate) Output() []*ColumnRef {
	return append(append([]*ColumnRef{}, g.Input.Output()...), g.GeneratorOutput...)
}
func (g *Generate) Children() []Plan { return []Plan{g.Input} }
func (g *Generate) WithChildren(c []Plan) Plan {
	cp := *g
	cp.Input = c[0]
	return &cp
}
func (g *Generate) Describe() string {
	names := make([]string, len(g.GeneratorOutput))
	for i, c := range g.GeneratorOutput {
		names[i] = fmt.Sprintf("%s#%d", c.ColumnName, c.AttrID)
	}
	return fmt.Sprintf("Generate %s, outer=%t, [%s]", g.Generator.String(), g.Outer, strings.Join(names, ", "))
}
