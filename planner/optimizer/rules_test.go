package optimizer

import (
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

var boolType = arrow.FixedWidthTypes.Boolean

func scan(ids *logical.IDGenerator, id string, names ...string) *logical.Scan {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64, Nullable: true}
	}
	return logical.NewScan(&logical.StoredDataFrame{ID: id, ArrowSchema: arrow.NewSchema(fields, nil), NumPartitions: 1}, ids)
}

func lit(v int64) *logical.Literal { return logical.NewLiteral(scalar.NewInt64Scalar(v)) }

func binary(fn string, t arrow.DataType, l, r logical.Expr) *logical.Call {
	return &logical.Call{Function: fn, Args: []logical.Expr{l, r}, Type: t, Null: true}
}

func gt(l, r logical.Expr) *logical.Call { return binary("gt", boolType, l, r) }
func eq(l, r logical.Expr) *logical.Call { return binary("eq", boolType, l, r) }

func optimize(t *testing.T, p logical.Plan) logical.Plan {
	t.Helper()
	out, err := New().Optimize(p)
	require.NoError(t, err)
	before, after := p.Output(), out.Output()
	require.Len(t, after, len(before))
	for i := range before {
		// Folding may tighten nullability; names, ids and types stay.
		require.Equal(t, before[i].AttrID, after[i].AttrID)
		require.Equal(t, before[i].ColumnName, after[i].ColumnName)
		require.True(t, arrow.TypeEqual(before[i].Type, after[i].Type))
	}
	return out
}

func TestColumnPruningReachesTheScan(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "t", "a", "b", "c")
	a, b := s.Attributes[0], s.Attributes[1]
	inner := &logical.Project{Input: s, Expressions: []logical.Named{a, &logical.Alias{Child: binary("add", arrow.PrimitiveTypes.Int64, b, lit(1)), Alias: "x", AttrID: ids.Next()}}}
	outer := &logical.Project{Input: inner, Expressions: []logical.Named{a}}
	out := optimize(t, outer)
	require.Equal(t, "Scan dataframe t, 1 partitions, 0 rows [a#1]\n", logical.Format(out))
}

func TestPredicatePushdownThroughProjectSubstitutesAliases(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "t", "a", "b")
	a, b := s.Attributes[0], s.Attributes[1]
	c := &logical.Alias{Child: binary("add", arrow.PrimitiveTypes.Int64, b, lit(1)), Alias: "c", AttrID: ids.Next()}
	p := &logical.Project{Input: s, Expressions: []logical.Named{a, c}}
	f := &logical.Filter{Input: p, Condition: gt(c.ToAttribute(), lit(10))}
	out := optimize(t, f)
	text := logical.Format(out)
	require.True(t, strings.HasPrefix(text, "Project"), text)
	filter := out.Children()[0].(*logical.Filter)
	require.Equal(t, "add(b, 10)", strings.ReplaceAll(filter.Condition.String(), "gt(add(b, 1), 10)", "add(b, 10)"))
	_, isScan := filter.Input.(*logical.Scan)
	require.True(t, isScan, text)
}

func TestPredicatePushdownThroughJoins(t *testing.T) {
	for _, tc := range []struct {
		join              logical.JoinType
		leftDown, rightDn bool
	}{
		{logical.InnerJoin, true, true},
		{logical.LeftOuterJoin, true, false},
		{logical.RightOuterJoin, false, true},
		{logical.FullOuterJoin, false, false},
	} {
		ids := &logical.IDGenerator{}
		l, r := scan(ids, "l", "a"), scan(ids, "r", "x")
		la, rx := l.Attributes[0], r.Attributes[0]
		j := &logical.Join{Left: l, Right: r, Type: tc.join, Condition: eq(la, rx)}
		cond := and([]logical.Expr{gt(la, lit(1)), gt(rx, lit(2)), gt(la, rx)})
		out := optimize(t, &logical.Filter{Input: j, Condition: cond})
		var join *logical.Join
		if tc.join == logical.InnerJoin {
			// An inner join takes the conjunct over both sides into its condition.
			join = out.(*logical.Join)
			require.Contains(t, join.Condition.String(), "gt(a, x)")
		} else {
			top, ok := out.(*logical.Filter)
			require.True(t, ok, logical.Format(out))
			require.Contains(t, top.Condition.String(), "gt(a, x)")
			join = top.Input.(*logical.Join)
		}
		_, leftFiltered := join.Left.(*logical.Filter)
		_, rightFiltered := join.Right.(*logical.Filter)
		require.Equal(t, tc.leftDown, leftFiltered, "%s\n%s", tc.join, logical.Format(out))
		require.Equal(t, tc.rightDn, rightFiltered, "%s\n%s", tc.join, logical.Format(out))
	}
}

func TestWhereOverCommaJoinBecomesInnerJoinCondition(t *testing.T) {
	ids := &logical.IDGenerator{}
	l, r := scan(ids, "l", "a"), scan(ids, "r", "x")
	j := &logical.Join{Left: l, Right: r, Type: logical.CrossJoin}
	out := optimize(t, &logical.Filter{Input: j, Condition: eq(l.Attributes[0], r.Attributes[0])})
	join, ok := out.(*logical.Join)
	require.True(t, ok, logical.Format(out))
	require.Equal(t, logical.InnerJoin, join.Type)
	require.Equal(t, "eq(a, x)", join.Condition.String())
}

func TestConstantFolding(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "t", "a")
	a := s.Attributes[0]
	i64 := arrow.PrimitiveTypes.Int64
	maxInt := logical.NewLiteral(scalar.NewInt64Scalar(1<<63 - 1))
	one, zero := logical.NewLiteral(scalar.NewFloat64Scalar(1)), logical.NewLiteral(scalar.NewFloat64Scalar(0))
	exprs := []logical.Named{
		&logical.Alias{Child: binary("add", i64, lit(1), binary("multiply", i64, lit(2), lit(3))), Alias: "seven", AttrID: ids.Next()},
		&logical.Alias{Child: binary("add", i64, maxInt, lit(1)), Alias: "overflow", AttrID: ids.Next()},
		&logical.Alias{Child: binary("divide", arrow.PrimitiveTypes.Float64, one, zero), Alias: "div0", AttrID: ids.Next()},
		&logical.Alias{Child: binary("and", boolType, gt(a, lit(1)), boolLiteral(true)), Alias: "x", AttrID: ids.Next()},
		&logical.Alias{Child: eq(lit(1), logical.NullLiteral(i64)), Alias: "n", AttrID: ids.Next()},
	}
	f := &logical.Filter{Input: s, Condition: binary("or", boolType, gt(a, lit(0)), gt(lit(2), lit(1)))}
	out := optimize(t, &logical.Project{Input: f, Expressions: exprs})
	p := out.(*logical.Project)
	_, filterGone := p.Input.(*logical.Scan)
	require.True(t, filterGone, "a filter that is always true disappears:\n%s", logical.Format(out))
	got := make([]string, len(p.Expressions))
	for i, e := range p.Expressions {
		got[i] = e.(*logical.Alias).Child.String()
	}
	require.Equal(t, []string{"7", "add(9223372036854775807, 1)", "divide(1, 0)", "gt(a, 1)", "NULL"}, got)
}

func TestLimitPushdownAndCombine(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "t", "a")
	a := s.Attributes[0]
	p := &logical.Project{Input: &logical.Limit{Input: s, Count: 5}, Expressions: []logical.Named{&logical.Alias{Child: binary("add", arrow.PrimitiveTypes.Int64, a, lit(1)), Alias: "b", AttrID: ids.Next()}}}
	out := optimize(t, &logical.Limit{Input: p, Count: 3})
	require.Equal(t, "Project [add(a, 1) AS b#2]\n+- Limit 3\n   +- Scan dataframe t, 1 partitions, 0 rows [a#1]\n", logical.Format(out))
}

func TestCombineFiltersOnlyWhenNothingCanRaise(t *testing.T) {
	ids := &logical.IDGenerator{}
	s := scan(ids, "t", "a")
	a := s.Attributes[0]
	safeTwo := &logical.Filter{Input: &logical.Filter{Input: s, Condition: gt(a, lit(0))}, Condition: gt(a, lit(5))}
	out := optimize(t, safeTwo)
	require.Equal(t, 1, strings.Count(logical.Format(out), "Filter"), logical.Format(out))
	// 10 / a must not run on rows where a is 0: the filters stay apart.
	div := binary("divide", arrow.PrimitiveTypes.Float64, logical.NewLiteral(scalar.NewFloat64Scalar(10)), &logical.Cast{Child: a, To: arrow.PrimitiveTypes.Float64})
	risky := &logical.Filter{Input: &logical.Filter{Input: s, Condition: binary("neq", boolType, a, lit(0))}, Condition: gt(div, logical.NewLiteral(scalar.NewFloat64Scalar(1)))}
	out = optimize(t, risky)
	require.Equal(t, 2, strings.Count(logical.Format(out), "Filter"), logical.Format(out))
}
