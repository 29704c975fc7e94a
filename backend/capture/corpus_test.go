package capture

import (
	"os"
	"os/exec"
)

// hasCorpus reports whether the checks on the real-mail corpus run: they
// need npm to fetch it, except in CI, where its absence is a failure.
func hasCorpus() bool {
	_, err := exec.LookPath("npm")
	return err == nil || os.Getenv("CI") == "true"
}
