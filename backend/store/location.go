package store

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// EnvDataDir names the environment variable that overrides the data directory.
const EnvDataDir = "THREADLINE_DATA"

// DefaultDir returns where Threadline keeps its data when neither --data nor
// THREADLINE_DATA says otherwise: the XDG data directory on Linux and other
// Unix systems, Application Support on macOS, %AppData% on Windows.
func DefaultDir() (string, error) {
	if dir := os.Getenv(EnvDataDir); dir != "" {
		return filepath.Abs(dir)
	}
	switch runtime.GOOS {
	case "windows":
		if dir := os.Getenv("AppData"); dir != "" {
			return filepath.Join(dir, "Threadline"), nil
		}
		return "", errors.New("cannot find the data directory: %AppData% is not set; pass --data DIR")
	case "darwin":
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, "Library", "Application Support", "Threadline"), nil
	default:
		if dir := os.Getenv("XDG_DATA_HOME"); dir != "" && filepath.IsAbs(dir) {
			return filepath.Join(dir, "threadline"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", errors.New("cannot find the data directory: $HOME is not set; pass --data DIR")
		}
		return filepath.Join(home, ".local", "share", "threadline"), nil
	}
}
