package main

import (
	"context"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/pgtest"
	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

// TestUserRoleCommand: `tiktok user role <email> <role>` sets the role of the account with
// that email (any case), audits it as a command-line action, and refuses unknown roles,
// unknown emails and wrong arguments.
func TestUserRoleCommand(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	ctx := context.Background()
	p, err := postgres.Open(ctx, vars["DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	store := postgres.NewStore(p)
	u, err := store.CreateUser(ctx, tiktok.NewUser{Username: "mod", Email: "mod@example.com", PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}

	out, err := runCommand(t, vars, "user", "role", "MOD@example.com", "moderator")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "role moderator (was user)") {
		t.Errorf("output %q", out)
	}
	if role, err := store.UserRole(ctx, u.ID); err != nil || role != tiktok.RoleModerator {
		t.Errorf("role %q, %v; want moderator", role, err)
	}
	if _, err := runCommand(t, vars, "user", "role", "mod@example.com", "admin"); err != nil {
		t.Fatal(err)
	}
	entries, err := store.ListAudit(ctx, tiktok.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Source != "cli" || entries[0].Action != "set_role" || *entries[0].Reason != "moderator → admin" || entries[0].Target.ID != u.ID {
		t.Errorf("audit: %+v", entries)
	}

	for _, args := range [][]string{
		{"user", "role", "mod@example.com", "root"},
		{"user", "role", "nobody@example.com", "admin"},
		{"user", "role", "mod@example.com"},
		{"user", "promote", "mod@example.com", "admin"},
		{"user"},
	} {
		if _, err := runCommand(t, vars, args...); err == nil {
			t.Errorf("tiktok %q succeeded", args)
		}
	}
	if role, _ := store.UserRole(ctx, u.ID); role != tiktok.RoleAdmin {
		t.Errorf("role %q after refused commands, want admin", role)
	}
}
