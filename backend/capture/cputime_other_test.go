//go:build !unix

package capture_test

func cpuSeconds() float64 { return 0 }
