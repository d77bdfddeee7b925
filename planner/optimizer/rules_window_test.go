package optimizer

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

// A window passes its input's columns through: columns nothing above it reads, and its functions
// do not, are pruned from the scan below (a window over a table read every column before).
func TestColumnPruningGoesThroughWindows(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "lineitem", "l_partkey", "l_quantity", "l_extendedprice", "l_comment", "l_shipdate")
	partkey, quantity, price, shipdate := s.Attributes[0], s.Attributes[1], s.Attributes[2], s.Attributes[4]
	average := &logical.AggregateCall{Function: "avg", Args: []logical.Expr{quantity}, Type: arrow.PrimitiveTypes.Float64, Null: true, Display: "avg(l_quantity)"}
	window := &logical.Window{
		Input: s,
		Expressions: []*logical.Alias{{Child: &logical.WindowExpr{Function: average, PartitionSpec: []logical.Expr{partkey},
			OrderSpec: []*logical.SortOrder{{Child: shipdate}}, Frame: logical.DefaultFrame(true)}, Alias: "average", AttrID: ids.Next()}},
		PartitionSpec: []logical.Expr{partkey},
		OrderSpec:     []*logical.SortOrder{{Child: shipdate}},
	}
	top := &logical.Project{Input: window, Expressions: []logical.Named{price, window.Output()[len(window.Output())-1]}}
	out := optimize(t, top)
	var scanned []string
	for _, a := range out.Children()[0].Children()[0].Output() {
		scanned = append(scanned, a.ColumnName)
	}
	require.Equal(t, []string{"l_partkey", "l_quantity", "l_extendedprice", "l_shipdate"}, scanned, logical.Format(out))
}
