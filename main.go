// Command threadline is the Threadline desktop CRM. With no command it opens
// the window; `threadline help` lists the other commands.
package main

import (
	"embed"
	"io/fs"
	"os"

	"threadline/app"
	"threadline/backend/cli"
)

//go:embed all:frontend/dist
var dist embed.FS

//go:embed build/appicon.png
var icon []byte

func main() {
	assets, err := fs.Sub(dist, "frontend/dist")
	if err != nil {
		panic(err)
	}
	os.Exit(cli.Main(os.Args[1:], cli.Env{
		Assets:  assets,
		Desktop: app.Run,
		Icon:    icon,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
	}))
}
