package seed_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"io"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/images"
	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/seed"
)

// checkAvatars: every user (the moderator too) has a generated avatar, shared by the users
// of the same initials and owned by none (avatar_media NULL), whose two files are stored
// JPEGs of 256 and 64 pixels; and the summary counts two files per distinct avatar.
func checkAvatars(t *testing.T, pool *pgxpool.Pool, store media.Storage, sum seed.Summary) {
	t.Helper()
	ctx := context.Background()
	var users, missing, owned, distinct, mixed int
	err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE avatar IS NULL OR avatar_small IS NULL),
		count(avatar_media), count(DISTINCT avatar),
		(SELECT count(*) FROM (SELECT avatar FROM users GROUP BY avatar HAVING count(DISTINCT avatar_small) > 1) m)
		FROM users`).Scan(&users, &missing, &owned, &distinct, &mixed)
	if err != nil {
		t.Fatal(err)
	}
	if users == 0 || missing != 0 || owned != 0 || mixed != 0 {
		t.Errorf("%d users: %d without an avatar, %d owning theirs, %d avatars with more than one small variant", users, missing, owned, mixed)
	}
	if sum.AvatarFiles != 2*distinct || distinct > users || distinct == 0 {
		t.Errorf("%d avatar files stored for %d distinct avatars of %d users", sum.AvatarFiles, distinct, users)
	}
	rows, err := pool.Query(ctx, `SELECT DISTINCT avatar, avatar_small FROM users`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var large, small string
		if err := rows.Scan(&large, &small); err != nil {
			t.Fatal(err)
		}
		for name, size := range map[string]int{large: images.AvatarSize, small: images.AvatarSmallSize} {
			f, err := store.Open(ctx, name)
			if err != nil {
				t.Errorf("avatar %s: %v", name, err)
				continue
			}
			b, err := io.ReadAll(f)
			f.Close()
			if err != nil {
				t.Fatal(err)
			}
			c, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil || c.Width != size || c.Height != size {
				t.Errorf("avatar %s: %dx%d (%v), want a %d px JPEG", name, c.Width, c.Height, err, size)
			}
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
