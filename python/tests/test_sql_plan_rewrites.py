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
