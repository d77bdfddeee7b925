package flightserver

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/quiverdata/quiver/arrowio"
	"github.com/quiverdata/quiver/errkind"
	"github.com/quiverdata/quiver/planner/analyzer"
	"github.com/quiverdata/quiver/planner/logical"
	"github.com/quiverdata/quiver/planner/protoplan"
	"github.com/quiverdata/quiver/planner/sqlplan"
)

// Saved tables: Parquet (or CSV/JSON) files under a warehouse directory, visible to every session
// and every Flight SQL client. Managed tables live in <warehouse>/<name>; external ones (CREATE
// TABLE ... LOCATION) anywhere. The table list is kept in <warehouse>/_quiver_tables.json so a
// restarted server sees the tables it had.

// WarehouseDir is where managed tables live: $QUIVER_WAREHOUSE_DIR, else ./spark-warehouse
// (Spark's default).
func WarehouseDir() string {
	if d := os.Getenv("QUIVER_WAREHOUSE_DIR"); d != "" {
		return d
	}
	return "spark-warehouse"
}

type tableEntry struct {
	Name     string `json:"name"`
	Location string `json:"location"`
	Format   string `json:"format"`
	Managed  bool   `json:"managed"`
	// SchemaDDL is the declared schema (CREATE TABLE t (a INT)), so an empty table has columns.
	SchemaDDL string `json:"schema_ddl,omitempty"`
}

type tableRegistry struct {
	mu     sync.Mutex
	dir    string
	tables map[string]*tableEntry
}

var (
	tableRegistries   = map[*Server]*tableRegistry{}
	tableRegistriesMu sync.Mutex
)

func (s *Server) tableRegistry() *tableRegistry {
	tableRegistriesMu.Lock()
	defer tableRegistriesMu.Unlock()
	r, ok := tableRegistries[s]
	if !ok {
		r = &tableRegistry{dir: WarehouseDir(), tables: map[string]*tableEntry{}}
		r.load()
		tableRegistries[s] = r
	}
	return r
}

func init() {
	TableLookup = lookupTable
	ListSavedTables = func(s *Server) []sqlplan.TableInfo {
		r := s.tableRegistry()
		r.mu.Lock()
		defer r.mu.Unlock()
		var out []sqlplan.TableInfo
		for _, t := range r.tables {
			out = append(out, sqlplan.TableInfo{Database: "default", Name: t.Name})
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
		return out
	}
	closers = append(closers, func(s *Server) {
		tableRegistriesMu.Lock()
		delete(tableRegistries, s)
		tableRegistriesMu.Unlock()
	})
}

func (r *tableRegistry) metadataPath() string { return filepath.Join(r.dir, "_quiver_tables.json") }

func (r *tableRegistry) load() {
	raw, err := os.ReadFile(r.metadataPath())
	if err != nil {
		return
	}
	var list []*tableEntry
	if json.Unmarshal(raw, &list) == nil {
		for _, t := range list {
			r.tables[strings.ToLower(t.Name)] = t
		}
	}
}

// save writes the table list; the caller holds mu.
func (r *tableRegistry) save() error {
	list := make([]*tableEntry, 0, len(r.tables))
	for _, t := range r.tables {
		list = append(list, t)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	raw, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return errkind.Invalid("cannot create the warehouse directory %s: %v (set QUIVER_WAREHOUSE_DIR)", r.dir, err)
	}
	tmp := r.metadataPath() + ".tmp"
	if err := os.WriteFile(tmp, raw, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, r.metadataPath())
}

func (r *tableRegistry) get(name string) (*tableEntry, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tables[strings.ToLower(name)]
	return t, ok
}

// tableName strips the default database: "default.t" and "t" are the same table.
func tableName(parts []string) (string, bool) {
	switch {
	case len(parts) == 1:
		return parts[0], true
	case len(parts) == 2 && (strings.EqualFold(parts[0], "default") || strings.EqualFold(parts[0], "spark_catalog")):
		return parts[1], true
	case len(parts) == 3 && strings.EqualFold(parts[0], "spark_catalog") && strings.EqualFold(parts[1], "default"):
		return parts[2], true
	}
	return "", false
}

func lookupTable(c *catalog, name string, ids *logical.IDGenerator) (logical.Plan, bool, error) {
	parts, err := protoplan.ParseIdentifier(name)
	if err != nil {
		return nil, false, err
	}
	n, ok := tableName(parts)
	if !ok {
		return nil, false, nil
	}
	t, ok := c.server.tableRegistry().get(n)
	if !ok {
		return nil, false, nil
	}
	p, err := t.scan(c.session, c.server, ids)
	return p, true, err
}

func (t *tableEntry) scan(session *Session, s *Server, ids *logical.IDGenerator) (logical.Plan, error) {
	cfg := session.AnalyzerConfig(s.cfg.DefaultParallelism)
	var schema *arrow.Schema
	if t.SchemaDDL != "" {
		sc, err := protoplan.ParseDDLSchema(t.SchemaDDL, cfg.SessionTimeZone)
		if err != nil {
			return nil, err
		}
		schema = sc
	}
	if entries, err := os.ReadDir(t.Location); err == nil && !hasDataFiles(entries) {
		if schema == nil {
			return nil, errkind.NotFound("table '%s' has no data files in %s and no declared schema", t.Name, t.Location)
		}
		// An empty table: no rows, the declared columns.
		attrs := make([]logical.Named, schema.NumFields())
		rng := &logical.Range{Start: 0, End: 0, Step: 1, NumPartitions: 1,
			Attribute: &logical.ColumnRef{AttrID: ids.Next(), ColumnName: "id", Type: arrow.PrimitiveTypes.Int64}}
		for i, f := range schema.Fields() {
			attrs[i] = &logical.Alias{Child: logical.NullLiteral(f.Type), Alias: f.Name, AttrID: ids.Next()}
		}
		return &logical.SubqueryAlias{Input: &logical.Project{Input: rng, Expressions: attrs}, Alias: t.Name}, nil
	}
	dataset, err := arrowio.Discover(arrowio.DiscoverSpec{Format: t.Format, Paths: []string{t.Location}, Schema: schema, TimeZone: cfg.SessionTimeZone})
	if err != nil {
		return nil, err
	}
	return &logical.SubqueryAlias{Input: logical.NewScan(dataset, ids), Alias: t.Name}, nil
}

func hasDataFiles(entries []os.DirEntry) bool {
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "_") && !strings.HasPrefix(e.Name(), ".") {
			return true
		}
	}
	return false
}

// -- sqlplan.TableCatalog on the server's catalog -------------------------------------------------

func (c *catalog) CreateTable(conv *protoplan.Converter, t *sqlplan.CreateTable, query logical.Plan) error {
	name, ok := tableName(t.Name)
	if !ok {
		return errkind.NotFound("database '%s' not found; tables live in 'default'", strings.Join(t.Name[:len(t.Name)-1], "."))
	}
	format := t.Format
	if format == "" {
		format = arrowio.FormatParquet
	}
	if format != arrowio.FormatParquet && format != arrowio.FormatCSV && format != arrowio.FormatJSON {
		return errkind.NotImplemented("tables USING %s are not supported; use parquet, csv or json", format)
	}
	r := c.server.tableRegistry()
	if existing, ok := r.get(name); ok {
		if t.IfNotExists {
			return nil
		}
		if !t.Replace {
			return errkind.Invalid("table '%s' already exists at %s; use CREATE OR REPLACE TABLE, or DROP TABLE first", existing.Name, existing.Location)
		}
	}
	if _, isView := c.session.view(name); isView {
		return errkind.Invalid("'%s' is a temp view; drop it or choose another table name", name)
	}
	entry := &tableEntry{Name: name, Format: format, Location: t.Location, Managed: t.Location == ""}
	if entry.Managed {
		entry.Location = filepath.Join(r.dir, strings.ToLower(name))
	}
	if len(t.Columns) > 0 {
		parts := make([]string, len(t.Columns))
		for i, col := range t.Columns {
			parts[i] = "`" + strings.ReplaceAll(col.Name, "`", "``") + "` " + col.TypeText
			if _, err := analyzer.ParseDDLType(col.TypeText, "UTC"); err != nil {
				return err
			}
		}
		entry.SchemaDDL = strings.Join(parts, ", ")
	}
	if query != nil {
		mode := arrowio.ModeOverwrite
		if !t.Replace && entry.Managed {
			mode = "error"
		}
		if err := c.writeTable(entry, query, mode); err != nil {
			return err
		}
	} else if err := os.MkdirAll(entry.Location, 0o755); err != nil {
		return errkind.Invalid("cannot create the table directory %s: %v", entry.Location, err)
	} else if entry.SchemaDDL == "" {
		if _, err := entry.scan(c.session, c.server, &logical.IDGenerator{}); err != nil {
			return errkind.Invalid("CREATE TABLE %s needs columns, AS SELECT, or a LOCATION holding %s files: %v", name, format, err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tables[strings.ToLower(name)] = entry
	return r.save()
}

// writeTable runs a planned query into a table's location.
func (c *catalog) writeTable(t *tableEntry, query logical.Plan, mode string) error {
	q, err := c.server.PlanLogical(c.session, query)
	if err != nil {
		return err
	}
	_, err = c.server.WriteQuery(context.Background(), c.session, q, arrowio.WriteSpec{Path: t.Location, Format: t.Format, Mode: mode})
	return err
}

func (c *catalog) InsertInto(conv *protoplan.Converter, table []string, query logical.Plan, overwrite bool) error {
	name, ok := tableName(table)
	var t *tableEntry
	if ok {
		t, ok = c.server.tableRegistry().get(name)
	}
	if !ok {
		return errkind.NotFound("table '%s' not found; CREATE TABLE it first (INSERT INTO writes only to saved tables)", strings.Join(table, "."))
	}
	target, err := t.scan(c.session, c.server, conv.A.IDs)
	if err != nil {
		return err
	}
	want := target.Output()
	got := query.Output()
	if len(want) != len(got) {
		return errkind.Invalid("INSERT INTO %s: the table has %d columns (%s) but the query returns %d", t.Name, len(want), joinNames(want), len(got))
	}
	// Rows go in by position, cast to the table's column types and named as the table's columns.
	exprs := make([]logical.Named, len(got))
	for i, a := range got {
		var e logical.Expr = a
		if !arrow.TypeEqual(a.Type, want[i].Type) {
			if e, err = conv.A.NewCast(a, want[i].Type, logical.EvalANSI); err != nil {
				return err
			}
		}
		exprs[i] = &logical.Alias{Child: e, Alias: want[i].ColumnName, AttrID: conv.A.IDs.Next()}
	}
	mode := arrowio.ModeAppend
	if overwrite {
		mode = arrowio.ModeOverwrite
	}
	return c.writeTable(t, &logical.Project{Input: query, Expressions: exprs}, mode)
}

func joinNames(attrs []*logical.ColumnRef) string {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = a.ColumnName
	}
	return strings.Join(names, ", ")
}

func (c *catalog) DropTable(parts []string, _ bool) (bool, error) {
	name, ok := tableName(parts)
	if !ok {
		return false, nil
	}
	r := c.server.tableRegistry()
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.tables[strings.ToLower(name)]
	if !ok {
		return false, nil
	}
	delete(r.tables, strings.ToLower(name))
	if err := r.save(); err != nil {
		return true, err
	}
	if t.Managed {
		if err := os.RemoveAll(t.Location); err != nil && !errors.Is(err, os.ErrNotExist) {
			return true, errkind.Invalid("dropped table '%s' but could not remove %s: %v", name, t.Location, err)
		}
	}
	return true, nil
}

// SaveAsTable writes a planned query as a saved table (df.write.saveAsTable): mode error (the
// default) refuses an existing table, overwrite replaces it, append adds rows, ignore skips.
func (s *Server) SaveAsTable(ctx context.Context, session *Session, q *Query, name, format, mode string) error {
	parts, err := protoplan.ParseIdentifier(name)
	if err != nil {
		return err
	}
	n, ok := tableName(parts)
	if !ok {
		return errkind.NotFound("database of '%s' not found; tables live in 'default'", name)
	}
	if format == "" {
		format = arrowio.FormatParquet
	}
	mode, err = arrowio.NormalizeMode(mode)
	if err != nil {
		return err
	}
	r := s.tableRegistry()
	existing, exists := r.get(n)
	switch {
	case exists && mode == arrowio.ModeIgnore:
		return nil
	case exists && mode != arrowio.ModeAppend && mode != arrowio.ModeOverwrite:
		return errkind.Invalid("table '%s' already exists; use mode('overwrite') or mode('append')", n)
	}
	entry := &tableEntry{Name: n, Format: format, Location: filepath.Join(r.dir, strings.ToLower(n)), Managed: true}
	writeMode := arrowio.ModeOverwrite
	if exists {
		entry = existing
		writeMode = mode
	}
	if _, err := s.WriteQuery(ctx, session, q, arrowio.WriteSpec{Path: entry.Location, Format: entry.Format, Mode: writeMode}); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.tables[strings.ToLower(n)] = entry
	return r.save()
}
