"""Functions added in session 4 through the DataFrame API (decision 0025's amendment), compared
with PySpark 4.3's answers to the same calls, stored below (recorded with PySpark 4.3 in
/work/pyspark-venv, session time zone UTC). The SQL side is in testdata/sql/*.slt."""

import datetime

import pytest

from quiver.sql import functions as F

EXPECTED = {'arrays': [(3, 1, 0, [3, 1], [3, 1, 2], [3, 1, 2, 5], [2], [3, 1], True, [3, 1, 2, 9], [0, 3, 1, 2], [3, 1, 2], 3, [1], 'array<bigint>'),
            (None, None, 0, [], [], [1], [], [], False, [9], [0], [], 0, [1, 2], 'array<bigint>'),
            (None, None, None, None, None, None, None, None, None, None, None, None, None, [1, 2, 3], 'array<bigint>'),
            (5, 5, 1, [5, None], [5, 5], [5, None], [5, None], [], True, [5, None, 5, 9], [0, 5, None, 5], [None], 3, [1, 2, 3, 4], 'array<bigint>')],
 'compare': [(False, False), (True, False), (None, None), (False, True)],
 'dates': [('Mon', 'Jan', datetime.date(2024, 1, 8), 19723, datetime.date(1970, 1, 2), '1970-01-01 00:00:01', 1, True, True),
           ('Thu', 'Feb', datetime.date(2024, 3, 4), 19782, datetime.date(1970, 1, 3), '1970-01-01 00:00:02', 2, True, True),
           (None, None, None, None, datetime.date(1970, 1, 4), '1970-01-01 00:00:03', 6, True, True),
           ('Wed', 'Dec', datetime.date(1970, 1, 5), -1, datetime.date(1970, 1, 5), '1970-01-01 00:00:04', 24, True, True)],
 'maps': [('{1 -> x, 2 -> y}', True, '{1 -> v}', '[{k, 2}]', '[1, 2]', '{1, x}', '{1}')],
 'names': ['array_max(a)', 'array_union(a, b)', 'arrays_zip(a, b)', 'sequence(1, id)', 'typeof(a)', 'md5(s)', 'substring_index(s, ., 1)', 'dayname(d)', 'format_string(%d-%s, id, s)', '1'],
 'strings': [('553f764f7b436175c0387e22b4a19213',
              '845e30448809e2bc8958eb025bfc795235d13b077a53d0c3abbd2385170dc9b8',
              3060946797,
              '612E622E63',
              'a.b',
              'c',
              2,
              'a.b.c',
              'A',
              '001|a.b.c',
              'YS5iLmM=',
              'a.',
              '.c'),
             ('9dd4e461268c8034f5c8564e155c67a6', '2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881', 2363233923, '78', 'x', 'x', 3, 'x', 'B', '002|x', 'eA==', 'x', 'x'),
             (None, None, None, None, None, None, None, None, 'C', '003|null', None, None, None),
             ('be50e8478cf24ff3595bc7307fb91b50',
              '3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179',
              2654700086,
              '68C3A96C6C6F',
              'héllo',
              'héllo',
              5,
              'héllo',
              'D',
              '004|héllo',
              'aMOpbGxv',
              'hé',
              'lo')],
 'zip': [('[{3, 2}, {1, 5}, {2, null}]',), ('[{null, 1}]',), (None,), ('[{5, null}, {null, 5}, {5, null}]',)]}


def cases(spark, F):  # noqa: N803 - the same body runs with pyspark.sql.functions
    df = spark.createDataFrame(
        [(1, [3, 1, 2], [2, 5], "a.b.c", datetime.date(2024, 1, 1)),
         (2, [], [1], "x", datetime.date(2024, 2, 29)),
         (3, None, None, None, None),
         (4, [5, None, 5], [None, 5], "héllo", datetime.date(1969, 12, 31))],
        "id long, a array<long>, b array<long>, s string, d date")
    out = {}
    q = df.orderBy("id")
    out["arrays"] = [tuple(r) for r in q.select(
        F.array_max("a"), F.array_min("a"), F.array_position("a", 5), F.slice("a", 1, 2), F.array_compact("a"),
        F.array_union("a", "b"), F.array_intersect("a", "b"), F.array_except("a", "b"), F.arrays_overlap("a", "b"),
        F.array_append("a", F.lit(9)), F.array_prepend("a", F.lit(0)), F.array_remove("a", 5), F.array_size("a"),
        F.sequence(F.lit(1), F.col("id")), F.typeof("a")).collect()]
    out["names"] = q.select(
        F.array_max("a"), F.array_union("a", "b"), F.arrays_zip("a", "b"), F.sequence(F.lit(1), F.col("id")), F.typeof("a"),
        F.md5("s"), F.substring_index("s", ".", 1), F.dayname("d"), F.format_string("%d-%s", "id", "s"),
        F.lit(1)).columns
    out["zip"] = [tuple(r) for r in q.select(F.arrays_zip("a", "b").cast("string")).collect()]
    out["strings"] = [tuple(r) for r in q.select(
        F.md5("s"), F.sha2("s", 256), F.crc32("s"), F.hex("s"), F.substring_index("s", ".", 2), F.split_part("s", F.lit("."), F.lit(-1)),
        F.levenshtein("s", F.lit("a.b")), F.btrim(F.concat(F.lit("  "), "s")), F.chr(F.col("id") + 64),
        F.format_string("%03d|%s", "id", "s"), F.base64("s"), F.left("s", F.lit(2)), F.right("s", F.lit(2))).collect()]
    out["dates"] = [tuple(r) for r in q.select(
        F.dayname("d"), F.monthname("d"), F.next_day("d", "Mon"), F.unix_date("d"), F.date_from_unix_date("id"),
        F.timestamp_seconds("id").cast("string"), F.factorial("id"), F.pi() > 3, F.e() > 2).collect()]
    out["maps"] = [tuple(r) for r in df.where("id = 1").select(
        F.map_concat(F.create_map(F.lit(1), F.lit("x")), F.create_map(F.lit(2), F.lit("y"))).cast("string"),
        F.map_contains_key(F.create_map(F.lit(1), F.lit("x")), 1),
        F.map_from_entries(F.array(F.struct(F.lit(1).alias("k"), F.lit("v").alias("v")))).cast("string"),
        F.map_entries(F.create_map(F.lit("k"), F.lit(2))).cast("string"),
        F.array(F.lit(1), F.lit(2)).cast("string"), F.struct(F.lit(1), F.lit("x")).cast("string"),
        F.named_struct(F.lit("a"), F.lit(1)).cast("string")).collect()]
    out["compare"] = [tuple(r) for r in q.select(F.col("a") < F.col("b"), F.col("a") == F.array(F.lit(5), F.lit(None).cast("long"), F.lit(5))).collect()]
    return out


@pytest.fixture(scope="module")
def answers(spark):
    # timestamp_seconds(...) prints in the session time zone; the answers were recorded in UTC.
    previous = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    try:
        return cases(spark, F)
    finally:
        spark.conf.set("spark.sql.session.timeZone", previous)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_matches_pyspark(answers, key):
    assert answers[key] == EXPECTED[key]
