package flightserver

import (
	"fmt"
	"os"
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

// DefaultMemoryFraction is the share of the machine's (or the container's) memory that the
// server's operators may hold when no limit is given (decision 0014). The pool accounts only
// what operators keep (hash tables, sort buffers, shuffle blocks); batches in flight, the
// Go runtime and the garbage collector's headroom need the rest.
const DefaultMemoryFraction = 0.5

// ResolveMemoryLimit reads a --memory-limit value: "auto" (or empty) is DefaultMemoryFraction
// of AvailableMemory, "0", "off" or "unlimited" is no limit, "40%" is that share of
// AvailableMemory, anything else a size for ParseByteSize.
func ResolveMemoryLimit(text string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(text))
	switch t {
	case "", "auto":
		return int64(float64(AvailableMemory()) * DefaultMemoryFraction), nil
	case "off", "unlimited", "none":
		return 0, nil
	}
	if percent, ok := strings.CutSuffix(t, "%"); ok {
		v, err := strconv.ParseFloat(strings.TrimSpace(percent), 64)
		if err != nil || v <= 0 || v > 100 {
			return 0, fmt.Errorf("invalid memory share %q: write a percentage between 0 and 100, e.g. 50%%", text)
		}
		return int64(float64(AvailableMemory()) * v / 100), nil
	}
	return ParseByteSize(text)
}

// AvailableMemory is the memory the server may use: the physical memory, or the cgroup's
// memory limit when the server runs in a container with a smaller one (v2 memory.max, else v1
// memory.limit_in_bytes). Zero when neither can be read.
func AvailableMemory() int64 {
	total := physicalMemory()
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) mean no cgroup limit.
		limit, err := strconv.ParseInt(strings.TrimSpace(string(data)), 10, 64)
		if err == nil && limit > 0 && (total == 0 || limit < total) {
			total = limit
		}
		break
	}
	return total
}

// physicalMemory reads MemTotal from /proc/meminfo (Linux); zero elsewhere.
func physicalMemory() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			fields := strings.Fields(rest)
			if len(fields) > 0 {
				if kib, err := strconv.ParseInt(fields[0], 10, 64); err == nil {
					return kib << 10
				}
			}
		}
	}
	return 0
}
