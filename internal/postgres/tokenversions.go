package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// TokenVersionChannel is the LISTEN/NOTIFY channel on which the database announces token
// version changes (migration 00026): '<user>:<version>' (-1: the account was deleted) or
// 'reset' (the users table was emptied).
const TokenVersionChannel = "token_versions"

// ListenTokenVersions listens on TokenVersionChannel on a connection of its own until ctx
// ends or the connection fails (it then returns the error; the caller reconnects). It calls
// connected once it listens, changed for each announced change (version -1: the account is
// gone) and reset when every cached version must be forgotten.
func (s *Store) ListenTokenVersions(ctx context.Context, connected func(), changed func(user, version int64), reset func()) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = "tiktok-token-versions"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("listen token versions: connect: %w", translate(err))
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+TokenVersionChannel); err != nil {
		return fmt.Errorf("listen token versions: %w", translate(err))
	}
	connected()
	for {
		wait, cancel := context.WithTimeout(ctx, listenProbe)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			if n.Payload == "reset" {
				reset()
			} else if user, version, ok := parseTokenVersion(n.Payload); ok {
				changed(user, version)
			}
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("listen token versions: %w", translate(err))
		}
		probe, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = conn.Ping(probe)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("listen token versions: ping: %w", translate(err))
		}
	}
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
