package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/media"
	"github.com/gotok/tiktok/internal/pgtest"
)

// TestServeSweepsUnclaimedUploads: serve deletes, by itself, the storage-compatible
// uploads no video claimed within STORAGE_UNCLAIMED_TTL — file and object — keeps the
// claimed ones, and stops its sweep cleanly on shutdown.
func TestServeSweepsUnclaimedUploads(t *testing.T) {
	t.Parallel()
	vars := testEnv(t)
	vars["DATABASE_URL"] = pgtest.URL(t)
	vars["STORAGE_COMPAT"] = "true"
	vars["STORAGE_UNCLAIMED_TTL"] = "1s" // swept every second
	vars["MEDIA_PROCESSING"] = "off"     // no poster beside the claimed upload
	s := startServe(t, vars)
	mediaDir := filepath.Join(vars["DATA_DIR"], "media")

	status, reg := s.call(t, "POST", "/api/users/register", "", map[string]string{
		"username": "sweeper", "email": "sweeper@example.com", "password": "correct horse",
	})
	if status != http.StatusCreated {
		t.Fatalf("register = %d %v", status, reg)
	}
	token, _ := reg["token"].(string)
	id := int64(reg["user"].(map[string]any)["id"].(float64))
	clip := media.Samples()[1].Video
	upload := func(name string) string {
		path := fmt.Sprintf("user-%d/%s", id, name)
		res, err := s.client.Post(s.url+"/storage/v1/object/videos/"+path, "application/octet-stream", bytes.NewReader(clip))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("upload %s = %d", name, res.StatusCode)
		}
		return s.url + "/storage/v1/object/public/videos/" + path
	}
	kept := upload("kept.mp4")
	if status, body := s.call(t, "POST", "/api/videos", token, map[string]string{"videoUrl": kept}); status != http.StatusCreated {
		t.Fatalf("claim = %d %v", status, body)
	}
	abandoned := upload("abandoned.mp4")

	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := s.client.Get(abandoned)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusNotFound {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("an upload no video claimed still served %v after its 1s TTL", 15*time.Second)
		}
		time.Sleep(100 * time.Millisecond)
	}
	entries, err := os.ReadDir(mediaDir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("media directory holds %d files, want only the claimed upload's", len(entries))
	}
	res, err := s.client.Get(kept)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Errorf("the claimed upload answers %d after the sweep", res.StatusCode)
	}
	if err := s.stop(t); err != nil {
		t.Fatalf("run after cancellation: %v", err)
	}
}
