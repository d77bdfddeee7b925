package physical

import (
	"testing"

	"github.com/quiverdata/quiver/planner/logical"
)

// A global sort of a small input runs in one task; a large one is range partitioned (the
// bounds' sampling runs the input twice, which pays only when the sort itself is big).
func TestGlobalSortOfSmallInputRunsInOneTask(t *testing.T) {
	available := ExchangeAvailable
	ExchangeAvailable = func() bool { return true } // as when the executor is linked in
	defer func() { ExchangeAvailable = available }()
	cases := []struct {
		rows        int64
		partitioned bool
	}{
		{1_000, false},     // 16 KB
		{1_000_000, false}, // 16 MB
		{10_000_000, true}, // 160 MB
	}
	for _, c := range cases {
		ids := &logical.IDGenerator{}
		scan := storedScan(ids, "facts", c.rows, "f_key", "f_value")
		sort := &logical.Sort{Input: scan, Global: true,
			Order: []*logical.SortOrder{{Child: scan.Attributes[0], Direction: logical.Ascending}}}
		node, err := (&Planner{DefaultParallelism: 2}).Plan(sort)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := node.(*Sort)
		if !ok {
			t.Fatalf("%d rows: planned %T, want a Sort", c.rows, node)
		}
		exchange, isExchange := s.Input.(*Exchange)
		ranged := isExchange && exchange.Partitioning.Kind == RangePartitioning
		if ranged != c.partitioned || (!ranged && s.NumPartitions() != 1) {
			t.Errorf("%d rows: sort input %s with %d partitions, want range partitioning %v", c.rows, s.Input.Describe(), s.NumPartitions(), c.partitioned)
		}
	}
}
