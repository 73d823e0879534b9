package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Mentions (migration 00012): `@username` in captions and comments, resolved when the text
// is written and again when it is edited, and stored as one row per text and mentioned
// user with the spans' code-point offsets. Reads join the users for their current names,
// one query per page.

// resolveMentions returns the mentions of text written by author: tiktok.MentionTokens
// looked up in one query (ResolveMentionNames, case-insensitive) and linked by
// tiktok.LinkMentions. It is the one place that decides whom a text can mention; a rule
// between the author and the mentioned user (blocks) belongs in it and its query.
func resolveMentions(ctx context.Context, q *db.Queries, author int64, text string) ([]tiktok.Mention, error) {
	tokens := tiktok.MentionTokens(text)
	names := tiktok.MentionNames(tokens)
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := q.ResolveMentionNames(ctx, db.ResolveMentionNamesParams{Names: names, AuthorID: author})
	if err != nil {
		return nil, fmt.Errorf("resolve mentions: %w", err)
	}
	users := make(map[string]tiktok.UserMini, len(rows))
	for _, r := range rows {
		users[strings.ToLower(r.Username)] = tiktok.UserMini{ID: r.ID, Username: r.Username}
	}
	return tiktok.LinkMentions(tokens, users), nil
}

// spanArrays flattens mentions into the parallel arrays the sync queries take.
func spanArrays(ms []tiktok.Mention) (users []int64, starts, ends []int32) {
	users, starts, ends = make([]int64, len(ms)), make([]int32, len(ms)), make([]int32, len(ms))
	for i, m := range ms {
		users[i], starts[i], ends[i] = m.UserID, int32(m.Start), int32(m.End)
	}
	return users, starts, ends
}

// syncVideoMentions resolves the mentions of video id's caption, written by author, and
// makes its mention rows match, in the caller's transaction (after the video row is
// written, so concurrent edits of one caption are serialized by its lock); it returns the
// spans. A new video (fresh) without mentions has no rows to delete and costs no query.
func syncVideoMentions(ctx context.Context, q *db.Queries, id, author int64, caption string, fresh bool) ([]tiktok.Mention, error) {
	ms, err := resolveMentions(ctx, q, author, caption)
	if err != nil || len(ms) == 0 && fresh {
		return ms, err
	}
	users, starts, ends := spanArrays(ms)
	if err := q.SyncVideoMentions(ctx, db.SyncVideoMentionsParams{
		VideoID: id, AuthorID: author, UserIds: users, Starts: starts, Ends: ends,
	}); err != nil {
		return nil, fmt.Errorf("sync video mentions: %w", err)
	}
	return ms, nil
}

// syncCommentMentions is syncVideoMentions for comment id on videoID.
func syncCommentMentions(ctx context.Context, q *db.Queries, id, videoID, author int64, content string, fresh bool) ([]tiktok.Mention, error) {
	ms, err := resolveMentions(ctx, q, author, content)
	if err != nil || len(ms) == 0 && fresh {
		return ms, err
	}
	return ms, writeCommentMentions(ctx, q, id, videoID, author, ms)
}

// writeCommentMentions makes the mention rows of comment id the resolved ms.
func writeCommentMentions(ctx context.Context, q *db.Queries, id, videoID, author int64, ms []tiktok.Mention) error {
	users, starts, ends := spanArrays(ms)
	if err := q.SyncCommentMentions(ctx, db.SyncCommentMentionsParams{
		CommentID: id, VideoID: videoID, AuthorID: author, UserIds: users, Starts: starts, Ends: ends,
	}); err != nil {
		return fmt.Errorf("sync comment mentions: %w", err)
	}
	return nil
}

// appendSpans adds the spans of one mention row.
func appendSpans(ms []tiktok.Mention, user int64, username string, starts, ends []int32) []tiktok.Mention {
	for i := range min(len(starts), len(ends)) {
		ms = append(ms, tiktok.Mention{UserID: user, Username: username, Start: int(starts[i]), End: int(ends[i])})
	}
	return ms
}

func sortSpans(ms []tiktok.Mention) {
	slices.SortFunc(ms, func(a, b tiktok.Mention) int { return cmp.Compare(a.Start, b.Start) })
}

// withVideoMentions fills in the caption mentions of vs with one query for the whole page,
// asking only for the videos whose caption holds an '@' (none: no query).
func (s *Store) withVideoMentions(ctx context.Context, vs ...*tiktok.Video) error {
	var ids []int64
	for _, v := range vs {
		if strings.IndexByte(v.Caption, '@') >= 0 {
			ids = append(ids, v.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.q.VideoMentions(ctx, ids)
	if err != nil {
		return fmt.Errorf("video mentions: %w", translate(err))
	}
	by := map[int64][]tiktok.Mention{}
	for _, r := range rows {
		by[r.VideoID] = appendSpans(by[r.VideoID], r.MentionedID, r.Username, r.Starts, r.Ends)
	}
	for _, v := range vs {
		if ms := by[v.ID]; ms != nil {
			sortSpans(ms)
			v.Mentions = ms
		}
	}
	return nil
}

// withCommentMentions is withVideoMentions for a page of comments.
func (s *Store) withCommentMentions(ctx context.Context, cs ...*tiktok.Comment) error {
	var ids []int64
	for _, c := range cs {
		if strings.IndexByte(c.Content, '@') >= 0 {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := s.q.CommentMentions(ctx, ids)
	if err != nil {
		return fmt.Errorf("comment mentions: %w", translate(err))
	}
	by := map[int64][]tiktok.Mention{}
	for _, r := range rows {
		by[r.CommentID] = appendSpans(by[r.CommentID], r.MentionedID, r.Username, r.Starts, r.Ends)
	}
	for _, c := range cs {
		if ms := by[c.ID]; ms != nil {
			sortSpans(ms)
			c.Mentions = ms
		}
	}
	return nil
}

// ptrs returns pointers to the elements of s.
func ptrs[T any](s []T) []*T {
	out := make([]*T, len(s))
	for i := range s {
		out[i] = &s[i]
	}
	return out
}

// ResolveMentionsTx resolves the mentions of the captions of videoIDs and the contents of
// commentIDs again, as the store does when they are written, in q's transaction (the seed
// writes texts with SQL and calls it), and returns how many spans they hold now.
func ResolveMentionsTx(ctx context.Context, q Querier, videoIDs, commentIDs []int64) (int, error) {
	queries := db.New(q)
	spans := 0
	videos, err := queries.VideoTexts(ctx, videoIDs)
	if err != nil {
		return 0, fmt.Errorf("resolve mentions: %w", translate(err))
	}
	for _, v := range videos {
		ms, err := syncVideoMentions(ctx, queries, v.ID, v.UserID, v.Caption, false)
		if err != nil {
			return 0, fmt.Errorf("resolve mentions: %w", translate(err))
		}
		spans += len(ms)
	}
	comments, err := queries.CommentTexts(ctx, commentIDs)
	if err != nil {
		return 0, fmt.Errorf("resolve mentions: %w", translate(err))
	}
	for _, c := range comments {
		ms, err := syncCommentMentions(ctx, queries, c.ID, c.VideoID, c.UserID, c.Content, false)
		if err != nil {
			return 0, fmt.Errorf("resolve mentions: %w", translate(err))
		}
		spans += len(ms)
	}
	return spans, nil
}
