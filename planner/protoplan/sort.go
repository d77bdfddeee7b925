package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_Sort{}, sortRelation)
	registerRelation(&pb.Relation_Tail{}, tailRelation)
}

func sortRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	s := rel.GetSort()
	input, err := c.input(s.Input)
	if err != nil {
		return nil, err
	}
	if len(s.Order) == 0 {
		return nil, errkind.Invalid("sort needs at least one column; pass names or Columns to orderBy/sort")
	}
	order := make([]*logical.SortOrder, len(s.Order))
	for i, o := range s.Order {
		so, err := c.SortOrder(o)
		if err != nil {
			return nil, err
		}
		if order[i], err = c.ResolveSortOrder(so, input); err != nil {
			return nil, err
		}
	}
	global := s.IsGlobal == nil || *s.IsGlobal
	return &logical.Sort{Input: input, Order: order, Global: global}, nil
}

// ResolveSortOrder resolves a sort key against input and checks its type can be ordered.
func (c *Converter) ResolveSortOrder(so *logical.SortOrder, input logical.Plan) (*logical.SortOrder, error) {
	child, err := c.A.ResolveExpr(so.Child, input)
	if err != nil {
		return nil, err
	}
	child = logical.StripAlias(child)
	if !logical.Orderable(child.DataType()) {
		return nil, errkind.Invalid("cannot sort by '%s': values of type %s have no order", child.String(), logical.SparkTypeName(child.DataType()))
	}
	return &logical.SortOrder{Child: child, Direction: so.Direction, Nulls: so.Nulls}, nil
}

func tailRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	t := rel.GetTail()
	input, err := c.input(t.Input)
	if err != nil {
		return nil, err
	}
	if t.Limit < 0 {
		return nil, errkind.Invalid("tail needs a row count of zero or more, got %d", t.Limit)
	}
	return &logical.Tail{Input: input, Count: int64(t.Limit)}, nil
}
