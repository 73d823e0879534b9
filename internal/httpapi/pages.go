package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/gotok/tiktok/internal/tiktok"
)

// page registers a route of the web client. serve answers the request, or reports false
// when the path is not one of the app's pages (an unknown /{handle}, a bad id, an unknown
// asset): then the answer is that of any unknown path — the app's HTML 404 page for a
// browser, the JSON 404 for everyone else — logged and counted as unmatched.
func (s *Server) page(mux *http.ServeMux, pattern string, serve func(http.ResponseWriter, *http.Request) bool) {
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, ok := r.Context().Value(keyRequestInfo).(*requestInfo)
		if !ok {
			info = &requestInfo{}
			r = r.WithContext(context.WithValue(r.Context(), keyRequestInfo, info))
		}
		info.route = r.Pattern // the route answers: its writes pass jsonNotFound
		if serve(w, r) {
			return
		}
		if strings.Contains(r.Header.Get("Accept"), "text/html") {
			s.web.NotFound(w, r)
		} else {
			s.writeError(w, r, tiktok.Errorf(tiktok.CodeNotFound, "Route not found"))
		}
		info.route = "" // written: now counted like any unknown path
	}))
}
