//go:build !linux

package exec

import "time"

// threadCPUTime is not measured outside Linux; task CPU time reads zero there.
func threadCPUTime() time.Duration { return 0 }
