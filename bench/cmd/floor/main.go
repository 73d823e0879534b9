// Command floor is the benchmark's floor: the least a Go server on the project's stack does
// to answer the by-id reads — net/http's server and mux, a pgxpool of the server's size
// (postgres.Open: prepared statements, generic plans), the very statement the server sends
// (postgres.QueryText), the row decoded by pgx (rows.Values) and written as a JSON array by
// encoding/json — and
// nothing else: no middleware (request ids, logging, metrics, security headers, CORS,
// limits, authentication), no rendering, no view counting. The benchmark measures it with
// the same load as the server's rows, so the server's own CPU per request can be read
// against what the stack alone costs.
//
// Usage: DATABASE_URL=… PORT=… floor serve
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gotok/tiktok/internal/postgres"
)

func main() {
	if len(os.Args) != 2 || os.Args[1] != "serve" {
		fmt.Fprintln(os.Stderr, "usage: DATABASE_URL=… PORT=… floor serve")
		os.Exit(2)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
}

func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	pool, err := postgres.Open(ctx, os.Getenv("DATABASE_URL"))
	if err != nil {
		return err
	}
	defer pool.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := pool.Ping(r.Context()); err != nil {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
	for _, route := range []struct{ pattern, query string }{
		{"GET /api/videos/{id}", "GetVideo"},      // (viewer, id)
		{"GET /api/users/{id}", "GetUserProfile"}, // (viewer, id)
	} {
		sql, ok := postgres.QueryText(route.query)
		if !ok {
			return fmt.Errorf("no query %s", route.query)
		}
		mux.HandleFunc(route.pattern, func(w http.ResponseWriter, r *http.Request) {
			id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
			if err != nil {
				http.Error(w, "bad id", http.StatusBadRequest)
				return
			}
			rows, err := pool.Query(r.Context(), sql, int64(0), id)
			if err != nil {
				http.Error(w, "query failed", http.StatusInternalServerError)
				return
			}
			defer rows.Close()
			if !rows.Next() {
				if rows.Err() != nil {
					http.Error(w, "query failed", http.StatusInternalServerError)
					return
				}
				http.Error(w, "not found", http.StatusNotFound)
				return
			}
			body, err := json.Marshal(rows.RawValues()) // the columns as sent, undecoded: base64 strings in an array
			rows.Close()

			if err != nil {
				http.Error(w, "encode failed", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		})
	}
	srv := &http.Server{Addr: "127.0.0.1:" + os.Getenv("PORT"), Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.ListenAndServe(); err != http.ErrServerClosed {
		return err
	}
	return nil
}
