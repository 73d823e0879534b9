package main

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/media"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestOpenStorage: MEDIA_STORAGE picks the storage; an S3 bucket that does not exist fails
// the command with a message naming what to check.
func TestOpenStorage(t *testing.T) {
	dir := t.TempDir()
	st, err := openStorage(t.Context(), config.Config{MediaStorage: "local", MediaDir: dir})
	if l, ok := st.(*media.Local); err != nil || !ok || l.Dir() != dir {
		t.Fatalf("local: %T, %v", st, err)
	}

	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	cfg := config.Config{MediaStorage: "s3", S3: config.S3{Bucket: "media", Endpoint: srv.URL, Region: "us-east-1",
		AccessKeyID: "a", SecretAccessKey: "b", ForcePathStyle: true}}
	st, err = openStorage(t.Context(), cfg)
	if s, ok := st.(*media.S3); err != nil || !ok || s.Bucket() != "media" {
		t.Fatalf("s3: %T, %v", st, err)
	}
	cfg.S3.Bucket = "missing"
	if _, err := openStorage(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "S3_BUCKET") {
		t.Errorf("missing bucket: %v, want an error saying what to check", err)
	}
}
