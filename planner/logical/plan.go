package logical

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Plan is a logical plan node. Nodes are immutable values; rewrites build new nodes.
type Plan interface {
	// Output is the node's output attributes, in column order.
	Output() []*ColumnRef
	// Children returns the inputs.
	Children() []Plan
	// WithChildren returns a copy with the inputs replaced.
	WithChildren(children []Plan) Plan
	// Describe is this node's line in an explain tree, without its children.
	Describe() string
}

// Source is where a Scan's rows come from: a stored DataFrame, a file set, ...
type Source interface {
	// Schema is the full schema of the source.
	Schema() *arrow.Schema
	// Describe names the source in plans.
	Describe() string
}

// StoredDataFrame is a DataFrame held in the server's block store.
type StoredDataFrame struct {
	ID            string
	ArrowSchema   *arrow.Schema
	NumPartitions int
	NumRows       int64
}

func (s *StoredDataFrame) Schema() *arrow.Schema { return s.ArrowSchema }
func (s *StoredDataFrame) Describe() string {
	return fmt.Sprintf("dataframe %s, %d partitions, %d rows", s.ID, s.NumPartitions, s.NumRows)
}

// Scan reads a source. Projection, when not nil, lists the source column ordinals read (set by
// projection pruning); Output follows it.
type Scan struct {
	Source     Source
	Attributes []*ColumnRef
	Projection []int
	// Filters are conjuncts a source may use to skip data; the Filter above still applies them.
	Filters []Expr
}

// NewScan makes a scan with fresh attribute ids for every source column.
func NewScan(src Source, ids *IDGenerator) *Scan {
	schema := src.Schema()
	attrs := make([]*ColumnRef, schema.NumFields())
	for i, f := range schema.Fields() {
		attrs[i] = &ColumnRef{AttrID: ids.Next(), ColumnName: f.Name, Type: f.Type, Null: f.Nullable, Metadata: f.Metadata}
	}
	return &Scan{Source: src, Attributes: attrs}
}

func (s *Scan) Output() []*ColumnRef {
	if s.Projection == nil {
		return s.Attributes
	}
	out := make([]*ColumnRef, len(s.Projection))
	for i, p := range s.Projection {
		out[i] = s.Attributes[p]
	}
	return out
}
func (s *Scan) Children() []Plan           { return nil }
func (s *Scan) WithChildren(_ []Plan) Plan { return s }
func (s *Scan) Describe() string {
	d := fmt.Sprintf("Scan %s [%s]", s.Source.Describe(), attrList(s.Output()))
	if len(s.Filters) > 0 {
		d += fmt.Sprintf(" filters=[%s]", JoinExprs(s.Filters, ", "))
	}
	return d
}

// Range produces a single int64 column "id".
type Range struct {
	Start, End, Step int64
	NumPartitions    int
	Attribute        *ColumnRef
}

func (r *Range) Output() []*ColumnRef       { return []*ColumnRef{r.Attribute} }
func (r *Range) Children() []Plan           { return nil }
func (r *Range) WithChildren(_ []Plan) Plan { return r }
func (r *Range) Describe() string {
	return fmt.Sprintf("Range (%d, %d, step=%d, splits=%d)", r.Start, r.End, r.Step, r.NumPartitions)
}

// Count of rows a Range produces.
func (r *Range) Count() int64 {
	if r.Step > 0 && r.End > r.Start {
		return (r.End - r.Start + r.Step - 1) / r.Step
	}
	if r.Step < 0 && r.End < r.Start {
		return (r.Start - r.End - r.Step - 1) / -r.Step
	}
	return 0
}

// Project computes named expressions (ColumnRef or Alias) over its input.
type Project struct {
	Input       Plan
	Expressions []Named
}

func (p *Project) Output() []*ColumnRef {
	out := make([]*ColumnRef, len(p.Expressions))
	for i, e := range p.Expressions {
		out[i] = e.ToAttribute()
	}
	return out
}
func (p *Project) Children() []Plan { return []Plan{p.Input} }
func (p *Project) WithChildren(c []Plan) Plan {
	cp := *p
	cp.Input = c[0]
	return &cp
}
func (p *Project) Describe() string {
	parts := make([]string, len(p.Expressions))
	for i, e := range p.Expressions {
		parts[i] = describeNamed(e)
	}
	return "Project [" + strings.Join(parts, ", ") + "]"
}

// Filter keeps rows where Condition is true (not false, not null).
type Filter struct {
	Input     Plan
	Condition Expr
}

func (f *Filter) Output() []*ColumnRef { return f.Input.Output() }
func (f *Filter) Children() []Plan     { return []Plan{f.Input} }
func (f *Filter) WithChildren(c []Plan) Plan {
	cp := *f
	cp.Input = c[0]
	return &cp
}
func (f *Filter) Describe() string { return "Filter " + f.Condition.String() }

// Limit keeps the first Count rows after skipping Offset rows.
type Limit struct {
	Input  Plan
	Count  int64 // -1: no limit (offset only)
	Offset int64
}

func (l *Limit) Output() []*ColumnRef { return l.Input.Output() }
func (l *Limit) Children() []Plan     { return []Plan{l.Input} }
func (l *Limit) WithChildren(c []Plan) Plan {
	cp := *l
	cp.Input = c[0]
	return &cp
}
func (l *Limit) Describe() string {
	if l.Offset > 0 {
		return fmt.Sprintf("Limit %d offset %d", l.Count, l.Offset)
	}
	return fmt.Sprintf("Limit %d", l.Count)
}

// SubqueryAlias qualifies its input's columns with an alias (df.alias("t")).
type SubqueryAlias struct {
	Input Plan
	Alias string
}

func (s *SubqueryAlias) Output() []*ColumnRef {
	in := s.Input.Output()
	out := make([]*ColumnRef, len(in))
	for i, a := range in {
		out[i] = a.WithQualifier(s.Alias)
	}
	return out
}
func (s *SubqueryAlias) Children() []Plan { return []Plan{s.Input} }
func (s *SubqueryAlias) WithChildren(c []Plan) Plan {
	cp := *s
	cp.Input = c[0]
	return &cp
}
func (s *SubqueryAlias) Describe() string { return "SubqueryAlias " + s.Alias }

// OutputSchema returns a plan's output as an Arrow schema.
func OutputSchema(p Plan) *arrow.Schema {
	out := p.Output()
	fields := make([]arrow.Field, len(out))
	for i, a := range out {
		fields[i] = a.Field()
	}
	return arrow.NewSchema(fields, nil)
}

// Format renders a plan as an indented tree, one node per line.
func Format(p Plan) string {
	var b strings.Builder
	var walk func(p Plan, depth int)
	walk = func(p Plan, depth int) {
		if depth > 0 {
			b.WriteString(strings.Repeat("   ", depth-1))
			b.WriteString("+- ")
		}
		b.WriteString(p.Describe())
		b.WriteString("\n")
		for _, c := range p.Children() {
			walk(c, depth+1)
		}
	}
	walk(p, 0)
	return b.String()
}

// TransformPlan rewrites a plan bottom-up with f.
func TransformPlan(p Plan, f func(Plan) (Plan, error)) (Plan, error) {
	children := p.Children()
	if len(children) > 0 {
		changed := false
		next := make([]Plan, len(children))
		for i, c := range children {
			nc, err := TransformPlan(c, f)
			if err != nil {
				return nil, err
			}
			next[i] = nc
			if nc != c {
				changed = true
			}
		}
		if changed {
			p = p.WithChildren(next)
		}
	}
	return f(p)
}

func attrList(attrs []*ColumnRef) string {
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		parts[i] = fmt.Sprintf("%s#%d", a.ColumnName, a.AttrID)
	}
	return strings.Join(parts, ", ")
}

func describeNamed(e Named) string {
	if c, ok := e.(*ColumnRef); ok {
		return fmt.Sprintf("%s#%d", c.ColumnName, c.AttrID)
	}
	a := e.(*Alias)
	return fmt.Sprintf("%s AS %s#%d", exprWithIDs(a.Child), a.Alias, a.AttrID)
}

// exprWithIDs prints an expression with attribute ids, for explain output.
func exprWithIDs(e Expr) string {
	if c, ok := e.(*ColumnRef); ok {
		return fmt.Sprintf("%s#%d", c.ColumnName, c.AttrID)
	}
	return e.String()
}
