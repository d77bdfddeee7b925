package flightserver

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/exec"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	pb "github.com/quiverdata/quiver/proto/quiver/v1"
)

// Session is one client's state: temp views and configuration. DataFrames uploaded in a session
// are owned by it (the block store records the owner).
type Session struct {
	ID     string
	mu     sync.Mutex
	views  map[string]*pb.Plan
	config map[string]string
}

func (s *Session) setView(name string, plan *pb.Plan, replace bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	if _, exists := s.views[key]; exists && !replace {
		return errkind.Invalid("temp view '%s' already exists; use createOrReplaceTempView to replace it", name)
	}
	s.views[key] = plan
	return nil
}

func (s *Session) view(name string) (*pb.Plan, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.views[strings.ToLower(name)]
	return p, ok
}

func (s *Session) dropView(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(name)
	_, ok := s.views[key]
	delete(s.views, key)
	return ok
}

// ViewNames lists the session's temp views.
func (s *Session) ViewNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.views))
	for n := range s.views {
		out = append(out, n)
	}
	return out
}

// Config returns a configuration value.
func (s *Session) Config(key string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.config[key]
	return v, ok
}

// SetConfig sets a configuration value.
func (s *Session) SetConfig(key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.config[key] = value
}

// UnsetConfig removes a configuration value.
func (s *Session) UnsetConfig(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.config, key)
}

// AllConfig returns a copy of the configuration.
func (s *Session) AllConfig() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.config))
	for k, v := range s.config {
		out[k] = v
	}
	return out
}

// AnalyzerConfig reads the settings the planner honours from the session configuration.
func (s *Session) AnalyzerConfig(defaultParallelism int) analyzer.Config {
	cfg := analyzer.DefaultConfig()
	cfg.DefaultParallelism = defaultParallelism
	if v, ok := s.Config("spark.sql.ansi.enabled"); ok {
		cfg.ANSI = strings.EqualFold(v, "true")
	}
	if v, ok := s.Config("spark.sql.caseSensitive"); ok {
		cfg.CaseSensitive = strings.EqualFold(v, "true")
	}
	if v, ok := s.Config("spark.sql.session.timeZone"); ok && v != "" {
		cfg.SessionTimeZone = v
	}
	if v, ok := s.Config("spark.sql.shuffle.partitions"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			cfg.DefaultParallelism = n
		}
	}
	return cfg
}

// BatchSize is spark.sql.execution.arrow.maxRecordsPerBatch.
func (s *Session) BatchSize() int {
	if v, ok := s.Config("spark.sql.execution.arrow.maxRecordsPerBatch"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return exec.DefaultBatchSize
}

type sessionRegistry struct {
	mu       sync.Mutex
	sessions map[string]*Session
	global   *Session // global temp views
}

func newSessionRegistry() *sessionRegistry {
	return &sessionRegistry{sessions: map[string]*Session{}, global: newSession("global_temp")}
}

func newSession(id string) *Session {
	return &Session{ID: id, views: map[string]*pb.Plan{}, config: map[string]string{}}
}

func (r *sessionRegistry) get(id string) *Session {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.sessions[id]
	if !ok {
		s = newSession(id)
		r.sessions[id] = s
	}
	return s
}

// catalog resolves names for one query of one session.
type catalog struct {
	server  *Server
	session *Session
	depth   int
	// global is set while expanding a global temp view, which may read any session's DataFrames.
	global bool
}

// maxViewDepth stops a view that refers to itself (directly or not) from recursing forever.
const maxViewDepth = 32

func (c *catalog) LookupRelation(name string, ids *logical.IDGenerator) (logical.Plan, error) {
	parts, err := protoplan.ParseIdentifier(name)
	if err != nil {
		return nil, err
	}
	if len(parts) == 2 && strings.EqualFold(parts[0], "global_temp") {
		if plan, ok := c.server.sessions.global.view(parts[1]); ok {
			return c.expandView(parts[1], plan, ids, true)
		}
		return nil, errkind.NotFound("global temp view 'global_temp.%s' not found. Global views: %s", parts[1], strings.Join(c.server.sessions.global.ViewNames(), ", "))
	}
	if len(parts) == 1 {
		if plan, ok := c.session.view(parts[0]); ok {
			return c.expandView(parts[0], plan, ids, c.global)
		}
		if f, err := c.server.store.Get(parts[0]); err == nil {
			if f.Owner != c.session.ID && f.Owner != "" && !c.global {
				return nil, errkind.NotFound("DataFrame %q belongs to another session", parts[0])
			}
			src := &logical.StoredDataFrame{ID: f.ID, ArrowSchema: f.Schema, NumPartitions: len(f.Partitions), NumRows: f.NumRows}
			return logical.NewScan(src, ids), nil
		}
	}
	if len(parts) == 2 && isFileFormat(parts[0]) {
		return c.fileRelation(parts[0], parts[1], ids)
	}
	if TableLookup != nil {
		if p, ok, err := TableLookup(c, name, ids); ok || err != nil {
			return p, err
		}
	}
	if len(parts) == 1 && looksLikeID(parts[0]) {
		return nil, errkind.NotFound("DataFrame %s is not stored on this server (it was released, or the server restarted); create it again", name)
	}
	names := c.session.ViewNames()
	msg := "table or view '" + name + "' not found"
	if s := analyzer.SuggestClosest(name, names); s != "" {
		msg += "; did you mean '" + s + "'?"
	}
	if len(names) > 0 {
		msg += ". Temp views in this session: " + strings.Join(names, ", ")
	}
	return nil, errkind.NotFound("%s", msg)
}

// isFileFormat reports whether a table name's qualifier names a file format, as in Spark's
// SELECT * FROM parquet.`/data/events` (spark.sql.runSQLOnFiles). Quiver has no databases of
// these names, so the qualifier is never ambiguous.
func isFileFormat(qualifier string) bool {
	switch strings.ToLower(qualifier) {
	case arrowio.FormatParquet, arrowio.FormatCSV, arrowio.FormatJSON:
		return true
	}
	return false
}

// fileRelation reads the files at path as spark.read.format(format).load(path) does, with the
// format's default options.
func (c *catalog) fileRelation(format, path string, ids *logical.IDGenerator) (logical.Plan, error) {
	cfg := c.session.AnalyzerConfig(c.server.cfg.DefaultParallelism)
	dataset, err := arrowio.Discover(arrowio.DiscoverSpec{Format: strings.ToLower(format), Paths: []string{path}, TimeZone: cfg.SessionTimeZone})
	if err != nil {
		return nil, err
	}
	return logical.NewScan(dataset, ids), nil
}

// looksLikeID reports whether a name has the shape of a DataFrame id (newID's 32 hex digits).
func looksLikeID(name string) bool {
	if len(name) != 32 {
		return false
	}
	for _, c := range name {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// TableLookup resolves saved tables; set by the file that owns tables.
var TableLookup func(c *catalog, name string, ids *logical.IDGenerator) (logical.Plan, bool, error)

func (c *catalog) expandView(name string, plan *pb.Plan, ids *logical.IDGenerator, global bool) (logical.Plan, error) {
	if c.depth >= maxViewDepth {
		return nil, errkind.Invalid("view '%s' refers to itself through %d levels of views", name, maxViewDepth)
	}
	inner := &catalog{server: c.server, session: c.session, depth: c.depth + 1, global: global}
	a := analyzer.New(inner, c.session.AnalyzerConfig(c.server.cfg.DefaultParallelism))
	a.IDs = ids
	if SQLExpressionParser != nil {
		a.ParseSQLExpression = SQLExpressionParser
	}
	p, err := protoplan.NewConverter(a).Plan(plan)
	if err != nil {
		return nil, err
	}
	return &logical.SubqueryAlias{Input: p, Alias: name}, nil
}

// SQLExpressionParser parses SQL expression strings; set by the SQL front end's wiring.
var SQLExpressionParser func(text string) (logical.Expr, error)

// ticketRegistry holds result partitions waiting for DoGet. Tickets are single-use and expire.
type ticketRegistry struct {
	mu      sync.Mutex
	ttl     time.Duration
	pending map[string]*pendingResult
}

type pendingResult struct {
	session   string
	query     *Query
	partition int
	expires   time.Time
}

func newTicketRegistry(ttl time.Duration) *ticketRegistry {
	return &ticketRegistry{ttl: ttl, pending: map[string]*pendingResult{}}
}

func (t *ticketRegistry) add(session string, q *Query, partition int) string {
	handle := newID()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending[handle] = &pendingResult{session: session, query: q, partition: partition, expires: time.Now().Add(t.ttl)}
	return handle
}

// claim removes and returns a ticket's result; a second claim fails. A ticket belongs to the
// session that ran the query: another session's claim fails without using the ticket up.
func (t *ticketRegistry) claim(handle, session string) (*pendingResult, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r, ok := t.pending[handle]
	if !ok || r.session != session {
		return nil, errkind.NotFound("ticket is unknown, already used or expired: tickets are single-use and expire after %s; run the query again", t.ttl)
	}
	delete(t.pending, handle)
	if time.Now().After(r.expires) {
		r.query.partitionDone()
		return nil, errkind.NotFound("ticket expired after %s; run the query again", t.ttl)
	}
	return r, nil
}

func (t *ticketRegistry) expireLoop(stop <-chan struct{}) {
	tick := time.NewTicker(min(t.ttl, 30*time.Second))
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case now := <-tick.C:
			t.mu.Lock()
			for h, r := range t.pending {
				if now.After(r.expires) {
					delete(t.pending, h)
					r.query.partitionDone()
				}
			}
			t.mu.Unlock()
		}
	}
}

func (t *ticketRegistry) clear() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, r := range t.pending {
		r.query.partitionDone()
	}
	t.pending = map[string]*pendingResult{}
}
