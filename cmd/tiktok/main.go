// Command tiktok is the short-video backend: it serves the API, migrates its schema,
// seeds demo data and repairs what drifted.
//
//	tiktok serve                 run the HTTP server (migrates first unless AUTO_MIGRATE=false)
//	tiktok migrate up|down|status
//	tiktok seed [flags]          fill the database with demo data
//	tiktok recount               set every denormalised counter to its COUNT(*)
//	tiktok orphans [flags]       remove media files no row refers to
//	tiktok user role <email> <role>  give an account a role (user, moderator, admin)
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tiktok:", err)
		stop()
		os.Exit(1)
	}
}
