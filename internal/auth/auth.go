// Package auth hashes passwords with bcrypt and issues and verifies HS256 JSON Web Tokens.
// It knows nothing of HTTP or the database.
package auth

import (
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/gotok/tiktok/internal/tiktok"
)

// MaxPasswordBytes is bcrypt's input limit; longer passwords are rejected, never truncated.
const MaxPasswordBytes = 72

// Leeway is the clock skew tolerated when checking a token's times.
const Leeway = 30 * time.Second

// Passwords hashes and checks passwords with bcrypt at a fixed cost.
type Passwords struct {
	cost    int
	dummy   []byte      // a hash of a random password, compared against for unknown accounts
	workers *workerPool // nil: bcrypt runs on the caller's goroutine
}

// NewPasswords returns a Passwords hashing at cost, which must be within bcrypt's range.
func NewPasswords(cost int) (*Passwords, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d outside [%d, %d]", cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	dummy, err := bcrypt.GenerateFromPassword([]byte("not-a-real-password-only-for-timing"), cost)
	if err != nil {
		return nil, fmt.Errorf("hash dummy password: %w", err)
	}
	return &Passwords{cost: cost, dummy: dummy}, nil
}

// NewPasswordsPool is NewPasswords running every bcrypt computation on one of workers
// dedicated low-priority threads (see lowprio.go), so that logins cannot starve other
// requests of CPU. Call Close to stop the workers.
func NewPasswordsPool(cost, workers int) (*Passwords, error) {
	p, err := NewPasswords(cost)
	if err != nil {
		return nil, err
	}
	if workers > 0 {
		p.workers = newWorkerPool(workers)
	}
	return p, nil
}

// Parallelism is how many bcrypt computations can run at once: the number of workers, or
// GOMAXPROCS when bcrypt runs on the callers' goroutines.
func (p *Passwords) Parallelism() int {
	if p.workers != nil {
		return p.workers.n
	}
	return runtime.GOMAXPROCS(0)
}

// Close stops the workers of a Passwords made by NewPasswordsPool; it must not be used after.
func (p *Passwords) Close() {
	if p.workers != nil {
		p.workers.close()
	}
}

// do runs f where bcrypt runs: on a worker if there are any.
func (p *Passwords) do(f func()) {
	if p.workers == nil {
		f()
		return
	}
	p.workers.run(f)
}

// Hash returns the bcrypt hash of password. It fails for passwords over 72 bytes.
func (p *Passwords) Hash(password string) (string, error) {
	if len(password) > MaxPasswordBytes {
		return "", errors.New("password longer than 72 bytes")
	}
	var (
		h   []byte
		err error
	)
	p.do(func() { h, err = bcrypt.GenerateFromPassword([]byte(password), p.cost) })
	if err != nil {
		return "", fmt.Errorf("bcrypt: %w", err)
	}
	return string(h), nil
}

// Check reports whether password matches hash. An empty hash (unknown account) is compared
// against a dummy hash so that the call takes the same time either way, and reports false.
// A password over 72 bytes matches nothing: bcrypt would compare only its first 72 bytes.
func (p *Passwords) Check(hash, password string) bool {
	var match bool
	p.do(func() {
		if hash == "" || len(password) > MaxPasswordBytes {
			// Same work as a real comparison, whatever the cause of the failure.
			_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(password[:min(len(password), MaxPasswordBytes)]))
			return
		}
		match = bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
	})
	return match
}

// Claims are the claims of our tokens: the user id twice (`id` as a number for clients that
// decode the token, `sub` as the standard string) and the user's token version, which
// revokes every older token when the user logs out or changes password.
type Claims struct {
	ID      int64 `json:"id"`
	Version int64 `json:"ver"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies HS256 tokens with one secret.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewTokens returns a Tokens signing with secret; tokens live for ttl. now is the clock
// (time.Now in production).
func NewTokens(secret []byte, ttl time.Duration, now func() time.Time) *Tokens {
	return &Tokens{
		secret: secret,
		ttl:    ttl,
		now:    now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithLeeway(Leeway),
			jwt.WithTimeFunc(now),
			jwt.WithStrictDecoding(), // the unused low bits of a segment's last character must be zero
		),
	}
}

// Issue returns a signed token for the user at the given token version.
func (t *Tokens) Issue(userID, version int64) (string, error) {
	now := t.now()
	claims := Claims{
		ID:      userID,
		Version: version,
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   strconv.FormatInt(userID, 10),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.ttl)),
		},
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(t.secret)
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return s, nil
}

// Verify checks the token's signature, algorithm and times and returns its claims.
// It returns a *tiktok.Error with code token_expired for an expired token and
// token_invalid for anything else wrong.
func (t *Tokens) Verify(token string) (Claims, error) {
	if !compactJWS(token) {
		return Claims{}, &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, token failed"}
	}
	var c Claims
	_, err := t.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil })
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return Claims{}, &tiktok.Error{Code: tiktok.CodeTokenExpired, Message: "Token expired", Cause: err}
		}
		return Claims{}, &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, token failed", Cause: err}
	}
	if c.ID <= 0 || c.Subject != strconv.FormatInt(c.ID, 10) {
		return Claims{}, &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, token failed"}
	}
	return c, nil
}

// compactJWS reports whether token holds only base64url characters and dots. The base64
// decoder skips line breaks, so without this check one token would have many spellings.
func compactJWS(token string) bool {
	for i := 0; i < len(token); i++ {
		switch c := token[i]; {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return token != ""
}
