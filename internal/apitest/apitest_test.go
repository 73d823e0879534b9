package apitest_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/apitest"
)

// echo answers /echo with what it received as a JSON object, and the other paths with
// the answers a client must tell apart.
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch r.URL.Path {
	case "/echo":
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		json.NewEncoder(w).Encode(map[string]any{
			"method": r.Method, "contentType": r.Header.Get("Content-Type"), "auth": r.Header.Get("Authorization"),
			"extra": r.Header.Get("X-Extra"), "length": r.ContentLength, "body": string(body),
			"nested": map[string]any{"n": 7},
		})
	case "/array":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[1,2]`)
	case "/text":
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, `{"looks":"like JSON"}`)
	case "/broken":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"cut`)
	}
}

// TestDo: each kind of body is sent as documented — none, as is, streamed, as JSON —
// with Content-Type application/json unless a header overrides it, the bearer token and
// extra headers; the JSON object answer is decoded and read by dotted paths.
func TestDo(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(echo))
	defer srv.Close()
	c := apitest.Client{URL: srv.URL, HTTP: srv.Client()}
	tests := []struct {
		name        string
		method      string
		body        any
		token       string
		headers     []string
		contentType string
		sent        string
		length      int64 // -1: streamed without a length
	}{
		{"no body", "GET", nil, "", nil, "", "", 0},
		{"string as is", "POST", `{"a":1}`, "", nil, "application/json", `{"a":1}`, 7},
		{"bytes with another type", "POST", []byte("raw"), "", []string{"Content-Type", "application/octet-stream"}, "application/octet-stream", "raw", 3},
		{"reader streamed", "PUT", io.MultiReader(strings.NewReader("stream")), "", nil, "application/json", "stream", -1},
		{"value as JSON", "POST", map[string]string{"k": "v"}, "", nil, "application/json", `{"k":"v"}`, 9},
		{"token and header", "DELETE", nil, "tok", []string{"X-Extra", "1"}, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := c.Do(tt.method, "/echo", tt.body, tt.token, tt.headers...)
			if err != nil {
				t.Fatal(err)
			}
			wantAuth, wantExtra := "", ""
			if tt.token != "" {
				wantAuth, wantExtra = "Bearer "+tt.token, "1"
			}
			got := fmt.Sprintf("%d %s %q %q %q %q %d %d", res.Status, res.Str("method"), res.Str("contentType"), res.Str("body"),
				res.Str("auth"), res.Str("extra"), res.Int("length"), res.Int("nested.n"))
			want := fmt.Sprintf("200 %s %q %q %q %q %d 7", tt.method, tt.contentType, tt.sent, wantAuth, wantExtra, tt.length)
			if got != want {
				t.Errorf("answer %s, want %s", got, want)
			}
		})
	}
}

// TestSendDecodes: only an answer that says it is JSON and is an object is decoded; one
// that says it is JSON and does not decode is an error that keeps what arrived; no
// answer at all is an error too.
func TestSendDecodes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(echo))
	c := apitest.Client{URL: srv.URL}
	for _, tt := range []struct {
		path    string
		raw     string
		decoded bool
		fails   bool
	}{
		{"/array", "[1,2]", false, false},
		{"/text", `{"looks":"like JSON"}`, false, false},
		{"/broken", `{"cut`, false, true},
	} {
		res, err := c.Do("GET", tt.path, nil, "")
		if (err != nil) != tt.fails || string(res.Raw) != tt.raw || (res.Body != nil) != tt.decoded || res.Status != 200 {
			t.Errorf("GET %s: %s, body %v, error %v; want raw %s, decoded %v, error %v", tt.path, res, res.Body, err, tt.raw, tt.decoded, tt.fails)
		}
	}
	if _, err := c.Do("GET", "/echo", nil, "", "X-Extra"); err == nil {
		t.Error("a header name without a value was accepted")
	}
	srv.Close()
	if res, err := c.Do("GET", "/echo", nil, ""); err == nil || res.Status != 0 {
		t.Errorf("a closed server answered %s (%v)", res, err)
	}
}

// TestLookup: dotted paths into decoded JSON; a missing step or a non-object is nil.
func TestLookup(t *testing.T) {
	t.Parallel()
	var v any
	if err := json.Unmarshal([]byte(`{"user":{"id":3,"tags":["a"]},"code":"x"}`), &v); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]any{
		"code": "x", "user.id": 3.0, "user.missing": nil, "user.tags.0": nil, "code.deeper": nil, "nothing": nil,
	} {
		if got := apitest.Lookup(v, path); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Lookup(%q) = %v, want %v", path, got, want)
		}
	}
}
