// Package config reads the server's configuration from the environment (and an optional
// .env file), applies defaults and validates it.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gotok/tiktok/internal/tiktok"
)

// Config is the complete runtime configuration. Every field has an environment variable,
// listed with its default in .env.example and the README.
type Config struct {
	AppEnv      string // APP_ENV: development | production | test
	Port        int    // PORT
	DatabaseURL string // DATABASE_URL
	// ReplicaURLs are read replicas of DatabaseURL (streaming standbys); ReplicaMaxLag takes
	// one out of rotation when it is further behind (docs/design.md, "Read replicas").
	ReplicaURLs   []string      // DATABASE_REPLICA_URLS: comma-separated, optional
	ReplicaMaxLag time.Duration // REPLICA_MAX_LAG
	DataDir       string        // DATA_DIR: local state (dev JWT secret, media)
	JWTSecret     []byte        // JWT_SECRET
	JWTExpire     time.Duration // JWT_EXPIRE: 7d, 12h, 30m, ...
	BcryptCost    int           // BCRYPT_COST
	AutoMigrate   bool          // AUTO_MIGRATE
	PublicURL     string        // PUBLIC_URL: base of absolute media URLs; empty = request host
	CORSOrigins   []string      // CORS_ORIGINS
	MediaDir      string        // MEDIA_DIR
	MaxVideoBytes int64         // MAX_VIDEO_BYTES
	LogLevel      slog.Level    // LOG_LEVEL
	LogFormat     string        // LOG_FORMAT: text | json
	PprofAddr     string        // PPROF_ADDR: empty = off
	// MetricsAddr is where /metrics is served on a listener of its own; empty means on the
	// API's listener (the default outside production), "off" nowhere.
	MetricsAddr   string // METRICS_ADDR
	StorageCompat bool   // STORAGE_COMPAT
	// StorageTTL is how long a storage-compatible upload no video claimed is kept.
	StorageTTL time.Duration // STORAGE_UNCLAIMED_TTL
	// StorageMinRate is the lowest average rate (bytes per second) of a storage-compatible
	// upload's body once StorageUploadGrace has passed; 0 disables the check.
	StorageMinRate     int64         // STORAGE_MIN_UPLOAD_RATE
	StorageUploadGrace time.Duration // STORAGE_UPLOAD_GRACE
	// ShutdownTimeout is how long serve waits for in-flight requests and running media jobs
	// once told to stop (one grace period for both).
	ShutdownTimeout time.Duration // SHUTDOWN_TIMEOUT
	// TrustedProxies lists the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix // TRUSTED_PROXIES
	Limits         Limits
	// Live notification streams, per server process: how many one user may open
	// (NOTIFY_STREAMS_PER_USER), how many in all (NOTIFY_STREAMS_MAX), and how often a quiet
	// stream sends a heartbeat and re-checks its token (NOTIFY_HEARTBEAT).
	StreamsPerUser  int
	StreamsMax      int
	StreamHeartbeat time.Duration
	// Ranking is the For You ranking: FEED_LIKE_WEIGHT, FEED_COMMENT_WEIGHT,
	// FEED_VIEW_WEIGHT, FEED_SHARE_WEIGHT, FEED_HALF_LIFE, FEED_INTEREST_HALF_LIFE.
	Ranking tiktok.Ranking
	// ReportAutoHideThreshold hides a video pending review once this many users have open
	// reports on it; 0 (the default) never does.
	ReportAutoHideThreshold int // REPORT_AUTO_HIDE_THRESHOLD
	// MediaStorage is where media files live: "local" (MediaDir) or "s3" (S3).
	MediaStorage string // MEDIA_STORAGE
	S3           S3     // S3_*: the bucket when MediaStorage is "s3"
	// MediaPublicURL, when set, is the public base (a CDN) of stored media: API media URLs
	// are <MediaPublicURL>/<name> instead of <origin>/uploads/<name>.
	MediaPublicURL string // MEDIA_PUBLIC_URL
	Pipeline       Pipeline
	// RedisURL is the Redis the server copies share rate limits, view de-duplication and
	// the anonymous feed cache through (redis://, rediss:// or unix://); empty keeps them
	// in process (one server).
	RedisURL string // REDIS_URL
	// FeedFanoutMaxFollowers is the follower count above which a creator's posts are pulled
	// into the Following feed at read time instead of pushed to every follower's inbox; 0
	// keeps the database's (10 000 unless set before).
	FeedFanoutMaxFollowers int64 // FEED_FANOUT_MAX_FOLLOWERS
}

// Pipeline configures the media pipeline (package pipeline).
type Pipeline struct {
	// Processing is "auto" (uploads are processed when ffmpeg and ffprobe are installed,
	// and served as uploaded otherwise) or "off" (never processed).
	Processing string        // MEDIA_PROCESSING
	MaxSeconds int           // MAX_VIDEO_SECONDS: longest video accepted
	Workers    int           // MEDIA_WORKERS: processing jobs serve runs at once (0: none; run `tiktok worker`)
	Timeout    time.Duration // FFMPEG_TIMEOUT: of one ffprobe or ffmpeg run
}

// S3 is an S3-compatible bucket (MEDIA_STORAGE=s3).
type S3 struct {
	Bucket          string // S3_BUCKET (required)
	Endpoint        string // S3_ENDPOINT: base URL of an S3-compatible service; empty = AWS
	Region          string // S3_REGION (default us-east-1)
	AccessKeyID     string // S3_ACCESS_KEY_ID
	SecretAccessKey string // S3_SECRET_ACCESS_KEY; both empty = the AWS SDK's default chain
	ForcePathStyle  bool   // S3_FORCE_PATH_STYLE: <endpoint>/<bucket>/<key> (MinIO and the like)
}

// maxS3Object is the largest file the S3 storage can store: 10,000 multipart parts of
// 8 MiB (media.MaxParts × media.DefaultPartSize).
const maxS3Object = 10_000 * 8 << 20

// Limits are the rate limits; a zero count disables that limit.
type Limits struct {
	Enabled         bool // RATE_LIMIT_ENABLED
	LoginPerAccount int  // RATE_LIMIT_LOGIN_ACCOUNT (per 15 minutes)
	LoginPerIP      int  // RATE_LIMIT_LOGIN_IP (per minute)
	RegisterPerIP   int  // RATE_LIMIT_REGISTER_IP (per hour)
	WritesPerUser   int  // RATE_LIMIT_WRITES_USER (per minute)
	RequestsPerIP   int  // RATE_LIMIT_REQUESTS_IP (per minute)
	ExportsPerUser  int  // RATE_LIMIT_EXPORT_USER (data exports per hour)
	// StorageBytesPerIP is the byte budget of storage-compatible uploads per client IP per
	// hour; StorageUploadsPerIP how many of them one client IP may run at once.
	StorageBytesPerIP   int // RATE_LIMIT_STORAGE_BYTES_IP
	StorageUploadsPerIP int // RATE_LIMIT_STORAGE_UPLOADS_IP
}

// DefaultMediaWorkers is the default of MEDIA_WORKERS: one ffmpeg per core but one, at
// least one.
func DefaultMediaWorkers() int { return max(1, runtime.NumCPU()-1) }

func (c *Config) pipeline(str func(string, string) string, integer func(string, int64, int64, int64) int64, problems *[]string) {
	c.Pipeline = Pipeline{
		Processing: str("MEDIA_PROCESSING", "auto"),
		MaxSeconds: int(integer("MAX_VIDEO_SECONDS", 600, 1, 24*3600)),
		Workers:    int(integer("MEDIA_WORKERS", int64(DefaultMediaWorkers()), 0, 256)),
		Timeout:    boundedDuration(str("FFMPEG_TIMEOUT", "10m"), "FFMPEG_TIMEOUT", time.Second, 24*time.Hour, problems),
	}
	if c.Pipeline.Processing != "auto" && c.Pipeline.Processing != "off" {
		*problems = append(*problems, fmt.Sprintf("MEDIA_PROCESSING=%q: want auto or off", c.Pipeline.Processing))
	}
}

// Production reports whether the server runs in production mode.
func (c Config) Production() bool { return c.AppEnv == "production" }

// DefaultProductionMetricsAddr is where production serves /metrics unless METRICS_ADDR says
// otherwise: a listener of its own, on loopback, so that only the machine (a Prometheus
// agent beside the server, an SSH tunnel) can read it.
const DefaultProductionMetricsAddr = "127.0.0.1:9464"

// MinSecretBytes is the shortest JWT_SECRET accepted in production.
const MinSecretBytes = 32

// Load builds the configuration from getenv, reading nothing else and writing nothing. In
// development JWTSecret is nil when JWT_SECRET is unset (see EnsureJWTSecret). It returns an
// error naming every invalid variable.
func Load(getenv func(string) string) (Config, error) {
	var problems []string
	str := func(key, def string) string {
		if v := strings.TrimSpace(getenv(key)); v != "" {
			return v
		}
		return def
	}
	integer := func(key string, def, min, max int64) int64 {
		v := str(key, "")
		if v == "" {
			return def
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < min || n > max {
			problems = append(problems, fmt.Sprintf("%s=%q: want an integer in [%d, %d]", key, v, min, max))
			return def
		}
		return n
	}
	boolean := func(key string, def bool) bool {
		v := str(key, "")
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s=%q: want true or false", key, v))
			return def
		}
		return b
	}

	c := Config{
		AppEnv:        str("APP_ENV", "development"),
		Port:          int(integer("PORT", 8000, 0, 65535)),
		DatabaseURL:   str("DATABASE_URL", ""),
		DataDir:       str("DATA_DIR", ".data"),
		BcryptCost:    int(integer("BCRYPT_COST", 12, 4, 31)),
		AutoMigrate:   boolean("AUTO_MIGRATE", true),
		PublicURL:     strings.TrimRight(str("PUBLIC_URL", ""), "/"),
		MaxVideoBytes: integer("MAX_VIDEO_BYTES", 100<<20, 1, 1<<40),
		LogFormat:     str("LOG_FORMAT", "text"),
		PprofAddr:     str("PPROF_ADDR", ""),
		MetricsAddr:   str("METRICS_ADDR", ""),
		StorageCompat: boolean("STORAGE_COMPAT", false),
		Limits: Limits{
			Enabled:         boolean("RATE_LIMIT_ENABLED", true),
			LoginPerAccount: int(integer("RATE_LIMIT_LOGIN_ACCOUNT", 10, 0, 1<<30)),
			LoginPerIP:      int(integer("RATE_LIMIT_LOGIN_IP", 30, 0, 1<<30)),
			RegisterPerIP:   int(integer("RATE_LIMIT_REGISTER_IP", 20, 0, 1<<30)),
			WritesPerUser:   int(integer("RATE_LIMIT_WRITES_USER", 60, 0, 1<<30)),
			RequestsPerIP:   int(integer("RATE_LIMIT_REQUESTS_IP", 600, 0, 1<<30)),
			ExportsPerUser:  int(integer("RATE_LIMIT_EXPORT_USER", 5, 0, 1<<30)),
		},
		StorageMinRate: integer("STORAGE_MIN_UPLOAD_RATE", 8<<10, 0, 1<<40),
	}
	c.ReportAutoHideThreshold = int(integer("REPORT_AUTO_HIDE_THRESHOLD", 0, 0, 1_000_000))
	c.FeedFanoutMaxFollowers = integer("FEED_FANOUT_MAX_FOLLOWERS", 0, 0, 1<<40)
	c.storageLimits(integer, &problems)
	c.pipeline(str, integer, &problems)
	c.ranking(str, &problems)
	switch c.AppEnv {
	case "development", "production", "test":
	default:
		problems = append(problems, fmt.Sprintf("APP_ENV=%q: want development, production or test", c.AppEnv))
	}
	c.MediaDir = str("MEDIA_DIR", filepath.Join(c.DataDir, "media"))
	c.mediaStorage(str, boolean, &problems)
	c.RedisURL = str("REDIS_URL", "")
	if u, err := url.Parse(c.RedisURL); c.RedisURL != "" && (err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix")) {
		problems = append(problems, "REDIS_URL: want redis://[user:password@]host:port[/db], rediss://... or unix:///path")
	}

	exp, err := ParseDuration(str("JWT_EXPIRE", "7d"))
	if err != nil {
		problems = append(problems, "JWT_EXPIRE: "+err.Error())
	}
	c.JWTExpire = exp
	grace, err := ParseDuration(str("SHUTDOWN_TIMEOUT", "30s"))
	if err != nil {
		problems = append(problems, "SHUTDOWN_TIMEOUT: "+err.Error())
	}
	c.ShutdownTimeout = grace
	c.StorageTTL = boundedDuration(str("STORAGE_UNCLAIMED_TTL", "1h"), "STORAGE_UNCLAIMED_TTL", time.Second, 365*24*time.Hour, &problems)
	c.StorageUploadGrace = boundedDuration(str("STORAGE_UPLOAD_GRACE", "10s"), "STORAGE_UPLOAD_GRACE", time.Millisecond, 10*time.Minute, &problems)
	for _, u := range strings.Split(str("DATABASE_REPLICA_URLS", ""), ",") {
		if u = strings.TrimSpace(u); u != "" {
			c.ReplicaURLs = append(c.ReplicaURLs, u)
		}
	}
	c.ReplicaMaxLag = boundedDuration(str("REPLICA_MAX_LAG", "5s"), "REPLICA_MAX_LAG", 100*time.Millisecond, time.Hour, &problems)
	c.StreamsPerUser = int(integer("NOTIFY_STREAMS_PER_USER", 5, 1, 1000))
	c.StreamsMax = int(integer("NOTIFY_STREAMS_MAX", 10_000, 1, 1_000_000))
	c.StreamHeartbeat = boundedDuration(str("NOTIFY_HEARTBEAT", "20s"), "NOTIFY_HEARTBEAT", 100*time.Millisecond, 5*time.Minute, &problems)

	if err := c.LogLevel.UnmarshalText([]byte(str("LOG_LEVEL", "info"))); err != nil {
		problems = append(problems, fmt.Sprintf("LOG_LEVEL=%q: want debug, info, warn or error", getenv("LOG_LEVEL")))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		problems = append(problems, fmt.Sprintf("LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		problems = append(problems, fmt.Sprintf("PUBLIC_URL=%q: want an http(s) URL", c.PublicURL))
	}
	if c.PublicURL == "" && c.Production() {
		// Without it, absolute URLs would be built from the request's Host header, which
		// any client sets to what it likes.
		problems = append(problems, "PUBLIC_URL must be set when APP_ENV=production (the origin clients reach the server at, e.g. https://api.example.com)")
	}
	switch {
	case c.MetricsAddr == "" && c.Production():
		c.MetricsAddr = DefaultProductionMetricsAddr
	case c.MetricsAddr == "" || c.MetricsAddr == "off":
	default:
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			problems = append(problems, fmt.Sprintf("METRICS_ADDR=%q: want host:port (e.g. 127.0.0.1:9464) or off", c.MetricsAddr))
		}
	}

	origins := str("CORS_ORIGINS", "")
	switch {
	case origins != "":
		for _, o := range strings.Split(origins, ",") {
			if o = strings.TrimSpace(o); o != "" {
				c.CORSOrigins = append(c.CORSOrigins, strings.TrimRight(o, "/"))
			}
		}
	case !c.Production():
		c.CORSOrigins = []string{"*"}
	}

	for _, p := range strings.Split(str("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := parsePrefix(p)
		if err != nil {
			problems = append(problems, fmt.Sprintf("TRUSTED_PROXIES: %q is not an IP or CIDR", p))
			continue
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix)
	}

	secret := getenv("JWT_SECRET")
	switch {
	case secret != "" && strings.TrimSpace(secret) == "":
		problems = append(problems, "JWT_SECRET is only whitespace")
	case len(secret) >= MinSecretBytes:
		c.JWTSecret = []byte(secret)
	case c.Production():
		problems = append(problems, fmt.Sprintf("JWT_SECRET must be set to at least %d bytes when APP_ENV=production", MinSecretBytes))
	case secret != "":
		problems = append(problems, fmt.Sprintf("JWT_SECRET is %d bytes; use at least %d (or unset it in development to generate one)", len(secret), MinSecretBytes))
	}

	if len(problems) > 0 {
		return Config{}, errors.New("invalid configuration:\n  " + strings.Join(problems, "\n  "))
	}
	return c, nil
}

// EnsureJWTSecret makes sure c has a JWT secret: in development, when JWT_SECRET is unset,
// it reads the one kept in DATA_DIR/jwt_secret, generating it on first use so that tokens
// survive restarts. Only commands that sign or verify tokens need it; Load itself has no
// side effects.
func (c *Config) EnsureJWTSecret() error {
	if c.JWTSecret != nil {
		return nil
	}
	s, err := devSecret(c.DataDir)
	if err != nil {
		return err
	}
	c.JWTSecret = s
	return nil
}

// storageLimits reads the storage-compatible upload limits. The byte budget defaults to two
// full-size posts (video and thumbnail) per client IP per hour and must fit one video.
func (c *Config) storageLimits(integer func(key string, def, min, max int64) int64, problems *[]string) {
	const imageBytes = 5 << 20 // media.MaxImageBytes
	budget := integer("RATE_LIMIT_STORAGE_BYTES_IP", 2*(c.MaxVideoBytes+imageBytes), 0, 1<<50)
	if budget > 0 && budget < c.MaxVideoBytes {
		*problems = append(*problems, fmt.Sprintf("RATE_LIMIT_STORAGE_BYTES_IP=%d: want 0 (off) or at least MAX_VIDEO_BYTES (%d), or no video could ever be uploaded", budget, c.MaxVideoBytes))
	}
	c.Limits.StorageBytesPerIP = int(budget)
	c.Limits.StorageUploadsPerIP = int(integer("RATE_LIMIT_STORAGE_UPLOADS_IP", 2, 0, 1<<20))
}

// mediaStorage reads MEDIA_STORAGE, the S3_* bucket settings and MEDIA_PUBLIC_URL.
func (c *Config) mediaStorage(str func(key, def string) string, boolean func(key string, def bool) bool, problems *[]string) {
	c.MediaStorage = str("MEDIA_STORAGE", "local")
	c.MediaPublicURL = strings.TrimRight(str("MEDIA_PUBLIC_URL", ""), "/")
	if c.MediaPublicURL != "" && !isHTTPURL(c.MediaPublicURL) {
		*problems = append(*problems, fmt.Sprintf("MEDIA_PUBLIC_URL=%q: want an http(s) URL (e.g. https://cdn.example.com/media)", c.MediaPublicURL))
	}
	switch c.MediaStorage {
	case "local":
		return
	case "s3":
	default:
		*problems = append(*problems, fmt.Sprintf("MEDIA_STORAGE=%q: want local or s3", c.MediaStorage))
		return
	}
	c.S3 = S3{
		Bucket:          str("S3_BUCKET", ""),
		Endpoint:        strings.TrimRight(str("S3_ENDPOINT", ""), "/"),
		Region:          str("S3_REGION", "us-east-1"),
		AccessKeyID:     str("S3_ACCESS_KEY_ID", ""),
		SecretAccessKey: str("S3_SECRET_ACCESS_KEY", ""),
		ForcePathStyle:  boolean("S3_FORCE_PATH_STYLE", false),
	}
	if c.S3.Bucket == "" {
		*problems = append(*problems, "S3_BUCKET must be set when MEDIA_STORAGE=s3 (the bucket media files are stored in)")
	}
	if c.S3.Endpoint != "" && !isHTTPURL(c.S3.Endpoint) {
		*problems = append(*problems, fmt.Sprintf("S3_ENDPOINT=%q: want an http(s) URL (e.g. http://localhost:9000), or nothing for AWS", c.S3.Endpoint))
	}
	if (c.S3.AccessKeyID == "") != (c.S3.SecretAccessKey == "") {
		*problems = append(*problems, "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together (or both left empty for the AWS SDK's default credentials)")
	}
	if c.MaxVideoBytes > maxS3Object {
		*problems = append(*problems, fmt.Sprintf("MAX_VIDEO_BYTES=%d: the S3 storage stores at most %d bytes per file", c.MaxVideoBytes, int64(maxS3Object)))
	}
}

// isHTTPURL reports whether s is an absolute http(s) URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" && u.User == nil
}

// boundedDuration parses v (see ParseDuration) and checks that it lies in [min, max],
// recording a problem named key otherwise.
func boundedDuration(v, key string, min, max time.Duration, problems *[]string) time.Duration {
	d, err := ParseDuration(v)
	switch {
	case err != nil:
		*problems = append(*problems, key+": "+err.Error())
	case d < min || d > max:
		*problems = append(*problems, fmt.Sprintf("%s=%q: want a duration between %s and %s", key, v, min, max))
	}
	return d
}

// devSecret returns the development JWT secret kept in dir/jwt_secret, creating it on first use.
func devSecret(dir string) ([]byte, error) {
	path := filepath.Join(dir, "jwt_secret")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= MinSecretBytes {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate JWT secret: %w", err)
	}
	secret := hex.EncodeToString(raw)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	// Write to a temporary file and link it into place: of two processes starting at once,
	// exactly one secret wins and both use it.
	tmp, err := os.CreateTemp(dir, ".jwt_secret-*")
	if err != nil {
		return nil, fmt.Errorf("save development JWT secret: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(secret + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("save development JWT secret: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("save development JWT secret: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("save development JWT secret: %w", err)
		}
		b, err := os.ReadFile(path) // another process won the race
		if err != nil || len(strings.TrimSpace(string(b))) < MinSecretBytes {
			return nil, fmt.Errorf("read development JWT secret %s: unusable (delete it to regenerate)", path)
		}
		return []byte(strings.TrimSpace(string(b))), nil
	}
	return []byte(secret), nil
}

// ParseDuration parses durations like "7d", "12h", "30m", "45s", "2w", Go durations
// ("1h30m") and bare seconds ("3600"). The result must be positive.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n <= 0 {
			return 0, fmt.Errorf("%q: must be positive", s)
		}
		if n > math.MaxInt64/int64(time.Second) {
			return 0, fmt.Errorf("%q: too many seconds", s)
		}
		return time.Duration(n) * time.Second, nil
	}
	if len(s) > 1 {
		unit := map[byte]time.Duration{'d': 24 * time.Hour, 'w': 7 * 24 * time.Hour}[s[len(s)-1]]
		if unit != 0 {
			n, err := strconv.ParseInt(s[:len(s)-1], 10, 64)
			if err != nil || n <= 0 || n > 3650 {
				return 0, fmt.Errorf("%q: want a positive count like 7d", s)
			}
			return time.Duration(n) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q: want a duration like 7d, 12h or 30m", s)
	}
	return d, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		return netip.ParsePrefix(s)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ranking reads the For You weights and half-lives.
func (c *Config) ranking(str func(key, def string) string, problems *[]string) {
	def := tiktok.DefaultRanking()
	weight := func(key string, d float64) float64 {
		v := str(key, "")
		if v == "" {
			return d
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || f < 0 || f > 1000 {
			*problems = append(*problems, fmt.Sprintf("%s=%q: want a number in [0, 1000]", key, v))
			return d
		}
		return f
	}
	c.Ranking = tiktok.Ranking{
		LikeWeight:       weight("FEED_LIKE_WEIGHT", def.LikeWeight),
		CommentWeight:    weight("FEED_COMMENT_WEIGHT", def.CommentWeight),
		ViewWeight:       weight("FEED_VIEW_WEIGHT", def.ViewWeight),
		ShareWeight:      weight("FEED_SHARE_WEIGHT", def.ShareWeight),
		HalfLife:         boundedDuration(str("FEED_HALF_LIFE", "6h"), "FEED_HALF_LIFE", time.Minute, 365*24*time.Hour, problems),
		InterestHalfLife: boundedDuration(str("FEED_INTEREST_HALF_LIFE", "14d"), "FEED_INTEREST_HALF_LIFE", time.Minute, 3650*24*time.Hour, problems),
	}
}
