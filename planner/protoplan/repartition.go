package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_Repartition{}, repartitionRelation)
	registerRelation(&pb.Relation_RepartitionByExpression{}, repartitionByExpressionRelation)
}

func repartitionRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	r := rel.GetRepartition()
	input, err := c.input(r.Input)
	if err != nil {
		return nil, err
	}
	if r.NumPartitions < 1 {
		return nil, errkind.Invalid("the number of partitions must be positive, got %d", r.NumPartitions)
	}
	kind := logical.RoundRobinPartitioning
	if r.Shuffle != nil && !*r.Shuffle {
		kind = logical.CoalescePartitioning
	}
	return &logical.Repartition{Input: input, Kind: kind, NumPartitions: int(r.NumPartitions)}, nil
}

func repartitionByExpressionRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	r := rel.GetRepartitionByExpression()
	input, err := c.input(r.Input)
	if err != nil {
		return nil, err
	}
	n := c.A.Config.DefaultParallelism
	if r.NumPartitions != nil {
		if *r.NumPartitions < 1 {
			return nil, errkind.Invalid("the number of partitions must be positive, got %d", *r.NumPartitions)
		}
		n = int(*r.NumPartitions)
	}
	if len(r.PartitionExprs) == 0 {
		return &logical.Repartition{Input: input, Kind: logical.RoundRobinPartitioning, NumPartitions: n}, nil
	}
	exprs, err := c.Expressions(r.PartitionExprs)
	if err != nil {
		return nil, err
	}
	orders := 0
	for _, e := range exprs {
		if _, ok := e.(*logical.SortOrder); ok {
			orders++
		}
	}
	kind := logical.HashPartitioning
	if orders > 0 {
		if orders != len(exprs) {
			return nil, errkind.Invalid("repartition takes either sort orders (range partitioning) or plain columns (hash partitioning), not both")
		}
		kind = logical.RangePartitioning
	}
	resolved := make([]logical.Expr, len(exprs))
	for i, e := range exprs {
		if so, ok := e.(*logical.SortOrder); ok {
			if resolved[i], err = c.ResolveSortOrder(so, input); err != nil {
				return nil, err
			}
			continue
		}
		x, err := c.A.ResolveExpr(e, input)
		if err != nil {
			return nil, err
		}
		resolved[i] = logical.StripAlias(x)
	}
	return &logical.Repartition{Input: input, Kind: kind, NumPartitions: n, Expressions: resolved}, nil
}
