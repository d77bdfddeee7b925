"""Quickstart: pandas in, a lazy query on the Go engine, pandas out.

Run it with `make demo` (which builds the server and the Python package first).
"""

import numpy as np
import pandas as pd

from quiver.sql import SparkSession, functions as F

spark = SparkSession.builder.appName("quickstart").getOrCreate()

rng = np.random.default_rng(7)
orders = pd.DataFrame({
    "order_id": np.arange(1, 1_000_001),
    "amount": rng.gamma(2.0, 40.0, 1_000_000).round(2),
    "country": rng.choice(["DE", "FR", "KR", "US", "CN"], 1_000_000),
    "ts": pd.date_range("2026-01-01", periods=1_000_000, freq="s", tz="UTC"),
})

df = spark.createDataFrame(orders)          # Arrow batches over Flight DoPut, no temp files
df.printSchema()

big = (df.filter((F.col("amount") > 200) & (F.col("country") != "US"))
         .withColumn("amount_eur", F.col("amount") * 0.92)
         .select("order_id", "country", "amount", "amount_eur", "ts"))

print("rows with amount > 200 outside the US:", big.count())
big.show(5)

result = big.toPandas()                     # Arrow batches over Flight DoGet, dtypes preserved
print(result.dtypes)
expected = orders[(orders.amount > 200) & (orders.country != "US")]
assert len(result) == len(expected), (len(result), len(expected))
print("quickstart OK: matches pandas on", len(result), "rows")
spark.stop()
