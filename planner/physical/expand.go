package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Expand emits each input batch once per projection list (bound to the input); see
// logical.Expand.
type Expand struct {
	Input       Node
	Projections [][]logical.Expr
	OutSchema   *arrow.Schema
}

func (e *Expand) Schema() *arrow.Schema { return e.OutSchema }
func (e *Expand) Children() []Node      { return []Node{e.Input} }
func (e *Expand) NumPartitions() int    { return e.Input.NumPartitions() }
func (e *Expand) Describe() string {
	lists := make([]string, len(e.Projections))
	for i, p := range e.Projections {
		parts := make([]string, len(p))
		for j, x := range p {
			parts[j] = x.String()
		}
		lists[i] = "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("Expand [%s] AS [%s]", strings.Join(lists, ", "), fieldNames(e.OutSchema))
}

func init() {
	RegisterLowering(&logical.Expand{}, lowerExpand)
}

func lowerExpand(p *Planner, n logical.Plan) (Node, error) {
	e := n.(*logical.Expand)
	input, err := p.Plan(e.Input)
	if err != nil {
		return nil, err
	}
	attrs := e.Input.Output()
	projections := make([][]logical.Expr, len(e.Projections))
	for i, list := range e.Projections {
		projections[i] = make([]logical.Expr, len(list))
		for j, x := range list {
			if projections[i][j], err = Bind(x, attrs); err != nil {
				return nil, err
			}
		}
	}
	return &Expand{Input: input, Projections: projections, OutSchema: logical.OutputSchema(e)}, nil
}
