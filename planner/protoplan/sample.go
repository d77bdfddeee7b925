package protoplan

import (
	"math/rand/v2"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_Sample{}, sampleRelation)
}

func sampleRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	s := rel.GetSample()
	input, err := c.input(s.Input)
	if err != nil {
		return nil, err
	}
	lb, ub := s.LowerBound, s.UpperBound
	replace := s.GetWithReplacement()
	if lb < 0 || ub < lb || (!replace && ub > 1) || ub != ub || lb != lb {
		if replace {
			return nil, errkind.Invalid("sampling fraction must be zero or more, got %g", ub-lb)
		}
		return nil, errkind.Invalid("sampling fraction must be between 0 and 1 without replacement, got bounds [%g, %g]", lb, ub)
	}
	seed := rand.Int64()
	if s.Seed != nil {
		seed = *s.Seed
	}
	return &logical.Sample{Input: input, LowerBound: lb, UpperBound: ub, WithReplacement: replace, Seed: seed}, nil
}
