package protoplan

import (
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// SQLPlanner plans a Relation.sql (spark.sql(text, args)); the SQL front end (planner/sqlplan)
// sets it from init, since it builds on this package and cannot be imported by it.
var SQLPlanner func(c *Converter, sql *pb.SQL) (logical.Plan, error)

func init() {
	registerRelation(&pb.Relation_Sql{}, sqlRelation)
}

func sqlRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	if SQLPlanner == nil {
		return nil, errkind.NotImplemented("SQL is not available in this build: the SQL front end is not linked in")
	}
	s := rel.GetSql()
	if s.Query == "" {
		return nil, errkind.Invalid("spark.sql needs a non-empty statement")
	}
	return SQLPlanner(c, s)
}
