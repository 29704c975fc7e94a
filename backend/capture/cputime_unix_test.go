//go:build unix

package capture_test

import "syscall"

// cpuSeconds is the CPU time this process has used. Throughput per CPU
// second does not depend on how busy the machine is with other work.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
