package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/gotok/tiktok/internal/postgres/internal/db"
	"github.com/gotok/tiktok/internal/readpref"
)

// Read replicas (docs/design.md, "Read replicas"). With replicas, the Store's queries go
// through a router: every statement of a transaction, every Exec and every statement that
// may write runs on the primary; a read-only statement runs on a replica when the request
// allows it (readpref, set by the HTTP layer for GET requests), the replica is in rotation,
// and it has replayed the last write of the request's writer. A replica read that fails
// because the replica is unreachable, shutting down, in conflict with recovery or asked to
// write is run again on the primary.

// DefaultReplicaMaxLag is the default of ReplicaOptions.MaxLag (REPLICA_MAX_LAG).
const DefaultReplicaMaxLag = 5 * time.Second

// ReplicaOptions configure a Store's read replicas.
type ReplicaOptions struct {
	// MaxLag takes a replica out of rotation when it is this far behind the primary: the
	// age of the oldest primary WAL position it has not replayed yet (0: DefaultReplicaMaxLag).
	MaxLag time.Duration
	// CheckInterval is how often the health check asks the primary and every replica for
	// their WAL positions (0: one second).
	CheckInterval time.Duration
	// Positions remembers the writers' last WAL positions (nil: in this process's memory,
	// NewMemoryPositions). A shared implementation lets several servers honour each
	// other's writes.
	Positions WritePositions
	// Logger reports replicas entering and leaving rotation (nil: discarded).
	Logger *slog.Logger
}

// WritePositions remembers, for a while, the primary's WAL position just after the last
// write of each writer (readpref.Pref.Writer), so that the writer's reads go only to a
// replica that has replayed it. A lost or forgotten position only sends reads to the
// primary sooner or later than needed if Lookup errs on the side of a higher position.
type WritePositions interface {
	// Remember records that writer's last write ended at or before lsn.
	Remember(ctx context.Context, writer string, lsn uint64)
	// Lookup returns the WAL position a replica must have replayed to answer writer's
	// reads (0: any replica in rotation).
	Lookup(ctx context.Context, writer string) uint64
}

// ReplicaStats is a snapshot of the read routing.
type ReplicaStats struct {
	// PrimaryReads counts read-only statements answered by the primary, Fallbacks the
	// replica reads that failed and were answered by the primary instead, Misrouted those
	// among them that a replica refused because they write.
	PrimaryReads, Fallbacks, Misrouted uint64
	Replicas                           []ReplicaStat
}

// ReplicaStat is one replica's state.
type ReplicaStat struct {
	Name     string // replica0, replica1, ... in the order configured
	Up       bool   // in rotation
	Reads    uint64 // read-only statements it answered
	LagBytes uint64 // WAL bytes behind the primary at the last check
	Lag      time.Duration
}

// OpenReplica is Open for a read replica: connection attempts give up sooner, so that a
// replica that stopped answering costs a read little before it is retried on the primary.
func OpenReplica(ctx context.Context, url string) (*pgxpool.Pool, error) {
	return open(ctx, url, "DATABASE_REPLICA_URLS", 2*time.Second)
}

// readTx runs fn, which only reads, in a transaction on a replica when the request allows
// it (else, or when the replica fails, on the primary).
func (s *Store) readTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if s.router != nil {
		if rep := s.router.pick(ctx, true); rep != nil {
			rep.reads.Add(1)
			err := pgx.BeginFunc(ctx, rep.pool, fn)
			if err == nil || !s.router.fallback(ctx, rep, err) {
				return err
			}
			rep.reads.Add(^uint64(0))
		}
		s.router.primaryReads.Add(1)
	}
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// NewStoreWithReplicas returns a Store on primary that sends the reads requests allow
// (readpref) to replicas. It checks every replica once before it returns (for at most a
// couple of seconds) and then every opts.CheckInterval until Close. Without replicas it
// is NewStore.
func NewStoreWithReplicas(ctx context.Context, primary *pgxpool.Pool, replicas []*pgxpool.Pool, opts ReplicaOptions) *Store {
	s := NewStore(primary)
	if len(replicas) == 0 {
		return s
	}
	r := newRouter(primary, replicas, opts)
	s.router = r
	s.q = db.New(r)
	r.check(ctx)
	loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(loopCtx)
	}()
	r.stop = func() { cancel(); <-done }
	return s
}

// Close stops the replicas' health check. It does not close the pools.
func (s *Store) Close() {
	if s.router != nil && s.router.stop != nil {
		s.router.stop()
	}
}

// ReplicaStats returns the read routing's counters and each replica's state (the zero
// value without replicas).
func (s *Store) ReplicaStats() ReplicaStats {
	if s.router == nil {
		return ReplicaStats{}
	}
	return s.router.stats()
}

// CheckReplicas runs the replicas' health check now (tests; the Store runs it by itself).
func (s *Store) CheckReplicas(ctx context.Context) {
	if s.router != nil {
		s.router.check(ctx)
	}
}

// noteWriter remembers the primary's current WAL position for writer, whose write has just
// committed outside a request's own writer (a user who registers).
func (s *Store) noteWriter(ctx context.Context, writer string) {
	if s.router != nil {
		s.router.noteWriter(ctx, writer)
	}
}

// noteWrite remembers the primary's WAL position for the request's writer after a
// transaction committed.
func (s *Store) noteWrite(ctx context.Context) {
	if s.router != nil {
		s.router.wrote(ctx)
	}
}

type replica struct {
	name     string
	pool     *pgxpool.Pool
	up       atomic.Bool
	checked  atomic.Int64 // unix nanoseconds of the last successful check
	replayed atomic.Uint64
	lagBytes atomic.Uint64
	lag      atomic.Int64
	reads    atomic.Uint64
}

// walSample is the primary's insert position at a time.
type walSample struct {
	at  time.Time
	lsn uint64
}

// router is the db.DBTX of a Store with replicas.
type router struct {
	primary   *pgxpool.Pool
	replicas  []*replica
	positions WritePositions
	maxLag    time.Duration
	interval  time.Duration
	timeout   time.Duration // of one health check
	log       *slog.Logger
	stop      func()

	next                              atomic.Uint32
	primaryReads, fallbacks, misroute atomic.Uint64
	classes                           sync.Map // sqlc query name → read-only

	mu      sync.Mutex
	samples []walSample // ring of the primary's recent positions, oldest at head
	head    int
	full    bool
}

// WriteWindow is how long writers' positions must be remembered for the options' MaxLag
// and CheckInterval (zero: their defaults): the TTL of a shared WritePositions.
func WriteWindow(opts ReplicaOptions) time.Duration {
	return newRouterTimes(opts).window()
}

// newRouterTimes is a router with only the options' times, defaults applied.
func newRouterTimes(opts ReplicaOptions) *router {
	r := &router{maxLag: opts.MaxLag, interval: opts.CheckInterval}
	if r.maxLag <= 0 {
		r.maxLag = DefaultReplicaMaxLag
	}
	if r.interval <= 0 {
		r.interval = time.Second
	}
	return r
}

// window is how long a writer's position must be remembered: past it, any replica that
// has not replayed the write has been behind by more than maxLag for long enough for the
// health check to take it out of rotation (its lag is measured from the first primary
// sample after the write, and the check, or the staleness rule, is at most two intervals
// old).
func (r *router) window() time.Duration { return r.maxLag + 4*r.interval + time.Second }

func newRouter(primary *pgxpool.Pool, pools []*pgxpool.Pool, opts ReplicaOptions) *router {
	r := &router{primary: primary, maxLag: opts.MaxLag, interval: opts.CheckInterval, log: opts.Logger}
	if r.maxLag <= 0 {
		r.maxLag = DefaultReplicaMaxLag
	}
	if r.interval <= 0 {
		r.interval = time.Second
	}
	r.timeout = max(r.interval, 2*time.Second)
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	r.positions = opts.Positions
	if r.positions == nil {
		r.positions = NewMemoryPositions(r.window(), DefaultMaxWriters, time.Now)
	}
	for i, p := range pools {
		r.replicas = append(r.replicas, &replica{name: fmt.Sprintf("replica%d", i), pool: p})
	}
	n := int(2*r.window()/r.interval) + 2
	r.samples = make([]walSample, min(max(n, 16), 4096))
	return r
}

// --- routing ---

// Exec always runs on the primary: sqlc's :exec statements are writes or locks.
func (r *router) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	tag, err := r.primary.Exec(ctx, sql, args...)
	if err == nil {
		r.wrote(ctx)
	}
	return tag, err
}

// Query runs a read-only statement on a replica when it may, else on the primary. A
// replica's result is read whole before Query returns (replicaResult), so that a replica
// failing at any point of it, even after the first rows, costs the read a retry on the
// primary rather than an error.
func (r *router) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	ro := r.readOnly(sql)
	if rep := r.pick(ctx, ro); rep != nil {
		rows, err := readReplica(ctx, rep.pool, sql, args)
		if err == nil {
			rep.reads.Add(1)
			return rows, nil
		}
		if !r.fallback(ctx, rep, err) {
			return nil, err
		}
	}
	rows, err := r.primary.Query(ctx, sql, args...)
	if ro {
		r.primaryReads.Add(1)
	} else if err == nil && readpref.From(ctx).Writer != "" {
		return &writeRows{Rows: rows, done: func() { r.wrote(ctx) }}, nil
	}
	return rows, err
}

// QueryRow is Query for one row.
func (r *router) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	ro := r.readOnly(sql)
	if rep := r.pick(ctx, ro); rep != nil {
		rep.reads.Add(1)
		return replicaRow{row: rep.pool.QueryRow(ctx, sql, args...), retry: func(err error) (pgx.Row, bool) {
			if !r.fallback(ctx, rep, err) {
				return nil, false
			}
			rep.reads.Add(^uint64(0))
			r.primaryReads.Add(1)
			return r.primary.QueryRow(ctx, sql, args...), true
		}}
	}
	row := r.primary.QueryRow(ctx, sql, args...)
	if ro {
		r.primaryReads.Add(1)
	} else if readpref.From(ctx).Writer != "" {
		return writeRow{row: row, done: func() { r.wrote(ctx) }}
	}
	return row
}

// pick returns the replica that answers a statement, or nil for the primary.
func (r *router) pick(ctx context.Context, readOnly bool) *replica {
	if !readOnly {
		return nil
	}
	p := readpref.From(ctx)
	if !p.Replica {
		return nil
	}
	var need uint64
	if p.Writer != "" {
		need = r.need(ctx, p)
	}
	stale := time.Now().Add(-3 * r.interval).UnixNano()
	n := uint32(len(r.replicas))
	start := r.next.Add(1)
	for i := uint32(0); i < n; i++ {
		rep := r.replicas[(start+i)%n]
		if rep.up.Load() && rep.checked.Load() >= stale && rep.replayed.Load() >= need {
			return rep
		}
	}
	return nil
}

// need is the position p.Writer's reads need: looked up once per request when the
// request carries a readpref.Need, on every statement otherwise.
func (r *router) need(ctx context.Context, p readpref.Pref) uint64 {
	if p.Need == nil {
		return r.positions.Lookup(ctx, p.Writer)
	}
	if lsn, ok := p.Need.Get(); ok {
		return lsn
	}
	lsn := r.positions.Lookup(ctx, p.Writer)
	p.Need.Set(lsn)
	lsn, _ = p.Need.Get()
	return lsn
}

// fallback reports whether a replica read that failed with err should run on the primary
// instead, taking the replica out of rotation when it is unreachable or going away.
func (r *router) fallback(ctx context.Context, rep *replica, err error) bool {
	if err == nil || errors.Is(err, pgx.ErrNoRows) || ctx.Err() != nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "25006": // read_only_sql_transaction: a statement that writes
			r.misroute.Add(1)
			r.log.Warn("a statement routed to a replica writes; it ran on the primary", "replica", rep.name, "err", err)
		case pgErr.Code == "40001" || pgErr.Code == "53300": // conflict with recovery, too many connections
		case strings.HasPrefix(pgErr.Code, "57P") || strings.HasPrefix(pgErr.Code, "08"):
			r.down(rep, err)
		default:
			return false // the statement's own fault: the primary would refuse it too
		}
		r.fallbacks.Add(1)
		return true
	}
	if pgconn.SafeToRetry(err) || isConnError(err) || isBrokenConn(err) || errors.Is(err, context.DeadlineExceeded) {
		r.down(rep, err)
		r.fallbacks.Add(1)
		return true
	}
	return false
}

func (r *router) down(rep *replica, err error) {
	if rep.up.Swap(false) {
		r.log.Warn("replica out of rotation", "replica", rep.name, "err", err)
	}
}

// writeWords are the words that make a SELECT or WITH statement one for the primary.
var writeWords = regexp.MustCompile(`(?i)\b(insert|update|delete|merge|truncate|share|nextval|setval|pg_notify|pg_advisory_\w+|add_interest)\b`)

// readOnly reports whether sql only reads: a SELECT or WITH without data-modifying
// statements or row locks. sqlc names each query on its first line ("-- name: GetVideo
// :one"); the answer is kept per name. A statement misjudged as a read fails on the
// replica (read-only transaction) and runs on the primary.
func (r *router) readOnly(sql string) bool {
	name := ""
	if strings.HasPrefix(sql, "-- name: ") {
		if i := strings.IndexByte(sql, '\n'); i > 0 {
			name = sql[:i]
			if v, ok := r.classes.Load(name); ok {
				return v.(bool)
			}
		}
	}
	ro := classify(sql)
	if name != "" {
		r.classes.Store(name, ro)
	}
	return ro
}

func classify(sql string) bool {
	body := sql
	for {
		body = strings.TrimLeft(body, " \t\r\n")
		if !strings.HasPrefix(body, "--") {
			break
		}
		i := strings.IndexByte(body, '\n')
		if i < 0 {
			return false
		}
		body = body[i+1:]
	}
	n := 0
	for n < len(body) && (body[n]|0x20 >= 'a' && body[n]|0x20 <= 'z') {
		n++
	}
	if first := strings.ToUpper(body[:n]); first != "SELECT" && first != "WITH" {
		return false
	}
	return !writeWords.MatchString(body)
}

// replicaResult is a replica's whole result, read before it is handed over, on the
// connection it came from: the connection is held, as a pgx.Rows holds it, until Close,
// and its type map decodes the values. The statements are the generated queries, whose
// results are bounded by their LIMITs (pages, export batches), so the copy is small.
type replicaResult struct {
	conn   *pgxpool.Conn
	fields []pgconn.FieldDescription
	buf    *replicaBuffer // every value's bytes (data), located row after row (spans)
	rows   int
	row    [][]byte // the current row's values (RawValues)
	tag    pgconn.CommandTag
	i      int // the current row is the i-th (from 1)
	closed bool
	plans  []pgtype.ScanPlan // per column, for the destination type in types
	types  []reflect.Type
}

// readReplica runs sql on pool and reads its whole result; any error, whether before or
// after the first row, is returned with nothing read.
func readReplica(ctx context.Context, pool *pgxpool.Pool, sql string, args []any) (*replicaResult, error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		conn.Release()
		return nil, err
	}
	// The field descriptions stay valid while the connection is held: no other statement
	// runs on it until Close. The values are copied into one byte slice and located by
	// offsets, which the garbage collector need not scan (a slice of []byte per value
	// cost a sixth of the server's CPU on a page of videos).
	res := &replicaResult{conn: conn, fields: rows.FieldDescriptions(), buf: replicaBuffers.Get().(*replicaBuffer)}
	n := len(res.fields)
	data, spans := res.buf.data[:0], res.buf.spans[:0]
	for rows.Next() {
		for _, v := range rows.RawValues() {
			if v == nil {
				spans = append(spans, valueSpan{start: -1})
				continue
			}
			spans = append(spans, valueSpan{start: int32(len(data)), end: int32(len(data) + len(v))})
			data = append(data, v...)
		}
	}
	res.buf.data, res.buf.spans = data, spans
	rows.Close()
	if err := rows.Err(); err != nil {
		res.Close()
		return nil, err
	}
	res.tag = rows.CommandTag()
	if n > 0 {
		res.rows = len(res.buf.spans) / n
		res.row = make([][]byte, n)
	}
	return res, nil
}

// replicaBuffer holds a replica result's copy. The buffers are reused: a result gives its
// own back at Close, when its values have been scanned (pgx's scan plans copy what they
// keep, as RawValues are only valid until the next row for pgx's own Rows too). A buffer
// grown past maxReplicaBuffer is left to the garbage collector.
type replicaBuffer struct {
	data  []byte
	spans []valueSpan
}

const maxReplicaBuffer = 1 << 20

var replicaBuffers = sync.Pool{New: func() any {
	return &replicaBuffer{data: make([]byte, 0, 8<<10), spans: make([]valueSpan, 0, 256)}
}}

// valueSpan locates a value in replicaBuffer.data: data[start:end], or NULL when start < 0.
type valueSpan struct{ start, end int32 }

func (f *replicaResult) Close() {
	if f.closed {
		return
	}
	f.closed = true
	f.conn.Release()
	if cap(f.buf.data) <= maxReplicaBuffer && cap(f.buf.spans) <= maxReplicaBuffer/8 {
		replicaBuffers.Put(f.buf)
	}
	f.buf, f.row = nil, nil
}

func (f *replicaResult) Err() error                                   { return nil }
func (f *replicaResult) CommandTag() pgconn.CommandTag                { return f.tag }
func (f *replicaResult) FieldDescriptions() []pgconn.FieldDescription { return f.fields }

// Conn is the connection the result came from, nil once Close gave it back to the pool.
func (f *replicaResult) Conn() *pgx.Conn {
	if f.closed {
		return nil
	}
	return f.conn.Conn()
}

// TypeMap is the connection's, nil once closed.
func (f *replicaResult) TypeMap() *pgtype.Map {
	if f.closed {
		return nil
	}
	return f.conn.Conn().TypeMap()
}

func (f *replicaResult) Next() bool {
	if f.closed || f.i >= f.rows {
		f.Close()
		return false
	}
	n := len(f.fields)
	for j, sp := range f.buf.spans[f.i*n : (f.i+1)*n] {
		if sp.start < 0 {
			f.row[j] = nil
		} else {
			f.row[j] = f.buf.data[sp.start:sp.end:sp.end]
		}
	}
	f.i++
	return true
}

func (f *replicaResult) RawValues() [][]byte {
	if f.i == 0 || f.closed {
		return nil
	}
	return f.row
}

func (f *replicaResult) Scan(dest ...any) error {
	if f.closed {
		return errors.New("rows is closed")
	}
	if len(dest) == 1 {
		if rs, ok := dest[0].(pgx.RowScanner); ok {
			return rs.ScanRow(f)
		}
	}
	values := f.RawValues()
	if len(values) != len(f.fields) || len(dest) != len(f.fields) {
		f.Close() // as pgx's own Rows
		return fmt.Errorf("scan: %d values, %d columns, %d destinations", len(values), len(f.fields), len(dest))
	}
	// Each column's plan is kept for the next rows, as pgx's own Rows keeps it.
	if f.plans == nil {
		f.plans = make([]pgtype.ScanPlan, len(dest))
		f.types = make([]reflect.Type, len(dest))
	}
	for i, d := range dest {
		if d == nil {
			continue
		}
		if t := reflect.TypeOf(d); f.plans[i] == nil || f.types[i] != t {
			f.plans[i] = f.TypeMap().PlanScan(f.fields[i].DataTypeOID, f.fields[i].Format, d)
			f.types[i] = t
		}
		if err := f.plans[i].Scan(values[i], d); err != nil {
			f.Close()
			return pgx.ScanArgError{ColumnIndex: i, FieldName: f.fields[i].Name, Err: err}
		}
	}
	return nil
}

// Values decodes the current row as pgx's own Rows does.
func (f *replicaResult) Values() ([]any, error) {
	if f.closed {
		return nil, errors.New("rows is closed")
	}
	m := f.TypeMap()
	row := f.RawValues()
	out := make([]any, len(row))
	for i, buf := range row {
		if buf == nil {
			continue
		}
		fd := f.fields[i]
		if dt, ok := m.TypeForOID(fd.DataTypeOID); ok {
			v, err := dt.Codec.DecodeValue(m, fd.DataTypeOID, fd.Format, buf)
			if err != nil {
				return nil, err
			}
			out[i] = v
		} else if fd.Format == pgx.TextFormatCode {
			out[i] = string(buf)
		} else {
			out[i] = slices.Clone(buf)
		}
	}
	return out, nil
}

type replicaRow struct {
	row   pgx.Row
	retry func(error) (pgx.Row, bool)
}

func (f replicaRow) Scan(dest ...any) error {
	err := f.row.Scan(dest...)
	if err == nil {
		return nil
	}
	if row, ok := f.retry(err); ok {
		return row.Scan(dest...)
	}
	return err
}

// writeRows and writeRow remember the writer's position once a writing statement's result
// has been read, which is when it has committed.
type writeRows struct {
	pgx.Rows
	done func()
}

func (w *writeRows) Close() {
	w.Rows.Close()
	if w.done != nil && w.Rows.Err() == nil {
		w.done()
	}
	w.done = nil
}

func (w *writeRows) Next() bool {
	if w.Rows.Next() {
		return true
	}
	w.Close()
	return false
}

type writeRow struct {
	row  pgx.Row
	done func()
}

func (w writeRow) Scan(dest ...any) error {
	err := w.row.Scan(dest...)
	if err == nil {
		w.done()
	}
	return err
}

// --- read-your-writes ---

const lsnQuery = "SELECT (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint"

// wrote remembers the primary's position for the writer of ctx, if any.
func (r *router) wrote(ctx context.Context) {
	if w := readpref.From(ctx).Writer; w != "" {
		r.noteWriter(ctx, w)
	}
}

func (r *router) noteWriter(ctx context.Context, writer string) {
	var lsn int64
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := r.primary.QueryRow(ctx, lsnQuery).Scan(&lsn); err != nil {
		lsn = math.MaxInt64 // unknown: the writer reads from the primary for a while
	}
	r.positions.Remember(ctx, writer, uint64(lsn))
	if p := readpref.From(ctx); p.Need != nil && p.Writer == writer {
		p.Need.Raise(uint64(lsn))
	}
}

// DefaultMaxWriters bounds the writers the memory positions hold at once.
const DefaultMaxWriters = 100_000

// memoryPositions keeps positions in two generations of a map, each spanning ttl: a
// position lives from ttl to 2×ttl. When more than max writers wrote within a generation,
// both are dropped and their highest position becomes a floor every writer must see
// until the dropped positions would have expired — reads then favour the primary, never
// miss a write.
type memoryPositions struct {
	mu         sync.Mutex
	ttl        time.Duration
	max        int
	now        func() time.Time
	cur, prev  map[string]uint64
	curMax     uint64
	prevMax    uint64
	since      time.Time
	floor      uint64
	floorUntil time.Time
}

// NewMemoryPositions returns WritePositions held in this process's memory for ttl, for at
// most maxWriters writers at once.
func NewMemoryPositions(ttl time.Duration, maxWriters int, now func() time.Time) WritePositions {
	return &memoryPositions{ttl: ttl, max: maxWriters, now: now, cur: map[string]uint64{}, since: now()}
}

func (m *memoryPositions) rotate(now time.Time) {
	if now.Sub(m.since) < m.ttl {
		return
	}
	if now.Sub(m.since) >= 2*m.ttl {
		m.prev, m.prevMax = nil, 0
	} else {
		m.prev, m.prevMax = m.cur, m.curMax
	}
	m.cur, m.curMax, m.since = map[string]uint64{}, 0, now
}

func (m *memoryPositions) Remember(_ context.Context, writer string, lsn uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.rotate(now)
	if lsn > m.cur[writer] {
		m.cur[writer] = lsn
	}
	m.curMax = max(m.curMax, lsn)
	if len(m.cur) > m.max {
		m.floor = max(m.floor, m.curMax, m.prevMax)
		m.floorUntil = now.Add(2 * m.ttl)
		m.cur, m.prev, m.curMax, m.prevMax, m.since = map[string]uint64{}, nil, 0, 0, now
	}
}

func (m *memoryPositions) Lookup(_ context.Context, writer string) uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.rotate(now)
	v := max(m.cur[writer], m.prev[writer])
	if now.Before(m.floorUntil) {
		v = max(v, m.floor)
	}
	return v
}

// --- health ---

func (r *router) run(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check(ctx)
		}
	}
}

// check samples the primary's position, then each replica's, and puts each replica in or
// out of rotation.
func (r *router) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	var lsn int64
	if err := r.primary.QueryRow(ctx, lsnQuery).Scan(&lsn); err == nil {
		r.mu.Lock()
		r.samples[r.head] = walSample{at: time.Now(), lsn: uint64(lsn)}
		r.head = (r.head + 1) % len(r.samples)
		r.full = r.full || r.head == 0
		r.mu.Unlock()
	}
	var wg sync.WaitGroup
	for _, rep := range r.replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.checkReplica(ctx, rep)
		}()
	}
	wg.Wait()
}

func (r *router) checkReplica(ctx context.Context, rep *replica) {
	var standby bool
	var replayed int64
	err := rep.pool.QueryRow(ctx, "SELECT pg_is_in_recovery(), COALESCE((pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint, 0)").Scan(&standby, &replayed)
	if err == nil && !standby {
		err = errors.New("not a standby (promoted?)")
	}
	if err != nil {
		if ctx.Err() == nil || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			r.down(rep, err)
		}
		return
	}
	lagBytes, lag := r.lag(uint64(replayed), time.Now())
	rep.replayed.Store(uint64(replayed))
	rep.lagBytes.Store(lagBytes)
	rep.lag.Store(int64(lag))
	rep.checked.Store(time.Now().UnixNano())
	switch ok := lag <= r.maxLag; {
	case ok && !rep.up.Swap(true):
		r.log.Info("replica in rotation", "replica", rep.name, "lag", lag, "lag_bytes", lagBytes)
	case !ok && rep.up.Swap(false):
		r.log.Warn("replica out of rotation: too far behind", "replica", rep.name, "lag", lag, "max", r.maxLag, "lag_bytes", lagBytes)
	}
}

// lagSlack absorbs a WAL page header: at a page boundary the primary's insert position is
// past the header while a standby's replay position is the end of the last record.
const lagSlack = 64

// lag returns how far a replica that replayed up to replayed is behind: in bytes, from the
// primary's latest sample, and in time, since the oldest sample it has not replayed.
func (r *router) lag(replayed uint64, now time.Time) (uint64, time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := len(r.samples)
	oldest, count := 0, r.head
	if r.full {
		oldest, count = r.head, n
	}
	if count == 0 {
		return 0, 0
	}
	latest := r.samples[(r.head-1+n)%n]
	var bytes uint64
	if latest.lsn > replayed {
		bytes = latest.lsn - replayed
	}
	for i := 0; i < count; i++ {
		s := r.samples[(oldest+i)%n]
		if s.lsn > replayed+lagSlack {
			return bytes, now.Sub(s.at)
		}
	}
	return bytes, 0
}

func (r *router) stats() ReplicaStats {
	st := ReplicaStats{PrimaryReads: r.primaryReads.Load(), Fallbacks: r.fallbacks.Load(), Misrouted: r.misroute.Load()}
	for _, rep := range r.replicas {
		st.Replicas = append(st.Replicas, ReplicaStat{Name: rep.name, Up: rep.up.Load(), Reads: rep.reads.Load(),
			LagBytes: rep.lagBytes.Load(), Lag: time.Duration(rep.lag.Load())})
	}
	return st
}
