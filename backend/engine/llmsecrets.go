package engine

import (
	"errors"

	"threadline/backend/mail"
	"threadline/backend/suggest"
)

// llmSecrets keeps the reply model's API key where account passwords live:
// the OS keychain, or the file fallback on machines without one (where the
// keychain alone would make the key impossible to save).
type llmSecrets struct{ s mail.Secrets }

// llmSecretOwner is the pseudo-account the key is filed under; store ids
// are hex, so it cannot collide with a mail account.
const llmSecretOwner = "settings-llm"

func (l llmSecrets) Get(name string) (string, error) {
	v, err := l.s.Get(llmSecretOwner, name)
	if errors.Is(err, mail.ErrNoSecret) {
		return "", suggest.ErrNoSecret
	}
	return v, err
}

func (l llmSecrets) Set(name, value string) error { return l.s.Set(llmSecretOwner, name, value) }

func (l llmSecrets) Delete(name string) error { return l.s.Delete(llmSecretOwner) }
