package postgres

import (
	"errors"
	"math"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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
