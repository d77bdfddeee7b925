// Package sqlplan is Quiver's SQL front end: a Spark SQL parser and a binder that turns parsed
// statements into the same logical plan nodes the DataFrame API produces (planner/logical,
// resolved through the analyzer's function registry, so SQL and DataFrame functions share names).
// It owns the SQL dialect (Spark's), SQL statements (views, tables, SHOW, DESCRIBE, EXPLAIN) as
// data, and SQL error positions. It must not import execution code or the Flight server.
package sqlplan

import (
	"fmt"
	"strings"

	"github.com/quiverdata/quiver/errkind"
)

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokQuotedIdent
	tokNumber
	tokString
	tokOperator
	tokParameter // ? or :name
)

// token is one lexical unit; pos is the byte offset in the statement text.
type token struct {
	kind tokenKind
	// text is the token as written (identifiers unquoted for tokQuotedIdent, strings unescaped).
	text string
	pos  int
}

// SyntaxError is a parse error with its position in the SQL text, 1-based.
type SyntaxError struct {
	Line, Column int
	Message      string
	Near         string
}

func (e *SyntaxError) Error() string {
	if e.Near != "" {
		return fmt.Sprintf("syntax error at line %d, column %d near '%s': %s", e.Line, e.Column, e.Near, e.Message)
	}
	return fmt.Sprintf("syntax error at line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Unwrap makes a syntax error an errkind.ErrInvalid (gRPC InvalidArgument).
func (e *SyntaxError) Unwrap() error { return errkind.ErrInvalid }

// lineColumn converts a byte offset to a 1-based line and column.
func lineColumn(text string, pos int) (int, int) {
	if pos > len(text) {
		pos = len(text)
	}
	line := 1 + strings.Count(text[:pos], "\n")
	col := pos + 1
	if i := strings.LastIndexByte(text[:pos], '\n'); i >= 0 {
		col = pos - i
	}
	return line, col
}

func syntaxErrorAt(text string, pos int, near string, format string, args ...any) *SyntaxError {
	line, col := lineColumn(text, pos)
	if len(near) > 30 {
		near = near[:30]
	}
	return &SyntaxError{Line: line, Column: col, Message: fmt.Sprintf(format, args...), Near: near}
}

// lex splits SQL text into tokens. Comments (-- and /* */) are skipped; hints (/*+ ... */) too.
func lex(text string) ([]token, error) {
	var out []token
	i := 0
	n := len(text)
	for i < n {
		c := text[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < n && text[i+1] == '-':
			for i < n && text[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < n && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				return nil, syntaxErrorAt(text, i, "/*", "unclosed comment: add */")
			}
			i += end + 4
		case isIdentStart(c):
			start := i
			for i < n && isIdentPart(text[i]) {
				i++
			}
			out = append(out, token{kind: tokIdent, text: text[start:i], pos: start})
		case c >= '0' && c <= '9' || c == '.' && i+1 < n && text[i+1] >= '0' && text[i+1] <= '9':
			start := i
			for i < n && (text[i] >= '0' && text[i] <= '9' || text[i] == '.') {
				i++
			}
			if i < n && (text[i] == 'e' || text[i] == 'E') {
				j := i + 1
				if j < n && (text[j] == '+' || text[j] == '-') {
					j++
				}
				if j < n && text[j] >= '0' && text[j] <= '9' {
					i = j
					for i < n && text[i] >= '0' && text[i] <= '9' {
						i++
					}
				}
			}
			// Spark's typed suffixes: 1L, 1S, 1Y, 1.5D, 1.5F, 1.5BD.
			if i+1 < n && (text[i] == 'B' || text[i] == 'b') && (text[i+1] == 'D' || text[i+1] == 'd') && (i+2 >= n || !isIdentPart(text[i+2])) {
				i += 2
			} else if i < n && strings.IndexByte("LlSsYyDdFf", text[i]) >= 0 && (i+1 >= n || !isIdentPart(text[i+1])) {
				i++
			}
			if i < n && isIdentStart(text[i]) {
				// 1a is an identifier in Spark only when quoted; report it here.
				j := i
				for j < n && isIdentPart(text[j]) {
					j++
				}
				return nil, syntaxErrorAt(text, start, text[start:j], "identifiers cannot start with a digit; quote it with backticks")
			}
			out = append(out, token{kind: tokNumber, text: text[start:i], pos: start})
		case c == '\'' || c == '"':
			s, next, err := lexString(text, i)
			if err != nil {
				return nil, err
			}
			out = append(out, token{kind: tokString, text: s, pos: i})
			i = next
		case c == '`':
			var b strings.Builder
			j := i + 1
			for {
				if j >= n {
					return nil, syntaxErrorAt(text, i, text[i:], "unclosed backtick-quoted identifier")
				}
				if text[j] == '`' {
					if j+1 < n && text[j+1] == '`' {
						b.WriteByte('`')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(text[j])
				j++
			}
			out = append(out, token{kind: tokQuotedIdent, text: b.String(), pos: i})
			i = j + 1
		case c == '?':
			out = append(out, token{kind: tokParameter, text: "?", pos: i})
			i++
		case c == ':' && i+1 < n && isIdentStart(text[i+1]):
			start := i
			i++
			for i < n && isIdentPart(text[i]) {
				i++
			}
			out = append(out, token{kind: tokParameter, text: text[start:i], pos: start})
		default:
			op := ""
			for _, candidate := range operators {
				if strings.HasPrefix(text[i:], candidate) {
					op = candidate
					break
				}
			}
			if op == "" {
				return nil, syntaxErrorAt(text, i, text[i:], "unexpected character %q", string(c))
			}
			out = append(out, token{kind: tokOperator, text: op, pos: i})
			i += len(op)
		}
	}
	out = append(out, token{kind: tokEOF, pos: n})
	return out, nil
}

// operators longest first so "<=>" wins over "<=" and "<".
var operators = []string{
	"<=>", ">>>", "<=", ">=", "<>", "!=", "==", "<<", ">>", "||", "&&", "::", "->", "=>",
	"(", ")", ",", ".", ";", "+", "-", "*", "/", "%", "=", "<", ">", "!", "~", "&", "|", "^", "[", "]", ":", "{", "}",
}

func isIdentStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' || c == '$' }

// lexString reads a quoted string with Spark's escapes (\n, \t, \\, \', doubled quotes).
func lexString(text string, start int) (string, int, error) {
	quote := text[start]
	var b strings.Builder
	i := start + 1
	for i < len(text) {
		c := text[i]
		switch {
		case c == '\\' && i+1 < len(text):
			switch e := text[i+1]; e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'b':
				b.WriteByte('\b')
			case 'Z':
				b.WriteByte(26)
			case '%', '_':
				// LIKE patterns keep the escape.
				b.WriteByte('\\')
				b.WriteByte(e)
			default:
				b.WriteByte(e)
			}
			i += 2
		case c == quote:
			if i+1 < len(text) && text[i+1] == quote {
				b.WriteByte(quote)
				i += 2
				continue
			}
			return b.String(), i + 1, nil
		default:
			b.WriteByte(c)
			i++
		}
	}
	return "", 0, syntaxErrorAt(text, start, text[start:], "unclosed string literal: add the closing %c", quote)
}
