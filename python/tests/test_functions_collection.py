"""Collection functions and generators against plain Python list/dict logic."""

import pyarrow as pa
import pytest

from quiver.sql import functions as F

ARRAYS = [[3, 1, 2], [], None, [5, None, 5, 1], [7]]
MAPS = [[("a", 1), ("b", 2)], [], None, [("c", None)], [("a", 9)]]


@pytest.fixture(scope="module")
def df(spark):
    return spark.createDataFrame(pa.table({
        "id": pa.array(range(5), pa.int64()),
        "arr": pa.array(ARRAYS, pa.list_(pa.int64())),
        "m": pa.array(MAPS, pa.map_(pa.string(), pa.int64())),
        "name": pa.array(["x", "y", None, "z", "w"]),
    }))


def col(t, name):
    return t.column(name).to_pylist()


def ref(f, values):
    return [None if v is None else f(v) for v in values]


def test_size_contains_element_at(df):
    got = df.select(F.size("arr").alias("n"), F.array_contains("arr", 5).alias("c5"), F.array_contains("arr", 2).alias("c2"),
                    F.element_at("m", F.lit("a")).alias("ma"), F.col("m")["b"].alias("mb"), F.size("m").alias("ms")).toArrow()
    assert col(got, "n") == ref(len, ARRAYS)
    assert col(got, "c5") == ref(lambda a: True if 5 in a else (None if None in a else False), ARRAYS)
    assert col(got, "c2") == ref(lambda a: True if 2 in a else (None if None in a else False), ARRAYS)
    assert col(got, "ms") == ref(len, MAPS)
    assert col(got, "ma") == [dict(m).get("a") if m is not None else None for m in MAPS]
    assert col(got, "mb") == [dict(m).get("b") if m is not None else None for m in MAPS]


def test_index_out_of_bounds_is_error_in_ansi(df):
    with pytest.raises(Exception, match="INVALID_ARRAY_INDEX"):
        df.select(F.element_at("arr", 2)).collect()
    got = df.filter(F.size("arr") > 0).select(F.element_at("arr", -1).alias("last"), F.col("arr")[0].alias("first")).toArrow()
    nonempty = [a for a in ARRAYS if a]
    assert col(got, "last") == [a[-1] for a in nonempty]
    assert col(got, "first") == [a[0] for a in nonempty]


def test_constructors(df):
    got = df.select(F.array("id", F.lit(10)).alias("a"), F.struct("id", "name").alias("s"),
                    F.create_map(F.lit("k"), F.col("id"), F.lit("n"), F.col("id") * 2).alias("mp"), F.map_keys("m").alias("mk"),
                    F.map_values("m").alias("mv")).toArrow()
    assert col(got, "a") == [[i, 10] for i in range(5)]
    assert col(got, "s") == [{"id": i, "name": n} for i, n in zip(range(5), ["x", "y", None, "z", "w"])]
    assert col(got, "mp") == [[("k", i), ("n", 2 * i)] for i in range(5)]
    assert col(got, "mk") == ref(lambda m: [k for k, _ in m], MAPS)
    assert col(got, "mv") == ref(lambda m: [v for _, v in m], MAPS)


def test_struct_fields(df):
    got = df.select(F.struct("id", "name").alias("s")).select(F.col("s.id").alias("i"), F.col("s")["name"].alias("n")).toArrow()
    assert col(got, "i") == list(range(5))
    assert col(got, "n") == ["x", "y", None, "z", "w"]


def test_sort_and_distinct(df):
    got = df.select(F.sort_array("arr").alias("asc"), F.sort_array("arr", asc=False).alias("desc"),
                    F.array_distinct("arr").alias("d")).toArrow()
    key = lambda v: (v is not None, v if v is not None else 0)  # noqa: E731 - nulls first
    assert col(got, "asc") == ref(lambda a: sorted(a, key=key), ARRAYS)
    assert col(got, "desc") == ref(lambda a: sorted(a, key=key, reverse=True), ARRAYS)
    assert col(got, "d") == ref(lambda a: list(dict.fromkeys(a)), ARRAYS)


def test_explode_variants(df):
    got = df.select("id", F.explode("arr").alias("v")).toArrow()
    want = [(i, v) for i, a in enumerate(ARRAYS) if a for v in a]
    assert list(zip(col(got, "id"), col(got, "v"))) == want
    outer = df.select("id", F.explode_outer("arr")).toArrow()
    assert outer.column_names == ["id", "col"]
    want_outer = [(i, v) for i, a in enumerate(ARRAYS) for v in (a if a else [None])]
    assert list(zip(col(outer, "id"), col(outer, "col"))) == want_outer
    pos = df.select(F.posexplode("arr"), "name").toArrow()
    assert pos.column_names == ["pos", "col", "name"]
    names = ["x", "y", None, "z", "w"]
    assert list(zip(col(pos, "pos"), col(pos, "col"), col(pos, "name"))) == [(k, v, names[i]) for i, a in enumerate(ARRAYS) if a for k, v in enumerate(a)]
    m = df.select("id", F.explode("m")).toArrow()
    assert m.column_names == ["id", "key", "value"]
    assert list(zip(col(m, "id"), col(m, "key"), col(m, "value"))) == [(i, k, v) for i, mm in enumerate(MAPS) if mm for k, v in mm]


def test_explode_then_aggregate_count(df):
    assert df.select(F.explode("arr")).count() == sum(len(a) for a in ARRAYS if a)
    assert df.withColumn("v", F.explode("arr")).filter(F.col("v") > 2).count() == sum(1 for a in ARRAYS if a for v in a if v is not None and v > 2)


def test_split_then_explode(spark):
    df = spark.createDataFrame(pa.table({"s": ["a b c", "", None, "d"]}))
    got = df.select(F.explode(F.split("s", " ")).alias("w")).toArrow()
    assert col(got, "w") == [w for s in ["a b c", "", None, "d"] if s is not None for w in s.split(" ")]


def test_two_generators_is_an_error(df):
    with pytest.raises(Exception, match="only one generator"):
        df.select(F.explode("arr"), F.explode("arr")).collect()


def test_null_map_key_is_an_error(df):
    with pytest.raises(Exception, match="NULL_MAP_KEY"):
        df.select(F.create_map(F.col("name"), F.col("id"))).collect()


def test_collection_column_names(df):
    names = df.select(F.size("arr"), F.element_at("arr", 1), F.col("arr")[0], F.array_contains("arr", 1), F.sort_array("arr")).columns
    assert names == ["size(arr)", "element_at(arr, 1)", "arr[0]", "array_contains(arr, 1)", "sort_array(arr, true)"]
