package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/gotok/tiktok/internal/tiktok"
	"runtime"
	"sync"
	"syscall"
)

var (
	testSecret = []byte("auth-test-secret-auth-test-secret!!")
	// testNow is the fixed clock of these tests; tokens issued at it are deterministic.
	testNow = time.Date(2025, 4, 15, 6, 56, 43, 0, time.UTC)
)

func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestNewPasswordsCost(t *testing.T) {
	for _, cost := range []int{-1, 0, 3, 32} {
		if _, err := NewPasswords(cost); err == nil {
			t.Errorf("cost %d accepted", cost)
		}
	}
	if _, err := NewPasswords(4); err != nil {
		t.Fatal(err)
	}
}

func TestPasswords(t *testing.T) {
	p, err := NewPasswords(4)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := p.Hash("password123")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(hash, "$2a$04$") {
		t.Errorf("hash %q is not a cost-4 bcrypt hash", hash)
	}
	if again, _ := p.Hash("password123"); again == hash {
		t.Error("two hashes of one password are equal: no salt")
	}
	for _, tc := range []struct {
		password string
		want     bool
	}{
		{"password123", true},
		{"password124", false},
		{"Password123", false},
		{"password12", false},
		{"password123 ", false},
		{"", false},
	} {
		if got := p.Check(hash, tc.password); got != tc.want {
			t.Errorf("Check(%q) = %v, want %v", tc.password, got, tc.want)
		}
	}
	if p.Check("not a bcrypt hash", "password123") {
		t.Error("a malformed hash matched")
	}
}

// TestPasswordsLimit checks bcrypt's 72-byte limit is enforced, never silently applied:
// a longer password is neither hashed nor matched against the hash of its first 72 bytes.
func TestPasswordsLimit(t *testing.T) {
	p, err := NewPasswords(4)
	if err != nil {
		t.Fatal(err)
	}
	max := strings.Repeat("é", MaxPasswordBytes/2) // 72 bytes, 36 characters
	hash, err := p.Hash(max)
	if err != nil {
		t.Fatalf("72 bytes: %v", err)
	}
	if !p.Check(hash, max) {
		t.Fatal("72-byte password does not match its hash")
	}
	if _, err := p.Hash(max + "x"); err == nil {
		t.Error("73-byte password hashed")
	}
	if p.Check(hash, max+"x") {
		t.Error("a 73-byte password matched the hash of its first 72 bytes")
	}
	if p.Check(hash, max+strings.Repeat("x", 1000)) {
		t.Error("a long password matched the hash of its first 72 bytes")
	}
}

// TestPasswordsUnknownAccount checks the dummy comparison for unknown accounts: it reports
// false for every password, including the dummy's own, and costs what a real check costs.
func TestPasswordsUnknownAccount(t *testing.T) {
	p, err := NewPasswords(8)
	if err != nil {
		t.Fatal(err)
	}
	hash, err := p.Hash("password123")
	if err != nil {
		t.Fatal(err)
	}
	for _, pw := range []string{"password123", "", "not-a-real-password-only-for-timing", strings.Repeat("x", 100)} {
		if p.Check("", pw) {
			t.Errorf("unknown account matched %q", pw)
		}
	}
	// The dummy compare must really run bcrypt: compare the fastest of a few runs each.
	fastest := func(f func()) time.Duration {
		best := time.Hour
		for range 5 {
			start := time.Now()
			f()
			best = min(best, time.Since(start))
		}
		return best
	}
	real := fastest(func() { p.Check(hash, "wrong-password") })
	dummy := fastest(func() { p.Check("", "wrong-password") })
	if dummy < real/3 {
		t.Errorf("unknown-account check took %v, a real one %v: the timing reveals which accounts exist", dummy, real)
	}
}

// sign makes a token with any header and claims, signed with HMAC-SHA256 under secret,
// whatever the header says.
func sign(t *testing.T, header, claims map[string]any, secret []byte) string {
	t.Helper()
	seg := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := seg(header) + "." + seg(claims)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// validClaims are the claims Issue writes for user 42 at version 1, issued at testNow.
func validClaims() map[string]any {
	return map[string]any{"id": 42, "sub": "42", "ver": 1, "iat": testNow.Unix(), "exp": testNow.Add(time.Hour).Unix()}
}

var hs256 = map[string]any{"alg": "HS256", "typ": "JWT"}

func TestTokensRoundTrip(t *testing.T) {
	tokens := NewTokens(testSecret, time.Hour, fixedClock(testNow))
	tok, err := tokens.Issue(42, 7)
	if err != nil {
		t.Fatal(err)
	}
	c, err := tokens.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 42 || c.Version != 7 || c.Subject != "42" ||
		!c.IssuedAt.Time.Equal(testNow) || !c.ExpiresAt.Time.Equal(testNow.Add(time.Hour)) {
		t.Errorf("claims %+v", c)
	}
	// Clients decode the payload: id must be a JSON number, sub a string.
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["id"] != float64(42) || raw["sub"] != "42" {
		t.Errorf("payload %s", payload)
	}
	// The hand-made token of the same claims is accepted too, so the forgeries below are
	// rejected for what they change, not for how sign makes them.
	if _, err := tokens.Verify(sign(t, hs256, validClaims(), testSecret)); err != nil {
		t.Fatalf("hand-signed valid token: %v", err)
	}
}

func TestTokensLifetimeAndLeeway(t *testing.T) {
	tok, err := NewTokens(testSecret, time.Hour, fixedClock(testNow)).Issue(42, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		at   time.Duration // after issue
		want tiktok.Code   // "" for valid
	}{
		{0, ""},
		{59 * time.Minute, ""},
		{time.Hour, ""},
		{time.Hour + 29*time.Second, ""}, // within the 30 s leeway
		{time.Hour + 31*time.Second, tiktok.CodeTokenExpired},
		{48 * time.Hour, tiktok.CodeTokenExpired},
		{-29 * time.Second, ""},                      // the verifier's clock is a little behind the issuer's
		{-31 * time.Second, tiktok.CodeTokenInvalid}, // issued in the future
	} {
		_, err := NewTokens(testSecret, time.Hour, fixedClock(testNow.Add(tc.at))).Verify(tok)
		if got := codeOf(err); got != tc.want {
			t.Errorf("verified %v after issue: %q (%v), want %q", tc.at, got, err, tc.want)
		}
	}
}

// codeOf returns the code of a *tiktok.Error, "" for nil, and fails for other errors.
func codeOf(err error) tiktok.Code {
	if err == nil {
		return ""
	}
	var e *tiktok.Error
	if !errors.As(err, &e) {
		return "not a *tiktok.Error"
	}
	return e.Code
}

func TestTokensRejectForgeries(t *testing.T) {
	tokens := NewTokens(testSecret, time.Hour, fixedClock(testNow))
	good, err := tokens.Issue(42, 1)
	if err != nil {
		t.Fatal(err)
	}
	with := func(change func(map[string]any)) map[string]any {
		c := validClaims()
		change(c)
		return c
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(validClaims())).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	hs512, err := jwt.NewWithClaims(jwt.SigningMethodHS512, jwt.MapClaims(validClaims())).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	hs384, err := jwt.NewWithClaims(jwt.SigningMethodHS384, jwt.MapClaims(validClaims())).SignedString(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	wrongKey, err := NewTokens([]byte("another-secret-another-secret-another"), time.Hour, fixedClock(testNow)).Issue(42, 1)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, ".")
	otherPayload := strings.Split(sign(t, hs256, with(func(c map[string]any) { c["id"], c["sub"] = 1, "1" }), []byte("x")), ".")[1]

	for name, tok := range map[string]string{
		"wrong key":          wrongKey,
		"alg none":           none,
		"alg none, no dot":   strings.TrimSuffix(none, "."),
		"alg none, HS sig":   sign(t, map[string]any{"alg": "none"}, validClaims(), testSecret),
		"alg NONE":           sign(t, map[string]any{"alg": "NONE"}, validClaims(), testSecret),
		"HS512":              hs512,
		"HS384":              hs384,
		"RS256 header":       sign(t, map[string]any{"alg": "RS256", "typ": "JWT"}, validClaims(), testSecret),
		"ES256 header":       sign(t, map[string]any{"alg": "ES256"}, validClaims(), testSecret),
		"hs256 lower case":   sign(t, map[string]any{"alg": "hs256"}, validClaims(), testSecret),
		"no alg":             sign(t, map[string]any{"typ": "JWT"}, validClaims(), testSecret),
		"missing exp":        sign(t, hs256, with(func(c map[string]any) { delete(c, "exp") }), testSecret),
		"exp a string":       sign(t, hs256, with(func(c map[string]any) { c["exp"] = "never" }), testSecret),
		"id/sub mismatch":    sign(t, hs256, with(func(c map[string]any) { c["sub"] = "43" }), testSecret),
		"sub missing":        sign(t, hs256, with(func(c map[string]any) { delete(c, "sub") }), testSecret),
		"id missing":         sign(t, hs256, with(func(c map[string]any) { delete(c, "id") }), testSecret),
		"id zero":            sign(t, hs256, with(func(c map[string]any) { c["id"], c["sub"] = 0, "0" }), testSecret),
		"id negative":        sign(t, hs256, with(func(c map[string]any) { c["id"], c["sub"] = -42, "-42" }), testSecret),
		"id a string":        sign(t, hs256, with(func(c map[string]any) { c["id"] = "42" }), testSecret),
		"id fractional":      sign(t, hs256, with(func(c map[string]any) { c["id"] = 42.5 }), testSecret),
		"sub with zero":      sign(t, hs256, with(func(c map[string]any) { c["sub"] = "042" }), testSecret),
		"not yet valid":      sign(t, hs256, with(func(c map[string]any) { c["nbf"] = testNow.Add(time.Hour).Unix() }), testSecret),
		"payload swapped":    parts[0] + "." + otherPayload + "." + parts[2],
		"signature dropped":  parts[0] + "." + parts[1] + ".",
		"two parts":          parts[0] + "." + parts[1],
		"four parts":         good + ".x",
		"padded signature":   good + "=",
		"signature bit flip": parts[0] + "." + parts[1] + "." + flipLastChar(parts[2]),
		"line break":         parts[0] + "." + parts[1] + "." + parts[2][:10] + "\n" + parts[2][10:],
		"standard base64":    parts[0] + "." + parts[1] + "." + strings.NewReplacer("-", "+", "_", "/").Replace(parts[2]),
		"surrounding spaces": " " + good + " ",
		"empty":              "",
		"garbage":            "not.a.token",
	} {
		_, err := tokens.Verify(tok)
		if got := codeOf(err); got != tiktok.CodeTokenInvalid {
			t.Errorf("%s: %q (%v), want token_invalid", name, got, err)
		}
	}
}

// flipLastChar changes the last base64url character of s to another that differs only in
// bits the decoder may ignore.
func flipLastChar(s string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	i := strings.IndexByte(alphabet, s[len(s)-1])
	return s[:len(s)-1] + string(alphabet[i^1])
}

// FuzzVerify checks that Verify never panics, fails only with token_invalid or
// token_expired, and accepts nothing but the exact strings Issue produced.
func FuzzVerify(f *testing.F) {
	tokens := NewTokens(testSecret, time.Hour, fixedClock(testNow))
	issued := map[string]bool{}
	for _, u := range [][2]int64{{42, 1}, {1, 0}, {9007199254740993, 12}} {
		tok, err := tokens.Issue(u[0], u[1])
		if err != nil {
			f.Fatal(err)
		}
		issued[tok] = true
		parts := strings.Split(tok, ".")
		for _, s := range []string{
			tok, tok + "=", tok + ".", " " + tok, tok + "\n", strings.ToUpper(tok),
			parts[0] + "." + parts[1] + "." + flipLastChar(parts[2]),
			parts[0] + "." + parts[1] + "." + parts[2][:len(parts[2])-1],
			parts[0] + "." + parts[1] + "." + parts[2][:8] + "\r\n" + parts[2][8:],
			parts[0] + "." + parts[1][:len(parts[1])-1] + flipLastChar(parts[1][len(parts[1])-1:]) + "." + parts[2],
			parts[0] + "." + parts[1] + ".",
			parts[0] + ".." + parts[2],
			"." + parts[1] + "." + parts[2],
			parts[1] + "." + parts[0] + "." + parts[2],
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`)) + "." + parts[1] + ".",
			base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","kid":"../../dev/null"}`)) + "." + parts[1] + "." + parts[2],
		} {
			f.Add(s)
		}
	}
	for _, s := range []string{"", ".", "..", "...", "a.b.c", "eyJ.eyJ.", "\x00", "\xff.\xfe.\xfd", strings.Repeat("A", 5000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		c, err := tokens.Verify(tok)
		if err != nil {
			if code := codeOf(err); code != tiktok.CodeTokenInvalid && code != tiktok.CodeTokenExpired {
				t.Fatalf("%q: error %v", tok, err)
			}
			if c.ID != 0 || c.Version != 0 || c.Subject != "" || c.ExpiresAt != nil {
				t.Fatalf("%q: error %v with claims %+v", tok, err, c)
			}
			return
		}
		if !issued[tok] {
			t.Fatalf("verified %q, which Issue did not produce (claims %+v)", tok, c)
		}
	})
}

func TestPasswordsPool(t *testing.T) {
	p, err := NewPasswordsPool(4, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	hash, err := p.Hash("password123")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			want := i%2 == 0
			pw := "password123"
			if !want {
				pw = "wrong-password"
			}
			if got := p.Check(hash, pw); got != want {
				t.Errorf("Check(%q) = %v", pw, got)
			}
		}()
	}
	wg.Wait()
	if runtime.GOOS == "linux" {
		var prio int
		var perr error
		p.do(func() { prio, perr = syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid()) })
		// The raw Linux syscall answers 20 - nice.
		if perr != nil || 20-prio != bcryptNice {
			t.Fatalf("worker thread nice = %d (err %v), want %d", 20-prio, perr, bcryptNice)
		}
	}
}
