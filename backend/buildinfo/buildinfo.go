// Package buildinfo carries the version the binary was built as; the
// Makefile sets Version and Commit with -ldflags -X.
package buildinfo

var (
	// Version is the release version, e.g. "0.1.0".
	Version = "0.1.0-dev"
	// Commit is the source revision the binary was built from.
	Commit = "unknown"
)
