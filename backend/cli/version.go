package cli

import (
	"fmt"

	"threadline/backend/buildinfo"
)

func runVersion(env Env, args []string) error {
	fs, _ := newFlags(env, "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "threadline %s (%s)\n", buildinfo.Version, buildinfo.Commit)
	return nil
}
