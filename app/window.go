//go:build production || dev

package app

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"threadline/backend/api"
	"threadline/backend/engine"
)

// Run opens the main window and blocks until it is closed. The caller closes
// the engine afterwards.
func Run(e *engine.Engine, assets fs.FS, icon []byte, log *slog.Logger) error {
	if err := checkDisplay(); err != nil {
		return err
	}
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(signals)

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
		OnStartup: func(ctx context.Context) {
			log.Info("desktop window started")
			go func() {
				if sig, ok := <-signals; ok {
					log.Info("quitting on signal", "signal", sig.String())
					runtime.Quit(ctx)
				}
			}()
		},
		OnShutdown: func(context.Context) {
			// End event streams so the webview's pending requests finish.
			e.API.Close()
			log.Info("desktop window closed")
		},
	})
}
