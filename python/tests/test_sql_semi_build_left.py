"""A shuffled semi join whose left (tested) side is much smaller than its right side builds the
left side at run time and emits each left row once, on its first match (decision 0024). Answers
are checked against DuckDB, with NULL keys and repeated keys on both sides."""

import pytest

THRESHOLD = "spark.sql.autoBroadcastJoinThreshold"


@pytest.fixture(scope="module")
def semi_tables(spark, tmp_path_factory):
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = tmp_path_factory.mktemp("semi_build_left")
    small_keys = [(i % 40) if i % 9 else None for i in range(120)]
    small = pa.table({"id": pa.array(small_keys, pa.int64()), "tag": [f"t{i}" for i in range(120)]})
    big_keys = [(i % 53) if i % 13 else None for i in range(40000)]
    big = pa.table({"ref": pa.array(big_keys, pa.int64()), "amount": pa.array(range(40000), pa.int64())})
    con = duckdb.connect()
    for name, table in [("semi_small", small), ("semi_big", big)]:
        path = str(directory / f"{name}.parquet")
        pq.write_table(table, path)
        spark.read.parquet(path).createOrReplaceTempView(name)
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return con


QUERIES = [
    "SELECT id, tag FROM semi_small s WHERE EXISTS (SELECT 1 FROM semi_big b WHERE b.ref = s.id)",
    "SELECT id, tag FROM semi_small s WHERE id IN (SELECT ref FROM semi_big WHERE amount % 3 = 0)",
    "SELECT id, tag FROM semi_small s WHERE EXISTS (SELECT 1 FROM semi_big b WHERE b.ref = s.id AND b.amount < s.id * 20)",
    "SELECT id, count(*) FROM semi_small s WHERE EXISTS (SELECT 1 FROM semi_big b WHERE b.ref = s.id) GROUP BY id",
]


@pytest.mark.parametrize("text", QUERIES)
def test_shuffled_semi_join_answers_match_duckdb(spark, semi_tables, text):
    spark.conf.set(THRESHOLD, "-1")
    try:
        got = sorted((tuple(r) for r in spark.sql(text).collect()), key=str)
    finally:
        spark.conf.unset(THRESHOLD)
    want = sorted(semi_tables.execute(text).fetchall(), key=str)
    assert got == want, text
