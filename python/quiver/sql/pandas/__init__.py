"""pandas-related APIs laid out as in pyspark.sql.pandas: pandas_udf, PandasUDFType and the
grouped-map operations (applyInPandas, cogroup)."""

from quiver.sql.udf import PandasUDFType, pandas_udf

__all__ = ["PandasUDFType", "pandas_udf"]
