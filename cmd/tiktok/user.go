package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gotok/tiktok/internal/postgres"
	"github.com/gotok/tiktok/internal/tiktok"
)

const userUsage = "usage: tiktok user role <email> <user|moderator|admin>"

// userCommand runs `tiktok user role <email> <role>`: the one way to make the first admin
// (the API lets only admins change roles). The change is written to the moderation audit
// log as coming from the command line.
func userCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 3 || args[0] != "role" {
		return errors.New(userUsage)
	}
	email, role := args[1], tiktok.Role(args[2])
	if !role.Valid() {
		return fmt.Errorf("unknown role %q\n%s", args[2], userUsage)
	}
	_, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	old, err := postgres.NewStore(pool).SetRoleByEmail(ctx, email, role)
	if tiktok.ErrorCode(err) == tiktok.CodeNotFound {
		return fmt.Errorf("no account with email %q", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: role %s (was %s)\n", email, role, old)
	return nil
}
