"""Multi-name aliases name each column of a generator, as in PySpark:
explode(map).alias("k", "v") and posexplode(array).alias("p", "x"); other expressions reject them."""

from __future__ import annotations

import pytest

from quiver.sql import functions as F


def test_generators_take_one_name_per_column(spark):
    df = spark.createDataFrame([(1, [10, 20], {"a": 1})], "id int, arr array<int>, m map<string,int>")
    exploded = df.select("id", F.explode("m").alias("k", "v"))
    assert exploded.columns == ["id", "k", "v"]
    assert [tuple(r) for r in exploded.collect()] == [(1, "a", 1)]
    positions = df.select(F.posexplode("arr").alias("p", "x"))
    assert positions.columns == ["p", "x"]
    assert [tuple(r) for r in positions.collect()] == [(0, 10), (1, 20)]


def test_multi_alias_needs_a_generator(spark):
    df = spark.createDataFrame([(1,)], "id int")
    with pytest.raises(Exception, match="MULTI_ALIAS_WITHOUT_GENERATOR"):
        df.select(F.col("id").alias("a", "b")).collect()


def test_wrong_number_of_names(spark):
    df = spark.createDataFrame([([1],)], "arr array<int>")
    with pytest.raises(Exception, match="aliases"):
        df.select(F.explode("arr").alias("a", "b")).collect()
