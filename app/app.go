// Package app is the desktop shell: it opens the Wails window on a running
// engine, routes the window's requests for /api/ to the engine's API, and
// quits cleanly on window close, SIGINT and SIGTERM.
package app

import (
	"errors"
	"os"
	"runtime"
)

// ErrNoDisplay is returned on Linux when there is no X11 or Wayland display
// to open a window on.
var ErrNoDisplay = errors.New("no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set); use `threadline serve` (or `make serve`) and open the printed link in a browser")

func checkDisplay() error {
	if runtime.GOOS != "linux" && runtime.GOOS != "freebsd" {
		return nil
	}
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return ErrNoDisplay
	}
	return nil
}
