package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/ratelimit"
	"github.com/gotok/tiktok/internal/tiktok"
)

// rules are the rate limits of the contract's Limits section.
type rules struct {
	loginAccount, loginIP, registerIP, writes, requestsIP ratelimit.Rule
}

func newRules(l Limits) rules {
	if !l.Enabled {
		return rules{}
	}
	return rules{
		loginAccount: ratelimit.Rule{Name: "login-account", Limit: l.LoginPerAccount, Window: 15 * time.Minute},
		loginIP:      ratelimit.Rule{Name: "login-ip", Limit: l.LoginPerIP, Window: time.Minute},
		registerIP:   ratelimit.Rule{Name: "register-ip", Limit: l.RegisterPerIP, Window: time.Hour},
		writes:       ratelimit.Rule{Name: "writes", Limit: l.WritesPerUser, Window: time.Minute},
		requestsIP:   ratelimit.Rule{Name: "requests-ip", Limit: l.RequestsPerIP, Window: time.Minute},
	}
}

// limit consumes one action under rule for key (or only checks, when peek), returning a
// rate_limited error with Retry-After when none is left.
func (s *Server) limit(ctx context.Context, rule ratelimit.Rule, key string, peek bool) error {
	if rule.Limit <= 0 {
		return nil
	}
	_ = peek // TODO(login reservation): replaced below
	d, err := s.limiter.Take(ctx, rule, key, 1)
	if err != nil {
		// A broken shared limiter must not take the API down with it.
		s.log.Warn("rate limiter failed; allowing", "rule", rule.Name, "err", err)
		return nil
	}
	if !d.Allowed {
		return &tiktok.Error{Code: tiktok.CodeRateLimited, Message: "Too many requests, please try again later", RetryAfter: d.RetryAfter}
	}
	return nil
}

// limitClients applies the overall per-IP request ceiling to every route but the
// operational probes.
func (s *Server) limitClients(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
		default:
			if err := s.limit(r.Context(), s.rules.requestsIP, s.clientIP(r).String(), false); err != nil {
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
	return s.limit(r.Context(), s.rules.writes, strconv.FormatInt(viewerID(r), 10), false)
}

// checkLoginLimits refuses a login attempt when the account or the client IP has used up
// its failed attempts; failedLogin records one failure against both.
func (s *Server) checkLoginLimits(r *http.Request, login string) error {
	if err := s.limit(r.Context(), s.rules.loginIP, s.clientIP(r).String(), true); err != nil {
		return err
	}
	return s.limit(r.Context(), s.rules.loginAccount, strings.ToLower(login), true)
}

func (s *Server) failedLogin(r *http.Request, login string) {
	_ = s.limit(r.Context(), s.rules.loginIP, s.clientIP(r).String(), false)
	_ = s.limit(r.Context(), s.rules.loginAccount, strings.ToLower(login), false)
}
