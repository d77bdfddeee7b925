"""pyspark.sql.pandas.functions: pandas_udf and PandasUDFType."""

from quiver.sql.udf import PandasUDFType, PythonEvalType, pandas_udf

__all__ = ["PandasUDFType", "PythonEvalType", "pandas_udf"]
