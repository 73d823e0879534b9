package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/media"
)

// openStorage returns the media storage cfg names (MEDIA_STORAGE): the local directory
// MEDIA_DIR, or the S3 bucket S3_BUCKET, checked to exist and be usable so that a wrong
// bucket, endpoint or key fails the command at once rather than the first upload.
func openStorage(ctx context.Context, cfg config.Config) (media.Storage, error) {
	if cfg.MediaStorage != "s3" {
		return media.NewLocal(cfg.MediaDir)
	}
	s, err := media.NewS3(ctx, media.S3Config{
		Bucket:          cfg.S3.Bucket,
		Endpoint:        cfg.S3.Endpoint,
		Region:          cfg.S3.Region,
		AccessKeyID:     cfg.S3.AccessKeyID,
		SecretAccessKey: cfg.S3.SecretAccessKey,
		ForcePathStyle:  cfg.S3.ForcePathStyle,
	})
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := s.CheckBucket(cctx); err != nil {
		return nil, fmt.Errorf("MEDIA_STORAGE=s3: %w (check S3_BUCKET, S3_ENDPOINT, S3_REGION and the credentials)", err)
	}
	return s, nil
}
