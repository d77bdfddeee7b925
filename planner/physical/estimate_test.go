package physical

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/scalar"

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
