package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/gotok/tiktok/internal/httpapi"
)

// The tests in this file keep internal/httpapi/openapi.json true: it is a valid OpenAPI
// 3.1 document that follows the API contract's conventions, it documents exactly the
// routes the router serves, its error codes are the server's, and checkSpec validates
// real responses against it.
//
// kin-openapi (v0.153.0) takes the document's version from its "openapi" field: for 3.1,
// Validate checks the document as 3.1 (type arrays such as ["string", "null"], const,
// examples …) and ValidateResponse validates bodies in JSON Schema 2020-12 mode: with the
// 2020-12 validator when a schema uses 2020-12 keywords such as const, else with its own
// validator, which understands type arrays. No loader or validation option is needed.

// spec is the loaded document with a request router.
//
// Requests are routed with an http.ServeMux holding the document's operations, so they
// reach the operation the server's own ServeMux would pick (same precedence, HEAD served
// by GET). kin-openapi's routers do not fit: gorillamux's {path} stops at the next slash
// where the storage routes' {path...} takes the rest of the path (and with a rest-of-path
// regexp, its first-match order routes GET /storage/v1/object/public/… to the POST route's
// path and answers "method not allowed"); the legacy router matches none of this
// document's paths under servers [{url: "/"}].
type spec struct {
	doc      *openapi3.T
	mux      *http.ServeMux
	routes   map[string]*routers.Route // by ServeMux pattern
	unrouted *routers.Route            // the answers of the router itself: unknown path, wrong method
}

var loadSpec = sync.OnceValues(func() (*spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument())
	if err != nil {
		return nil, fmt.Errorf("load openapi.json: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.json is not a valid OpenAPI document: %w", err)
	}
	return newSpec(doc)
})

func newSpec(doc *openapi3.T) (sp *spec, err error) {
	defer func() {
		if v := recover(); v != nil { // ServeMux.Handle panics on conflicting patterns
			err = fmt.Errorf("the document's paths are not valid ServeMux patterns: %v", v)
		}
	}()
	sp = &spec{doc: doc, mux: http.NewServeMux(), routes: map[string]*routers.Route{}}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			pattern := method + " " + muxPath(path, item.Parameters, op.Parameters)
			sp.routes[pattern] = &routers.Route{Spec: doc, Server: doc.Servers[0], Path: path, PathItem: item, Method: method, Operation: op}
			sp.mux.Handle(pattern, http.NotFoundHandler()) // only the pattern is used
		}
	}
	routerLevel := openapi3.NewResponses()
	for status, name := range map[int]string{404: "NotFound", 405: "MethodNotAllowed", 429: "TooManyRequests", 500: "InternalError"} {
		ref := doc.Components.Responses[name]
		if ref == nil {
			return nil, fmt.Errorf("components.responses.%s is missing", name)
		}
		routerLevel.Set(fmt.Sprint(status), ref)
	}
	sp.unrouted = &routers.Route{Spec: doc, Server: doc.Servers[0], Path: "(no documented operation)",
		PathItem: &openapi3.PathItem{}, Operation: &openapi3.Operation{Responses: routerLevel}}
	return sp, nil
}

// muxPath turns an OpenAPI path template into the path of a ServeMux pattern: a path
// parameter marked "x-rest-of-path" matches the rest of the path, {name...}.
func muxPath(path string, params ...openapi3.Parameters) string {
	for _, ps := range params {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Extensions["x-rest-of-path"] == true {
				path = strings.Replace(path, "{"+p.Value.Name+"}", "{"+p.Value.Name+"...}", 1)
			}
		}
	}
	return path
}

// route returns the documented operation that answers req, or the pseudo-operation of
// the router's own answers (404, 405).
func (sp *spec) route(req *http.Request) *routers.Route {
	if _, pattern := sp.mux.Handler(req); pattern != "" {
		if r, ok := sp.routes[pattern]; ok {
			return r
		}
	}
	return sp.unrouted
}

func mustSpec(t *testing.T) *spec {
	t.Helper()
	sp, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

// checkSpec fails the test unless the response (status, header, body) to method path is
// one the OpenAPI document allows: a documented status of the operation the path routes
// to (or a router-level 404/405 when it routes to none), with the documented headers and
// a body matching the schema. Only binary bodies (files, whose media types carry no
// schema) go unchecked; HEAD answers are checked for their status only.
func checkSpec(t *testing.T, method, path string, status int, header http.Header, body []byte) {
	t.Helper()
	if err := specError(method, path, status, header, body); err != nil {
		const max = 2000
		shown := body
		if len(shown) > max {
			shown = append(shown[:max:max], "…"...)
		}
		t.Errorf("%s %s answered %d, which the OpenAPI document does not allow:\n%v\nbody: %s", method, path, status, err, shown)
	}
}

// specError returns why the response does not match the OpenAPI document, or nil.
func specError(method, path string, status int, header http.Header, body []byte) error {
	sp, err := loadSpec()
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return err
	}
	if method == http.MethodOptions && status == http.StatusNoContent && header.Get("Access-Control-Allow-Methods") != "" {
		return nil // a CORS preflight, answered before routing (see info.description)
	}
	route := sp.route(req)
	if method == http.MethodHead { // ValidateResponse ignores HEAD; its status must still be documented
		if route.Operation.Responses.Status(status) == nil {
			return fmt.Errorf("status %d is not documented for %s %s", status, method, route.Path)
		}
		return nil
	}
	opts := &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true}
	opts.WithCustomSchemaErrorFunc(func(err *openapi3.SchemaError) string { // no schema dumps
		msg := fmt.Sprintf("at /%s: %s", strings.Join(err.JSONPointer(), "/"), err.Reason)
		if err.Origin != nil {
			msg += ": " + err.Origin.Error()
		}
		return msg
	})
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, Route: route},
		Status:                 status,
		Header:                 header,
		Options:                opts,
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		return fmt.Errorf("operation %s %s: %w", method, route.Path, err)
	}
	return nil
}

// TestOpenAPIDocument checks that the document is valid OpenAPI 3.1 and follows the
// contract's conventions, and that every operation lists the error answers that apply
// to it.
func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	sp := mustSpec(t)
	doc := sp.doc
	if doc.OpenAPI != "3.1.0" || !doc.IsOpenAPI31OrLater() {
		t.Errorf("openapi %q, want 3.1.0", doc.OpenAPI)
	}
	if len(doc.Servers) != 1 || doc.Servers[0].URL != "/" {
		t.Errorf("servers must be [{url: /}] (paths are full paths)")
	}
	for _, code := range errorCodes(t, doc) {
		if !strings.Contains(doc.Info.Description, "`"+code+"`") {
			t.Errorf("info.description does not list error code %q", code)
		}
	}

	var raw map[string]any
	if err := json.Unmarshal(httpapi.OpenAPIDocument(), &raw); err != nil {
		t.Fatal(err)
	}
	schemas := raw["components"].(map[string]any)["schemas"].(map[string]any)
	walkJSON(raw, "#", func(at string, node map[string]any) {
		if _, ok := node["nullable"]; ok {
			t.Errorf("%s: OpenAPI 3.0 \"nullable\"; use type [T, \"null\"]", at)
		}
		if node["additionalProperties"] == false {
			t.Errorf("%s: additionalProperties false; clients must tolerate new fields", at)
		}
	})
	camel := regexp.MustCompile(`^_?[a-z][A-Za-z0-9]*$`)
	supabase := map[string]bool{"StorageObject": true, "StorageUploadForm": true} // Supabase's own keys
	for name, s := range schemas {
		response := !strings.HasSuffix(name, "Request") && !strings.HasSuffix(name, "Form")
		walkJSON(s, "#/components/schemas/"+name, func(at string, node map[string]any) {
			props, _ := node["properties"].(map[string]any)
			required, _ := node["required"].([]any)
			for key, p := range props {
				p := p.(map[string]any)
				if !supabase[name] && !camel.MatchString(key) {
					t.Errorf("%s: property %q is not camelCase", at, key)
				}
				if strings.HasSuffix(key, "At") && p["$ref"] != "#/components/schemas/Timestamp" {
					t.Errorf("%s: %s must be a Timestamp", at, key)
				}
				if response && nullable(p, schemas) && !slices.Contains(required, any(key)) {
					t.Errorf("%s: nullable %s must be required (present with null, never omitted)", at, key)
				}
			}
		})
	}

	errorResponse := regexp.MustCompile(`^#/components/responses/(BadRequest|Unauthorized|Forbidden|NotFound|RequestTimeout|Conflict|PayloadTooLarge|UnsupportedMediaType|TooManyRequests|InternalError|NotImplemented|ServiceUnavailable)$`)
	for pattern, route := range sp.routes {
		op := route.Operation
		if op.OperationID == "" || op.Summary == "" || len(op.Tags) == 0 {
			t.Errorf("%s: needs an operationId, a summary and a tag", pattern)
		}
		want := []int{500}
		if strings.Contains(route.Path, "{id}") {
			want = append(want, 400, 404)
		}
		if requiresAuth(op) {
			want = append(want, 401)
		}
		if op.RequestBody != nil {
			want = append(want, 400, 413, 415)
		}
		if slices.ContainsFunc(op.Parameters, func(p *openapi3.ParameterRef) bool { return p.Value.Name == "cursor" || p.Value.Name == "limit" }) {
			want = append(want, 400)
		}
		probe := slices.Contains([]string{"/healthz", "/readyz"}, route.Path)
		if !probe {
			want = append(want, 429)
		} else if op.Responses.Status(429) != nil {
			t.Errorf("%s: the health probes are not rate limited", pattern)
		}
		for _, status := range want {
			if op.Responses.Status(status) == nil {
				t.Errorf("%s: no %d response", pattern, status)
			}
		}
		if route.Method == http.MethodHead {
			continue // HEAD answers have no body to describe
		}
		for code, resp := range op.Responses.Map() {
			if code >= "400" && code != "416" && !errorResponse.MatchString(resp.Ref) {
				t.Errorf("%s: response %s must reference a components.responses error class, not %q", pattern, code, resp.Ref)
			}
		}
	}
	if h := doc.Components.Responses["TooManyRequests"].Value.Headers["Retry-After"]; h == nil || !h.Value.Required {
		t.Errorf("429 responses must require a Retry-After header")
	}
	if h := doc.Components.Responses["MethodNotAllowed"].Value.Headers["Allow"]; h == nil || !h.Value.Required {
		t.Errorf("405 responses must require an Allow header")
	}
}

// requiresAuth reports whether the operation's only security requirement is bearerAuth.
func requiresAuth(op *openapi3.Operation) bool {
	if op.Security == nil || len(*op.Security) != 1 {
		return false
	}
	_, ok := (*op.Security)[0]["bearerAuth"]
	return ok
}

// walkJSON calls fn on every object of a decoded JSON value, with its JSON pointer.
func walkJSON(v any, at string, fn func(at string, node map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		fn(at, v)
		for k, c := range v {
			walkJSON(c, at+"/"+k, fn)
		}
	case []any:
		for i, c := range v {
			walkJSON(c, fmt.Sprintf("%s/%d", at, i), fn)
		}
	}
}

// nullable reports whether the schema (or the component it references) admits null.
func nullable(s map[string]any, schemas map[string]any) bool {
	if ref, ok := s["$ref"].(string); ok {
		target, _ := schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		return target != nil && nullable(target, schemas)
	}
	types, _ := s["type"].([]any)
	return slices.Contains(types, any("null"))
}

// errorCodes returns the enum of the Error schema's code.
func errorCodes(t *testing.T, doc *openapi3.T) []string {
	t.Helper()
	var codes []string
	for _, c := range doc.Components.Schemas["Error"].Value.Properties["code"].Value.Enum {
		codes = append(codes, c.(string))
	}
	return codes
}

// TestOpenAPIErrorCodes checks that the document's error codes are exactly the server's,
// and that each error response class lists exactly the codes of its status.
func TestOpenAPIErrorCodes(t *testing.T) {
	t.Parallel()
	doc := mustSpec(t).doc
	statuses := httpapi.ErrorStatuses()
	documented := errorCodes(t, doc)
	for code := range statuses {
		if !slices.Contains(documented, code) {
			t.Errorf("error code %q (status %d) is missing from the Error schema", code, statuses[code])
		}
	}
	for _, code := range documented {
		if _, ok := statuses[code]; !ok {
			t.Errorf("the Error schema lists %q, which the server does not have", code)
		}
	}
	classes := map[string]int{
		"BadRequest": 400, "Unauthorized": 401, "Forbidden": 403, "NotFound": 404, "MethodNotAllowed": 405,
		"RequestTimeout": 408, "Conflict": 409, "PayloadTooLarge": 413, "UnsupportedMediaType": 415, "TooManyRequests": 429,
		"InternalError": 500, "ServiceUnavailable": 503,
		"NotImplemented": 501,
	}
	for name, status := range classes {
		ref := doc.Components.Responses[name]
		if ref == nil {
			t.Errorf("components.responses.%s is missing", name)
			continue
		}
		schema := ref.Value.Content.Get("application/json").Schema.Value
		if len(schema.AllOf) != 2 || schema.AllOf[0].Ref != "#/components/schemas/Error" {
			t.Errorf("components.responses.%s: schema must be allOf [Error, {code subset}]", name)
			continue
		}
		code := schema.AllOf[1].Value.Properties["code"].Value
		var got []string
		for _, c := range code.Enum {
			got = append(got, c.(string))
		}
		if code.Const != nil {
			got = append(got, code.Const.(string))
		}
		var want []string
		for c, s := range statuses {
			if s == status {
				want = append(want, c)
			}
		}
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("components.responses.%s (%d) lists codes %q, the server answers %d with %q", name, status, got, status, want)
		}
	}
}

// TestOpenAPIRoutes checks that every route the router serves is documented and every
// documented operation is served. Operations marked "x-enabled-when: STORAGE_COMPAT=true"
// must be served exactly when storage compatibility is on, and those marked
// "x-enabled-when: METRICS_ADDR unset" exactly when metrics share the API's listener. A
// documented HEAD is served by the GET route of the same path (ServeMux answers HEAD with
// GET's handler).
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	sp := mustSpec(t)
	const (
		compatOn     = "STORAGE_COMPAT=true"
		metricsShare = "METRICS_ADDR unset"
	)
	groups := map[string]map[string]bool{"": {}, compatOn: {}, metricsShare: {}}
	for pattern, route := range sp.routes {
		when, _ := route.Operation.Extensions["x-enabled-when"].(string)
		if groups[when] == nil {
			t.Errorf("%s: unknown x-enabled-when %q", pattern, when)
			continue
		}
		groups[when][pattern] = true
	}
	union := func(names ...string) map[string]bool {
		out := map[string]bool{}
		for _, n := range names {
			for p := range groups[n] {
				out[p] = true
			}
		}
		return out
	}

	compareRoutes(t, "defaults", servedRoutes(t, httpapi.Deps{}), union("", metricsShare))

	deps := httpapi.Deps{}
	if !enableStorageCompat(&deps) {
		t.Errorf("cannot turn storage compatibility on: httpapi.Deps has no bool field StorageCompat, nor has httpapi.Config; %d documented storage operations unchecked", len(groups[compatOn]))
		return
	}
	compareRoutes(t, "STORAGE_COMPAT on", servedRoutes(t, deps), union("", metricsShare, compatOn))
	compareRoutes(t, "metrics on their own listener", servedRoutes(t, httpapi.Deps{Config: httpapi.Config{SeparateMetrics: true}}), union(""))
}

func servedRoutes(t *testing.T, deps httpapi.Deps) map[string]bool {
	t.Helper()
	deps.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httpapi.NewServer(deps)
	t.Cleanup(srv.Close)
	served := map[string]bool{}
	for _, p := range srv.Routes() {
		served[strings.Join(strings.Fields(p), " ")] = true
	}
	return served
}

// enableStorageCompat sets the StorageCompat option, wherever Deps keeps it.
func enableStorageCompat(deps *httpapi.Deps) bool {
	for _, v := range []reflect.Value{reflect.ValueOf(deps).Elem(), reflect.ValueOf(&deps.Config).Elem()} {
		if f := v.FieldByName("StorageCompat"); f.IsValid() && f.Kind() == reflect.Bool {
			f.SetBool(true)
			return true
		}
	}
	return false
}

func compareRoutes(t *testing.T, mode string, served, documented map[string]bool) {
	t.Helper()
	var missing, undocumented []string
	for p := range served {
		if !documented[p] {
			undocumented = append(undocumented, p)
		}
	}
	for p := range documented {
		if served[p] {
			continue
		}
		if method, path, _ := strings.Cut(p, " "); method == http.MethodHead && served["GET "+path] {
			continue
		}
		missing = append(missing, p)
	}
	sort.Strings(missing)
	sort.Strings(undocumented)
	for _, p := range undocumented {
		t.Errorf("%s: the router serves %q, which openapi.json does not document", mode, p)
	}
	for _, p := range missing {
		t.Errorf("%s: openapi.json documents %q, which the router does not serve", mode, p)
	}
}

// TestOpenAPIHandler checks that the handler serves the embedded document as it is.
func TestOpenAPIHandler(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	if err := new(httpapi.Server).HandleOpenAPI(rec, httptest.NewRequest("GET", "/api/openapi.json", nil)); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, Content-Type %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.Equal(rec.Body.Bytes(), httpapi.OpenAPIDocument()) {
		t.Fatalf("the body is not the embedded document")
	}
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("the document is not valid JSON")
	}
	checkSpec(t, "GET", "/api/openapi.json", rec.Code, rec.Header(), rec.Body.Bytes())
}

// TestSpecCheck drives checkSpec on real answers, and shows that it catches answers that
// break the document.
func TestSpecCheck(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	check := func(method, path string, body any, token string, status int, headers ...string) response {
		t.Helper()
		res := e.request(method, path, body, token, headers...)
		if res.status != status {
			t.Fatalf("%s %s: status %d, want %d: %s", method, path, res.status, status, res.raw)
		}
		checkSpec(t, method, path, res.status, res.header, res.raw)
		return res
	}
	reg := check("POST", "/api/users/register", map[string]string{"username": "spec_user", "email": "spec@example.com", "password": "password123"}, "", 201)
	check("POST", "/api/users/login", map[string]string{"email": "spec@example.com", "password": "password123"}, "", 200)
	check("POST", "/api/users/login", map[string]string{"email": "spec@example.com", "password": "wrong-password"}, "", 401)
	check("POST", "/api/users/login", "{", "", 400)
	me := check("GET", "/api/users/me", nil, reg.str("token"), 200)
	check("GET", "/api/users/me", nil, "", 401)
	notFound := check("GET", "/api/no-such-route", nil, "", 404)
	check("GET", "/api/users/me/", nil, "", 404)
	notAllowed := check("PATCH", "/api/users/me", nil, "", 405)
	check("HEAD", "/api/no-such-route", nil, "", 404)
	check("OPTIONS", "/api/users/login", nil, "", 204, "Origin", "http://localhost:3000", "Access-Control-Request-Method", "POST")

	check("GET", "/healthz", nil, "", 200)
	check("GET", "/readyz", nil, "", 200)
	check("GET", "/metrics", nil, "", 200)
	check("GET", "/api/openapi.json", nil, "", 200)

	// A stored file, whole, in part, unchanged, out of range, and a miss.
	if _, err := e.media.Put(context.Background(), "0123456789abcdef.mp4", strings.NewReader(strings.Repeat("v", 100))); err != nil {
		t.Fatal(err)
	}
	file := check("GET", "/uploads/0123456789abcdef.mp4", nil, "", 200)
	check("GET", "/uploads/0123456789abcdef.mp4", nil, "", 206, "Range", "bytes=10-19")
	check("GET", "/uploads/0123456789abcdef.mp4", nil, "", 304, "If-None-Match", file.header.Get("ETag"))
	check("GET", "/uploads/0123456789abcdef.mp4", nil, "", 416, "Range", "bytes=500-")
	check("HEAD", "/uploads/0123456789abcdef.mp4", nil, "", 200)
	check("GET", "/uploads/missing.mp4", nil, "", 404)
	check("HEAD", "/uploads/missing.mp4", nil, "", 404)

	// Each case breaks one rule of the document; specError must report it.
	edit := func(raw []byte, f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	without := func(h http.Header, key string) http.Header {
		h = h.Clone()
		h.Del(key)
		return h
	}
	jsonHeader := http.Header{"Content-Type": {"application/json; charset=utf-8"}}
	bad := []struct {
		name   string
		want   string // in the reported error
		method string
		path   string
		status int
		header http.Header
		body   []byte
	}{
		{"required field missing", "createdAt\" is missing", "GET", "/api/users/me", 200, me.header,
			edit(me.raw, func(m map[string]any) { delete(m, "createdAt") })},
		{"nullable field omitted", "bio\" is missing", "GET", "/api/users/me", 200, me.header,
			edit(me.raw, func(m map[string]any) { delete(m, "bio") })},
		{"wrong type", "/name: value must be one of string, null", "GET", "/api/users/me", 200, me.header,
			edit(me.raw, func(m map[string]any) { m["name"] = 42 })},
		{"timestamp without milliseconds", "/createdAt: string doesn't match the regular expression", "GET", "/api/users/me", 200, me.header,
			edit(me.raw, func(m map[string]any) { m["createdAt"] = "2025-04-15T06:56:43Z" })},
		{"counters missing on /me", "_count\" is missing", "GET", "/api/users/me", 200, me.header,
			edit(me.raw, func(m map[string]any) { delete(m, "_count") })},
		{"token missing from register", "token\" is missing", "POST", "/api/users/register", 201, reg.header,
			edit(reg.raw, func(m map[string]any) { delete(m, "token") })},
		{"email missing from the own user", "email\" is missing", "POST", "/api/users/register", 201, reg.header,
			edit(reg.raw, func(m map[string]any) { delete(m["user"].(map[string]any), "email") })},
		{"undocumented status", "status is not supported", "POST", "/api/users/login", 418, jsonHeader, []byte(`{"message":"teapot","code":"internal"}`)},
		{"code of another status", "value must be 'not_found'", "GET", "/api/no-such-route", 404, notFound.header,
			edit(notFound.raw, func(m map[string]any) { m["code"] = "forbidden" })},
		{"code not in the list", "/code: value is not one of the allowed values", "GET", "/api/users/me", 401, jsonHeader, []byte(`{"message":"no","code":"nope"}`)},
		{"error without message", "missing property 'message'", "GET", "/api/no-such-route", 404, notFound.header, []byte(`{"code":"not_found"}`)},
		{"405 without Allow", "\"Allow\" missing", "PATCH", "/api/users/me", 405, without(notAllowed.header, "Allow"), notAllowed.raw},
		{"429 without Retry-After", "\"Retry-After\" missing", "GET", "/api/users/me", 429, jsonHeader, []byte(`{"message":"slow down","code":"rate_limited"}`)},
		{"not JSON", "Content-Type has unexpected value", "GET", "/api/users/me", 200, http.Header{"Content-Type": {"text/html"}}, []byte("<p>hi</p>")},
		{"file without its cache header", "\"Cache-Control\" missing", "GET", "/uploads/0123456789abcdef.mp4", 200,
			without(file.header, "Cache-Control"), file.raw},
		{"undocumented HEAD status", "status 302 is not documented", "HEAD", "/api/users/me", 302, http.Header{}, nil},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			err := specError(c.method, c.path, c.status, c.header, c.body)
			if err == nil {
				t.Fatalf("specError accepted %s %s → %d %s", c.method, c.path, c.status, c.body)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("specError reported %q, want a report of %q", err, c.want)
			}
		})
	}
}
