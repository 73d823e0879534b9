package load

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"
)

// conn is one worker's keep-alive HTTP/1.1 connection. It writes each request in one
// buffered write and reads the response synchronously, without net/http's transport
// goroutines and per-request allocations: on a small machine the load generator shares
// the cores with the server and the database, so every microsecond it spends is taken
// from what it measures (net/http's client costs about 40 % more CPU per request).
type conn struct {
	addr, host string
	timeout    time.Duration
	mu         sync.Mutex // guards c against interrupt
	stopped    bool
	c          net.Conn
	br         *bufio.Reader
	bw         *bufio.Writer
	line       []byte
}

func newConn(addr, host string, timeout time.Duration) *conn {
	return &conn{addr: addr, host: host, timeout: timeout}
}

func (c *conn) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

// interrupt aborts the request in flight, if any, and every later one.
func (c *conn) interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	if c.c != nil {
		_ = c.c.SetDeadline(time.Now())
	}
}

// do sends r and reads the response, copying the body into body when it is not nil and
// discarding it otherwise. It reconnects when the server closed the connection.
func (c *conn) do(r *Request, body *bytes.Buffer) (int, error) {
	status, err := c.try(r, body)
	if err != nil && c.reused(err) {
		// The server closed an idle connection just as we reused it: once more on a new one.
		c.close()
		status, err = c.try(r, body)
	}
	if err != nil {
		c.close()
	}
	return status, err
}

var errStaleConn = errors.New("stale connection")

func (c *conn) reused(err error) bool { return errors.Is(err, errStaleConn) }

func (c *conn) try(r *Request, body *bytes.Buffer) (int, error) {
	fresh := false
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
		if err != nil {
			return 0, err
		}
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			nc.Close()
			return 0, errors.New("interrupted")
		}
		c.c, fresh = nc, true
		c.mu.Unlock()
		if c.br == nil {
			c.br, c.bw = bufio.NewReaderSize(nc, 32<<10), bufio.NewWriterSize(nc, 8<<10)
		} else {
			c.br.Reset(nc)
			c.bw.Reset(nc)
		}
	}
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		return 0, errors.New("interrupted")
	}
	err := c.c.SetDeadline(time.Now().Add(c.timeout))
	c.mu.Unlock()
	if err != nil {
		return 0, err
	}
	w := c.bw
	w.WriteString(r.Method)
	w.WriteByte(' ')
	w.WriteString(r.Path)
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(c.host)
	w.WriteString("\r\nUser-Agent: tiktok-loadgen\r\n")
	if r.Token != "" {
		w.WriteString("Authorization: Bearer ")
		w.WriteString(r.Token)
		w.WriteString("\r\n")
	}
	if r.Body != nil || r.Method == "POST" || r.Method == "PUT" || r.Method == "PATCH" {
		if r.Body != nil {
			ct := r.ContentType
			if ct == "" {
				ct = "application/json"
			}
			w.WriteString("Content-Type: ")
			w.WriteString(ct)
			w.WriteString("\r\n")
		}
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(r.Body)))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(r.Body)
	if err := w.Flush(); err != nil {
		return 0, c.staleIf(!fresh, err)
	}
	return c.readResponse(r.Method == "HEAD", body, !fresh)
}

// staleIf marks an error on a reused connection before any response byte as retryable.
func (c *conn) staleIf(reused bool, err error) error {
	if reused && (errors.Is(err, io.EOF) || isReset(err)) {
		return fmt.Errorf("%w: %w", errStaleConn, err)
	}
	return err
}

func isReset(err error) bool {
	var op *net.OpError
	return errors.As(err, &op)
}

func (c *conn) readLine() ([]byte, error) {
	c.line = c.line[:0]
	for {
		frag, err := c.br.ReadSlice('\n')
		c.line = append(c.line, frag...)
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return nil, err
		}
		if len(c.line) > 64<<10 {
			return nil, errors.New("response line too long")
		}
	}
	return bytes.TrimRight(c.line, "\r\n"), nil
}

func (c *conn) readResponse(head bool, body *bytes.Buffer, reused bool) (int, error) {
	line, err := c.readLine()
	if err != nil {
		return 0, c.staleIf(reused, err)
	}
	// "HTTP/1.1 200 OK"
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("malformed status line %q", line)
	}
	length, chunked, closeAfter := int64(-1), false, false
	for {
		line, err := c.readLine()
		if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length, err = strconv.ParseInt(string(value), 10, 64); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		case asciiEqualFold(name, "Connection"):
			closeAfter = asciiEqualFold(value, "close")
		}
	}
	var dst io.Writer = io.Discard
	if body != nil {
		dst = body
	}
	switch {
	case head || status == 204 || status == 304 || status/100 == 1:
	case chunked:
		err = c.readChunked(dst)
	case length >= 0:
		_, err = io.CopyN(dst, c.br, length)
	default: // until the server closes
		_, err = io.Copy(dst, c.br)
		closeAfter = true
	}
	if err != nil {
		return 0, err
	}
	if closeAfter {
		c.close()
	}
	return status, nil
}

func (c *conn) readChunked(dst io.Writer) error {
	for {
		line, err := c.readLine()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers, up to the empty line
				l, err := c.readLine()
				if err != nil {
					return err
				}
				if len(l) == 0 {
					return nil
				}
			}
		}
		if _, err := io.CopyN(dst, c.br, n); err != nil {
			return err
		}
		if l, err := c.readLine(); err != nil || len(l) != 0 {
			return fmt.Errorf("chunk not followed by CRLF: %v", err)
		}
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
