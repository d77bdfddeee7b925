package flightserver

import (
	"strings"
)

// BroadcastThreshold is spark.sql.autoBroadcastJoinThreshold for the physical planner: 0 for the
// default (10 MiB), negative when broadcasting is disabled ("-1", as in Spark; "0" too, since no
// estimate is that small). Sizes take Spark's units, which are binary: "10MB" and "10m" are
// 10 MiB. An unreadable value keeps the default.
func (s *Session) BroadcastThreshold() int64 {
	v, ok := s.Config("spark.sql.autoBroadcastJoinThreshold")
	if !ok {
		return 0
	}
	n, err := parseBroadcastThreshold(v)
	if err != nil {
		return 0
	}
	return n
}

// AdaptiveDisabled is spark.sql.adaptive.enabled=false (adaptive execution is on by default,
// as in Spark): shuffled joins then never become broadcast joins at run time.
func (s *Session) AdaptiveDisabled() bool {
	v, ok := s.Config("spark.sql.adaptive.enabled")
	return ok && strings.EqualFold(strings.TrimSpace(v), "false")
}

func parseBroadcastThreshold(v string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(v))
	if strings.HasPrefix(t, "-") {
		return -1, nil
	}
	for _, unit := range []string{"kb", "mb", "gb", "tb", "pb"} {
		if strings.HasSuffix(t, unit) {
			t = strings.TrimSuffix(t, "b")
			break
		}
	}
	n, err := ParseByteSize(t)
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return -1, nil
	}
	return n, nil
}
