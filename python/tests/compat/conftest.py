"""Fixtures of the differential suite: its own Quiver server, and the pass count in the summary."""

from __future__ import annotations

import pytest

RESULTS: dict[str, bool] = {}


@pytest.fixture(scope="module")
def compat_spark():
    """A session on a server of its own, so a program that breaks a server cannot touch other tests."""
    from quiver.sql import SparkSession

    session = SparkSession.builder.config("spark.sql.session.timeZone", "UTC").create()
    yield session
    session.stop()


def pytest_terminal_summary(terminalreporter):
    if not RESULTS:
        return
    passed = sum(RESULTS.values())
    terminalreporter.write_line(
        f"compat: Quiver matches PySpark on {passed} of {len(RESULTS)} recorded programs "
        "(python/tests/compat/status.json; `make compat` records PySpark's answers)")
