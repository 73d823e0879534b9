package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/readpref"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Notifications are written by the schema's triggers in the transaction of the action that
// causes them (migration 00014); the store only reads them and moves the read mark.

// NotificationChannel is the LISTEN/NOTIFY channel on which the database announces every
// change of a notification: '<recipient>:<id>:<op>' (tiktok.NotificationSignal).
const NotificationChannel = "notifications"

// MaxUnreadCount is how far UnreadNotifications counts.
const MaxUnreadCount = 1000

// snippetChars is the length of the caption and comment excerpts notifications carry.
const snippetChars = 100

// ListNotifications returns up to limit of userID's notifications, newest activity first,
// whose event id is below before (0: from the newest).
func (s *Store) ListNotifications(ctx context.Context, userID, before int64, limit int) ([]tiktok.Notification, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.q.ListNotifications(ctx, db.ListNotificationsParams{RecipientID: userID, BeforeSeq: before, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", translate(err))
	}
	return s.notifications(ctx, rows)
}

// NotificationsAfter returns up to limit of userID's notifications whose latest event id
// is above after, oldest first: what a stream that has sent event after must send next.
func (s *Store) NotificationsAfter(ctx context.Context, userID, after int64, limit int) ([]tiktok.Notification, error) {
	ctx = readpref.Primary(ctx) // a stream reads what the primary just announced
	rows, err := s.q.NotificationsAfter(ctx, db.NotificationsAfterParams{RecipientID: userID, AfterSeq: after, Lim: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("notifications after %d: %w", after, translate(err))
	}
	same := make([]db.ListNotificationsRow, len(rows)) // the queries return the same columns
	for i, r := range rows {
		same[i] = db.ListNotificationsRow(r)
	}
	return s.notifications(ctx, same)
}

// Notification returns userID's notification id, or not_found (also for someone else's).
func (s *Store) Notification(ctx context.Context, userID, id int64) (tiktok.Notification, error) {
	r, err := s.q.GetNotification(ctx, db.GetNotificationParams{ID: id, RecipientID: userID})
	if err != nil {
		return tiktok.Notification{}, notFound(err, "Notification")
	}
	out, err := s.notifications(ctx, []db.ListNotificationsRow{db.ListNotificationsRow(r)})
	if err != nil {
		return tiktok.Notification{}, err
	}
	return out[0], nil
}

// LatestNotificationEvent returns the event id of userID's newest activity (0 without any).
func (s *Store) LatestNotificationEvent(ctx context.Context, userID int64) (int64, error) {
	seq, err := s.q.LatestNotificationSeq(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("latest notification: %w", translate(err))
	}
	return seq, nil
}

// UnreadNotifications counts userID's unread notifications, up to MaxUnreadCount.
func (s *Store) UnreadNotifications(ctx context.Context, userID int64) (tiktok.UnreadCount, error) {
	n, err := s.q.UnreadNotificationCount(ctx, db.UnreadNotificationCountParams{RecipientID: userID, Cap: MaxUnreadCount + 1})
	if err != nil {
		return tiktok.UnreadCount{}, fmt.Errorf("unread notifications: %w", translate(err))
	}
	if n > MaxUnreadCount {
		return tiktok.UnreadCount{Count: MaxUnreadCount, Capped: true}, nil
	}
	return tiktok.UnreadCount{Count: n}, nil
}

// MarkNotificationsRead marks userID's notifications read up to event upTo (0: all of
// them) and returns the read mark: every notification whose latest event id is at or below
// it is read. The mark never moves back, and never past the newest event committed, so
// activity that comes later is unread.
func (s *Store) MarkNotificationsRead(ctx context.Context, userID, upTo int64) (int64, error) {
	if upTo <= 0 {
		upTo = math.MaxInt64
	}
	mark, err := s.q.MarkNotificationsRead(ctx, db.MarkNotificationsReadParams{UserID: userID, UpTo: upTo})
	if errors.Is(err, pgx.ErrNoRows) { // the mark was already there
		mark, err = s.q.NotificationReadMark(ctx, userID)
	}
	if err != nil {
		if isForeignKeyViolation(err) {
			return 0, tiktok.NotFound("User")
		}
		return 0, fmt.Errorf("mark notifications read: %w", translate(err))
	}
	return mark, nil
}

// BuildNotificationsTx inserts, on q, the notification groups that the likes, comments and
// follows stand for and that do not exist yet, and returns how many it inserted. It is for
// bulk loads that run with the notification triggers off (the seed): one set-based
// statement instead of a group row updated once per like.
func BuildNotificationsTx(ctx context.Context, q Querier) (int64, error) {
	n, err := db.New(q).BuildNotifications(ctx)
	if err != nil {
		return 0, fmt.Errorf("build notifications: %w", translate(err))
	}
	return n, nil
}

// notifications converts a page of rows, loading their actors with one query.
func (s *Store) notifications(ctx context.Context, rows []db.ListNotificationsRow) ([]tiktok.Notification, error) {
	var ids []int64
	for _, r := range rows {
		ids = append(ids, r.ActorIds[:min(len(r.ActorIds), tiktok.NotificationActors)]...)
	}
	actors := map[int64]tiktok.UserMini{}
	if len(ids) > 0 {
		us, err := s.q.NotificationActors(ctx, ids)
		if err != nil {
			return nil, fmt.Errorf("notification actors: %w", translate(err))
		}
		for _, u := range us {
			actors[u.ID] = tiktok.UserMini{ID: u.ID, Username: u.Username, Name: u.Name, Avatar: u.Avatar}
		}
	}
	out := make([]tiktok.Notification, len(rows))
	for i, r := range rows {
		n := tiktok.Notification{
			ID: r.ID, EventID: r.Seq, Kind: tiktok.NotificationKind(r.Kind), ActorCount: r.ActorCount,
			Actors: []tiktok.UserMini{}, Read: r.Read, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}
		for _, id := range r.ActorIds[:min(len(r.ActorIds), tiktok.NotificationActors)] {
			if u, ok := actors[id]; ok {
				n.Actors = append(n.Actors, u)
			}
		}
		if r.VideoID != nil && r.VideoCaption != nil {
			n.Video = &tiktok.VideoMini{ID: *r.VideoID, Caption: snippet(*r.VideoCaption), ThumbnailURL: r.VideoThumbnailUrl}
		}
		if r.CommentID != nil && r.CommentContent != nil {
			n.Comment = &tiktok.CommentMini{ID: *r.CommentID, Snippet: snippet(*r.CommentContent)}
		}
		out[i] = n
	}
	return out, nil
}

// snippet cuts s to its first snippetChars characters.
func snippet(s string) string {
	n := 0
	for i := range s {
		if n == snippetChars {
			return s[:i]
		}
		n++
	}
	return s
}

// AddNotificationListener records that server streams userID's notifications, so that
// they are announced from now on (migration 00014 announces only those of users some
// server streams). It returns once the notifications being written for userID have
// committed: each of them either committed before, or will see the listener and be
// announced. It returns not_found for an unknown user.
func (s *Store) AddNotificationListener(ctx context.Context, server string, userID int64) error {
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := q.LockUserForListener(ctx, userID); err != nil {
			return notFound(err, "User")
		}
		return q.AddNotificationListener(ctx, db.AddNotificationListenerParams{UserID: userID, ServerID: server})
	})
	if err != nil {
		if isForeignKeyViolation(err) {
			return tiktok.NotFound("User")
		}
		return fmt.Errorf("add notification listener: %w", translate(err))
	}
	return nil
}

// SyncNotificationListeners makes users the whole of server's listeners (refreshing them)
// and forgets the listeners of servers that have not refreshed theirs for 2 minutes.
func (s *Store) SyncNotificationListeners(ctx context.Context, server string, users []int64) error {
	err := s.inTx(ctx, func(q *db.Queries) error {
		if err := q.RefreshNotificationListeners(ctx, db.RefreshNotificationListenersParams{ServerID: server, Users: users}); err != nil {
			return err
		}
		return q.ExpireNotificationListeners(ctx, server)
	})
	if err != nil {
		return fmt.Errorf("sync notification listeners: %w", translate(err))
	}
	return nil
}

// listenProbe is how long the listening connection may stay silent before it is checked.
const listenProbe = 30 * time.Second

// ListenNotifications LISTENs on NotificationChannel (see listen), calls connected once it
// listens, and then deliver for every announcement, in commit order, until ctx ends
// (returning ctx's error) or the connection fails (returning why). deliver runs on this
// goroutine and must not block.
func (s *Store) ListenNotifications(ctx context.Context, connected func(), deliver func(tiktok.NotificationSignal)) error {
	return s.listen(ctx, NotificationChannel, "tiktok-listen", connected, func(payload string) {
		if sig, ok := parseSignal(payload); ok {
			deliver(sig)
		}
	})
}

// listen opens a connection of its own (outside the pool, which would hand a listening
// connection to someone else) named appName, LISTENs on channel, calls connected once it
// listens, and then payload for every announcement until ctx ends (returning ctx's error)
// or the connection fails (returning why). A connection silent for listenProbe is pinged,
// so a database that went away without closing the connection is noticed.
func (s *Store) listen(ctx context.Context, channel, appName string, connected func(), payload func(string)) error {
	cfg := s.pool.Config().ConnConfig.Copy()
	cfg.RuntimeParams["application_name"] = appName
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("listen %s: connect: %w", channel, translate(err))
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+channel); err != nil {
		return fmt.Errorf("listen %s: %w", channel, translate(err))
	}
	connected()
	for {
		wait, cancel := context.WithTimeout(ctx, listenProbe)
		n, err := conn.WaitForNotification(wait)
		cancel()
		switch {
		case err == nil:
			payload(n.Payload)
			continue
		case ctx.Err() != nil:
			return ctx.Err()
		case !errors.Is(err, context.DeadlineExceeded):
			return fmt.Errorf("listen %s: %w", channel, translate(err))
		}
		probe, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = conn.Ping(probe)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("listen %s: ping: %w", channel, translate(err))
		}
	}
}

// parseSignal reads a payload of NotificationChannel ('<recipient>:<id>:<op>').
func parseSignal(payload string) (tiktok.NotificationSignal, bool) {
	recipient, rest, ok1 := strings.Cut(payload, ":")
	id, op, ok2 := strings.Cut(rest, ":")
	r, err1 := strconv.ParseInt(recipient, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || len(op) != 1 {
		return tiktok.NotificationSignal{}, false
	}
	sig := tiktok.NotificationSignal{Recipient: r, ID: n, Op: tiktok.NotificationOp(op[0])}
	switch sig.Op {
	case tiktok.NotificationAdded, tiktok.NotificationChanged, tiktok.NotificationRemoved, tiktok.NotificationsRead:
		return sig, true
	}
	return tiktok.NotificationSignal{}, false
}
