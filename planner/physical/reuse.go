package physical

import (
	"fmt"
	"strings"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
)

// Exchange reuse: two exchanges that compute the same rows into the same partitions are one
// stage, read by both consumers (Spark's ReuseExchange). TPC-H Q15 names its revenue view twice,
// once joined to supplier and once under max(); both scan and aggregate lineitem the same way.
//
// Two exchanges are the same when a canonical text of their subtrees is: every node's
// description (expressions bound to ordinals, so attribute ids do not differ between the two
// copies), its output schema, and for scans the dataset object, columns and splits. Only node
// and expression kinds whose text says everything they compute take part; a subtree with any
// other node, a non-deterministic function or a Python function is never shared. Range and
// round-robin exchanges are not shared either: their partitioners sample or deal at run time.

// reuseKey returns the canonical text of an exchange, and false when it must not be shared.
func reuseKey(e *Exchange) (string, bool) {
	var b strings.Builder
	if !writeReuseKey(&b, e) {
		return "", false
	}
	return b.String(), true
}

func writeReuseKey(b *strings.Builder, n Node) bool {
	// Expressions are written by canonicalExpr, not String: a call's String is its display
	// text, which names columns but not the ordinals they are bound to.
	exprs := func(list ...logical.Expr) bool {
		for _, e := range list {
			text, ok := canonicalExpr(e)
			if !ok {
				return false
			}
			b.WriteString(" ")
			b.WriteString(text)
		}
		return true
	}
	switch x := n.(type) {
	case *Exchange:
		switch x.Partitioning.Kind {
		case HashPartitioning, SinglePartitioning, BroadcastPartitioning:
		default:
			return false
		}
		fmt.Fprintf(b, "Exchange %d %d", x.Partitioning.Kind, x.Partitioning.NumPartitions)
		if !exprs(x.Partitioning.Keys...) {
			return false
		}
	case *FileScan:
		fmt.Fprintf(b, "%s dataset=%s projection=%v splits=%v", x.Describe(), datasetKey(x.Dataset), x.Projection, x.Splits)
	case *StoredScan:
		fmt.Fprintf(b, "%s projection=%v", x.Describe(), x.Projection)
	case *Filter:
		b.WriteString("Filter")
		if !exprs(x.Predicate) {
			return false
		}
	case *Projection:
		b.WriteString("Project")
		if !exprs(x.Expressions...) {
			return false
		}
	case *HashAggregate:
		fmt.Fprintf(b, "HashAggregate %s keys", x.Mode)
		if !exprs(x.Keys...) {
			return false
		}
		for _, c := range x.Calls {
			fmt.Fprintf(b, " call %s distinct=%v ignoreNulls=%v parameter=%v nullIfEmpty=%v type=%s", c.Function, c.Distinct, c.IgnoreNulls, c.Parameter, c.NullIfEmpty, c.Type)
			if !exprs(c.Args...) {
				return false
			}
			if c.Filter != nil && !exprs(c.Filter) {
				return false
			}
		}
	case *HashJoin:
		fmt.Fprintf(b, "HashJoin %s nullSafe=%v build=%v broadcast=%v adaptive=%d", x.Type, x.NullSafe, x.Build, x.Broadcast, x.AdaptiveThreshold)
		if !exprs(x.LeftKeys...) || !exprs(x.RightKeys...) {
			return false
		}
		if x.Condition != nil && !exprs(x.Condition) {
			return false
		}
	default:
		return false
	}
	b.WriteString(" schema=")
	b.WriteString(n.Schema().String())
	b.WriteString("\n(")
	for _, c := range n.Children() {
		if !writeReuseKey(b, c) {
			return false
		}
		b.WriteString(";")
	}
	b.WriteString(")")
	return true
}

// nonDeterministicFunctions change value between evaluations: a stage computing them is not
// the same rows as another computing the same text.
var nonDeterministicFunctions = map[string]bool{
	"rand": true, "randn": true, "random": true, "uuid": true, "shuffle": true,
	"monotonically_increasing_id": true, "spark_partition_id": true, "input_file_name": true,
}

// canonicalExpr writes an expression with its functions, types and bound ordinals; false for
// kinds it does not know and for non-deterministic functions.
func canonicalExpr(e logical.Expr) (string, bool) {
	var b strings.Builder
	var walk func(e logical.Expr) bool
	walk = func(e logical.Expr) bool {
		switch v := e.(type) {
		case *logical.BoundRef:
			fmt.Fprintf(&b, "#%d:%s", v.Ordinal, v.DataType())
			return true
		case *logical.Literal:
			fmt.Fprintf(&b, "lit(%s:%s:%v)", v.String(), v.DataType(), v.Value.IsValid())
			return true
		case *logical.Alias:
			fmt.Fprintf(&b, "alias(%s, ", v.Alias)
		case *logical.Cast:
			fmt.Fprintf(&b, "cast(%s, %d, ", v.To, v.Mode)
		case *logical.SortOrder:
			fmt.Fprintf(&b, "order(%d, %d, ", v.Direction, v.Nulls)
		case *logical.Call:
			if nonDeterministicFunctions[v.Function] {
				return false
			}
			fmt.Fprintf(&b, "%s:%s:%v(", v.Function, v.Type, v.Null)
		default:
			return false
		}
		for _, c := range e.Children() {
			if !walk(c) {
				return false
			}
			b.WriteString(",")
		}
		b.WriteString(")")
		return true
	}
	if !walk(e) {
		return "", false
	}
	return b.String(), true
}

// datasetKey identifies the files a scan reads and how: each reference to a view or table gets
// its own Dataset object, so two scans of one table compare by content.
func datasetKey(d *arrowio.Dataset) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %q options=%v timeZone=%q data=%s", d.Format, d.Paths, d.Options, d.TimeZone, d.DataSchema)
	if d.PartitionSchema != nil {
		fmt.Fprintf(&b, " partitions=%s", d.PartitionSchema)
	}
	for _, f := range d.Files {
		fmt.Fprintf(&b, " file=%q size=%d modified=%d values=%v", f.Path, f.Size, f.ModTime.UnixNano(), f.PartitionValues)
	}
	return b.String()
}
