package bench

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gotok/tiktok/bench/internal/load"
)

// row is one line of the results table.
type row struct {
	name          string
	requests      int64
	rps           float64
	p50, p99, max time.Duration
	errors        int64
	samples       []string

	read       bool   // a read endpoint replayed with pgbench
	unreplayed bool   // a read endpoint whose pgbench script is not written yet
	skipped    string // why the row was not measured (the server answered its probe with a 4xx)
	hasDB      bool   // the pgbench replay of the same SQL ran
	dbTPS      float64
	dbLatency  time.Duration
	dbFailed   int64

	// Share of the machine's CPU used by processes outside the benchmark during the API
	// measurement and the pgbench one.
	otherAPI, otherDB float64
	cpu               cpuSplit // during the API measurement
	cpuDB             cpuSplit // during the pgbench measurement
}

// perRequest converts a share of all cores at rate operations per second into CPU time
// per operation.
func perRequest(share, rate float64, cores int) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(share * float64(cores) / rate * float64(time.Second))
}

func rowOf(name string, m measured) row {
	r := row{
		name: name, requests: m.requests, rps: m.rate(), p50: m.p50, p99: m.p99, max: m.max,
		errors: m.errors(), otherAPI: m.cpu.other, cpu: m.cpu,
	}
	if r.errors > 0 {
		r.samples = []string{m.failures() + " (-keep keeps the server logs)"}
	}
	return r
}

// other is the larger share of CPU other processes took during the row's measurements.
func (r row) other() float64 { return max(r.otherAPI, r.otherDB) }

// maxOther is the share of CPU used by other processes above which a row is marked as
// disturbed.
const maxOther = 0.05

func otherText(x float64) string {
	s := fmt.Sprintf("%.0f %%", 100*x)
	if x > maxOther {
		s += " !"
	}
	return s
}

// ratio is the API's throughput over the database's for the same statements.
func (r row) ratio() float64 {
	if !r.hasDB || r.dbTPS == 0 {
		return 0
	}
	return r.rps / r.dbTPS
}

func (r row) line() string {
	if r.skipped != "" {
		return fmt.Sprintf("%-44s not measured: %s", r.name, r.skipped)
	}
	s := fmt.Sprintf("%-44s %8.0f req/s  p50 %-7s p99 %-7s errors %d", r.name, r.rps,
		load.FormatDuration(r.p50), load.FormatDuration(r.p99), r.errors)
	if r.hasDB {
		s += fmt.Sprintf("  | pgbench %.0f tps → %.0f %%", r.dbTPS, 100*r.ratio())
	}
	s += "  " + r.cpu.String()
	if r.other() > maxOther {
		s += fmt.Sprintf("  (other processes used %.0f %% of the CPU meanwhile)", 100*r.other())
	}
	for _, x := range r.samples {
		s += "\n      " + x
	}
	return s
}

// scriptInfo is a pgbench script, for the report.
type scriptInfo struct {
	endpoint, note, script string
	vars                   map[string]string
}

// String is the CPU split as "CPU server 36 % / postgres 30 % / load 28 %" (of all cores).
func (c cpuSplit) String() string {
	return fmt.Sprintf("CPU server %.0f %% / postgres %.0f %% / load %.0f %%", 100*c.server, 100*c.psql, 100*c.loadgen)
}

// goal is one target of the performance issue and whether it was met.
type goal struct {
	name, measured string
	pass           bool
}

// results is everything the benchmark measured.
type results struct {
	opts     Options
	machine  machine
	load     loadTimes
	dbSize   string
	targets  *targets
	tagStats discoveryStats
	small    row
	rows     []row
	scripts  []scriptInfo
	bcrypt   float64
	explains []explained
	drift    []load.Drift
	upload   uploadResult
	peakRSS  int64
	elapsed  time.Duration
	goals    []goal

	bcryptProcs                       int
	bcryptOther                       float64
	poolMax, serverProcs              int // the server's database pool size and GOMAXPROCS
	statsBefore, statsAfter           map[string]tableStat
	readsAlone, readsWith, loginsWith row
	transcode                         transcodeResult
	replica                           replicaResult
	floor                             floorResult
}

func (r *results) row(name string) row {
	for _, x := range r.rows {
		if x.name == name {
			return x
		}
	}
	return row{name: name}
}

// Thresholds of the targets.
const (
	minDBRatio       = 0.60
	maxDeepCost      = 1.5
	maxLargeCost     = 1.5
	minLoginRatio    = 0.80
	maxUploadGrowth  = 32 << 20
	stallFactor      = 3                     // read p99 under logins may be at most this × the p99 without …
	stallFloor       = 50 * time.Millisecond // … or this, whichever is larger
	loginRowName     = "POST /api/users/login"
	firstPageRowName = "GET /api/videos (first page)"
	deepPageRowName  = "GET /api/videos (deep cursor)"
)

// evaluate decides the targets.
func (r *results) evaluate() {
	var errs int64
	var errRows []string
	for _, x := range append(append(append([]row{}, r.rows...), r.small, r.readsAlone, r.readsWith, r.loginsWith, r.transcode.reads), r.replica.rows...) {
		errs += x.errors + x.dbFailed
		if x.errors+x.dbFailed > 0 {
			errRows = append(errRows, fmt.Sprintf("%s: %d", x.name, x.errors+x.dbFailed))
		}
	}
	if r.upload.Status != 201 {
		errs++
		errRows = append(errRows, fmt.Sprintf("upload: status %d %s", r.upload.Status, r.upload.Body))
	}
	detail := "0 errors in every run"
	if errs > 0 {
		detail = strings.Join(errRows, "; ")
	}
	r.goals = append(r.goals, goal{"zero errors", detail, errs == 0})

	var low, all []string
	for _, x := range r.rows {
		if x.read && !x.hasDB {
			low = append(low, x.name+": no pgbench result")
		}
		if !x.hasDB {
			continue
		}
		s := fmt.Sprintf("%s %.0f %%", strings.TrimPrefix(x.name, "GET "), 100*x.ratio())
		all = append(all, s)
		if x.ratio() < minDBRatio {
			low = append(low, s)
		}
	}
	detail = strings.Join(all, ", ")
	if len(low) > 0 {
		detail = "below: " + strings.Join(low, ", ") + " (all: " + detail + ")"
	}
	var unreplayed []string
	for _, x := range r.rows {
		if x.unreplayed {
			unreplayed = append(unreplayed, strings.TrimPrefix(x.name, "GET "))
		}
	}
	if len(unreplayed) > 0 {
		detail += fmt.Sprintf("; not replayed yet (no pgbench script): %s", strings.Join(unreplayed, ", "))
	}
	r.goals = append(r.goals, goal{fmt.Sprintf("read endpoints ≥ %.0f %% of the database limit", 100*minDBRatio), detail, len(low) == 0 && len(all) > 0})

	first, deep := r.row(firstPageRowName), r.row(deepPageRowName)
	cost := first.rps / max(deep.rps, 1e-9)
	r.goals = append(r.goals, goal{fmt.Sprintf("a deep page ≤ %.1f× the first page's cost", maxDeepCost),
		fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; p50 %s vs %s)", cost, deep.rps, first.rps, load.FormatDuration(deep.p50), load.FormatDuration(first.p50)),
		cost <= maxDeepCost})

	cost = r.small.rps / max(first.rps, 1e-9)
	r.goals = append(r.goals, goal{fmt.Sprintf("first page on the large dataset ≤ %.1f× the 50-video seed's", maxLargeCost),
		fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; p50 %s vs %s)", cost, first.rps, r.small.rps, load.FormatDuration(first.p50), load.FormatDuration(r.small.p50)),
		cost <= maxLargeCost})

	login := r.row(loginRowName)
	ratio := login.rps / max(r.bcrypt, 1e-9)
	r.goals = append(r.goals, goal{fmt.Sprintf("login ≥ %.0f %% of bcrypt alone", 100*minLoginRatio),
		fmt.Sprintf("%.0f %% (%.1f logins/s vs %.1f bcrypt comparisons/s at cost %d on %d goroutines)", 100*ratio, login.rps, r.bcrypt, r.opts.BcryptCost, r.bcryptProcs),
		ratio >= minLoginRatio})

	limit := max(stallFactor*r.readsAlone.p99, stallFloor)
	r.goals = append(r.goals, goal{"login load does not stall reads",
		fmt.Sprintf("read p99 %s with logins vs %s without (limit max(%d×, %s) = %s); read throughput %.0f vs %.0f req/s",
			load.FormatDuration(r.readsWith.p99), load.FormatDuration(r.readsAlone.p99), stallFactor, load.FormatDuration(stallFloor),
			load.FormatDuration(limit), r.readsWith.rps, r.readsAlone.rps),
		r.readsWith.p99 <= limit && r.readsWith.requests > 0})

	if t := r.transcode; t.skipped != "" {
		r.goals = append(r.goals, goal{"a transcode does not stall reads", "not measured: " + t.skipped, false})
	} else {
		covered := "the transcode ran throughout the read measurement"
		if !t.coveredReads {
			covered = "the transcode ended before the read measurement did"
		}
		r.goals = append(r.goals, goal{"a transcode does not stall reads",
			fmt.Sprintf("read p99 %s while transcoding vs %s without (limit %s); read throughput %.0f vs %.0f req/s; %s (%s, ready after %s)",
				load.FormatDuration(t.reads.p99), load.FormatDuration(r.readsAlone.p99), load.FormatDuration(limit),
				t.reads.rps, r.readsAlone.rps, covered, t.clip, t.took.Round(100*time.Millisecond)),
			t.reads.p99 <= limit && t.reads.requests > 0 && t.coveredReads})
	}

	r.goals = append(r.goals, goal{fmt.Sprintf("a %d MiB upload raises RSS by < %d MiB", r.opts.UploadMiB, maxUploadGrowth>>20),
		fmt.Sprintf("+%.1f MiB (%.1f → %.1f MiB), status %d, %s", mib(r.upload.delta()), mib(r.upload.BaseRSS), mib(r.upload.MaxRSS),
			r.upload.Status, r.upload.Elapsed.Round(time.Millisecond)),
		r.upload.delta() < maxUploadGrowth && r.upload.Status == 201})

	r.discoveryGoals()
	r.followingGoals()

	var seq []string
	var planned int
	for _, e := range r.explains {
		if !e.missing {
			planned++
		}
		if len(e.seqScans) > 0 {
			seq = append(seq, fmt.Sprintf("%s (%s): Seq Scan on %s", e.name, e.what, strings.Join(e.seqScans, ", ")))
		}
	}
	detail = fmt.Sprintf("%d statements, no sequential scan (but of the one-row feed_ranking and of tables of at most one page, which no index beats)", planned)
	if len(seq) > 0 {
		detail = strings.Join(seq, "; ")
	}
	r.goals = append(r.goals, goal{"every hot-path query uses an index", detail, len(seq) == 0 && planned > 0})

	r.goals = append(r.goals, goal{"counters = COUNT(*) after the run", load.FormatDrift(r.drift), load.DriftTotal(r.drift) == 0 && len(r.drift) > 0})
}

func mark(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

// following5kRowName is the Following feed of user2, who follows BenchFollowsLarge creators.
const following5kRowName = "GET /api/videos/following (user2, 5 000 follows)"

// maxFollowingCost: each Following feed row costs at most this × the For You feed's
// anonymous first page (issue 14: the feed's cost does not grow with the number followed).
const maxFollowingCost = 2.0

// followingGoals is the target of issue 14, part 4: the Following feed at 200 and at 5 000
// followed creators, each ≤ maxFollowingCost × the For You first page (req/s at the same
// concurrency).
func (r *results) followingGoals() {
	fy := r.row(forYouAnonRowName)
	for _, name := range []string{"GET /api/videos/following", following5kRowName} {
		x := r.row(name)
		cost := fy.rps / max(x.rps, 1e-9)
		detail := fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; p50 %s vs %s)", cost, x.rps, fy.rps, load.FormatDuration(x.p50), load.FormatDuration(fy.p50))
		ok := x.requests > 0 && fy.requests > 0 && x.errors == 0 && fy.errors == 0 && x.skipped == "" && fy.skipped == ""
		if !ok {
			detail = "not measured (or errors): " + detail
		}
		r.goals = append(r.goals, goal{fmt.Sprintf("%s ≤ %.0f× the cost of %s", strings.TrimPrefix(name, "GET "), maxFollowingCost, strings.TrimPrefix(forYouAnonRowName, "GET ")),
			detail, ok && cost <= maxFollowingCost})
	}
}

// discoveryGoals are the targets of issue 10: the For You feed's first page costs at most
// maxForYouCost × the chronological one's (req/s at the same concurrency and page size),
// anonymous and as user1 with BenchSeen seen videos; search and suggest have a p99 of at
// most maxSearchP99; and the statements of every discovery row are in the EXPLAINs (none
// with a sequential scan: the index goal covers them once they are).
func (r *results) discoveryGoals() {
	chrono := r.row(chrono20RowName)
	measured := func(x row) string {
		switch {
		case x.skipped != "":
			return "not measured: " + x.skipped
		case x.requests == 0:
			return "not measured"
		case x.errors > 0:
			return fmt.Sprintf("%d errors", x.errors)
		}
		return ""
	}
	for _, name := range []string{forYouAnonRowName, r.targets.forYouUserRowName()} {
		fy := r.row(name)
		cost := chrono.rps / max(fy.rps, 1e-9)
		detail := fmt.Sprintf("%.2f× (%.0f vs %.0f req/s; p50 %s vs %s)", cost, fy.rps, chrono.rps, load.FormatDuration(fy.p50), load.FormatDuration(chrono.p50))
		bad := measured(fy)
		if bad == "" {
			bad = measured(chrono)
		}
		if bad != "" {
			detail = bad
		}
		r.goals = append(r.goals, goal{fmt.Sprintf("%s ≤ %.0f× the cost of %s", strings.TrimPrefix(name, "GET "), maxForYouCost, strings.TrimPrefix(chrono20RowName, "GET ")),
			detail, bad == "" && cost <= maxForYouCost})
	}

	var parts []string
	pass := true
	for _, name := range searchRows {
		x := r.row(name)
		s := fmt.Sprintf("%s p99 %s", strings.TrimPrefix(name, "GET "), load.FormatDuration(x.p99))
		if bad := measured(x); bad != "" {
			s = strings.TrimPrefix(name, "GET ") + ": " + bad
			pass = false
		} else if x.p99 > maxSearchP99 {
			pass = false
		}
		parts = append(parts, s)
	}
	r.goals = append(r.goals, goal{fmt.Sprintf("search and suggest p99 ≤ %s at concurrency %d", load.FormatDuration(maxSearchP99), r.opts.Concurrency),
		strings.Join(parts, "; "), pass})

	planned := map[string]int{}
	var missing []string
	for _, e := range r.explains {
		if e.missing {
			missing = append(missing, e.name)
		} else if e.row != "" {
			planned[e.row]++
		}
	}
	var unplanned []string
	for _, e := range r.targets.discoveryEndpoints() {
		if e.name != chrono20RowName && planned[e.name] == 0 {
			unplanned = append(unplanned, strings.TrimPrefix(e.name, "GET "))
		}
	}
	detail := "every discovery row's statements are EXPLAINed below"
	if len(unplanned) > 0 {
		detail = "no plan yet for " + strings.Join(unplanned, ", ") + " (discoveryPlans in bench/internal/bench/discovery.go)"
	}
	if len(missing) > 0 {
		detail += "; not exported by postgres.QueryText: " + strings.Join(missing, ", ")
	}
	r.goals = append(r.goals, goal{"the discovery rows' plans are shown (no sequential scan: see the index target)", detail, len(unplanned) == 0 && len(missing) == 0})
}

// text is the summary printed at the end of a run.
func (r *results) text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-52s %9s %8s %8s %7s %10s %7s %7s\n", "endpoint", "req/s", "p50", "p99", "errors", "DB tps", "API/DB", "other")
	line := func(x row) {
		if x.skipped != "" {
			fmt.Fprintf(&b, "%-52s not measured: %s\n", x.name, x.skipped)
			return
		}
		db, ratio := "", ""
		if x.hasDB {
			db, ratio = fmt.Sprintf("%.0f", x.dbTPS), fmt.Sprintf("%.0f %%", 100*x.ratio())
		}
		fmt.Fprintf(&b, "%-52s %9.1f %8s %8s %7d %10s %7s %7s\n", x.name, x.rps, load.FormatDuration(x.p50), load.FormatDuration(x.p99),
			x.errors, db, ratio, otherText(x.other()))
	}
	for _, x := range r.rows {
		line(x)
	}
	line(r.small)
	line(r.readsAlone)
	line(r.readsWith)
	line(r.loginsWith)
	if r.transcode.skipped == "" {
		line(r.transcode.reads)
	}
	for _, x := range r.replica.rows {
		line(x)
	}
	for i := range r.floor.floor {
		line(r.floor.server[i])
		line(r.floor.floor[i])
	}
	fmt.Fprintf(&b, "%-52s %9.1f\n", fmt.Sprintf("bcrypt alone (cost %d, %d goroutines)", r.opts.BcryptCost, r.bcryptProcs), r.bcrypt)
	fmt.Fprintf(&b, "server peak RSS (VmHWM) over the load tests: %.1f MiB\n", mib(r.peakRSS))
	fmt.Fprintf(&b, "dataset: %s; loaded in %s\n\n", r.opts.Sizes, (r.load.Total + r.load.Generate).Round(time.Millisecond))
	for _, g := range r.goals {
		fmt.Fprintf(&b, "%s  %-52s %s\n", mark(g.pass), g.name, g.measured)
	}
	fmt.Fprintf(&b, "\nbenchmark took %s\n", r.elapsed.Round(time.Second))
	return b.String()
}

// markdown is docs/benchmarks.md.
func (r *results) markdown() string {
	var b strings.Builder
	o := r.opts
	m := r.machine
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# Benchmarks\n\n")
	p("Generated by `make bench` (the benchmark module in `bench/`: `bench/cmd/bench`, `bench/internal/bench`) on %s; re-run it rather than editing this file.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	p("Command: `%s`\n\n", o.Command)
	p("The whole run took %s.\n\n", r.elapsed.Round(time.Second))

	p("## Machine\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s, %d cores |\n", m.CPU, m.Cores)
	p("| RAM | %.1f GiB |\n", float64(m.RAM)/(1<<30))
	p("| OS | %s, Linux %s |\n", m.OS, m.Kernel)
	p("| Go | %s |\n", m.Go)
	p("| PostgreSQL | %s |\n", m.Postgres)
	p("| pgbench | %s |\n", m.Pgbench)
	p("| wrk | %s |\n", m.Wrk)
	p("| PostgreSQL settings | `%s` (everything else default: fsync and synchronous commit on) |\n\n", o.PgOpts)
	p("Server, load generator, pgbench and PostgreSQL all share these cores; the server runs with ")
	p("`RATE_LIMIT_ENABLED=false LOG_LEVEL=warn BCRYPT_COST=%d`; it reported a database pool of at most %d connections and GOMAXPROCS %d.\n\n",
		o.BcryptCost, r.poolMax, r.serverProcs)

	p("## Dataset\n\n")
	s := o.Sizes
	p("%s, in a throwaway cluster (`scripts/pg.sh` in a temporary directory); %s on disk after loading.\n\n", s, r.dbSize)
	p("Skew: a creator's share of the videos falls off as a power law (the top 1 %% of creators post 22 %% of the videos, the busiest one ")
	p("about 2 %%); likes (power 3) and comments (power 2.5) go mostly to popular videos, follows (power 2) to popular creators; likes ")
	p("per user are exponentially spread. user1, the benchmark's viewer, follows the %d most popular creators (user2 the %d next ones; every user's Following feed inbox holds its newest 200 entries). Videos are spread over 60 days ", s.BenchFollows, s.BenchFollowsLarge)
	p("in id order, so the feed's keyset order is the id order.\n\n")
	ts := r.tagStats
	p("Discovery (migration 00006): %d hashtags, %d tags on videos (0–4 per caption, drawn with a Zipf law over a vocabulary ranked by popularity, ", ts.tags, ts.videoTags)
	p("as in `tiktok seed`): #%s is on %d videos (%.0f %%), %d tags are on a single video, and tags in other scripts (café, 東京, москва, …) are among them. ",
		ts.topTag, ts.topTagVideos, 100*float64(ts.topTagVideos)/float64(max(s.Videos, 1)), ts.tagsOnce)
	p("%d sounds: each creator's \"original sound\" (45 %% of the videos; %d such sounds), popular tracks (40 %%, Zipf; the most used, \"%s\", is on %d videos) and a long tail of tracks. ",
		ts.sounds, ts.originalSounds, ts.topSound, ts.topSoundVideos)
	p("Every video's hot rank, and its copy in `video_hashtags`, is computed by the loader with the database's `feed_ranking` (the formula of `video_hot_rank`, checked against it on a sample) and written by COPY. ")
	p("user1 has seen the %d videos of highest hot rank (`video_impressions`: the worst case for the For You feed's filter of seen videos, since an unfiltered first page would be exactly those) ", s.BenchSeen)
	p("and has interests in %d creators and %d hashtags; the other viewers have %d impressions, mostly of popular videos, and %d creator and %d hashtag interests.\n\n",
		s.BenchInterests, s.BenchInterests, s.Impressions, s.Interests, s.Interests)
	l := r.load
	p("Loading took **%s**: generating in Go %s, COPY of the %d tables in parallel %s (foreign-key and counter triggers off for the ",
		(l.Total + l.Generate).Round(time.Millisecond), l.Generate.Round(time.Millisecond), len(loadedTables), l.Copy.Round(time.Millisecond))
	p("loading sessions via `session_replication_role = replica`; counters computed while generating and written by COPY), ")
	p("rebuilding the secondary indexes %s, the server's set-based recount (`postgres.RecountTx`, must fix 0 rows) %s, ", l.Index.Round(time.Millisecond), l.Recount.Round(time.Millisecond))
	p("VACUUM ANALYZE and a CHECKPOINT %s.\n\n", l.Vacuum.Round(time.Millisecond))

	p("## Results\n\n")
	p("Each row: %s of warm-up, then %s at concurrency %d over loopback by [wrk](https://github.com/wg/wrk) (`wrk -t %d -c %d --timeout 60s` with a generated Lua script: %d keep-alive HTTP/1.1 connections served by a thread per core; like + unlike runs `-t %d`, a thread per connection, so that each worker's unlike follows its like; wrk's CPU per request is in the second table). ",
		o.Warmup, o.Duration, o.Concurrency, feed().threads(o.Concurrency), o.Concurrency, o.Concurrency, o.Concurrency)
	p("**DB limit** is `pgbench -M prepared -c %d -j %d -T %d` replaying, per transaction, the statements the handler sends for one request ",
		o.Concurrency, min(2, o.Concurrency), max(1, int(o.Duration.Seconds())))
	p("(the sqlc output's text, exported by `postgres.QueryText`), including the existence check on ")
	p("an empty page, with ids drawn from the same ranges as the load generator; **API ÷ DB** is the API's req/s over that tps.\n\n")
	p("The discovery rows (issue 10): the For You feed's first page at limit 20, anonymous and as user1 (its %d seen videos are the %d of highest rank), ", s.BenchSeen, s.BenchSeen)
	p("against the chronological feed's first page at limit 20 (`%s`); a tag page of one of the 10 most used tags (%s); trending tags; ",
		chrono20RowName, strings.Join(r.targets.topTags, ", "))
	p("search with `type=top` and `type=videos` for a common caption word (one of %s, each in about 9 %% of the captions), ", strings.Join(searchWords, ", "))
	p("and with `type=top` for the username of one of the 1 %% most popular creators misspelt (`usr`, `uesr` or `userr` and its number, e.g. `%s`); ", r.targets.misspelt())
	p("and the type-ahead for a 2–3 letter prefix (one of %s). A row whose route answers a first request with a 4xx is not measured (the run goes on); ", strings.Join(suggestPrefixes, ", "))
	p("a row without a pgbench script (discovery.go) is measured through the API only.\n\n")
	p("**Other CPU** is the share of the machine's CPU that processes outside the benchmark (builds, test suites) used during the row's ")
	p("measurements; above %.0f %% (marked !) the row is disturbed and should be measured again on a quiet machine.\n\n", 100*maxOther)
	p("| endpoint | req/s | p50 | p99 | errors | DB limit (tps) | API ÷ DB | other CPU |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
	mdRow := func(x row) {
		if x.skipped != "" {
			p("| %s | not measured: %s | | | | | | |\n", x.name, strings.ReplaceAll(x.skipped, "|", "\\|"))
			return
		}
		db, ratio := "", ""
		if x.hasDB {
			db, ratio = fmt.Sprintf("%.0f", x.dbTPS), fmt.Sprintf("%.0f %%", 100*x.ratio())
		}
		p("| %s | %.1f | %s | %s | %d | %s | %s | %s |\n", x.name, x.rps, load.FormatDuration(x.p50), load.FormatDuration(x.p99), x.errors, db, ratio, otherText(x.other()))
	}
	for _, x := range r.rows {
		mdRow(x)
	}
	mdRow(r.small)
	p("| bcrypt alone, Go, cost %d, %d goroutines | %.1f | | | | | | %s |\n", o.BcryptCost, r.bcryptProcs, r.bcrypt, otherText(r.bcryptOther))
	p("\n**Server peak RSS** (VmHWM) over all the load above: **%.1f MiB**.\n\n", mib(r.peakRSS))
	p("Where the CPU went, as CPU time per request (all processes share the %d cores; the load generator is wrk): ", m.Cores)
	p("server, PostgreSQL and load generator during the API measurement, and PostgreSQL and the pgbench client per pgbench transaction. ")
	p("PostgreSQL's time includes its background work meanwhile (the view counter's batched UPDATEs, WAL writing, autovacuum), which dominates the rows with few requests.\n\n")
	p("| endpoint | server | PostgreSQL | load generator | PostgreSQL (pgbench) | pgbench client |\n|---|---:|---:|---:|---:|---:|\n")
	for _, x := range append(append([]row{}, r.rows...), r.small) {
		if x.skipped != "" {
			continue
		}
		us := func(share, rate float64) string {
			if rate <= 0 {
				return ""
			}
			return fmt.Sprintf("%.0f µs", float64(perRequest(share, rate, m.Cores))/float64(time.Microsecond))
		}
		dbPsql, dbTool := "", ""
		if x.hasDB {
			dbPsql, dbTool = us(x.cpuDB.psql, x.dbTPS), us(x.cpuDB.tools, x.dbTPS)
		}
		p("| %s | %s | %s | %s | %s | %s |\n", x.name, us(x.cpu.server, x.rps), us(x.cpu.psql, x.rps), us(x.cpu.loadgen, x.rps), dbPsql, dbTool)
	}
	p("\n")
	p("Like + unlike: each worker, as its own user (%d users), likes a random video and then unlikes it; both requests count. ", len(r.targets.accounts))
	p("Comments are created on random videos by random ones of the same users. Logins are as random users (all share one bcrypt hash at cost %d).\n\n", o.BcryptCost)

	p("Reads while logging in (half the concurrency each, run together):\n\n")
	p("| run | req/s | p50 | p99 | errors | other CPU |\n|---|---:|---:|---:|---:|---:|\n")
	for _, x := range []row{r.readsAlone, r.readsWith, r.loginsWith} {
		p("| %s | %.1f | %s | %s | %d | %s |\n", x.name, x.rps, load.FormatDuration(x.p50), load.FormatDuration(x.p99), x.errors, otherText(x.other()))
	}
	if t := r.transcode; t.skipped == "" {
		p("\nReads while the media pipeline transcodes an upload (%s, to 720p H.264 by the server's worker: ffmpeg at nice 19; ready %s after the upload):\n\n", t.clip, t.took.Round(100*time.Millisecond))
		p("| run | req/s | p50 | p99 | errors | other CPU |\n|---|---:|---:|---:|---:|---:|\n")
		for _, x := range []row{r.readsAlone, t.reads} {
			p("| %s | %.1f | %s | %s | %d | %s |\n", x.name, x.rps, load.FormatDuration(x.p50), load.FormatDuration(x.p99), x.errors, otherText(x.other()))
		}
	} else {
		p("\nReads while transcoding: not measured (%s).\n", t.skipped)
	}
	if rp := r.replica; rp.skipped == "" && len(rp.rows) > 0 {
		p("\nReads with 0 and 1 streaming replicas (`DATABASE_REPLICA_URLS`; the replica runs on this machine, on the same cores as the primary, the server and wrk — so this shows what routing reads to a replica costs, not the capacity a replica on a machine of its own adds):\n\n")
		p("| run | req/s | p50 | p99 | errors | other CPU |\n|---|---:|---:|---:|---:|---:|\n")
		for i, x := range rp.rows {
			base := r.row(replicaRows[i])
			for _, y := range []row{base, x} {
				p("| %s | %.1f | %s | %s | %d | %s |\n", y.name, y.rps, load.FormatDuration(y.p50), load.FormatDuration(y.p99), y.errors, otherText(y.other()))
			}
		}
	} else if rp.skipped != "" {
		p("\nReads with a replica: not measured (%s).\n", rp.skipped)
	}
	if f := r.floor; f.skipped == "" && len(f.floor) > 0 {
		p("\nThe by-id rows against the stack's floor (`bench/cmd/floor`: net/http's server and mux, a pgxpool of the server's size, the same statement, the row's columns written as PostgreSQL sent them, as a JSON array — no middleware, no decoding into types, no rendering, no view counting), each pair measured back to back. CPU per request:\n\n")
		p("| row | server req/s | floor req/s | server CPU | floor CPU | server ÷ floor | PostgreSQL (server) | PostgreSQL (floor) | DB limit | floor ÷ DB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for i := range f.floor {
			a, z := f.server[i], f.floor[i]
			sa, sz := perRequest(a.cpu.server, a.rps, r.machine.Cores), perRequest(z.cpu.server, z.rps, r.machine.Cores)
			ratio := ""
			if sz > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(sa)/float64(sz))
			}
			limit, floorShare := "", ""
			if db := r.row(floorRows[i]); db.hasDB && db.dbTPS > 0 {
				limit, floorShare = fmt.Sprintf("%.0f", db.dbTPS), fmt.Sprintf("%.0f %%", 100*z.rps/db.dbTPS)
			}
			p("| %s | %.1f | %.1f | %s | %s | %s | %s | %s | %s | %s |\n", floorRows[i], a.rps, z.rps, usText(sa), usText(sz), ratio,
				usText(perRequest(a.cpu.psql, a.rps, r.machine.Cores)), usText(perRequest(z.cpu.psql, z.rps, r.machine.Cores)), limit, floorShare)
		}
		p("\nHalving the server's CPU per request would take it to half the server CPU column; the floor CPU column is what net/http and pgx alone cost for the same exchange on this machine, and floor ÷ DB is the share of the database limit (the main table's pgbench replay) that even they reach.\n")
	} else if f.skipped != "" {
		p("\nThe floor: not measured (%s).\n", f.skipped)
	}
	p("\nTable activity during the load tests (pg_stat_user_tables; the view counter's batched UPDATEs and the counter triggers are the updates):\n\n")
	p("| table | inserted | updated | of which HOT | deleted | dead rows at the end | autovacuums |\n|---|---:|---:|---:|---:|---:|---:|\n")
	for _, name := range statTables {
		a, z := r.statsBefore[name], r.statsAfter[name]
		p("| %s | %d | %d | %d | %d | %d | %d |\n", name, z.Inserts-a.Inserts, z.Updates-a.Updates, z.HotUpdates-a.HotUpdates,
			z.Deletes-a.Deletes, z.Dead, z.Autovacuums-a.Autovacuums)
	}
	p("\nUpload: one %d MiB MP4 (an `ftyp` box and zeros, generated while sending) as multipart to `POST /api/videos` on a fresh server; ", o.UploadMiB)
	p("RSS sampled every 10 ms: %.1f MiB before, %.1f MiB at most (+%.1f MiB); status %d in %s.\n\n",
		mib(r.upload.BaseRSS), mib(r.upload.MaxRSS), mib(r.upload.delta()), r.upload.Status, r.upload.Elapsed.Round(time.Millisecond))

	p("## Targets\n\n| target | measured | |\n|---|---|---|\n")
	for _, g := range r.goals {
		p("| %s | %s | %s |\n", g.name, strings.ReplaceAll(g.measured, "|", "\\|"), mark(g.pass))
	}
	p("\n\"Does not stall\" is taken to mean: the read p99 with concurrent logins stays within %d× the p99 without them, or %s, whichever is larger.\n\n",
		stallFactor, load.FormatDuration(stallFloor))

	if notes := r.notes(); len(notes) > 0 {
		p("## Notes\n\nFound in the measurements by the benchmark itself:\n\n")
		for _, n := range notes {
			p("- %s\n", n)
		}
		p("\n")
	}

	p("## Database-limit scripts\n\n")
	p("Variables: `-D` %s (a popular video is `(r × p) %% nv + 1` for a rank r below kv, the permutation the dataset generator assigns popularity with; ", varList(r.targets.pgbenchVars()))
	p("a popular creator `(r × p) %% (nu - 1) + 2` for r below kc). pgbench numbers every occurrence of a variable as its own parameter, so a statement ")
	p("that uses `$1` twice is sent with two equal parameters; otherwise the text is the server's.\n\n")
	for _, sc := range r.scripts {
		p("### %s\n\n%s", sc.endpoint, sc.note)
		if len(sc.vars) > 0 {
			p(" (`-D` %s)", varList(sc.vars))
		}
		p("\n\n```\n%s```\n\n", sc.script)
	}

	p("## EXPLAIN (ANALYZE, BUFFERS) of the hot-path queries\n\n")
	p("On the large dataset after the load tests, each as a prepared statement executed six times first (the server's pgx prepares ")
	p("every statement, so this is the plan it gets once the plan cache has chosen between custom and generic plans); writes inside a ")
	p("transaction that is rolled back, each warm-up execution undone by a savepoint.\n\n")
	for _, e := range r.explains {
		if e.missing {
			p("### %s — %s\n\nNo plan: `postgres.QueryText` does not export %s.\n\n", e.name, e.what, e.name)
			continue
		}
		p("### %s — %s\n\nArguments: `%s`; execution %s.\n\n```\n%s\n```\n\n", e.name, e.what, strings.Join(e.args, ", "), e.execution, e.plan)
	}
	return b.String()
}

// notes are findings the numbers point at: statements re-planned on every execution, and
// read endpoints whose server spends more CPU per request than the database.
func (r *results) notes() []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range r.explains {
		// A prepared statement on a settled generic plan plans in a few microseconds.
		if e.write || seen[e.name+e.what] || e.planningMs < 0.1 || e.planningMs < e.executionMs/2 {
			continue
		}
		seen[e.name+e.what] = true
		out = append(out, fmt.Sprintf("%s (%s) is planned again on every execution: planning %.3f ms, execution %.3f ms. "+
			"PostgreSQL keeps choosing a custom plan for this prepared statement (the generic plan's estimate is worse), so each request pays for planning.",
			e.name, e.what, e.planningMs, e.executionMs))
	}
	if a, z := r.statsBefore["videos"], r.statsAfter["videos"]; z.Updates-a.Updates > 0 {
		upd, hot := z.Updates-a.Updates, z.HotUpdates-a.HotUpdates
		if float64(hot) < 0.5*float64(upd) {
			out = append(out, fmt.Sprintf("videos: %d rows updated during the load tests (view counts, like and comment counters), only %d of them HOT: "+
				"the other updates wrote a new entry into each of the table's indexes, and cleared the pages' all-visible bits "+
				"(index-only scans then fetch from the heap: see the Heap Fetches of ListFollowingVideos).", upd, hot))
		}
	}
	cores := r.machine.Cores
	for _, x := range r.rows {
		if !x.read || !x.hasDB || x.ratio() >= minDBRatio || x.rps <= 0 {
			continue
		}
		server, psql := perRequest(x.cpu.server, x.rps, cores), perRequest(x.cpu.psql, x.rps, cores)
		if server > psql {
			out = append(out, fmt.Sprintf("%s reaches %.0f %% of the database limit: per request the server uses %s of CPU and PostgreSQL %s; "+
				"server, database and load share the cores, so the server's own CPU bounds the throughput.",
				x.name, 100*x.ratio(), load.FormatDuration(server), load.FormatDuration(psql)))
		}
	}
	return out
}

func varList(v map[string]string) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = "`" + k + "=" + v[k] + "`"
	}
	return strings.Join(parts, " ")
}

// usText is a CPU time per request in whole microseconds.
func usText(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond))
}
