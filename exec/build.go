package exec

import (
	"fmt"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/physical"
)

// Builder makes the operator that computes one partition of a physical node.
type Builder func(tc *TaskContext, node physical.Node, partition int) (Operator, error)

var builders = map[string]Builder{}

// RegisterBuilder adds the builder for a physical node type (by an example value). Operator
// families register from their own files.
func RegisterBuilder(example physical.Node, b Builder) {
	builders[fmt.Sprintf("%T", example)] = b
}

// Build returns the operator computing partition of node.
func Build(tc *TaskContext, node physical.Node, partition int) (Operator, error) {
	b, ok := builders[fmt.Sprintf("%T", node)]
	if !ok {
		return nil, errkind.NotImplemented("no operator runs %s yet", node.Describe())
	}
	if partition < 0 || partition >= node.NumPartitions() {
		return nil, errkind.Internal("%s has %d partitions; partition %d requested", node.Describe(), node.NumPartitions(), partition)
	}
	op, err := b(tc, node, partition)
	if err != nil {
		return nil, err
	}
	if coalescesOutput(node) {
		op = newBatchCoalescer(tc, op)
	}
	return instrument(tc, node, op), nil
}

func init() {
	RegisterBuilder(&physical.StoredScan{}, buildStoredScan)
	RegisterBuilder(&physical.RangeScan{}, buildRangeScan)
	RegisterBuilder(&physical.Projection{}, buildProjection)
	RegisterBuilder(&physical.Filter{}, buildFilter)
	RegisterBuilder(&physical.LocalLimit{}, buildLocalLimit)
	RegisterBuilder(&physical.GlobalLimit{}, buildGlobalLimit)
	RegisterBuilder(&physical.CoalescePartitions{}, buildCoalesce)
	RegisterBuilder(&physical.Empty{}, func(_ *TaskContext, n physical.Node, _ int) (Operator, error) {
		return NewBatchSource(n.Schema(), nil), nil
	})
}
