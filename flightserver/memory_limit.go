package flightserver

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/quiverdata/quiver/exec"
)

func init() {
	// Every task of a server accounts against the server's memory pool and runs on as many task
	// slots as the default parallelism.
	taskExtensions = append(taskExtensions, func(s *Server, _ *Session, tc *exec.TaskContext) {
		if s.pool != nil {
			tc.SetMemoryPool(s.pool)
		}
		tc.SetTaskSlots(s.cfg.DefaultParallelism)
	})
}

// MemoryPool is the server's memory pool (operators' reservations against --memory-limit).
func (s *Server) MemoryPool() *exec.MemoryPool { return s.pool }

// ParseByteSize reads a size such as "0", "1048576", "512MB", "512MiB", "4g" or "1.5GiB".
// Decimal (KB, MB, GB) and binary (KiB, MiB, GiB, K, M, G) units are accepted, as Spark's
// memory settings do ("4g").
func ParseByteSize(text string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(text))
	if t == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		scale  float64
	}{
		{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
		{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"t", 1 << 40}, {"b", 1},
	}
	scale := 1.0
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			scale = u.scale
			t = strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("invalid size %q: write a byte count with an optional unit, e.g. 512MiB, 4g, 1073741824", text)
	}
	return int64(v * scale), nil
}
