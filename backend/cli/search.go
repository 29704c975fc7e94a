package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"threadline/backend/engine"
	"threadline/backend/search"
	"threadline/backend/store"
)

func init() {
	commands["search"] = command{"search mail and leads: threadline search [--json] QUERY", runSearch}
	commands["reindex"] = command{"rebuild the search index from the stored mail and leads", runReindex}
}

// splitSearchArgs separates the command's flags from the query. A query
// term may start with '-' (-newsletter), so only the known flags are
// flags, and everything after "--" is query.
func splitSearchArgs(args []string, valueFlags, boolFlags []string) (flags, query []string) {
	isFlag := func(a string, names []string) bool {
		name := strings.TrimLeft(a, "-")
		name, _, _ = strings.Cut(name, "=")
		for _, n := range names {
			if name == n && strings.HasPrefix(a, "-") {
				return true
			}
		}
		return false
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return flags, append(query, args[i+1:]...)
		case isFlag(a, boolFlags) || a == "-h" || a == "--help":
			flags = append(flags, a)
		case isFlag(a, valueFlags):
			flags = append(flags, a)
			if !strings.Contains(a, "=") && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		default:
			query = append(query, a)
		}
	}
	return flags, query
}

func runSearch(env Env, args []string) error {
	fs, data := newFlags(env, "search")
	asJSON := fs.Bool("json", false, "print the result as the JSON that GET /api/search returns")
	kind := fs.String("kind", "all", "mail, leads or all")
	limit := fs.Int("limit", 20, fmt.Sprintf("hits to show, 1 to %d", search.MaxLimit))
	sortBy := fs.String("sort", "relevance", "relevance or date (newest first)")
	flagArgs, words := splitSearchArgs(args, []string{"data", "kind", "limit", "sort"}, []string{"json"})
	if err := parseFlags(fs, flagArgs); err != nil {
		return err
	}
	q := strings.Join(words, " ")
	if strings.TrimSpace(q) == "" {
		return usageError{"search needs a query, e.g. threadline search from:alice invoice"}
	}
	req := search.Request{Query: q, Limit: *limit, Sort: *sortBy, Counts: true}
	switch *kind {
	case "all":
	case "mail":
		req.Kind = search.KindMail
	case "leads", "lead":
		req.Kind = search.KindLead
	default:
		return usageError{fmt.Sprintf("--kind must be mail, leads or all, not %q", *kind)}
	}
	if *limit < 1 || *limit > search.MaxLimit {
		return usageError{fmt.Sprintf("--limit must be from 1 to %d", search.MaxLimit)}
	}
	if *sortBy != "relevance" && *sortBy != "date" {
		return usageError{fmt.Sprintf("--sort must be relevance or date, not %q", *sortBy)}
	}
	// Check the query before opening anything, so a typo fails fast.
	if _, err := search.ParseQuery(q, search.ParseOptions{}); err != nil {
		var qe *search.QueryError
		if errors.As(err, &qe) {
			return usageError{fmt.Sprintf("%v\n  %s\n  %s^", err, q, strings.Repeat(" ", qe.Pos))}
		}
		return err
	}

	return withSearch(env, *data, func(ctx context.Context, idx *search.Index) error {
		if err := syncWithProgress(ctx, env, idx); err != nil {
			return err
		}
		res, err := idx.Search(ctx, req)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(env.Stdout)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(res)
		}
		printResult(env, res)
		return nil
	})
}

// syncWithProgress catches the index up with the store, and says so on
// stderr once a second while that means rebuilding a missing or corrupt
// index, which takes a while on a large mailbox.
func syncWithProgress(ctx context.Context, env Env, idx *search.Index) error {
	done := make(chan error, 1)
	go func() { done <- idx.Sync(ctx) }()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := -1
	for {
		select {
		case err := <-done:
			return err
		case <-tick.C:
			if st := idx.Status(); st.Rebuilding && st.Done != last {
				last = st.Done
				fmt.Fprintf(env.Stderr, "rebuilding the search index: %d of %d\n", st.Done, st.Total)
			}
		}
	}
}

func printResult(env Env, res *search.Result) {
	for _, h := range res.Hits {
		date := "          "
		if !h.Date.IsZero() && h.Date.Year() > 1 {
			date = h.Date.Local().Format("2006-01-02")
		}
		title := h.Title
		if title == "" {
			title = "(no subject)"
		}
		fmt.Fprintf(env.Stdout, "%-4s %s  %-12s %s  [%s]\n", h.Kind, date, clip(h.Place, 12), title, h.ID)
		if s := plainSnippet(h.Snippet); s != "" {
			fmt.Fprintf(env.Stdout, "     %s\n", s)
		}
	}
	more := ""
	if res.NextCursor != "" {
		more = fmt.Sprintf(" (showing %d; --limit shows more)", len(res.Hits))
	}
	if res.Counts != nil {
		fmt.Fprintf(env.Stdout, "%d matching: %d messages, %d leads%s\n", res.Total,
			res.Counts.Kinds[search.KindMail], res.Counts.Kinds[search.KindLead], more)
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// plainSnippet turns a snippet's HTML back into text, with matches in
// *stars*.
func plainSnippet(s string) string {
	s = strings.NewReplacer("<mark>", "*", "</mark>", "*").Replace(s)
	return html.UnescapeString(s)
}

func runReindex(env Env, args []string) error {
	fs, data := newFlags(env, "reindex")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	return withSearch(env, *data, func(ctx context.Context, idx *search.Index) error {
		start := time.Now()
		last := time.Time{}
		err := idx.RebuildProgress(ctx, func(done, total int) {
			if time.Since(last) > time.Second || done == total {
				last = time.Now()
				fmt.Fprintf(env.Stderr, "indexed %d of %d\n", done, total)
			}
		})
		if err != nil {
			return err
		}
		if err := idx.Sync(ctx); err != nil {
			return err
		}
		st := idx.Status()
		fmt.Fprintf(env.Stdout, "search index rebuilt: %d documents in %s\n", st.Docs, time.Since(start).Round(time.Millisecond))
		return nil
	})
}

// withSearch opens the store and the search index of the data directory
// for one command. It fails with store.ErrAlreadyRunning while the app
// runs: the app's own index is then the one to use.
func withSearch(env Env, dataFlag string, fn func(context.Context, *search.Index) error) error {
	dir, err := dataDir(dataFlag)
	if err != nil {
		return err
	}
	log := newLogger(env.Stderr)
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		if errors.Is(err, store.ErrAlreadyRunning) {
			return fmt.Errorf("%w; close it first (or use the search box in the app)", err)
		}
		return err
	}
	defer st.Close()
	idx, err := engine.OpenSearch(st, nil, log)
	if err != nil {
		return err
	}
	defer idx.Close()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return fn(ctx, idx)
}
