package optimizer

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

// A LEFT JOIN keeps every left row whatever its condition says about the left side, so only the
// right side's conjuncts may become a filter below it (Spark's PushPredicateThroughJoin).
func TestJoinConditionConjunctsMoveToTheSideTheJoinTypeAllows(t *testing.T) {
	cases := []struct {
		joinType    logical.JoinType
		left, right bool // whether the left-only and the right-only conjunct move
	}{
		{logical.InnerJoin, true, true},
		{logical.LeftSemiJoin, true, true},
		{logical.LeftOuterJoin, false, true},
		{logical.LeftAntiJoin, false, true},
		{logical.RightOuterJoin, true, false},
		{logical.FullOuterJoin, false, false},
	}
	for _, c := range cases {
		t.Run(c.joinType.String(), func(t *testing.T) {
			ids := &logical.IDGenerator{}
			l, r := scan(ids, "l", "a", "b"), scan(ids, "r", "c", "d")
			a, b, cc, d := l.Attributes[0], l.Attributes[1], r.Attributes[0], r.Attributes[1]
			condition := and([]logical.Expr{eq(a, cc), gt(b, lit(1)), gt(d, lit(2))})
			join := &logical.Join{Left: l, Right: r, Type: c.joinType, Condition: condition}
			out, changed, err := pushDownJoinConditions{}.Apply(join)
			require.NoError(t, err)
			require.Equal(t, c.left || c.right, changed)
			j := out.(*logical.Join)
			_, leftFiltered := j.Left.(*logical.Filter)
			_, rightFiltered := j.Right.(*logical.Filter)
			require.Equal(t, c.left, leftFiltered, "%s", logical.Format(out))
			require.Equal(t, c.right, rightFiltered, "%s", logical.Format(out))
			kept := len(splitConjuncts(j.Condition))
			want := 3
			if c.left {
				want--
			}
			if c.right {
				want--
			}
			require.Equal(t, want, kept, "%s", logical.Format(out))
		})
	}
}
