"""PySpark-compatible SQL API: `from quiver.sql import SparkSession, functions as F`."""

from quiver.sql.column import Column
from quiver.sql.dataframe import DataFrame
from quiver.sql.row import Row
from quiver.sql.session import SparkSession
from quiver.sql import functions, types
from quiver.sql.window import Window, WindowSpec
from quiver.sql.group import GroupedData, DataFrameNaFunctions

__all__ = ["SparkSession", "DataFrame", "Column", "Row", "functions", "types", "Window", "WindowSpec",
           "GroupedData", "DataFrameNaFunctions"]
