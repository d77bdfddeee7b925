"""df.summary() with percentiles, percentile_approx/approx_percentile/percentile/median, and
df.replace/df.na.replace, against answers recorded from PySpark 4.3.0 (local[2]) running the same
program (golden/summary_percentile_replace.pyspark.json)."""

from __future__ import annotations

import json
import math
import random
from decimal import Decimal as D
from pathlib import Path

import pytest

from quiver.sql import functions as F

EXPECTED = json.loads((Path(__file__).parent / "golden" / "summary_percentile_replace.pyspark.json").read_text())


def make_frame(spark):
    rng = random.Random(11)
    data = [(1, 2.5, "x", D("1.10")), (2, None, "y", D("2.20")), (3, 7.25, None, None), (4, 1.0, "z", D("4.40")), (None, 3.0, "w", D("0.01"))]
    data += [(rng.randint(-50, 50), rng.choice([None, rng.uniform(-10, 10)]), rng.choice(["a", "b", None]), D(rng.randint(-999, 999)) / 100)
             for _ in range(200)]
    return spark.createDataFrame(data, "i int, d double, s string, m decimal(5,2)")


def rows(df):
    return [[None if v is None else str(v) for v in r] for r in df.collect()]


def assert_summary(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        if w[0] in ("mean", "stddev"):
            # Floating sums may differ from Spark's in the last bits.
            assert g[0] == w[0]
            for a, b in zip(g[1:], w[1:]):
                assert (a is None) == (b is None) and (a is None or math.isclose(float(a), float(b), rel_tol=1e-12)), (g, w)
        else:
            assert g == w


def test_summary_with_default_percentiles(spark):
    assert_summary(rows(make_frame(spark).summary()), EXPECTED["summary"])


def test_summary_with_custom_percentiles(spark):
    df = make_frame(spark).summary("count", "1%", "10%", "33.3%", "99.9%", "max")
    assert rows(df) == EXPECTED["summary_custom"]


def test_summary_rejects_a_bad_percentile(spark):
    with pytest.raises(ValueError, match="percentile"):
        make_frame(spark).summary("abc%")


def test_percentile_functions_grouped(spark):
    df = make_frame(spark)
    g = df.groupBy((F.col("i") % 3).alias("k")).agg(
        F.percentile_approx("i", 0.5).alias("p1"), F.percentile_approx("d", [0.1, 0.5, 0.9], 50).alias("p2"),
        F.percentile_approx("m", 0.75).alias("p3"), F.percentile("i", 0.3).alias("p4"), F.median("d").alias("p5"),
        F.percentile("d", [0.25, 0.75]).alias("p6")).orderBy("k")
    assert rows(g) == EXPECTED["grouped"]


def test_percentile_column_names(spark):
    df = make_frame(spark)
    names = df.select(F.percentile_approx("i", 0.5), F.percentile_approx("d", [0.25, 0.75], 100), F.expr("approx_percentile(m, 0.5)"),
                      F.percentile("i", 0.3), F.median("d")).columns
    assert names == EXPECTED["names"]


def test_percentile_in_sql(spark):
    make_frame(spark).createOrReplaceTempView("percentile_input")
    got = spark.sql("SELECT percentile_approx(i, 0.5), percentile(i, 0.3), median(d) FROM percentile_input WHERE i % 3 = 0").collect()[0]
    want = [r for r in EXPECTED["grouped"] if r[0] == "0"][0]
    assert [str(v) for v in got] == [want[1], want[4], want[5]]


def test_percentile_approx_rejects_a_percentage_out_of_range(spark):
    with pytest.raises(Exception, match="between 0.0 and 1.0"):
        make_frame(spark).select(F.percentile_approx("i", 1.5)).collect()


REPLACEMENTS = {
    "scalar": lambda df: df.na.replace(1, 10), "lists": lambda df: df.replace([1, 2], [10, 20], "i"),
    "dict": lambda df: df.replace({"x": "X", "y": None}), "subset": lambda df: df.replace("a", "A", subset=["s"]),
    "float": lambda df: df.replace(2.5, 9.0), "float into int": lambda df: df.replace(1, 1.5),
    "list to one": lambda df: df.replace([1, 3], 0), "decimal": lambda df: df.replace(1.1, 9.9, "m"),
}


@pytest.mark.parametrize("label", list(REPLACEMENTS))
def test_replace(spark, label):
    got = REPLACEMENTS[label](make_frame(spark)).orderBy("i", "d", "s", "m")
    assert rows(got) == EXPECTED["replace"][label]


def test_replace_errors(spark):
    df = make_frame(spark)
    with pytest.raises(ValueError, match="MIXED_TYPE_REPLACEMENT"):
        df.replace({1: 100, "x": "q"})
    with pytest.raises(TypeError, match="NOT_EXPECTED_TYPE"):
        df.replace(None, 5)
    with pytest.raises(ValueError, match="LENGTH_SHOULD_BE_THE_SAME"):
        df.replace([1, 2], [3])
