package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Blocks, reports and the moderators' routes. Who may see what is decided by the store
// (Safety.CheckVisible and the SQL it shares with every list); who may moderate by
// requireRole below and again by the store inside each action's transaction.

const (
	blockListLimit   = 20
	reportQueueLimit = 20
	auditLimit       = 50
	maxReasonRunes   = 500  // a moderator's reason
	maxDetailsRunes  = 1000 // a report's free text, a resolution's note
)

// requireRole answers 403 unless the authenticated caller's role is at least min; wrap it
// in auth (routes.go), which answers 401 first. The role is read on every request, so a
// change takes effect at once.
func (s *Server) requireRole(min tiktok.Role, h apiHandler) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		role, err := s.store.UserRole(r.Context(), viewerID(r))
		if err != nil {
			return err
		}
		if !role.AtLeast(min) {
			return &tiktok.Error{Code: tiktok.CodeForbidden, Message: "This requires the " + string(min) + " role"}
		}
		return h(w, r)
	}
}

type blockResultJSON struct {
	Message   string `json:"message"`
	IsBlocked bool   `json:"isBlocked"`
}

func (s *Server) handleBlock(block bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		if err := s.store.SetBlock(r.Context(), viewerID(r), id, block); err != nil {
			return err
		}
		msg := "User blocked successfully"
		if !block {
			msg = "User unblocked successfully"
		}
		writeJSON(w, http.StatusOK, blockResultJSON{Message: msg, IsBlocked: block})
		return nil
	}
}

type blockJSON struct {
	userMiniJSON
	BlockedAt string `json:"blockedAt"`
}

// handleBlockList serves GET /api/users/me/blocks: whom the caller blocks, newest first.
func (s *Server) handleBlockList(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, blockListLimit)
	if err != nil {
		return err
	}
	blocks, err := s.store.ListBlocks(r.Context(), viewerID(r), p)
	if err != nil {
		return err
	}
	blocks, pg := trimPage(blocks, p, func(b tiktok.Block) tiktok.PageKey { return tiktok.PageKey{Time: b.BlockedAt, ID: b.User.ID} })
	rd := s.renderer(r)
	out := make([]blockJSON, len(blocks))
	for i, b := range blocks {
		out[i] = blockJSON{userMiniJSON: rd.userMini(b.User), BlockedAt: jsonTime(b.BlockedAt)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": out, "pagination": pg})
	return nil
}

type reportRequest struct {
	TargetType *string `json:"targetType"`
	TargetID   flexID  `json:"targetId"`
	Reason     *string `json:"reason"`
	Details    *string `json:"details"`
}

type reportJSON struct {
	ID         int64         `json:"id"`
	TargetType string        `json:"targetType"`
	TargetID   int64         `json:"targetId"`
	Reason     string        `json:"reason"`
	Details    *string       `json:"details"`
	Status     string        `json:"status"`
	CreatedAt  string        `json:"createdAt"`
	Reporter   *userMiniJSON `json:"reporter,omitempty"` // in the moderators' queue
}

func (rd renderer) report(r tiktok.Report) reportJSON {
	out := reportJSON{ID: r.ID, TargetType: string(r.Target.Type), TargetID: r.Target.ID, Reason: r.Reason,
		Details: r.Details, Status: r.Status, CreatedAt: jsonTime(r.CreatedAt)}
	if r.Reporter != nil {
		m := rd.userMini(*r.Reporter)
		out.Reporter = &m
	}
	return out
}

// targetField validates a {targetType, targetId} pair of a request body.
func targetField(fields map[string]string, typ *string, id flexID) tiktok.Target {
	var t tiktok.Target
	switch {
	case typ == nil || *typ == "":
		fields["targetType"] = "is required"
	case !tiktok.TargetType(*typ).Valid():
		fields["targetType"] = "must be video, comment or user"
	default:
		t.Type = tiktok.TargetType(*typ)
	}
	switch {
	case !id.set:
		fields["targetId"] = "is required"
	case !id.ok:
		fields["targetId"] = "must be a positive integer"
	default:
		t.ID = id.value
	}
	return t
}

// oneOf checks that a required field is one of allowed.
func oneOf(fields map[string]string, key string, v *string, allowed []string) string {
	switch {
	case v == nil || *v == "":
		fields[key] = "is required"
	case !slices.Contains(allowed, *v):
		fields[key] = "must be one of " + strings.Join(allowed, ", ")
	default:
		return *v
	}
	return ""
}

// handleReportCreate serves POST /api/reports: 201 with a new report, or 200 with the
// caller's open report on the same target.
func (s *Server) handleReportCreate(w http.ResponseWriter, r *http.Request) error {
	var req reportRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	nr := tiktok.NewReport{ReporterID: viewerID(r)}
	nr.Target = targetField(fields, req.TargetType, req.TargetID)
	nr.Reason = oneOf(fields, "reason", req.Reason, tiktok.ReportReasons)
	nr.Details = optionalText(fields, "details", req.Details, maxDetailsRunes)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	report, created, err := s.store.CreateReport(r.Context(), nr, s.cfg.ReportAutoHideThreshold)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, s.renderer(r).report(report))
	return nil
}

type reportGroupJSON struct {
	TargetType string        `json:"targetType"`
	TargetID   int64         `json:"targetId"`
	OpenCount  int64         `json:"openCount"`
	QueuedAt   string        `json:"queuedAt"`
	Owner      *userMiniJSON `json:"owner"`
	Text       string        `json:"text"`
	VideoID    *int64        `json:"videoId"`
	Moderation *string       `json:"moderation"`
	// ModerationReason is why a hidden video or comment is hidden.
	ModerationReason *string      `json:"moderationReason"`
	OwnerSuspended   bool         `json:"ownerSuspended"`
	LatestReports    []reportJSON `json:"latestReports"`
}

// handleReportQueue serves GET /api/admin/reports: targets with open reports, longest
// waiting first.
func (s *Server) handleReportQueue(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, reportQueueLimit)
	if err != nil {
		return err
	}
	groups, err := s.store.ReportQueue(r.Context(), p)
	if err != nil {
		return err
	}
	groups, pg := trimPage(groups, p, func(g tiktok.ReportGroup) tiktok.PageKey { return g.Key })
	rd := s.renderer(r)
	out := make([]reportGroupJSON, len(groups))
	for i, g := range groups {
		o := reportGroupJSON{TargetType: string(g.Target.Type), TargetID: g.Target.ID, OpenCount: g.OpenCount,
			QueuedAt: jsonTime(g.QueuedAt), Text: g.Text, VideoID: g.VideoID, OwnerSuspended: g.Suspended,
			LatestReports: make([]reportJSON, len(g.Latest))}
		if g.Owner != nil {
			m := rd.userMini(*g.Owner)
			o.Owner = &m
		}
		if g.Hidden != nil {
			hidden := "hidden"
			o.Moderation, o.ModerationReason = &hidden, g.Hidden
		}
		for j, rep := range g.Latest {
			o.LatestReports[j] = rd.report(rep)
		}
		out[i] = o
	}
	writeJSON(w, http.StatusOK, map[string]any{"targets": out, "pagination": pg})
	return nil
}

type resolveRequest struct {
	TargetType *string `json:"targetType"`
	TargetID   flexID  `json:"targetId"`
	Resolution *string `json:"resolution"`
	Note       *string `json:"note"`
}

// handleReportsResolve serves POST /api/admin/reports/resolve: closes every open report on
// a target.
func (s *Server) handleReportsResolve(w http.ResponseWriter, r *http.Request) error {
	var req resolveRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	fields := map[string]string{}
	t := targetField(fields, req.TargetType, req.TargetID)
	resolution := oneOf(fields, "resolution", req.Resolution, tiktok.Resolutions)
	note := optionalText(fields, "note", req.Note, maxDetailsRunes)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	n, err := s.store.ResolveReports(r.Context(), viewerID(r), t, resolution, note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"message": "Reports resolved", "targetType": t.Type, "targetId": t.ID, "resolution": resolution, "resolved": n,
	})
	return nil
}

type reasonRequest struct {
	Reason *string `json:"reason"`
}

// requiredReason reads the body {reason} every moderation action carries: 1–500 characters.
func requiredReason(w http.ResponseWriter, r *http.Request) (string, error) {
	var req reasonRequest
	if err := decodeJSON(w, r, &req); err != nil {
		return "", err
	}
	fields := map[string]string{}
	reason := optionalText(fields, "reason", req.Reason, maxReasonRunes)
	if reason == nil && fields["reason"] == "" {
		fields["reason"] = "is required"
	}
	if err := tiktok.Invalid(fields); err != nil {
		return "", err
	}
	return *reason, nil
}

type moderationResultJSON struct {
	Message    string  `json:"message"`
	TargetType string  `json:"targetType"`
	TargetID   int64   `json:"targetId"`
	State      string  `json:"state"` // hidden | visible | suspended | active
	Reason     *string `json:"reason"`
	Changed    bool    `json:"changed"`
}

func moderationResult(st tiktok.ModerationState, message string) moderationResultJSON {
	state := map[bool]string{true: "hidden", false: "visible"}[st.Hidden]
	if st.Target.Type == tiktok.TargetUser {
		state = map[bool]string{true: "suspended", false: "active"}[st.Hidden]
	}
	return moderationResultJSON{Message: message, TargetType: string(st.Target.Type), TargetID: st.Target.ID,
		State: state, Reason: st.Reason, Changed: st.Changed}
}

// handleHide serves the hide and unhide routes of videos and comments.
func (s *Server) handleHide(t tiktok.TargetType, hide bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		reason, err := requiredReason(w, r)
		if err != nil {
			return err
		}
		set := s.store.SetVideoHidden
		what := "Video"
		if t == tiktok.TargetComment {
			set, what = s.store.SetCommentHidden, "Comment"
		}
		st, err := set(r.Context(), viewerID(r), id, hide, reason)
		if err != nil {
			return err
		}
		msg := what + " hidden"
		if !hide {
			msg = what + " visible again"
		}
		writeJSON(w, http.StatusOK, moderationResult(st, msg))
		return nil
	}
}

// handleSuspend serves the suspend and unsuspend routes.
func (s *Server) handleSuspend(suspend bool) apiHandler {
	return func(w http.ResponseWriter, r *http.Request) error {
		id, err := pathID(r, "id")
		if err != nil {
			return err
		}
		reason, err := requiredReason(w, r)
		if err != nil {
			return err
		}
		st, err := s.store.SetSuspended(r.Context(), viewerID(r), id, suspend, reason)
		if err != nil {
			return err
		}
		s.versions.forget(id) // the bump's announcement follows; until then, ask the database
		msg := "User suspended"
		if !suspend {
			msg = "User reinstated"
		}
		writeJSON(w, http.StatusOK, moderationResult(st, msg))
		return nil
	}
}

// handleSetRole serves PUT /api/admin/users/{id}/role (admins only).
func (s *Server) handleSetRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var req struct {
		Role *string `json:"role"`
	}
	if err := decodeJSON(w, r, &req); err != nil {
		return err
	}
	roles := make([]string, len(tiktok.Roles))
	for i, role := range tiktok.Roles {
		roles[i] = string(role)
	}
	fields := map[string]string{}
	role := oneOf(fields, "role", req.Role, roles)
	if err := tiktok.Invalid(fields); err != nil {
		return err
	}
	if err := s.store.SetRole(r.Context(), viewerID(r), id, tiktok.Role(role)); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Role changed", "userId": id, "role": role})
	return nil
}

type auditJSON struct {
	ID         int64         `json:"id"`
	Actor      *userMiniJSON `json:"actor"`
	Source     string        `json:"source"`
	Action     string        `json:"action"`
	TargetType string        `json:"targetType"`
	TargetID   int64         `json:"targetId"`
	Reason     *string       `json:"reason"`
	CreatedAt  string        `json:"createdAt"`
}

// handleAudit serves GET /api/admin/audit: the moderation audit log, newest first.
func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	p, err := parsePage(r, auditLimit)
	if err != nil {
		return err
	}
	entries, err := s.store.ListAudit(r.Context(), p)
	if err != nil {
		return err
	}
	entries, pg := trimPage(entries, p, func(e tiktok.AuditEntry) tiktok.PageKey { return tiktok.PageKey{Time: e.CreatedAt, ID: e.ID} })
	rd := s.renderer(r)
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		a := auditJSON{ID: e.ID, Source: e.Source, Action: e.Action, TargetType: string(e.Target.Type),
			TargetID: e.Target.ID, Reason: e.Reason, CreatedAt: jsonTime(e.CreatedAt)}
		if e.Actor != nil {
			m := rd.userMini(*e.Actor)
			a.Actor = &m
		}
		out[i] = a
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "pagination": pg})
	return nil
}
