// Package analyzer turns unresolved expressions from the front ends into typed, resolved ones:
// it resolves names against a plan's output (with plan_id for self-joins), resolves functions and
// applies Spark's type coercion. Rules here may change meaning; the optimizer's may not.
package analyzer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// Catalog resolves relation names (DataFrame ids, temp views, tables) to plans.
type Catalog interface {
	// LookupRelation returns a fresh plan for a name, with attribute ids from ids.
	LookupRelation(name string, ids *logical.IDGenerator) (logical.Plan, error)
}

// Config is the session configuration the analyzer reads.
type Config struct {
	// CaseSensitive is spark.sql.caseSensitive (default false).
	CaseSensitive bool
	// ANSI is spark.sql.ansi.enabled (default true).
	ANSI bool
	// SessionTimeZone is spark.sql.session.timeZone.
	SessionTimeZone string
	// DefaultParallelism is the partition count for range() and shuffles.
	DefaultParallelism int
}

// DefaultConfig returns Spark 4's defaults.
func DefaultConfig() Config {
	return Config{ANSI: true, SessionTimeZone: "UTC", DefaultParallelism: 2}
}

// Analyzer resolves one query. Not safe for concurrent use.
type Analyzer struct {
	IDs     *logical.IDGenerator
	Catalog Catalog
	Config  Config
	// ParseSQLExpression parses a SQL expression string; set by the SQL front end.
	ParseSQLExpression func(text string) (logical.Expr, error)
	planIDs            map[int64]logical.Plan
}

// New returns an analyzer for one query.
func New(catalog Catalog, config Config) *Analyzer {
	return &Analyzer{IDs: &logical.IDGenerator{}, Catalog: catalog, Config: config, planIDs: map[int64]logical.Plan{}}
}

// RegisterPlanID records the plan a client-side plan_id refers to.
func (a *Analyzer) RegisterPlanID(id int64, p logical.Plan) { a.planIDs[id] = p }

// PlanForID returns the plan registered for a plan_id.
func (a *Analyzer) PlanForID(id int64) (logical.Plan, bool) {
	p, ok := a.planIDs[id]
	return p, ok
}

// ResolveExpr resolves an expression against the output of input.
func (a *Analyzer) ResolveExpr(e logical.Expr, input logical.Plan) (logical.Expr, error) {
	var out []*logical.ColumnRef
	if input != nil {
		out = input.Output()
	}
	return a.ResolveExprIn(e, out)
}

// ResolveExprIn resolves an expression against a list of attributes.
func (a *Analyzer) ResolveExprIn(e logical.Expr, attrs []*logical.ColumnRef) (logical.Expr, error) {
	return a.resolveTree(e, attrs, nil)
}

// ResolveNamedList resolves projection expressions, expanding stars and naming every output.
func (a *Analyzer) ResolveNamedList(exprs []logical.Expr, input logical.Plan) ([]logical.Named, error) {
	var out []logical.Named
	inputAttrs := input.Output()
	for _, e := range exprs {
		// A SQL text item (selectExpr) is parsed here so its naming follows its parsed form.
		if text, ok := e.(*logical.UnresolvedSQLExpression); ok && a.ParseSQLExpression != nil {
			parsed, err := a.ParseSQLExpression(text.Text)
			if err != nil {
				return nil, err
			}
			e = parsed
		}
		if star, ok := e.(*logical.UnresolvedStar); ok {
			expanded, err := a.expandStar(star, inputAttrs)
			if err != nil {
				return nil, err
			}
			out = append(out, expanded...)
			continue
		}
		r, err := a.ResolveExprIn(e, inputAttrs)
		if err != nil {
			return nil, err
		}
		out = append(out, a.namedSelectItem(e, r))
	}
	return out, nil
}

// namedSelectItem names one resolved select item. An explicit top-level cast of a named
// expression keeps that name, as Spark's ResolveAliases does (CAST(age AS STRING) is "age",
// (CAST(age AS INT) + 1) keeps its text); other expressions go through ToNamed.
func (a *Analyzer) namedSelectItem(unresolved, resolved logical.Expr) logical.Named {
	switch unresolved.(type) {
	case *logical.UnresolvedCast, *logical.Cast:
		if c, ok := resolved.(*logical.Cast); ok {
			if child, ok := c.Child.(logical.Named); ok {
				return &logical.Alias{Child: c, Alias: child.Name(), AttrID: a.IDs.Next()}
			}
		}
	}
	return a.ToNamed(resolved)
}

// ToNamed gives an expression an output name, as Spark names unaliased columns.
func (a *Analyzer) ToNamed(e logical.Expr) logical.Named {
	if n, ok := e.(logical.Named); ok {
		return n
	}
	return &logical.Alias{Child: e, Alias: e.String(), AttrID: a.IDs.Next()}
}

func (a *Analyzer) expandStar(star *logical.UnresolvedStar, attrs []*logical.ColumnRef) ([]logical.Named, error) {
	if star.PlanID != nil {
		p, ok := a.planIDs[*star.PlanID]
		if !ok {
			return nil, errkind.Invalid("the DataFrame referenced by df[\"*\"] is not part of this query")
		}
		return attrsToNamed(p.Output()), nil
	}
	if len(star.Target) == 0 {
		return attrsToNamed(attrs), nil
	}
	q := strings.Join(star.Target, ".")
	var out []logical.Named
	for _, at := range attrs {
		if a.namesEqual(at.Qualifier, q) {
			out = append(out, at)
		}
	}
	if len(out) == 0 {
		// t.* where t is a struct column expands the struct's fields.
		if col, err := a.lookupColumn(star.Target, nil, attrs); err == nil {
			if st, ok := col.DataType().(*arrow.StructType); ok {
				for _, f := range st.Fields() {
					out = append(out, &logical.Alias{Child: getField(col, f.Name, st), Alias: f.Name, AttrID: a.IDs.Next()})
				}
				return out, nil
			}
		}
		return nil, errkind.Invalid("cannot resolve '%s.*': no relation or struct column named '%s'. Available: %s", q, q, availableNames(attrs))
	}
	return out, nil
}

func attrsToNamed(attrs []*logical.ColumnRef) []logical.Named {
	out := make([]logical.Named, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

func (a *Analyzer) namesEqual(x, y string) bool {
	if a.Config.CaseSensitive {
		return x == y
	}
	return strings.EqualFold(x, y)
}

func (a *Analyzer) resolveNode(x logical.Expr, attrs []*logical.ColumnRef) (logical.Expr, error) {
	switch u := x.(type) {
	case *logical.UnresolvedAttribute:
		return a.lookupColumn(u.NameParts, u.PlanID, attrs)
	case *logical.UnresolvedFunction:
		return a.resolveFunction(u)
	case *logical.UnresolvedAlias:
		if len(u.Names) > 1 {
			return a.resolveMultiAlias(u)
		}
		if len(u.Names) != 1 {
			return nil, errkind.NotImplemented("multi-name alias %v", u.Names)
		}
		md := u.Metadata
		if c, ok := u.Child.(*logical.ColumnRef); ok && md.Len() == 0 {
			md = c.Metadata
		}
		return &logical.Alias{Child: u.Child, Alias: u.Names[0], AttrID: a.IDs.Next(), Metadata: md}, nil
	case *logical.UnresolvedCast:
		to, err := ParseDDLType(u.TypeText, a.Config.SessionTimeZone)
		if err != nil {
			return nil, err
		}
		return a.NewCast(u.Child, to, u.Mode)
	case *logical.Cast:
		if u.Mode == logical.EvalANSI && !a.Config.ANSI {
			u = &logical.Cast{Child: u.Child, To: u.To, Mode: logical.EvalLegacy}
		}
		if err := CheckCast(u.Child.DataType(), u.To); err != nil {
			return nil, err
		}
		return u, nil
	case *logical.UnresolvedExtractValue:
		return a.resolveExtract(u.Child, u.Extraction)
	case *logical.UnresolvedSQLExpression:
		if a.ParseSQLExpression == nil {
			return nil, errkind.NotImplemented("SQL expression strings (%q) need the SQL front end, which is not available in this build", u.Text)
		}
		parsed, err := a.ParseSQLExpression(u.Text)
		if err != nil {
			return nil, err
		}
		return a.ResolveExprIn(parsed, attrs)
	case *logical.UnresolvedStar:
		return nil, errkind.Invalid("'*' is only allowed as a whole select item or inside count(*)")
	}
	return x, nil
}

// NewCast resolves a cast, checking that Spark allows it.
func (a *Analyzer) NewCast(child logical.Expr, to arrow.DataType, mode logical.EvalMode) (logical.Expr, error) {
	if mode == logical.EvalANSI && !a.Config.ANSI {
		mode = logical.EvalLegacy
	}
	if err := CheckCast(child.DataType(), to); err != nil {
		return nil, err
	}
	return &logical.Cast{Child: child, To: to, Mode: mode}, nil
}

// lookupColumn resolves a possibly qualified name, then any struct field path.
func (a *Analyzer) lookupColumn(parts []string, planID *int64, attrs []*logical.ColumnRef) (logical.Expr, error) {
	full := strings.Join(parts, ".")
	if planID != nil {
		if p, ok := a.planIDs[*planID]; ok {
			if ref, rest, ok := a.matchIn(parts, p.Output()); ok {
				for _, at := range attrs {
					if at.AttrID == ref.AttrID {
						return a.extractPath(asWritten(at, parts[len(parts)-len(rest)-1], rest), rest)
					}
				}
				return nil, errkind.Invalid("column '%s' belongs to a DataFrame that is not an input of this operation; select it from a DataFrame in the current plan. Available: %s", full, availableNames(attrs))
			}
		}
	}
	// Qualified match first (t.a), then a column with a dotted struct path (s.f).
	var candidates []*logical.ColumnRef
	var rest []string
	if len(parts) >= 2 {
		for _, at := range attrs {
			if at.Qualifier != "" && a.namesEqual(at.Qualifier, parts[0]) && a.namesEqual(at.ColumnName, parts[1]) {
				candidates = append(candidates, at)
			}
		}
		rest = parts[2:]
	}
	if len(candidates) == 0 {
		for _, at := range attrs {
			if a.namesEqual(at.ColumnName, parts[0]) {
				candidates = append(candidates, at)
			}
		}
		rest = parts[1:]
	}
	// A name containing dots written with backticks arrives as one part; try it whole as well.
	if len(candidates) == 0 && len(parts) > 1 {
		for _, at := range attrs {
			if a.namesEqual(at.ColumnName, full) {
				candidates = append(candidates, at)
			}
		}
		rest = nil
	}
	written := parts[len(parts)-len(rest)-1]
	if len(rest) == 0 && len(candidates) > 0 && !strings.EqualFold(candidates[0].ColumnName, written) {
		written = full
	}
	switch {
	case len(candidates) == 1:
		return a.extractPath(asWritten(candidates[0], written, rest), rest)
	case len(candidates) > 1:
		if allSameID(candidates) {
			return a.extractPath(asWritten(candidates[0], written, rest), rest)
		}
		return nil, errkind.Invalid("[AMBIGUOUS_REFERENCE] column '%s' is ambiguous: it could be any of %s. Qualify it with a DataFrame alias (df.alias(\"l\") then \"l.%s\") or take it from its DataFrame (df[\"%s\"])",
			full, describeCandidates(candidates), parts[len(parts)-1], parts[len(parts)-1])
	}
	return nil, errkind.Invalid("%s", notFoundMessage(full, attrs))
}

// asWritten returns the column as the query spelled it: a case-insensitive match keeps the
// user's spelling as its name (Spark names select("NAME") over a column "name" "NAME"). The
// attribute id is unchanged, so it is the same column.
func asWritten(at *logical.ColumnRef, written string, path []string) *logical.ColumnRef {
	if len(path) > 0 || at.ColumnName == written {
		return at
	}
	cp := *at
	cp.ColumnName = written
	return &cp
}

func (a *Analyzer) matchIn(parts []string, attrs []*logical.ColumnRef) (*logical.ColumnRef, []string, bool) {
	for _, at := range attrs {
		if a.namesEqual(at.ColumnName, parts[0]) {
			return at, parts[1:], true
		}
	}
	if len(parts) > 1 {
		for _, at := range attrs {
			if a.namesEqual(at.ColumnName, parts[1]) && a.namesEqual(at.Qualifier, parts[0]) {
				return at, parts[2:], true
			}
		}
	}
	return nil, nil, false
}

func allSameID(c []*logical.ColumnRef) bool {
	for _, x := range c[1:] {
		if x.AttrID != c[0].AttrID {
			return false
		}
	}
	return true
}

func describeCandidates(c []*logical.ColumnRef) string {
	parts := make([]string, len(c))
	for i, x := range c {
		if x.Qualifier != "" {
			parts[i] = x.Qualifier + "." + x.ColumnName
		} else {
			parts[i] = fmt.Sprintf("%s (#%d)", x.ColumnName, x.AttrID)
		}
	}
	return strings.Join(parts, ", ")
}

func (a *Analyzer) extractPath(e logical.Expr, path []string) (logical.Expr, error) {
	for _, name := range path {
		st, ok := e.DataType().(*arrow.StructType)
		if !ok {
			return nil, errkind.Invalid("cannot access field '%s' of '%s': it is %s, not a struct", name, e.String(), logical.SparkTypeName(e.DataType()))
		}
		idx := -1
		for i, f := range st.Fields() {
			if a.namesEqual(f.Name, name) {
				idx = i
				break
			}
		}
		if idx < 0 {
			names := make([]string, st.NumFields())
			for i, f := range st.Fields() {
				names[i] = f.Name
			}
			return nil, errkind.Invalid("field '%s' not found in struct '%s'%s Fields: %s", name, e.String(), suggestionSentence(name, names), strings.Join(names, ", "))
		}
		e = getField(e, st.Field(idx).Name, st)
	}
	return e, nil
}

func getField(e logical.Expr, name string, st *arrow.StructType) logical.Expr {
	idx, _ := st.FieldIdx(name)
	f := st.Field(idx)
	return &logical.Call{
		Function: "get_field",
		Args:     []logical.Expr{e, logical.NewLiteral(stringScalar(name))},
		Type:     f.Type, Null: true,
		Display: e.String() + "." + name,
	}
}

func notFoundMessage(name string, attrs []*logical.ColumnRef) string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.ColumnName
	}
	return fmt.Sprintf("column '%s' not found%s Available: %s", name, suggestionSentence(name, names), strings.Join(names, ", "))
}

func availableNames(attrs []*logical.ColumnRef) string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.ColumnName
	}
	return strings.Join(names, ", ")
}

// suggestionSentence returns "; did you mean 'x'?" or "." so a message reads as sentences.
func suggestionSentence(name string, candidates []string) string {
	if s := suggestion(name, candidates); s != "" {
		return s
	}
	return "."
}

// suggestion returns "; did you mean 'x'?" for the closest candidate within a small edit distance.
func suggestion(name string, candidates []string) string {
	best := SuggestClosest(name, candidates)
	if best == "" {
		return ""
	}
	return fmt.Sprintf("; did you mean '%s'?", best)
}

// SuggestClosest returns the candidate closest to name by edit distance, or "" when none is close.
func SuggestClosest(name string, candidates []string) string {
	type scored struct {
		name string
		d    int
	}
	var s []scored
	lower := strings.ToLower(name)
	for _, c := range candidates {
		d := levenshtein(lower, strings.ToLower(c))
		limit := len(name)/3 + 1
		if limit > 3 {
			limit = 3
		}
		if d <= limit {
			s = append(s, scored{c, d})
		}
	}
	if len(s) == 0 {
		return ""
	}
	sort.SliceStable(s, func(i, j int) bool { return s[i].d < s[j].d })
	return s[0].name
}

func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
