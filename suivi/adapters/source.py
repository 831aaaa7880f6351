"""What the flows need of a spreadsheet (`Source`), its error, and how a source is named."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from suivi.errors import SourceError as SourceError  # re-exported: its home for adapters
from suivi.model import RawTab, RawTabs
from suivi.sheet.dashboard import TabLayout

GOOGLE_URL = re.compile(r"docs\.google\.com/spreadsheets/d/([A-Za-z0-9_-]{20,})")
GOOGLE_KEY = re.compile(r"^[A-Za-z0-9_-]{30,}$")


class Source(Protocol):
    """What the flows need of a spreadsheet: every tab in, the owned tabs out."""

    def describe(self) -> str:
        """Human name of the spreadsheet, for messages and logs."""
        ...

    def read_tabs(self) -> RawTabs:
        """Every tab, as rows of cells, in as few reads as the backend allows."""
        ...

    def write_tabs(
        self, tabs: dict[str, RawTab], layouts: Mapping[str, TabLayout] | None = None
    ) -> None:
        """Rewrite the product's own tabs whole (with their layout); never touch any other tab."""
        ...

    def cell_url(self, tab: str, cell: str) -> str | None:
        """A link to one cell, for the problem report; None when there is none."""
        ...


def google_key(source: str) -> str | None:
    """The spreadsheet key of a Google Sheet URL or bare key, else None (a workbook path)."""
    match = GOOGLE_URL.search(source)
    if match:
        return match.group(1)
    return source if GOOGLE_KEY.match(source) and not source.endswith(".xlsx") else None
