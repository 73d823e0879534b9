package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivermigrate"
)

// River's tables (the job queue of the media pipeline) are created by River's own
// migrations, run as migration 00018 of ours: one migration path, one `migrate` command,
// one goose version, and River's SQL exactly as River ships it.
//
// RiverVersion pins River's schema version: a River upgrade that brings a new schema
// version gets a new migration of ours that migrates River up to it (TestRiverSchemaIsCurrent
// fails until then), so an older server never runs against a newer River schema unknowingly.
const (
	riverMigrationVersion = 18
	RiverVersion          = 8
)

// riverMigration is migration 00018: River's schema up to RiverVersion (down: removed).
// River applies each of its versions in a transaction of its own (one of them adds an enum
// value that a later one uses, which cannot share a transaction) and records them in its
// river_migration table, so an interrupted run resumes where it stopped.
func riverMigration() *goose.Migration {
	migrate := func(dir rivermigrate.Direction, target int) func(ctx context.Context, db *sql.DB) error {
		return func(ctx context.Context, db *sql.DB) error {
			m, err := rivermigrate.New(riverdatabasesql.New(db), &rivermigrate.Config{Logger: discardLogger()})
			if err != nil {
				return fmt.Errorf("river migrator: %w", err)
			}
			if _, err := m.Migrate(ctx, dir, &rivermigrate.MigrateOpts{TargetVersion: target}); err != nil {
				return fmt.Errorf("river migrate %s to %d: %w", dir, target, err)
			}
			return nil
		}
	}
	return goose.NewGoMigration(riverMigrationVersion,
		&goose.GoFunc{RunDB: migrate(rivermigrate.DirectionUp, RiverVersion)},
		&goose.GoFunc{RunDB: migrate(rivermigrate.DirectionDown, -1)})
}

// discardLogger is River's migrator's logger: Migrate reports what it applied itself.
func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }
