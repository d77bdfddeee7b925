"""End-to-end smoke test of the trunk: pandas in, a lazy plan on the server, pandas out."""

import numpy as np
import pandas as pd
import pandas.testing as pdt

from quiver.sql import functions as F


def test_filter_project_roundtrip_matches_pandas(spark):
    rng = np.random.default_rng(1)
    pdf = pd.DataFrame({"id": np.arange(1000), "x": rng.normal(size=1000), "g": rng.choice(["a", "b"], 1000)})
    got = (spark.createDataFrame(pdf)
           .filter((F.col("x") > 0) & (F.col("g") == "a"))
           .withColumn("y", F.col("x") * 2 + 1)
           .select("id", "y")
           .toPandas())
    want = pdf[(pdf.x > 0) & (pdf.g == "a")].assign(y=lambda d: d.x * 2 + 1)[["id", "y"]].reset_index(drop=True)
    pdt.assert_frame_equal(got.sort_values("id").reset_index(drop=True), want)


def test_count_and_range(spark):
    assert spark.range(0, 100, 3).count() == len(range(0, 100, 3))
    assert spark.range(10).filter(F.col("id") % 2 == 0).count() == 5
