package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/readpref"
	"github.com/gotok/tiktok/internal/tiktok"
)

// Safety: who may see what, blocks, roles, reports and moderation.
//
// Visibility is decided in one place. In SQL, the functions of migration 00015
// (hidden_user, hidden_video, hidden_comment), which every read query filters through; in
// Go, visibleOwner below, which asks the same functions about one video, comment or user and
// which every action on someone else's content goes through (like, comment, follow,
// report, and the 404-or-403 of an edit). What may not be seen answers not_found, as if it
// did not exist.

// targetName is how errors name a target type ("Video not found").
func targetName(t tiktok.TargetType) string {
	switch t {
	case tiktok.TargetVideo:
		return "Video"
	case tiktok.TargetComment:
		return "Comment"
	}
	return "User"
}

// visibleOwner returns the owner of t (a video's author, a comment's author, a user
// themselves) when viewer may see it, else not_found. A comment is visible when it and its
// video are.
func visibleOwner(ctx context.Context, q *db.Queries, viewer int64, t tiktok.Target) (int64, error) {
	var (
		owner int64
		err   error
	)
	switch t.Type {
	case tiktok.TargetVideo:
		owner, err = q.VisibleVideoOwner(ctx, db.VisibleVideoOwnerParams{ID: t.ID, ViewerID: viewer})
	case tiktok.TargetComment:
		owner, err = q.VisibleCommentOwner(ctx, db.VisibleCommentOwnerParams{ID: t.ID, ViewerID: viewer})
	case tiktok.TargetUser:
		owner, err = q.VisibleUser(ctx, db.VisibleUserParams{ID: t.ID, ViewerID: viewer})
	default:
		return 0, fmt.Errorf("visible: unknown target type %q", t.Type)
	}
	if err != nil {
		return 0, notFound(err, targetName(t.Type))
	}
	return owner, nil
}

// CheckVisible returns not_found unless the video, comment or user t exists and viewer (0:
// anonymous) may see it: it is not hidden by a moderator, its owner is not suspended, and
// neither of viewer and its owner blocks the other; everything is visible to its owner. It
// is the one check an action on someone else's content makes (other parts: bookmarks,
// shares, mentions, notifications).
func (s *Store) CheckVisible(ctx context.Context, viewer int64, t tiktok.Target) error {
	if _, err := visibleOwner(ctx, s.q, viewer, t); err != nil {
		return fmt.Errorf("check visible: %w", translate(err))
	}
	return nil
}

// Blocked reports whether a blocks b or b blocks a: neither may then follow, mention or
// notify the other.
func (s *Store) Blocked(ctx context.Context, a, b int64) (bool, error) {
	blocked, err := s.q.BlockedEitherWay(ctx, db.BlockedEitherWayParams{A: a, B: b})
	if err != nil {
		return false, fmt.Errorf("blocked: %w", translate(err))
	}
	return blocked, nil
}

// lockPair locks the rows of users a and b in id order; not_found when either is gone.
func lockPair(ctx context.Context, q *db.Queries, a, b int64) error {
	ids, err := q.LockUserPair(ctx, db.LockUserPairParams{A: a, B: b})
	if err != nil {
		return fmt.Errorf("lock users: %w", err)
	}
	if len(ids) != 2 {
		return tiktok.NotFound("User")
	}
	return nil
}

// SetBlock makes blocker block (or stop blocking) blocked, idempotently. Blocking deletes
// the follows between the two, both ways, in the same transaction (the counters follow).
// It returns not_found for an unknown user and cannot_block_self for oneself. A user one
// may not see (suspended, or who blocks one) can still be blocked.
func (s *Store) SetBlock(ctx context.Context, blocker, blocked int64, block bool) error {
	if blocker == blocked {
		return &tiktok.Error{Code: tiktok.CodeCannotBlockSelf, Message: "You cannot block yourself"}
	}
	err := s.inTx(ctx, func(q *db.Queries) error {
		// The same locks as SetFollow: a follow racing this block either sees it or is
		// deleted by it.
		if err := lockPair(ctx, q, blocker, blocked); err != nil {
			return err
		}
		if !block {
			_, err := q.UnblockUser(ctx, db.UnblockUserParams{BlockerID: blocker, BlockedID: blocked})
			return err
		}
		if _, err := q.BlockUser(ctx, db.BlockUserParams{BlockerID: blocker, BlockedID: blocked}); err != nil {
			return err
		}
		_, err := q.DeleteFollowsBetween(ctx, db.DeleteFollowsBetweenParams{A: blocker, B: blocked})
		return err
	})
	if err != nil {
		return fmt.Errorf("set block: %w", translate(err))
	}
	return nil
}

// ListBlocks returns a page of the users blocker blocks, most recent first. The page key
// is (blocked at, user id).
func (s *Store) ListBlocks(ctx context.Context, blocker int64, p tiktok.Page) ([]tiktok.Block, error) {
	t, id := keyset(p)
	rows, err := s.q.ListBlocks(ctx, db.ListBlocksParams{BlockerID: blocker, BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list blocks: %w", translate(err))
	}
	out := make([]tiktok.Block, len(rows))
	for i, r := range rows {
		out[i] = tiktok.Block{User: tiktok.UserMini{ID: r.ID, Username: r.Username, Name: r.Name, Avatar: r.Avatar}, BlockedAt: r.BlockedAt}
	}
	return out, nil
}

// UserRole returns user id's role, or not_found.
func (s *Store) UserRole(ctx context.Context, id int64) (tiktok.Role, error) {
	r, err := s.q.UserRole(readpref.Primary(ctx), id) // an authorization check
	if err != nil {
		return "", notFound(err, "User")
	}
	return tiktok.Role(r), nil
}

// requireRole returns actor's role, or forbidden unless it is at least min (read in the
// action's transaction, so a demotion between the request's check and the action counts).
func requireRole(ctx context.Context, q *db.Queries, actor int64, min tiktok.Role) (tiktok.Role, error) {
	r, err := q.UserRole(ctx, actor)
	if err != nil {
		return "", notFound(err, "User")
	}
	role := tiktok.Role(r)
	if !role.AtLeast(min) {
		return role, tiktok.Forbidden()
	}
	return role, nil
}

// audit writes one line of the moderation audit log: by actor (0: none) from source.
func audit(ctx context.Context, q *db.Queries, actor int64, source, action string, t tiktok.Target, reason *string) error {
	var a *int64
	if actor != 0 {
		a = &actor
	}
	err := q.AddAudit(ctx, db.AddAuditParams{ActorID: a, Source: source, Action: action,
		TargetType: string(t.Type), TargetID: t.ID, Reason: reason})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// SetRole gives user id the role, on behalf of admin actor, and writes it to the audit log.
// It returns forbidden unless actor is an admin, not_found for an unknown user, and a
// validation error for an unknown role or for the actor's own account (an admin cannot
// lock themselves out; another admin or the command line can).
func (s *Store) SetRole(ctx context.Context, actor, id int64, role tiktok.Role) error {
	if !role.Valid() {
		return tiktok.Invalid(map[string]string{"role": "must be user, moderator or admin"})
	}
	if actor == id {
		return &tiktok.Error{Code: tiktok.CodeValidation, Message: "You cannot change your own role"}
	}
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := requireRole(ctx, q, actor, tiktok.RoleAdmin); err != nil {
			return err
		}
		old, err := q.LockUserForModeration(ctx, id)
		if err != nil {
			return notFound(err, "User")
		}
		if err := q.SetUserRole(ctx, db.SetUserRoleParams{ID: id, Role: string(role)}); err != nil {
			return err
		}
		reason := old.Role + " → " + string(role)
		return audit(ctx, q, actor, "moderator", "set_role", tiktok.Target{Type: tiktok.TargetUser, ID: id}, &reason)
	})
	if err != nil {
		return fmt.Errorf("set role: %w", translate(err))
	}
	return nil
}

// SetRoleByEmail gives the account with email (any case) the role, from the command line,
// and writes it to the audit log; it returns the previous role, or not_found.
func (s *Store) SetRoleByEmail(ctx context.Context, email string, role tiktok.Role) (tiktok.Role, error) {
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (user, moderator or admin)", role)
	}
	var old tiktok.Role
	err := s.inTx(ctx, func(q *db.Queries) error {
		u, err := q.UserIDByEmail(ctx, email)
		if err != nil {
			return notFound(err, "User")
		}
		if _, err := q.LockUserForModeration(ctx, u.ID); err != nil {
			return notFound(err, "User")
		}
		old = tiktok.Role(u.Role)
		if err := q.SetUserRole(ctx, db.SetUserRoleParams{ID: u.ID, Role: string(role)}); err != nil {
			return err
		}
		reason := u.Role + " → " + string(role)
		return audit(ctx, q, 0, "cli", "set_role", tiktok.Target{Type: tiktok.TargetUser, ID: u.ID}, &reason)
	})
	if err != nil {
		return "", fmt.Errorf("set role: %w", translate(err))
	}
	return old, nil
}

// SetSuspended suspends (or reinstates) user id on behalf of moderator actor, and writes it
// to the audit log. A suspended user cannot log in, every token they held is revoked
// (their token version moves on), and their profile, videos and comments are hidden from
// everyone else; reinstating shows them again (their tokens stay revoked: they log in
// again). Moderators may suspend users; admins users and moderators; nobody an admin
// (demote them first, with `tiktok user role`). It returns forbidden for those, not_found
// for an unknown user and a validation error for oneself.
func (s *Store) SetSuspended(ctx context.Context, actor, id int64, suspend bool, reason string) (tiktok.ModerationState, error) {
	t := tiktok.Target{Type: tiktok.TargetUser, ID: id}
	if actor == id {
		return tiktok.ModerationState{}, &tiktok.Error{Code: tiktok.CodeValidation, Message: "You cannot suspend or reinstate yourself"}
	}
	state := tiktok.ModerationState{Target: t, Hidden: suspend, Reason: &reason}
	err := s.inTx(ctx, func(q *db.Queries) error {
		actorRole, err := requireRole(ctx, q, actor, tiktok.RoleModerator)
		if err != nil {
			return err
		}
		u, err := q.LockUserForModeration(ctx, id)
		if err != nil {
			return notFound(err, "User")
		}
		switch tiktok.Role(u.Role) {
		case tiktok.RoleAdmin:
			return &tiktok.Error{Code: tiktok.CodeForbidden, Message: "An admin cannot be suspended"}
		case tiktok.RoleModerator:
			if actorRole != tiktok.RoleAdmin {
				return &tiktok.Error{Code: tiktok.CodeForbidden, Message: "Only an admin can suspend a moderator"}
			}
		}
		switch {
		case suspend && u.SuspendedAt == nil:
			state.Changed = true
			err = q.SuspendUser(ctx, id)
		case !suspend && u.SuspendedAt != nil:
			state.Changed = true
			err = q.UnsuspendUser(ctx, id)
		}
		if err != nil {
			return err
		}
		action := "suspend_user"
		if !suspend {
			action = "unsuspend_user"
		}
		return audit(ctx, q, actor, "moderator", action, t, &reason)
	})
	if err != nil {
		return tiktok.ModerationState{}, fmt.Errorf("set suspended: %w", translate(err))
	}
	return state, nil
}

// SetVideoHidden hides (or shows again) video id on behalf of moderator actor, with a
// reason, and writes it to the audit log. A hidden video is gone for everyone but its
// owner, who sees it marked hidden with the reason. Hiding a hidden video changes the
// reason. It returns forbidden unless actor is a moderator or admin, not_found for an
// unknown video.
func (s *Store) SetVideoHidden(ctx context.Context, actor, id int64, hide bool, reason string) (tiktok.ModerationState, error) {
	return s.setHidden(ctx, actor, tiktok.Target{Type: tiktok.TargetVideo, ID: id}, hide, reason)
}

// SetCommentHidden is SetVideoHidden for comment id.
func (s *Store) SetCommentHidden(ctx context.Context, actor, id int64, hide bool, reason string) (tiktok.ModerationState, error) {
	return s.setHidden(ctx, actor, tiktok.Target{Type: tiktok.TargetComment, ID: id}, hide, reason)
}

func (s *Store) setHidden(ctx context.Context, actor int64, t tiktok.Target, hide bool, reason string) (tiktok.ModerationState, error) {
	state := tiktok.ModerationState{Target: t, Hidden: hide}
	if hide {
		state.Reason = &reason
	}
	what, action := "Video", "video"
	if t.Type == tiktok.TargetComment {
		what, action = "Comment", "comment"
	}
	if hide {
		action = "hide_" + action
	} else {
		action = "unhide_" + action
	}
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := requireRole(ctx, q, actor, tiktok.RoleModerator); err != nil {
			return err
		}
		// The target's row first (a hide and an unhide of it queue); it must exist.
		var err error
		if t.Type == tiktok.TargetVideo {
			_, err = q.VideoExistsForUpdate(ctx, t.ID)
		} else {
			_, err = q.CommentExistsForUpdate(ctx, t.ID)
		}
		if err != nil {
			return notFound(err, what)
		}
		var n int64
		switch {
		case hide && t.Type == tiktok.TargetVideo:
			state.Changed, err = q.HideVideo(ctx, db.HideVideoParams{VideoID: t.ID, Reason: reason, HiddenBy: &actor})
		case hide:
			state.Changed, err = q.HideComment(ctx, db.HideCommentParams{CommentID: t.ID, Reason: reason, HiddenBy: &actor})
		case t.Type == tiktok.TargetVideo:
			n, err = q.UnhideVideo(ctx, t.ID)
			state.Changed = n > 0
		default:
			n, err = q.UnhideComment(ctx, t.ID)
			state.Changed = n > 0
		}
		if err != nil {
			return notFound(err, what)
		}
		return audit(ctx, q, actor, "moderator", action, t, &reason)
	})
	if err != nil {
		return tiktok.ModerationState{}, fmt.Errorf("set hidden: %w", translate(err))
	}
	return state, nil
}

// CreateReport files r and returns it with created true, or, when the reporter already has
// an open report on that target, that report with created false (of any number of
// identical reports at once exactly one is created). It returns not_found for a target that
// does not exist or the reporter may not see, and cannot_report_self for the reporter's own
// account, videos and comments.
//
// autoHideAt > 0 is the report threshold: the report that brings the number of users with
// an open report on a video to exactly autoHideAt hides the video pending review, and the
// audit log records it as a system action. (Exactly: once a moderator has shown the video
// again, more reports on the same open batch do not hide it again; resolving the reports
// starts a new count.)
func (s *Store) CreateReport(ctx context.Context, r tiktok.NewReport, autoHideAt int) (tiktok.Report, bool, error) {
	arg := db.CreateReportParams{ReporterID: r.ReporterID, Reason: r.Reason, Details: r.Details}
	switch r.Target.Type {
	case tiktok.TargetVideo:
		arg.VideoID = &r.Target.ID
	case tiktok.TargetComment:
		arg.CommentID = &r.Target.ID
	default:
		arg.UserID = &r.Target.ID
	}
	report := tiktok.Report{ReporterID: r.ReporterID, Target: r.Target}
	var created bool
	err := s.inTx(ctx, func(q *db.Queries) error {
		owner, err := visibleOwner(ctx, q, r.ReporterID, r.Target)
		if err != nil {
			return err
		}
		if owner == r.ReporterID {
			return &tiktok.Error{Code: tiktok.CodeCannotReportSelf, Message: "You cannot report yourself or your own content"}
		}
		for attempt := 0; ; attempt++ {
			row, err := q.CreateReport(ctx, arg)
			if err == nil {
				created = true
				report.ID, report.Reason, report.Details, report.Status, report.CreatedAt = row.ID, row.Reason, row.Details, row.Status, row.CreatedAt
				break
			}
			if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			// An open report exists (or existed: resolved meanwhile, then insert again).
			ex, err := q.OpenReport(ctx, db.OpenReportParams{ReporterID: r.ReporterID, TargetType: string(r.Target.Type), TargetID: r.Target.ID})
			if err == nil {
				report.ID, report.Reason, report.Details, report.Status, report.CreatedAt = ex.ID, ex.Reason, ex.Details, ex.Status, ex.CreatedAt
				return nil
			}
			if !errors.Is(err, pgx.ErrNoRows) || attempt == 2 {
				return fmt.Errorf("open report: %w", err)
			}
		}
		if autoHideAt <= 0 || r.Target.Type != tiktok.TargetVideo {
			return nil
		}
		n, err := q.OpenReportCount(ctx, db.OpenReportCountParams{TargetType: string(r.Target.Type), TargetID: r.Target.ID})
		if err != nil || n != int64(autoHideAt) {
			return err
		}
		reason := fmt.Sprintf("Hidden automatically pending review: reported by %d users", n)
		hidden, err := q.AutoHideVideo(ctx, db.AutoHideVideoParams{VideoID: r.Target.ID, Reason: reason})
		if err != nil || hidden == 0 {
			return err
		}
		return audit(ctx, q, 0, "system", "hide_video", r.Target, &reason)
	})
	if isForeignKeyViolation(err) {
		return tiktok.Report{}, false, tiktok.NotFound(targetName(r.Target.Type)) // deleted since the check
	}
	if err != nil {
		return tiktok.Report{}, false, fmt.Errorf("create report: %w", translate(err))
	}
	return report, created, nil
}

// queueLatest is how many of a target's open reports the queue shows.
const queueLatest = 3

// ReportQueue returns a page of the moderators' queue: the targets with open reports,
// longest waiting first, each with its number of open reports and its newest few. The page
// key is (queued at, queue row id), ascending; the zero key is the start.
func (s *Store) ReportQueue(ctx context.Context, p tiktok.Page) ([]tiktok.ReportGroup, error) {
	after, id := p.After.Time, p.After.ID
	if p.After == (tiktok.PageKey{}) {
		after, id = time.Unix(0, 0), 0
	}
	rows, err := s.q.ReportQueue(ctx, db.ReportQueueParams{AfterTime: after, AfterID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("report queue: %w", translate(err))
	}
	out := make([]tiktok.ReportGroup, len(rows))
	types, ids := make([]string, len(rows)), make([]int64, len(rows))
	index := map[tiktok.Target]int{}
	for i, r := range rows {
		g := tiktok.ReportGroup{
			Key:    tiktok.PageKey{Time: r.QueuedAt, ID: r.ID},
			Target: tiktok.Target{Type: tiktok.TargetType(r.TargetType), ID: r.TargetID}, OpenCount: r.OpenCount,
			QueuedAt: r.QueuedAt, Text: r.Text, VideoID: r.CommentVideoID, Suspended: r.OwnerSuspended,
			Latest: []tiktok.Report{},
		}
		if r.OwnerID != nil {
			g.Owner = &tiktok.UserMini{ID: *r.OwnerID, Username: deref(r.OwnerUsername), Name: r.OwnerName, Avatar: r.OwnerAvatar}
		}
		if r.VideoHiddenReason != nil {
			g.Hidden = r.VideoHiddenReason
		} else if r.CommentHiddenReason != nil {
			g.Hidden = r.CommentHiddenReason
		}
		out[i] = g
		types[i], ids[i] = r.TargetType, r.TargetID
		index[g.Target] = i
	}
	if len(rows) == 0 {
		return out, nil
	}
	latest, err := s.q.LatestOpenReports(ctx, db.LatestOpenReportsParams{Types: types, Ids: ids, Per: queueLatest})
	if err != nil {
		return nil, fmt.Errorf("latest reports: %w", translate(err))
	}
	for _, r := range latest {
		t := tiktok.Target{Type: tiktok.TargetType(r.TargetType), ID: r.TargetID}
		i, ok := index[t]
		if !ok {
			continue
		}
		out[i].Latest = append(out[i].Latest, tiktok.Report{
			ID: r.ID, ReporterID: r.ReporterID, Target: t, Reason: r.Reason, Details: r.Details, Status: r.Status, CreatedAt: r.CreatedAt,
			Reporter: &tiktok.UserMini{ID: r.ReporterID, Username: r.ReporterUsername, Name: r.ReporterName, Avatar: r.ReporterAvatar},
		})
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// ResolveReports closes every open report on t with a resolution ("actioned" or
// "dismissed") and an optional note, on behalf of moderator actor, writes it to the audit
// log, and returns how many reports it closed. It returns forbidden unless actor is a
// moderator or admin, and not_found when t has no open report.
func (s *Store) ResolveReports(ctx context.Context, actor int64, t tiktok.Target, resolution string, note *string) (int64, error) {
	var n int64
	err := s.inTx(ctx, func(q *db.Queries) error {
		if _, err := requireRole(ctx, q, actor, tiktok.RoleModerator); err != nil {
			return err
		}
		var err error
		n, err = q.ResolveReports(ctx, db.ResolveReportsParams{
			Resolution: &resolution, Note: note, ResolvedBy: &actor, TargetType: string(t.Type), TargetID: t.ID,
		})
		if err != nil {
			return err
		}
		if n == 0 {
			return &tiktok.Error{Code: tiktok.CodeNotFound, Message: "No open reports on this " + string(t.Type)}
		}
		reason := resolution
		if note != nil {
			reason += ": " + *note
		}
		return audit(ctx, q, actor, "moderator", "resolve_reports", t, &reason)
	})
	if err != nil {
		return 0, fmt.Errorf("resolve reports: %w", translate(err))
	}
	return n, nil
}

// ListAudit returns a page of the moderation audit log, newest first. The page key is
// (created at, id).
func (s *Store) ListAudit(ctx context.Context, p tiktok.Page) ([]tiktok.AuditEntry, error) {
	t, id := keyset(p)
	rows, err := s.q.ListAudit(ctx, db.ListAuditParams{BeforeTime: t, BeforeID: id, Lim: int32(p.Limit)})
	if err != nil {
		return nil, fmt.Errorf("list audit: %w", translate(err))
	}
	out := make([]tiktok.AuditEntry, len(rows))
	for i, r := range rows {
		e := tiktok.AuditEntry{ID: r.ID, Source: r.Source, Action: r.Action,
			Target: tiktok.Target{Type: tiktok.TargetType(r.TargetType), ID: r.TargetID}, Reason: r.Reason, CreatedAt: r.CreatedAt}
		if r.ActorID != nil {
			e.Actor = &tiktok.UserMini{ID: *r.ActorID, Username: deref(r.ActorUsername), Name: r.ActorName, Avatar: r.ActorAvatar}
		}
		out[i] = e
	}
	return out, nil
}
