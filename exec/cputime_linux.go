package exec

import (
	"syscall"
	"time"
)

// rusageThread is RUSAGE_THREAD: the calling thread's usage (Linux only).
const rusageThread = 1

// threadCPUTime is the CPU time of the calling OS thread. Tasks lock their goroutine to a thread
// while they run, so the difference over a task is the task's CPU time.
func threadCPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
