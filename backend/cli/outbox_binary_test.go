package cli_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

func (s *served) post(t *testing.T, path, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// closedPort returns a loopback port nothing listens on: a mail server
// that is down.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestServeQueuesOutgoingMail: a message submitted to the running app while
// the account's SMTP server is down is queued, says why it waits, and is
// still there after a restart.
func TestServeQueuesOutgoingMail(t *testing.T) {
	t.Setenv("THREADLINE_SECRETS", "file")
	dir := t.TempDir()
	s := startServe(t, dir)
	code, body := s.post(t, "/api/accounts", fmt.Sprintf(`{"email":"sam@example.com","name":"Sam","password":"pw",`+
		`"imap":{"host":"127.0.0.1","port":%d,"security":"none"},"smtp":{"host":"127.0.0.1","port":%d,"security":"none"}}`,
		closedPort(t), closedPort(t)))
	if code != 201 {
		t.Fatalf("create account: %d %s", code, body)
	}
	var acct struct {
		ID string `json:"id"`
	}
	json.Unmarshal([]byte(body), &acct)
	code, body = s.post(t, "/api/outbox", `{"account_id":"`+acct.ID+`","to":["bob@customer.test"],"subject":"Hello","text":"Hi Bob"}`)
	if code != 202 {
		t.Fatalf("submit: %d %s", code, body)
	}
	var item struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	if err := json.Unmarshal([]byte(body), &item); err != nil || item.State != "queued" {
		t.Fatalf("submitted item: %s", body)
	}
	var list struct {
		Items []struct {
			ID        string `json:"id"`
			State     string `json:"state"`
			LastError string `json:"last_error"`
			Attempts  int    `json:"attempts"`
		} `json:"items"`
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, body = s.get(t, "/api/outbox")
		json.Unmarshal([]byte(body), &list)
		if len(list.Items) == 1 && list.Items[0].Attempts > 0 && list.Items[0].State != "sending" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no attempt was made: %s", body)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if it := list.Items[0]; it.State != "queued" || !strings.Contains(it.LastError, "refused") {
		t.Fatalf("item %+v", it)
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	s.cmd.Wait()

	s = startServe(t, dir)
	_, body = s.get(t, "/api/outbox?state=queued")
	if !strings.Contains(body, item.ID) {
		t.Fatalf("after restart: %s", body)
	}
}
