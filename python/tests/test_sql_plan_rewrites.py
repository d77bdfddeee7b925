"""Plan shapes of the TPC-H rewrites of decision 0024 (SF0.1 data, the queries' own texts):
each test checks the rewrite is in the plan and that the answer still equals DuckDB's."""
import re

import pytest

from test_sql_tpch import assert_same_rows, query_text, tpch  # noqa: F401  (module fixture)


def explain(spark, text):
    return spark.sql("EXPLAIN FORMATTED " + text).collect()[0][0]


def section(plan, title):
    """One section of EXPLAIN FORMATTED's text ("Physical Plan", "Optimized Logical Plan")."""
    start = plan.index(f"== {title} ==")
    end = plan.find("\n== ", start + 1)
    return plan[start:] if end < 0 else plan[start:end]


def check_answer(spark, tpch, n):  # noqa: F811
    text = query_text(n)
    got = [tuple(r) for r in spark.sql(text).collect()]
    assert_same_rows(got, tpch.execute(text).fetchall(), "order by" in text.lower(), f"q{n:02d}")


def test_q13_counts_orders_per_customer_before_the_join(spark, tpch):  # noqa: F811
    plan = section(explain(spark, query_text(13)), "Optimized Logical Plan")
    # The orders side is aggregated by o_custkey under the outer join, and o_comment (read only
    # by the filter) is not carried into the join.
    assert "partial_count(o_orderkey)" in plan, plan
    assert re.search(r"Join LeftOuter.*\n(.*\n)*?.*Aggregate \[o_custkey", plan), plan
    check_answer(spark, tpch, 13)


def test_q15_computes_the_revenue_view_once(spark, tpch):  # noqa: F811
    plan = section(explain(spark, query_text(15)), "Physical Plan")
    assert plan.count("FileScan parquet [") - plan.count("supplier.parquet") == 1, plan
    check_answer(spark, tpch, 15)


def test_q16_not_in_over_non_null_keys_is_a_hash_anti_join(spark, tpch):  # noqa: F811
    plan = explain(spark, query_text(16))
    assert "NestedLoopJoin" not in plan, plan
    assert re.search(r"HashJoin \[ps_suppkey#\d+\], \[s_suppkey#\d+\], LeftAnti", plan), plan
    check_answer(spark, tpch, 16)


@pytest.mark.parametrize("n,table,window", [
    (2, "partsupp.parquet", "min(ps_supplycost) OVER (PARTITION BY p_partkey"),
    (17, "lineitem.parquet", "avg(l_quantity) OVER (PARTITION BY p_partkey"),
    # Q11's HAVING subquery sums the rows its GROUP BY already summed: the sum of the groups.
    (11, "partsupp.parquet", "sum(value) OVER (ROWS BETWEEN"),
])
def test_subquery_over_the_outer_tables_is_a_window(spark, tpch, n, table, window):  # noqa: F811
    # Q2's min(ps_supplycost) per part and Q17's avg(l_quantity) per part read the tables the
    # outer query already joins: a window over the outer join reads partsupp/lineitem once.
    plan = explain(spark, query_text(n))
    optimized = section(plan, "Optimized Logical Plan")
    assert f"Window [{window}" in optimized, optimized
    assert section(plan, "Physical Plan").count(table) == 1, plan
    check_answer(spark, tpch, n)


@pytest.fixture(scope="module")
def keyed_tables(spark, tmp_path_factory):
    """A small tested table and a 20x larger subquery table, both with NULL keys, as Parquet (the
    semi-join reduction needs footer row counts), registered in Quiver and DuckDB."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = tmp_path_factory.mktemp("semi_reduction")
    small = pa.table({"id": pa.array([1, 2, 3, None, 5], pa.int64()), "tag": ["a", "b", "c", "d", "e"]})
    big_keys = [(i % 7) if i % 11 else None for i in range(100)]
    big = pa.table({"ref": pa.array(big_keys, pa.int64()), "amount": pa.array(range(100), pa.int64())})
    con = duckdb.connect()
    for name, table in [("small_t", small), ("big_t", big)]:
        path = str(directory / f"{name}.parquet")
        pq.write_table(table, path)
        spark.read.parquet(path).createOrReplaceTempView(name)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


SEMI_QUERIES = [
    "SELECT id, tag FROM small_t s WHERE EXISTS (SELECT 1 FROM big_t b WHERE b.ref = s.id)",
    "SELECT id, tag FROM small_t s WHERE NOT EXISTS (SELECT 1 FROM big_t b WHERE b.ref = s.id)",
    "SELECT id, tag FROM small_t s WHERE id IN (SELECT ref FROM big_t)",
    # NULL in the subquery: NOT IN keeps no row.
    "SELECT id, tag FROM small_t s WHERE id NOT IN (SELECT ref FROM big_t)",
    "SELECT id, tag FROM small_t s WHERE id NOT IN (SELECT ref FROM big_t WHERE ref IS NOT NULL)",
    "SELECT id, tag FROM small_t s WHERE NOT EXISTS (SELECT 1 FROM big_t b WHERE b.ref = s.id AND b.amount > 50)",
    "SELECT id, tag FROM small_t s WHERE id > 1 AND EXISTS (SELECT 1 FROM big_t b WHERE b.ref = s.id AND b.amount < s.id * 10)",
]


@pytest.mark.parametrize("text", SEMI_QUERIES)
def test_semi_and_anti_joins_reduce_the_larger_side_with_the_same_answers(spark, keyed_tables, text):
    plan = section(explain(spark, text), "Optimized Logical Plan")
    if "NOT IN" not in text:
        # The subquery side is first semi-joined with the tested table's keys. (NOT IN over a
        # nullable column has no plain equality to reduce by.)
        assert plan.count("Join LeftSemi") >= 1 and re.search(r"Join Left(Semi|Anti)[^\n]*\n(.*\n)*.*Join LeftSemi", plan), plan
    got = sorted((tuple(r) for r in spark.sql(text).collect()), key=str)
    want = sorted(keyed_tables.execute(text).fetchall(), key=str)
    assert got == want, text


@pytest.fixture(scope="module")
def repeated_keys(spark, tmp_path_factory):
    """An outer table whose keys repeat (and are NULL) and a detail table with NULL keys and
    values, as Parquet, registered in Quiver and DuckDB: a window over the outer join sees each
    detail row once per outer row with its key, which only min/max/avg do not notice."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = tmp_path_factory.mktemp("window_subquery")
    outer = pa.table({"k": pa.array([1, 1, 2, 3, 3, 3, 4, None], pa.int64()), "tag": list("abcdefgh")})
    detail_keys = [(i % 5) if i % 9 else None for i in range(60)]
    detail_values = [(i * 37) % 101 if i % 13 else None for i in range(60)]
    detail = pa.table({"k": pa.array(detail_keys, pa.int64()), "v": pa.array(detail_values, pa.int64()),
                       "w": pa.array([i % 3 for i in range(60)], pa.int64())})
    con = duckdb.connect()
    for name, table in [("outer_t", outer), ("detail_t", detail)]:
        path = str(directory / f"{name}.parquet")
        pq.write_table(table, path)
        spark.read.parquet(path).createOrReplaceTempView(name)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


# (query, whether it becomes a window)
WINDOW_QUERIES = [
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k "
     "AND d.v > (SELECT avg(d2.v) FROM detail_t d2 WHERE d2.k = o.k)", True),
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k AND o.tag <> 'e' "
     "AND d.v = (SELECT max(d2.v) FROM detail_t d2 WHERE d2.k = o.k)", True),
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE d.k = o.k AND d.w = 1 "
     "AND d.v < (SELECT 0.5 * min(v) + 10 FROM detail_t WHERE w = 1 AND k = o.k)", True),
    # sum and count see each detail row once per outer row with its key: not a window.
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k "
     "AND d.v * 8 > (SELECT sum(d2.v) FROM detail_t d2 WHERE d2.k = o.k)", False),
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k "
     "AND d.v > (SELECT count(*) FROM detail_t d2 WHERE d2.k = o.k)", False),
    # The outer query filters detail rows the subquery aggregates (and the reverse): not a window.
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k AND d.v < 60 "
     "AND d.v > (SELECT avg(d2.v) FROM detail_t d2 WHERE d2.k = o.k)", False),
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k "
     "AND d.v > (SELECT avg(d2.v) FROM detail_t d2 WHERE d2.k = o.k AND d2.v < 40)", False),
    # A second condition between the outer and the detail table: not a window.
    ("SELECT o.tag, d.v FROM outer_t o, detail_t d WHERE o.k = d.k AND d.v > o.k * 20 "
     "AND d.v > (SELECT avg(d2.v) FROM detail_t d2 WHERE d2.k = o.k)", False),
]


@pytest.mark.parametrize("text,windowed", WINDOW_QUERIES)
def test_correlated_scalar_subquery_as_window_matches_duckdb(spark, repeated_keys, text, windowed):
    plan = section(explain(spark, text), "Optimized Logical Plan")
    assert ("Window [" in plan) == windowed, plan
    got = sorted((tuple(r) for r in spark.sql(text).collect()), key=str)
    want = sorted(repeated_keys.execute(text).fetchall(), key=str)
    assert_same_rows(got, want, True, text)


# (query, whether its HAVING subquery becomes a window over the aggregate)
HAVING_QUERIES = [
    ("SELECT k, sum(v) AS s FROM detail_t GROUP BY k HAVING sum(v) > (SELECT sum(v) * 0.15 FROM detail_t)", True),
    ("SELECT k, count(*) FROM detail_t WHERE w > 0 GROUP BY k "
     "HAVING count(*) * 5 >= (SELECT count(*) FROM detail_t WHERE w > 0)", True),
    ("SELECT w, max(v) FROM detail_t GROUP BY w "
     "HAVING max(v) - min(v) > (SELECT (max(v) - min(v)) / 2 + count(v) FROM detail_t)", True),
    ("SELECT o.tag, sum(d.v) FROM outer_t o, detail_t d WHERE o.k = d.k GROUP BY o.tag "
     "HAVING sum(d.v) > (SELECT sum(d2.v) / 10 FROM outer_t o2, detail_t d2 WHERE o2.k = d2.k)", True),
    ("SELECT k, sum(CAST(v AS DECIMAL(10, 2))) AS s FROM detail_t GROUP BY k "
     "HAVING sum(CAST(v AS DECIMAL(10, 2))) > (SELECT sum(CAST(v AS DECIMAL(10, 2))) * 0.2 FROM detail_t)", True),
    # Other rows than the groups': a second scan, as written.
    ("SELECT k, sum(v) FROM detail_t WHERE w > 0 GROUP BY k HAVING sum(v) > (SELECT sum(v) * 0.2 FROM detail_t)", False),
    # An average of averages is not the average.
    ("SELECT k, avg(v) FROM detail_t GROUP BY k HAVING avg(v) + 3.5 > (SELECT avg(v) FROM detail_t)", False),
    ("SELECT k, count(DISTINCT w) FROM detail_t GROUP BY k HAVING count(DISTINCT w) >= (SELECT count(DISTINCT w) FROM detail_t)", False),
]


@pytest.mark.parametrize("text,windowed", HAVING_QUERIES)
def test_having_subquery_over_the_same_rows_as_window_matches_duckdb(spark, repeated_keys, text, windowed):
    plan = section(explain(spark, text), "Optimized Logical Plan")
    assert ("Window [" in plan) == windowed, plan
    got = sorted((tuple(r) for r in spark.sql(text).collect()), key=str)
    want = sorted(repeated_keys.execute(text).fetchall(), key=str)
    assert_same_rows(got, want, True, text)


def test_q20_lineitem_is_tested_against_the_forest_parts_first(spark, tpch):  # noqa: F811
    # The (partkey, suppkey) pairs come from partsupp rows of 'forest%' parts: lineitem rows are
    # tested on l_partkey alone against those parts (the same shared part stage). partsupp has no
    # filter of its own, so testing the pairs too would only cost a second partsupp scan.
    plan = explain(spark, query_text(20))
    optimized = section(plan, "Optimized Logical Plan")
    assert "Join LeftSemi, (l_partkey = p_partkey)" in optimized, optimized
    physical = section(plan, "Physical Plan")
    assert physical.count("part.parquet") == 1 and physical.count("partsupp.parquet") == 1, plan
    check_answer(spark, tpch, 20)


def test_correlated_subquery_over_most_of_the_outer_rows_stays_an_aggregate(spark, tpch):  # noqa: F811
    # Q17 over the parts with p_size < 40 (80% of them): sorting most of lineitem for a window
    # costs more than reading it again, so the subquery stays an aggregate joined back.
    text = ("select sum(l_extendedprice) / 7.0 as avg_yearly from lineitem, part "
            "where p_partkey = l_partkey and p_size < 40 "
            "and l_quantity < (select 0.2 * avg(l_quantity) from lineitem where l_partkey = p_partkey)")
    plan = explain(spark, text)
    assert "Window [" not in section(plan, "Optimized Logical Plan"), plan
    assert_same_rows([tuple(r) for r in spark.sql(text).collect()], tpch.execute(text).fetchall(), False, text)
