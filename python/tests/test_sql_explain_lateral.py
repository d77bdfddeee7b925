"""SQL EXPLAIN shows what DataFrame.explain() shows, and LATERAL VIEW explode/posexplode, checked
against the answers PySpark 4.3 gave for the same statements (recorded below)."""

import pyarrow as pa
import pytest


@pytest.fixture(scope="module")
def views(spark):
    spark.createDataFrame(pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int32()),
        "a": pa.array([[1, 2, 3], None, [], [5, None, 7]], pa.list_(pa.int32())),
        "k": pa.array([10, 20, 30, 40], pa.int32()),
    })).createOrReplaceTempView("lv_arrays")
    spark.range(0, 1000, numPartitions=4).createOrReplaceTempView("lv_numbers")
    return spark


@pytest.mark.parametrize("mode", ["", "EXTENDED", "FORMATTED"])
def test_explain_matches_dataframe_explain(views, mode):
    query = "SELECT id % 7 AS g, count(*) FROM lv_numbers GROUP BY id % 7"
    result = views.sql(f"EXPLAIN {mode} {query}")
    assert result.columns == ["plan"]
    text = result.collect()[0][0]
    assert text == views.sql(query)._explain_string(mode=mode.lower() or "simple")
    # A shuffle cuts the plan into stages, which the physical plan shows.
    assert "== Physical Plan ==" in text and "Stage 2" in text and "HashAggregate(final)" in text
    if mode == "EXTENDED":
        assert "== Analyzed Logical Plan ==" in text and "== Optimized Logical Plan ==" in text


def rows(df):
    return sorted((tuple(r) for r in df.collect()), key=repr)


def test_lateral_view_matches_pyspark(views):
    sql = views.sql
    # PySpark 4.3.0 answers to the same statements.
    assert rows(sql("SELECT id, t.c FROM lv_arrays LATERAL VIEW explode(a) t AS c")) == sorted(
        [(1, 1), (1, 2), (1, 3), (4, 5), (4, 7), (4, None)], key=repr)
    got = sql("SELECT id, t.p, t.c FROM lv_arrays LATERAL VIEW OUTER posexplode(a) t AS p, c")
    assert got.columns == ["id", "p", "c"]
    assert rows(got) == sorted([(1, 0, 1), (1, 1, 2), (1, 2, 3), (2, None, None), (3, None, None),
                                (4, 0, 5), (4, 1, None), (4, 2, 7)], key=repr)
    got = sql("SELECT id, t.col FROM lv_arrays LATERAL VIEW explode(a) t")
    assert got.columns == ["id", "col"]
    got = sql("SELECT id, c, d FROM lv_arrays LATERAL VIEW explode(a) t1 AS c "
              "LATERAL VIEW explode(array(c, c)) t2 AS d WHERE id = 1")
    assert rows(got) == sorted([(1, 1, 1), (1, 1, 1), (1, 2, 2), (1, 2, 2), (1, 3, 3), (1, 3, 3)], key=repr)
    got = sql("SELECT * FROM VALUES (1) AS v(x) LATERAL VIEW explode(map('a', 1)) t AS k, v")
    assert got.columns == ["x", "k", "v"] and rows(got) == [(1, "a", 1)]


def test_generator_in_from(views):
    got = views.sql("SELECT * FROM explode(array(1, 2))")
    # PySpark 4.3.0: column 'col', rows 1 and 2.
    assert got.columns == ["col"] and rows(got) == [(1,), (2,)]
    got = views.sql("SELECT e.x FROM posexplode(array('a', 'b')) AS e(p, x) WHERE e.p = 1")
    assert rows(got) == [("b",)]


def test_lateral_view_errors(views):
    with pytest.raises(Exception, match="generator"):
        views.sql("SELECT * FROM lv_arrays LATERAL VIEW upper(a) t AS c").collect()
    with pytest.raises(Exception, match="aliases"):
        views.sql("SELECT * FROM lv_arrays LATERAL VIEW explode(a) t AS c, d").collect()
