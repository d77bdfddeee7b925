// Package protoplan is the front end for Quiver's plan protocol: it turns proto relations and
// expressions into a resolved logical plan, resolving each node against its input as it goes.
package protoplan

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Converter turns one proto plan into a logical plan.
type Converter struct {
	A *analyzer.Analyzer
	// RelationHandlers lets other front-end files add relation kinds without growing one switch.
	relationHandlers map[string]relationHandler
}

type relationHandler func(c *Converter, rel *pb.Relation) (logical.Plan, error)

// registry of handlers by the Go type name of the oneof wrapper; filled by init functions.
var handlers = map[string]relationHandler{}

func registerRelation(example any, h relationHandler) {
	handlers[fmt.Sprintf("%T", example)] = h
}

// NewConverter returns a converter using a.
func NewConverter(a *analyzer.Analyzer) *Converter {
	return &Converter{A: a, relationHandlers: handlers}
}

// Plan converts a whole plan.
func (c *Converter) Plan(p *pb.Plan) (logical.Plan, error) {
	if p == nil || p.Root == nil {
		return nil, errkind.Invalid("the plan is empty: it needs a root relation")
	}
	return c.Relation(p.Root)
}

// Relation converts one relation and registers its plan_id.
func (c *Converter) Relation(rel *pb.Relation) (logical.Plan, error) {
	if rel == nil || rel.RelType == nil {
		return nil, errkind.Invalid("malformed plan: a relation has no type set")
	}
	h, ok := c.relationHandlers[fmt.Sprintf("%T", rel.RelType)]
	if !ok {
		name := strings.TrimPrefix(fmt.Sprintf("%T", rel.RelType), "*quiverv1.Relation_")
		return nil, errkind.NotImplemented("relation %s is not supported yet", name)
	}
	out, err := h(c, rel)
	if err != nil {
		return nil, err
	}
	if rel.Common != nil && rel.Common.PlanId != nil {
		c.A.RegisterPlanID(*rel.Common.PlanId, out)
	}
	return out, nil
}

func init() {
	registerRelation(&pb.Relation_Read{}, readRelation)
	registerRelation(&pb.Relation_Range{}, rangeRelation)
	registerRelation(&pb.Relation_Project{}, projectRelation)
	registerRelation(&pb.Relation_Filter{}, filterRelation)
	registerRelation(&pb.Relation_WithColumns{}, withColumnsRelation)
	registerRelation(&pb.Relation_WithColumnsRenamed{}, withColumnsRenamedRelation)
	registerRelation(&pb.Relation_Drop{}, dropRelation)
	registerRelation(&pb.Relation_Limit{}, limitRelation)
	registerRelation(&pb.Relation_Offset{}, offsetRelation)
	registerRelation(&pb.Relation_SubqueryAlias{}, subqueryAliasRelation)
	registerRelation(&pb.Relation_ToDf{}, toDFRelation)
}

func readRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	r := rel.GetRead()
	switch rt := r.ReadType.(type) {
	case *pb.Read_NamedTable_:
		if c.A.Catalog == nil {
			return nil, errkind.Internal("no catalog")
		}
		return c.A.Catalog.LookupRelation(rt.NamedTable.UnparsedIdentifier, c.A.IDs)
	case *pb.Read_DataSource_:
		return readDataSource(c, rt.DataSource)
	}
	return nil, errkind.Invalid("malformed plan: Read has neither named_table nor data_source")
}

// DataSourceReader builds scans of files; set by the package that owns file sources.
var DataSourceReader func(c *Converter, ds *pb.Read_DataSource) (logical.Plan, error)

func readDataSource(c *Converter, ds *pb.Read_DataSource) (logical.Plan, error) {
	if DataSourceReader == nil {
		return nil, errkind.NotImplemented("reading %s files is not supported yet", ds.Format)
	}
	return DataSourceReader(c, ds)
}

func rangeRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	r := rel.GetRange()
	if r.Step == 0 {
		return nil, errkind.Invalid("range step must not be zero")
	}
	parts := c.A.Config.DefaultParallelism
	if r.NumPartitions != nil {
		if *r.NumPartitions < 1 {
			return nil, errkind.Invalid("range numPartitions must be at least 1, got %d", *r.NumPartitions)
		}
		parts = int(*r.NumPartitions)
	}
	return &logical.Range{
		Start: r.GetStart(), End: r.End, Step: r.Step, NumPartitions: parts,
		Attribute: &logical.ColumnRef{AttrID: c.A.IDs.Next(), ColumnName: "id", Type: arrow.PrimitiveTypes.Int64},
	}, nil
}

func projectRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	p := rel.GetProject()
	input, err := c.input(p.Input)
	if err != nil {
		return nil, err
	}
	exprs, err := c.Expressions(p.Expressions)
	if err != nil {
		return nil, err
	}
	return c.Project(input, exprs)
}

// Project builds a projection. Projections holding window functions or aggregates are planned by
// the ProjectPlanners other files register; the first that accepts the projection builds it.
func (c *Converter) Project(input logical.Plan, exprs []logical.Expr) (logical.Plan, error) {
	named, err := c.A.ResolveNamedList(exprs, input)
	if err != nil {
		return nil, err
	}
	// A window over composed aggregates is planned as the windows of its aggregates, before the
	// planners look for aggregates outside windows.
	if named, err = distributeWindows(named); err != nil {
		return nil, err
	}
	for _, planner := range projectPlanners {
		if p, ok, err := planner(c, input, named); ok || err != nil {
			return p, err
		}
	}
	return &logical.Project{Input: input, Expressions: named}, nil
}

// ProjectPlanner plans a resolved projection that needs more than a Project node (aggregates in
// a select become an Aggregate, window functions a Window); it reports ok=false otherwise.
type ProjectPlanner func(c *Converter, input logical.Plan, named []logical.Named) (p logical.Plan, ok bool, err error)

var projectPlanners []ProjectPlanner

// RegisterProjectPlanner adds a project planner; call it from init.
func RegisterProjectPlanner(f ProjectPlanner) { projectPlanners = append(projectPlanners, f) }

func filterRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	f := rel.GetFilter()
	input, err := c.input(f.Input)
	if err != nil {
		return nil, err
	}
	cond, err := c.Expression(f.Condition)
	if err != nil {
		return nil, err
	}
	return c.Filter(input, cond)
}

// Filter builds a filter, checking the condition is boolean.
func (c *Converter) Filter(input logical.Plan, cond logical.Expr) (logical.Plan, error) {
	resolved, err := c.A.ResolveExpr(cond, input)
	if err != nil {
		return nil, err
	}
	switch resolved.DataType().ID() {
	case arrow.BOOL:
	case arrow.NULL:
		resolved = &logical.Cast{Child: resolved, To: arrow.FixedWidthTypes.Boolean, Mode: logical.EvalLegacy}
	default:
		return nil, errkind.Invalid("filter condition '%s' is %s, not boolean; write a comparison such as col > 0",
			resolved.String(), logical.SparkTypeName(resolved.DataType()))
	}
	return &logical.Filter{Input: input, Condition: resolved}, nil
}

func withColumnsRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	w := rel.GetWithColumns()
	input, err := c.input(w.Input)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(w.Aliases))
	values := make([]logical.Expr, len(w.Aliases))
	for i, al := range w.Aliases {
		if len(al.Name) != 1 {
			return nil, errkind.Invalid("withColumns needs exactly one name per column, got %v", al.Name)
		}
		names[i] = al.Name[0]
		v, err := c.Expression(al.Expr)
		if err != nil {
			return nil, err
		}
		values[i] = v
	}
	return c.WithColumns(input, names, values)
}

// WithColumns replaces same-named columns in place and appends new ones, as PySpark does.
func (c *Converter) WithColumns(input logical.Plan, names []string, values []logical.Expr) (logical.Plan, error) {
	inAttrs := input.Output()
	out := make([]logical.Expr, len(inAttrs))
	for i, a := range inAttrs {
		out[i] = a
	}
	for i, name := range names {
		resolved, err := c.A.ResolveExpr(values[i], input)
		if err != nil {
			return nil, err
		}
		md := arrow.Metadata{}
		if ref, ok := resolved.(*logical.ColumnRef); ok {
			md = ref.Metadata
		}
		alias := &logical.Alias{Child: logical.StripAlias(resolved), Alias: name, AttrID: c.A.IDs.Next(), Metadata: md}
		replaced := false
		for j, a := range inAttrs {
			if c.namesEqual(a.ColumnName, name) {
				out[j] = alias
				replaced = true
			}
		}
		if !replaced {
			out = append(out, alias)
		}
	}
	return c.Project(input, out)
}

func (c *Converter) namesEqual(x, y string) bool {
	if c.A.Config.CaseSensitive {
		return x == y
	}
	return strings.EqualFold(x, y)
}

func withColumnsRenamedRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	w := rel.GetWithColumnsRenamed()
	input, err := c.input(w.Input)
	if err != nil {
		return nil, err
	}
	attrs := input.Output()
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.ColumnName
	}
	for _, r := range w.Renames {
		// Renaming a column that does not exist is a no-op in PySpark.
		for i := range names {
			if c.namesEqual(names[i], r.ColName) {
				names[i] = r.NewColName
			}
		}
	}
	return renameAll(c, input, names), nil
}

func renameAll(c *Converter, input logical.Plan, names []string) logical.Plan {
	attrs := input.Output()
	exprs := make([]logical.Named, len(attrs))
	for i, a := range attrs {
		if a.ColumnName == names[i] {
			exprs[i] = a
		} else {
			exprs[i] = &logical.Alias{Child: a, Alias: names[i], AttrID: c.A.IDs.Next(), Metadata: a.Metadata}
		}
	}
	return &logical.Project{Input: input, Expressions: exprs}
}

func dropRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	d := rel.GetDrop()
	input, err := c.input(d.Input)
	if err != nil {
		return nil, err
	}
	drop := map[logical.ExprID]bool{}
	for _, name := range d.ColumnNames {
		for _, a := range input.Output() {
			if c.namesEqual(a.ColumnName, name) {
				drop[a.AttrID] = true
			}
		}
	}
	for _, e := range d.Columns {
		ex, err := c.Expression(e)
		if err != nil {
			return nil, err
		}
		r, err := c.A.ResolveExpr(ex, input)
		if err != nil {
			return nil, err
		}
		if ref, ok := r.(*logical.ColumnRef); ok {
			drop[ref.AttrID] = true
		}
	}
	var keep []logical.Named
	for _, a := range input.Output() {
		if !drop[a.AttrID] {
			keep = append(keep, a)
		}
	}
	return &logical.Project{Input: input, Expressions: keep}, nil
}

func limitRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	l := rel.GetLimit()
	input, err := c.input(l.Input)
	if err != nil {
		return nil, err
	}
	if l.Limit < 0 {
		return nil, errkind.Invalid("limit must be zero or positive, got %d", l.Limit)
	}
	return &logical.Limit{Input: input, Count: int64(l.Limit)}, nil
}

func offsetRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	o := rel.GetOffset()
	input, err := c.input(o.Input)
	if err != nil {
		return nil, err
	}
	if o.Offset < 0 {
		return nil, errkind.Invalid("offset must be zero or positive, got %d", o.Offset)
	}
	return &logical.Limit{Input: input, Count: -1, Offset: int64(o.Offset)}, nil
}

func subqueryAliasRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	s := rel.GetSubqueryAlias()
	input, err := c.input(s.Input)
	if err != nil {
		return nil, err
	}
	return &logical.SubqueryAlias{Input: input, Alias: s.Alias}, nil
}

func toDFRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	t := rel.GetToDf()
	input, err := c.input(t.Input)
	if err != nil {
		return nil, err
	}
	if len(t.ColumnNames) != len(input.Output()) {
		return nil, errkind.Invalid("toDF got %d names for %d columns", len(t.ColumnNames), len(input.Output()))
	}
	return renameAll(c, input, t.ColumnNames), nil
}

func (c *Converter) input(rel *pb.Relation) (logical.Plan, error) {
	if rel == nil {
		return nil, errkind.Invalid("malformed plan: a relation is missing its input")
	}
	return c.Relation(rel)
}

// DecodeDataType reads a DataType message (an IPC schema with one field).
func DecodeDataType(dt *pb.DataType) (arrow.DataType, error) {
	f, err := DecodeField(dt)
	if err != nil {
		return nil, err
	}
	return f.Type, nil
}

// DecodeField reads a DataType message as a whole field (type, nullability, metadata).
func DecodeField(dt *pb.DataType) (arrow.Field, error) {
	if dt == nil || len(dt.ArrowSchema) == 0 {
		return arrow.Field{}, errkind.Invalid("malformed plan: a data type is empty")
	}
	s, err := DecodeSchema(dt.ArrowSchema)
	if err != nil {
		return arrow.Field{}, err
	}
	if s.NumFields() != 1 {
		return arrow.Field{}, errkind.Invalid("malformed plan: a data type must be a schema with one field, got %d", s.NumFields())
	}
	return s.Field(0), nil
}

// DecodeSchema reads an Arrow IPC-serialized schema.
func DecodeSchema(b []byte) (*arrow.Schema, error) {
	r, err := ipc.NewReader(bytes.NewReader(b), ipc.WithAllocator(memory.DefaultAllocator))
	if err != nil {
		return nil, errkind.Invalid("malformed Arrow schema: %v", err)
	}
	defer r.Release()
	return r.Schema(), nil
}
