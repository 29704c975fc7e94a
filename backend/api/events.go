package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// heartbeatInterval keeps idle event streams from being cut by proxies and
// lets a client notice a dead backend.
const heartbeatInterval = 15 * time.Second

// events streams bus events as Server-Sent Events. The first event is
// "hello", so a client knows the stream is live before anything happens.
func (s *Server) events(w http.ResponseWriter, r *http.Request) error {
	sub := s.cfg.Bus.Subscribe(256)
	defer sub.Cancel()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(typ string, data any) error {
		raw, err := json.Marshal(data)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, raw); err != nil {
			return err
		}
		// The webview's response writer streams every write and has no
		// Flush; only net/http buffers.
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	}
	if r.URL.Query().Get("client") == "ui" {
		s.log.Info("frontend opened the event stream")
	}
	if err := send("hello", map[string]any{"time": time.Now().UTC()}); err != nil {
		return nil
	}
	heartbeat := time.NewTicker(heartbeatInterval)
	defer heartbeat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.done:
			return nil
		case <-heartbeat.C:
			if _, err := fmt.Fprint(w, ": heartbeat\n\n"); err != nil {
				return nil
			}
			if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
				return nil
			}
		case ev, ok := <-sub.C:
			if !ok {
				return nil
			}
			if err := send(ev.Type, ev); err != nil {
				return nil
			}
		}
	}
}
