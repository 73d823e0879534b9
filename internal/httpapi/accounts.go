package httpapi

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"net/http"
	"net/mail"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/gotok/tiktok/internal/auth"
	"github.com/gotok/tiktok/internal/tiktok"
)

var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_.]{3,30}$`)

const (
	minPasswordRunes = 8
	maxNameRunes     = 50
	maxBioRunes      = 500
	maxEmailBytes    = 254
)

type registerRequest struct {
	Username *string `json:"username"`
	Email    *string `json:"email"`
	Password *string `json:"password"`
	Name     *string `json:"name"`
}

// normalizeEmail returns the lower-cased address, or ok=false if it is not a plain valid
// address.
func normalizeEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || len(s) > maxEmailBytes || !utf8.ValidString(s) {
		return "", false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@'):], ".") {
		return "", false
	}
	return s, true
}

// validatePassword checks a new password: at least minPasswordRunes characters (code
// points, not bytes), not only white space, and at most bcrypt's 72 bytes.
func validatePassword(fields map[string]string, key string, p *string) {
	switch {
	case p == nil || *p == "":
		fields[key] = "is required"
	case !validText(*p):
		fields[key] = "contains invalid characters"
	case utf8.RuneCountInString(*p) < minPasswordRunes:
		fields[key] = fmt.Sprintf("must be at least %d characters", minPasswordRunes)
	case strings.TrimSpace(*p) == "":
		fields[key] = "must not be only white space"
	case len(*p) > auth.MaxPasswordBytes:
		fields[key] = fmt.Sprintf("must be at most %d bytes", auth.MaxPasswordBytes)
	}
}

// optionalText trims s and checks its length in code points; an empty result is nil.
func optionalText(fields map[string]string, key string, s *string, max int) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	switch {
	case !validText(t):
		fields[key] = "contains invalid characters"
	case utf8.RuneCountInString(t) > max:
		fields[key] = fmt.Sprintf("must be at most %d characters", max)
	case t == "":
		return nil
	}
	return &t
}

// validText rejects invalid UTF-8 and NUL bytes (PostgreSQL text cannot store NUL).
func validText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func (s *Server) handleRegister(w http.ResponseWriter, r *http.Request) error {
	if err := s.limit(r.Context(), s.rules.registerIP, s.clientKey(r)); err != nil {
		return err
	}
	var req registerRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	var email string
	if req.Email == nil || strings.TrimSpace(*req.Email) == "" {
		fields["email"] = "is required"
	} else if e, ok := normalizeEmail(*req.Email); !ok {
		fields["email"] = "must be a valid email address"
	} else {
		email = e
	}
	validatePassword(fields, "password", req.Password)
	name := optionalName(fields, "name", req.Name)
	derive := req.Username == nil || strings.TrimSpace(*req.Username) == "" ||
		strings.EqualFold(strings.TrimSpace(*req.Username), strings.TrimSpace(deref(req.Email)))
	username := ""
	if !derive {
		username = strings.TrimSpace(*req.Username)
		if !usernamePattern.MatchString(username) {
			fields["username"] = "must be 3-30 letters, digits, underscores or dots"
		}
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}

	hash, err := s.hashPassword(r, *req.Password)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	var user tiktok.User
	if derive {
		user, err = s.createWithDerivedUsername(r, email, hash, name)
	} else {
		user, err = s.store.CreateUser(r.Context(), tiktok.NewUser{Username: username, Email: email, PasswordHash: hash, Name: name})
	}
	if err != nil {
		return err
	}
	token, err := s.tokens.Issue(user.ID, user.TokenVersion)
	if err != nil {
		return err
	}
	rd := s.renderer(r)
	rd.viewer = user.ID // the new user sees their own account
	writeJSON(w, http.StatusCreated, map[string]any{
		"message": "User registered successfully",
		"user":    rd.user(user),
		"token":   token,
	})
	return nil
}

// createWithDerivedUsername derives a username from the email's local part, adding random
// digits while it is taken (also when a concurrent registration takes it first).
func (s *Server) createWithDerivedUsername(r *http.Request, email, hash string, name *string) (tiktok.User, error) {
	base := usernameFromEmail(email)
	candidate := base
	for attempt := 0; attempt < 10; attempt++ {
		if attempt > 0 {
			n, err := rand.Int(rand.Reader, big.NewInt(10000))
			if err != nil {
				return tiktok.User{}, err
			}
			candidate = fmt.Sprintf("%s%04d", base, n.Int64())
		}
		user, err := s.store.CreateUser(r.Context(), tiktok.NewUser{Username: candidate, Email: email, PasswordHash: hash, Name: name})
		if tiktok.ErrorCode(err) == tiktok.CodeUsernameTaken {
			continue
		}
		return user, err
	}
	return tiktok.User{}, fmt.Errorf("register: no free username derived from %q after 10 attempts", base)
}

// usernameFromEmail keeps the allowed characters of the email's local part, leaving room
// for four digits, and pads names shorter than three characters.
func usernameFromEmail(email string) string {
	local, _, _ := strings.Cut(email, "@")
	var b strings.Builder
	for _, c := range local {
		if c < utf8.RuneSelf && (c == '_' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b.WriteRune(c)
		}
	}
	u := b.String()
	if len(u) > 26 {
		u = u[:26]
	}
	if len(u) < 3 {
		u = "user" + u
	}
	return u
}

type loginRequest struct {
	Email    *string `json:"email"`
	Username *string `json:"username"`
	Password *string `json:"password"`
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	login, loginField := strings.TrimSpace(deref(req.Email)), "email"
	if login == "" {
		login, loginField = strings.TrimSpace(deref(req.Username)), "username"
	}
	fields := map[string]string{}
	switch {
	case login == "":
		fields["email"] = "is required"
	case !validText(login): // a NUL byte would reach PostgreSQL, which rejects it
		fields[loginField] = "contains invalid characters"
	}
	if req.Password == nil || *req.Password == "" {
		fields["password"] = "is required"
	}
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	// Reserve a failed attempt for the client and the account before the password is
	// checked, and give it back on success: however many attempts arrive at once, at most
	// the budgets are ever evaluated.
	attempt := &passwordAttempt{s: s, ctx: r.Context()}
	if err := attempt.reserve(s.rules.loginIP, s.clientKey(r)); err != nil {
		return err
	}
	user, err := s.store.UserByLogin(r.Context(), login)
	if err != nil && tiktok.ErrorCode(err) != tiktok.CodeNotFound {
		attempt.refund() // nothing was checked
		return err
	}
	if err := attempt.reserve(s.rules.loginAccount, accountKey(user.ID, login)); err != nil {
		return err
	}
	// An unknown account is checked against a dummy hash (user.PasswordHash is empty), and
	// an over-long password is compared too, so every failure costs one bcrypt comparison.
	ok, err := s.checkPassword(r, user.PasswordHash, *req.Password)
	if err != nil {
		attempt.refund()
		return err
	}
	if !ok {
		return &tiktok.Error{Code: tiktok.CodeInvalidCredentials, Message: "Invalid credentials"}
	}
	if user.SuspendedAt != nil {
		// Said only to whoever knows the password, after the same bcrypt comparison as any
		// other attempt; the attempt keeps counting against the failed-login budgets.
		return &tiktok.Error{Code: tiktok.CodeAccountSuspended, Message: "This account is suspended"}
	}
	attempt.refund()
	token, err := s.tokens.Issue(user.ID, user.TokenVersion)
	if err != nil {
		return err
	}
	rd := s.renderer(r)
	rd.viewer = user.ID // the user now signed in sees their own account
	writeJSON(w, http.StatusOK, map[string]any{"token": token, "user": rd.user(user)})
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	user, err := s.store.UserByID(r.Context(), viewerID(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.renderer(r).user(user))
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
