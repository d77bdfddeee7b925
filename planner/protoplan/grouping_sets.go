package protoplan

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/logical"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Grouping sets, rollup and cube are planned as Spark plans them: an Expand emits every input
// row once per grouping set, with the keys outside the set replaced by nulls and the set's
// grouping id in a spark_grouping_id column, and an Aggregate groups the expanded rows by the
// (nullable) keys and the id. Aggregates read the input's columns, passed through the Expand
// unchanged, so sum(a) under rollup(a) sums the real values of a in every set.

// RollupSets are the grouping sets of rollup over n keys: (k1..kn), (k1..kn-1), ..., ().
func RollupSets(n int) [][]int {
	sets := make([][]int, 0, n+1)
	for size := n; size >= 0; size-- {
		set := make([]int, size)
		for i := range set {
			set[i] = i
		}
		sets = append(sets, set)
	}
	return sets
}

// CubeSets are the grouping sets of cube over n keys, every subset, in Spark's order (the full
// set first, the empty set last).
func CubeSets(n int) [][]int {
	sets := make([][]int, 0, 1<<n)
	for mask := 0; mask < 1<<n; mask++ {
		var set []int
		for i := 0; i < n; i++ {
			// Bit n-1-i of mask set means key i is left out (as in the grouping id).
			if mask&(1<<(n-1-i)) == 0 {
				set = append(set, i)
			}
		}
		sets = append(sets, set)
	}
	return sets
}

// maxGroupingKeys bounds the keys of one grouping-sets aggregate: the grouping id is a bigint
// with one bit per key, as in Spark.
const maxGroupingKeys = 64

// GroupingSetsAggregate plans an aggregation over grouping sets. keys are the distinct grouping
// expressions, resolved over input; sets index into keys; outputs are the aggregate's output
// expressions resolved over input (grouping expressions, aggregates, grouping() and
// grouping_id()). It returns the plan and the outputs as rewritten over the Expand: an output
// keeps its name and id, and reads the nulled keys outside aggregate functions.
func (c *Converter) GroupingSetsAggregate(input logical.Plan, keys []logical.Expr, sets [][]int, outputs []logical.Named) (logical.Plan, []logical.Named, error) {
	if len(keys) > maxGroupingKeys {
		return nil, nil, errkind.Invalid("[GROUPING_SIZE_LIMIT_EXCEEDED] grouping sets take at most %d grouping columns, got %d", maxGroupingKeys, len(keys))
	}
	if len(sets) == 0 {
		return nil, nil, errkind.Invalid("GROUPING SETS needs at least one grouping set; use () for the grand total")
	}
	ids := c.A.IDs
	keyAttrs := make([]*logical.ColumnRef, len(keys))
	keyIndex := map[string]int{}
	for i, k := range keys {
		if logical.ContainsAggregate(k) {
			return nil, nil, errkind.Invalid("aggregate functions are not allowed in GROUP BY: '%s'", k.String())
		}
		keyAttrs[i] = &logical.ColumnRef{ColumnName: k.String(), AttrID: ids.Next(), Type: k.DataType(), Null: true}
		keyIndex[logical.ExprKey(k)] = i
	}
	groupingID := &logical.ColumnRef{ColumnName: logical.GroupingIDName, AttrID: ids.Next(), Type: arrow.PrimitiveTypes.Int64}
	inSet := make([][]bool, len(sets))
	for s, set := range sets {
		inSet[s] = make([]bool, len(keys))
		for _, k := range set {
			inSet[s][k] = true
		}
	}
	// groupingCalls are the distinct grouping()/grouping_id() calls: each becomes an Expand
	// column holding its value for the set, and a grouping key (it is constant per set).
	type groupingCall struct {
		attr   *logical.ColumnRef
		values []*logical.Literal
	}
	var groupingCalls []groupingCall
	callAttrs := map[string]*logical.ColumnRef{}
	groupingCallAttr := func(call *logical.Call) (*logical.ColumnRef, error) {
		key := logical.ExprKey(call)
		if attr, ok := callAttrs[key]; ok {
			return attr, nil
		}
		// bits lists the keys the call reads, most significant bit first.
		var bits []int
		if call.Function == "grouping" {
			i, ok := keyIndex[logical.ExprKey(logical.StripAlias(call.Args[0]))]
			if !ok {
				return nil, errkind.Invalid("[GROUPING_COLUMN_MISMATCH] column of grouping (%s) can't be found in grouping columns %s", call.Args[0].String(), logical.JoinExprs(keys, ", "))
			}
			bits = []int{i}
		} else if len(call.Args) == 0 {
			for i := range keys {
				bits = append(bits, i)
			}
		} else {
			matches := len(call.Args) == len(keys)
			for j, arg := range call.Args {
				if matches && logical.ExprKey(logical.StripAlias(arg)) != logical.ExprKey(keys[j]) {
					matches = false
				}
				bits = append(bits, j)
			}
			if !matches {
				return nil, errkind.Invalid("[GROUPING_ID_COLUMN_MISMATCH] columns of grouping_id (%s) do not match grouping columns (%s); pass all of them in order, or none", logical.JoinExprs(call.Args, ", "), logical.JoinExprs(keys, ", "))
			}
		}
		values := make([]*logical.Literal, len(sets))
		for s := range sets {
			var v int64
			for j, k := range bits {
				if !inSet[s][k] {
					v |= 1 << (len(bits) - 1 - j)
				}
			}
			if call.Function == "grouping" {
				values[s] = logical.NewLiteral(scalar.NewInt8Scalar(int8(v)))
			} else {
				values[s] = logical.NewLiteral(scalar.NewInt64Scalar(v))
			}
		}
		attr := &logical.ColumnRef{ColumnName: call.String(), AttrID: ids.Next(), Type: call.Type}
		callAttrs[key] = attr
		groupingCalls = append(groupingCalls, groupingCall{attr: attr, values: values})
		return attr, nil
	}
	// rewrite replaces, outside aggregate functions, the grouping expressions by the nulled keys
	// and grouping calls by their columns; inside, the input's columns stay.
	var rewrite func(e logical.Expr, insideAggregate bool) (logical.Expr, error)
	rewrite = func(e logical.Expr, insideAggregate bool) (logical.Expr, error) {
		if call, ok := e.(*logical.Call); ok && logical.GroupingFunctions[call.Function] {
			if insideAggregate {
				return nil, errkind.Invalid("%s cannot be inside an aggregate function", call.String())
			}
			return groupingCallAttr(call)
		}
		if !insideAggregate {
			if _, isLiteral := e.(*logical.Literal); !isLiteral {
				if i, ok := keyIndex[logical.ExprKey(e)]; ok {
					return keyAttrs[i], nil
				}
			}
		}
		_, isAggregate := e.(*logical.AggregateCall)
		children := e.Children()
		if len(children) == 0 {
			return e, nil
		}
		next := make([]logical.Expr, len(children))
		for i, child := range children {
			var err error
			if next[i], err = rewrite(child, insideAggregate || isAggregate); err != nil {
				return nil, err
			}
		}
		return e.WithChildren(next), nil
	}
	rewritten := make([]logical.Named, len(outputs))
	for i, out := range outputs {
		var body logical.Expr = out
		alias, isAlias := out.(*logical.Alias)
		if isAlias {
			body = alias.Child
		}
		r, err := rewrite(body, false)
		if err != nil {
			return nil, nil, err
		}
		switch {
		case isAlias:
			cp := *alias
			cp.Child = r
			rewritten[i] = &cp
		case r == body:
			rewritten[i] = out
		default:
			// A grouped column keeps its name and id, now reading the nulled key.
			ref := out.(*logical.ColumnRef)
			rewritten[i] = &logical.Alias{Child: r, Alias: ref.ColumnName, AttrID: ref.AttrID, Metadata: ref.Metadata}
		}
	}
	// The Expand passes through the input columns the rewritten outputs still read (inside
	// aggregates), then the keys, the grouping calls, the grouping id and, when a set repeats,
	// the set's position (repeated sets yield repeated rows, as in Spark).
	passthrough := map[logical.ExprID]bool{}
	for _, out := range rewritten {
		for id := range logical.ReferencedIDs(out) {
			passthrough[id] = true
		}
	}
	needed := map[logical.ExprID]bool{}
	for id := range passthrough {
		needed[id] = true
	}
	for _, k := range keys {
		for id := range logical.ReferencedIDs(k) {
			needed[id] = true
		}
	}
	var passed, read []*logical.ColumnRef
	for _, attr := range input.Output() {
		if passthrough[attr.AttrID] {
			passed = append(passed, attr)
		}
		if needed[attr.AttrID] {
			read = append(read, attr)
		}
	}
	repeated := false
	seen := map[string]bool{}
	for _, set := range sets {
		sorted := slices.Clone(set)
		slices.Sort(sorted)
		key := fmt.Sprint(sorted)
		repeated = repeated || seen[key]
		seen[key] = true
	}
	attributes := append([]*logical.ColumnRef(nil), passed...)
	attributes = append(attributes, keyAttrs...)
	grouping := make([]logical.Expr, 0, len(keys)+len(groupingCalls)+2)
	for _, k := range keyAttrs {
		grouping = append(grouping, k)
	}
	for _, g := range groupingCalls {
		attributes = append(attributes, g.attr)
		grouping = append(grouping, g.attr)
	}
	attributes = append(attributes, groupingID)
	grouping = append(grouping, groupingID)
	var position *logical.ColumnRef
	if repeated {
		position = &logical.ColumnRef{ColumnName: "_gen_grouping_pos", AttrID: ids.Next(), Type: arrow.PrimitiveTypes.Int32}
		attributes = append(attributes, position)
		grouping = append(grouping, position)
	}
	projections := make([][]logical.Expr, len(sets))
	for s := range sets {
		list := make([]logical.Expr, 0, len(attributes))
		for _, attr := range passed {
			list = append(list, attr)
		}
		var id int64
		for i, k := range keys {
			if inSet[s][i] {
				list = append(list, k)
			} else {
				list = append(list, logical.NullLiteral(k.DataType()))
				id |= 1 << (len(keys) - 1 - i)
			}
		}
		for _, g := range groupingCalls {
			list = append(list, g.values[s])
		}
		list = append(list, logical.NewLiteral(scalar.NewInt64Scalar(id)))
		if position != nil {
			list = append(list, logical.NewLiteral(scalar.NewInt32Scalar(int32(s))))
		}
		projections[s] = list
	}
	// A projection of the columns read lets column pruning narrow the input below the Expand.
	expandInput := input
	if len(read) > 0 && len(read) < len(input.Output()) {
		expandInput = &logical.Project{Input: input, Expressions: attrsAsNamed(read)}
	}
	expand := &logical.Expand{Input: expandInput, Projections: projections, Attributes: attributes}
	for _, out := range rewritten {
		if err := checkAggregateOutput(out, grouping); err != nil {
			return nil, nil, err
		}
	}
	return &logical.Aggregate{Input: expand, Grouping: grouping, Aggregates: rewritten}, rewritten, nil
}

func attrsAsNamed(attrs []*logical.ColumnRef) []logical.Named {
	out := make([]logical.Named, len(attrs))
	for i, a := range attrs {
		out[i] = a
	}
	return out
}

// RejectGroupingCalls fails on grouping()/grouping_id() in a plain aggregation, as Spark does.
func RejectGroupingCalls(outputs []logical.Named) error {
	for _, out := range outputs {
		var found logical.Expr
		logical.Walk(out, func(x logical.Expr) bool {
			if call, ok := x.(*logical.Call); ok && logical.GroupingFunctions[call.Function] && found == nil {
				found = call
			}
			return found == nil
		})
		if found != nil {
			return errkind.Invalid("[UNSUPPORTED_GROUPING_EXPRESSION] %s can only be used with GroupingSets/Cube/Rollup; group with rollup, cube or grouping sets, or drop it", found.String())
		}
	}
	return nil
}

// GroupingKeyList dedupes grouping expressions (resolved) by what they compute, returning the
// distinct keys and, for each input expression, its key's index.
func GroupingKeyList(expressions []logical.Expr) ([]logical.Expr, []int) {
	var keys []logical.Expr
	index := map[string]int{}
	positions := make([]int, len(expressions))
	for i, e := range expressions {
		key := logical.ExprKey(e)
		k, ok := index[key]
		if !ok {
			k = len(keys)
			index[key] = k
			keys = append(keys, e)
		}
		positions[i] = k
	}
	return keys, positions
}

// groupingSetsRelation plans df.rollup(...), df.cube(...) and df.groupingSets(sets, ...).agg:
// the output is the grouping columns, then the aggregates, as for groupBy.
func (c *Converter) groupingSetsRelation(input logical.Plan, groupType pb.Aggregate_GroupType, grouping, aggregates []logical.Expr, groupingSets []*pb.Aggregate_GroupingSets) (logical.Plan, error) {
	groupNamed, err := c.A.ResolveNamedList(grouping, input)
	if err != nil {
		return nil, err
	}
	expressions := make([]logical.Expr, len(groupNamed))
	for i, g := range groupNamed {
		expressions[i] = logical.StripAlias(g)
	}
	var setExpressions [][]logical.Expr
	if groupType == pb.Aggregate_GROUP_TYPE_GROUPING_SETS {
		for _, set := range groupingSets {
			converted, err := c.Expressions(set.GroupingSet)
			if err != nil {
				return nil, err
			}
			resolved := make([]logical.Expr, len(converted))
			for i, e := range converted {
				r, err := c.A.ResolveExpr(e, input)
				if err != nil {
					return nil, err
				}
				resolved[i] = logical.StripAlias(r)
			}
			setExpressions = append(setExpressions, resolved)
		}
	}
	all := append([]logical.Expr(nil), expressions...)
	for _, set := range setExpressions {
		all = append(all, set...)
	}
	keys, positions := GroupingKeyList(all)
	var sets [][]int
	switch groupType {
	case pb.Aggregate_GROUP_TYPE_ROLLUP, pb.Aggregate_GROUP_TYPE_CUBE:
		// Repeated columns (rollup("a", "a")) are one key.
		distinct := dedupeInts(positions[:len(expressions)])
		generated := RollupSets(len(distinct))
		if groupType == pb.Aggregate_GROUP_TYPE_CUBE {
			generated = CubeSets(len(distinct))
		}
		for _, set := range generated {
			mapped := make([]int, len(set))
			for i, k := range set {
				mapped[i] = distinct[k]
			}
			sets = append(sets, mapped)
		}
	default:
		offset := len(expressions)
		for _, set := range setExpressions {
			sets = append(sets, dedupeInts(positions[offset:offset+len(set)]))
			offset += len(set)
		}
	}
	aggNamed, err := c.A.ResolveNamedList(aggregates, input)
	if err != nil {
		return nil, err
	}
	outputs := append(append([]logical.Named(nil), groupNamed...), aggNamed...)
	build := func(computed []logical.Named) (logical.Plan, error) {
		plan, _, err := c.GroupingSetsAggregate(input, keys, sets, computed)
		return plan, err
	}
	if p, ok, err := c.aggregateWithWindows(keys, outputs, build); ok || err != nil {
		return p, err // rollup("k").agg(F.expr("rank() OVER (ORDER BY sum(x))")): aggregate_window.go
	}
	return build(outputs)
}

func dedupeInts(values []int) []int {
	var out []int
	for _, v := range values {
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
