"""Shared fixtures: one local Quiver server per test session (a real process on a real port)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))


@pytest.fixture(scope="session")
def spark():
    """A SparkSession backed by a local `quiver serve` child process."""
    from quiver.sql import SparkSession

    session = SparkSession.builder.appName("quiver-tests").getOrCreate()
    yield session
    session.stop()


@pytest.fixture
def fresh_spark():
    """A SparkSession with its own server, for tests that restart or break servers."""
    from quiver.sql import SparkSession

    session = SparkSession.builder.create()
    yield session
    session.stop()


def pytest_configure(config):
    os.environ.setdefault("QUIVER_LOG_LEVEL", "warn")
