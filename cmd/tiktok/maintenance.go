package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/maintenance"
	"github.com/gotok/tiktok/internal/postgres"
)

// recount sets every denormalised counter to the COUNT(*) of its rows.
func recount(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 0 {
		return errors.New("usage: tiktok recount")
	}
	_, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	n, err := postgres.NewStore(pool).Recount(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "recount: fixed %d %s\n", n, plural(n, "row", "rows"))
	return nil
}

// orphans removes the media files no row refers to.
func orphans(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("orphans", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprint(flags.Output(), "usage: tiktok orphans [--dry-run] [--min-age 1h]\n\n"+
			"Removes the media files that no video, user or recent storage upload refers to\n"+
			"(storage uploads no video claimed count for STORAGE_UNCLAIMED_TTL).\n\n")
		flags.PrintDefaults()
	}
	dryRun := flags.Bool("dry-run", false, "list what would be removed; remove nothing")
	minAge := maintenance.DefaultMinAge
	flags.Func("min-age", "keep unreferenced files younger than this (e.g. 30m, 2h, 7d; default 1h),\n"+
		"so that an upload whose row is not committed yet is never touched", func(s string) error {
		d, err := config.ParseDuration(s)
		minAge = d
		return err
	})
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if flags.NArg() > 0 {
		flags.Usage()
		return fmt.Errorf("orphans: unexpected argument %q", flags.Arg(0))
	}
	cfg, pool, err := openDB(ctx, getenv)
	if err != nil {
		return err
	}
	defer pool.Close()
	files, err := openStorage(ctx, cfg)
	if err != nil {
		return err
	}
	rep, err := maintenance.Orphans(ctx, postgres.NewStore(pool), files, maintenance.OrphanOptions{MinAge: minAge, DryRun: *dryRun, StorageTTL: cfg.StorageTTL})
	verb := "removed"
	if rep.DryRun {
		verb = "would remove"
	}
	for _, f := range rep.Removed {
		fmt.Fprintf(stdout, "%s %s (%d bytes, modified %s)\n", verb, f.Name, f.Size, f.ModTime.UTC().Format(time.RFC3339))
	}
	if err != nil {
		return err
	}
	freed := "freed"
	if rep.DryRun {
		freed = "would free"
	}
	fmt.Fprintf(stdout, "orphans: %s %d %s, %s %d bytes; %d %s scanned, %d unreferenced %s younger than %s kept\n",
		verb, len(rep.Removed), plural(int64(len(rep.Removed)), "file", "files"), freed, rep.Bytes,
		rep.Scanned, plural(int64(rep.Scanned), "file", "files"), rep.Young, plural(int64(rep.Young), "file", "files"), minAge)
	if rep.StaleTemp > 0 {
		fmt.Fprintf(stdout, "orphans: %s %d unfinished upload %s\n", verb, rep.StaleTemp, plural(int64(rep.StaleTemp), "file", "files"))
	}
	return nil
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
