"""The errors a command reports in one line, defined where importing them costs nothing.

`suivi.cli.main` catches them before knowing which command ran, so they must not pull in
pandas, pydantic or SQLAlchemy; the modules that raise them re-export them.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the key and line."""


class SourceError(RuntimeError):
    """A spreadsheet that cannot be read or written; the message says what to do."""

    def __init__(self, message: str, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient  # worth retrying (quota, 5xx, timeout)


class StoreError(RuntimeError):
    """The history store cannot be opened or used; the message names it, never its password."""
