package physical

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"
	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/planner/logical"
)

// storedScan is a scan of a stored DataFrame of rows rows with int64 columns names.
func storedScan(ids *logical.IDGenerator, id string, rows int64, names ...string) *logical.Scan {
	fields := make([]arrow.Field, len(names))
	for i, n := range names {
		fields[i] = arrow.Field{Name: n, Type: arrow.PrimitiveTypes.Int64}
	}
	src := &logical.StoredDataFrame{ID: id, ArrowSchema: arrow.NewSchema(fields, nil), NumPartitions: 2, NumRows: rows}
	return logical.NewScan(src, ids)
}

func equality(a, b logical.Expr) logical.Expr {
	return &logical.Call{Function: "eq", Args: []logical.Expr{a, b}, Type: arrow.FixedWidthTypes.Boolean}
}

func TestBroadcastThresholdChoosesTheJoin(t *testing.T) {
	ids := &logical.IDGenerator{}
	facts := storedScan(ids, "facts", 1_000_000, "f_key", "f_value") // 16 MB
	dims := storedScan(ids, "dims", 1_000, "d_key")                  // 8 KB
	join := &logical.Join{Left: facts, Right: dims, Type: logical.InnerJoin,
		Condition: equality(facts.Attributes[0], dims.Attributes[0])}
	cases := []struct {
		threshold int64
		broadcast bool
	}{
		{0, true},        // the default, 10 MiB
		{-1, false},      // disabled
		{4_000, false},   // below the dimension's 8,000 bytes
		{8_000, true},    // at it
		{64 << 20, true}, // both sides fit: the smaller is broadcast
	}
	for _, c := range cases {
		node, err := (&Planner{DefaultParallelism: 2, BroadcastThreshold: c.threshold}).Plan(join)
		if err != nil {
			t.Fatal(err)
		}
		j := node.(*HashJoin)
		if j.Broadcast != c.broadcast {
			t.Errorf("threshold %d: broadcast=%v, want %v", c.threshold, j.Broadcast, c.broadcast)
		}
		if j.Build != BuildRight {
			t.Errorf("threshold %d: builds %v, want the dimension (right)", c.threshold, j.Build)
		}
	}
}

func TestEstimateSizeFollowsFiltersAndKeyJoins(t *testing.T) {
	ids := &logical.IDGenerator{}
	orders := storedScan(ids, "orders", 1_000_000, "o_key", "o_customer")
	customers := storedScan(ids, "customers", 100_000, "c_key")
	if size, _ := EstimateSize(orders); size != 16_000_000 {
		t.Errorf("scan: %d bytes, want 16,000,000", size)
	}
	// An equality with a literal keeps a fifth: 20,000 customers.
	segment := &logical.Filter{Input: customers, Condition: equality(customers.Attributes[0], logical.NewLiteral(scalar.NewInt64Scalar(7)))}
	if size, _ := EstimateSize(segment); size != 160_000 {
		t.Errorf("filtered scan: %d bytes, want 160,000", size)
	}
	// Key/foreign-key join: each order meets at most one customer, kept with the customers'
	// selectivity (0.2): 200,000 rows of 24 bytes.
	join := &logical.Join{Left: segment, Right: orders, Type: logical.InnerJoin,
		Condition: equality(customers.Attributes[0], orders.Attributes[1])}
	if size, _ := EstimateSize(join); size != 4_800_000 {
		t.Errorf("join: %d bytes, want 4,800,000", size)
	}
	// A source nothing is known about is never broadcast.
	if size, _ := EstimateSize(&logical.Join{Left: orders, Right: &logical.Scan{Source: unknownSource{}}, Type: logical.InnerJoin}); size != unknownSize {
		t.Errorf("unknown source: %d bytes, want unknown", size)
	}
}

type unknownSource struct{}

func (unknownSource) Schema() *arrow.Schema { return arrow.NewSchema(nil, nil) }
func (unknownSource) Describe() string      { return "unknown" }

// TestGuessedBuildSideMayBecomeBroadcast: a predicate over aggregated values (a HAVING) may
// keep any share of the groups (TPC-H Q18 keeps 57 of 1.5 M orders), so a shuffled join builds
// from that side and may turn into a broadcast join at run time however large its estimate.
func TestGuessedBuildSideMayBecomeBroadcast(t *testing.T) {
	available := ExchangeAvailable
	ExchangeAvailable = func() bool { return true } // the executor's shuffle sets it in a server
	t.Cleanup(func() { ExchangeAvailable = available })
	lineTotals := func(ids *logical.IDGenerator, having bool) (logical.Plan, *logical.ColumnRef) {
		lines := storedScan(ids, "lines", 60_000_000, "l_key", "l_quantity")
		key := lines.Attributes[0]
		sum := &logical.AggregateCall{Function: "sum", Args: []logical.Expr{lines.Attributes[1]}, Type: arrow.PrimitiveTypes.Int64, Null: true, Display: "sum(l_quantity)"}
		total := &logical.Alias{Child: sum, Alias: "total", AttrID: ids.Next()}
		var out logical.Plan = &logical.Aggregate{Input: lines, Grouping: []logical.Expr{key}, Aggregates: []logical.Named{key, total}}
		if having {
			out = &logical.Filter{Input: out, Condition: &logical.Call{Function: "gt", Type: arrow.FixedWidthTypes.Boolean,
				Args: []logical.Expr{total.ToAttribute(), logical.NewLiteral(scalar.NewInt64Scalar(300))}}}
		}
		return out, key
	}
	for _, c := range []struct {
		name         string
		having       bool
		totalsOnLeft bool
		adaptive     bool
	}{
		{"having on the right", true, false, true},
		{"having on the left", true, true, true},
		{"no having: the estimate stands", false, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids := &logical.IDGenerator{}
			orders := storedScan(ids, "orders", 15_000_000, "o_key", "o_customer")
			totals, key := lineTotals(ids, c.having)
			require.Equal(t, c.having, EstimateIsGuess(totals))
			join := &logical.Join{Left: orders, Right: totals, Type: logical.InnerJoin, Condition: equality(orders.Attributes[0], key)}
			want := BuildRight
			if c.totalsOnLeft {
				join = &logical.Join{Left: totals, Right: orders, Type: logical.InnerJoin, Condition: equality(key, orders.Attributes[0])}
				want = BuildLeft
			}
			node, err := (&Planner{DefaultParallelism: 2}).Plan(join)
			require.NoError(t, err)
			j := node.(*HashJoin)
			require.False(t, j.Broadcast, "neither side is estimated under the threshold")
			require.Equal(t, c.adaptive, j.AdaptiveThreshold > 0)
			if c.having {
				require.Equal(t, want, j.Build, "builds from the guessed side")
			}
		})
	}
}
