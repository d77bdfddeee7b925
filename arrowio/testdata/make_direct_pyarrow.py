"""Writes direct_pyarrow.parquet and direct_pyarrow_v2.parquet, and the same two with an offset
index (*_indexed.parquet) (data pages v1 and v2; comment,
i64 and f32 plain encoded, every other column dictionary encoded; columns without nulls required), the pyarrow-written files of arrowio's
direct reader tests.

Run from the repository root: .venv/bin/python arrowio/testdata/make_direct_pyarrow.py
Values follow formulas the Go test repeats (parquet_direct_test.go, pyarrowRow).
"""
import datetime
import decimal

import pyarrow as pa
import pyarrow.parquet as pq

ROWS = 3000
rows = range(ROWS)


def null_every(n, values):
    return [None if i % n == n - 1 else v for i, v in zip(rows, values)]


table = pa.table({
    "i32": pa.array(null_every(7, [i * 37 - 50000 for i in rows]), pa.int32()),
    "i64": pa.array([i * 1_000_000_007 - 7 for i in rows], pa.int64()),
    "f32": pa.array(null_every(5, [i * 0.25 - 10 for i in rows]), pa.float32()),
    "f64": pa.array([i * 0.5 - 100 for i in rows], pa.float64()),
    "day": pa.array(null_every(11, [datetime.date(1990, 1, 1) + datetime.timedelta(days=i % 4000) for i in rows]), pa.date32()),
    "dec_small": pa.array(null_every(3, [decimal.Decimal(i % 2001 - 1000) / 100 for i in rows]), pa.decimal128(9, 2)),
    "dec_big": pa.array([decimal.Decimal((i * 7919) % 100003 - 50000) / 10000 for i in rows], pa.decimal128(18, 4)),
    "flag": pa.array(null_every(13, ["ARN"[i % 3] for i in rows]), pa.string()),
    "mode": pa.array([["AIR", "REG AIR", "TRUCK", "", "héllo"][i % 5] for i in rows], pa.string()),
    "comment": pa.array(null_every(4, [f"comment {i} is unique" for i in rows]), pa.string()),
    "payload": pa.array([bytes([i % 7, 0, i % 11]) for i in rows], pa.binary()),
})
# Columns without nulls are required (no definition levels), as in TPC-H files.
REQUIRED = ("i64", "f64", "dec_big", "mode", "payload")
table = table.cast(pa.schema([field.with_nullable(field.name not in REQUIRED) for field in table.schema]))
PLAIN = ("comment", "i64", "f32")
# The *_indexed files carry an offset index, so scan splits may start inside their row groups.
for name, version, indexed in [("direct_pyarrow.parquet", "1.0", False), ("direct_pyarrow_v2.parquet", "2.0", False),
                               ("direct_pyarrow_indexed.parquet", "1.0", True),
                               ("direct_pyarrow_v2_indexed.parquet", "2.0", True)]:
    pq.write_table(table, f"arrowio/testdata/{name}", row_group_size=1000,
                   data_page_size=512, dictionary_pagesize_limit=2048, compression="snappy",
                   store_decimal_as_integer=True, write_page_index=indexed, data_page_version=version,
                   use_dictionary=[name for name in table.column_names if name not in PLAIN])
