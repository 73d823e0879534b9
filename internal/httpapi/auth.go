package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/gotok/tiktok/internal/readpref"
	"github.com/gotok/tiktok/internal/tiktok"
)

// viewer is who is making the request, as established by authenticate.
type viewer struct {
	id      int64 // 0 for anonymous requests
	version int64 // the token version the token carries
	err     error // why the request is anonymous despite an Authorization header
}

func viewerFrom(ctx context.Context) viewer {
	v, _ := ctx.Value(keyViewer).(viewer)
	if v.id == 0 && v.err == nil {
		v.err = &tiktok.Error{Code: tiktok.CodeTokenMissing, Message: "Not authorized, no token"}
	}
	return v
}

// viewerID returns the authenticated user's id, or 0 for anonymous requests.
func viewerID(r *http.Request) int64 { return viewerFrom(r.Context()).id }

// bearerToken extracts the token of an "Authorization: Bearer <token>" header; the scheme
// is case-insensitive. It returns token_missing when there is no token.
func bearerToken(header string) (string, error) {
	missing := &tiktok.Error{Code: tiktok.CodeTokenMissing, Message: "Not authorized, no token"}
	header = strings.TrimSpace(header)
	if header == "" {
		return "", missing
	}
	scheme, token, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, token failed"}
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return "", missing
	}
	return token, nil
}

// authenticate establishes the viewer of every request: a valid, unrevoked token of an
// existing user makes the request authenticated (the user's token version, from the cache
// that LISTEN/NOTIFY keeps current, else one indexed lookup); anything else leaves it anonymous, remembering why for requireAuth.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reads of GET requests may go to a read replica, except the user's own recent
		// writes (docs/design.md, "Read replicas"); other requests read the primary.
		pref := readpref.Pref{Replica: r.Method == http.MethodGet || r.Method == http.MethodHead}
		header := r.Header.Get("Authorization")
		if header == "" {
			next.ServeHTTP(w, r.WithContext(readpref.With(r.Context(), pref)))
			return
		}
		v := s.verify(r.Context(), header)
		if v.id != 0 {
			pref.Writer = readpref.User(v.id)
			pref.Need = new(readpref.Need) // the writer's position, looked up once per request
		}
		next.ServeHTTP(w, r.WithContext(readpref.With(context.WithValue(r.Context(), keyViewer, v), pref)))
	})
}

func (s *Server) verify(ctx context.Context, header string) viewer {
	token, err := bearerToken(header)
	if err != nil {
		return viewer{err: err}
	}
	claims, err := s.tokens.Verify(token)
	if err != nil {
		return viewer{err: err}
	}
	current, err := s.tokenVersion(ctx, claims.ID)
	switch {
	case tiktok.ErrorCode(err) == tiktok.CodeNotFound:
		return viewer{err: &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, user no longer exists"}}
	case err != nil:
		return viewer{err: err} // database trouble: requireAuth reports it as such
	case current != claims.Version:
		return viewer{err: &tiktok.Error{Code: tiktok.CodeTokenInvalid, Message: "Not authorized, token revoked"}}
	}
	return viewer{id: claims.ID, version: claims.Version}
}

// requireAuth answers 401 (or 503 when the database could not be asked) unless the request
// is authenticated.
func (s *Server) requireAuth(h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if v := viewerFrom(r.Context()); v.id == 0 {
			return v.err
		}
		if err := s.limitWrites(r); err != nil {
			return err
		}
		return h(w, r)
	}
}
