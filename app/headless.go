//go:build !production && !dev

package app

import (
	"errors"
	"io/fs"
	"log/slog"

	"threadline/backend/engine"
)

// Run reports that this build has no window: it was compiled without the
// desktop build tags (as `go test` and `go run` do).
func Run(*engine.Engine, fs.FS, []byte, *slog.Logger) error {
	return errors.New("this binary was built without the desktop window (build with `make build`, which sets -tags desktop,production,webkit2_41); `threadline serve` works in any build")
}
