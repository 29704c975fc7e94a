package cli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"threadline/backend/capture"
	"threadline/backend/capture/layerstore"
	"threadline/backend/store"
)

// errSomeUnreadable makes classify exit 1 after it has reported every
// file: the readable ones were still scored.
var errSomeUnreadable = errors.New("some inputs could not be read (see above)")

// classifyLine is one line of `classify --json` output (JSON Lines) for a
// scored message; classifyError is the line for an unreadable input.
type classifyLine struct {
	File     string           `json:"file"`
	Score    float64          `json:"score"`
	Label    capture.Label    `json:"label"`
	Category capture.Category `json:"category"`
	Reasons  []capture.Reason `json:"reasons"`
}

type classifyError struct {
	File  string `json:"file"`
	Error string `json:"error"`
}

func classifyUsage(fs *flag.FlagSet) func() {
	return func() {
		w := fs.Output()
		fmt.Fprintln(w, "usage: threadline classify [--json] [--me ADDR,...] [--data DIR] FILE|DIR...")
		fmt.Fprintln(w, "\nScores each RFC 5322 message (directories are walked; hidden entries skipped) with the")
		fmt.Fprintln(w, "on-device lead model and prints file, score, label (lead|not_lead), category and reasons.")
		fmt.Fprintln(w, "With --data, the learned layer of that data directory is applied (read only; skipped")
		fmt.Fprintln(w, "with a warning while the app holds the directory).")
		fmt.Fprintln(w, "Exit status: 0 when every input was scored, 1 when some could not be read (each is")
		fmt.Fprintln(w, "reported in place and the rest are still scored), 2 on a usage error.")
		fmt.Fprintln(w, "\nflags:")
		fs.PrintDefaults()
	}
}

func runClassify(env Env, args []string) error {
	flags, data := newFlags(env, "classify")
	asJSON := flags.Bool("json", false, "print one JSON object per message (JSON Lines)")
	me := flags.String("me", "", "the mailbox owner's addresses, comma-separated (enables the addressed-to-you and reply-to-your-outreach signals)")
	flags.Usage = classifyUsage(flags)
	// Flags may come before, between or after the paths.
	var paths []string
	rest := args
	for {
		if err := flags.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{err.Error()}
		}
		if flags.NArg() == 0 {
			break
		}
		paths = append(paths, flags.Arg(0))
		rest = flags.Args()[1:]
	}
	if len(paths) == 0 {
		return usageError{"classify: name at least one message file or directory"}
	}

	c, err := capture.NewShipped()
	if err != nil {
		return err
	}
	if *data != "" {
		closeStore, err := loadLayer(env, c, *data)
		if err != nil {
			return err
		}
		defer closeStore()
	}
	var owner capture.Owner
	for _, a := range strings.Split(*me, ",") {
		if a = strings.TrimSpace(a); a != "" {
			owner.Addresses = append(owner.Addresses, strings.ToLower(a))
		}
	}

	out := &classifyPrinter{w: env.Stdout, json: *asJSON}
	unreadable := false
	for _, p := range paths {
		err := filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				unreadable = true
				return out.fail(path, err)
			}
			if path != p && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() && d.Type()&fs.ModeSymlink == 0 {
				return nil
			}
			res, err := classifyFile(c, path, owner)
			if err != nil {
				unreadable = true
				return out.fail(path, err)
			}
			return out.result(path, res)
		})
		if err != nil {
			return err
		}
	}
	if unreadable {
		return errSomeUnreadable
	}
	return nil
}

func classifyFile(c *capture.Classifier, path string, o capture.Owner) (capture.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return capture.Result{}, err
	}
	defer f.Close()
	return c.ClassifyReader(f, o)
}

// loadLayer applies the learned layer stored in dir. A directory held by
// the running app is skipped with a warning, not an error: the shipped
// model still answers.
func loadLayer(env Env, c *capture.Classifier, dir string) (func(), error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, usageError{fmt.Sprintf("--data %s: %v", dir, err)}
	}
	st, err := store.Open(dir, store.Options{})
	if errors.Is(err, store.ErrAlreadyRunning) {
		fmt.Fprintf(env.Stderr, "threadline: %v; scoring without your learned layer\n", err)
		return func() {}, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := capture.NewLearner(c, layerstore.New(st)); err != nil {
		st.Close()
		return nil, err
	}
	return func() { st.Close() }, nil
}

type classifyPrinter struct {
	w    io.Writer
	json bool
}

func (p *classifyPrinter) result(path string, r capture.Result) error {
	if p.json {
		return p.line(classifyLine{File: path, Score: r.Score, Label: r.Label, Category: r.Category, Reasons: nonNil(r.Reasons)})
	}
	reasons := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		reasons[i] = x.String()
	}
	_, err := fmt.Fprintf(p.w, "%s\t%.3f\t%s\t%s\t%s\n", path, r.Score, r.Label, r.Category, strings.Join(reasons, "; "))
	return err
}

func (p *classifyPrinter) fail(path string, err error) error {
	if p.json {
		return p.line(classifyError{File: path, Error: err.Error()})
	}
	_, werr := fmt.Fprintf(p.w, "%s\terror: %v\n", path, err)
	return werr
}

func (p *classifyPrinter) line(l any) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	_, err = p.w.Write(append(b, '\n'))
	return err
}

func nonNil(r []capture.Reason) []capture.Reason {
	if r == nil {
		return []capture.Reason{}
	}
	return r
}
