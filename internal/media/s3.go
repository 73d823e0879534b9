package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// DefaultPartSize is the size of the parts S3.Put uploads a large file in, and so the most
// of one upload it holds in memory.
const DefaultPartSize = 8 << 20

// MaxParts is the most parts S3 accepts in one multipart upload: with DefaultPartSize a
// stored file can be up to 78 GiB.
const MaxParts = 10_000

// abortTimeout bounds the clean-up requests (abort, delete) Put sends after a failure,
// which run even when the request's context is done.
const abortTimeout = 30 * time.Second

// S3Config says how to reach an S3-compatible bucket.
type S3Config struct {
	Bucket string
	// Endpoint is the base URL of an S3-compatible service (MinIO, R2, …); empty means AWS.
	Endpoint string
	Region   string
	// AccessKeyID and SecretAccessKey are static credentials; when both are empty the SDK's
	// default chain (environment, shared files, instance roles) is used.
	AccessKeyID     string
	SecretAccessKey string
	// ForcePathStyle addresses objects as <endpoint>/<bucket>/<key> instead of
	// <bucket>.<endpoint>/<key>, which MinIO-like services on a bare host name need.
	ForcePathStyle bool
	// PartSize is the multipart part size; 0 means DefaultPartSize. S3 itself refuses parts
	// (other than the last) under 5 MiB; tests against a fake server use smaller ones.
	PartSize int
	// HTTPClient, when set, sends the requests (tests).
	HTTPClient *http.Client
}

// S3 is a Storage on an S3-compatible bucket; object keys are the stored names. Put
// streams: a file that fits in one part is sent with one PutObject, a larger one as a
// multipart upload of PartSize parts read one at a time into a pooled buffer, so an upload
// holds at most one part in memory whatever its size; a failed Put aborts its multipart
// upload and leaves nothing. Open returns a File whose reads are ranged GetObjects from
// the current offset, so Seek costs nothing until the next Read (http.ServeContent serves
// Range requests from it). It is safe for concurrent use.
type S3 struct {
	client   *s3.Client
	bucket   string
	partSize int
	parts    sync.Pool // *[]byte of partSize
}

// NewS3 returns an S3 storage for cfg. It sends no request; see CheckBucket.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	if cfg.Bucket == "" {
		return nil, errors.New("media: s3 storage: no bucket")
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	if cfg.PartSize < SniffLen {
		return nil, fmt.Errorf("media: s3 storage: part size %d is smaller than %d bytes", cfg.PartSize, SniffLen)
	}
	opts := []func(*awsconfig.LoadOptions) error{awsconfig.WithRegion(cfg.Region)}
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, awsconfig.WithHTTPClient(cfg.HTTPClient))
	}
	awsCfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("media: s3 storage: %w", err)
	}
	client := s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		o.UsePathStyle = cfg.ForcePathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		// Checksums only where the API requires them: S3-compatible services differ in
		// which of the newer checksum headers and trailers they understand.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	st := &S3{client: client, bucket: cfg.Bucket, partSize: cfg.PartSize}
	st.parts.New = func() any { b := make([]byte, st.partSize); return &b }
	return st, nil
}

// Client returns the SDK client (tests and maintenance).
func (s *S3) Client() *s3.Client { return s.client }

// Bucket returns the bucket's name.
func (s *S3) Bucket() string { return s.bucket }

// PartSize returns the multipart part size.
func (s *S3) PartSize() int { return s.partSize }

// CheckBucket fails unless the bucket exists and the credentials may use it.
func (s *S3) CheckBucket(ctx context.Context) error {
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		return fmt.Errorf("media: s3 bucket %q: %w", s.bucket, err)
	}
	return nil
}

// Put streams r into the object name, replacing any object of that name, and returns the
// number of bytes stored. It fails like Local.Put: on an invalid name (wrapping
// fs.ErrInvalid), on an error from r (wrapped), when ctx is done (wrapping ctx.Err()) or
// on a storage error; in every case a multipart upload it began is aborted.
func (s *S3) Put(ctx context.Context, name string, r io.Reader) (n int64, err error) {
	if err := ValidateName(name); err != nil {
		return 0, fmt.Errorf("media: put: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	bufp := s.parts.Get().(*[]byte)
	defer s.parts.Put(bufp)
	buf := *bufp
	cr := &ctxReader{ctx: ctx, r: r}
	k, last, err := readPart(cr, buf)
	if err != nil {
		return 0, fmt.Errorf("media: put %s: %w", name, err)
	}
	ctype := ContentType(name)
	if last { // the whole file fits in one part
		_, err := s.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: &s.bucket, Key: &name, Body: bytes.NewReader(buf[:k]),
			ContentLength: aws.Int64(int64(k)), ContentType: &ctype,
		})
		if err != nil {
			return 0, fmt.Errorf("media: put %s: %w", name, err)
		}
		return int64(k), nil
	}

	up, err := s.client.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{
		Bucket: &s.bucket, Key: &name, ContentType: &ctype,
	})
	if err != nil {
		return 0, fmt.Errorf("media: put %s: start multipart upload: %w", name, err)
	}
	defer func() {
		if err != nil {
			s.abort(ctx, name, up.UploadId)
		}
	}()
	var parts []types.CompletedPart
	for num := int32(1); ; num++ {
		if num > MaxParts {
			return 0, fmt.Errorf("media: put %s: more than %d parts of %d bytes", name, MaxParts, s.partSize)
		}
		out, err := s.client.UploadPart(ctx, &s3.UploadPartInput{
			Bucket: &s.bucket, Key: &name, UploadId: up.UploadId, PartNumber: aws.Int32(num),
			Body: bytes.NewReader(buf[:k]), ContentLength: aws.Int64(int64(k)),
		})
		if err != nil {
			return 0, fmt.Errorf("media: put %s: part %d: %w", name, num, err)
		}
		parts = append(parts, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(num)})
		n += int64(k)
		if last {
			break
		}
		if k, last, err = readPart(cr, buf); err != nil {
			return 0, fmt.Errorf("media: put %s: %w", name, err)
		}
		if k == 0 { // the previous part was the last
			break
		}
	}
	_, err = s.client.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{
		Bucket: &s.bucket, Key: &name, UploadId: up.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts},
	})
	if err != nil {
		return 0, fmt.Errorf("media: put %s: complete multipart upload: %w", name, err)
	}
	return n, nil
}

// abort aborts a multipart upload, also when ctx is done. A failure is left to
// RemoveStaleTemp (the orphans command), which aborts forgotten uploads.
func (s *S3) abort(ctx context.Context, name string, uploadID *string) {
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abortTimeout)
	defer cancel()
	s.client.AbortMultipartUpload(actx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: &name, UploadId: uploadID}) //nolint:errcheck // see above
}

// readPart fills buf from r. It returns how many bytes it read and whether r ended (at
// io.EOF; any other error of r, io.ErrUnexpectedEOF included, is returned as it is). When
// buf is full last is false even if r has nothing more: the next call then reads 0 bytes.
func readPart(r io.Reader, buf []byte) (k int, last bool, err error) {
	for k < len(buf) {
		n, err := r.Read(buf[k:])
		k += n
		if err == io.EOF {
			return k, true, nil
		}
		if err != nil {
			return 0, false, err
		}
	}
	return k, false, nil
}

// ctxReader fails with ctx.Err() once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) > copyBufSize {
		p = p[:copyBufSize] // check ctx between chunks, as Local does
	}
	return c.r.Read(p)
}

// Open returns the stored object name (after a HeadObject). Reads use ctx. It fails on an
// invalid name (wrapping fs.ErrInvalid), with an error wrapping fs.ErrNotExist when no
// object of that name exists, when ctx is done, or on a storage error.
func (s *S3) Open(ctx context.Context, name string) (File, error) {
	if err := ValidateName(name); err != nil {
		return nil, fmt.Errorf("media: open: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, err)
	}
	head, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: &name})
	if err != nil {
		return nil, fmt.Errorf("media: open %s: %w", name, notExist(err))
	}
	f := &s3File{ctx: ctx, s: s, name: name, size: aws.ToInt64(head.ContentLength), etag: head.ETag}
	if head.LastModified != nil {
		f.modTime = *head.LastModified
	}
	return f, nil
}

// notExist makes a 404 answer an error wrapping fs.ErrNotExist.
func notExist(err error) error {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.HTTPStatusCode() == http.StatusNotFound {
		return fmt.Errorf("%w: %w", fs.ErrNotExist, err)
	}
	return err
}

// s3File is an open object of an S3 storage. body is the ranged GetObject being read,
// from offset off to the end; a Seek elsewhere closes it and the next Read opens another.
type s3File struct {
	ctx     context.Context
	s       *S3
	name    string
	size    int64
	modTime time.Time
	etag    *string
	off     int64
	body    io.ReadCloser
}

func (f *s3File) Size() int64        { return f.size }
func (f *s3File) ModTime() time.Time { return f.modTime }

func (f *s3File) Read(p []byte) (int, error) {
	if f.off >= f.size {
		return 0, io.EOF
	}
	if f.body == nil {
		out, err := f.s.client.GetObject(f.ctx, &s3.GetObjectInput{
			Bucket: &f.s.bucket, Key: &f.name, IfMatch: f.etag,
			Range: aws.String("bytes=" + strconv.FormatInt(f.off, 10) + "-"),
		})
		if err != nil {
			return 0, fmt.Errorf("media: read %s: %w", f.name, notExist(err))
		}
		f.body = out.Body
	}
	n, err := f.body.Read(p)
	f.off += int64(n)
	if err == io.EOF {
		f.body.Close()
		f.body = nil
		if f.off < f.size {
			return n, fmt.Errorf("media: read %s: %w", f.name, io.ErrUnexpectedEOF)
		}
		if n > 0 {
			return n, nil
		}
		return 0, io.EOF
	}
	if err != nil {
		return n, fmt.Errorf("media: read %s: %w", f.name, err)
	}
	return n, nil
}

func (f *s3File) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = f.off + offset
	case io.SeekEnd:
		abs = f.size + offset
	default:
		return f.off, fmt.Errorf("media: seek %s: invalid whence %d", f.name, whence)
	}
	if abs < 0 {
		return f.off, fmt.Errorf("media: seek %s: negative position", f.name)
	}
	if abs != f.off && f.body != nil {
		f.body.Close()
		f.body = nil
	}
	f.off = abs
	return abs, nil
}

func (f *s3File) Close() error {
	if f.body != nil {
		err := f.body.Close()
		f.body = nil
		return err
	}
	return nil
}

// Delete removes the object name; a missing object is not an error. It fails on an
// invalid name (wrapping fs.ErrInvalid), when ctx is done, or on a storage error.
func (s *S3) Delete(ctx context.Context, name string) error {
	if err := ValidateName(name); err != nil {
		return fmt.Errorf("media: delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	if _, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: &name}); err != nil {
		if errors.Is(notExist(err), fs.ErrNotExist) {
			return nil
		}
		return fmt.Errorf("media: delete %s: %w", name, err)
	}
	return nil
}

// Walk calls fn for every object with a valid name, a page of ListObjectsV2 at a time,
// with the same contract as Local.Walk.
func (s *S3) Walk(ctx context.Context, fn func(name string, size int64, modTime time.Time) error) error {
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{Bucket: &s.bucket})
	for pages.HasMorePages() {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("media: walk: %w", err)
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("media: walk: %w", err)
		}
		for _, o := range page.Contents {
			name := aws.ToString(o.Key)
			if ValidateName(name) != nil {
				continue
			}
			if err := fn(name, aws.ToInt64(o.Size), aws.ToTime(o.LastModified)); err != nil {
				if errors.Is(err, fs.SkipAll) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// RemoveStaleTemp aborts the multipart uploads begun before cutoff that never finished
// (the process died mid-upload, or an abort failed); with dryRun it only counts them. It
// returns how many it found. The orphans command calls it.
func (s *S3) RemoveStaleTemp(ctx context.Context, cutoff time.Time, dryRun bool) (int, error) {
	n := 0
	pages := s3.NewListMultipartUploadsPaginator(s.client, &s3.ListMultipartUploadsInput{Bucket: &s.bucket})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if noUploads(err) { // some S3-compatible servers' answer for "no uploads"
			return n, nil
		}
		if err != nil {
			return n, fmt.Errorf("media: remove stale uploads: %w", err)
		}
		for _, u := range page.Uploads {
			if u.Initiated == nil || u.Initiated.After(cutoff) {
				continue
			}
			n++
			if dryRun {
				continue
			}
			_, err := s.client.AbortMultipartUpload(ctx, &s3.AbortMultipartUploadInput{Bucket: &s.bucket, Key: u.Key, UploadId: u.UploadId})
			if err != nil && !errors.Is(notExist(err), fs.ErrNotExist) {
				return n, fmt.Errorf("media: remove stale upload %s: %w", aws.ToString(u.Key), err)
			}
		}
	}
	return n, nil
}

// noUploads reports whether err is the NoSuchUpload answer some S3-compatible servers
// (gofakes3) give a listing of multipart uploads in a bucket that never had one.
func noUploads(err error) bool {
	var api smithy.APIError
	return errors.As(err, &api) && api.ErrorCode() == "NoSuchUpload"
}

// PresignedPut is a request a client may send, without credentials, to store one object.
type PresignedPut struct {
	URL     string
	Method  string
	Header  http.Header // headers the client must send as they are (Content-Type, …)
	Expires time.Time
}

// Presigner is implemented by storages that let clients upload directly (S3).
type Presigner interface {
	// PresignPut returns a request that stores exactly size bytes of contentType under
	// name, valid for ttl.
	PresignPut(ctx context.Context, name, contentType string, size int64, ttl time.Duration) (PresignedPut, error)
}

// PresignPut returns a presigned PutObject of name. Content-Type and Content-Length are
// signed, so the service refuses a body of another size or type.
func (s *S3) PresignPut(ctx context.Context, name, contentType string, size int64, ttl time.Duration) (PresignedPut, error) {
	if err := ValidateName(name); err != nil {
		return PresignedPut{}, fmt.Errorf("media: presign: %w", err)
	}
	now := time.Now()
	req, err := s3.NewPresignClient(s.client).PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &s.bucket, Key: &name, ContentType: &contentType, ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(ttl))
	if err != nil {
		return PresignedPut{}, fmt.Errorf("media: presign %s: %w", name, err)
	}
	h := http.Header{}
	for k, v := range req.SignedHeader {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length": // set by every HTTP client itself (browsers forbid them)
		default:
			h[http.CanonicalHeaderKey(k)] = v
		}
	}
	return PresignedPut{URL: req.URL, Method: req.Method, Header: h, Expires: now.Add(ttl)}, nil
}

// compile-time checks.
var (
	_ Storage   = (*S3)(nil)
	_ Presigner = (*S3)(nil)
)

// NewName returns a new random stored-file name with the extension of contentType (a
// type Save can detect), for a file a client uploads directly. ok is false for any other
// type.
func NewName(contentType string) (name string, kind Kind, ok bool, err error) {
	for _, ext := range []string{".mp4", ".mov", ".webm", ".jpg", ".png", ".gif", ".webp"} {
		if ContentType("x"+ext) == contentType {
			kind = Video
			if strings.HasPrefix(contentType, "image/") {
				kind = Image
			}
			name, err = randomName(ext)
			return name, kind, true, err
		}
	}
	return "", 0, false, nil
}
