// Command evalreport prints the lead-capture evaluation figures: held-out
// precision, recall and F1, the false-positive rate on the SpamAssassin
// corpus, and the learning check. `make eval-capture` runs it after the
// tests that assert the targets.
package main

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"

	"threadline/backend/capture"
	"threadline/backend/capture/internal/evaldata"
)

func main() {
	verbose := flag.Bool("v", false, "list misclassified messages")
	flag.Parse()
	if err := run(*verbose); err != nil {
		fmt.Fprintln(os.Stderr, "evalreport:", err)
		os.Exit(1)
	}
}

func run(verbose bool) error {
	c, err := capture.NewShipped()
	if err != nil {
		return err
	}
	b, miss, err := evaldata.HeldOut(c)
	if err != nil {
		return err
	}
	fmt.Printf("Held-out set (%d messages, %d leads)\n", b.N(), b.TP+b.FN)
	fmt.Printf("  precision %.3f (target >= %.2f)  recall %.3f (target >= %.2f)  F1 %.3f\n",
		b.Precision(), evaldata.TargetPrecision, b.Recall(), evaldata.TargetRecall, b.F1())
	fmt.Printf("  TP %d  FP %d  FN %d  TN %d\n", b.TP, b.FP, b.FN, b.TN)
	if verbose {
		for _, m := range miss {
			fmt.Printf("  miss %-28s want %-12s got %-12s %.3f %v\n", m.Name, m.Want, m.Result.Category, m.Result.Score, m.Result.Reasons)
		}
	}

	msgs, err := evaldata.Corpus()
	if err != nil {
		return err
	}
	fmt.Printf("\nSpamAssassin corpus (%s, %d messages)\n", evaldata.CorpusPackage, len(msgs))
	for _, o := range evaldata.CorpusOwners() {
		flagged, cats := evaldata.CorpusFP(c, msgs, o.Owner)
		rate := float64(len(flagged)) / float64(len(msgs))
		fmt.Printf("  %s: flagged as lead %d = %.2f%% (target <= %.0f%%)\n", o.Name, len(flagged), 100*rate, 100*evaldata.TargetCorpusFP)
		var keys []string
		for k := range cats {
			keys = append(keys, string(k))
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, fmt.Sprintf("%s %d", k, cats[capture.Category(k)]))
		}
		fmt.Printf("    categories: %s\n", strings.Join(parts, ", "))
		groups := map[string]int{}
		for _, m := range flagged {
			groups[strings.SplitN(m.Name, "/", 2)[0]]++
		}
		fmt.Printf("    flagged by corpus group: %v\n", groups)
		if verbose {
			for _, m := range flagged {
				fmt.Printf("    flagged %s\n", m.Name)
			}
		}
	}

	l, err := evaldata.LearnCheck()
	if err != nil {
		return err
	}
	fmt.Printf("\nLearning check (%s): %d corrections, measured on the other %d\n", l.Kind, l.Corrections, l.Rest)
	fmt.Printf("  recall before %.3f  after %.3f\n", l.RecallBefore, l.RecallAfter)
	fmt.Printf("  held-out after learning: precision %.3f recall %.3f F1 %.3f\n",
		l.HeldOutAfter.Precision(), l.HeldOutAfter.Recall(), l.HeldOutAfter.F1())
	if verbose {
		for _, m := range l.MissedAfter {
			fmt.Printf("  still missed %s %.3f %v\n", m.Name, m.Result.Score, m.Result.Reasons)
		}
	}
	return nil
}
