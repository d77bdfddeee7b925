package sqlplan

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/quiverdata/quiver/errkind"
)

func TestParseStatementsAndErrors(t *testing.T) {
	ok := []string{
		"SELECT `a b`, t.c FROM t WHERE a > 1 ORDER BY 1 DESC NULLS LAST LIMIT 3 OFFSET 1",
		"WITH x AS (SELECT 1 AS a), y (b) AS (SELECT a FROM x) SELECT * FROM y",
		"SELECT a FROM t UNION ALL SELECT b FROM s INTERSECT SELECT c FROM r EXCEPT SELECT d FROM q",
		"SELECT CAST(a AS DECIMAL(10, 2)), TRY_CAST(b AS INT), c::string FROM t",
		"SELECT DATE '2020-01-01' + INTERVAL 3 DAYS, INTERVAL '1-2' YEAR TO MONTH, INTERVAL '1 day 2 hours'",
		"SELECT sum(x) OVER (PARTITION BY k ORDER BY v ROWS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t",
		"SELECT count(*) FILTER (WHERE a > 0), count(DISTINCT b) FROM t GROUP BY c HAVING count(*) > 1",
		"SELECT * FROM a LEFT SEMI JOIN b USING (k) NATURAL JOIN c CROSS JOIN d",
		"SELECT CASE a WHEN 1 THEN 'x' ELSE 'y' END, a IS DISTINCT FROM b, a NOT LIKE 'x%' ESCAPE '!' FROM t",
		"SELECT * FROM t WHERE EXISTS (SELECT 1 FROM s WHERE s.k = t.k) AND a NOT IN (SELECT b FROM s)",
		"CREATE OR REPLACE GLOBAL TEMP VIEW v AS SELECT 1",
		"CREATE TABLE IF NOT EXISTS t (a INT NOT NULL, b ARRAY<STRUCT<x: INT>>) USING parquet LOCATION '/tmp/t'",
		"INSERT OVERWRITE TABLE t SELECT * FROM s",
		"EXPLAIN EXTENDED SELECT 1",
		"SHOW TABLES IN global_temp LIKE 'v*'",
		"DESCRIBE TABLE t",
		"SELECT a, b FROM t GROUP BY a, ROLLUP(b, (c, d)), CUBE(e), GROUPING SETS ((a, b), a, (), ROLLUP(f))",
		"SELECT a, count(*) FROM t GROUP BY a, b WITH CUBE",
		"SELECT * FROM t PIVOT (sum(x) AS s, count(x) FOR c IN ('a' AS a1, 'b')) p",
		"SELECT a, sum(b) FROM t GROUP BY ALL ORDER BY ALL DESC NULLS FIRST",
		"INSERT INTO t (b, a) VALUES (1, 2)",
		"SET spark.sql.ansi.enabled = false",
		"SELECT :name, ?, substring(s FROM 1 FOR 2), extract(YEAR FROM d), trim(LEADING 'x' FROM s) FROM t;",
	}
	for _, text := range ok {
		_, err := ParseStatement(text)
		require.NoError(t, err, text)
	}
	var syntax *SyntaxError
	_, err := ParseStatement("SELECT a\nFROM t\nWHERE a >")
	require.ErrorAs(t, err, &syntax)
	require.Equal(t, 3, syntax.Line)
	require.Equal(t, 10, syntax.Column)
	require.True(t, errors.Is(err, errkind.ErrInvalid))

	for construct, text := range map[string]string{
		"QUALIFY":                  "SELECT a FROM t QUALIFY a > 1",
		"quantified comparisons":   "SELECT a FROM t WHERE a > ALL (SELECT b FROM s)",
		"persistent views":         "CREATE VIEW v AS SELECT 1",
		"UPDATE statements":        "UPDATE t SET a = 1",
		"named function arguments": "SELECT f(a => 1)",
	} {
		_, err := ParseStatement(text)
		require.Error(t, err, text)
		require.True(t, errors.Is(err, errkind.ErrNotImplemented), text)
		require.Contains(t, err.Error(), construct)
	}
}

// BenchmarkParseTPCH measures parse speed on the 22 TPC-H queries (docs/decisions/0002).
func BenchmarkParseTPCH(b *testing.B) {
	files, _ := filepath.Glob("../../testdata/tpch_queries/*.sql")
	var texts []string
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(b, err)
		texts = append(texts, string(raw))
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, text := range texts {
			if _, err := ParseStatement(text); err != nil {
				b.Fatal(err)
			}
		}
	}
}
