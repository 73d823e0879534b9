package tiktok

import "time"

// NewUploadKey is a direct upload's object key to issue (POST /api/uploads): Key is the
// name the file will be stored under, Kind "video" or "image".
type NewUploadKey struct {
	Key         string
	UserID      int64
	Kind        string
	ContentType string
	Size        int64
	TTL         time.Duration // how long the key may be claimed
}

// UploadKey is an issued key as it stands.
type UploadKey struct {
	UserID      int64
	Kind        string
	ContentType string
	Size        int64
	Expired     bool
	Claimed     bool
}
