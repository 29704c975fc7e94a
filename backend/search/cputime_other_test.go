//go:build !unix

package search_test

import "time"

// cpuTime is not measured here; the benchmark then reports zero.
func cpuTime() time.Duration { return 0 }
