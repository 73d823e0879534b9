package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// testPartSize is the multipart part size of the S3 storages under test: small, so that a
// few hundred KiB make a multipart upload of several parts.
const testPartSize = 64 << 10

// testStorage is a Storage under test and a way to see everything it holds, unfinished
// uploads included (temporary files of Local, multipart uploads of S3 as "upload:<key>").
type testStorage struct {
	Storage
	contents func(t *testing.T) []string
}

// storageKinds are the storages every test of the Storage contract runs against.
var storageKinds = []struct {
	name string
	new  func(t *testing.T) testStorage
}{
	{"local", func(t *testing.T) testStorage {
		l := newLocal(t)
		return testStorage{l, func(t *testing.T) []string { return dirNames(t, l.Dir()) }}
	}},
	{"s3", func(t *testing.T) testStorage {
		s := newFakeS3(t, testPartSize)
		return testStorage{s, func(t *testing.T) []string { return s3Contents(t, s) }}
	}},
}

// forEachStorage runs test once per storage kind.
func forEachStorage(t *testing.T, test func(t *testing.T, st testStorage)) {
	for _, k := range storageKinds {
		t.Run(k.name, func(t *testing.T) { test(t, k.new(t)) })
	}
}

// newFakeS3 returns an S3 storage on a fresh in-memory gofakes3 server with bucket "media".
func newFakeS3(t testing.TB, partSize int) *S3 {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket("media"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	t.Cleanup(srv.Close)
	return newS3At(t, srv.URL, partSize)
}

func newS3At(t testing.TB, endpoint string, partSize int) *S3 {
	t.Helper()
	s, err := NewS3(context.Background(), S3Config{
		Bucket: "media", Endpoint: endpoint, Region: "us-east-1",
		AccessKeyID: "test", SecretAccessKey: "test", ForcePathStyle: true, PartSize: partSize,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	return s
}

// s3Contents lists every object and every unfinished multipart upload of s's bucket.
func s3Contents(t *testing.T, s *S3) []string {
	t.Helper()
	ctx := context.Background()
	var names []string
	objs, err := s.Client().ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket())})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs.Contents {
		names = append(names, aws.ToString(o.Key))
	}
	ups, err := s.Client().ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(s.Bucket())})
	switch {
	case noUploads(err): // gofakes3's answer for a bucket that never had an upload
		ups = &s3.ListMultipartUploadsOutput{}
	case err != nil:
		t.Fatal(err)
	}
	for _, u := range ups.Uploads {
		names = append(names, "upload:"+aws.ToString(u.Key))
	}
	slices.Sort(names)
	return names
}

// readStored returns the whole stored file name.
func readStored(t *testing.T, s Storage, name string) []byte {
	t.Helper()
	f, err := s.Open(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(b)) != f.Size() {
		t.Errorf("read %d bytes of a file of size %d", len(b), f.Size())
	}
	return b
}

// sum hashes everything r yields.
func sum(t *testing.T, r io.Reader) [32]byte {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		t.Fatal(err)
	}
	return [32]byte(h.Sum(nil))
}

func TestStorageRoundTrip(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		ctx := t.Context()
		const name = "clip.mp4"
		data := []byte("0123456789abcdef")
		n, err := st.Put(ctx, name, bytes.NewReader(data))
		if err != nil || n != int64(len(data)) {
			t.Fatalf("Put = %d, %v; want %d, nil", n, err, len(data))
		}
		f, err := st.Open(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if f.Size() != int64(len(data)) || time.Since(f.ModTime()) > time.Minute {
			t.Errorf("Size, ModTime = %d, %v", f.Size(), f.ModTime())
		}
		if _, err := f.Seek(10, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		rest, err := io.ReadAll(f)
		if err != nil || string(rest) != "abcdef" {
			t.Errorf("read after Seek = %q, %v", rest, err)
		}
		if pos, err := f.Seek(-4, io.SeekEnd); err != nil || pos != 12 {
			t.Errorf("Seek(-4, end) = %d, %v", pos, err)
		}
		if pos, err := f.Seek(-10, io.SeekCurrent); err != nil || pos != 2 {
			t.Errorf("Seek(-10, current) = %d, %v", pos, err)
		}
		b := make([]byte, 3)
		if _, err := io.ReadFull(f, b); err != nil || string(b) != "234" {
			t.Errorf("read after Seek(current) = %q, %v", b, err)
		}
		if _, err := f.Seek(-1, io.SeekStart); err == nil {
			t.Error("Seek to a negative position succeeded")
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}

		// Put replaces an existing file.
		if _, err := st.Put(ctx, name, strings.NewReader("new")); err != nil {
			t.Fatal(err)
		}
		if b := readStored(t, st, name); string(b) != "new" {
			t.Errorf("after a second Put the file holds %q", b)
		}
		if got := st.contents(t); !slices.Equal(got, []string{name}) {
			t.Errorf("storage holds %q, want only %q", got, name)
		}

		if err := st.Delete(ctx, name); err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, name); err != nil {
			t.Errorf("deleting a missing file: %v", err)
		}
		if _, err := st.Open(ctx, name); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of a deleted file: %v, want fs.ErrNotExist", err)
		}
		if got := st.contents(t); len(got) != 0 {
			t.Errorf("storage holds %q after Delete", got)
		}
	})
}

func TestStorageRejectsBadNames(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		ctx := t.Context()
		for _, name := range []string{"../x", "a/b", ".hidden", "", "..", "/x", `..\x`, "a?b", "a%2fb"} {
			if _, err := st.Put(ctx, name, strings.NewReader("data")); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Put(%q) error = %v, want fs.ErrInvalid", name, err)
			}
			if f, err := st.Open(ctx, name); !errors.Is(err, fs.ErrInvalid) {
				if f != nil {
					f.Close()
				}
				t.Errorf("Open(%q) error = %v, want fs.ErrInvalid", name, err)
			}
			if err := st.Delete(ctx, name); !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("Delete(%q) error = %v, want fs.ErrInvalid", name, err)
			}
		}
		if got := st.contents(t); len(got) != 0 {
			t.Errorf("storage holds %q", got)
		}
	})
}

func TestStorageDoneContext(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := st.Put(ctx, "a.mp4", strings.NewReader("x")); !errors.Is(err, context.Canceled) {
			t.Errorf("Put error = %v, want context.Canceled", err)
		}
		if _, err := st.Open(ctx, "a.mp4"); !errors.Is(err, context.Canceled) {
			t.Errorf("Open error = %v, want context.Canceled", err)
		}
		if err := st.Delete(ctx, "a.mp4"); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete error = %v, want context.Canceled", err)
		}
		if err := st.Walk(ctx, func(string, int64, time.Time) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Errorf("Walk error = %v, want context.Canceled", err)
		}
		if got := st.contents(t); len(got) != 0 {
			t.Errorf("storage holds %q", got)
		}
	})
}

func TestStorageWalk(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		ctx := t.Context()
		want := map[string]int64{"a.mp4": 3, "b.jpg": 5, "c.webm": 0, "d.mp4": 3*testPartSize + 7}
		for name, size := range want {
			if _, err := st.Put(ctx, name, &generated{size: size}); err != nil {
				t.Fatal(err)
			}
		}
		got := map[string]int64{}
		err := st.Walk(ctx, func(name string, size int64, modTime time.Time) error {
			if time.Since(modTime) > time.Minute {
				t.Errorf("%s: modTime %v", name, modTime)
			}
			got[name] = size
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(got, want) {
			t.Errorf("Walk listed %v, want %v", got, want)
		}
		calls := 0
		err = st.Walk(ctx, func(string, int64, time.Time) error { calls++; return fs.SkipAll })
		if err != nil || calls != 1 {
			t.Errorf("Walk with SkipAll = %v after %d calls, want nil after 1", err, calls)
		}
		stop := errors.New("stop")
		if err := st.Walk(ctx, func(string, int64, time.Time) error { return stop }); err != stop {
			t.Errorf("Walk = %v, want the callback's error", err)
		}
	})
}

// TestStorageLargeFiles stores files around and above the S3 part size (multipart uploads
// of several parts there) and reads them back whole and by ranges.
func TestStorageLargeFiles(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		ctx := t.Context()
		for _, size := range []int64{testPartSize - 1, testPartSize, testPartSize + 1, 2 * testPartSize, 5*testPartSize + 1234} {
			name := fmt.Sprintf("f%d.mp4", size)
			n, err := st.Put(ctx, name, &generated{head: mp4Isom, size: size})
			if err != nil || n != size {
				t.Fatalf("Put of %d bytes = %d, %v", size, n, err)
			}
			f, err := st.Open(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			if f.Size() != size {
				t.Errorf("Size = %d, want %d", f.Size(), size)
			}
			if got, want := sum(t, f), sum(t, &generated{head: mp4Isom, size: size}); got != want {
				t.Errorf("%d bytes read back differ", size)
			}
			// Seek back into the middle of another part and read across a part boundary.
			off := size - testPartSize/2 - 10
			if _, err := f.Seek(off, io.SeekStart); err != nil {
				t.Fatal(err)
			}
			b := make([]byte, 20)
			if _, err := io.ReadFull(f, b); err != nil {
				t.Fatal(err)
			}
			for i, c := range b {
				if c != byte(off+int64(i)) {
					t.Fatalf("byte %d after Seek(%d) = %d, want %d", i, off, c, byte(off+int64(i)))
				}
			}
			f.Close()
		}
		if got := st.contents(t); len(got) != 5 {
			t.Errorf("storage holds %q, want 5 files and no unfinished upload", got)
		}
	})
}

// TestStorageServeContentRanges serves a stored file with http.ServeContent, as /uploads
// does, and checks single, suffix, open and multiple ranges.
func TestStorageServeContentRanges(t *testing.T) {
	forEachStorage(t, func(t *testing.T, st testStorage) {
		const size = 3*testPartSize + 100
		if _, err := st.Put(t.Context(), "v.mp4", &generated{head: mp4Isom, size: size}); err != nil {
			t.Fatal(err)
		}
		all := make([]byte, size)
		if _, err := io.ReadFull(&generated{head: mp4Isom, size: size}, all); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			f, err := st.Open(r.Context(), "v.mp4")
			if err != nil {
				http.Error(w, err.Error(), http.StatusNotFound)
				return
			}
			defer f.Close()
			w.Header().Set("Content-Type", "video/mp4")
			http.ServeContent(w, r, "v.mp4", f.ModTime(), f)
		}))
		defer srv.Close()
		tests := []struct {
			rng        string
			wantStatus int
			want       []byte
		}{
			{"", http.StatusOK, all},
			{"bytes=100-199", http.StatusPartialContent, all[100:200]},
			{fmt.Sprintf("bytes=%d-%d", testPartSize-5, 2*testPartSize+5), http.StatusPartialContent, all[testPartSize-5 : 2*testPartSize+6]},
			{"bytes=-10", http.StatusPartialContent, all[size-10:]},
			{fmt.Sprintf("bytes=%d-", size-300), http.StatusPartialContent, all[size-300:]},
			{fmt.Sprintf("bytes=%d-", size), http.StatusRequestedRangeNotSatisfiable, nil},
		}
		for _, tt := range tests {
			req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("Range %q: status %d, want %d", tt.rng, resp.StatusCode, tt.wantStatus)
				continue
			}
			if tt.want != nil && !bytes.Equal(body, tt.want) {
				t.Errorf("Range %q: %d bytes differ from the %d expected", tt.rng, len(body), len(tt.want))
			}
		}
		// Two ranges: a multipart/byteranges answer holding both.
		req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
		req.Header.Set("Range", fmt.Sprintf("bytes=0-9,%d-%d", 2*testPartSize, 2*testPartSize+9))
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusPartialContent || !bytes.Contains(body, all[:10]) || !bytes.Contains(body, all[2*testPartSize:2*testPartSize+10]) {
			t.Errorf("two ranges: status %d, body without both ranges", resp.StatusCode)
		}
	})
}

// TestStoragePutFailureLeavesNothing fails Puts midway, after several parts, and checks
// that nothing remains: no file, no temporary file, no unfinished multipart upload.
func TestStoragePutFailureLeavesNothing(t *testing.T) {
	broken := errors.New("connection reset")
	tests := []struct {
		name    string
		body    func(cancel context.CancelFunc) io.Reader
		wantErr error
	}{
		{
			name:    "reader fails after three parts",
			body:    func(context.CancelFunc) io.Reader { return &generated{size: 3*testPartSize + 100, err: broken} },
			wantErr: broken,
		},
		{
			name:    "reader fails within the first part",
			body:    func(context.CancelFunc) io.Reader { return &generated{size: 100, err: broken} },
			wantErr: broken,
		},
		{
			name: "reader cut short",
			body: func(context.CancelFunc) io.Reader {
				return &generated{size: 2*testPartSize + 5, err: io.ErrUnexpectedEOF}
			},
			wantErr: io.ErrUnexpectedEOF,
		},
		{
			name: "context cancelled after two parts",
			body: func(cancel context.CancelFunc) io.Reader {
				return io.MultiReader(&generated{size: 2*testPartSize + 10},
					readerFunc(func([]byte) (int, error) { cancel(); return 0, nil }),
					&generated{size: 2 * testPartSize})
			},
			wantErr: context.Canceled,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachStorage(t, func(t *testing.T, st testStorage) {
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				_, err := st.Put(ctx, "x.mp4", tt.body(cancel))
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("error = %v, want %v", err, tt.wantErr)
				}
				if got := st.contents(t); len(got) != 0 {
					t.Errorf("storage holds %q after a failed Put", got)
				}
			})
		})
	}
}

func TestNewS3Config(t *testing.T) {
	if _, err := NewS3(t.Context(), S3Config{}); err == nil {
		t.Error("NewS3 without a bucket succeeded")
	}
	if _, err := NewS3(t.Context(), S3Config{Bucket: "b", PartSize: 100}); err == nil {
		t.Error("NewS3 with a part smaller than the sniffed head succeeded")
	}
	s, err := NewS3(t.Context(), S3Config{Bucket: "nope", Endpoint: "http://127.0.0.1:1", Region: "us-east-1",
		AccessKeyID: "a", SecretAccessKey: "b", ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := s.CheckBucket(ctx); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("CheckBucket of an unreachable service = %v, want an error naming the bucket", err)
	}
}

func TestS3MissingBucket(t *testing.T) {
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	s, err := NewS3(t.Context(), S3Config{Bucket: "media", Endpoint: srv.URL, Region: "us-east-1",
		AccessKeyID: "a", SecretAccessKey: "b", ForcePathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckBucket(t.Context()); err == nil {
		t.Error("CheckBucket of a missing bucket succeeded")
	}
}

func TestS3RemoveStaleTemp(t *testing.T) {
	s := newFakeS3(t, testPartSize)
	ctx := t.Context()
	for _, k := range []string{"a.mp4", "b.mp4"} {
		if _, err := s.Client().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("media"), Key: aws.String(k)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Put(ctx, "kept.mp4", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveStaleTemp(ctx, time.Now().Add(-time.Hour), false); err != nil || n != 0 {
		t.Fatalf("uploads begun after the cutoff: %d, %v; want 0", n, err)
	}
	future := time.Now().Add(time.Hour)
	if n, err := s.RemoveStaleTemp(ctx, future, true); err != nil || n != 2 {
		t.Fatalf("dry run: %d, %v; want 2", n, err)
	}
	if n, err := s.RemoveStaleTemp(ctx, future, false); err != nil || n != 2 {
		t.Fatalf("remove: %d, %v; want 2", n, err)
	}
	if got := s3Contents(t, s); !slices.Equal(got, []string{"kept.mp4"}) {
		t.Errorf("bucket holds %q, want only kept.mp4", got)
	}
}

func TestS3PresignPut(t *testing.T) {
	s := newFakeS3(t, testPartSize)
	ctx := t.Context()
	p, err := s.PresignPut(ctx, "up.mp4", "video/mp4", 1000, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if p.Method != http.MethodPut || !strings.Contains(p.URL, "/media/up.mp4?") || time.Until(p.Expires) < 9*time.Minute {
		t.Errorf("presigned %s %s until %v", p.Method, p.URL, p.Expires)
	}
	signed := strings.ToLower(p.URL)
	for _, h := range []string{"content-length", "content-type", "host"} {
		if !strings.Contains(signed, h) {
			t.Errorf("%s is not among the signed headers of %s", h, p.URL)
		}
	}
	if p.Header.Get("Content-Type") != "video/mp4" || p.Header.Get("Host") != "" || p.Header.Get("Content-Length") != "" {
		t.Errorf("headers to send: %v", p.Header)
	}
	// The request works as given (the fake server checks no signature, the path and
	// method are what matter here).
	body := &generated{head: mp4Isom, size: 1000}
	req, _ := http.NewRequestWithContext(ctx, p.Method, p.URL, body)
	req.ContentLength = 1000
	req.Header = p.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("presigned PUT: %s", resp.Status)
	}
	if got := readStored(t, s, "up.mp4"); len(got) != 1000 || !bytes.HasPrefix(got, mp4Isom) {
		t.Errorf("stored %d bytes", len(got))
	}
	if _, err := s.PresignPut(ctx, "../x", "video/mp4", 1, time.Minute); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("presign of a bad name: %v", err)
	}
}

// sinkS3 is a minimal S3 multipart endpoint that discards what it is sent and counts it,
// so that a Put's own memory can be measured without a server holding the file.
type sinkS3 struct {
	received atomic.Int64
}

func (s *sinkS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Has("uploads"):
		fmt.Fprint(w, `<InitiateMultipartUploadResult><Bucket>media</Bucket><Key>k</Key><UploadId>u1</UploadId></InitiateMultipartUploadResult>`)
	case r.Method == http.MethodPut:
		n, _ := io.Copy(io.Discard, r.Body)
		s.received.Add(n)
		w.Header().Set("ETag", `"e`+q.Get("partNumber")+`"`)
	case r.Method == http.MethodPost && q.Has("uploadId"):
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, `<CompleteMultipartUploadResult><Bucket>media</Bucket><Key>k</Key><ETag>"x"</ETag></CompleteMultipartUploadResult>`)
	case r.Method == http.MethodHead:
	default:
		http.Error(w, "unexpected "+r.Method+" "+r.URL.String(), http.StatusBadRequest)
	}
}

// countingReader yields a generated file and records the most bytes it ever handed out
// ahead of what the server had received: the bytes Put held in memory.
type countingReader struct {
	generated
	sink     *sinkS3
	maxAhead int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.generated.Read(p)
	c.maxAhead = max(c.maxAhead, c.off-c.sink.received.Load())
	return n, err
}

// TestS3PutMemoryBounded streams a large file (200 MiB with MEDIA_BIG_PUT=1, else 48 MiB)
// through Put with the default 8 MiB parts to a server that discards it: Put never holds
// more than one part, and allocates little beyond its part buffer.
func TestS3PutMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 48 MiB")
	}
	size := int64(48 << 20)
	if os.Getenv("MEDIA_BIG_PUT") == "1" {
		size = 200 << 20
	}
	sink := &sinkS3{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	s := newS3At(t, srv.URL, 0)
	body := &countingReader{generated: generated{head: mp4Isom, size: size}, sink: sink}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	n, err := s.Put(t.Context(), "big.mp4", body)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil || n != size {
		t.Fatalf("Put = %d, %v", n, err)
	}
	if sink.received.Load() != size {
		t.Errorf("server received %d bytes, want %d", sink.received.Load(), size)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("Put of %d MiB in %v: allocated %d KiB in all, at most %d KiB read ahead of the server, heap in use %d KiB after",
		size>>20, elapsed.Round(time.Millisecond), alloc>>10, body.maxAhead>>10, after.HeapInuse>>10)
	if body.maxAhead > DefaultPartSize {
		t.Errorf("Put read %d bytes ahead of the server, want at most one part (%d)", body.maxAhead, DefaultPartSize)
	}
	if alloc >= 24<<20 {
		t.Errorf("Put of %d MiB allocated %d KiB, want < 24 MiB", size>>20, alloc>>10)
	}
}
