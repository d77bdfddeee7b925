package flightserver

import (
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestResolveMemoryLimit checks the --memory-limit forms against the kernel's own count of
// physical memory (sysinfo), which AvailableMemory does not use.
func TestResolveMemoryLimit(t *testing.T) {
	var info syscall.Sysinfo_t
	require.NoError(t, syscall.Sysinfo(&info))
	physical := int64(info.Totalram) * int64(info.Unit)
	available := AvailableMemory()
	require.Greater(t, available, int64(0))
	require.LessOrEqual(t, available, physical, "a cgroup limit can only lower the memory")

	auto, err := ResolveMemoryLimit("auto")
	require.NoError(t, err)
	require.Equal(t, available/2, auto)
	empty, err := ResolveMemoryLimit("")
	require.NoError(t, err)
	require.Equal(t, auto, empty)
	for _, off := range []string{"0", "off", "unlimited"} {
		limit, err := ResolveMemoryLimit(off)
		require.NoError(t, err)
		require.Zero(t, limit, off)
	}
	quarter, err := ResolveMemoryLimit("25%")
	require.NoError(t, err)
	require.InDelta(t, float64(available)/4, float64(quarter), 1)
	fixed, err := ResolveMemoryLimit("512MiB")
	require.NoError(t, err)
	require.Equal(t, int64(512<<20), fixed)
	for _, bad := range []string{"150%", "-5%", "lots"} {
		_, err := ResolveMemoryLimit(bad)
		require.Error(t, err, bad)
	}
}
