package cli

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"threadline/backend/events"
	"threadline/backend/leadsignals"
	"threadline/backend/mail"
	"threadline/backend/store"
)

// openMail opens the store and a mail service on it for a one-shot command.
func openMail(env Env, data string) (*mail.Service, func(), error) {
	dir, err := dataDir(data)
	if err != nil {
		return nil, nil, err
	}
	log := newLogger(env.Stderr)
	st, err := store.Open(dir, store.Options{Logger: log})
	if err != nil {
		if errors.Is(err, store.ErrAlreadyRunning) {
			return nil, nil, fmt.Errorf("%w: close the app first, or use its \"sync now\"", err)
		}
		return nil, nil, err
	}
	bus := events.NewBus()
	svc := mail.NewService(mail.Options{Store: st, Bus: bus, Logger: log})
	// Lead capture runs with the app; what this command stores waits in
	// its queue until then.
	leadsignals.Queue(svc)
	return svc, func() { bus.Close(); st.Close() }, nil
}

func findAccounts(svc *mail.Service, which string) ([]*mail.Account, error) {
	accts, err := mail.ListAccounts(svc.Store())
	if err != nil {
		return nil, err
	}
	if which == "" {
		if len(accts) == 0 {
			return nil, errors.New("there are no mail accounts yet; add one in the app")
		}
		return accts, nil
	}
	for _, a := range accts {
		if a.ID == which || strings.EqualFold(a.Email, which) || a.Name == which {
			return []*mail.Account{a}, nil
		}
	}
	return nil, usageError{fmt.Sprintf("--account %q: no account with that id, email or name", which)}
}

func runSync(env Env, args []string) error {
	flags, data := newFlags(env, "sync")
	which := flags.String("account", "", "sync only this account (id, email or name)")
	verify := flags.Bool("verify", false, "do not sync: compare the server's Message-IDs in the synced window with the store and print what is missing or extra")
	if err := parseFlags(flags, args); err != nil {
		return err
	}
	svc, closeFn, err := openMail(env, *data)
	if err != nil {
		return err
	}
	defer closeFn()
	accts, err := findAccounts(svc, *which)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *verify {
		problems := 0
		for _, a := range accts {
			reports, err := svc.Verify(ctx, a.ID)
			if err != nil {
				return fmt.Errorf("verify %s: %w", a.Email, err)
			}
			for _, r := range reports {
				window := "everything"
				if !r.Since.IsZero() {
					window = "since " + r.Since.Format("2006-01-02")
				}
				fmt.Fprintf(env.Stdout, "%s %s (%s): server %d, store %d, missing %d, extra %d\n",
					a.Email, r.Mailbox, window, r.Server, r.Stored, len(r.Missing), len(r.Extra))
				for _, m := range r.Missing {
					fmt.Fprintf(env.Stdout, "  missing UID %d <%s>: %s\n", m.UID, m.MessageID, m.Reason)
				}
				for _, m := range r.Extra {
					fmt.Fprintf(env.Stdout, "  extra   UID %d <%s>: %s\n", m.UID, m.MessageID, m.Reason)
				}
				problems += len(r.Missing) + len(r.Extra)
			}
		}
		if problems > 0 {
			return fmt.Errorf("the store and the server differ in %d messages; run `threadline sync` to repair", problems)
		}
		fmt.Fprintln(env.Stdout, "store and server agree")
		return nil
	}

	sub := svc.Bus().Subscribe(1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		last := map[string]string{}
		for ev := range sub.C {
			st, ok := ev.Data.(*mail.AccountStatus)
			if ev.Type != "sync.progress" || !ok {
				continue
			}
			for _, f := range st.Folders {
				line := fmt.Sprintf("%s: %d of %d", f.State, f.Done, f.Total)
				if f.Total == 0 {
					line = f.State
				}
				if f.LastError != "" {
					line += " — " + f.LastError
				}
				if last[f.Mailbox] != line {
					last[f.Mailbox] = line
					fmt.Fprintf(env.Stdout, "%s %s %s\n", st.Email, f.Mailbox, line)
				}
			}
		}
	}()
	var failed []string
	for _, a := range accts {
		if err := svc.SyncAccount(ctx, a.ID); err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", a.Email, err)
			failed = append(failed, a.Email)
		}
	}
	sub.Cancel()
	<-done
	if len(failed) > 0 {
		return fmt.Errorf("sync failed for %s", strings.Join(failed, ", "))
	}
	return nil
}

func runImport(env Env, args []string) error {
	flags, data := newFlags(env, "import")
	if err := flags.Parse(args); err != nil {
		return usageError{err.Error()}
	}
	if flags.NArg() != 1 {
		return usageError{"usage: threadline import [--data DIR] PATH (an mbox file such as Google Takeout's, or a Maildir)"}
	}
	svc, closeFn, err := openMail(env, *data)
	if err != nil {
		return err
	}
	defer closeFn()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	p, err := svc.Import(ctx, flags.Arg(0), func(p mail.ImportProgress) {
		pct := 0.0
		if p.TotalBytes > 0 {
			pct = 100 * float64(p.Bytes) / float64(p.TotalBytes)
		}
		fmt.Fprintf(env.Stdout, "%5.1f%%  %d messages read, %d added, %d already stored\n", pct, p.Messages, p.Added, p.Skipped)
	})
	if err != nil {
		return fmt.Errorf("import %s stopped after %d messages (run it again to continue; stored messages are skipped): %w", flags.Arg(0), p.Messages, err)
	}
	fmt.Fprintf(env.Stdout, "imported %s: %d messages, %d added, %d already stored, %d with a parse-error mark\n", p.Path, p.Messages, p.Added, p.Skipped, p.ParseMarks)
	return nil
}
