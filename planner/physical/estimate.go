package physical

import (
	"math"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/planner/logical"
)

// Size estimates for choosing broadcast joins (docs/decisions/0012-join-size-estimates.md).
//
// A plan's size is its estimated rows times its row width. Rows come from the sources (stored
// DataFrames know theirs, Parquet footers give each row group's, row groups the scan's filters
// rule out are not counted) and shrink through filters by fixed selectivities per predicate
// kind, as DuckDB's and Spark's cost-based estimates do without column statistics. An equi-join
// is estimated as a key/foreign-key join: each row of one side meets at most one row of the
// other, which survived that side's filters with that side's selectivity. Without these,
// every file scan counted as unknown (huge) and TPC-H joined a 30,000-row filtered customer
// table by shuffling both sides.

const (
	// unknownSize is the size of plans nothing is known about: never broadcast.
	unknownSize = int64(1) << 50
	// equalitySelectivity is the fraction of rows an equality with a literal keeps (DuckDB's).
	equalitySelectivity = 0.2
	// rangeSelectivity is the fraction a one-sided comparison keeps.
	rangeSelectivity = 0.5
	// otherSelectivity is the fraction any other predicate keeps.
	otherSelectivity = 0.5
)

// sizeEstimate is what the estimator knows about a plan's output.
type sizeEstimate struct {
	rows float64
	// selectivity is the fraction of the source rows below that survive the plan's filters
	// and joins (1 for an unfiltered scan).
	selectivity float64
	known       bool
	hint        bool
	// aggregated marks an output of a grouped aggregate; guess marks an estimate that filters
	// such an output (a HAVING, TPC-H Q18's sum(l_quantity) > 300). No statistics say how many
	// groups a predicate on an aggregate keeps: Q18 keeps 57 of 1.5 M orders, the model a third.
	aggregated bool
	guess      bool
}

// EstimateIsGuess reports whether the plan's size estimate rests on a predicate over aggregated
// values, which the model cannot judge: the real size may be any fraction of the estimate.
func EstimateIsGuess(p logical.Plan) bool {
	return estimate(p).guess
}

// EstimateSize estimates the bytes a logical plan produces, for choosing broadcast joins, and
// reports whether the plan carries a broadcast hint. Unknown sizes are large.
func EstimateSize(p logical.Plan) (int64, bool) {
	e := estimate(p)
	if !e.known {
		return unknownSize, e.hint
	}
	bytes := e.rows * float64(rowWidth(p.Output()))
	if bytes >= float64(unknownSize) {
		return unknownSize, e.hint
	}
	return int64(math.Ceil(bytes)), e.hint
}

func estimate(p logical.Plan) sizeEstimate {
	switch n := p.(type) {
	case *logical.BroadcastHint:
		e := estimate(n.Input)
		e.hint = true
		return e
	case *logical.Scan:
		return estimateScan(n)
	case *logical.Range:
		return sizeEstimate{rows: float64(n.Count()), selectivity: 1, known: true}
	case *logical.Filter:
		e := estimate(n.Input)
		s := predicateSelectivity(n.Condition)
		e.rows *= s
		e.selectivity *= s
		e.guess = e.guess || e.aggregated
		return e
	case *logical.Join:
		return estimateJoin(n)
	case *logical.Aggregate:
		e := estimate(n.Input)
		if len(n.Grouping) == 0 {
			e.rows = 1
		}
		e.hint = false
		e.aggregated = len(n.Grouping) > 0
		return e
	case *logical.Limit:
		e := estimate(n.Input)
		if n.Count >= 0 {
			e.rows = min(e.rows, float64(n.Count))
			e.known = true
		}
		return e
	case *logical.Sample:
		e := estimate(n.Input)
		if !n.WithReplacement {
			fraction := max(n.UpperBound-n.LowerBound, 0)
			e.rows *= fraction
			e.selectivity *= fraction
		}
		return e
	case *logical.Union:
		out := sizeEstimate{selectivity: 1, known: true}
		for _, in := range n.Inputs {
			e := estimate(in)
			out.rows += e.rows
			out.known = out.known && e.known
		}
		return out
	}
	children := p.Children()
	if len(children) == 1 {
		// Projects, sorts, windows and the like keep their input's rows.
		return estimate(children[0])
	}
	return sizeEstimate{}
}

// estimateScan counts a source's rows: Parquet row groups the scan's filters cannot rule out,
// stored DataFrames' rows, or text files' bytes over the width of a row.
func estimateScan(s *logical.Scan) sizeEstimate {
	switch src := s.Source.(type) {
	case *logical.StoredDataFrame:
		return sizeEstimate{rows: float64(src.NumRows), selectivity: 1, known: true}
	case *arrowio.Dataset:
		if src.Format != arrowio.FormatParquet {
			return sizeEstimate{rows: float64(src.TotalBytes()) / float64(rowWidth(s.Attributes)), selectivity: 1, known: true}
		}
		var total, kept int64
		for _, f := range src.Files {
			for _, g := range f.RowGroups {
				total += g.NumRows
			}
		}
		kept = total
		if pushed := scanPredicate(s); pushed != nil {
			if splits, _, err := src.PlanSplits(1, pushed); err == nil {
				kept = 0
				for _, partition := range splits {
					for _, split := range partition {
						kept += src.Rows(split)
					}
				}
			}
		}
		selectivity := 1.0
		if total > 0 {
			selectivity = float64(kept) / float64(total)
		}
		return sizeEstimate{rows: float64(kept), selectivity: selectivity, known: true}
	}
	return sizeEstimate{}
}

// scanPredicate is the file predicate of a scan's pushed filters (nil without any).
func scanPredicate(s *logical.Scan) *arrowio.Predicate {
	var conjuncts []*arrowio.Predicate
	for _, f := range s.Filters {
		if pred := FilePredicate(f, s.Attributes); pred != nil {
			conjuncts = append(conjuncts, pred)
		}
	}
	switch len(conjuncts) {
	case 0:
		return nil
	case 1:
		return conjuncts[0]
	}
	return &arrowio.Predicate{Op: "and", Children: conjuncts}
}

func estimateJoin(j *logical.Join) sizeEstimate {
	l, r := estimate(j.Left), estimate(j.Right)
	out := sizeEstimate{known: l.known && r.known, selectivity: l.selectivity * r.selectivity}
	switch j.Type {
	case logical.InnerJoin, logical.LeftSemiJoin, logical.CrossJoin:
		// These joins keep at most the rows both inputs let through, so a guessed side makes
		// the output a guess too; outer and anti joins keep rows the guess does not bound.
		out.guess = l.guess || r.guess
	}
	if !out.known {
		if (j.Type == logical.LeftSemiJoin || j.Type == logical.LeftAntiJoin) && l.known {
			return sizeEstimate{rows: l.rows, selectivity: l.selectivity, known: true}
		}
		return sizeEstimate{}
	}
	var inner float64
	if j.Condition == nil || !hasEquality(j.Condition) {
		inner = l.rows * r.rows
		if j.Condition != nil {
			inner *= otherSelectivity
		}
	} else {
		// Key/foreign-key: a row of either side meets at most one row of the other, present
		// with the other side's selectivity.
		inner = max(l.rows*r.selectivity, r.rows*l.selectivity)
	}
	switch j.Type {
	case logical.LeftSemiJoin, logical.LeftAntiJoin:
		out.rows, out.selectivity = l.rows, l.selectivity
	case logical.LeftOuterJoin:
		out.rows = max(inner, l.rows)
	case logical.RightOuterJoin:
		out.rows = max(inner, r.rows)
	case logical.FullOuterJoin:
		out.rows = max(inner, l.rows+r.rows)
	default:
		out.rows = inner
	}
	return out
}

func hasEquality(e logical.Expr) bool {
	for _, c := range logical.SplitConjuncts(e) {
		if call, ok := c.(*logical.Call); ok && (call.Function == "eq" || call.Function == "eq_null_safe") {
			return true
		}
	}
	return false
}

// predicateSelectivity is the fraction of rows a predicate is assumed to keep.
func predicateSelectivity(e logical.Expr) float64 {
	call, ok := e.(*logical.Call)
	if !ok {
		return otherSelectivity
	}
	switch call.Function {
	case "and":
		s := 1.0
		for _, a := range call.Args {
			s *= predicateSelectivity(a)
		}
		return s
	case "or":
		s := 0.0
		for _, a := range call.Args {
			s += predicateSelectivity(a)
		}
		return min(s, 1)
	case "not":
		if len(call.Args) == 1 {
			return max(1-predicateSelectivity(call.Args[0]), otherSelectivity*equalitySelectivity)
		}
	case "isnotnull":
		return 1
	case "eq", "eq_null_safe":
		return equalitySelectivity
	case "lt", "lte", "gt", "gte":
		return rangeSelectivity
	case "in":
		return min(1, equalitySelectivity*float64(max(len(call.Args)-1, 1)))
	}
	return otherSelectivity
}
