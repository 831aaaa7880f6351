"""A local .xlsx workbook as a `Source`: read bounded, owned tabs written into the package.

Reading ignores the sheet's declared size (a stray cell at XFD1048576 declares 17 billion
cells) and keeps only what is there, up to MAX_ROWS × MAX_COLUMNS; content past those
bounds makes the sheet a blocking problem with a clear message.

Writing changes only the two owned tabs (CONTRACT §6.2): their parts in the zip package are
replaced or added and every other part keeps its bytes, so the team's formulas keep their
last computed values, charts, validation and formatting; the file keeps its mode and owner
and is replaced atomically. When that cannot be guaranteed (not a package this can edit,
a folder that refuses the file), the tracking goes to a companion `NAME-suivi.xlsx` beside
it and `companion_reason` says why.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import get_column_letter, quote_sheetname

from suivi.adapters.files import save_workbook
from suivi.adapters.source import SourceError
from suivi.adapters.tab_layout import sheet_look
from suivi.adapters.xlsx_package import PackageError, SheetLook, replace_sheets, write_package
from suivi.model import RawTab, RawTabs
from suivi.schema import OwnedTab
from suivi.sheet.dashboard import TabLayout

# `#'Tab'!B5`, or the same in another workbook: `../equipe/tpm.xlsx#'Tab'!B5`.
IN_WORKBOOK_LINK = re.compile(r"^[^#\s]*\.xls[xm]?#'|^#'")
# Far more than any tracking table; a sheet with content past these is a stray cell.
MAX_ROWS = 20_000
MAX_COLUMNS = 200
COMPANION_SUFFIX = "-suivi"


class Workbook:
    """A local .xlsx workbook; write-back goes into the same file or to `output`."""

    def __init__(self, path: Path, output: Path | None = None) -> None:
        self.path = path
        self.output = output or path
        self.companion_reason: str | None = None  # set when the tracking went to a companion

    def describe(self) -> str:
        """The workbook's file name."""
        return self.path.name

    @property
    def companion(self) -> Path:
        """The companion workbook beside the output: `NAME-suivi.xlsx`."""
        return self.output.with_name(f"{self.output.stem}{COMPANION_SUFFIX}.xlsx")

    def read_tabs(self) -> RawTabs:
        """All tabs, values only (formulas as their last computed value), bounded."""
        try:
            book = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except FileNotFoundError:
            raise SourceError(
                f"workbook {self.path} not found: check `source` in the settings"
            ) from None
        except Exception as error:  # openpyxl raises many kinds on a damaged file
            raise SourceError(f"workbook {self.path} cannot be opened: {error}") from None
        try:
            return {sheet.title: self._read_sheet(sheet) for sheet in book.worksheets}
        except SourceError:
            raise
        except Exception as error:  # a damaged part inside: a clear message, never a traceback
            raise SourceError(f"workbook {self.path} cannot be read: {error}") from None
        finally:
            book.close()

    def _read_sheet(self, sheet: Any) -> RawTab:
        """The sheet's rows up to its last non-empty one, each trimmed of trailing empty cells."""
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()  # the declared <dimension> may claim the whole grid
        return bounded_rows(sheet.iter_rows(values_only=True), sheet.title, self.path.name)

    def write_tabs(
        self, tabs: dict[str, RawTab], layouts: Mapping[str, TabLayout] | None = None
    ) -> None:
        """Replace the owned tabs in the output workbook, leaving every other part as it was.

        A tab's layout goes with it: frozen header, widths and filter in its part, colours
        and bold as conditional formats whose `dxf` styles are appended to the workbook's.
        """
        unknown = set(tabs) - {tab.value for tab in OwnedTab}
        if unknown:
            raise ValueError(f"refusing to write the team's own tabs: {sorted(unknown)}")
        links = {title: _links(rows) for title, rows in tabs.items()}
        looks = {title: _look(layout) for title, layout in (layouts or {}).items()}
        if not self.output.exists():
            _save_new(self.output, tabs, links, looks)
            return
        try:
            parts = replace_sheets(self.output.read_bytes(), tabs, links, looks)
            _replace_keeping_mode(self.output, parts)
        except (PackageError, PermissionError) as error:
            self.companion_reason = f"{self.output.name}: {error}"
            _save_new(self.companion, tabs, links, looks)

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


def bounded_rows(rows: Iterable[tuple[Any, ...]], title: str, book: str) -> RawTab:
    """Rows as lists up to the last non-empty row and column, padded to a rectangle with None
    (the shape Google's reader gives); content past the bounds raises."""
    kept: RawTab = []
    blank_run = 0  # empty rows seen since the last kept one: added only if content follows
    for number, row in enumerate(rows, start=1):
        width = _used_width(row)
        if width == 0:
            blank_run += 1
            continue
        if number > MAX_ROWS or width > MAX_COLUMNS:
            raise SourceError(
                f"tab « {title} » of {book}: a stray cell at {get_column_letter(width)}{number},"
                f" far beyond the table (suivi reads up to row {MAX_ROWS} and column"
                f" {get_column_letter(MAX_COLUMNS)}); clear or delete it, then run again"
            )
        kept.extend([] for _ in range(blank_run))
        blank_run = 0
        kept.append(list(row[:width]))
    width = max((len(row) for row in kept), default=0)
    return [row + [None] * (width - len(row)) for row in kept]


def _used_width(row: tuple[Any, ...]) -> int:
    """1-based position of the row's last non-empty cell, 0 when it has none."""
    for position in range(len(row), 0, -1):
        value = row[position - 1]
        if value is not None and not (isinstance(value, str) and value == ""):
            return position
    return 0


def _links(rows: RawTab) -> dict[str, str]:
    """Cells holding a link to a cell (`#'Tab'!B5`, `tpm.xlsx#'Tab'!B5`) → the link."""
    return {
        f"{get_column_letter(column)}{number}": value
        for number, row in enumerate(rows, start=1)
        for column, value in enumerate(row, start=1)
        if isinstance(value, str) and IN_WORKBOOK_LINK.match(value)
    }


def _replace_keeping_mode(path: Path, parts: dict[str, bytes]) -> None:
    """Write the package beside `path`, give it `path`'s mode and owner, and swap it in atomically."""
    before = path.stat()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".xlsx")
    try:
        with os.fdopen(handle, "wb") as file:
            write_package(parts, file)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, stat.S_IMODE(before.st_mode))
        if hasattr(os, "chown") and (before.st_uid, before.st_gid) != _owner_of(temporary):
            os.chown(temporary, before.st_uid, before.st_gid)  # PermissionError → companion
        os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)


def _owner_of(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_uid, status.st_gid


def _look(layout: TabLayout) -> SheetLook:
    """The tab's layout as its sheet part and the workbook's `dxf` styles carry it."""
    return sheet_look(layout)


def _save_new(
    path: Path,
    tabs: dict[str, RawTab],
    links: dict[str, dict[str, str]],
    looks: dict[str, SheetLook],
) -> None:
    """A workbook of the product's own (a separate output, a companion): its tabs replaced, or made."""
    if path.exists():
        with contextlib.suppress(PackageError):  # not one we can edit: made again below
            _replace_keeping_mode(path, replace_sheets(path.read_bytes(), tabs, links, looks))
            return
    book = openpyxl.Workbook()
    assert book.active is not None
    book.remove(book.active)
    for title in tabs:
        book.create_sheet(title)
    save_workbook(book, path)
    _replace_keeping_mode(path, replace_sheets(path.read_bytes(), tabs, links, looks))
