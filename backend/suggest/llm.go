package suggest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/zalando/go-keyring"

	"threadline/backend/store"
)

// Settings configure the optional model endpoint.
type Settings struct {
	// BaseURL of an OpenAI-compatible API, e.g. http://localhost:11434 for
	// Ollama or https://api.example.com/v1. Empty disables the model.
	BaseURL string `json:"base_url"`
	Model   string `json:"model"`
	// HasAPIKey tells whether a key is stored; the key itself is never
	// returned.
	HasAPIKey bool `json:"has_api_key"`
	// TimeoutSeconds bounds one request (default 60).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// Enabled reports whether a model is configured.
func (s Settings) Enabled() bool { return s.BaseURL != "" && s.Model != "" }

// Local reports whether the endpoint is on this machine, so that thread
// text does not leave it.
func (s Settings) Local() bool {
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// SettingsError names the settings field that is unusable.
type SettingsError struct{ Field, Message string }

func (e *SettingsError) Error() string { return e.Field + ": " + e.Message }

// Secrets keeps the API key out of the database. KeyringSecrets is the
// system keychain; tests use a map.
type Secrets interface {
	Get(name string) (string, error) // ErrNoSecret when absent
	Set(name, value string) error
	Delete(name string) error
}

// ErrNoSecret is returned by Secrets.Get for a missing secret.
var ErrNoSecret = errors.New("no such secret")

// KeyringSecrets stores secrets in the OS keychain (Secret Service,
// macOS Keychain, Windows Credential Manager) under Service.
type KeyringSecrets struct{ Service string }

func (k KeyringSecrets) Get(name string) (string, error) {
	v, err := keyring.Get(k.Service, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNoSecret
	}
	return v, err
}

func (k KeyringSecrets) Set(name, value string) error { return keyring.Set(k.Service, name, value) }

func (k KeyringSecrets) Delete(name string) error {
	err := keyring.Delete(k.Service, name)
	if errors.Is(err, keyring.ErrNotFound) {
		return nil
	}
	return err
}

const apiKeySecret = "llm-api-key"

func settingsKey() []byte { return store.Key("suggest", "settings") }

// Settings returns the stored settings (zero when never set).
func (s *Service) Settings() (Settings, error) {
	var set Settings
	err := s.st.View(func(txn *store.Txn) error { return txn.GetJSON(settingsKey(), &set) })
	if errors.Is(err, store.ErrNotFound) {
		return Settings{}, nil
	}
	return set, err
}

// SettingsUpdate changes the settings. APIKey nil keeps the stored key,
// "" removes it.
type SettingsUpdate struct {
	BaseURL        string  `json:"base_url"`
	Model          string  `json:"model"`
	APIKey         *string `json:"api_key,omitempty"`
	TimeoutSeconds int     `json:"timeout_seconds,omitempty"`
}

// SetSettings validates and stores u.
func (s *Service) SetSettings(u SettingsUpdate) (Settings, error) {
	u.BaseURL = strings.TrimRight(strings.TrimSpace(u.BaseURL), "/")
	u.Model = strings.TrimSpace(u.Model)
	if u.BaseURL != "" {
		p, err := url.Parse(u.BaseURL)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return Settings{}, &SettingsError{"base_url", "the base URL must be an http:// or https:// address, e.g. http://localhost:11434"}
		}
		if p.User != nil || p.RawQuery != "" {
			return Settings{}, &SettingsError{"base_url", "put the API key in api_key, not in the URL"}
		}
		if u.Model == "" {
			return Settings{}, &SettingsError{"model", "a model name is needed, e.g. llama3.2"}
		}
	}
	if u.TimeoutSeconds < 0 || u.TimeoutSeconds > 600 {
		return Settings{}, &SettingsError{"timeout_seconds", "the timeout must be between 1 and 600 seconds"}
	}
	old, err := s.Settings()
	if err != nil {
		return Settings{}, err
	}
	set := Settings{BaseURL: u.BaseURL, Model: u.Model, HasAPIKey: old.HasAPIKey, TimeoutSeconds: u.TimeoutSeconds}
	if u.APIKey != nil {
		if s.secrets == nil {
			return Settings{}, &SettingsError{"api_key", "no keychain is available to store the key"}
		}
		if *u.APIKey == "" {
			err = s.secrets.Delete(apiKeySecret)
		} else {
			err = s.secrets.Set(apiKeySecret, *u.APIKey)
		}
		if err != nil {
			return Settings{}, &SettingsError{"api_key", "the system keychain could not store the key: " + err.Error()}
		}
		set.HasAPIKey = *u.APIKey != ""
	}
	if err := s.st.Update(func(txn *store.Txn) error { return txn.SetJSON(settingsKey(), set) }); err != nil {
		return Settings{}, err
	}
	return set, nil
}

func (s *Service) apiKey() (string, error) {
	set, err := s.Settings()
	if err != nil || !set.HasAPIKey || s.secrets == nil {
		return "", err
	}
	key, err := s.secrets.Get(apiKeySecret)
	if errors.Is(err, ErrNoSecret) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read the API key from the keychain: %w", err)
	}
	return key, nil
}

// ChatMessage is one message of an OpenAI chat completion request.
type ChatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type chatRequest struct {
	Model       string        `json:"model"`
	Messages    []ChatMessage `json:"messages"`
	Temperature float64       `json:"temperature"`
	Stream      bool          `json:"stream"`
}

type chatResponse struct {
	Choices []struct {
		Message ChatMessage `json:"message"`
	} `json:"choices"`
	Error *struct {
		Message string `json:"message"`
	} `json:"error"`
}

type llmClient struct{ http *http.Client }

func newLLMClient() *llmClient { return &llmClient{http: &http.Client{}} }

// maxResponse bounds a model's answer; a reply draft is a few KiB.
const maxResponse = 1 << 20

// CompletionsURL is the chat completions endpoint under base: base may or
// may not already end in /v1.
func CompletionsURL(base string) string {
	base = strings.TrimRight(base, "/")
	if strings.HasSuffix(base, "/v1") {
		return base + "/chat/completions"
	}
	return base + "/v1/chat/completions"
}

func (c *llmClient) complete(ctx context.Context, set Settings, apiKey string, msgs []ChatMessage) (string, error) {
	timeout := time.Duration(set.TimeoutSeconds) * time.Second
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	body, _ := json.Marshal(chatRequest{Model: set.Model, Messages: msgs, Temperature: 0.3})
	req, err := http.NewRequestWithContext(ctx, "POST", CompletionsURL(set.BaseURL), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("reach the model endpoint: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return "", fmt.Errorf("read the model's answer: %w", err)
	}
	var cr chatResponse
	jerr := json.Unmarshal(raw, &cr)
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(raw))
		if jerr == nil && cr.Error != nil {
			msg = cr.Error.Message
		}
		if len(msg) > 300 {
			msg = msg[:300]
		}
		return "", fmt.Errorf("the model endpoint answered %s: %s", resp.Status, msg)
	}
	if jerr != nil {
		return "", fmt.Errorf("the model endpoint's answer is not chat-completions JSON: %w", jerr)
	}
	if len(cr.Choices) == 0 || strings.TrimSpace(cr.Choices[0].Message.Content) == "" {
		return "", errors.New("the model returned no text")
	}
	return strings.TrimSpace(cr.Choices[0].Message.Content), nil
}
