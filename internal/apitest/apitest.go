// Package apitest is the HTTP client the service's tests share: it sends one request to a
// running server — a JSON or raw body, a bearer token, extra headers — reads the whole
// answer and decodes it when it is a JSON object. Only tests import it; what a test
// checks about the answer stays in the test.
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Client sends requests to the server at URL. Its methods report every problem as an
// error, never through a testing.T, so they may run on any goroutine.
type Client struct {
	URL  string       // the server's base URL, e.g. "http://127.0.0.1:8000"
	HTTP *http.Client // nil means http.DefaultClient
}

// Response is an answer read in full.
type Response struct {
	Status int
	Header http.Header
	Raw    []byte
	// Body is the answer decoded when it is a JSON object (Content-Type application/json
	// and a body starting with '{'), else nil.
	Body map[string]any
	// Took is the time from sending the request to reading the answer's last byte (or to
	// the transport error).
	Took time.Duration
}

// NewRequest returns the request method path (relative to c.URL) with body: nil sends no
// body, a string or []byte is sent as it is, an io.Reader is streamed (chunked unless
// net/http knows its length, as for a *bytes.Reader), anything else is sent as JSON. A
// request with a body has Content-Type application/json unless headers — name, value
// pairs, set after it — say otherwise. A non-empty token is sent as a bearer token.
func (c Client) NewRequest(method, path string, body any, token string, headers ...string) (*http.Request, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, fmt.Errorf("%s %s: encode body: %w", method, path, err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		return nil, err
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if len(headers)%2 != 0 {
		return nil, fmt.Errorf("%s %s: headers %q are not name, value pairs", method, path, headers)
	}
	for i := 0; i < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req, nil
}

// Send sends req and reads its answer. It fails when no answer came, when the answer was
// cut short (the Response then holds what arrived) and when an answer that says it is
// JSON does not decode.
func (c Client) Send(req *http.Request) (Response, error) {
	client := c.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return Response{Took: time.Since(start)}, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	out := Response{Status: res.StatusCode, Header: res.Header, Raw: raw, Took: time.Since(start)}
	if err != nil {
		return out, fmt.Errorf("%s %s: %d, reading the body: %w", req.Method, req.URL.Path, res.StatusCode, err)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			return out, fmt.Errorf("%s %s: %d, undecodable JSON %q: %w", req.Method, req.URL.Path, res.StatusCode, raw, err)
		}
	}
	return out, nil
}

// Do sends method path with body, token and headers as NewRequest builds them, and reads
// the answer as Send does.
func (c Client) Do(method, path string, body any, token string, headers ...string) (Response, error) {
	req, err := c.NewRequest(method, path, body, token, headers...)
	if err != nil {
		return Response{}, err
	}
	return c.Send(req)
}

// Get returns the value at a dotted path of the decoded body ("user.id"), or nil.
func (r Response) Get(path string) any { return Lookup(r.Body, path) }

// Str returns the string at a dotted path of the decoded body, or "".
func (r Response) Str(path string) string { s, _ := r.Get(path).(string); return s }

// Int returns the number at a dotted path of the decoded body as an int64, or 0.
func (r Response) Int(path string) int64 { f, _ := r.Get(path).(float64); return int64(f) }

// String returns the status and the body, for failure messages.
func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, bytes.TrimSpace(r.Raw)) }

// Lookup returns the value at a dotted path ("user.id") of a decoded JSON value, or nil
// when a step of the path is missing or not an object.
func Lookup(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// LogBuffer is an io.Writer that a server's goroutines may share with the test reading
// what they logged.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LogBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *LogBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
