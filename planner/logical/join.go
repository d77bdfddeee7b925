package logical

import (
	"fmt"
	"strings"
)

// JoinType is the kind of join, with Spark's meanings.
type JoinType int

const (
	InnerJoin JoinType = iota
	LeftOuterJoin
	RightOuterJoin
	FullOuterJoin
	LeftSemiJoin
	LeftAntiJoin
	CrossJoin
)

var joinTypeNames = map[JoinType]string{
	InnerJoin: "Inner", LeftOuterJoin: "LeftOuter", RightOuterJoin: "RightOuter", FullOuterJoin: "FullOuter",
	LeftSemiJoin: "LeftSemi", LeftAntiJoin: "LeftAnti", CrossJoin: "Cross",
}

func (t JoinType) String() string { return joinTypeNames[t] }

// KeepsRight reports whether the join's output carries the right side's columns.
func (t JoinType) KeepsRight() bool { return t != LeftSemiJoin && t != LeftAntiJoin }

// Join combines two inputs. Condition is resolved against Left.Output() ++ Right.Output() and may
// be nil (a cross join, or an inner join without a condition). USING joins are a Join with the
// key equalities as Condition under a Project that merges the key columns, as Spark plans them.
type Join struct {
	Left, Right Plan
	Type        JoinType
	Condition   Expr
}

// Output is left ++ right, with the side that an outer join pads made nullable.
func (j *Join) Output() []*ColumnRef {
	left := j.Left.Output()
	if !j.Type.KeepsRight() {
		return left
	}
	right := j.Right.Output()
	out := make([]*ColumnRef, 0, len(left)+len(right))
	nullLeft := j.Type == RightOuterJoin || j.Type == FullOuterJoin
	nullRight := j.Type == LeftOuterJoin || j.Type == FullOuterJoin
	for _, a := range left {
		out = append(out, nullableIf(a, nullLeft))
	}
	for _, a := range right {
		out = append(out, nullableIf(a, nullRight))
	}
	return out
}

func nullableIf(a *ColumnRef, nullable bool) *ColumnRef {
	if !nullable || a.Null {
		return a
	}
	cp := *a
	cp.Null = true
	return &cp
}

func (j *Join) Children() []Plan { return []Plan{j.Left, j.Right} }
func (j *Join) WithChildren(c []Plan) Plan {
	cp := *j
	cp.Left, cp.Right = c[0], c[1]
	return &cp
}
func (j *Join) Describe() string {
	if j.Condition == nil {
		return "Join " + j.Type.String()
	}
	return fmt.Sprintf("Join %s, %s", j.Type, exprWithAllIDs(j.Condition))
}

// BroadcastHint marks its input as small enough to broadcast to every task of a join
// (F.broadcast(df), df.hint("broadcast")). It changes no rows.
type BroadcastHint struct {
	Input Plan
}

func (h *BroadcastHint) Output() []*ColumnRef { return h.Input.Output() }
func (h *BroadcastHint) Children() []Plan     { return []Plan{h.Input} }
func (h *BroadcastHint) WithChildren(c []Plan) Plan {
	return &BroadcastHint{Input: c[0]}
}
func (h *BroadcastHint) Describe() string { return "ResolvedHint (strategy=broadcast)" }

// exprWithAllIDs prints an expression with attribute ids on every column reference, so a
// self-join condition in explain output says which side each column comes from.
func exprWithAllIDs(e Expr) string {
	s := e.String()
	refs := map[string][]ExprID{}
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			refs[c.ColumnName] = append(refs[c.ColumnName], c.AttrID)
		}
		return true
	})
	ambiguous := false
	for _, ids := range refs {
		for _, id := range ids[1:] {
			if id != ids[0] {
				ambiguous = true
			}
		}
	}
	if !ambiguous {
		return s
	}
	var parts []string
	Walk(e, func(x Expr) bool {
		if c, ok := x.(*ColumnRef); ok {
			parts = append(parts, fmt.Sprintf("%s#%d", c.ColumnName, c.AttrID))
		}
		return true
	})
	return s + " [" + strings.Join(parts, ", ") + "]"
}

// SplitConjuncts flattens a tree of ANDs into its conjuncts.
func SplitConjuncts(e Expr) []Expr {
	if e == nil {
		return nil
	}
	if c, ok := e.(*Call); ok && c.Function == "and" && len(c.Args) == 2 {
		return append(SplitConjuncts(c.Args[0]), SplitConjuncts(c.Args[1])...)
	}
	return []Expr{e}
}
