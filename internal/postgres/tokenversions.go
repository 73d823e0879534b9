package postgres

import (
	"context"
	"strconv"
	"strings"
)

// TokenVersionChannel is the LISTEN/NOTIFY channel on which the database announces token
// version changes (migration 00026): '<user>:<version>' (-1: the account was deleted) or
// 'reset' (the users table was emptied).
const TokenVersionChannel = "token_versions"

// ListenTokenVersions listens on TokenVersionChannel (see listen) until ctx ends or the
// connection fails (it then returns the error; the caller reconnects). It calls
// connected once it listens, changed for each announced change (version -1: the account is
// gone) and reset when every cached version must be forgotten.
func (s *Store) ListenTokenVersions(ctx context.Context, connected func(), changed func(user, version int64), reset func()) error {
	return s.listen(ctx, TokenVersionChannel, "tiktok-token-versions", connected, func(payload string) {
		if payload == "reset" {
			reset()
		} else if user, version, ok := parseTokenVersion(payload); ok {
			changed(user, version)
		}
	})
}

func parseTokenVersion(payload string) (user, version int64, ok bool) {
	u, v, found := strings.Cut(payload, ":")
	if !found {
		return 0, 0, false
	}
	user, err1 := strconv.ParseInt(u, 10, 64)
	version, err2 := strconv.ParseInt(v, 10, 64)
	return user, version, err1 == nil && err2 == nil
}
