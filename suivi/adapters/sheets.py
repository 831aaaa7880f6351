"""The factory of spreadsheet sources: a Google Sheet for a URL or key, else a workbook."""

from __future__ import annotations

from suivi.adapters.source import Source, SourceError, google_key
from suivi.adapters.workbook import Workbook
from suivi.settings import Config, Env, Project

__all__ = ["Source", "SourceError", "Workbook", "google_key", "open_source"]


def open_source(project: Project, config: Config, env: Env) -> Source:
    """The project's spreadsheet: a Google Sheet for a URL or key, else a local workbook."""
    key = google_key(project.source)
    if key is not None:
        from suivi.adapters.google_sheets import open_google_sheet  # gspread only when needed

        return open_google_sheet(key, env)
    path = config.resolve(project.source)
    output = config.resolve(project.write_back) if isinstance(project.write_back, str) else path
    return Workbook(path, output)
