package exec_test

import (
	"cmp"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/exec/exectest"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/physical"
)

// windowFrameCase is a frame and how to find its rows in a partition sorted by the order key:
// the inclusive row range of row i of n (lo > hi is empty).
type windowFrameCase struct {
	name  string
	frame *logical.WindowFrame
	rows  func(i, n int) (lo, hi int)
}

var accumulatedFrames = []windowFrameCase{
	{"running", rowsFrame(nil, offset(0)), func(i, n int) (int, int) { return 0, i }},
	{"sliding", rowsFrame(offset(-37), offset(5)), func(i, n int) (int, int) { return max(0, i-37), min(n-1, i+5) }},
	{"ahead", rowsFrame(offset(2), offset(4)), func(i, n int) (int, int) { return i + 2, min(n-1, i+4) }},
	{"to the end", rowsFrame(offset(-3), nil), func(i, n int) (int, int) { return max(0, i-3), n - 1 }},
	{"whole partition", rowsFrame(nil, nil), func(i, n int) (int, int) { return 0, n - 1 }},
}

// TestWindowAccumulatedFrames runs collect_list, whose answer shows every row of the frame in
// order, and bit_xor over frames that grow, slide, run ahead into empty frames at the
// partition's end, and cover it whole. Partitions of up to 200 rows take frames through several
// levels of block states. The reference walks each frame's rows in plain Go.
func TestWindowAccumulatedFrames(t *testing.T) {
	var p0, p1 exectest.Rows
	for i := 0; i < 600; i++ {
		var k any = int64(i % 3)
		if i%97 == 0 {
			k = nil
		}
		row := []any{k, int64((i * 7919) % 600), int64(i%50 - 17)}
		if i%2 == 0 {
			p0 = append(p0, row)
		} else {
			p1 = append(p1, row)
		}
	}
	in := exectest.Table{Schema: windowSchema, Partitions: []exectest.Rows{p0, p1}}
	k, tt, v := exectest.Col(windowSchema, 0), exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
	listType := arrow.ListOf(arrow.PrimitiveTypes.Int64)
	var functions []*logical.WindowExpr
	fields := append([]arrow.Field(nil), windowSchema.Fields()...)
	for _, fc := range accumulatedFrames {
		functions = append(functions,
			&logical.WindowExpr{Function: &logical.AggregateCall{Function: "collect_list", Args: []logical.Expr{v}, Type: listType}, Frame: fc.frame},
			&logical.WindowExpr{Function: &logical.AggregateCall{Function: "bit_xor", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true}, Frame: fc.frame})
		fields = append(fields, arrow.Field{Name: "list " + fc.name, Type: listType},
			arrow.Field{Name: "xor " + fc.name, Type: arrow.PrimitiveTypes.Int64, Nullable: true})
	}
	out := arrow.NewSchema(fields, nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			sorted := &physical.Sort{Input: &physical.CoalescePartitions{Input: s[0]}, Order: []*logical.SortOrder{{Child: k}, {Child: tt}}}
			return &physical.Window{Input: sorted, PartitionSpec: []logical.Expr{k}, OrderSpec: []*logical.SortOrder{{Child: tt}},
				Functions: functions, OutSchema: out}
		},
		Ordered: true,
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			// In the window's order (null keys first), so the rows compare in order: comparing
			// lists as multisets would take most of the test's time.
			groups := map[any][][]any{}
			for _, r := range in[0].AllRows() {
				groups[r[0]] = append(groups[r[0]], r)
			}
			var res exectest.Rows
			for _, key := range []any{nil, int64(0), int64(1), int64(2)} {
				rows := groups[key]
				slices.SortFunc(rows, func(a, b []any) int { return cmp.Compare(asInt64(a[1]), asInt64(b[1])) })
				for i, r := range rows {
					row := append([]any{}, r...)
					for _, fc := range accumulatedFrames {
						lo, hi := fc.rows(i, len(rows))
						list := []any{}
						var xor any
						for j := lo; j <= hi; j++ {
							if rows[j][2] == nil {
								continue
							}
							list = append(list, rows[j][2])
							if xor == nil {
								xor = int64(0)
							}
							xor = xor.(int64) ^ asInt64(rows[j][2])
						}
						row = append(row, list, xor)
					}
					res = append(res, row)
				}
			}
			return res, nil
		},
	})
}

// TestWindowAccumulatedPeers runs bit_xor over RANGE frames, whose rows are whole peer groups
// (rows with equal order keys): the running frame reaches the row's last peer, and CURRENT ROW
// alone is the peer group, frames that do not overlap.
func TestWindowAccumulatedPeers(t *testing.T) {
	var rows exectest.Rows
	for i := 0; i < 300; i++ {
		rows = append(rows, []any{int64(i % 2), int64((i * 31) % 300 / 4), int64(i*i%1000 - 300)})
	}
	in := exectest.Table{Schema: windowSchema, Partitions: []exectest.Rows{rows}}
	k, tt, v := exectest.Col(windowSchema, 0), exectest.Col(windowSchema, 1), exectest.Col(windowSchema, 2)
	xor := func(frame *logical.WindowFrame) *logical.WindowExpr {
		return &logical.WindowExpr{Function: &logical.AggregateCall{Function: "bit_xor", Args: []logical.Expr{v}, Type: arrow.PrimitiveTypes.Int64, Null: true}, Frame: frame}
	}
	peers := &logical.WindowFrame{Type: logical.RangeFrame}
	out := arrow.NewSchema(append(append([]arrow.Field(nil), windowSchema.Fields()...),
		arrow.Field{Name: "running", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		arrow.Field{Name: "peers", Type: arrow.PrimitiveTypes.Int64, Nullable: true}), nil)
	exectest.RunPlan(t, exectest.PlanTest{
		Inputs: []exectest.Table{in},
		Plan: func(s []*exectest.Source) physical.Node {
			sorted := &physical.Sort{Input: s[0], Order: []*logical.SortOrder{{Child: k}, {Child: tt}}}
			return &physical.Window{Input: sorted, PartitionSpec: []logical.Expr{k}, OrderSpec: []*logical.SortOrder{{Child: tt}},
				Functions: []*logical.WindowExpr{xor(logical.DefaultFrame(true)), xor(peers)}, OutSchema: out}
		},
		Expected: func(in []exectest.Table) (exectest.Rows, error) {
			all := in[0].AllRows()
			var res exectest.Rows
			for _, r := range all {
				var running, peer any
				for _, x := range all {
					if fmt.Sprint(x[0]) != fmt.Sprint(r[0]) || x[2] == nil {
						continue
					}
					if asInt64(x[1]) <= asInt64(r[1]) {
						running = xorWith(running, asInt64(x[2]))
					}
					if asInt64(x[1]) == asInt64(r[1]) {
						peer = xorWith(peer, asInt64(x[2]))
					}
				}
				res = append(res, append(append([]any{}, r...), running, peer))
			}
			return res, nil
		},
	})
}

func xorWith(acc any, v int64) any {
	if acc == nil {
		return v
	}
	return acc.(int64) ^ v
}
