package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Account is a user the load acts as.
type Account struct {
	ID    int64
	Email string
	Token string
}

// Call makes one JSON request outside a run and decodes a 2xx answer into out (when not
// nil). Any other status is an error quoting the body.
func Call(ctx context.Context, client *http.Client, baseURL, method, path, token string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(baseURL, "/")+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// StatusError is a non-2xx answer to Call.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s", e.Method, e.Path, e.Status, e.Body)
}

// StatusOf returns the HTTP status of a *StatusError in err's chain, or 0.
func StatusOf(err error) int {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status
	}
	return 0
}

type authAnswer struct {
	Token string `json:"token"`
	User  struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	} `json:"user"`
}

// Login logs in with an email (or username) and password.
func Login(ctx context.Context, client *http.Client, baseURL, login, password string) (Account, error) {
	var a authAnswer
	err := Call(ctx, client, baseURL, "POST", "/api/users/login", "", map[string]string{"email": login, "password": password}, &a)
	if err != nil {
		return Account{}, err
	}
	return Account{ID: a.User.ID, Email: a.User.Email, Token: a.Token}, nil
}

// LoginOrRegister logs in as username (email username@example.test), registering the
// account first when it does not exist yet.
func LoginOrRegister(ctx context.Context, client *http.Client, baseURL, username, password string) (Account, error) {
	email := username + "@example.test"
	a, err := Login(ctx, client, baseURL, email, password)
	if StatusOf(err) != http.StatusUnauthorized {
		return a, err
	}
	var ans authAnswer
	err = Call(ctx, client, baseURL, "POST", "/api/users/register", "",
		map[string]string{"username": username, "email": email, "password": password, "name": "Load " + username}, &ans)
	if err != nil {
		return Account{}, err
	}
	return Account{ID: ans.User.ID, Email: ans.User.Email, Token: ans.Token}, nil
}

// WaitReady polls baseURL/readyz until it answers 200 or timeout passes.
func WaitReady(ctx context.Context, baseURL string, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		err := Call(ctx, client, baseURL, "GET", "/readyz", "", nil, nil)
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("server at %s not ready after %s: %w", baseURL, timeout, last)
}
