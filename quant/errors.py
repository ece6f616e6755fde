"""The one error type that means "the user gave us something we cannot use".

Every check of user input (paths, names, checksums, missing tools) raises
``BenchInputError`` with a single line that names the bad thing and says what
to do.  conftest.py turns it into pytest's usage error (``ERROR: ...``, exit 4,
no traceback); ``python -m`` entry points print it and exit 2.
"""
from __future__ import annotations


class BenchInputError(Exception):
    """Bad user input or environment; the message is one actionable line."""

    def __init__(self, message: str) -> None:
        if "\n" in message:
            raise ValueError("BenchInputError messages must be one line")
        super().__init__(message)


class DiskFullError(BenchInputError):
    """The disk filled up while writing a cache entry or result (nothing half-written is kept)."""
