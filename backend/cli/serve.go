package cli

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"threadline/backend/api"
	"threadline/backend/engine"
)

func runServe(env Env, args []string) error {
	flags, data := newFlags(env, "serve")
	addr := flags.String("addr", "127.0.0.1:0", "loopback address to listen on (port 0 picks a free one)")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return usageError{fmt.Sprintf("--addr %q: %v", *addr, err)}
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usageError{fmt.Sprintf("--addr %q: serve listens on loopback only (127.0.0.1, ::1 or localhost)", *addr)}
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr)
	e, err := engine.Open(dir, log)
	if err != nil {
		return err
	}
	defer e.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", *addr, err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	mux := http.NewServeMux()
	mux.Handle("/api/", e.API)
	mux.Handle("/", frontendHandler(env.Assets))
	guard := api.NewLoopbackGuard(mux, port)
	srv := &http.Server{Handler: guard, ReadHeaderTimeout: 10 * time.Second}

	base := fmt.Sprintf("http://127.0.0.1:%s", port)
	fmt.Fprintf(env.Stdout, "Threadline is serving %s/ (data: %s)\n", base, dir)
	fmt.Fprintf(env.Stdout, "Open: %s%s\n", base, guard.LoginPath())
	fmt.Fprintf(env.Stdout, "API token: %s\n", guard.Token())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	e.API.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("HTTP shutdown did not finish cleanly", "err", err)
	}
	return nil
}

// frontendHandler serves the built frontend, or a page that says how to
// build it when the binary was built without one.
func frontendHandler(assets fs.FS) http.Handler {
	if _, err := fs.Stat(assets, "index.html"); err != nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "<!doctype html><title>Threadline</title><p>This binary was built without its frontend. Run <code>make build</code> and start it again.</p>")
		})
	}
	return http.FileServerFS(assets)
}
