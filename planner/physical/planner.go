package physical

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Planner lowers logical plans. Lowerings for node kinds beyond the core are registered by other
// files of this package (RegisterLowering), so each operator family stays in its own file.
type Planner struct {
	// DefaultParallelism is the partition count of shuffles.
	DefaultParallelism int
	// BroadcastThreshold is spark.sql.autoBroadcastJoinThreshold: a join side whose estimated
	// size is at most this many bytes is broadcast. 0 means the default (10 MiB); negative
	// disables broadcasting except where a broadcast hint asks for it.
	BroadcastThreshold int64
	// AdaptiveDisabled is spark.sql.adaptive.enabled=false: shuffled joins stay shuffled even
	// when their build side turns out small (HashJoin.AdaptiveThreshold).
	AdaptiveDisabled bool
}

func (p *Planner) broadcastThreshold() int64 {
	if p.BroadcastThreshold == 0 {
		return DefaultBroadcastThreshold
	}
	return p.BroadcastThreshold
}

// Lowering turns one logical node into a physical node, lowering children with p.
type Lowering func(p *Planner, node logical.Plan) (Node, error)

var lowerings = map[string]Lowering{}

// RegisterLowering adds a lowering for a logical node type (by an example value).
func RegisterLowering(example logical.Plan, l Lowering) {
	lowerings[fmt.Sprintf("%T", example)] = l
}

func init() {
	RegisterLowering(&logical.Scan{}, lowerScan)
	RegisterLowering(&logical.Range{}, lowerRange)
	RegisterLowering(&logical.Project{}, lowerProject)
	RegisterLowering(&logical.Filter{}, lowerFilter)
	RegisterLowering(&logical.Limit{}, lowerLimit)
	RegisterLowering(&logical.SubqueryAlias{}, func(p *Planner, n logical.Plan) (Node, error) {
		return p.Plan(n.(*logical.SubqueryAlias).Input)
	})
}

// Plan lowers a logical plan.
func (p *Planner) Plan(node logical.Plan) (Node, error) {
	l, ok := lowerings[fmt.Sprintf("%T", node)]
	if !ok {
		return nil, errkind.NotImplemented("no physical operator for %s yet", node.Describe())
	}
	return l(p, node)
}

func lowerScan(p *Planner, n logical.Plan) (Node, error) {
	s := n.(*logical.Scan)
	src, ok := s.Source.(*logical.StoredDataFrame)
	if !ok {
		if ScanLowering != nil {
			return ScanLowering(p, s)
		}
		return nil, errkind.NotImplemented("scanning %s", s.Source.Describe())
	}
	return &StoredScan{DataFrameID: src.ID, Projection: s.Projection, OutSchema: logical.OutputSchema(s), Partitions: max(src.NumPartitions, 1)}, nil
}

// ScanLowering lowers scans of non-stored sources (files); set by the file source package.
var ScanLowering func(p *Planner, s *logical.Scan) (Node, error)

func lowerRange(_ *Planner, n logical.Plan) (Node, error) {
	r := n.(*logical.Range)
	return &RangeScan{Start: r.Start, End: r.End, Step: r.Step, Partitions: max(r.NumPartitions, 1), OutSchema: logical.OutputSchema(r)}, nil
}

func lowerProject(p *Planner, n logical.Plan) (Node, error) {
	pr := n.(*logical.Project)
	input, err := p.Plan(pr.Input)
	if err != nil {
		return nil, err
	}
	inAttrs := pr.Input.Output()
	exprs := make([]logical.Expr, len(pr.Expressions))
	for i, e := range pr.Expressions {
		var x logical.Expr = e
		if a, ok := e.(*logical.Alias); ok {
			x = a.Child
		}
		bound, err := Bind(x, inAttrs)
		if err != nil {
			return nil, err
		}
		exprs[i] = bound
	}
	return &Projection{Input: input, Expressions: exprs, OutSchema: logical.OutputSchema(pr)}, nil
}

func lowerFilter(p *Planner, n logical.Plan) (Node, error) {
	f := n.(*logical.Filter)
	input, err := p.Plan(f.Input)
	if err != nil {
		return nil, err
	}
	bound, err := Bind(f.Condition, f.Input.Output())
	if err != nil {
		return nil, err
	}
	return &Filter{Input: input, Predicate: bound}, nil
}

func lowerLimit(p *Planner, n logical.Plan) (Node, error) {
	l := n.(*logical.Limit)
	input, err := p.Plan(l.Input)
	if err != nil {
		return nil, err
	}
	if input.NumPartitions() > 1 {
		if l.Count >= 0 {
			input = &LocalLimit{Input: input, Count: l.Count + l.Offset}
		}
		input = &CoalescePartitions{Input: input}
	}
	return &GlobalLimit{Input: input, Count: l.Count, Offset: l.Offset}, nil
}

// Bind replaces attribute references with ordinals into attrs.
func Bind(e logical.Expr, attrs []*logical.ColumnRef) (logical.Expr, error) {
	return logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		ref, ok := x.(*logical.ColumnRef)
		if !ok {
			return x, nil
		}
		for i, a := range attrs {
			if a.AttrID == ref.AttrID {
				return &logical.BoundRef{Ordinal: i, ColumnName: a.ColumnName, Type: a.Type, Null: a.Null}, nil
			}
		}
		return nil, errkind.Internal("attribute %s#%d is not produced by the input", ref.ColumnName, ref.AttrID)
	})
}

// SchemaOf builds a schema from fields, for lowerings that compute their output.
func SchemaOf(fields ...arrow.Field) *arrow.Schema { return arrow.NewSchema(fields, nil) }
