"""Higher-order functions with Python lambdas (F.transform, F.filter, ...), checked against the
answers PySpark 4.3 gave for the same DataFrame (recorded below) and against plain Python."""

import pyarrow as pa
import pytest

from quiver.sql import functions as F

ARRAYS = [[1, 2, 3], None, [], [5, None, 7]]
KS = [10, 20, 30, 40]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(pa.table({
        "id": pa.array([1, 2, 3, 4], pa.int32()),
        "a": pa.array(ARRAYS, pa.list_(pa.int32())),
        "k": pa.array(KS, pa.int32()),
    }))


def test_higher_order_functions_match_pyspark(df):
    out = df.select(
        "id",
        F.transform("a", lambda x: x + 1).alias("t1"),
        F.transform("a", lambda x, i: x * i).alias("t2"),
        F.filter("a", lambda x: x > 1).alias("f"),
        F.exists("a", lambda x: x > 5).alias("e"),
        F.forall("a", lambda x: x > 0).alias("fa"),
        F.aggregate("a", F.lit(0), lambda acc, x: acc + x).alias("ag"),
        F.aggregate("a", F.col("k"), lambda acc, x: acc + x, lambda acc: acc * 2).alias("ag2"),
        F.zip_with("a", F.array(F.lit(1), F.lit(2)), lambda x, y: x + y).alias("z"),
    ).orderBy("id").collect()
    # PySpark 4.3.0, local[1], same data and expressions.
    expected = [
        dict(id=1, t1=[2, 3, 4], t2=[0, 2, 6], f=[2, 3], e=False, fa=True, ag=6, ag2=32, z=[2, 4, None]),
        dict(id=2, t1=None, t2=None, f=None, e=None, fa=None, ag=None, ag2=None, z=None),
        dict(id=3, t1=[], t2=[], f=[], e=False, fa=True, ag=0, ag2=60, z=[None, None]),
        dict(id=4, t1=[6, None, 8], t2=[0, None, 14], f=[5, 7], e=True, fa=None, ag=None, ag2=None, z=[6, None, None]),
    ]
    assert [r.asDict() for r in out] == expected


def test_lambda_reads_outer_columns(df):
    got = df.select(F.transform("a", lambda x: x * F.col("k")).alias("r"),
                    F.filter("a", lambda x, i: i >= F.col("id") - 1).alias("g")).toArrow()
    want_r = [None if a is None else [None if x is None else x * k for x in a] for a, k in zip(ARRAYS, KS)]
    want_g = [None if a is None else [x for i, x in enumerate(a) if i >= ident - 1] for a, ident in zip(ARRAYS, [1, 2, 3, 4])]
    assert got.column("r").to_pylist() == want_r
    assert got.column("g").to_pylist() == want_g


def test_column_names_are_sparks(df):
    names = df.select(F.transform("a", lambda x: x + F.col("k")), F.filter("a", lambda x, i: i > 0)).columns
    # PySpark 4.3.0's names for the same columns.
    assert names == ["transform(a, lambdafunction((namedlambdavariable() + k), namedlambdavariable()))",
                     "filter(a, lambdafunction((namedlambdavariable() > 0), namedlambdavariable(), namedlambdavariable()))"]


def test_nested_and_map_functions(spark):
    m = spark.createDataFrame(pa.table({
        "m": pa.array([[("a", 1), ("b", 2)], None, []], pa.map_(pa.string(), pa.int64())),
        "n": pa.array([[[1, 2], [3]], [[]], None], pa.list_(pa.list_(pa.int64()))),
    }))
    got = m.select(
        F.transform_values("m", lambda k, v: v * 10).alias("tv"),
        F.transform_keys("m", lambda k, v: F.upper(k)).alias("tk"),
        F.map_filter("m", lambda k, v: v > 1).alias("mf"),
        F.transform("n", lambda inner: F.transform(inner, lambda x: x + 1)).alias("nn"),
    ).toArrow()
    assert got.column("tv").to_pylist() == [[("a", 10), ("b", 20)], None, []]
    assert got.column("tk").to_pylist() == [[("A", 1), ("B", 2)], None, []]
    assert got.column("mf").to_pylist() == [[("b", 2)], None, []]
    assert got.column("nn").to_pylist() == [[[2, 3], [4]], [[]], None]


def test_lambda_errors(df):
    with pytest.raises(ValueError, match="must take 2 arguments"):
        F.aggregate("a", F.lit(0), lambda x: x)
    with pytest.raises(Exception, match="must return a boolean"):
        df.select(F.filter("a", lambda x: x + 1)).collect()
    with pytest.raises(Exception, match="DIVIDE_BY_ZERO"):
        df.select(F.transform("a", lambda x: F.try_divide(x, 1) + x / 0)).collect()
    # The server keeps serving.
    assert df.count() == 4


def test_sql_lambdas_and_expr(spark, df):
    df.createOrReplaceTempView("hof_arrays")
    got = spark.sql("SELECT id, aggregate(a, 0L, (acc, x) -> acc + coalesce(x, 0)) AS s FROM hof_arrays ORDER BY id").toArrow()
    assert got.column("s").to_pylist() == [None if a is None else sum(x or 0 for x in a) for a in ARRAYS]
    got = df.select(F.expr("transform(a, x -> x + k)").alias("r")).toArrow()
    assert got.column("r").to_pylist() == [None if a is None else [None if x is None else x + k for x in a] for a, k in zip(ARRAYS, KS)]


def test_lambdas_in_aggregates_and_select_expr(df):
    got = df.groupBy((F.col("id") % 2).alias("odd")).agg(
        F.sum(F.aggregate("a", F.lit(0), lambda acc, x: acc + F.coalesce(x, F.lit(0)))).alias("s")).orderBy("odd").toArrow()
    sums = [None if a is None else sum(x or 0 for x in a) for a in ARRAYS]
    want = {}
    for ident, s in zip([1, 2, 3, 4], sums):
        if s is not None:
            want[ident % 2] = want.get(ident % 2, 0) + s
    assert got.column("odd").to_pylist() == [0, 1]
    assert got.column("s").to_pylist() == [want.get(0), want.get(1)]
    got = df.selectExpr("id", "forall(a, x -> x IS NOT NULL) AS complete").orderBy("id").toArrow()
    assert got.column("complete").to_pylist() == [None if a is None else all(x is not None for x in a) for a in ARRAYS]
