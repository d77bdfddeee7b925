package physical

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
)

// JoinSide names one input of a join.
type JoinSide int

const (
	BuildRight JoinSide = iota
	BuildLeft
)

// HashJoin joins Left and Right: it builds a hash table of the build side's rows on the key
// columns and probes it with the other side's batches. Without keys every build row is a
// candidate for every probe row (a nested-loop join, for cross and non-equi joins).
//
// Broadcast: every task reads the whole build side (all its partitions) and probes with one
// partition of the other side; the output has the probe side's partitions. Otherwise both sides
// are partitioned alike on the keys (hash exchanges, or one partition each) and task i joins
// partition i of both.
type HashJoin struct {
	Left, Right Node
	Type        logical.JoinType
	// LeftKeys and RightKeys are the equi-join keys, bound to each side's schema.
	LeftKeys, RightKeys []logical.Expr
	// NullSafe[i] says key i was written with <=>: null keys match each other.
	NullSafe []bool
	// Condition is the rest of the join condition, bound to the schema left ++ right.
	Condition logical.Expr
	Build     JoinSide
	Broadcast bool
	// AdaptiveThreshold, when positive, lets the scheduler turn this shuffled join into a
	// broadcast join once its build side's stage has run and written at most this many bytes
	// (Spark's adaptive execution does the same): the probe side's stage is then skipped and
	// its input read in place (StagePlan.AdaptiveJoins).
	AdaptiveThreshold int64
	OutSchema         *arrow.Schema
}

func (j *HashJoin) Schema() *arrow.Schema { return j.OutSchema }
func (j *HashJoin) Children() []Node      { return []Node{j.Left, j.Right} }

// ProbeNode is the side whose batches stream through the join.
func (j *HashJoin) ProbeNode() Node {
	if j.Build == BuildLeft {
		return j.Right
	}
	return j.Left
}

// BuildNode is the side held in the hash table.
func (j *HashJoin) BuildNode() Node {
	if j.Build == BuildLeft {
		return j.Left
	}
	return j.Right
}

func (j *HashJoin) NumPartitions() int {
	if j.Broadcast {
		return j.ProbeNode().NumPartitions()
	}
	return j.Left.NumPartitions()
}

func (j *HashJoin) Describe() string {
	kind := "ShuffledHashJoin"
	if len(j.LeftKeys) == 0 {
		kind = "NestedLoopJoin"
		if j.Broadcast {
			kind = "BroadcastNestedLoopJoin"
		}
	} else if j.Broadcast {
		kind = "BroadcastHashJoin"
	}
	side := "BuildRight"
	if j.Build == BuildLeft {
		side = "BuildLeft"
	}
	out := fmt.Sprintf("%s [%s], [%s], %s, %s", kind, logical.JoinExprs(j.LeftKeys, ", "), logical.JoinExprs(j.RightKeys, ", "), j.Type, side)
	if j.Condition != nil {
		out += ", " + j.Condition.String()
	}
	if j.AdaptiveThreshold > 0 && !j.Broadcast {
		out += ", broadcast if the build side is at most " + formatThreshold(j.AdaptiveThreshold)
	}
	return out
}

func formatThreshold(bytes int64) string {
	if bytes%(1<<20) == 0 {
		return fmt.Sprintf("%dMiB", bytes>>20)
	}
	return fmt.Sprintf("%dB", bytes)
}

// DefaultBroadcastThreshold is spark.sql.autoBroadcastJoinThreshold's default: the estimated
// size in bytes up to which a join side is broadcast.
const DefaultBroadcastThreshold int64 = 10 << 20

// ExchangeAvailable reports whether the executor runs Exchange nodes; until it does, plans that
// need a shuffle gather their input into one partition instead (a valid hash and range
// partitioning of one). exec sets it.
var ExchangeAvailable = func() bool { return false }

func init() {
	RegisterLowering(&logical.Join{}, lowerJoin)
	RegisterLowering(&logical.BroadcastHint{}, func(p *Planner, n logical.Plan) (Node, error) {
		return p.Plan(n.(*logical.BroadcastHint).Input)
	})
}

func lowerJoin(p *Planner, n logical.Plan) (Node, error) {
	j := n.(*logical.Join)
	left, err := p.Plan(j.Left)
	if err != nil {
		return nil, err
	}
	right, err := p.Plan(j.Right)
	if err != nil {
		return nil, err
	}
	leftAttrs, rightAttrs := j.Left.Output(), j.Right.Output()
	leftIDs, rightIDs := idSet(leftAttrs), idSet(rightAttrs)
	var leftKeys, rightKeys, residual []logical.Expr
	var nullSafe []bool
	for _, c := range logical.SplitConjuncts(j.Condition) {
		if call, ok := c.(*logical.Call); ok && (call.Function == "eq" || call.Function == "eq_null_safe") && len(call.Args) == 2 {
			a, b := call.Args[0], call.Args[1]
			ra, rb := logical.ReferencedIDs(a), logical.ReferencedIDs(b)
			switch {
			case len(ra) > 0 && len(rb) > 0 && subset(ra, leftIDs) && subset(rb, rightIDs):
			case len(ra) > 0 && len(rb) > 0 && subset(ra, rightIDs) && subset(rb, leftIDs):
				a, b = b, a
			default:
				residual = append(residual, c)
				continue
			}
			la, err := Bind(a, leftAttrs)
			if err != nil {
				return nil, err
			}
			rb2, err := Bind(b, rightAttrs)
			if err != nil {
				return nil, err
			}
			leftKeys, rightKeys = append(leftKeys, la), append(rightKeys, rb2)
			nullSafe = append(nullSafe, call.Function == "eq_null_safe")
			continue
		}
		residual = append(residual, c)
	}
	var cond logical.Expr
	if len(residual) > 0 {
		all := append(append([]*logical.ColumnRef(nil), leftAttrs...), rightAttrs...)
		cond = residual[0]
		for _, r := range residual[1:] {
			cond = &logical.Call{Function: "and", Args: []logical.Expr{cond, r}, Type: arrow.FixedWidthTypes.Boolean, Null: true,
				Display: fmt.Sprintf("(%s AND %s)", cond.String(), r.String())}
		}
		if cond, err = Bind(cond, all); err != nil {
			return nil, err
		}
	}
	out := &HashJoin{Left: left, Right: right, Type: j.Type, LeftKeys: leftKeys, RightKeys: rightKeys, NullSafe: nullSafe,
		Condition: cond, OutSchema: logical.OutputSchema(j)}

	leftSize, leftHint := EstimateSize(j.Left)
	rightSize, rightHint := EstimateSize(j.Right)
	threshold := p.broadcastThreshold()
	canBroadcastLeft := leftHint || (threshold >= 0 && leftSize <= threshold)
	canBroadcastRight := rightHint || (threshold >= 0 && rightSize <= threshold)
	switch j.Type {
	case logical.InnerJoin, logical.CrossJoin:
		switch {
		case leftHint && !rightHint:
			out.Build, out.Broadcast = BuildLeft, true
		case rightHint && !leftHint:
			out.Build, out.Broadcast = BuildRight, true
		case canBroadcastLeft && leftSize < rightSize:
			out.Build, out.Broadcast = BuildLeft, true
		case canBroadcastRight:
			out.Build, out.Broadcast = BuildRight, true
		case leftSize < rightSize:
			out.Build = BuildLeft
		}
	case logical.LeftOuterJoin, logical.LeftSemiJoin, logical.LeftAntiJoin:
		out.Build, out.Broadcast = BuildRight, canBroadcastRight
	case logical.RightOuterJoin:
		out.Build, out.Broadcast = BuildLeft, canBroadcastLeft
	case logical.FullOuterJoin:
		// Unmatched rows of both sides are emitted, so neither side can be broadcast.
		out.Build = BuildRight
		if leftSize < rightSize {
			out.Build = BuildLeft
		}
	default:
		return nil, errkind.Internal("unknown join type %v", j.Type)
	}
	if out.Broadcast {
		if ExchangeAvailable() {
			// The build side runs once, as its own stage, instead of once per probe task, and
			// the executor indexes it once for all probe tasks.
			b := &Exchange{Input: out.BuildNode(), Partitioning: Partitioning{Kind: BroadcastPartitioning, NumPartitions: 1}}
			if out.Build == BuildLeft {
				out.Left = b
			} else {
				out.Right = b
			}
		}
		return out, nil
	}
	// Partitioned join: equal keys must meet in the same task.
	if len(leftKeys) > 0 && ExchangeAvailable() {
		parts := max(p.DefaultParallelism, 1)
		out.Left = HashDistribute(left, leftKeys, parts)
		out.Right = HashDistribute(right, rightKeys, parts)
		leftGuess, rightGuess := EstimateIsGuess(j.Left), EstimateIsGuess(j.Right)
		if j.Type == logical.InnerJoin && leftGuess != rightGuess {
			// Build from the side whose size is a guess: it is the one that may turn out
			// small enough to broadcast (the scheduler still builds from the side that wrote
			// fewer bytes when both are shuffled).
			out.Build = BuildRight
			if leftGuess {
				out.Build = BuildLeft
			}
		}
		if (j.Type == logical.LeftSemiJoin || j.Type == logical.LeftAntiJoin) && !p.AdaptiveDisabled && threshold > 0 {
			// A semi or anti join may broadcast its left (tested) side instead, when that is
			// the side that may turn out small: the right side is then read in place and never
			// shuffled (TPC-H Q21's EXISTS and NOT EXISTS test 75,000 lineitems against all
			// 6 M). The scheduler converts it only where each task runs once, so that the
			// tasks' shared marks emit each left row once (AdaptiveJoin.LeftBuildAllowed).
			leftChance := leftGuess || leftSize/adaptiveEstimateFactor <= threshold
			rightChance := rightGuess || rightSize/adaptiveEstimateFactor <= threshold
			if leftChance && (!rightChance || leftSize < rightSize) {
				out.Build = BuildLeft
			}
		}
		buildSize, buildGuess := rightSize, rightGuess
		if out.Build == BuildLeft {
			buildSize, buildGuess = leftSize, leftGuess
		}
		if !p.AdaptiveDisabled && threshold > 0 && canBroadcastBuildSide(out) && (buildGuess || buildSize/adaptiveEstimateFactor <= threshold) {
			out.AdaptiveThreshold = threshold
		}
		return out, nil
	}
	out.Left, out.Right = SinglePartition(left), SinglePartition(right)
	return out, nil
}

// adaptiveEstimateFactor bounds the build sides that may still turn out small enough to
// broadcast: estimated at most this many times the threshold. The probe side's stage waits for
// the build side's (a task slot may idle meanwhile), which is only worth it when the build side
// has a chance (TPC-H Q5's customer-orders join: estimated 1.5 times the threshold, 0.7 times
// at run time; Q10's: estimated 6 times, still 1.1 times at run time). A build side whose
// estimate is a guess (EstimateIsGuess) always has that chance.
const adaptiveEstimateFactor = 4

// canBroadcastBuildSide reports whether the join's answer stays the same with its build side
// broadcast: no unmatched build rows have to be emitted, or (semi and anti joins building their
// left side) the executor's tasks share the marks that decide which build rows are emitted.
func canBroadcastBuildSide(j *HashJoin) bool {
	switch j.Type {
	case logical.InnerJoin, logical.CrossJoin, logical.LeftSemiJoin, logical.LeftAntiJoin:
		return true
	case logical.LeftOuterJoin:
		return j.Build == BuildRight
	case logical.RightOuterJoin:
		return j.Build == BuildLeft
	}
	return false
}

// HashDistribute repartitions node on keys (bound to its schema) into n partitions.
func HashDistribute(node Node, keys []logical.Expr, n int) Node {
	if !ExchangeAvailable() {
		return SinglePartition(node)
	}
	return &Exchange{Input: node, Partitioning: Partitioning{Kind: HashPartitioning, NumPartitions: n, Keys: keys}}
}

// SinglePartition gathers node's partitions into one (no-op when it has one).
func SinglePartition(node Node) Node {
	if node.NumPartitions() == 1 {
		return node
	}
	if ExchangeAvailable() {
		return &Exchange{Input: node, Partitioning: Partitioning{Kind: SinglePartitioning, NumPartitions: 1}}
	}
	return &CoalescePartitions{Input: node}
}

func idSet(attrs []*logical.ColumnRef) map[logical.ExprID]bool {
	out := make(map[logical.ExprID]bool, len(attrs))
	for _, a := range attrs {
		out[a.AttrID] = true
	}
	return out
}

func subset(a, b map[logical.ExprID]bool) bool {
	for id := range a {
		if !b[id] {
			return false
		}
	}
	return true
}

func rowWidth(attrs []*logical.ColumnRef) int64 {
	var w int64
	for _, a := range attrs {
		if fw, ok := a.Type.(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 {
			w += int64(fw.BitWidth() / 8)
		} else {
			w += 20
		}
	}
	return max(w, 1)
}
