"""`suivi run`'s output: progress per project in a terminal, quiet in logs, Prefect's own with --verbose."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import TextIO

# Prefect reads these when it is first imported: set them before.
QUIET_PREFECT = {"PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL": "CRITICAL"}  # no INFO, no traceback
NO_TELEMETRY = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
RUN_LOGGER = "prefect.flow_runs"


def quiet_prefect(verbose: bool) -> None:
    """Before Prefect is imported: no telemetry, and its console lines only with --verbose."""
    for name, value in {**NO_TELEMETRY, **({} if verbose else QUIET_PREFECT)}.items():
        os.environ.setdefault(name, value)


class ProjectProgress(logging.Handler):
    """Each step of each project, one short line as it happens (`TPM: read (0.31 s)`)."""

    def __init__(self, projects: Sequence[str], stream: TextIO) -> None:
        """Show the steps of `projects` on `stream`."""
        super().__init__(logging.INFO)
        self.prefixes = tuple(f"{code}:" for code in projects)
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        """Write a project's step; other messages stay in Prefect's logs."""
        message = record.getMessage()
        if message.startswith(self.prefixes) or (
            record.levelno >= logging.ERROR and "skipped" in message
        ):
            self.stream.write(f"  {message.splitlines()[0]}\n")
            self.stream.flush()


def show_progress(projects: Sequence[str], verbose: bool, stream: TextIO | None = None) -> None:
    """In a terminal (and without --verbose, where Prefect speaks), progress per project."""
    target = stream or sys.stderr
    if verbose:
        return
    for handler in logging.getLogger().handlers:  # Prefect configured already (a server's CLI)
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.setLevel(logging.CRITICAL)
    if not target.isatty():
        return
    logger = logging.getLogger(RUN_LOGGER)
    if not any(isinstance(handler, ProjectProgress) for handler in logger.handlers):
        logger.addHandler(ProjectProgress(projects, target))
