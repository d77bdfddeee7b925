package protoplan

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

func init() {
	registerRelation(&pb.Relation_Join{}, joinRelation)
	registerRelation(&pb.Relation_Hint{}, hintRelation)
}

var joinTypes = map[pb.Join_JoinType]logical.JoinType{
	pb.Join_JOIN_TYPE_UNSPECIFIED: logical.InnerJoin,
	pb.Join_JOIN_TYPE_INNER:       logical.InnerJoin,
	pb.Join_JOIN_TYPE_LEFT_OUTER:  logical.LeftOuterJoin,
	pb.Join_JOIN_TYPE_RIGHT_OUTER: logical.RightOuterJoin,
	pb.Join_JOIN_TYPE_FULL_OUTER:  logical.FullOuterJoin,
	pb.Join_JOIN_TYPE_LEFT_SEMI:   logical.LeftSemiJoin,
	pb.Join_JOIN_TYPE_LEFT_ANTI:   logical.LeftAntiJoin,
	pb.Join_JOIN_TYPE_CROSS:       logical.CrossJoin,
}

func joinRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	j := rel.GetJoin()
	joinType, ok := joinTypes[j.JoinType]
	if !ok {
		return nil, errkind.Invalid("unknown join type %v", j.JoinType)
	}
	if j.Left == nil || j.Right == nil {
		return nil, errkind.Invalid("malformed plan: a join needs a left and a right input")
	}
	left, err := c.Relation(j.Left)
	if err != nil {
		return nil, err
	}
	leftIDs := c.snapshotPlanIDs(j.Left)
	right, err := c.Relation(j.Right)
	if err != nil {
		return nil, err
	}
	rightIDs := c.snapshotPlanIDs(j.Right)
	// A DataFrame used on both sides (df2 derived from df1) registered its plan_id twice; the
	// copy nearest the join wins, as Spark resolves df1["id"], and the left one on a tie.
	defer func() {
		for id, l := range leftIDs {
			if r, ok := rightIDs[id]; ok && r.depth < l.depth {
				c.A.RegisterPlanID(id, r.plan)
			} else {
				c.A.RegisterPlanID(id, l.plan)
			}
		}
	}()
	if len(j.UsingColumns) > 0 {
		if j.JoinCondition != nil {
			return nil, errkind.Invalid("a join takes either USING columns or a join condition, not both")
		}
		return c.usingJoin(left, right, joinType, j.UsingColumns)
	}
	var cond logical.Expr
	if j.JoinCondition != nil {
		unresolved, err := c.Expression(j.JoinCondition)
		if err != nil {
			return nil, err
		}
		unresolved, err = resolveSidePlanIDs(c, unresolved, left, right, leftIDs, rightIDs)
		if err != nil {
			return nil, err
		}
		attrs := append(append([]*logical.ColumnRef(nil), left.Output()...), right.Output()...)
		cond, err = c.A.ResolveExprIn(unresolved, attrs)
		if err != nil {
			return nil, err
		}
		switch cond.DataType().ID() {
		case arrow.BOOL:
		case arrow.NULL:
			cond = &logical.Cast{Child: cond, To: arrow.FixedWidthTypes.Boolean, Mode: logical.EvalLegacy}
		default:
			return nil, errkind.Invalid("join condition '%s' is %s, not boolean; join on column names or a comparison such as df1.id == df2.id",
				cond.String(), logical.SparkTypeName(cond.DataType()))
		}
	}
	if joinType == logical.CrossJoin && cond != nil {
		joinType = logical.InnerJoin
	}
	return &logical.Join{Left: left, Right: right, Type: joinType, Condition: cond}, nil
}

// usingJoin plans join(other, on=["k", ...]): key equalities as the condition, then one output
// column per key (the left's, the right's for a right join, coalesce(l, r) for a full join),
// followed by the other columns of the left and of the right, as PySpark orders them.
func (c *Converter) usingJoin(left, right logical.Plan, joinType logical.JoinType, names []string) (logical.Plan, error) {
	if joinType == logical.CrossJoin {
		joinType = logical.InnerJoin
	}
	var cond logical.Expr
	leftKeys := make([]*logical.ColumnRef, len(names))
	rightKeys := make([]*logical.ColumnRef, len(names))
	for i, name := range names {
		l, err := c.usingKey(name, left, "left")
		if err != nil {
			return nil, err
		}
		r, err := c.usingKey(name, right, "right")
		if err != nil {
			return nil, err
		}
		leftKeys[i], rightKeys[i] = l, r
		eq, err := c.A.ResolveCall("==", []logical.Expr{l, r}, false)
		if err != nil {
			return nil, errkind.Invalid("cannot join on '%s': %v", name, err)
		}
		if cond == nil {
			cond = eq
		} else if cond, err = c.A.ResolveCall("and", []logical.Expr{cond, eq}, false); err != nil {
			return nil, err
		}
	}
	join := &logical.Join{Left: left, Right: right, Type: joinType, Condition: cond}
	out := join.Output()
	byID := map[logical.ExprID]*logical.ColumnRef{}
	for _, a := range out {
		byID[a.AttrID] = a
	}
	isKey := map[logical.ExprID]bool{}
	var exprs []logical.Named
	for i := range names {
		isKey[leftKeys[i].AttrID], isKey[rightKeys[i].AttrID] = true, true
		switch joinType {
		case logical.RightOuterJoin:
			exprs = append(exprs, byID[rightKeys[i].AttrID])
		case logical.FullOuterJoin:
			l, r := byID[leftKeys[i].AttrID], byID[rightKeys[i].AttrID]
			key, err := c.coalesceKeys(l, r)
			if err != nil {
				return nil, err
			}
			exprs = append(exprs, &logical.Alias{Child: key, Alias: leftKeys[i].ColumnName, AttrID: c.A.IDs.Next(), Metadata: l.Metadata})
		default:
			exprs = append(exprs, byID[leftKeys[i].AttrID])
		}
	}
	for _, a := range out {
		if !isKey[a.AttrID] {
			exprs = append(exprs, a)
		}
	}
	return &logical.Project{Input: join, Expressions: exprs}, nil
}

// JoinKeyCoalesce is the function name of the merged key of a full outer USING join; exec
// registers its kernel.
const JoinKeyCoalesce = "join_key_coalesce"

func (c *Converter) coalesceKeys(l, r *logical.ColumnRef) (logical.Expr, error) {
	t := l.Type
	var rx logical.Expr = r
	var lx logical.Expr = l
	if !arrow.TypeEqual(l.Type, r.Type) {
		// The equality already coerced both keys to one type; cast both to it.
		eq, err := c.A.ResolveCall("==", []logical.Expr{l, r}, false)
		if err != nil {
			return nil, err
		}
		args := eq.(*logical.Call).Args
		lx, rx, t = args[0], args[1], args[0].DataType()
	}
	return &logical.Call{Function: JoinKeyCoalesce, Args: []logical.Expr{lx, rx}, Type: t, Null: l.Null && r.Null,
		Display: "coalesce(" + l.ColumnName + ", " + r.ColumnName + ")"}, nil
}

func (c *Converter) usingKey(name string, side logical.Plan, sideName string) (*logical.ColumnRef, error) {
	parts, err := ParseIdentifier(name)
	if err != nil {
		return nil, err
	}
	e, err := c.A.ResolveExpr(&logical.UnresolvedAttribute{NameParts: parts}, side)
	if err != nil {
		return nil, errkind.Invalid("USING column '%s' cannot be resolved on the %s side of the join: %v", name, sideName, strings.TrimPrefix(err.Error(), "invalid argument: "))
	}
	ref, ok := e.(*logical.ColumnRef)
	if !ok {
		return nil, errkind.Invalid("USING column '%s' must be a top-level column of the %s side", name, sideName)
	}
	return ref, nil
}

type planAtDepth struct {
	plan  logical.Plan
	depth int
}

// snapshotPlanIDs records, for every plan_id in a converted subtree, the plan registered for it
// and its depth below the subtree's root.
func (c *Converter) snapshotPlanIDs(rel *pb.Relation) map[int64]planAtDepth {
	depths := map[int64]int{}
	collectPlanIDs(rel.ProtoReflect(), 0, depths)
	out := map[int64]planAtDepth{}
	for id, d := range depths {
		if p, ok := c.A.PlanForID(id); ok {
			out[id] = planAtDepth{plan: p, depth: d}
		}
	}
	return out
}

var relationDescriptor = (&pb.Relation{}).ProtoReflect().Descriptor()

func collectPlanIDs(m protoreflect.Message, depth int, out map[int64]int) {
	if m.Descriptor() == relationDescriptor {
		r := m.Interface().(*pb.Relation)
		if r.Common != nil && r.Common.PlanId != nil {
			if d, ok := out[*r.Common.PlanId]; !ok || depth < d {
				out[*r.Common.PlanId] = depth
			}
		}
		depth++
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		switch {
		case fd.IsList():
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				collectPlanIDs(l.Get(i).Message(), depth, out)
			}
		case fd.IsMap():
		default:
			// Expressions hold no relations; skip them to keep the walk short.
			if fd.Message().FullName() != "quiver.v1.Expression" {
				collectPlanIDs(v.Message(), depth, out)
			}
		}
		return true
	})
}

// resolveSidePlanIDs resolves df["col"] references in a join condition to the side they were
// taken from. When the DataFrame appears on both sides (a self-join), the nearer copy wins; at
// equal depth the reference is ambiguous, as in Spark.
func resolveSidePlanIDs(c *Converter, e logical.Expr, left, right logical.Plan, leftIDs, rightIDs map[int64]planAtDepth) (logical.Expr, error) {
	return logical.Transform(e, func(x logical.Expr) (logical.Expr, error) {
		u, ok := x.(*logical.UnresolvedAttribute)
		if !ok || u.PlanID == nil {
			return x, nil
		}
		l, inLeft := leftIDs[*u.PlanID]
		r, inRight := rightIDs[*u.PlanID]
		var chosen planAtDepth
		var side logical.Plan
		switch {
		case inLeft && inRight && l.depth == r.depth:
			return nil, errkind.Invalid("column '%s' is ambiguous: its DataFrame is on both sides of the join (a self-join). Give each side an alias (df.alias(\"l\"), then F.col(\"l.%s\")) or derive one side with a new name",
				strings.Join(u.NameParts, "."), strings.Join(u.NameParts, "."))
		case inLeft && (!inRight || l.depth < r.depth):
			chosen, side = l, left
		case inRight:
			chosen, side = r, right
		default:
			return x, nil
		}
		ref, err := c.A.ResolveExpr(&logical.UnresolvedAttribute{NameParts: u.NameParts}, chosen.plan)
		if err != nil {
			return nil, err
		}
		// The plan's column must be visible from the side it came through.
		target := logical.StripAlias(ref)
		if col, ok := target.(*logical.ColumnRef); ok {
			for _, a := range side.Output() {
				if a.AttrID == col.AttrID {
					return a, nil
				}
			}
			return nil, errkind.Invalid("column '%s' of that DataFrame is not in the output of the join's input; select it before joining", strings.Join(u.NameParts, "."))
		}
		return ref, nil
	})
}

func hintRelation(c *Converter, rel *pb.Relation) (logical.Plan, error) {
	h := rel.GetHint()
	input, err := c.input(h.Input)
	if err != nil {
		return nil, err
	}
	switch strings.ToLower(h.Name) {
	case "broadcast", "broadcastjoin", "mapjoin":
		return &logical.BroadcastHint{Input: input}, nil
	}
	// Spark ignores hints it does not know (with a warning); so does Quiver.
	return input, nil
}
