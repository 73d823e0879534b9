package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// routes lists every route of the API on one screen. "auth" routes answer 401 without a
// valid token; the others accept anonymous requests. "moderator" and "admin" routes are
// auth routes that answer 403 unless the caller has that role (or a higher one).
func (s *Server) routes(mux *http.ServeMux) {
	public := func(pattern string, h apiHandler) {
		s.patterns = append(s.patterns, pattern)
		mux.Handle(pattern, s.handle(h))
	}
	auth := func(pattern string, h apiHandler) { public(pattern, s.requireAuth(h)) }
	moderator := func(pattern string, h apiHandler) { auth(pattern, s.requireRole(tiktok.RoleModerator, h)) }
	admin := func(pattern string, h apiHandler) { auth(pattern, s.requireRole(tiktok.RoleAdmin, h)) }

	public("GET /healthz", s.handleHealthz)
	public("GET /readyz", s.handleReadyz)
	if !s.cfg.SeparateMetrics {
		public("GET /metrics", s.handleMetrics)
	}
	public("GET /api/openapi.json", s.handleOpenAPI)
	public("GET /uploads/{name}", s.handleUpload)

	public("POST /api/users/register", s.handleRegister)
	public("POST /api/users/login", s.handleLogin)
	auth("POST /api/users/logout", s.handleLogout)
	auth("GET /api/users/me", s.handleMe)
	auth("PUT /api/users/me/password", s.handlePasswordChange)
	auth("GET /api/users/me/bookmarks", s.handleBookmarkList)
	auth("GET /api/users/me/likes", s.handleLikedList)
	auth("GET /api/users/me/export", s.handleExport)
	public("GET /api/users", s.handleUserList)
	public("GET /api/users/{id}", s.handleUserGet)
	auth("PUT /api/users/{id}", s.handleUserUpdate)
	auth("DELETE /api/users/{id}", s.handleUserDelete)
	public("GET /api/users/{id}/videos", s.handleUserVideos)
	public("GET /api/users/{id}/followers", s.listFollows("followers", Users.ListFollowers))
	public("GET /api/users/{id}/following", s.listFollows("following", Users.ListFollowing))
	auth("POST /api/users/{id}/follow", s.handleFollow(true))
	auth("DELETE /api/users/{id}/follow", s.handleFollow(false))
	auth("POST /api/users/{id}/hide", s.handleHideCreator(true))
	auth("DELETE /api/users/{id}/hide", s.handleHideCreator(false))

	public("GET /api/videos", s.handleVideoList)
	auth("GET /api/videos/following", s.handleFollowingFeed)
	public("GET /api/videos/for-you", s.handleForYou)
	auth("POST /api/videos/seen", s.handleSeen)
	auth("POST /api/videos", s.handleVideoCreate)
	auth("POST /api/uploads", s.handleUploadCreate)
	public("GET /api/videos/{id}", s.handleVideoGet)
	auth("PUT /api/videos/{id}", s.handleVideoUpdate)
	auth("DELETE /api/videos/{id}", s.handleVideoDelete)
	auth("POST /api/videos/{id}/like", s.handleVideoLike(true))
	auth("DELETE /api/videos/{id}/like", s.handleVideoLike(false))
	public("POST /api/videos/{id}/view", s.handleVideoView)
	public("GET /api/videos/{id}/comments", s.handleVideoComments)
	auth("POST /api/videos/{id}/not-interested", s.handleNotInterested)
	auth("POST /api/videos/{id}/bookmark", s.handleVideoBookmark(true))
	auth("DELETE /api/videos/{id}/bookmark", s.handleVideoBookmark(false))
	auth("POST /api/videos/{id}/share", s.handleVideoShare)

	public("GET /api/hashtags/trending", s.handleHashtagTrending)
	public("GET /api/hashtags/{name}", s.handleHashtagGet)
	public("GET /api/hashtags/{name}/videos", s.handleHashtagVideos)
	public("GET /api/sounds/{id}", s.handleSoundGet)
	public("GET /api/sounds/{id}/videos", s.handleSoundVideos)

	public("GET /api/search", s.handleSearch)
	public("GET /api/search/suggest", s.handleSuggest)

	public("GET /api/comments", s.handleCommentList)
	auth("POST /api/comments", s.handleCommentCreate)
	public("GET /api/comments/{id}", s.handleCommentGet)
	public("GET /api/comments/{id}/replies", s.handleCommentReplies)
	auth("PUT /api/comments/{id}", s.handleCommentUpdate)
	auth("DELETE /api/comments/{id}", s.handleCommentDelete)
	auth("POST /api/comments/{id}/like", s.handleCommentLike(true))
	auth("DELETE /api/comments/{id}/like", s.handleCommentLike(false))

	auth("POST /api/users/{id}/block", s.handleBlock(true))
	auth("DELETE /api/users/{id}/block", s.handleBlock(false))
	auth("GET /api/users/me/blocks", s.handleBlockList)
	auth("POST /api/reports", s.handleReportCreate)
	moderator("GET /api/admin/reports", s.handleReportQueue)
	moderator("POST /api/admin/reports/resolve", s.handleReportsResolve)
	moderator("POST /api/admin/videos/{id}/hide", s.handleHide(tiktok.TargetVideo, true))
	moderator("POST /api/admin/videos/{id}/unhide", s.handleHide(tiktok.TargetVideo, false))
	moderator("POST /api/admin/comments/{id}/hide", s.handleHide(tiktok.TargetComment, true))
	moderator("POST /api/admin/comments/{id}/unhide", s.handleHide(tiktok.TargetComment, false))
	moderator("POST /api/admin/users/{id}/suspend", s.handleSuspend(true))
	moderator("POST /api/admin/users/{id}/unsuspend", s.handleSuspend(false))
	admin("PUT /api/admin/users/{id}/role", s.handleSetRole)
	moderator("GET /api/admin/audit", s.handleAudit)
	auth("GET /api/notifications", s.handleNotificationList)
	auth("GET /api/notifications/unread-count", s.handleNotificationUnread)
	auth("POST /api/notifications/read", s.handleNotificationRead)
	auth("GET /api/notifications/stream", s.handleNotificationStream)

	if s.cfg.StorageCompat { // off by default: the client authenticates only with a public key
		public("POST /storage/v1/object/{bucket}/{path...}", s.handleStorageUpload)
		public("GET /storage/v1/object/public/{bucket}/{path...}", s.handleStoragePublic)
	}

	// The browser client (internal/webapp), when Deps.Web is set: its deep links load the
	// app. Pages, not API routes: not in s.patterns nor in the OpenAPI document (pages.go).
	if web := s.web; web != nil {
		s.page(mux, "GET /{$}", web.Page)
		s.page(mux, "GET /{handle}", web.Profile) // /@{username}; any other segment is not found
		for _, p := range []string{"/video/{id}", "/tag/{name}", "/sound/{id}", "/search", "/notifications", "/upload", "/settings", "/admin"} {
			s.page(mux, "GET "+p, web.Page)
		}
		s.page(mux, "GET /assets/{file}", web.Asset)
	}
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) error {
	s.metrics.handler().ServeHTTP(w, r)
	return nil
}

// MetricsHandler serves the Prometheus metrics, for a listener of their own.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.handler() }

// Routes returns the pattern of every route the server serves ("GET /api/videos/{id}"),
// in registration order. The OpenAPI tests compare it with the document.
func (s *Server) Routes() []string {
	if s.patterns == nil {
		s.routes(http.NewServeMux())
	}
	return append([]string(nil), s.patterns...)
}

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) error {
	processing := "available"
	if !s.cfg.Processing {
		processing = "unavailable" // uploads are served as uploaded (no ffmpeg, or MEDIA_PROCESSING=off)
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "mediaProcessing": processing})
	return nil
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) error {
	if s.ready != nil {
		if err := s.ready(); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}
