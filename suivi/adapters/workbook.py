"""A local .xlsx workbook as a `Source`: read whole, owned tabs written back."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import quote_sheetname

from suivi.adapters.files import save_workbook
from suivi.adapters.source import SourceError
from suivi.adapters.tab_layout import style_sheet
from suivi.model import RawTab, RawTabs
from suivi.schema import OwnedTab
from suivi.sheet.dashboard import TabLayout

# `#'Tab'!B5`, or the same in another workbook: `../equipe/tpm.xlsx#'Tab'!B5`.
IN_WORKBOOK_LINK = re.compile(r"^[^#\s]*\.xls[xm]?#'|^#'")


class Workbook:
    """A local .xlsx workbook; write-back goes to the same file or to `output`."""

    def __init__(self, path: Path, output: Path | None = None) -> None:
        self.path = path
        self.output = output or path

    def describe(self) -> str:
        """The workbook's file name."""
        return self.path.name

    def read_tabs(self) -> RawTabs:
        """All tabs, values only (formulas as their last computed value)."""
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except FileNotFoundError:
            raise SourceError(
                f"workbook {self.path} not found: check `source` in the settings"
            ) from None
        except Exception as error:  # openpyxl raises many kinds on a damaged file
            raise SourceError(f"workbook {self.path} cannot be opened: {error}") from None
        try:
            return {
                sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
                for sheet in book.worksheets
            }
        finally:
            book.close()

    def write_tabs(
        self, tabs: dict[str, RawTab], layouts: Mapping[str, TabLayout] | None = None
    ) -> None:
        """Replace the owned tabs in the output workbook, atomically; text stays text."""
        unknown = set(tabs) - {tab.value for tab in OwnedTab}
        if unknown:
            raise ValueError(f"refusing to write the team's own tabs: {sorted(unknown)}")
        book = openpyxl.load_workbook(self.output) if self.output.exists() else _empty_book()
        for title, rows in tabs.items():
            if title in book.sheetnames:
                del book[title]
            sheet = book.create_sheet(title)
            for row in rows:
                sheet.append([_as_literal(value) for value in row])
            _force_text(sheet)
            _link_cells(sheet)
            if layouts and title in layouts:
                style_sheet(sheet, layouts[title])
        save_workbook(book, self.output)

    def cell_url(self, tab: str, cell: str) -> str | None:
        """A link to the cell in the file holding the team's tabs, which Excel and LibreOffice follow.

        `#'Tab'!B5` when the owned tabs are written into the team's workbook; with a separate
        `output`, the team's file by its path relative to the output (`tpm.xlsx#'Tab'!B5`).
        """
        location = f"#{quote_sheetname(tab)}!{cell}"
        if self.output.resolve() == self.path.resolve():
            return location
        relative = Path(os.path.relpath(self.path.resolve(), self.output.resolve().parent))
        return f"{relative.as_posix()}{location}"


def _empty_book() -> openpyxl.Workbook:
    book = openpyxl.Workbook()
    assert book.active is not None
    book.remove(book.active)
    return book


def _as_literal(value: Any) -> Any:
    return "" if value is None else value


def _force_text(sheet: Any) -> None:
    """openpyxl types any string starting with '=' as a formula; make every string a string."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"


def _link_cells(sheet: Any) -> None:
    """Cells holding an in-workbook link become clickable hyperlinks."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and IN_WORKBOOK_LINK.match(cell.value):
                cell.hyperlink = cell.value
