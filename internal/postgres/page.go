package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// endOfTime sorts after every stored timestamp: the "before" bound of a first page.
var endOfTime = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// keyset returns the (time, id) bound a page's query starts below.
func keyset(p tiktok.Page) (time.Time, int64) {
	if p.After == (tiktok.PageKey{}) {
		return endOfTime, math.MaxInt64
	}
	return p.After.Time, p.After.ID
}

// isForeignKeyViolation reports whether err is a foreign key violation: the row referred to
// does not exist (any more).
func isForeignKeyViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23503"
}

// constraintViolated returns the name of the unique constraint err violates, or "".
func constraintViolated(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return pgErr.ConstraintName
	}
	return ""
}

// setRelation inserts (on) or deletes one row of a join table (a like, a follow) and reads
// the counter it affects, in one transaction. The insert is ON CONFLICT DO NOTHING and
// the counter triggers fire only for a row really inserted or deleted, so repeating either
// is harmless. A foreign key violation means the target (named what) does not exist.
func (s *Store) setRelation(ctx context.Context, what string, on bool,
	insert, remove, count func(*db.Queries) (int64, error)) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q *db.Queries) error {
		change := remove
		if on {
			change = insert
		}
		if _, err := change(q); err != nil {
			if isForeignKeyViolation(err) {
				return tiktok.NotFound(what)
			}
			return err
		}
		var err error
		n, err = count(q)
		return notFound(err, what)
	})
	if err != nil {
		return 0, fmt.Errorf("set %s relation: %w", strings.ToLower(what), translate(err))
	}
	return n, nil
}
