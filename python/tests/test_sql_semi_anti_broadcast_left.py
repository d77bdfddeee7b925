"""Semi and anti joins whose left (tested) side turns out small broadcast that side at run time
and read the large right side in place, without shuffling it: the tasks share one hash table and
one set of marks, so a semi join emits each left row once (on its first match in any task) and
an anti join emits its unmatched left rows once, after the last task (TPC-H Q4, Q21). Answers are
checked against DuckDB, with NULL keys, repeated keys on both sides, a residual condition, and a
right side read by several tasks. Queries whose join would run in the result stage keep the
shuffled join (each result partition is run by the client's reads)."""

import re

import pytest


@pytest.fixture(scope="module")
def tested_tables(spark, tmp_path_factory):
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = tmp_path_factory.mktemp("semi_anti_broadcast_left")
    small_keys = [(i % 70) if i % 11 else None for i in range(150)]
    small = pa.table({"id": pa.array(small_keys, pa.int64()), "tag": [f"t{i % 7}" for i in range(150)],
                      "supplier": pa.array([i % 5 for i in range(150)], pa.int64())})
    n = 300_000
    big_keys = [(i % 61) if i % 13 else None for i in range(n)]
    big = pa.table({"ref": pa.array(big_keys, pa.int64()), "supplier": pa.array([(i // 7) % 6 for i in range(n)], pa.int64()),
                    "amount": pa.array(range(n), pa.int64())})
    con = duckdb.connect()
    small_path = str(directory / "tested_small.parquet")
    pq.write_table(small, small_path)
    # Four files, so that the big side is read by several tasks.
    big_directory = directory / "tested_big"
    big_directory.mkdir()
    for part in range(4):
        pq.write_table(big.slice(part * n // 4, n // 4), str(big_directory / f"part-{part}.parquet"))
    for name, path, pattern in [("tested_small", small_path, small_path),
                                ("tested_big", str(big_directory), str(big_directory / "*.parquet"))]:
        spark.read.parquet(path).createOrReplaceTempView(name)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{pattern}')")
    return con


GROUPED = [
    # EXISTS and NOT EXISTS, with and without a residual condition; the GROUP BY puts the join
    # in a shuffle stage, where it may become a broadcast join.
    ("LeftSemi", "SELECT tag, count(*), sum(id) FROM tested_small s WHERE EXISTS "
                 "(SELECT 1 FROM tested_big b WHERE b.ref = s.id) GROUP BY tag"),
    ("LeftSemi", "SELECT tag, count(*), sum(id) FROM tested_small s WHERE EXISTS "
                 "(SELECT 1 FROM tested_big b WHERE b.ref = s.id AND b.supplier <> s.supplier) GROUP BY tag"),
    ("LeftAnti", "SELECT tag, count(*), sum(id) FROM tested_small s WHERE NOT EXISTS "
                 "(SELECT 1 FROM tested_big b WHERE b.ref = s.id) GROUP BY tag"),
    ("LeftAnti", "SELECT tag, count(*), sum(id) FROM tested_small s WHERE NOT EXISTS "
                 "(SELECT 1 FROM tested_big b WHERE b.ref = s.id AND b.supplier <> s.supplier AND b.amount % 5 = 0) GROUP BY tag"),
    ("LeftSemi", "SELECT tag, count(*) FROM tested_small s WHERE id IN (SELECT ref FROM tested_big WHERE amount % 3 = 0) GROUP BY tag"),
]


def rows(result):
    return sorted((tuple(r) for r in result), key=str)


@pytest.fixture
def small_broadcasts(spark):
    # A threshold between the small side (150 rows, a few KiB) and the big side, so that the
    # big side is never broadcast and the small side only at run time.
    spark.conf.set("spark.sql.autoBroadcastJoinThreshold", str(64 << 10))
    yield
    spark.conf.unset("spark.sql.autoBroadcastJoinThreshold")


@pytest.mark.parametrize("kind,text", GROUPED)
def test_small_left_side_is_broadcast_and_answers_match_duckdb(spark, tested_tables, small_broadcasts, kind, text):
    df = spark.sql(text)
    plan = df._explain_string("analyze")
    assert re.search(rf"BroadcastHashJoin \[id#\d+\], \[ref#\d+\], {kind}, BuildLeft", plan), plan
    assert "skipped, its join became a broadcast join" in plan, plan
    assert re.search(r"Stage \d+: [2-9] tasks -> hashpartitioning\(tag#\d+, \d+\) \[succeeded\]", plan), plan
    assert rows(df.collect()) == rows(tested_tables.execute(text).fetchall()), text


@pytest.mark.parametrize("text", [
    "SELECT id, tag FROM tested_small s WHERE EXISTS (SELECT 1 FROM tested_big b WHERE b.ref = s.id AND b.supplier <> s.supplier)",
    "SELECT id, tag FROM tested_small s WHERE NOT EXISTS (SELECT 1 FROM tested_big b WHERE b.ref = s.id AND b.supplier <> s.supplier)",
])
def test_join_in_the_result_stage_stays_shuffled(spark, tested_tables, small_broadcasts, text):
    df = spark.sql(text)
    plan = df._explain_string("analyze")
    assert not re.search(r"BroadcastHashJoin \[id#\d+\], \[ref#\d+\]", plan), plan
    assert rows(df.collect()) == rows(tested_tables.execute(text).fetchall()), text


def scanned_rows(plan, table):
    """Rows the scans of table returned, from EXPLAIN ANALYZE's operator metrics."""
    return sum(int(m) for m in re.findall(rf"FileScan parquet \[[^\]]*{table}[^\]]*\].*?\{{rows=(\d+)", plan))


# A broadcast join hands its build keys to the Parquet scan under its probe side (a runtime
# filter), which then skips the rows whose key is not among them; joins that must see every
# probe row (outer joins keeping it, anti joins testing it) do not.
RUNTIME_FILTERS = [
    (True, "SELECT s.tag, count(*), sum(b.amount) FROM tested_big b JOIN tested_small s ON b.ref = s.id "
           "WHERE s.id < 20 GROUP BY s.tag"),
    (True, "SELECT supplier, count(*) FROM tested_big b WHERE EXISTS "
           "(SELECT 1 FROM tested_small s WHERE s.id = b.ref AND s.id < 20) GROUP BY supplier"),
    (False, "SELECT s.tag, count(*), sum(b.amount) FROM tested_big b LEFT JOIN "
            "(SELECT * FROM tested_small WHERE id < 20) s ON b.ref = s.id GROUP BY s.tag"),
    (False, "SELECT supplier, count(*) FROM tested_big b WHERE NOT EXISTS "
            "(SELECT 1 FROM tested_small s WHERE s.id = b.ref AND s.id < 20) GROUP BY supplier"),
]


@pytest.mark.parametrize("filtered,text", RUNTIME_FILTERS)
def test_broadcast_join_filters_the_probe_scan_only_where_valid(spark, tested_tables, filtered, text):
    df = spark.sql(text)
    plan = df._explain_string("analyze")
    assert "BroadcastHashJoin" in plan, plan
    read = scanned_rows(plan, "tested_big")
    if filtered:
        assert 0 < read < 300_000 // 2, plan
    else:
        assert read == 300_000, plan
    assert rows(df.collect()) == rows(tested_tables.execute(text).fetchall()), text
