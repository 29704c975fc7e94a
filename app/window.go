//go:build production || dev

package app

import (
	"context"
	"io/fs"
	"log/slog"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"

	"threadline/backend/api"
	"threadline/backend/engine"
)

// Run opens the main window and blocks until it is closed. The caller closes
// the engine afterwards.
func Run(e *engine.Engine, assets fs.FS, icon []byte, log *slog.Logger) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	return wails.Run(&options.App{
		Title:     "Threadline",
		Width:     1280,
		Height:    800,
		MinWidth:  900,
		MinHeight: 600,
		AssetServer: &assetserver.Options{
			Assets: assets,
			// Requests that match no embedded file, and every non-GET
			// request, reach the API.
			Handler: api.WebviewGuard(e.API),
		},
		Linux: &linux.Options{Icon: icon, ProgramName: "threadline"},
		// Wails itself quits the window on SIGINT and SIGTERM; a second
		// handler here would race it into GTK from two threads.
		OnStartup: func(context.Context) { log.Info("desktop window started") },
		OnShutdown: func(context.Context) {
			// End event streams so the webview's pending requests finish.
			e.API.Close()
			log.Info("desktop window closed")
		},
	})
}
