// Command train fits the lead-capture model to the project's training set
// and writes the weights file the capture package embeds. It runs from
// `go generate ./backend/capture`.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"threadline/backend/capture"
)

func main() {
	data := flag.String("data", "trainingdata/train,trainingdata/handwritten", "training sets, comma-separated: DIR/<category>/*.eml")
	owner := flag.String("owner", "trainingdata/owner.json", "mailbox owner the set was written for")
	out := flag.String("out", "model.bin", "weights file to write")
	flag.Parse()
	if err := run(*data, *owner, *out); err != nil {
		fmt.Fprintln(os.Stderr, "train:", err)
		os.Exit(1)
	}
}

func run(data, ownerPath, out string) error {
	var examples []capture.Example
	for _, dir := range strings.Split(data, ",") {
		ex, err := capture.LoadExamples(dir)
		if err != nil {
			return err
		}
		examples = append(examples, ex...)
	}
	owner, err := capture.LoadOwner(ownerPath)
	if err != nil {
		return err
	}
	m, err := capture.Train(examples, owner)
	if err != nil {
		return err
	}
	b, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o644); err != nil {
		return err
	}
	fmt.Printf("trained on %d messages; wrote %s (%d bytes)\n", len(examples), out, len(b))
	return nil
}
