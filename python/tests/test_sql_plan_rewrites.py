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


def test_q02_subquery_tests_parts_before_the_dimension_joins(spark, tpch):  # noqa: F811
    plan = explain(spark, query_text(2))
    optimized = section(plan, "Optimized Logical Plan")
    # The semi join with the filtered parts sits directly on partsupp, below the joins.
    semi = optimized.index("Join LeftSemi, (ps_partkey = p_partkey)")
    assert "partsupp" in optimized[semi:].splitlines()[1], optimized
    check_answer(spark, tpch, 2)


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
