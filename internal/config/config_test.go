package config_test

import (
	"bytes"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gotok/tiktok/internal/config"
	"github.com/gotok/tiktok/internal/tiktok"
)

// secret32 is exactly config.MinSecretBytes long.
const secret32 = "0123456789abcdef0123456789abcdef"

// env returns a getenv that answers from vars only, so no test sees the real environment.
func env(vars map[string]string) func(string) string {
	return func(key string) string { return vars[key] }
}

func TestLoadDefaults(t *testing.T) {
	t.Parallel()
	// A valid secret, so the default DATA_DIR (.data) is not written to.
	cfg, err := config.Load(env(map[string]string{"JWT_SECRET": secret32}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"AppEnv", cfg.AppEnv, "development"},
		{"Production", cfg.Production(), false},
		{"Port", cfg.Port, 8000},
		{"DatabaseURL", cfg.DatabaseURL, ""},
		{"DataDir", cfg.DataDir, ".data"},
		{"MediaDir", cfg.MediaDir, filepath.Join(".data", "media")},
		{"JWTSecret", string(cfg.JWTSecret), secret32},
		{"JWTExpire", cfg.JWTExpire, 7 * 24 * time.Hour},
		{"BcryptCost", cfg.BcryptCost, 12},
		{"AutoMigrate", cfg.AutoMigrate, true},
		{"PublicURL", cfg.PublicURL, ""},
		{"CORSOrigins", strings.Join(cfg.CORSOrigins, ","), "*"},
		{"MaxVideoBytes", cfg.MaxVideoBytes, int64(100 << 20)},
		{"LogLevel", cfg.LogLevel.String(), "INFO"},
		{"LogFormat", cfg.LogFormat, "text"},
		{"PprofAddr", cfg.PprofAddr, ""},
		{"MetricsAddr", cfg.MetricsAddr, ""},
		{"StorageCompat", cfg.StorageCompat, false},
		{"MediaStorage", cfg.MediaStorage, "local"},
		{"MediaPublicURL", cfg.MediaPublicURL, ""},
		{"S3", cfg.S3, config.S3{}},
		{"TrustedProxies", len(cfg.TrustedProxies), 0},
		{"Limits.Enabled", cfg.Limits.Enabled, true},
		{"ShutdownTimeout", cfg.ShutdownTimeout, 30 * time.Second},
		{"StorageTTL", cfg.StorageTTL, time.Hour},
		{"StorageMinRate", cfg.StorageMinRate, int64(8 << 10)},
		{"StorageUploadGrace", cfg.StorageUploadGrace, 10 * time.Second},
		{"Limits.StorageBytesPerIP", cfg.Limits.StorageBytesPerIP, 2 * (100<<20 + 5<<20)},
		{"Limits.StorageUploadsPerIP", cfg.Limits.StorageUploadsPerIP, 2},
		{"Limits.ExportsPerUser", cfg.Limits.ExportsPerUser, 5},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadMediaDirFollowsDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Load(env(map[string]string{"DATA_DIR": dir}))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "media"); cfg.MediaDir != want {
		t.Errorf("MediaDir = %q, want %q", cfg.MediaDir, want)
	}
	cfg, err = config.Load(env(map[string]string{"DATA_DIR": dir, "MEDIA_DIR": "/srv/media"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MediaDir != "/srv/media" {
		t.Errorf("MediaDir = %q, want the MEDIA_DIR given", cfg.MediaDir)
	}
}

func TestLoadValues(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{
		"APP_ENV":         "test",
		"PORT":            " 9090 ",
		"DATA_DIR":        t.TempDir(),
		"JWT_SECRET":      secret32,
		"JWT_EXPIRE":      "12h",
		"BCRYPT_COST":     "4",
		"AUTO_MIGRATE":    "false",
		"PUBLIC_URL":      "https://cdn.example.com/",
		"CORS_ORIGINS":    "https://a.example/, https://b.example ,,",
		"MAX_VIDEO_BYTES": "1048576",
		"LOG_LEVEL":       "debug",
		"LOG_FORMAT":      "json",
		"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7, ::1",
		"STORAGE_COMPAT":  "true",
		"REDIS_URL":       "redis://:pw@10.0.0.5:6379/2",
	}))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"AppEnv", cfg.AppEnv, "test"},
		{"Port", cfg.Port, 9090},
		{"JWTExpire", cfg.JWTExpire, 12 * time.Hour},
		{"BcryptCost", cfg.BcryptCost, 4},
		{"AutoMigrate", cfg.AutoMigrate, false},
		{"PublicURL", cfg.PublicURL, "https://cdn.example.com"},
		{"CORSOrigins", strings.Join(cfg.CORSOrigins, " "), "https://a.example https://b.example"},
		{"MaxVideoBytes", cfg.MaxVideoBytes, int64(1 << 20)},
		{"LogLevel", cfg.LogLevel.String(), "DEBUG"},
		{"LogFormat", cfg.LogFormat, "json"},
		{"StorageCompat", cfg.StorageCompat, true},
		{"RedisURL", cfg.RedisURL, "redis://:pw@10.0.0.5:6379/2"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	wantProxies := []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.168.1.7/32"),
		netip.MustParsePrefix("::1/128"),
	}
	if !slices.Equal(cfg.TrustedProxies, wantProxies) {
		t.Errorf("TrustedProxies = %v, want %v", cfg.TrustedProxies, wantProxies)
	}
}

func TestLoadProductionSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		secret  string
		wantErr bool
	}{
		{"missing", "", true},
		{"31 bytes", secret32[:31], true},
		{"32 bytes", secret32, false},
		{"longer", secret32 + secret32, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfg, err := config.Load(env(map[string]string{
				"APP_ENV":    "production",
				"DATA_DIR":   dir,
				"JWT_SECRET": tt.secret,
				"PUBLIC_URL": "https://api.example",
			}))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
					t.Fatalf("Load() error = %v, want one mentioning JWT_SECRET", err)
				}
				if _, statErr := os.Stat(filepath.Join(dir, "jwt_secret")); statErr == nil {
					t.Error("production wrote a development secret file")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !cfg.Production() {
				t.Error("Production() = false")
			}
			if string(cfg.JWTSecret) != tt.secret {
				t.Errorf("JWTSecret = %q, want %q", cfg.JWTSecret, tt.secret)
			}
			if len(cfg.CORSOrigins) != 0 {
				t.Errorf("CORSOrigins = %q, want none by default in production", cfg.CORSOrigins)
			}
		})
	}
}

func TestLoadProductionCORSOrigins(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{
		"APP_ENV":      "production",
		"JWT_SECRET":   secret32,
		"PUBLIC_URL":   "https://api.example",
		"CORS_ORIGINS": "https://app.example",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.CORSOrigins, []string{"https://app.example"}) {
		t.Errorf("CORSOrigins = %q, want exactly the configured origin", cfg.CORSOrigins)
	}
}

// TestLoadProductionPublicURLAndMetrics: production builds absolute URLs only from
// PUBLIC_URL (never from the request's Host header) and serves /metrics on loopback of its
// own unless told otherwise.
func TestLoadProductionPublicURLAndMetrics(t *testing.T) {
	t.Parallel()
	prod := map[string]string{"APP_ENV": "production", "JWT_SECRET": secret32}
	if _, err := config.Load(env(prod)); err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
		t.Fatalf("production without PUBLIC_URL: %v, want an error naming PUBLIC_URL", err)
	}
	prod["PUBLIC_URL"] = "https://api.example/"
	cfg, err := config.Load(env(prod))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.PublicURL != "https://api.example" || cfg.MetricsAddr != "127.0.0.1:9464" {
		t.Errorf("PublicURL %q, MetricsAddr %q", cfg.PublicURL, cfg.MetricsAddr)
	}
	for _, addr := range []string{"off", "0.0.0.0:9100", "[::1]:9464"} {
		prod["METRICS_ADDR"] = addr
		if cfg, err := config.Load(env(prod)); err != nil || cfg.MetricsAddr != addr {
			t.Errorf("METRICS_ADDR=%s: %q, %v", addr, cfg.MetricsAddr, err)
		}
	}
}

func TestLoadDevelopmentSecret(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data") // EnsureJWTSecret must create it
	vars := map[string]string{"DATA_DIR": dir}
	load := func(vars map[string]string) config.Config {
		t.Helper()
		cfg, err := config.Load(env(vars))
		if err != nil {
			t.Fatal(err)
		}
		if cfg.JWTSecret != nil {
			t.Fatal("Load set a JWT secret although JWT_SECRET is unset")
		}
		if err := cfg.EnsureJWTSecret(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	if _, err := config.Load(env(vars)); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Fatal("Load created the data directory: loading must have no side effects")
	}

	first := load(vars)
	if len(first.JWTSecret) < config.MinSecretBytes {
		t.Fatalf("generated secret is %d bytes, want at least %d", len(first.JWTSecret), config.MinSecretBytes)
	}
	path := filepath.Join(dir, "jwt_secret")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := info.Mode().Perm(); mode != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, mode)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bytes.TrimSpace(saved), first.JWTSecret) {
		t.Errorf("file holds %q, Load returned %q", saved, first.JWTSecret)
	}

	second := load(vars)
	if !bytes.Equal(second.JWTSecret, first.JWTSecret) {
		t.Error("second Load returned a different secret; tokens would not survive a restart")
	}

	other := load(map[string]string{"DATA_DIR": t.TempDir()})
	if bytes.Equal(other.JWTSecret, first.JWTSecret) {
		t.Error("two data directories got the same generated secret")
	}
}

func TestLoadDevelopmentSecretFromEnvironment(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg, err := config.Load(env(map[string]string{"DATA_DIR": dir, "JWT_SECRET": secret32}))
	if err != nil {
		t.Fatal(err)
	}
	if string(cfg.JWTSecret) != secret32 {
		t.Errorf("JWTSecret = %q, want JWT_SECRET", cfg.JWTSecret)
	}
	if _, err := os.Stat(filepath.Join(dir, "jwt_secret")); err == nil {
		t.Error("a secret file was written although JWT_SECRET is set")
	}
}

func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	tests := []struct {
		key, value string
	}{
		{"PORT", "abc"},
		{"PORT", "-1"},
		{"PORT", "65536"},
		{"BCRYPT_COST", "3"},
		{"BCRYPT_COST", "32"},
		{"JWT_EXPIRE", "0"},
		{"JWT_EXPIRE", "banana"},
		{"JWT_EXPIRE", "99999999999"},
		{"LOG_LEVEL", "loud"},
		{"LOG_FORMAT", "xml"},
		{"APP_ENV", "staging"},
		{"APP_ENV", "Production"},
		{"TRUSTED_PROXIES", "nope"},
		{"TRUSTED_PROXIES", "10.0.0.0/33"},
		{"PUBLIC_URL", "ftp://x"},
		{"PUBLIC_URL", "https://"},
		{"AUTO_MIGRATE", "maybe"},
		{"MAX_VIDEO_BYTES", "0"},
		{"SHUTDOWN_TIMEOUT", "soon"},
		{"SHUTDOWN_TIMEOUT", "0"},
		{"METRICS_ADDR", "9464"},
		{"METRICS_ADDR", "localhost"},
		{"STORAGE_UNCLAIMED_TTL", "0"},
		{"STORAGE_UNCLAIMED_TTL", "500ms"},
		{"STORAGE_UNCLAIMED_TTL", "400d"},
		{"STORAGE_UNCLAIMED_TTL", "later"},
		{"STORAGE_UPLOAD_GRACE", "0"},
		{"STORAGE_UPLOAD_GRACE", "11m"},
		{"STORAGE_MIN_UPLOAD_RATE", "-1"},
		{"STORAGE_MIN_UPLOAD_RATE", "fast"},
		{"RATE_LIMIT_STORAGE_BYTES_IP", "-1"},
		{"RATE_LIMIT_STORAGE_BYTES_IP", "1000"}, // smaller than one video: nothing could be uploaded
		{"RATE_LIMIT_STORAGE_UPLOADS_IP", "-1"},
		{"JWT_SECRET", "too-short"}, // development: set but short is a mistake, not "generate one"
		{"FEED_LIKE_WEIGHT", "-1"},
		{"FEED_COMMENT_WEIGHT", "NaN"},
		{"FEED_VIEW_WEIGHT", "lots"},
		{"FEED_VIEW_WEIGHT", "1e9"},
		{"FEED_SHARE_WEIGHT", "-2"},
		{"FEED_HALF_LIFE", "30s"},
		{"FEED_HALF_LIFE", "soon"},
		{"FEED_INTEREST_HALF_LIFE", "0"},
		{"MEDIA_STORAGE", "gcs"},
		{"MEDIA_PUBLIC_URL", "cdn.example.com"},
		{"MEDIA_PUBLIC_URL", "javascript:alert(1)"},
		{"REDIS_URL", "localhost:6379"},
		{"REDIS_URL", "http://redis:6379"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, err := config.Load(env(map[string]string{"DATA_DIR": dir, tt.key: tt.value}))
			if err == nil {
				t.Fatalf("Load() accepted %s=%q", tt.key, tt.value)
			}
			if !strings.Contains(err.Error(), tt.key) {
				t.Errorf("error does not name %s: %v", tt.key, err)
			}
			if _, statErr := os.Stat(filepath.Join(dir, "jwt_secret")); statErr == nil {
				t.Error("an invalid configuration still wrote a secret file")
			}
		})
	}
}

// TestLoadStorageLimits: the storage upload settings take their values; the byte budget
// follows MAX_VIDEO_BYTES unless set, may be 0 (off), and must otherwise fit one video.
func TestLoadStorageLimits(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{
		"JWT_SECRET":                    secret32,
		"MAX_VIDEO_BYTES":               "1048576",
		"STORAGE_UNCLAIMED_TTL":         "20m",
		"STORAGE_MIN_UPLOAD_RATE":       "0",
		"STORAGE_UPLOAD_GRACE":          "1500ms",
		"RATE_LIMIT_STORAGE_UPLOADS_IP": "5",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.StorageTTL != 20*time.Minute || cfg.StorageMinRate != 0 || cfg.StorageUploadGrace != 1500*time.Millisecond ||
		cfg.Limits.StorageUploadsPerIP != 5 || cfg.Limits.StorageBytesPerIP != 2*(1<<20+5<<20) {
		t.Errorf("storage settings %v %v %v %d %d", cfg.StorageTTL, cfg.StorageMinRate, cfg.StorageUploadGrace,
			cfg.Limits.StorageUploadsPerIP, cfg.Limits.StorageBytesPerIP)
	}
	for value, want := range map[string]int{"0": 0, "104857600": 100 << 20, "1073741824": 1 << 30} {
		cfg, err := config.Load(env(map[string]string{"JWT_SECRET": secret32, "RATE_LIMIT_STORAGE_BYTES_IP": value}))
		if err != nil || cfg.Limits.StorageBytesPerIP != want {
			t.Errorf("RATE_LIMIT_STORAGE_BYTES_IP=%s: %d, %v; want %d", value, cfg.Limits.StorageBytesPerIP, err, want)
		}
	}
	_, err = config.Load(env(map[string]string{"JWT_SECRET": secret32, "MAX_VIDEO_BYTES": "209715200", "RATE_LIMIT_STORAGE_BYTES_IP": "104857600"}))
	if err == nil || !strings.Contains(err.Error(), "MAX_VIDEO_BYTES") {
		t.Errorf("a budget below MAX_VIDEO_BYTES: %v", err)
	}
}

// TestLoadRanking: the For You weights default to tiktok.DefaultRanking and take their
// variables.
func TestLoadRanking(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load(env(map[string]string{"JWT_SECRET": secret32}))
	if err != nil || cfg.Ranking != tiktok.DefaultRanking() {
		t.Fatalf("default ranking %+v, %v", cfg.Ranking, err)
	}
	cfg, err = config.Load(env(map[string]string{"JWT_SECRET": secret32, "FEED_LIKE_WEIGHT": "2", "FEED_COMMENT_WEIGHT": "0",
		"FEED_VIEW_WEIGHT": "0.25", "FEED_SHARE_WEIGHT": "0.5", "FEED_HALF_LIFE": "12h", "FEED_INTEREST_HALF_LIFE": "30d"}))
	want := tiktok.Ranking{LikeWeight: 2, CommentWeight: 0, ViewWeight: 0.25, ShareWeight: 0.5, HalfLife: 12 * time.Hour, InterestHalfLife: 30 * 24 * time.Hour}
	if err != nil || cfg.Ranking != want {
		t.Fatalf("ranking %+v, %v; want %+v", cfg.Ranking, err, want)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	t.Parallel()
	bad := map[string]string{
		"PORT":            "abc",
		"BCRYPT_COST":     "3",
		"JWT_EXPIRE":      "banana",
		"LOG_LEVEL":       "loud",
		"APP_ENV":         "staging",
		"TRUSTED_PROXIES": "nope",
		"PUBLIC_URL":      "ftp://x",
	}
	vars := map[string]string{"DATA_DIR": t.TempDir()}
	for k, v := range bad {
		vars[k] = v
	}
	_, err := config.Load(env(vars))
	if err == nil {
		t.Fatal("Load() accepted a configuration with several invalid values")
	}
	for key := range bad {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not mention %s:\n%v", key, err)
		}
	}
}

func TestParseDuration(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "7d", want: 7 * day},
		{in: "30d", want: 30 * day},
		{in: "12h", want: 12 * time.Hour},
		{in: "30m", want: 30 * time.Minute},
		{in: "45s", want: 45 * time.Second},
		{in: "2w", want: 14 * day},
		{in: "3600", want: time.Hour},
		{in: "1h30m", want: 90 * time.Minute},
		{in: " 7d ", want: 7 * day},
		{in: "3650d", want: 3650 * day},
		{in: "-1", wantErr: true},
		{in: "0", wantErr: true},
		{in: "0d", wantErr: true},
		{in: "-2d", wantErr: true},
		{in: "3651d", wantErr: true},
		{in: "1.5d", wantErr: true},
		{in: "7x", wantErr: true},
		{in: "-1h", wantErr: true},
		{in: "d", wantErr: true},
		{in: "", wantErr: true},
		{in: "banana", wantErr: true},
		{in: "99999999999", wantErr: true}, // seconds overflowing time.Duration
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := config.ParseDuration(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseDuration(%q) = %v, want an error", tt.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDuration(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestLoadMediaStorage: MEDIA_STORAGE=s3 takes the bucket settings and refuses a missing
// bucket, a bad endpoint, half a key pair and videos larger than a multipart upload holds.
func TestLoadMediaStorage(t *testing.T) {
	t.Parallel()
	s3 := map[string]string{"JWT_SECRET": secret32, "MEDIA_STORAGE": "s3", "S3_BUCKET": "media",
		"S3_ENDPOINT": "http://localhost:9000/", "S3_ACCESS_KEY_ID": "minio", "S3_SECRET_ACCESS_KEY": "minio123",
		"S3_FORCE_PATH_STYLE": "true", "MEDIA_PUBLIC_URL": "https://cdn.example.com/media/"}
	cfg, err := config.Load(env(s3))
	if err != nil {
		t.Fatal(err)
	}
	want := config.S3{Bucket: "media", Endpoint: "http://localhost:9000", Region: "us-east-1",
		AccessKeyID: "minio", SecretAccessKey: "minio123", ForcePathStyle: true}
	if cfg.MediaStorage != "s3" || cfg.S3 != want || cfg.MediaPublicURL != "https://cdn.example.com/media" {
		t.Errorf("Load = %q, %+v, %q", cfg.MediaStorage, cfg.S3, cfg.MediaPublicURL)
	}
	// AWS itself: no endpoint, credentials from the SDK's chain.
	aws := map[string]string{"JWT_SECRET": secret32, "MEDIA_STORAGE": "s3", "S3_BUCKET": "b", "S3_REGION": "eu-west-1"}
	if cfg, err := config.Load(env(aws)); err != nil || cfg.S3 != (config.S3{Bucket: "b", Region: "eu-west-1"}) {
		t.Errorf("Load = %+v, %v", cfg.S3, err)
	}
	tests := []struct {
		key, value, wantInError string
	}{
		{"S3_BUCKET", "", "S3_BUCKET must be set"},
		{"S3_ENDPOINT", "localhost:9000", "S3_ENDPOINT"},
		{"S3_SECRET_ACCESS_KEY", "", "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY"},
		{"S3_FORCE_PATH_STYLE", "yes please", "S3_FORCE_PATH_STYLE"},
		{"MAX_VIDEO_BYTES", "100000000000", "MAX_VIDEO_BYTES"},
	}
	for _, tt := range tests {
		vars := maps.Clone(s3)
		vars[tt.key] = tt.value
		_, err := config.Load(env(vars))
		if err == nil || !strings.Contains(err.Error(), tt.wantInError) {
			t.Errorf("%s=%q: error %v, want one saying %q", tt.key, tt.value, err, tt.wantInError)
		}
	}
	// S3 settings mean nothing to the local storage.
	if _, err := config.Load(env(map[string]string{"JWT_SECRET": secret32, "S3_ENDPOINT": "nonsense"})); err != nil {
		t.Errorf("S3_ENDPOINT with local storage: %v", err)
	}
}

func TestLoadReplicas(t *testing.T) {
	c, err := config.Load(env(map[string]string{}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ReplicaURLs != nil || c.ReplicaMaxLag != 5*time.Second {
		t.Fatalf("defaults: %v %s", c.ReplicaURLs, c.ReplicaMaxLag)
	}
	c, err = config.Load(env(map[string]string{
		"DATABASE_REPLICA_URLS": " postgres://a/x , ,postgres://b/x", "REPLICA_MAX_LAG": "750ms",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ReplicaURLs) != 2 || c.ReplicaURLs[0] != "postgres://a/x" || c.ReplicaURLs[1] != "postgres://b/x" || c.ReplicaMaxLag != 750*time.Millisecond {
		t.Fatalf("%q %s", c.ReplicaURLs, c.ReplicaMaxLag)
	}
	for _, bad := range []string{"0", "-1s", "2h", "soon"} {
		if _, err := config.Load(env(map[string]string{"REPLICA_MAX_LAG": bad})); err == nil || !strings.Contains(err.Error(), "REPLICA_MAX_LAG") {
			t.Errorf("REPLICA_MAX_LAG=%s: %v", bad, err)
		}
	}
}
