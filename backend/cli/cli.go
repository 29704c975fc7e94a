// Package cli is the threadline command line: with no command it opens the
// desktop window, otherwise it runs the named command (serve, version, …).
package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sort"
	"strings"

	"threadline/backend/engine"
	"threadline/backend/store"
)

// Env is what the binary hands the command line.
type Env struct {
	// Assets is the built frontend (index.html at the root).
	Assets fs.FS
	// Desktop opens the window on a running engine and returns when it is
	// closed. Builds without the desktop tags return an error from it.
	Desktop func(e *engine.Engine, assets fs.FS, icon []byte, log *slog.Logger) error
	// Icon is the window icon (PNG).
	Icon   []byte
	Stdout io.Writer
	Stderr io.Writer
}

type command struct {
	summary string
	run     func(env Env, args []string) error
}

var commands = map[string]command{
	"classify": {"score mail files with the on-device lead model", runClassify},
	"import":   {"import an mbox file (Google Takeout) or a Maildir", runImport},
	"serve":    {"serve the app and its API on loopback for a browser or scripts", runServe},
	"sync":     {"sync mail accounts once (--account A), or check the store against the server (--verify)", runSync},
	"version":  {"print the version", runVersion},
}

// usageError is an error in the command line itself: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// Main runs the command line and returns the process exit code.
func Main(args []string, env Env) int {
	err := dispatch(env, args)
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(env.Stderr, "threadline:", err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

func dispatch(env Env, args []string) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && args[0] != "-h" && args[0] != "--help" {
		return runDesktop(env, args)
	}
	name := args[0]
	if name == "help" || name == "-h" || name == "--help" {
		usage(env.Stdout)
		return nil
	}
	cmd, ok := commands[name]
	if !ok {
		usage(env.Stderr)
		return usageError{fmt.Sprintf("unknown command %q", name)}
	}
	return cmd.run(env, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: threadline [--data DIR]            open the desktop app")
	fmt.Fprintln(w, "       threadline COMMAND [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintf(w, "\nThe data directory defaults to the OS convention; --data DIR or %s overrides it.\n", store.EnvDataDir)
}

// newFlags returns a flag set with the flags every command shares.
func newFlags(env Env, name string) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("threadline "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	data := fs.String("data", "", "data directory (default: the OS convention, or $"+store.EnvDataDir+")")
	return fs, data
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func dataDir(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	return store.DefaultDir()
}

func newLogger(w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	if os.Getenv("THREADLINE_LOG") == "debug" {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

func runDesktop(env Env, args []string) error {
	fs, data := newFlags(env, "")
	if err := parseFlags(fs, args); err != nil {
		return err
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
	log.Info("Threadline started", "data", dir)
	runErr := env.Desktop(e, env.Assets, env.Icon, log)
	closeErr := e.Close()
	if runErr != nil {
		return runErr
	}
	return closeErr
}
