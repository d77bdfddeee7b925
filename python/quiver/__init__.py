"""Quiver: PySpark-style DataFrames executed by a Go Arrow engine over Arrow Flight.

Port a PySpark program by changing the import::

    from quiver.sql import SparkSession, functions as F
"""

__version__ = "0.1.0.dev0"

from quiver.storagelevel import StorageLevel  # noqa: E402  (as pyspark.StorageLevel)

__all__ = ["StorageLevel"]
