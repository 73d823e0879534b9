package httpapi

import (
	"context"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/ratelimit"
	"github.com/gotok/tiktok/internal/tiktok"
)

// rules are the rate limits of the contract's Limits section.
type rules struct {
	loginAccount, loginIP, registerIP, writes, requestsIP ratelimit.Rule
	// exportUser bounds data exports per user (each reads every row of the user).
	exportUser ratelimit.Rule
}

func newRules(l config.Limits) rules {
	if !l.Enabled {
		return rules{}
	}
	return rules{
		loginAccount: ratelimit.Rule{Name: "login-account", Limit: l.LoginPerAccount, Window: 15 * time.Minute},
		loginIP:      ratelimit.Rule{Name: "login-ip", Limit: l.LoginPerIP, Window: time.Minute},
		registerIP:   ratelimit.Rule{Name: "register-ip", Limit: l.RegisterPerIP, Window: time.Hour},
		writes:       ratelimit.Rule{Name: "writes", Limit: l.WritesPerUser, Window: time.Minute},
		requestsIP:   ratelimit.Rule{Name: "requests-ip", Limit: l.RequestsPerIP, Window: time.Minute},
		exportUser:   ratelimit.Rule{Name: "export-user", Limit: l.ExportsPerUser, Window: time.Hour},
	}
}

// limit consumes one action under rule for key, returning a rate_limited error with
// Retry-After when none is left.
func (s *Server) limit(ctx context.Context, rule ratelimit.Rule, key string) error {
	_, err := s.take(ctx, rule, key, 1)
	return err
}

// take consumes n units under rule for key, like limit, and reports whether they were
// really consumed (and so may be given back with refund): not when the rule is off or the
// limiter failed.
func (s *Server) take(ctx context.Context, rule ratelimit.Rule, key string, n int) (taken bool, err error) {
	if rule.Limit <= 0 {
		return false, nil
	}
	d, err := s.limiter.Take(ctx, rule, key, n)
	if err != nil {
		// A broken shared limiter must not take the API down with it.
		s.log.Warn("rate limiter failed; allowing", "rule", rule.Name, "err", err)
		return false, nil
	}
	if !d.Allowed {
		return false, &tiktok.Error{Code: tiktok.CodeRateLimited, Message: "Too many requests, please try again later", RetryAfter: d.RetryAfter}
	}
	return true, nil
}

// refund gives back n units an earlier take consumed.
func (s *Server) refund(ctx context.Context, rule ratelimit.Rule, key string, n int) {
	if err := s.limiter.Refund(context.WithoutCancel(ctx), rule, key, n); err != nil {
		s.log.Warn("rate limiter refund failed", "rule", rule.Name, "err", err)
	}
}

// clientKey is the key of the per-client limits: the client's IPv4 address, or the /64
// network of its IPv6 address (one subscriber is usually given a whole /64, so keying on
// the full address would give each of them 2^64 budgets).
func (s *Server) clientKey(r *http.Request) string {
	return clientKeyOf(s.clientIP(r))
}

func clientKeyOf(a netip.Addr) string {
	if a.Is6() {
		p, err := a.Prefix(64)
		if err == nil {
			return p.String()
		}
	}
	return a.String()
}

// limitClients applies the overall per-IP request ceiling to every route but the
// health probes (which load balancers call often, and which do almost no work).
func (s *Server) limitClients(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz":
		default:
			if err := s.limit(r.Context(), s.rules.requestsIP, s.clientKey(r)); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// limitWrites applies the per-user write limit to an authenticated mutation.
func (s *Server) limitWrites(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	return s.limit(r.Context(), s.rules.writes, strconv.FormatInt(viewerID(r), 10))
}

// accountKey is the per-account failed-login key: the user id when the login names an
// existing account (whatever spelling named it: email, username, any case), else the
// lower-cased login string.
func accountKey(userID int64, login string) string {
	if userID != 0 {
		return "user:" + strconv.FormatInt(userID, 10)
	}
	return "login:" + strings.ToLower(login)
}

// passwordAttempt is a reservation of one unit of the failed-password budgets, taken before
// the password is checked, so that however many attempts arrive at once, at most the
// budget is ever evaluated. Keep it when the password was wrong; refund gives it back.
type passwordAttempt struct {
	s     *Server
	ctx   context.Context
	taken []reservation
}

type reservation struct {
	rule ratelimit.Rule
	key  string
}

// reserve takes one unit under rule for key into the attempt, or returns rate_limited after
// giving back what the attempt already holds.
func (a *passwordAttempt) reserve(rule ratelimit.Rule, key string) error {
	taken, err := a.s.take(a.ctx, rule, key, 1)
	if err != nil {
		a.refund()
		return err
	}
	if taken {
		a.taken = append(a.taken, reservation{rule, key})
	}
	return nil
}

// refund gives back every unit the attempt reserved: the password was right (not a
// failure), or it was never checked.
func (a *passwordAttempt) refund() {
	for _, t := range a.taken {
		a.s.refund(a.ctx, t.rule, t.key, 1)
	}
	a.taken = nil
}

// checkPassword compares password with hash on behalf of the client of r, taking its
// turn among that client's password checks (bcryptGate).
func (s *Server) checkPassword(r *http.Request, hash, password string) (bool, error) {
	leave, err := s.bcryptGate.enter(r.Context(), s.clientKey(r))
	if err != nil {
		return false, err
	}
	defer leave()
	return s.passwords.Check(hash, password), nil
}

// hashPassword hashes a new password on behalf of the client of r, taking its turn among
// that client's password computations.
func (s *Server) hashPassword(r *http.Request, password string) (string, error) {
	leave, err := s.bcryptGate.enter(r.Context(), s.clientKey(r))
	if err != nil {
		return "", err
	}
	defer leave()
	return s.passwords.Hash(password)
}
