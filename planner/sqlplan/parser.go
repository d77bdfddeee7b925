package sqlplan

import (
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// parser is a recursive-descent parser for Spark SQL. Expressions are parsed straight into the
// unresolved logical expressions the DataFrame front end also produces.
type parser struct {
	text   string
	tokens []token
	pos    int
	// parameters counts ? markers in order.
	parameters int
}

// ParseStatement parses one SQL statement (a trailing semicolon is allowed).
func ParseStatement(text string) (Statement, error) {
	p, err := newParser(text)
	if err != nil {
		return nil, err
	}
	stmt, err := p.statement()
	if err != nil {
		return nil, err
	}
	for p.acceptOp(";") {
	}
	if !p.at(tokEOF) {
		return nil, p.errorf("unexpected text after the end of the statement; spark.sql runs one statement at a time")
	}
	return stmt, nil
}

// ParameterCount counts the positional parameter markers (?) of a statement.
func ParameterCount(text string) int {
	tokens, err := lex(text)
	if err != nil {
		return 0
	}
	n := 0
	for _, t := range tokens {
		if t.kind == tokParameter && t.text == "?" {
			n++
		}
	}
	return n
}

// ParseExpression parses one SQL expression (selectExpr, F.expr, filter strings). A trailing
// alias ("a + 1 AS b") makes an UnresolvedAlias.
func ParseExpression(text string) (logical.Expr, error) {
	p, err := newParser(text)
	if err != nil {
		return nil, err
	}
	e, err := p.selectItem()
	if err != nil {
		return nil, err
	}
	if !p.at(tokEOF) {
		return nil, p.errorf("unexpected text after the expression")
	}
	return windowExprs(e, nil) // F.expr("rank() OVER (ORDER BY x)")
}

func newParser(text string) (*parser, error) {
	tokens, err := lex(text)
	if err != nil {
		return nil, err
	}
	return &parser{text: text, tokens: tokens}, nil
}

// -- token helpers -----------------------------------------------------------------------------

func (p *parser) peek() token         { return p.tokens[p.pos] }
func (p *parser) peekAt(n int) token  { return p.tokens[min(p.pos+n, len(p.tokens)-1)] }
func (p *parser) next() token         { t := p.tokens[p.pos]; p.pos = min(p.pos+1, len(p.tokens)-1); return t }
func (p *parser) at(k tokenKind) bool { return p.peek().kind == k }

func (p *parser) isKeyword(t token, words ...string) bool {
	if t.kind != tokIdent {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *parser) atKeyword(words ...string) bool { return p.isKeyword(p.peek(), words...) }

func (p *parser) acceptKeyword(words ...string) bool {
	if p.atKeyword(words...) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectKeyword(word string) error {
	if !p.acceptKeyword(word) {
		return p.errorf("expected %s", word)
	}
	return nil
}

func (p *parser) atOp(op string) bool {
	t := p.peek()
	return t.kind == tokOperator && t.text == op
}

func (p *parser) acceptOp(op string) bool {
	if p.atOp(op) {
		p.next()
		return true
	}
	return false
}

func (p *parser) expectOp(op string) error {
	if !p.acceptOp(op) {
		return p.errorf("expected '%s'", op)
	}
	return nil
}

func (p *parser) describe(t token) string {
	switch t.kind {
	case tokEOF:
		return ""
	case tokString:
		return "'" + t.text + "'"
	case tokQuotedIdent:
		return "`" + t.text + "`"
	}
	return t.text
}

func (p *parser) errorf(format string, args ...any) error {
	t := p.peek()
	msg := errkind.Invalid(format, args...).Error()
	msg = strings.TrimPrefix(msg, errkind.ErrInvalid.Error()+": ")
	if t.kind == tokEOF {
		msg += ", found the end of the statement"
	}
	return syntaxErrorAt(p.text, t.pos, p.describe(t), "%s", msg)
}

// unsupportedf reports a Spark construct Quiver does not support, naming it, at the current token.
func (p *parser) unsupportedf(construct string) error {
	line, col := lineColumn(p.text, p.peek().pos)
	return errkind.NotImplemented("%s (line %d, column %d) is not supported by Quiver's SQL yet", construct, line, col)
}

// reserved words cannot be implicit aliases: "SELECT a FROM t WHERE" must not alias t as WHERE.
var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "group": true, "having": true, "order": true, "limit": true,
	"offset": true, "union": true, "intersect": true, "except": true, "minus": true, "join": true, "inner": true,
	"left": true, "right": true, "full": true, "cross": true, "natural": true, "on": true, "using": true,
	"and": true, "or": true, "not": true, "as": true, "window": true, "semi": true, "anti": true, "lateral": true,
	"when": true, "then": true, "else": true, "end": true, "case": true, "by": true, "is": true, "in": true,
	"between": true, "like": true, "ilike": true, "rlike": true, "regexp": true, "asc": true, "desc": true,
	"nulls": true, "distinct": true, "all": true, "with": true, "values": true, "into": true, "over": true,
	"partition": true, "rows": true, "range": false, "qualify": true, "sort": true, "cluster": true, "distribute": true,
	"escape": true, "filter": false, "pivot": true, "unpivot": true, "tablesample": true,
}

func (p *parser) identifier() (string, error) {
	t := p.peek()
	switch t.kind {
	case tokIdent, tokQuotedIdent:
		p.next()
		return t.text, nil
	}
	return "", p.errorf("expected a name")
}

// qualifiedName reads a.b.c.
func (p *parser) qualifiedName() ([]string, error) {
	first, err := p.identifier()
	if err != nil {
		return nil, err
	}
	parts := []string{first}
	for p.atOp(".") && (p.peekAt(1).kind == tokIdent || p.peekAt(1).kind == tokQuotedIdent) {
		p.next()
		n, _ := p.identifier()
		parts = append(parts, n)
	}
	return parts, nil
}

// optionalAlias reads [AS] alias; an implicit alias must not be a reserved word.
func (p *parser) optionalAlias() (string, error) {
	if p.acceptKeyword("AS") {
		return p.identifier()
	}
	t := p.peek()
	if t.kind == tokQuotedIdent || t.kind == tokIdent && !reserved[strings.ToLower(t.text)] {
		p.next()
		return t.text, nil
	}
	return "", nil
}

// expressionList parses one or more comma-separated expressions.
func (p *parser) expressionList() ([]logical.Expr, error) {
	var list []logical.Expr
	for {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		list = append(list, e)
		if !p.acceptOp(",") {
			return list, nil
		}
	}
}

func (p *parser) identifierList() ([]string, error) {
	if err := p.expectOp("("); err != nil {
		return nil, err
	}
	var out []string
	for {
		n, err := p.identifier()
		if err != nil {
			return nil, err
		}
		out = append(out, n)
		if !p.acceptOp(",") {
			break
		}
	}
	return out, p.expectOp(")")
}

// -- statements --------------------------------------------------------------------------------

func (p *parser) statement() (Statement, error) {
	switch {
	case p.atKeyword("SELECT", "WITH", "VALUES", "TABLE", "FROM") || p.atOp("("):
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return &QueryStatement{Query: q}, nil
	case p.atKeyword("CREATE"):
		return p.create()
	case p.atKeyword("INSERT"):
		return p.insert()
	case p.atKeyword("DROP"):
		p.next()
		kind := strings.ToUpper(p.peek().text)
		if !p.acceptKeyword("VIEW", "TABLE") {
			if p.atKeyword("DATABASE", "SCHEMA", "FUNCTION", "TEMPORARY") {
				return nil, p.unsupportedf("DROP " + kind)
			}
			return nil, p.errorf("expected VIEW or TABLE after DROP")
		}
		d := &Drop{Kind: kind}
		if p.acceptKeyword("IF") {
			if err := p.expectKeyword("EXISTS"); err != nil {
				return nil, err
			}
			d.IfExists = true
		}
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		d.Name = name
		return d, nil
	case p.atKeyword("SHOW"):
		return p.show()
	case p.atKeyword("DESCRIBE", "DESC"):
		p.next()
		if p.acceptKeyword("QUERY") || p.atKeyword("SELECT", "WITH", "VALUES") {
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			return &Describe{Query: q}, nil
		}
		p.acceptKeyword("TABLE")
		p.acceptKeyword("EXTENDED", "FORMATTED")
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &Describe{Name: name}, nil
	case p.atKeyword("EXPLAIN"):
		p.next()
		mode := ""
		if p.atKeyword("EXTENDED", "FORMATTED", "CODEGEN", "COST", "LOGICAL") {
			mode = strings.ToUpper(p.next().text)
		}
		inner, err := p.statement()
		if err != nil {
			return nil, err
		}
		return &Explain{Mode: mode, Statement: inner}, nil
	case p.atKeyword("SET"):
		return p.set()
	case p.atKeyword("USE"):
		p.next()
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &UseDatabase{Name: nameString(name)}, nil
	case p.atKeyword("UPDATE", "DELETE", "MERGE", "ALTER", "TRUNCATE", "CACHE", "UNCACHE", "REFRESH", "ANALYZE", "LOAD", "ADD", "GRANT", "REVOKE", "MSCK"):
		return nil, p.unsupportedf(strings.ToUpper(p.peek().text) + " statements")
	}
	return nil, p.errorf("expected a statement (SELECT, WITH, VALUES, CREATE, INSERT, DROP, SHOW, DESCRIBE, EXPLAIN, SET)")
}

func (p *parser) set() (Statement, error) {
	start := p.next().pos + 3
	rest := strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p.text[start:]), ";"))
	for !p.at(tokEOF) {
		p.next()
	}
	if rest == "" {
		return &SetConfig{}, nil
	}
	if strings.HasPrefix(strings.ToUpper(rest), "TIME ZONE") {
		v := strings.Trim(strings.TrimSpace(rest[len("TIME ZONE"):]), "'\"")
		return &SetConfig{Key: "spark.sql.session.timeZone", Value: &v}, nil
	}
	key, value, hasValue := strings.Cut(rest, "=")
	key = strings.Trim(strings.TrimSpace(key), "`")
	if !hasValue {
		return &SetConfig{Key: key}, nil
	}
	v := strings.TrimSpace(value)
	if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
		v = v[1 : len(v)-1]
	}
	return &SetConfig{Key: key, Value: &v}, nil
}

func (p *parser) show() (Statement, error) {
	p.next()
	switch {
	case p.acceptKeyword("TABLES", "VIEWS"):
		s := &ShowTables{}
		if p.acceptKeyword("FROM", "IN") {
			name, err := p.qualifiedName()
			if err != nil {
				return nil, err
			}
			s.Database = nameString(name)
		}
		p.acceptKeyword("LIKE")
		if p.at(tokString) {
			s.Pattern = p.next().text
		}
		return s, nil
	case p.acceptKeyword("DATABASES", "SCHEMAS", "NAMESPACES"):
		p.acceptKeyword("LIKE")
		if p.at(tokString) {
			p.next()
		}
		return &ShowDatabases{}, nil
	case p.acceptKeyword("FUNCTIONS"):
		s := &ShowFunctions{}
		p.acceptKeyword("LIKE")
		if p.at(tokString) {
			s.Pattern = p.next().text
		}
		return s, nil
	case p.acceptKeyword("COLUMNS"):
		if !p.acceptKeyword("FROM", "IN") {
			return nil, p.errorf("expected FROM after SHOW COLUMNS")
		}
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &Describe{Name: name}, nil
	}
	return nil, p.unsupportedf("SHOW " + strings.ToUpper(p.peek().text))
}

func (p *parser) create() (Statement, error) {
	p.next()
	replace := false
	if p.acceptKeyword("OR") {
		if err := p.expectKeyword("REPLACE"); err != nil {
			return nil, err
		}
		replace = true
	}
	global := p.acceptKeyword("GLOBAL")
	temp := p.acceptKeyword("TEMP", "TEMPORARY")
	switch {
	case p.acceptKeyword("VIEW"):
		if !temp {
			return nil, errkind.NotImplemented("persistent views (CREATE VIEW without TEMP) are not supported; write CREATE TEMP VIEW or CREATE GLOBAL TEMP VIEW")
		}
		v := &CreateView{Global: global, Replace: replace}
		if p.acceptKeyword("IF") {
			if err := p.expectKeyword("NOT"); err != nil {
				return nil, err
			}
			if err := p.expectKeyword("EXISTS"); err != nil {
				return nil, err
			}
			v.IfNotExists = true
		}
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		v.Name = name
		var columns []string
		if p.atOp("(") {
			if columns, err = p.identifierList(); err != nil {
				return nil, err
			}
		}
		if err := p.expectKeyword("AS"); err != nil {
			return nil, err
		}
		start := p.peek().pos
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		v.Text = strings.TrimSpace(p.text[start:p.peek().pos])
		if len(columns) > 0 {
			q = &QueryBlock{Body: &Select{Items: []logical.Expr{&logical.UnresolvedStar{}}, From: &SubqueryRef{Query: q, Alias: "__view", ColumnAliases: columns}}}
		}
		v.Query = q
		return v, nil
	case p.acceptKeyword("TABLE"):
		if global || temp {
			return nil, p.unsupportedf("temporary tables")
		}
		return p.createTable(replace)
	case p.atKeyword("DATABASE", "SCHEMA", "FUNCTION", "INDEX"):
		return nil, p.unsupportedf("CREATE " + strings.ToUpper(p.peek().text))
	}
	return nil, p.errorf("expected VIEW or TABLE after CREATE")
}

func (p *parser) createTable(replace bool) (Statement, error) {
	t := &CreateTable{Replace: replace, Options: map[string]string{}}
	if p.acceptKeyword("IF") {
		if err := p.expectKeyword("NOT"); err != nil {
			return nil, err
		}
		if err := p.expectKeyword("EXISTS"); err != nil {
			return nil, err
		}
		t.IfNotExists = true
	}
	name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	t.Name = name
	if p.acceptOp("(") {
		for {
			colName, err := p.identifier()
			if err != nil {
				return nil, err
			}
			typeText, err := p.typeText()
			if err != nil {
				return nil, err
			}
			def := ColumnDefinition{Name: colName, TypeText: typeText}
			if p.acceptKeyword("NOT") {
				if err := p.expectKeyword("NULL"); err != nil {
					return nil, err
				}
				def.NotNull = true
			}
			if p.acceptKeyword("COMMENT") {
				p.next()
			}
			t.Columns = append(t.Columns, def)
			if !p.acceptOp(",") {
				break
			}
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
	}
	for {
		switch {
		case p.acceptKeyword("USING"):
			f, err := p.identifier()
			if err != nil {
				return nil, err
			}
			t.Format = strings.ToLower(f)
		case p.acceptKeyword("LOCATION"):
			if !p.at(tokString) {
				return nil, p.errorf("expected a quoted path after LOCATION")
			}
			t.Location = p.next().text
		case p.acceptKeyword("OPTIONS", "TBLPROPERTIES"):
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			for !p.atOp(")") {
				k := p.next().text
				for p.acceptOp(".") {
					k += "." + p.next().text
				}
				p.acceptOp("=")
				v := p.next().text
				t.Options[k] = v
				if !p.acceptOp(",") {
					break
				}
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		case p.acceptKeyword("COMMENT"):
			p.next()
		case p.atKeyword("PARTITIONED", "CLUSTERED", "STORED", "ROW"):
			return nil, p.unsupportedf(strings.ToUpper(p.peek().text) + " in CREATE TABLE")
		case p.acceptKeyword("AS"):
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			t.Query = q
			return t, nil
		default:
			if p.atKeyword("SELECT", "WITH") {
				q, err := p.query()
				if err != nil {
					return nil, err
				}
				t.Query = q
			}
			return t, nil
		}
	}
}

// typeText reads a Spark type as text (int, decimal(10,2), array<struct<a:int>>) for ParseDDLType.
func (p *parser) typeText() (string, error) {
	t := p.peek()
	if t.kind != tokIdent {
		return "", p.errorf("expected a type name")
	}
	start := t.pos
	p.next()
	end := t.pos + len(t.text)
	depth := 0
	for {
		nt := p.peek()
		if nt.kind == tokOperator && (nt.text == "<" || nt.text == "(") {
			depth++
		} else if nt.kind == tokOperator && (nt.text == ">" || nt.text == ")") && depth > 0 {
			depth--
		} else if nt.kind == tokOperator && nt.text == ">>" && depth > 1 {
			depth -= 2
		} else if depth == 0 {
			break
		}
		if nt.kind == tokEOF {
			return "", p.errorf("unclosed type")
		}
		p.next()
		end = nt.pos + len(nt.text)
		if nt.kind == tokQuotedIdent {
			end = nt.pos + len(nt.text) + 2
		}
	}
	// Spark also accepts "timestamp with local time zone"-style words; keep it simple.
	return p.text[start:end], nil
}

func (p *parser) insert() (Statement, error) {
	p.next()
	ins := &InsertInto{}
	if p.acceptKeyword("OVERWRITE") {
		ins.Overwrite = true
	} else if err := p.expectKeyword("INTO"); err != nil {
		return nil, err
	}
	p.acceptKeyword("TABLE")
	name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	ins.Table = name
	if p.atOp("(") && !p.isKeyword(p.peekAt(1), "SELECT", "WITH", "VALUES") {
		if ins.Columns, err = p.identifierList(); err != nil {
			return nil, err
		}
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	ins.Query = q
	return ins, nil
}

// -- queries -----------------------------------------------------------------------------------

func (p *parser) query() (Query, error) {
	block := &QueryBlock{}
	if p.acceptKeyword("WITH") {
		p.acceptKeyword("RECURSIVE")
		for {
			name, err := p.identifier()
			if err != nil {
				return nil, err
			}
			cte := CTE{Name: name}
			if p.atOp("(") {
				if cte.Columns, err = p.identifierList(); err != nil {
					return nil, err
				}
			}
			if err := p.expectKeyword("AS"); err != nil {
				return nil, err
			}
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			if cte.Query, err = p.query(); err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			block.With = append(block.With, cte)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	body, err := p.setExpression()
	if err != nil {
		return nil, err
	}
	block.Body = body
	if err := p.queryOrganization(block); err != nil {
		return nil, err
	}
	if len(block.With) == 0 && block.OrderBy == nil && block.Limit == nil && block.Offset == nil {
		return body, nil
	}
	return block, nil
}

func (p *parser) queryOrganization(block *QueryBlock) error {
	if p.atKeyword("ORDER", "SORT") && p.isKeyword(p.peekAt(1), "BY") {
		p.next()
		p.next()
		block.OrderByAll = p.atKeyword("ALL") && endsClause(p.peekAt(1))
		order, err := p.sortItems()
		if err != nil {
			return err
		}
		block.OrderBy = order
	}
	if p.atKeyword("CLUSTER", "DISTRIBUTE") && p.isKeyword(p.peekAt(1), "BY") {
		return p.unsupportedf(strings.ToUpper(p.peek().text) + " BY")
	}
	for i := 0; i < 2; i++ {
		if p.acceptKeyword("LIMIT") {
			if p.acceptKeyword("ALL") {
				continue
			}
			e, err := p.expression()
			if err != nil {
				return err
			}
			block.Limit = e
		}
		if p.acceptKeyword("OFFSET") {
			e, err := p.expression()
			if err != nil {
				return err
			}
			block.Offset = e
			p.acceptKeyword("ROWS", "ROW")
		}
	}
	return nil
}

// setExpression: INTERSECT binds tighter than UNION and EXCEPT, as in Spark.
func (p *parser) setExpression() (Query, error) {
	left, err := p.intersectTerm()
	if err != nil {
		return nil, err
	}
	for p.atKeyword("UNION", "EXCEPT", "MINUS") {
		kind := strings.ToUpper(p.next().text)
		if kind == "MINUS" {
			kind = "EXCEPT"
		}
		all := p.acceptKeyword("ALL")
		if !all {
			p.acceptKeyword("DISTINCT")
		}
		byName := false
		if p.acceptKeyword("BY") {
			if err := p.expectKeyword("NAME"); err != nil {
				return nil, err
			}
			byName = true
		}
		right, err := p.intersectTerm()
		if err != nil {
			return nil, err
		}
		left = &SetOp{Kind: kind, All: all, Left: left, Right: right, ByName: byName}
	}
	return left, nil
}

func (p *parser) intersectTerm() (Query, error) {
	left, err := p.queryPrimary()
	if err != nil {
		return nil, err
	}
	for p.acceptKeyword("INTERSECT") {
		all := p.acceptKeyword("ALL")
		if !all {
			p.acceptKeyword("DISTINCT")
		}
		right, err := p.queryPrimary()
		if err != nil {
			return nil, err
		}
		left = &SetOp{Kind: "INTERSECT", All: all, Left: left, Right: right}
	}
	return left, nil
}

func (p *parser) queryPrimary() (Query, error) {
	switch {
	case p.atKeyword("SELECT"):
		return p.selectBlock()
	case p.atKeyword("FROM"):
		// Spark's FROM-first form: FROM t SELECT a.
		p.next()
		from, err := p.fromClause()
		if err != nil {
			return nil, err
		}
		if !p.atKeyword("SELECT") {
			return &Select{Items: []logical.Expr{&logical.UnresolvedStar{}}, From: from}, nil
		}
		s, err := p.selectBlock()
		if err != nil {
			return nil, err
		}
		sel := s.(*Select)
		if sel.From != nil {
			return nil, p.errorf("a FROM-first query cannot have a second FROM")
		}
		sel.From = from
		return sel, nil
	case p.atKeyword("VALUES"):
		return p.values()
	case p.atKeyword("TABLE"):
		p.next()
		name, err := p.qualifiedName()
		if err != nil {
			return nil, err
		}
		return &Select{Items: []logical.Expr{&logical.UnresolvedStar{}}, From: &TableName{Name: name}}, nil
	case p.atOp("("):
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return q, p.expectOp(")")
	}
	return nil, p.errorf("expected SELECT, VALUES or a parenthesized query")
}

func (p *parser) values() (Query, error) {
	p.next()
	v := &Values{}
	for {
		var row []logical.Expr
		if p.acceptOp("(") {
			listed, err := p.expressionList()
			if err != nil {
				return nil, err
			}
			row = append(row, listed...)
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
		} else {
			e, err := p.expression()
			if err != nil {
				return nil, err
			}
			row = []logical.Expr{e}
		}
		if len(v.Rows) > 0 && len(row) != len(v.Rows[0]) {
			return nil, p.errorf("every VALUES row needs the same number of values: the first has %d, this one %d", len(v.Rows[0]), len(row))
		}
		v.Rows = append(v.Rows, row)
		if !p.acceptOp(",") {
			break
		}
	}
	return v, nil
}

func (p *parser) selectBlock() (Query, error) {
	p.next() // SELECT
	s := &Select{}
	if p.acceptKeyword("DISTINCT") {
		s.Distinct = true
	} else {
		p.acceptKeyword("ALL")
	}
	for {
		item, err := p.selectItem()
		if err != nil {
			return nil, err
		}
		s.Items = append(s.Items, item)
		if !p.acceptOp(",") {
			break
		}
		// Spark allows a trailing comma before FROM.
		if p.atKeyword("FROM") {
			break
		}
	}
	if p.acceptKeyword("FROM") {
		from, err := p.fromClause()
		if err != nil {
			return nil, err
		}
		s.From = from
	}
	if p.atKeyword("LATERAL") && p.isKeyword(p.peekAt(1), "VIEW") {
		from, err := p.lateralViews(s.From)
		if err != nil {
			return nil, err
		}
		s.From = from
	}
	if p.acceptKeyword("WHERE") {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		s.Where = e
	}
	if p.atKeyword("GROUP") {
		p.next()
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		if err := p.groupBy(s); err != nil {
			return nil, err
		}
	}
	if p.acceptKeyword("HAVING") {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		s.Having = e
	}
	if p.acceptKeyword("WINDOW") {
		s.Windows = map[string]*WindowSpec{}
		for {
			name, err := p.identifier()
			if err != nil {
				return nil, err
			}
			if err := p.expectKeyword("AS"); err != nil {
				return nil, err
			}
			spec, err := p.windowSpec()
			if err != nil {
				return nil, err
			}
			s.Windows[strings.ToLower(name)] = spec
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.atKeyword("QUALIFY") {
		return nil, p.unsupportedf("QUALIFY")
	}
	return s, nil
}

func (p *parser) selectItem() (logical.Expr, error) {
	e, err := p.expression()
	if err != nil {
		return nil, err
	}
	if p.acceptKeyword("AS") {
		if p.atOp("(") {
			names, err := p.identifierList()
			if err != nil {
				return nil, err
			}
			return &logical.UnresolvedAlias{Child: e, Names: names}, nil
		}
		name, err := p.identifier()
		if err != nil {
			return nil, err
		}
		return &logical.UnresolvedAlias{Child: e, Names: []string{name}}, nil
	}
	t := p.peek()
	if t.kind == tokQuotedIdent || t.kind == tokIdent && !reserved[strings.ToLower(t.text)] {
		p.next()
		return &logical.UnresolvedAlias{Child: e, Names: []string{t.text}}, nil
	}
	if t.kind == tokString {
		// Spark accepts SELECT a 'alias' only with AS; a bare string here is a typo.
		return nil, p.errorf("unexpected string; to name a column write AS name")
	}
	return e, nil
}

func (p *parser) fromClause() (TableRef, error) {
	left, err := p.joinedTable()
	if err != nil {
		return nil, err
	}
	for p.acceptOp(",") {
		right, err := p.joinedTable()
		if err != nil {
			return nil, err
		}
		left = &JoinRef{Left: left, Right: right, Type: logical.InnerJoin}
	}
	// PIVOT and UNPIVOT apply in turn, in any order (Spark's relation extensions).
	for p.atKeyword("PIVOT", "UNPIVOT") {
		if p.atKeyword("PIVOT") {
			left, err = p.pivotClause(left)
		} else {
			left, err = p.unpivotClause(left)
		}
		if err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) joinedTable() (TableRef, error) {
	left, err := p.tablePrimary()
	if err != nil {
		return nil, err
	}
	for {
		natural := p.acceptKeyword("NATURAL")
		joinType := logical.InnerJoin
		isJoin := true
		switch {
		case p.acceptKeyword("JOIN"):
		case p.atKeyword("INNER") && p.isKeyword(p.peekAt(1), "JOIN"):
			p.next()
			p.next()
		case p.atKeyword("CROSS") && p.isKeyword(p.peekAt(1), "JOIN"):
			p.next()
			p.next()
			joinType = logical.CrossJoin
		case p.atKeyword("LEFT", "RIGHT", "FULL"):
			side := strings.ToUpper(p.next().text)
			switch {
			case side == "LEFT" && p.acceptKeyword("SEMI"):
				joinType = logical.LeftSemiJoin
			case side == "LEFT" && p.acceptKeyword("ANTI"):
				joinType = logical.LeftAntiJoin
			default:
				p.acceptKeyword("OUTER")
				joinType = map[string]logical.JoinType{"LEFT": logical.LeftOuterJoin, "RIGHT": logical.RightOuterJoin, "FULL": logical.FullOuterJoin}[side]
			}
			if err := p.expectKeyword("JOIN"); err != nil {
				return nil, err
			}
		case p.atKeyword("SEMI", "ANTI") && p.isKeyword(p.peekAt(1), "JOIN"):
			if strings.EqualFold(p.next().text, "SEMI") {
				joinType = logical.LeftSemiJoin
			} else {
				joinType = logical.LeftAntiJoin
			}
			p.next()
		default:
			isJoin = false
		}
		if !isJoin {
			if natural {
				return nil, p.errorf("expected JOIN after NATURAL")
			}
			return left, nil
		}
		if p.atKeyword("LATERAL") {
			return nil, p.unsupportedf("LATERAL joins")
		}
		right, err := p.tablePrimary()
		if err != nil {
			return nil, err
		}
		j := &JoinRef{Left: left, Right: right, Type: joinType, Natural: natural}
		switch {
		case natural:
		case p.acceptKeyword("ON"):
			if j.On, err = p.expression(); err != nil {
				return nil, err
			}
		case p.acceptKeyword("USING"):
			if j.Using, err = p.identifierList(); err != nil {
				return nil, err
			}
		}
		left = j
	}
}

func (p *parser) tablePrimary() (TableRef, error) {
	if p.atOp("(") {
		if p.isKeyword(p.peekAt(1), "SELECT", "WITH", "VALUES", "FROM", "TABLE") || p.peekAt(1).text == "(" && p.looksLikeQueryAfterParens() {
			p.next()
			q, err := p.query()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			ref := &SubqueryRef{Query: q}
			return ref, p.tableAlias(&ref.Alias, &ref.ColumnAliases)
		}
		p.next()
		inner, err := p.fromClause()
		if err != nil {
			return nil, err
		}
		return inner, p.expectOp(")")
	}
	if p.atKeyword("VALUES") {
		q, err := p.values()
		if err != nil {
			return nil, err
		}
		ref := &SubqueryRef{Query: q}
		return ref, p.tableAlias(&ref.Alias, &ref.ColumnAliases)
	}
	if p.atKeyword("LATERAL") {
		return nil, p.unsupportedf("LATERAL subqueries")
	}
	pos := p.peek().pos
	name, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.atOp("(") && len(name) == 1 {
		p.next()
		fn := &TableFunction{Name: strings.ToLower(name[0])}
		if !p.atOp(")") {
			listed, err := p.expressionList()
			if err != nil {
				return nil, err
			}
			fn.Args = append(fn.Args, listed...)
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		return fn, p.tableAlias(&fn.Alias, &fn.ColumnAliases)
	}
	t := &TableName{Name: name, pos: pos}
	if p.atKeyword("TABLESAMPLE") {
		return nil, p.unsupportedf("TABLESAMPLE")
	}
	return t, p.tableAlias(&t.Alias, &t.ColumnAliases)
}

// looksLikeQueryAfterParens tells ((SELECT ...)) from ((a JOIN b)).
func (p *parser) looksLikeQueryAfterParens() bool {
	for i := 1; ; i++ {
		t := p.peekAt(i)
		if t.kind == tokOperator && t.text == "(" {
			continue
		}
		return p.isKeyword(t, "SELECT", "WITH", "VALUES")
	}
}

func (p *parser) tableAlias(alias *string, columns *[]string) error {
	a, err := p.optionalAlias()
	if err != nil {
		return err
	}
	*alias = a
	if a != "" && p.atOp("(") {
		cols, err := p.identifierList()
		if err != nil {
			return err
		}
		*columns = cols
	}
	return nil
}

func (p *parser) sortItems() ([]*logical.SortOrder, error) {
	var out []*logical.SortOrder
	for {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		so := &logical.SortOrder{Child: e}
		if p.acceptKeyword("DESC") {
			so.Direction = logical.Descending
		} else {
			p.acceptKeyword("ASC")
		}
		if p.acceptKeyword("NULLS") {
			switch {
			case p.acceptKeyword("FIRST"):
				so.Nulls = logical.NullsFirst
			case p.acceptKeyword("LAST"):
				so.Nulls = logical.NullsLast
			default:
				return nil, p.errorf("expected FIRST or LAST after NULLS")
			}
		}
		out = append(out, so)
		if !p.acceptOp(",") {
			return out, nil
		}
	}
}

// -- expressions -------------------------------------------------------------------------------

func (p *parser) expression() (logical.Expr, error) { return p.orExpression() }

func call(name string, args ...logical.Expr) logical.Expr {
	return &logical.UnresolvedFunction{Name: name, Args: args}
}

func (p *parser) orExpression() (logical.Expr, error) {
	left, err := p.andExpression()
	if err != nil {
		return nil, err
	}
	for p.acceptKeyword("OR") || p.acceptOp("||") && false {
		right, err := p.andExpression()
		if err != nil {
			return nil, err
		}
		left = call("or", left, right)
	}
	return left, nil
}

func (p *parser) andExpression() (logical.Expr, error) {
	left, err := p.notExpression()
	if err != nil {
		return nil, err
	}
	for p.acceptKeyword("AND") || p.acceptOp("&&") {
		right, err := p.notExpression()
		if err != nil {
			return nil, err
		}
		left = call("and", left, right)
	}
	return left, nil
}

func (p *parser) notExpression() (logical.Expr, error) {
	if p.acceptKeyword("NOT") {
		e, err := p.notExpression()
		if err != nil {
			return nil, err
		}
		if ex, ok := e.(*Exists); ok {
			return &Exists{Query: ex.Query, Not: !ex.Not}, nil
		}
		return call("not", e), nil
	}
	return p.predicate()
}

func (p *parser) predicate() (logical.Expr, error) {
	if p.atKeyword("EXISTS") && p.peekAt(1).text == "(" && !p.existsIsFunctionCall() {
		p.next()
		p.next()
		q, err := p.query()
		if err != nil {
			return nil, err
		}
		return &Exists{Query: q}, p.expectOp(")")
	}
	left, err := p.comparison()
	if err != nil {
		return nil, err
	}
	for {
		not := false
		if p.atKeyword("NOT") && p.isKeyword(p.peekAt(1), "BETWEEN", "IN", "LIKE", "ILIKE", "RLIKE", "REGEXP") {
			p.next()
			not = true
		}
		negate := func(e logical.Expr) logical.Expr {
			if not {
				return call("not", e)
			}
			return e
		}
		switch {
		case p.acceptKeyword("BETWEEN"):
			low, err := p.comparison()
			if err != nil {
				return nil, err
			}
			if err := p.expectKeyword("AND"); err != nil {
				return nil, err
			}
			high, err := p.comparison()
			if err != nil {
				return nil, err
			}
			left = negate(call("and", call(">=", left, low), call("<=", left, high)))
		case p.acceptKeyword("IN"):
			if err := p.expectOp("("); err != nil {
				return nil, err
			}
			if p.atKeyword("SELECT", "WITH", "VALUES") {
				q, err := p.query()
				if err != nil {
					return nil, err
				}
				if err := p.expectOp(")"); err != nil {
					return nil, err
				}
				left = &InSubquery{Value: left, Query: q, Not: not}
				continue
			}
			args := []logical.Expr{left}
			listed, err := p.expressionList()
			if err != nil {
				return nil, err
			}
			args = append(args, listed...)
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			left = negate(call("in", args...))
		case p.atKeyword("LIKE", "ILIKE", "RLIKE", "REGEXP"):
			op := strings.ToLower(p.next().text)
			if op == "regexp" {
				op = "rlike"
			}
			if p.atKeyword("ANY", "ALL", "SOME") {
				return nil, p.unsupportedf(strings.ToUpper(op) + " " + strings.ToUpper(p.peek().text))
			}
			pattern, err := p.comparison()
			if err != nil {
				return nil, err
			}
			args := []logical.Expr{left, pattern}
			if p.acceptKeyword("ESCAPE") {
				if !p.at(tokString) {
					return nil, p.errorf("expected a one-character string after ESCAPE")
				}
				args = append(args, stringLiteral(p.next().text))
			}
			left = negate(call(op, args...))
		case p.atKeyword("IS"):
			p.next()
			isNot := p.acceptKeyword("NOT")
			switch {
			case p.acceptKeyword("NULL"):
				if isNot {
					left = call("isnotnull", left)
				} else {
					left = call("isnull", left)
				}
			case p.atKeyword("TRUE", "FALSE"):
				value := strings.EqualFold(p.next().text, "TRUE")
				e := call("<=>", left, logical.NewLiteral(scalar.NewBooleanScalar(value)))
				if isNot {
					e = call("not", e)
				}
				left = e
			case p.acceptKeyword("UNKNOWN"):
				if isNot {
					left = call("isnotnull", left)
				} else {
					left = call("isnull", left)
				}
			case p.acceptKeyword("DISTINCT"):
				if err := p.expectKeyword("FROM"); err != nil {
					return nil, err
				}
				right, err := p.comparison()
				if err != nil {
					return nil, err
				}
				e := call("<=>", left, right)
				if !isNot {
					e = call("not", e)
				}
				left = e
			default:
				return nil, p.errorf("expected NULL, TRUE, FALSE or DISTINCT FROM after IS")
			}
		default:
			if not {
				return nil, p.errorf("expected BETWEEN, IN or LIKE after NOT")
			}
			return left, nil
		}
	}
}

var comparisonOperators = map[string]string{"=": "=", "==": "==", "<>": "<>", "!=": "!=", "<": "<", "<=": "<=", ">": ">", ">=": ">=", "<=>": "<=>"}

func (p *parser) comparison() (logical.Expr, error) {
	left, err := p.bitOr()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		op, ok := comparisonOperators[t.text]
		if t.kind != tokOperator || !ok {
			return left, nil
		}
		p.next()
		if p.atKeyword("ANY", "ALL", "SOME") && p.peekAt(1).text == "(" {
			return nil, p.unsupportedf("quantified comparisons (" + op + " " + strings.ToUpper(p.peek().text) + ")")
		}
		right, err := p.bitOr()
		if err != nil {
			return nil, err
		}
		left = call(op, left, right)
	}
}

func (p *parser) binaryLevel(next func() (logical.Expr, error), ops map[string]string) (logical.Expr, error) {
	left, err := next()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		key := t.text
		if t.kind == tokIdent {
			if !strings.EqualFold(t.text, "div") {
				return left, nil
			}
			key = "div"
		} else if t.kind != tokOperator {
			return left, nil
		}
		name, ok := ops[key]
		if !ok {
			return left, nil
		}
		p.next()
		right, err := next()
		if err != nil {
			return nil, err
		}
		left = foldBinary(name, left, right)
	}
}

var (
	bitOrOperators          = map[string]string{"|": "|"}
	bitXorOperators         = map[string]string{"^": "^"}
	bitAndOperators         = map[string]string{"&": "&"}
	shiftOperators          = map[string]string{"<<": "shiftleft", ">>": "shiftright", ">>>": "shiftrightunsigned"}
	additiveOperators       = map[string]string{"+": "+", "-": "-", "||": "concat"}
	multiplicativeOperators = map[string]string{"*": "*", "/": "/", "%": "%", "div": "div"}
)

func (p *parser) bitOr() (logical.Expr, error)  { return p.binaryLevel(p.bitXor, bitOrOperators) }
func (p *parser) bitXor() (logical.Expr, error) { return p.binaryLevel(p.bitAnd, bitXorOperators) }
func (p *parser) bitAnd() (logical.Expr, error) { return p.binaryLevel(p.shift, bitAndOperators) }
func (p *parser) shift() (logical.Expr, error)  { return p.binaryLevel(p.additive, shiftOperators) }
func (p *parser) additive() (logical.Expr, error) {
	return p.binaryLevel(p.multiplicative, additiveOperators)
}
func (p *parser) multiplicative() (logical.Expr, error) {
	return p.binaryLevel(p.unary, multiplicativeOperators)
}

func (p *parser) unary() (logical.Expr, error) {
	switch {
	case p.acceptOp("-"):
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		if lit, ok := e.(*logical.Literal); ok {
			if neg, ok := negateLiteral(lit); ok {
				return neg, nil
			}
		}
		return call("negative", e), nil
	case p.acceptOp("+"):
		return p.unary()
	case p.acceptOp("~"):
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return call("~", e), nil
	case p.acceptOp("!"):
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return call("not", e), nil
	}
	return p.postfix()
}

func (p *parser) postfix() (logical.Expr, error) {
	e, err := p.primary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.acceptOp("["):
			idx, err := p.expression()
			if err != nil {
				return nil, err
			}
			if err := p.expectOp("]"); err != nil {
				return nil, err
			}
			e = &logical.UnresolvedExtractValue{Child: e, Extraction: idx}
		case p.atOp(".") && (p.peekAt(1).kind == tokIdent || p.peekAt(1).kind == tokQuotedIdent):
			p.next()
			name, _ := p.identifier()
			e = &logical.UnresolvedExtractValue{Child: e, Extraction: stringLiteral(name)}
		case p.acceptOp("::"):
			typeText, err := p.typeText()
			if err != nil {
				return nil, err
			}
			e = &logical.UnresolvedCast{Child: e, TypeText: typeText}
		default:
			return e, nil
		}
	}
}

func (p *parser) primary() (logical.Expr, error) {
	t := p.peek()
	switch t.kind {
	case tokNumber:
		p.next()
		return numberLiteral(p, t)
	case tokString:
		p.next()
		s := t.text
		for p.at(tokString) { // adjacent literals concatenate, as in Spark
			s += p.next().text
		}
		return stringLiteral(s), nil
	case tokParameter:
		p.next()
		if t.text == "?" {
			p.parameters++
			return &Parameter{Index: p.parameters - 1}, nil
		}
		return &Parameter{Name: t.text[1:]}, nil
	case tokOperator:
		switch t.text {
		case "*":
			// A star is a whole select item or a function's only argument, never an operand.
			if prev := p.tokens[max(p.pos-1, 0)]; p.pos > 0 && prev.kind == tokOperator && prev.text != "(" && prev.text != "," {
				return nil, p.errorf("expected an expression")
			}
			p.next()
			return &logical.UnresolvedStar{}, nil
		case "(":
			p.next()
			if p.atKeyword("SELECT", "WITH", "VALUES") {
				q, err := p.query()
				if err != nil {
					return nil, err
				}
				return &ScalarSubquery{Query: q}, p.expectOp(")")
			}
			first, err := p.expression()
			if err != nil {
				return nil, err
			}
			if p.acceptOp(",") {
				args := []logical.Expr{first}
				listed, err := p.expressionList()
				if err != nil {
					return nil, err
				}
				args = append(args, listed...)
				if err := p.expectOp(")"); err != nil {
					return nil, err
				}
				if p.atOp("->") {
					names, ok := lambdaParameterNames(args)
					if !ok {
						return nil, p.errorf("lambda function parameters must be plain names, as in (x, y) -> x + y")
					}
					return p.lambdaAfterParameters(names)
				}
				return call("struct", args...), nil
			}
			if err := p.expectOp(")"); err != nil {
				return nil, err
			}
			if p.atOp("->") {
				names, ok := lambdaParameterNames([]logical.Expr{first})
				if !ok {
					return nil, p.errorf("a lambda function parameter must be a plain name, as in (x) -> x + 1")
				}
				return p.lambdaAfterParameters(names)
			}
			return first, nil
		}
		return nil, p.errorf("expected an expression")
	case tokQuotedIdent:
		return p.nameOrCall()
	case tokIdent:
		return p.keywordOrName()
	}
	return nil, p.errorf("expected an expression")
}

// clauseWords cannot start an expression: "SELECT FROM t" is missing its select list.
var clauseWords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "GROUP": true, "HAVING": true, "ORDER": true, "LIMIT": true,
	"OFFSET": true, "UNION": true, "INTERSECT": true, "EXCEPT": true, "JOIN": true, "ON": true, "AS": true,
	"BY": true, "THEN": true, "ELSE": true, "END": true, "WHEN": true, "WINDOW": true, "AND": true, "OR": true,
}

func (p *parser) keywordOrName() (logical.Expr, error) {
	t := p.peek()
	word := strings.ToUpper(t.text)
	if clauseWords[word] {
		return nil, p.errorf("expected an expression")
	}
	nextTok := p.peekAt(1)
	switch word {
	case "NULL":
		p.next()
		return logical.NullLiteral(arrow.Null), nil
	case "TRUE", "FALSE":
		p.next()
		return logical.NewLiteral(scalar.NewBooleanScalar(word == "TRUE")), nil
	case "CASE":
		return p.caseExpression()
	case "CAST", "TRY_CAST":
		if nextTok.text != "(" {
			break
		}
		p.next()
		p.next()
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("AS"); err != nil {
			return nil, err
		}
		typeText, err := p.typeText()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		mode := logical.EvalANSI
		if word == "TRY_CAST" {
			mode = logical.EvalTry
		}
		return &logical.UnresolvedCast{Child: e, TypeText: typeText, Mode: mode}, nil
	case "DATE", "TIMESTAMP", "TIMESTAMP_NTZ", "TIMESTAMP_LTZ":
		if nextTok.kind != tokString {
			break
		}
		p.next()
		s := p.next()
		if word == "DATE" {
			d, err := parseDate(s.text)
			if err != nil {
				return nil, syntaxErrorAt(p.text, s.pos, s.text, "invalid DATE literal: %v; write DATE 'yyyy-mm-dd'", err)
			}
			return d, nil
		}
		typeName := map[string]string{"TIMESTAMP": "timestamp", "TIMESTAMP_NTZ": "timestamp_ntz", "TIMESTAMP_LTZ": "timestamp"}[word]
		return &logical.UnresolvedCast{Child: stringLiteral(s.text), TypeText: typeName}, nil
	case "X":
		if nextTok.kind == tokString {
			return nil, p.unsupportedf("binary literals (X'..')")
		}
	case "INTERVAL":
		if nextTok.kind == tokString || nextTok.kind == tokNumber || nextTok.text == "-" {
			return p.interval()
		}
	case "EXTRACT":
		if nextTok.text != "(" {
			break
		}
		p.next()
		p.next()
		field, err := p.identifier()
		if err != nil {
			return nil, err
		}
		if err := p.expectKeyword("FROM"); err != nil {
			return nil, err
		}
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		fn, ok := extractFields[strings.ToUpper(field)]
		if !ok {
			return nil, errkind.Invalid("EXTRACT does not know the field %s; use YEAR, QUARTER, MONTH, WEEK, DAY, DAYOFWEEK, DAYOFYEAR, HOUR, MINUTE or SECOND", field)
		}
		return call(fn, e), nil
	case "SUBSTRING", "SUBSTR":
		if nextTok.text != "(" {
			break
		}
		return p.substring()
	case "POSITION":
		if nextTok.text != "(" {
			break
		}
		save := p.pos
		p.next()
		p.next()
		needle, err := p.additive()
		if err == nil && p.acceptKeyword("IN") {
			hay, err := p.expression()
			if err != nil {
				return nil, err
			}
			return call("locate", needle, hay), p.expectOp(")")
		}
		p.pos = save
	case "TRIM":
		if nextTok.text != "(" {
			break
		}
		return p.trim()
	case "CURRENT_DATE", "CURRENT_TIMESTAMP", "CURRENT_USER", "CURRENT_TIMEZONE", "NOW":
		if nextTok.text != "(" && word != "NOW" {
			p.next()
			return call(strings.ToLower(word)), nil
		}
	}
	return p.nameOrCall()
}

var extractFields = map[string]string{
	"YEAR": "year", "YEARS": "year", "YEAROFWEEK": "year", "QUARTER": "quarter", "MONTH": "month", "MONTHS": "month",
	"WEEK": "weekofyear", "WEEKS": "weekofyear", "DAY": "day", "DAYS": "day", "D": "day", "DAYOFWEEK": "dayofweek", "DOW": "dayofweek",
	"DAYOFYEAR": "dayofyear", "DOY": "dayofyear", "HOUR": "hour", "HOURS": "hour", "MINUTE": "minute", "MINUTES": "minute",
	"SECOND": "second", "SECONDS": "second",
}

func (p *parser) substring() (logical.Expr, error) {
	p.next()
	p.next()
	s, err := p.expression()
	if err != nil {
		return nil, err
	}
	args := []logical.Expr{s}
	if p.acceptKeyword("FROM") || p.acceptOp(",") {
		start, err := p.expression()
		if err != nil {
			return nil, err
		}
		args = append(args, start)
		if p.acceptKeyword("FOR") || p.acceptOp(",") {
			length, err := p.expression()
			if err != nil {
				return nil, err
			}
			args = append(args, length)
		}
	}
	return call("substring", args...), p.expectOp(")")
}

func (p *parser) trim() (logical.Expr, error) {
	p.next()
	p.next()
	fn := "trim"
	switch {
	case p.acceptKeyword("BOTH"):
	case p.acceptKeyword("LEADING"):
		fn = "ltrim"
	case p.acceptKeyword("TRAILING"):
		fn = "rtrim"
	}
	if p.acceptKeyword("FROM") {
		s, err := p.expression()
		if err != nil {
			return nil, err
		}
		return call(fn, s), p.expectOp(")")
	}
	first, err := p.expression()
	if err != nil {
		return nil, err
	}
	if p.acceptKeyword("FROM") {
		s, err := p.expression()
		if err != nil {
			return nil, err
		}
		return call(fn, s, first), p.expectOp(")")
	}
	args := []logical.Expr{first}
	if p.acceptOp(",") {
		chars, err := p.expression()
		if err != nil {
			return nil, err
		}
		args = append(args, chars)
	}
	return call(fn, args...), p.expectOp(")")
}

func (p *parser) caseExpression() (logical.Expr, error) {
	p.next()
	var subject logical.Expr
	if !p.atKeyword("WHEN") {
		s, err := p.expression()
		if err != nil {
			return nil, err
		}
		subject = s
	}
	var args []logical.Expr
	for p.acceptKeyword("WHEN") {
		cond, err := p.expression()
		if err != nil {
			return nil, err
		}
		if subject != nil {
			cond = call("=", subject, cond)
		}
		if err := p.expectKeyword("THEN"); err != nil {
			return nil, err
		}
		value, err := p.expression()
		if err != nil {
			return nil, err
		}
		args = append(args, cond, value)
	}
	if len(args) == 0 {
		return nil, p.errorf("CASE needs at least one WHEN ... THEN ...")
	}
	if p.acceptKeyword("ELSE") {
		e, err := p.expression()
		if err != nil {
			return nil, err
		}
		args = append(args, e)
	}
	return call("when", args...), p.expectKeyword("END")
}

func (p *parser) nameOrCall() (logical.Expr, error) {
	if p.peekAt(1).kind == tokOperator && p.peekAt(1).text == "->" {
		return p.lambdaAfterParameters([]string{p.next().text})
	}
	parts, err := p.qualifiedName()
	if err != nil {
		return nil, err
	}
	if p.atOp(".") && p.peekAt(1).text == "*" {
		p.next()
		p.next()
		return &logical.UnresolvedStar{Target: parts}, nil
	}
	if !p.atOp("(") {
		return &logical.UnresolvedAttribute{NameParts: parts}, nil
	}
	p.next()
	name := nameString(parts)
	fn := &logical.UnresolvedFunction{Name: strings.ToLower(name)}
	if p.acceptKeyword("DISTINCT") {
		fn.Distinct = true
	} else {
		p.acceptKeyword("ALL")
	}
	if !p.atOp(")") {
		for {
			if p.peekAt(1).text == "=>" {
				return nil, p.unsupportedf("named function arguments (name => value)")
			}
			arg, err := p.expression()
			if err != nil {
				return nil, err
			}
			if fn.Name == "struct" && p.acceptKeyword("AS") {
				// struct(x AS v, ...) names its fields.
				field := p.next()
				if field.kind != tokIdent && field.kind != tokQuotedIdent {
					return nil, syntaxErrorAt(p.text, field.pos, field.text, "expected a field name after AS in struct(...)")
				}
				arg = &logical.UnresolvedAlias{Child: arg, Names: []string{field.text}}
			}
			fn.Args = append(fn.Args, arg)
			if !p.acceptOp(",") {
				break
			}
		}
	}
	if p.atKeyword("ORDER") {
		return nil, p.unsupportedf("ORDER BY inside an aggregate call")
	}
	if fn.Name == "count" && len(fn.Args) == 1 && isStar(fn.Args[0]) {
		// count(*) counts rows: Spark plans it as count(1), and names the column so.
		fn.Args = []logical.Expr{logical.NewLiteral(scalar.NewInt32Scalar(1))}
	}
	if err := p.expectOp(")"); err != nil {
		return nil, err
	}
	var out logical.Expr = fn
	if p.acceptKeyword("WITHIN") {
		return nil, p.unsupportedf("WITHIN GROUP")
	}
	if p.atKeyword("IGNORE", "RESPECT") && p.isKeyword(p.peekAt(1), "NULLS") {
		ignore := strings.EqualFold(p.next().text, "IGNORE")
		p.next()
		fn.Args = append(fn.Args, logical.NewLiteral(scalar.NewBooleanScalar(ignore)))
	}
	if p.atKeyword("FILTER") && p.peekAt(1).text == "(" {
		p.next()
		p.next()
		if err := p.expectKeyword("WHERE"); err != nil {
			return nil, err
		}
		cond, err := p.expression()
		if err != nil {
			return nil, err
		}
		if err := p.expectOp(")"); err != nil {
			return nil, err
		}
		// agg(x) FILTER (WHERE c) is agg(CASE WHEN c THEN x END): aggregates skip nulls.
		args := fn.Args
		if len(args) == 0 || isStar(args[0]) {
			args = []logical.Expr{logical.NewLiteral(scalar.NewInt32Scalar(1))}
		}
		filtered := make([]logical.Expr, len(args))
		for i, a := range args {
			filtered[i] = call("when", cond, a)
		}
		fn.Args = filtered
	}
	if p.acceptKeyword("OVER") {
		spec, err := p.windowSpec()
		if err != nil {
			return nil, err
		}
		out = &WindowCall{Function: fn, Spec: spec}
	}
	return out, nil
}

func isStar(e logical.Expr) bool {
	_, ok := e.(*logical.UnresolvedStar)
	return ok
}

func (p *parser) windowSpec() (*WindowSpec, error) {
	if !p.atOp("(") {
		name, err := p.identifier()
		if err != nil {
			return nil, err
		}
		return &WindowSpec{Name: strings.ToLower(name)}, nil
	}
	p.next()
	spec := &WindowSpec{}
	if p.at(tokIdent) && !p.atKeyword("PARTITION", "DISTRIBUTE", "ORDER", "SORT", "ROWS", "RANGE", "CLUSTER") {
		spec.Name = strings.ToLower(p.next().text)
	}
	if p.atKeyword("PARTITION", "DISTRIBUTE", "CLUSTER") {
		p.next()
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		listed, err := p.expressionList()
		if err != nil {
			return nil, err
		}
		spec.PartitionBy = append(spec.PartitionBy, listed...)
	}
	if p.atKeyword("ORDER", "SORT") {
		p.next()
		if err := p.expectKeyword("BY"); err != nil {
			return nil, err
		}
		order, err := p.sortItems()
		if err != nil {
			return nil, err
		}
		spec.OrderBy = order
	}
	if p.atKeyword("ROWS", "RANGE") {
		frame := &logical.WindowFrame{}
		if strings.EqualFold(p.next().text, "RANGE") {
			frame.Type = logical.RangeFrame
		}
		if p.acceptKeyword("BETWEEN") {
			lower, err := p.frameBound()
			if err != nil {
				return nil, err
			}
			if err := p.expectKeyword("AND"); err != nil {
				return nil, err
			}
			upper, err := p.frameBound()
			if err != nil {
				return nil, err
			}
			frame.Lower, frame.Upper = lower, upper
		} else {
			lower, err := p.frameBound()
			if err != nil {
				return nil, err
			}
			frame.Lower = lower
		}
		spec.Frame = frame
	}
	return spec, p.expectOp(")")
}

func (p *parser) frameBound() (logical.FrameBound, error) {
	switch {
	case p.acceptKeyword("UNBOUNDED"):
		if !p.acceptKeyword("PRECEDING", "FOLLOWING") {
			return logical.FrameBound{}, p.errorf("expected PRECEDING or FOLLOWING after UNBOUNDED")
		}
		return logical.FrameBound{Unbounded: true}, nil
	case p.acceptKeyword("CURRENT"):
		return logical.FrameBound{}, p.expectKeyword("ROW")
	}
	t := p.peek()
	if t.kind != tokNumber {
		if p.atKeyword("INTERVAL") {
			return logical.FrameBound{}, p.unsupportedf("interval window frame bounds")
		}
		return logical.FrameBound{}, p.errorf("expected UNBOUNDED, CURRENT ROW or a number of rows")
	}
	p.next()
	n, err := strconv.ParseInt(strings.TrimRight(t.text, "Ll"), 10, 64)
	if err != nil {
		return logical.FrameBound{}, syntaxErrorAt(p.text, t.pos, t.text, "a frame bound must be an integer")
	}
	switch {
	case p.acceptKeyword("PRECEDING"):
		return logical.FrameBound{Offset: -n}, nil
	case p.acceptKeyword("FOLLOWING"):
		return logical.FrameBound{Offset: n}, nil
	}
	return logical.FrameBound{}, p.errorf("expected PRECEDING or FOLLOWING")
}

// -- literals ----------------------------------------------------------------------------------

func stringLiteral(s string) *logical.Literal { return logical.NewLiteral(scalar.NewStringScalar(s)) }

// numberLiteral types a number as Spark does: integers are int, then bigint, then decimal;
// "1.5" is decimal(2,1); an exponent makes a double; suffixes L, S, Y, D, F and BD choose.
func numberLiteral(p *parser, t token) (logical.Expr, error) {
	text := t.text
	bad := func() (logical.Expr, error) {
		return nil, syntaxErrorAt(p.text, t.pos, text, "invalid number %s", text)
	}
	upper := strings.ToUpper(text)
	switch {
	case strings.HasSuffix(upper, "BD"):
		return decimalLiteral(text[:len(text)-2])
	case strings.HasSuffix(upper, "L"):
		v, err := strconv.ParseInt(text[:len(text)-1], 10, 64)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewInt64Scalar(v)), nil
	case strings.HasSuffix(upper, "S"):
		v, err := strconv.ParseInt(text[:len(text)-1], 10, 16)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewInt16Scalar(int16(v))), nil
	case strings.HasSuffix(upper, "Y"):
		v, err := strconv.ParseInt(text[:len(text)-1], 10, 8)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewInt8Scalar(int8(v))), nil
	case strings.HasSuffix(upper, "D"):
		v, err := strconv.ParseFloat(text[:len(text)-1], 64)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewFloat64Scalar(v)), nil
	case strings.HasSuffix(upper, "F"):
		v, err := strconv.ParseFloat(text[:len(text)-1], 32)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewFloat32Scalar(float32(v))), nil
	case strings.ContainsAny(upper, "E"):
		v, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return bad()
		}
		return logical.NewLiteral(scalar.NewFloat64Scalar(v)), nil
	case strings.Contains(text, "."):
		return decimalLiteral(text)
	}
	if v, err := strconv.ParseInt(text, 10, 32); err == nil {
		return logical.NewLiteral(scalar.NewInt32Scalar(int32(v))), nil
	}
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return logical.NewLiteral(scalar.NewInt64Scalar(v)), nil
	}
	return decimalLiteral(text)
}

func decimalLiteral(text string) (logical.Expr, error) {
	intPart, frac, _ := strings.Cut(text, ".")
	digits := strings.TrimLeft(intPart+frac, "0")
	scale := len(frac)
	precision := max(len(digits), scale, 1)
	if precision > 38 {
		return nil, errkind.Invalid("the number %s has more than 38 digits; write it with an exponent (1.5E40) to make it a double", text)
	}
	n, ok := new(big.Int).SetString(intPart+frac, 10)
	if !ok {
		return nil, errkind.Invalid("invalid number %s", text)
	}
	t := &arrow.Decimal128Type{Precision: int32(precision), Scale: int32(scale)}
	return logical.NewLiteral(scalar.NewDecimal128Scalar(decimal128.FromBigInt(n), t)), nil
}

func parseDate(s string) (*logical.Literal, error) {
	s = strings.TrimSpace(s)
	var d time.Time
	var err error
	for _, layout := range []string{"2006-01-02", "2006-1-2", "2006-01", "2006"} {
		if d, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return nil, errkind.Invalid("'%s' is not a date", s)
	}
	return logical.NewLiteral(scalar.NewDate32Scalar(arrow.Date32FromTime(d))), nil
}

func negateLiteral(l *logical.Literal) (*logical.Literal, bool) {
	switch v := l.Value.(type) {
	case *scalar.Int32:
		if v.Value == -v.Value && v.Value != 0 {
			return nil, false
		}
		return logical.NewLiteral(scalar.NewInt32Scalar(-v.Value)), true
	case *scalar.Int64:
		if v.Value == -v.Value && v.Value != 0 {
			return nil, false
		}
		return logical.NewLiteral(scalar.NewInt64Scalar(-v.Value)), true
	case *scalar.Float64:
		return logical.NewLiteral(scalar.NewFloat64Scalar(-v.Value)), true
	case *scalar.Decimal128:
		return logical.NewLiteral(scalar.NewDecimal128Scalar(v.Value.Negate(), v.Type)), true
	case *scalar.MonthInterval:
		return logical.NewLiteral(scalar.NewMonthIntervalScalar(-v.Value)), true
	case *scalar.Duration:
		return logical.NewLiteral(scalar.NewDurationScalar(-v.Value, v.Type.(*arrow.DurationType))), true
	case *scalar.MonthDayNanoInterval:
		return logical.NewLiteral(scalar.NewMonthDayNanoIntervalScalar(arrow.MonthDayNanoInterval{Months: -v.Value.Months, Days: -v.Value.Days, Nanoseconds: -v.Value.Nanoseconds})), true
	}
	return nil, false
}
