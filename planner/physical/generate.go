package physical

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Generate repeats each input row once per element of Collection (bound to the input) and
// appends the generated columns; see logical.Generate.
type Generate struct {
	Input      Node
	Collection logical.Expr
	Outer      bool
	Position   bool
	// Inline splits each struct element into its fields, one column each.
	Inline    bool
	OutSchema *arrow.Schema
}

func (g *Generate) Schema() *arrow.Schema { return g.OutSchema }
func (g *Generate) Children() []Node      { return []Node{g.Input} }
func (g *Generate) NumPartitions() int    { return g.Input.NumPartitions() }
func (g *Generate) Describe() string {
	return fmt.Sprintf("Generate %s outer=%t position=%t", g.Collection.String(), g.Outer, g.Position)
}

func init() {
	RegisterLowering(&logical.Generate{}, lowerGenerate)
}

func lowerGenerate(p *Planner, n logical.Plan) (Node, error) {
	g := n.(*logical.Generate)
	input, err := p.Plan(g.Input)
	if err != nil {
		return nil, err
	}
	bound, err := Bind(g.Generator.Args[0], g.Input.Output())
	if err != nil {
		return nil, err
	}
	return &Generate{Input: input, Collection: bound, Outer: g.Outer, Position: g.Position, Inline: g.Inline, OutSchema: logical.OutputSchema(g)}, nil
}
