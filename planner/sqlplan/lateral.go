package sqlplan

import (
	"strings"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
)

// LATERAL VIEW [OUTER] generator(...) [table_alias] [AS column_alias, ...] after FROM, and
// generators called as table-valued functions in FROM (SELECT * FROM explode(array(1, 2))).
// Both become a logical.Generate, the node DataFrame.select(explode(...)) plans to.

// LateralView applies a generator to every row of Input.
type LateralView struct {
	Input     TableRef
	Generator *logical.UnresolvedFunction
	Outer     bool
	// TableAlias qualifies the generated columns (t.c); ColumnAliases name them.
	TableAlias    string
	ColumnAliases []string
}

func (*LateralView) tableRef() {}

// lateralViews parses the LATERAL VIEW clauses after FROM, wrapping from.
func (p *parser) lateralViews(from TableRef) (TableRef, error) {
	for p.atKeyword("LATERAL") && p.isKeyword(p.peekAt(1), "VIEW") {
		if from == nil {
			return nil, p.errorf("LATERAL VIEW needs a FROM clause before it")
		}
		p.next()
		p.next()
		view := &LateralView{Input: from, Outer: p.acceptKeyword("OUTER")}
		e, err := p.primary()
		if err != nil {
			return nil, err
		}
		call, ok := e.(*logical.UnresolvedFunction)
		if !ok || !analyzer.GeneratorFunctions[strings.ToLower(call.Name)] {
			return nil, p.errorf("LATERAL VIEW needs a generator call such as explode(a), posexplode(a), inline(a) or stack(n, ...), got %s", e.String())
		}
		view.Generator = call
		if next := p.peek(); next.kind == tokQuotedIdent ||
			next.kind == tokIdent && !clauseWords[strings.ToUpper(next.text)] && !p.isKeyword(next, "LATERAL", "CLUSTER", "DISTRIBUTE", "SORT") {
			view.TableAlias = p.next().text
		}
		if p.acceptKeyword("AS") {
			for {
				name := p.next()
				if name.kind != tokIdent && name.kind != tokQuotedIdent {
					return nil, syntaxErrorAt(p.text, name.pos, name.text, "expected a column alias after AS in LATERAL VIEW")
				}
				view.ColumnAliases = append(view.ColumnAliases, name.text)
				if !p.acceptOp(",") {
					break
				}
			}
		}
		from = view
	}
	if p.atKeyword("PIVOT", "UNPIVOT") {
		clause := strings.ToUpper(p.peek().text)
		return nil, p.errorf("[NOT_ALLOWED_IN_FROM.LATERAL_WITH_%s] LATERAL VIEW cannot be combined with %s in one FROM clause; apply %s in a subquery first", clause, clause, clause)
	}
	return from, nil
}

func (b *Binder) lateralView(v *LateralView) (logical.Plan, error) {
	input, err := b.tableRef(v.Input)
	if err != nil {
		return nil, err
	}
	resolved, err := b.analyzer().ResolveExpr(v.Generator, input)
	if err != nil {
		return nil, err
	}
	return b.generate(input, resolved, v.Outer, v.TableAlias, v.ColumnAliases)
}

// generate builds the Generate node for a resolved generator call.
func (b *Binder) generate(input logical.Plan, resolved logical.Expr, outer bool, alias string, columnAliases []string) (logical.Plan, error) {
	call, ok := resolved.(*logical.Call)
	if !ok || !analyzer.GeneratorFunctions[call.Function] {
		return nil, errkind.Invalid("%s is not a generator; use explode, posexplode, inline (each also _outer) or stack", resolved.String())
	}
	if analyzer.GeneratorIsOuter(call.Function) {
		outer = true
	}
	columns, err := analyzer.GeneratorColumns(call, columnAliases, b.analyzer().IDs)
	if err != nil {
		return nil, err
	}
	if alias != "" {
		for i, c := range columns {
			columns[i] = c.WithQualifier(alias)
		}
	}
	return &logical.Generate{
		Input: input, Generator: call, GeneratorOutput: columns, Outer: outer,
		Position: analyzer.GeneratorHasPosition(call.Function),
		Inline:   analyzer.GeneratorIsInline(call.Function),
	}, nil
}

// generatorTable is a generator called in FROM: its columns over one row.
func (b *Binder) generatorTable(t *TableFunction) (logical.Plan, error) {
	input := b.oneRow()
	resolved, err := b.analyzer().ResolveExpr(&logical.UnresolvedFunction{Name: t.Name, Args: t.Args}, input)
	if err != nil {
		return nil, err
	}
	generated, err := b.generate(input, resolved, false, t.Alias, t.ColumnAliases)
	if err != nil {
		return nil, err
	}
	g := generated.(*logical.Generate)
	named := make([]logical.Named, len(g.GeneratorOutput))
	for i, c := range g.GeneratorOutput {
		named[i] = c
	}
	return &logical.Project{Input: g, Expressions: named}, nil
}
