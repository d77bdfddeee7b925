// Package physical holds physical plan nodes (pure data: what to run, how it is partitioned) and
// the planner that lowers an optimized logical plan to them. Operators that run these nodes live
// in exec; this package must not import it.
package physical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/planner/logical"
)

// Node is a physical plan node. Expressions inside are bound: column references are
// logical.BoundRef ordinals into the node's input schema.
type Node interface {
	// Schema is the output schema.
	Schema() *arrow.Schema
	// Children returns the inputs.
	Children() []Node
	// NumPartitions is the count of output partitions.
	NumPartitions() int
	// Describe is this node's line in an explain tree.
	Describe() string
}

// StoredScan reads a DataFrame from the block store; partition i reads stored partition i.
type StoredScan struct {
	DataFrameID string
	// Projection lists the stored column ordinals read; nil reads all.
	Projection []int
	OutSchema  *arrow.Schema
	Partitions int
}

func (s *StoredScan) Schema() *arrow.Schema { return s.OutSchema }
func (s *StoredScan) Children() []Node      { return nil }
func (s *StoredScan) NumPartitions() int    { return s.Partitions }
func (s *StoredScan) Describe() string {
	return fmt.Sprintf("StoredScan %s [%s] partitions=%d", s.DataFrameID, fieldNames(s.OutSchema), s.Partitions)
}

// RangeScan produces int64 "id" values; partition i covers an equal slice of the range.
type RangeScan struct {
	Start, End, Step int64
	Partitions       int
	OutSchema        *arrow.Schema
}

func (r *RangeScan) Schema() *arrow.Schema { return r.OutSchema }
func (r *RangeScan) Children() []Node      { return nil }
func (r *RangeScan) NumPartitions() int    { return r.Partitions }
func (r *RangeScan) Describe() string {
	return fmt.Sprintf("Range (%d, %d, step=%d, splits=%d)", r.Start, r.End, r.Step, r.Partitions)
}

// Projection evaluates expressions per batch.
type Projection struct {
	Input       Node
	Expressions []logical.Expr
	OutSchema   *arrow.Schema
}

func (p *Projection) Schema() *arrow.Schema { return p.OutSchema }
func (p *Projection) Children() []Node      { return []Node{p.Input} }
func (p *Projection) NumPartitions() int    { return p.Input.NumPartitions() }
func (p *Projection) Describe() string {
	parts := make([]string, len(p.Expressions))
	for i, e := range p.Expressions {
		parts[i] = fmt.Sprintf("%s AS %s", e.String(), p.OutSchema.Field(i).Name)
	}
	return "Project [" + strings.Join(parts, ", ") + "]"
}

// Filter keeps rows where the predicate is true.
type Filter struct {
	Input     Node
	Predicate logical.Expr
}

func (f *Filter) Schema() *arrow.Schema { return f.Input.Schema() }
func (f *Filter) Children() []Node      { return []Node{f.Input} }
func (f *Filter) NumPartitions() int    { return f.Input.NumPartitions() }
func (f *Filter) Describe() string      { return "Filter " + f.Predicate.String() }

// LocalLimit keeps at most Count rows of each partition.
type LocalLimit struct {
	Input Node
	Count int64
}

func (l *LocalLimit) Schema() *arrow.Schema { return l.Input.Schema() }
func (l *LocalLimit) Children() []Node      { return []Node{l.Input} }
func (l *LocalLimit) NumPartitions() int    { return l.Input.NumPartitions() }
func (l *LocalLimit) Describe() string      { return fmt.Sprintf("LocalLimit %d", l.Count) }

// GlobalLimit skips Offset rows then keeps Count rows (-1: all) of its single input partition.
type GlobalLimit struct {
	Input  Node
	Count  int64
	Offset int64
}

func (l *GlobalLimit) Schema() *arrow.Schema { return l.Input.Schema() }
func (l *GlobalLimit) Children() []Node      { return []Node{l.Input} }
func (l *GlobalLimit) NumPartitions() int    { return 1 }
func (l *GlobalLimit) Describe() string {
	return fmt.Sprintf("GlobalLimit %d offset=%d", l.Count, l.Offset)
}

// CoalescePartitions merges all input partitions into one, in partition order.
type CoalescePartitions struct {
	Input Node
}

func (c *CoalescePartitions) Schema() *arrow.Schema { return c.Input.Schema() }
func (c *CoalescePartitions) Children() []Node      { return []Node{c.Input} }
func (c *CoalescePartitions) NumPartitions() int    { return 1 }
func (c *CoalescePartitions) Describe() string {
	return fmt.Sprintf("CoalescePartitions (%d -> 1)", c.Input.NumPartitions())
}

// Empty produces no rows.
type Empty struct {
	OutSchema *arrow.Schema
}

func (e *Empty) Schema() *arrow.Schema { return e.OutSchema }
func (e *Empty) Children() []Node      { return nil }
func (e *Empty) NumPartitions() int    { return 1 }
func (e *Empty) Describe() string      { return "Empty" }

// Format renders a physical plan as an indented tree.
func Format(n Node) string {
	var b strings.Builder
	var walk func(n Node, depth int)
	walk = func(n Node, depth int) {
		if depth > 0 {
			b.WriteString(strings.Repeat("   ", depth-1))
			b.WriteString("+- ")
		}
		b.WriteString(n.Describe())
		b.WriteString("\n")
		for _, c := range n.Children() {
			walk(c, depth+1)
		}
	}
	walk(n, 0)
	return b.String()
}

func fieldNames(s *arrow.Schema) string {
	names := make([]string, s.NumFields())
	for i, f := range s.Fields() {
		names[i] = f.Name
	}
	return strings.Join(names, ", ")
}
