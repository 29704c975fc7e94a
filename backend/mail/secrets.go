package mail

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/zalando/go-keyring"
)

// Secrets keeps account passwords outside the store: Badger files are
// copied into backups and bug reports, the keychain is not.
type Secrets interface {
	Get(account, kind string) (string, error)
	Set(account, kind, secret string) error
	Delete(account string) error
	// Backend says where secrets live, for the UI to warn about a
	// plaintext fallback.
	Backend() SecretBackend
}

// SecretBackend describes the secret storage in use.
type SecretBackend struct {
	Name     string `json:"name"`
	Insecure bool   `json:"insecure"`
	Path     string `json:"path,omitempty"`
	Warning  string `json:"warning,omitempty"`
}

// ErrNoSecret means no password is stored for the account; the user must
// enter it again.
var ErrNoSecret = errors.New("no password is stored for this account")

// Secret kinds.
const (
	SecretIMAP = "imap"
	SecretSMTP = "smtp"
)

const keyringService = "threadline"

// InsecureSecretsFile is the fallback file's name in the data directory.
const InsecureSecretsFile = "secrets-insecure.json"

// EnvSecrets forces a backend: "file" (tests, CI) or "keyring".
const EnvSecrets = "THREADLINE_SECRETS"

// OpenSecrets returns the OS keychain when one answers, else the file
// fallback in dataDir, logging a warning.
func OpenSecrets(dataDir string, log *slog.Logger) Secrets {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	path := filepath.Join(dataDir, InsecureSecretsFile)
	mode := os.Getenv(EnvSecrets)
	if mode == "file" {
		log.Warn("account passwords are kept in a plain file, as "+EnvSecrets+"=file asks", "path", path)
		return NewFileSecrets(path)
	}
	err := probeKeyring()
	if err == nil {
		return keyringSecrets{}
	}
	if mode == "keyring" {
		log.Error("the OS keychain was requested but does not answer; falling back to a plain file", "path", path, "err", err)
	} else {
		log.Warn("no OS keychain answers; account passwords are kept in a plain file", "path", path, "err", err)
	}
	return NewFileSecrets(path)
}

func probeKeyring() error {
	const user = "probe"
	if err := keyring.Set(keyringService, user, "ok"); err != nil {
		return err
	}
	_, err := keyring.Get(keyringService, user)
	_ = keyring.Delete(keyringService, user)
	return err
}

type keyringSecrets struct{}

func keyringUser(account, kind string) string { return account + "/" + kind }

func (keyringSecrets) Get(account, kind string) (string, error) {
	s, err := keyring.Get(keyringService, keyringUser(account, kind))
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSecret
	}
	if err != nil {
		return "", fmt.Errorf("read the password from the OS keychain: %w", err)
	}
	return s, nil
}

func (keyringSecrets) Set(account, kind, secret string) error {
	if err := keyring.Set(keyringService, keyringUser(account, kind), secret); err != nil {
		return fmt.Errorf("save the password in the OS keychain: %w", err)
	}
	return nil
}

func (keyringSecrets) Delete(account string) error {
	for _, kind := range []string{SecretIMAP, SecretSMTP} {
		if err := keyring.Delete(keyringService, keyringUser(account, kind)); err != nil && !errors.Is(err, keyring.ErrNotFound) {
			return err
		}
	}
	return nil
}

func (keyringSecrets) Backend() SecretBackend { return SecretBackend{Name: "keyring"} }

// FileSecrets is the fallback for machines without a keychain: a JSON file
// readable only by the user. It protects against other users, not against
// anything running as the user.
type FileSecrets struct {
	path string
	mu   sync.Mutex
}

// NewFileSecrets uses the file at path.
func NewFileSecrets(path string) *FileSecrets { return &FileSecrets{path: path} }

func (f *FileSecrets) load() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(f.path)
	if errors.Is(err, os.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("the secrets file %s is damaged: %w", f.path, err)
	}
	return m, nil
}

func (f *FileSecrets) save(m map[string]string) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
		return err
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

// Get returns the secret or ErrNoSecret.
func (f *FileSecrets) Get(account, kind string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return "", err
	}
	s, ok := m[keyringUser(account, kind)]
	if !ok {
		return "", ErrNoSecret
	}
	return s, nil
}

// Set stores a secret.
func (f *FileSecrets) Set(account, kind, secret string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	m[keyringUser(account, kind)] = secret
	return f.save(m)
}

// Delete removes an account's secrets.
func (f *FileSecrets) Delete(account string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, err := f.load()
	if err != nil {
		return err
	}
	delete(m, keyringUser(account, SecretIMAP))
	delete(m, keyringUser(account, SecretSMTP))
	return f.save(m)
}

// Backend reports the insecure file.
func (f *FileSecrets) Backend() SecretBackend {
	return SecretBackend{Name: "file", Insecure: true, Path: f.path,
		Warning: "No system keychain is available, so account passwords are stored unencrypted in " + f.path + " (readable only by your user)."}
}
