package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_CachedDataframe{}, cachedDataFrameRelation)
}

// cachedDataFrameRelation reads what cache()/persist()/checkpoint() stored in the block store.
func cachedDataFrameRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	id := rel.GetCachedDataframe().GetId()
	if id == "" {
		return nil, errkind.Invalid("malformed plan: a cached DataFrame relation has no id")
	}
	if c.A.Catalog == nil {
		return nil, errkind.Internal("no catalog")
	}
	return c.A.Catalog.LookupRelation(id, c.A.IDs)
}
