package httpapi_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/httpapi"
	"github.com/gotok/tiktok/internal/tiktok"
)

// The authorization matrix: every route the router serves (Server.Routes, so a new route
// without a row fails the test) against every kind of caller, with the status each must
// get.

// caller is who sends a matrix request.
type caller int

const (
	anonymous caller = iota
	plainUser        // signed in, owns nothing the request names
	owner            // owns the video, comment or account the request names
	moderator
	admin
	suspended // signed in before a moderator suspended the account: its token is revoked
	callers
)

var callerNames = [callers]string{"anonymous", "user", "owner", "moderator", "admin", "suspended"}

// order runs the owner last: some of its requests delete what the others need.
var order = []caller{anonymous, plainUser, moderator, admin, suspended, owner}

// expected is the status each caller gets, indexed by caller.
type expected [callers]int

func everyone(status int) expected { return expected{status, status, status, status, status, status} }

// signedIn: any valid token; the suspended user's token no longer is one.
func signedIn(status int) expected { return expected{401, status, status, status, status, 401} }

// ownerOnly: the owner; other signed-in users are refused.
func ownerOnly(status int) expected { return expected{401, 403, status, 403, 403, 401} }

// notOneself: any signed-in user but the one the request names (following, blocking,
// reporting oneself is a 400).
func notOneself(status int) expected { return expected{401, status, 400, status, status, 401} }

// moderators: moderators and admins.
func moderators(status int) expected { return expected{401, 403, 403, status, status, 401} }

// admins: admins only.
func admins(status int) expected { return expected{401, 403, 403, 403, status, 401} }

// matrix is one route's environment: its own database with one user per caller.
type matrix struct {
	e        *env
	users    [callers]registered
	reporter registered // files the reports a resolve closes
	n        int        // a counter for unique names
}

func newMatrix(t *testing.T) *matrix {
	m := &matrix{e: newEnv(t)}
	for c := plainUser; c < callers; c++ {
		m.users[c] = m.e.register(fmt.Sprintf("mx_%s", callerNames[c]))
	}
	m.reporter = m.e.register("mx_reporter")
	ctx := context.Background()
	for c, role := range map[caller]tiktok.Role{moderator: tiktok.RoleModerator, admin: tiktok.RoleAdmin} {
		if _, err := m.e.store.SetRoleByEmail(ctx, m.users[c].email, role); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.e.store.SetSuspended(ctx, m.users[admin].id, m.users[suspended].id, true, "matrix"); err != nil {
		t.Fatal(err)
	}
	return m
}

// fixture is what one request may name, created fresh for it when first asked for: a
// video and a comment of the owner (with a tag and a sound), and a user nobody else
// touches.
type fixture struct {
	m                                     *matrix
	videoID, commentID, soundID, victimID int64
	tagName                               string
}

func (f *fixture) video() int64 {
	if f.videoID == 0 {
		m := f.m
		m.n++
		res := m.e.request("POST", "/api/videos", map[string]any{
			"caption": fmt.Sprintf("matrix video #mx%d", m.n), "audioName": fmt.Sprintf("mx sound %d", m.n),
			"videoUrl": "https://cdn.example.com/v.mp4",
		}, m.users[owner].token)
		expect(m.e.t, res, 201, "")
		f.videoID, f.soundID, f.tagName = res.num("id"), res.num("soundId"), fmt.Sprintf("mx%d", m.n)
	}
	return f.videoID
}

func (f *fixture) comment() int64 {
	if f.commentID == 0 {
		f.commentID = f.m.e.comment(f.m.users[owner], f.video(), "matrix comment")
	}
	return f.commentID
}

func (f *fixture) sound() int64 { f.video(); return f.soundID }

func (f *fixture) tag() string { f.video(); return f.tagName }

func (f *fixture) victim() int64 {
	if f.victimID == 0 {
		f.m.n++
		f.victimID = f.m.e.register(fmt.Sprintf("mx_victim%d", f.m.n)).id
	}
	return f.victimID
}

// route builds the request of one row for caller c: its path (with a query, if any) and
// body.
type route func(m *matrix, f *fixture, c caller) (path string, body any)

func fixed(path string) route {
	return func(*matrix, *fixture, caller) (string, any) { return path, nil }
}

// matrixRows has a row for every route of the API.
func matrixRows() map[string]struct {
	req  route
	want expected
} {
	type row = struct {
		req  route
		want expected
	}
	video := func(suffix string, body any) route {
		return func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/videos/%d%s", f.video(), suffix), body
		}
	}
	comment := func(suffix string, body any) route {
		return func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/comments/%d%s", f.comment(), suffix), body
		}
	}
	ownerPath := func(suffix string, body any) route {
		return func(m *matrix, _ *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/users/%d%s", m.users[owner].id, suffix), body
		}
	}
	victim := func(suffix string, body any) route {
		return func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/admin/users/%d%s", f.victim(), suffix), body
		}
	}
	reason := map[string]string{"reason": "matrix"}
	return map[string]row{
		"GET /healthz":          {fixed("/healthz"), everyone(200)},
		"GET /readyz":           {fixed("/readyz"), everyone(200)},
		"GET /metrics":          {fixed("/metrics"), everyone(200)},
		"GET /api/openapi.json": {fixed("/api/openapi.json"), everyone(200)},
		"GET /uploads/{name}":   {fixed("/uploads/0123456789abcdef.mp4"), everyone(200)},
		"POST /api/users/register": {func(m *matrix, _ *fixture, c caller) (string, any) {
			m.n++
			name := fmt.Sprintf("mx_new%d", m.n)
			return "/api/users/register", map[string]string{"username": name, "email": name + "@example.com", "password": "password123"}
		}, everyone(201)},
		"POST /api/users/login": {func(m *matrix, _ *fixture, c caller) (string, any) {
			if c == anonymous {
				return "/api/users/login", map[string]string{"email": m.users[owner].email, "password": "not the password"}
			}
			return "/api/users/login", map[string]string{"email": m.users[c].email, "password": "password123"}
		}, expected{401, 200, 200, 200, 200, 403}},
		"POST /api/users/logout": {fixed("/api/users/logout"), signedIn(204)},
		"GET /api/users/me":      {fixed("/api/users/me"), signedIn(200)},
		"PUT /api/users/me/password": {func(*matrix, *fixture, caller) (string, any) {
			return "/api/users/me/password", map[string]string{"currentPassword": "password123", "newPassword": "password456"}
		}, signedIn(200)},
		"GET /api/users":                {fixed("/api/users"), everyone(200)},
		"GET /api/users/{id}":           {ownerPath("", nil), everyone(200)},
		"PUT /api/users/{id}":           {ownerPath("", map[string]string{"bio": "matrix"}), ownerOnly(200)},
		"DELETE /api/users/{id}":        {ownerPath("", nil), ownerOnly(200)},
		"GET /api/users/{id}/videos":    {ownerPath("/videos", nil), everyone(200)},
		"GET /api/users/{id}/followers": {ownerPath("/followers", nil), everyone(200)},
		"GET /api/users/{id}/following": {ownerPath("/following", nil), everyone(200)},
		"POST /api/users/{id}/follow":   {ownerPath("/follow", nil), notOneself(200)},
		"DELETE /api/users/{id}/follow": {ownerPath("/follow", nil), notOneself(200)},
		"POST /api/users/{id}/hide":     {ownerPath("/hide", nil), notOneself(204)},
		"DELETE /api/users/{id}/hide":   {ownerPath("/hide", nil), notOneself(204)},
		"POST /api/users/{id}/block":    {ownerPath("/block", nil), notOneself(200)},
		"DELETE /api/users/{id}/block":  {ownerPath("/block", nil), notOneself(200)},
		"GET /api/users/me/blocks":      {fixed("/api/users/me/blocks"), signedIn(200)},
		"GET /api/videos":               {fixed("/api/videos"), everyone(200)},
		"GET /api/videos/following":     {fixed("/api/videos/following"), signedIn(200)},
		"GET /api/videos/for-you":       {fixed("/api/videos/for-you"), everyone(200)},
		"POST /api/videos/seen": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return "/api/videos/seen", map[string]any{"videoIds": []int64{f.video()}}
		}, signedIn(200)},
		"POST /api/uploads": {func(*matrix, *fixture, caller) (string, any) {
			return "/api/uploads", map[string]any{"kind": "video", "contentType": "video/mp4", "size": 1000}
		}, signedIn(501)}, // the matrix's storage is local: direct uploads need S3 (directuploads_test.go)
		"POST /api/videos":                     {fixed("/api/videos"), signedIn(201)}, // body below
		"GET /api/videos/{id}":                 {video("", nil), everyone(200)},
		"PUT /api/videos/{id}":                 {video("", map[string]string{"caption": "edited"}), ownerOnly(200)},
		"DELETE /api/videos/{id}":              {video("", nil), ownerOnly(200)},
		"POST /api/videos/{id}/like":           {video("/like", nil), signedIn(200)},
		"DELETE /api/videos/{id}/like":         {video("/like", nil), signedIn(200)},
		"POST /api/videos/{id}/view":           {video("/view", nil), everyone(204)},
		"GET /api/videos/{id}/comments":        {video("/comments", nil), everyone(200)},
		"POST /api/videos/{id}/not-interested": {video("/not-interested", nil), notOneself(204)},
		"GET /api/hashtags/trending":           {fixed("/api/hashtags/trending"), everyone(200)},
		"GET /api/hashtags/{name}": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return "/api/hashtags/" + f.tag(), nil
		}, everyone(200)},
		"GET /api/hashtags/{name}/videos": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return "/api/hashtags/" + f.tag() + "/videos", nil
		}, everyone(200)},
		"GET /api/sounds/{id}": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/sounds/%d", f.sound()), nil
		}, everyone(200)},
		"GET /api/sounds/{id}/videos": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/sounds/%d/videos", f.sound()), nil
		}, everyone(200)},
		"GET /api/search":         {fixed("/api/search?q=matrix"), everyone(200)},
		"GET /api/search/suggest": {fixed("/api/search/suggest?q=mx"), everyone(200)},
		"GET /api/comments": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/comments?videoId=%d", f.video()), nil
		}, everyone(200)},
		"POST /api/comments": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return "/api/comments", map[string]any{"videoId": f.video(), "content": "matrix"}
		}, signedIn(201)},
		"GET /api/comments/{id}":         {comment("", nil), everyone(200)},
		"PUT /api/comments/{id}":         {comment("", map[string]string{"content": "edited"}), ownerOnly(200)},
		"DELETE /api/comments/{id}":      {comment("", nil), ownerOnly(200)},
		"POST /api/comments/{id}/like":   {comment("/like", nil), signedIn(200)},
		"DELETE /api/comments/{id}/like": {comment("/like", nil), signedIn(200)},
		"POST /api/reports": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return "/api/reports", map[string]any{"targetType": "video", "targetId": f.video(), "reason": "spam"}
		}, notOneself(201)},
		"GET /api/admin/reports": {fixed("/api/admin/reports"), moderators(200)},
		"POST /api/admin/reports/resolve": {func(m *matrix, f *fixture, _ caller) (string, any) {
			res := m.e.request("POST", "/api/reports", map[string]any{"targetType": "video", "targetId": f.video(), "reason": "spam"}, m.reporter.token)
			expect(m.e.t, res, 201, "")
			return "/api/admin/reports/resolve", map[string]any{"targetType": "video", "targetId": f.video(), "resolution": "dismissed"}
		}, moderators(200)},
		"POST /api/admin/videos/{id}/hide": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/admin/videos/%d/hide", f.video()), reason
		}, moderators(200)},
		"POST /api/admin/videos/{id}/unhide": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/admin/videos/%d/unhide", f.video()), reason
		}, moderators(200)},
		"POST /api/admin/comments/{id}/hide": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/admin/comments/%d/hide", f.comment()), reason
		}, moderators(200)},
		"POST /api/admin/comments/{id}/unhide": {func(_ *matrix, f *fixture, _ caller) (string, any) {
			return fmt.Sprintf("/api/admin/comments/%d/unhide", f.comment()), reason
		}, moderators(200)},
		"POST /api/admin/users/{id}/suspend":   {victim("/suspend", reason), moderators(200)},
		"POST /api/admin/users/{id}/unsuspend": {victim("/unsuspend", reason), moderators(200)},
		"PUT /api/admin/users/{id}/role":       {victim("/role", map[string]string{"role": "moderator"}), admins(200)},
		"GET /api/admin/audit":                 {fixed("/api/admin/audit"), moderators(200)},
		"GET /api/users/me/bookmarks":          {fixed("/api/users/me/bookmarks"), signedIn(200)},
		"GET /api/users/me/likes":              {fixed("/api/users/me/likes"), signedIn(200)},
		"GET /api/users/me/export":             {fixed("/api/users/me/export"), signedIn(200)},
		"POST /api/videos/{id}/bookmark":       {video("/bookmark", nil), signedIn(200)},
		"DELETE /api/videos/{id}/bookmark":     {video("/bookmark", nil), signedIn(200)},
		"POST /api/videos/{id}/share":          {video("/share", map[string]string{"channel": "link"}), signedIn(200)},
		"GET /api/comments/{id}/replies":       {comment("/replies", nil), everyone(200)},
		"GET /api/notifications":               {fixed("/api/notifications"), signedIn(200)},
		"GET /api/notifications/unread-count":  {fixed("/api/notifications/unread-count"), signedIn(200)},
		"POST /api/notifications/read":         {fixed("/api/notifications/read"), signedIn(200)},
		"GET /api/notifications/stream":        {fixed("/api/notifications/stream"), signedIn(200)},
	}
}

// TestAuthorizationMatrix sends every route's request as every kind of caller and checks
// the status: who may read, create, change, delete and moderate what.
func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	rows := matrixRows()
	served := httpapi.NewServer(httpapi.Deps{}).Routes()
	for _, pattern := range served {
		if _, ok := rows[pattern]; !ok {
			t.Errorf("route %q has no row in the authorization matrix", pattern)
		}
	}
	for pattern := range rows {
		if !slices.Contains(served, pattern) {
			t.Errorf("the authorization matrix has a row for %q, which the router does not serve", pattern)
		}
	}
	for _, pattern := range served {
		row, ok := rows[pattern]
		if !ok {
			continue
		}
		t.Run(pattern, func(t *testing.T) {
			t.Parallel()
			m := newMatrix(t)
			if _, err := m.e.media.Put(context.Background(), "0123456789abcdef.mp4", strings.NewReader("matrix")); err != nil {
				t.Fatal(err)
			}
			method, _, _ := strings.Cut(pattern, " ")
			for _, c := range order {
				f := &fixture{m: m}
				path, body := row.req(m, f, c)
				if pattern == "POST /api/videos" {
					body = map[string]any{"caption": "new", "videoUrl": "https://cdn.example.com/n.mp4"}
				}
				var res response
				if pattern == "GET /api/notifications/stream" { // it never ends: its status is the answer
					_, res = m.e.openStream(m.e.srv.Client(), m.e.srv.URL, path, m.users[c].token)
				} else {
					res = m.e.request(method, path, body, m.users[c].token)
				}
				if res.status != row.want[c] {
					t.Errorf("%s %s as %s: status %d, want %d: %s", method, path, callerNames[c], res.status, row.want[c], res.raw)
				}
			}
		})
	}
}

// TestSuspensionRevokesTokens: a suspended user's tokens stop working at once, logging in
// is refused (with the right password only: a wrong one is the usual 401), their content
// disappears for everyone else, and reinstating brings it back with a fresh login.
func TestSuspensionRevokesTokens(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	mod, u, other := e.register("susp_mod"), e.register("susp_user"), e.register("susp_other")
	if _, err := e.store.SetRoleByEmail(context.Background(), mod.email, tiktok.RoleModerator); err != nil {
		t.Fatal(err)
	}
	v := e.video(u, "soon suspended")
	expect(t, e.request("GET", "/api/users/me", nil, u.token), 200, "")

	res := e.request("POST", fmt.Sprintf("/api/admin/users/%d/suspend", u.id), map[string]string{"reason": "spam"}, mod.token)
	expect(t, res, 200, "")
	if res.str("state") != "suspended" || res.get("changed") != true {
		t.Fatalf("suspend: %s", res)
	}
	expect(t, e.request("GET", "/api/users/me", nil, u.token), 401, "token_invalid")
	expect(t, e.request("POST", "/api/videos", map[string]any{"caption": "x", "videoUrl": "https://cdn.example.com/x.mp4"}, u.token), 401, "token_invalid")
	expect(t, e.request("POST", "/api/users/login", map[string]string{"email": u.email, "password": "password123"}, ""), 403, "account_suspended")
	expect(t, e.request("POST", "/api/users/login", map[string]string{"email": u.email, "password": "wrong password"}, ""), 401, "invalid_credentials")
	for _, token := range []string{"", other.token, mod.token} {
		expect(t, e.request("GET", fmt.Sprintf("/api/users/%d", u.id), nil, token), 404, "not_found")
		expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, token), 404, "not_found")
	}
	// A moderator cannot suspend a moderator, nobody an admin, nobody themselves.
	mod2, adm, adm2 := e.register("susp_mod2"), e.register("susp_admin"), e.register("susp_admin2")
	for u, role := range map[registered]tiktok.Role{mod2: tiktok.RoleModerator, adm: tiktok.RoleAdmin, adm2: tiktok.RoleAdmin} {
		if _, err := e.store.SetRoleByEmail(context.Background(), u.email, role); err != nil {
			t.Fatal(err)
		}
	}
	suspend := func(target, by registered) response {
		return e.request("POST", fmt.Sprintf("/api/admin/users/%d/suspend", target.id), map[string]string{"reason": "x"}, by.token)
	}
	expect(t, suspend(mod, mod), 400, "validation_failed")
	expect(t, suspend(mod2, mod), 403, "forbidden")
	expect(t, suspend(adm, mod), 403, "forbidden")
	expect(t, suspend(adm2, adm), 403, "forbidden")
	expect(t, suspend(mod2, adm), 200, "")
	expect(t, e.request("GET", "/api/admin/audit", nil, mod2.token), 401, "token_invalid")

	res = e.request("POST", fmt.Sprintf("/api/admin/users/%d/unsuspend", u.id), map[string]string{"reason": "appeal"}, mod.token)
	expect(t, res, 200, "")
	expect(t, e.request("GET", "/api/users/me", nil, u.token), 401, "token_invalid") // old tokens stay revoked
	login := e.request("POST", "/api/users/login", map[string]string{"email": u.email, "password": "password123"}, "")
	expect(t, login, 200, "")
	expect(t, e.request("GET", "/api/users/me", nil, login.str("token")), 200, "")
	expect(t, e.request("GET", fmt.Sprintf("/api/videos/%d", v), nil, other.token), 200, "")
}

// TestRoles: only admins change roles (the API never lets anyone else grant one), /me
// shows one's own role and nobody else's, and the moderation routes follow the role at
// once.
func TestRoles(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	a, m, u := e.register("role_admin"), e.register("role_mod"), e.register("role_user")
	ctx := context.Background()
	if _, err := e.store.SetRoleByEmail(ctx, a.email, tiktok.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if res := e.request("GET", "/api/users/me", nil, u.token); res.str("role") != "user" {
		t.Errorf("/me of a user: %s", res)
	}
	if res := e.request("GET", fmt.Sprintf("/api/users/%d", a.id), nil, u.token); res.get("role") != nil {
		t.Errorf("someone else's role is shown: %s", res)
	}
	// A user cannot make themselves (or anyone) a moderator; unknown fields are ignored.
	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", u.id), map[string]string{"role": "admin"}, u.token), 403, "forbidden")
	expect(t, e.request("PUT", fmt.Sprintf("/api/users/%d", u.id), map[string]string{"role": "admin"}, u.token), 200, "")
	expect(t, e.request("GET", "/api/admin/audit", nil, m.token), 403, "forbidden")

	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", m.id), map[string]string{"role": "moderator"}, a.token), 200, "")
	if res := e.request("GET", "/api/users/me", nil, m.token); res.str("role") != "moderator" {
		t.Errorf("/me of a moderator: %s", res)
	}
	expect(t, e.request("GET", "/api/admin/audit", nil, m.token), 200, "")
	// A moderator cannot grant roles either; an admin not to themselves; no unknown role.
	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", u.id), map[string]string{"role": "moderator"}, m.token), 403, "forbidden")
	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", a.id), map[string]string{"role": "user"}, a.token), 400, "validation_failed")
	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", u.id), map[string]string{"role": "root"}, a.token), 400, "validation_failed")
	expect(t, e.request("PUT", "/api/admin/users/999999/role", map[string]string{"role": "user"}, a.token), 404, "not_found")

	expect(t, e.request("PUT", fmt.Sprintf("/api/admin/users/%d/role", m.id), map[string]string{"role": "user"}, a.token), 200, "")
	expect(t, e.request("GET", "/api/admin/audit", nil, m.token), 403, "forbidden") // at once, same token

	res := e.request("GET", "/api/admin/audit", nil, a.token)
	expect(t, res, 200, "")
	var roles []string
	for _, it := range res.items("entries") {
		if it["action"] == "set_role" {
			roles = append(roles, fmt.Sprint(it["source"], ":", it["reason"]))
		}
	}
	want := []string{"moderator:moderator → user", "moderator:user → moderator", "cli:user → admin"}
	if !slices.Equal(roles, want) {
		t.Errorf("audit of role changes %q, want %q", roles, want)
	}
	if _, err := e.store.SetRoleByEmail(ctx, "nobody@example.com", tiktok.RoleAdmin); tiktok.ErrorCode(err) != tiktok.CodeNotFound {
		t.Errorf("unknown email: %v", err)
	}
}
