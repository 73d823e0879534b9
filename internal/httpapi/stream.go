package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/notify"
	"github.com/gotok/tiktok/internal/tiktok"
)

// GET /api/notifications/stream: the viewer's notifications as Server-Sent Events.
//
//	event: notification   id: <eventId>   data: Notification   new activity (new, grown or reopened group)
//	event: changed                        data: Notification   an actor left the group (an undo)
//	event: removed                        data: {"id"}         the group is gone
//	event: read                           data: {"readUpTo"}   notifications were marked read (another tab)
//	event: resync                         data: {"reason"}     some changes could not be replayed: refetch the list
//	event: end                            data: {message, code} the server ends the stream (revoked token, shutdown, too slow)
//	: ping                                                     heartbeat comment
//
// Only new activity carries an id: it is the notification's eventId, so a client that
// reconnects with Last-Event-ID is sent, from the table, every group with newer activity
// (at most streamReplay; past that, resync). The rest are live hints.

const (
	// streamReplay bounds what a stream replays from the table at once; beyond it, the
	// client is told to resync (refetch the list) and the stream goes on from the newest.
	streamReplay = 100
	// streamBatch is how many notifications one replay query reads.
	streamBatch = 50
	// streamWriteTimeout bounds each write to the client: the server's write timeout is
	// lifted for the stream, so a client that stops reading is cut off after this (its
	// handler is the only thing that waits for it).
	streamWriteTimeout = 10 * time.Second
	// defaultHeartbeat is how often a quiet stream sends a comment (proxies close idle
	// connections after 30–60 s) and checks that its token is still valid.
	defaultHeartbeat = 20 * time.Second
	// streamRetry is the reconnection delay the stream suggests to EventSource clients.
	streamRetry = 3 * time.Second
)

// eventStream writes the events of one stream.
type eventStream struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration // for each write
}

// send writes one event (data: the JSON of v; id only when id > 0) and flushes it.
func (es eventStream) send(event string, id int64, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var b strings.Builder
	if id > 0 {
		b.WriteString("id: " + strconv.FormatInt(id, 10) + "\n")
	}
	b.WriteString("event: " + event + "\ndata: ")
	b.Write(data)
	b.WriteString("\n\n")
	return es.write(b.String())
}

// write writes raw stream text and flushes it, within the write timeout.
func (es eventStream) write(s string) error {
	_ = es.rc.SetWriteDeadline(time.Now().Add(es.timeout))
	if _, err := es.w.Write([]byte(s)); err != nil {
		return err
	}
	return es.rc.Flush()
}

// lastEventID reads the id the client resumes after: the Last-Event-ID header
// (EventSource sends it when it reconnects), else ?lastEventId= (for clients that cannot
// set headers). ok is false when there is none.
func lastEventID(r *http.Request) (id int64, ok bool, err error) {
	s := r.Header.Get("Last-Event-ID")
	if s == "" {
		s = r.URL.Query().Get("lastEventId")
	}
	if s == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != s {
		return 0, false, tiktok.Invalid(map[string]string{"lastEventId": "must be an event id the stream sent"})
	}
	return n, true, nil
}

func (s *Server) handleNotificationStream(w http.ResponseWriter, r *http.Request) error {
	if s.streams == nil {
		return &tiktok.Error{Code: tiktok.CodeUnavailable, Message: "Notification streams are not available"}
	}
	ctx := r.Context()
	v := viewerFrom(ctx)
	last, resume, err := lastEventID(r)
	if err != nil {
		return err
	}
	if r.Method == http.MethodHead {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		w.WriteHeader(http.StatusOK)
		return nil
	}
	// Subscribe (which registers the user as listened to) before reading where the stream
	// starts, so nothing committed in between is missed: it is replayed, or announced, or
	// both.
	sub, err := s.streams.Subscribe(ctx, v.id)
	if err != nil {
		return err
	}
	defer sub.Close()
	// The hub bounds a user's streams on this server; with shared state the bound holds
	// across servers too (a lease per stream, renewed at each heartbeat). While the shared
	// store fails, this server's own bound decides.
	var renew func(context.Context) (bool, error)
	if s.slots != nil {
		var release func()
		var held bool
		renew, release, held, err = s.slots.Hold(ctx, "notify-streams-user", strconv.FormatInt(v.id, 10), s.streams.PerUser(), streamLeaseBeats*s.heartbeat())
		switch {
		case err != nil:
			s.log.Debug("shared stream count failed; counting this server's streams", "err", err)
			renew = nil
		case !held:
			return notify.TooManyForUser()
		default:
			defer release()
		}
	}
	latest, err := s.store.LatestNotificationEvent(ctx, v.id)
	if err != nil {
		return err
	}
	if !resume || last > latest {
		last = latest // a fresh stream starts now; an id from the future is not trusted
	}

	// The server's write timeout suits requests, not a stream that lasts for hours: lift it
	// for this response only; each write gets its own deadline instead. (net/http lifts
	// the read deadline itself once a body-less request is read; so does this, explicitly.)
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	w.WriteHeader(http.StatusOK)
	es := eventStream{w: w, rc: rc, timeout: s.cfg.StreamWriteTimeout}
	if es.timeout <= 0 {
		es.timeout = streamWriteTimeout
	}
	if err := es.write("retry: " + strconv.FormatInt(streamRetry.Milliseconds(), 10) + "\n: connected\n\n"); err != nil {
		return nil
	}

	st := &stream{s: s, es: es, r: r, user: v.id, last: last, rd: s.renderer(r)}
	if err := st.catchUp(ctx); err != nil {
		return st.fail(err)
	}
	beat := time.NewTicker(s.heartbeat())
	defer beat.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-sub.Done():
			if why := sub.Err(); why != nil { // the server is shutting down
				_ = es.send("end", 0, errorBody{Message: tiktok.AsError(why).Message, Code: tiktok.ErrorCode(why)})
			}
			return nil
		case <-sub.Wake():
			if err := st.handle(ctx, sub.Take()); err != nil {
				return st.fail(err)
			}
		case <-beat.C:
			// A token revoked (logout, password change), expired or of a deleted user ends
			// the stream here; a database that cannot answer does not.
			if now := s.verify(ctx, r.Header.Get("Authorization")); now.err != nil && tiktok.ErrorCode(now.err) != tiktok.CodeUnavailable {
				e := tiktok.AsError(now.err)
				_ = es.send("end", 0, errorBody{Message: e.Message, Code: e.Code})
				return nil
			}
			if renew != nil {
				// A lease that lapsed (the shared store was out longer than its ttl) and
				// finds the user's slots taken meanwhile ends this stream; one the store
				// cannot renew now is kept, as an unavailable database keeps the stream.
				if held, err := renew(ctx); err == nil && !held {
					e := tiktok.AsError(notify.TooManyForUser())
					_ = es.send("end", 0, errorBody{Message: e.Message, Code: e.Code})
					return nil
				}
			}
			if err := es.write(": ping\n\n"); err != nil {
				return nil
			}
		}
	}
}

// streamLeaseBeats is how many heartbeats a stream's shared lease outlives its last renewal:
// a server that dies leaves its streams' slots taken for at most that long.
const streamLeaseBeats = 3

func (s *Server) heartbeat() time.Duration {
	if s.cfg.StreamHeartbeat > 0 {
		return s.cfg.StreamHeartbeat
	}
	return defaultHeartbeat
}

// stream is the state of one open stream.
type stream struct {
	s    *Server
	es   eventStream
	r    *http.Request
	user int64
	last int64 // the newest event id sent
	rd   renderer
}

// errClientGone ends a stream whose client cannot be written to.
var errClientGone = errors.New("client gone")

// fail ends the stream after err: a client that went away needs nothing; anything else is
// logged and told to the client, which reconnects with Last-Event-ID.
func (st *stream) fail(err error) error {
	if errors.Is(err, errClientGone) || st.r.Context().Err() != nil {
		return nil
	}
	st.s.log.Warn("notification stream failed", "user", st.user, "err", err)
	e := tiktok.AsError(err)
	if e.Code == tiktok.CodeInternal {
		e = &tiktok.Error{Code: tiktok.CodeInternal, Message: "internal error"}
	}
	_ = st.es.send("end", 0, errorBody{Message: e.Message, Code: e.Code})
	return nil
}

func (st *stream) send(event string, id int64, v any) error {
	if err := st.es.send(event, id, v); err != nil {
		return errClientGone
	}
	return nil
}

// handle sends what is pending: changes in order, then a resync when some were lost, then
// the new activity, however much, with one replay from the table.
func (st *stream) handle(ctx context.Context, p notify.Pending) error {
	for _, sig := range p.Changes {
		var err error
		switch sig.Op {
		case tiktok.NotificationChanged:
			n, lerr := st.s.store.Notification(ctx, st.user, sig.ID)
			switch {
			case tiktok.ErrorCode(lerr) == tiktok.CodeNotFound: // deleted since
				err = st.send("removed", 0, map[string]int64{"id": sig.ID})
			case lerr != nil:
				err = lerr
			default:
				err = st.send("changed", 0, st.rd.notification(n))
			}
		case tiktok.NotificationRemoved:
			err = st.send("removed", 0, map[string]int64{"id": sig.ID})
		case tiktok.NotificationsRead:
			err = st.send("read", 0, map[string]int64{"readUpTo": sig.ID})
		}
		if err != nil {
			return err
		}
	}
	if p.Resync {
		if err := st.send("resync", 0, map[string]string{"reason": "Some changes could not be delivered; refetch the list"}); err != nil {
			return err
		}
	}
	if p.Added {
		return st.catchUp(ctx)
	}
	return nil
}

// catchUp sends, oldest first, every notification with activity newer than the last event
// sent, at most streamReplay of them; with more, it sends resync and moves on to the newest.
func (st *stream) catchUp(ctx context.Context) error {
	sent := 0
	for sent < streamReplay {
		limit := min(streamBatch, streamReplay-sent)
		items, err := st.s.store.NotificationsAfter(ctx, st.user, st.last, limit)
		if err != nil {
			return err
		}
		for _, n := range items {
			if err := st.send("notification", n.EventID, st.rd.notification(n)); err != nil {
				return err
			}
			st.last = n.EventID
		}
		sent += len(items)
		if len(items) < limit {
			return nil
		}
	}
	latest, err := st.s.store.LatestNotificationEvent(ctx, st.user)
	if err != nil {
		return err
	}
	if latest <= st.last {
		return nil
	}
	// The resync carries the newest id, so that a client reconnecting after it does not
	// replay the same backlog again.
	st.last = latest
	return st.send("resync", latest, map[string]string{"reason": "More notifications than a stream replays"})
}
