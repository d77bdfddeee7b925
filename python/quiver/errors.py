"""Exceptions raised by the Quiver client, named after PySpark's where one exists."""

from __future__ import annotations

import re

import pyarrow.flight as flight


class QuiverException(Exception):
    """Base class of Quiver errors."""


class AnalysisException(QuiverException):
    """The plan is invalid: unknown column, type mismatch, bad argument (gRPC INVALID_ARGUMENT)."""


class NotFoundException(AnalysisException):
    """A DataFrame, view or table does not exist (gRPC NOT_FOUND)."""


class ArithmeticException(QuiverException):
    """ANSI-mode runtime failure: overflow, division by zero, invalid cast."""


class QuiverRuntimeError(QuiverException):
    """The server failed while running a query."""


class PythonException(QuiverException):
    """A Python UDF raised; the message carries the worker's traceback."""


class AuthenticationError(QuiverException):
    """The server rejected the credentials."""


class UnsupportedOperationException(NotImplementedError, QuiverException):
    """The server does not support this yet (gRPC UNIMPLEMENTED)."""


class ResourceExhaustedException(QuiverRuntimeError):
    """A memory or size limit was hit (gRPC RESOURCE_EXHAUSTED)."""


class QueryCancelledException(QuiverRuntimeError):
    """The query was cancelled (gRPC CANCELLED)."""


_FLIGHT_MESSAGE = re.compile(r"Flight returned (?P<code>[a-z ]+?) error, with message: (?P<msg>.*)", re.S)

_BY_CODE = {
    "invalid argument": AnalysisException,
    "not found": NotFoundException,
    "unimplemented": UnsupportedOperationException,
    "unauthenticated": AuthenticationError,
    "resource exhausted": ResourceExhaustedException,
    "cancelled": QueryCancelledException,
    "internal": QuiverRuntimeError,
    "unavailable": QuiverRuntimeError,
}


def translate(err: Exception) -> Exception:
    """Maps a pyarrow.flight error to the matching Quiver exception, keeping the server's words."""
    text = str(err)
    m = _FLIGHT_MESSAGE.search(text)
    code = m.group("code") if m else ""
    msg = m.group("msg") if m else text
    # pyarrow appends transport details after the server's message; keep what the server said.
    for marker in (". gRPC client debug context", ". Detail: ", ". Client context:"):
        idx = msg.find(marker)
        if idx > 0:
            msg = msg[:idx]
    if "[DIVIDE_BY_ZERO]" in msg or "[ARITHMETIC_OVERFLOW]" in msg or "[CAST_INVALID_INPUT]" in msg:
        return ArithmeticException(msg)
    if "Traceback (most recent call last)" in msg or msg.startswith("PythonException"):
        return PythonException(msg)
    if isinstance(err, flight.FlightUnauthenticatedError):
        return AuthenticationError(msg)
    if isinstance(err, flight.FlightUnavailableError) or code == "unavailable":
        return QuiverRuntimeError(f"the Quiver server is unavailable: {msg}")
    cls = _BY_CODE.get(code, QuiverRuntimeError)
    return cls(msg)
