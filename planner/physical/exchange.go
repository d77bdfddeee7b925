package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// PartitioningKind says how an Exchange distributes its input rows over output partitions.
type PartitioningKind int

const (
	// HashPartitioning sends a row to hash(Keys) mod NumPartitions; rows with equal keys meet in
	// one partition (aggregation, shuffled joins). The hash is exec.HashColumns, the same on
	// every side of a join for keys of the same type.
	HashPartitioning PartitioningKind = iota
	// RoundRobinPartitioning deals rows out evenly (repartition(n) without keys).
	RoundRobinPartitioning
	// SinglePartitioning gathers every row into one partition (global aggregates, final limit).
	SinglePartitioning
	// RangePartitioning sends a row to the partition whose range of SortOrders contains it, so
	// partition i sorts before partition i+1 (global sort). Bounds are computed by the range
	// partitioner (exec) when nil.
	RangePartitioning
	// BroadcastPartitioning copies every row to one partition that every consumer partition
	// reads in full (broadcast hash join's build side).
	BroadcastPartitioning
)

// Partitioning is the distribution an Exchange produces.
type Partitioning struct {
	Kind PartitioningKind
	// NumPartitions is the count of output partitions (1 for single and broadcast).
	NumPartitions int
	// Keys are the hash keys, bound to the exchange's input schema.
	Keys []logical.Expr
	// SortOrders are the range keys, bound to the exchange's input schema.
	SortOrders []*logical.SortOrder
	// Bounds holds NumPartitions-1 upper bounds of the range keys, one column per sort order,
	// when known at planning time; nil lets the range partitioner sample them. The Exchange owns
	// one reference.
	Bounds arrow.RecordBatch
}

// String renders the partitioning as Spark prints it: hashpartitioning(a#0, 4).
func (p Partitioning) String() string {
	switch p.Kind {
	case HashPartitioning:
		return fmt.Sprintf("hashpartitioning(%s, %d)", logical.JoinExprs(p.Keys, ", "), p.NumPartitions)
	case RoundRobinPartitioning:
		return fmt.Sprintf("roundrobinpartitioning(%d)", p.NumPartitions)
	case SinglePartitioning:
		return "singlepartition"
	case RangePartitioning:
		parts := make([]string, len(p.SortOrders))
		for i, s := range p.SortOrders {
			parts[i] = s.String()
		}
		return fmt.Sprintf("rangepartitioning(%s, %d)", strings.Join(parts, ", "), p.NumPartitions)
	case BroadcastPartitioning:
		return "broadcast"
	}
	return fmt.Sprintf("partitioning(%d)", int(p.Kind))
}

// OutputPartitions is the partition count consumers see.
func (p Partitioning) OutputPartitions() int {
	switch p.Kind {
	case SinglePartitioning, BroadcastPartitioning:
		return 1
	}
	return max(p.NumPartitions, 1)
}

// Exchange redistributes its input's rows. Stages are cut at exchanges (CutStages): the input
// runs as its own stage whose tasks write shuffle output, and in the consuming stage the
// Exchange reads that output — partition i of the Exchange is what every task wrote for i.
type Exchange struct {
	Input        Node
	Partitioning Partitioning
	// Stage is the stage computing Input; set by CutStages, nil before. The executor finds the
	// shuffle output through it.
	Stage *Stage
}

func (e *Exchange) Schema() *arrow.Schema { return e.Input.Schema() }
func (e *Exchange) Children() []Node      { return []Node{e.Input} }
func (e *Exchange) NumPartitions() int    { return e.Partitioning.OutputPartitions() }
func (e *Exchange) Describe() string {
	if e.Stage != nil {
		return fmt.Sprintf("Exchange %s [reads stage %d]", e.Partitioning.String(), e.Stage.ID)
	}
	return fmt.Sprintf("Exchange %s", e.Partitioning.String())
}
