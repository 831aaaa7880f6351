"""A local .xlsx workbook as a `Source`: read bounded, owned tabs written into the package.

Reading goes through calamine (a Rust reader, far quicker to load and to read than openpyxl)
when the package holds nothing calamine could read differently from openpyxl, whose values
are the reference; otherwise through openpyxl, as before. Either way it ignores the sheet's
declared size (a stray cell at XFD1048576 declares 17 billion cells) and keeps only what is
there, up to MAX_ROWS × MAX_COLUMNS; content past those bounds makes the sheet a blocking
problem with a clear message.

Writing changes only the two owned tabs (CONTRACT §6.2): their parts in the zip package are
replaced or added and every other part keeps its bytes, so the team's formulas keep their
last computed values, charts, validation and formatting; the file keeps its mode and owner
and is replaced atomically. When that cannot be guaranteed (not a package this can edit,
a folder that refuses the file), the tracking goes to a companion `NAME-suivi.xlsx` beside
it and `companion_reason` says why.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from suivi.adapters.source import SourceError
from suivi.model import RawTab, RawTabs
from suivi.schema import OwnedTab
from suivi.sheet.dashboard import TabLayout

if TYPE_CHECKING:  # writing's own modules load when a run writes, never for `status`
    from suivi.adapters.xlsx_package import SheetLook

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
        quick = read_with_calamine(self.path)
        return quick if quick is not None else self._read_with_openpyxl()

    def _read_with_openpyxl(self) -> RawTabs:
        """All tabs through openpyxl, streaming: the reference reading, and every error message."""
        import openpyxl  # a fifth of a second to import: only when calamine cannot be trusted

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
        from suivi.adapters.xlsx_package import PackageError, replace_sheets

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
        from openpyxl.utils import quote_sheetname

        location = f"#{quote_sheetname(tab)}!{cell}"
        if self.output.resolve() == self.path.resolve():
            return location
        relative = Path(os.path.relpath(self.path.resolve(), self.output.resolve().parent))
        return f"{relative.as_posix()}{location}"


# What calamine could read differently from openpyxl, found in the package's XML by one
# regular-expression pass each; any of them sends the whole workbook through openpyxl.
WORKSHEET_PART = re.compile(
    rb'<Override\s[^>]*?PartName="/([^"]+)"[^>]*?ContentType="[^"]*worksheet\+xml"'
    rb'|<Override\s[^>]*?ContentType="[^"]*worksheet\+xml"[^>]*?PartName="/([^"]+)"'
)
UNTRUSTED_SHEET_XML = tuple(
    re.compile(pattern)  # one pass each: each starts with a literal, which `re` finds fast
    for pattern in (
        # Element names with a namespace prefix (<x:c>): the patterns below would not see them.
        rb"<[A-Za-z_][\w.-]*:(?:c|row|v|is|t)[\s/>]",
        # A cell or row whose reference is not its first attribute, or is missing (placed
        # by counting, as each reader counts): the next pattern reads `<c r="` only.
        rb'<c(?! r=")[\s/>]',
        rb'<row(?! r=")[\s/>]',
        # A cell past MAX_COLUMNS (GR) or MAX_ROWS: calamine fills the whole rectangle up to
        # it (17 billion cells for XFD1048576) where openpyxl streams and stops at the bound.
        rb'<c r="(?:(?:[A-Z]{3}|G[S-Z]|[H-Z][A-Z])\d'
        rb'|[A-Z]{1,3}(?:2000[1-9]|200[1-9]\d|20[1-9]\d\d|2[1-9]\d{3}|[3-9]\d{4}|\d{6,})")',
        # A number openpyxl reads as a float though whole (5.0, 1E+3), or as a Python int
        # beyond what a float holds: calamine gives floats only.
        rb"<v>\s*-?(?:\d+\.0*|\d{16,}|[^<]*[eE][^<]*)\s*</",
        # An escaped character (_x000D_), which calamine unescapes and openpyxl's reader keeps.
        rb"_x[0-9A-Fa-f]{4}_",
    )
)
UNTRUSTED_STRINGS_XML = re.compile(
    # Escapes as above, and the `x005F_` openpyxl deletes from shared strings.
    rb"_x[0-9A-Fa-f]{4}_|x005F_"
    # An empty shared string: openpyxl keeps it as "", calamine as an empty cell.
    rb"|<(?:\w+:)?t(?:\s[^>]*)?(?:/>|></(?:\w+:)?t>)|<(?:\w+:)?si\s*/>"
)
# A number format whose date-ness the two readers may judge differently: quoted text,
# brackets (locales, elapsed [h]), escapes or padding around date letters.
UNTRUSTED_NUMBER_FORMAT = re.compile(rb'formatCode="[^"]*?(?=[^"]*[dmyhsDMYHS])[^"]*?[\[\\_*&]')


def read_with_calamine(path: Path) -> RawTabs | None:
    """All worksheets as openpyxl reads them, read by calamine; None when only openpyxl will do.

    None for a workbook calamine might read differently (see UNTRUSTED_SHEET_XML), for one
    it cannot open, and for a damaged one, whose error openpyxl then words as before.
    """
    if not _trusted_package(path):
        return None
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    try:
        with CalamineWorkbook.from_path(str(path)) as book:
            kinds = {sheet.name: sheet.typ for sheet in book.sheets_metadata}
            if any(
                kind not in (SheetTypeEnum.WorkSheet, SheetTypeEnum.ChartSheet)
                for kind in kinds.values()
            ):
                return None
            grids = {
                name: book.get_sheet_by_name(name).to_python(skip_empty_area=False)
                for name, kind in kinds.items()
                if kind == SheetTypeEnum.WorkSheet  # openpyxl's `worksheets` leave charts out
            }
    except Exception:  # calamine raises many kinds on a damaged file: openpyxl words them
        return None
    return {
        name: bounded_rows(map(_as_openpyxl_reads, grid), name, path.name)
        for name, grid in grids.items()
    }


def _trusted_package(path: Path) -> bool:
    """The package names its worksheets and none holds what calamine reads differently."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
            types = package.read("[Content_Types].xml")
            parts = [first or second for first, second in WORKSHEET_PART.findall(types)]
            if not parts or any(part.decode() not in names for part in parts):
                return False
            for part in parts:
                xml = package.read(part.decode())
                if any(pattern.search(xml) for pattern in UNTRUSTED_SHEET_XML):
                    return False
            strings = [name for name in names if name.lower().endswith("sharedstrings.xml")]
            if any(UNTRUSTED_STRINGS_XML.search(package.read(name)) for name in strings):
                return False
            styles = [name for name in names if name.lower().endswith("styles.xml")]
            return not any(UNTRUSTED_NUMBER_FORMAT.search(package.read(name)) for name in styles)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return False


def _as_openpyxl_reads(row: list[Any]) -> tuple[Any, ...]:
    """calamine's cells as openpyxl gives them: None for empty, whole numbers as int, datetimes."""
    return tuple(_cell_as_openpyxl_reads(value) for value in row)


def _cell_as_openpyxl_reads(value: Any) -> Any:
    if value == "" and isinstance(value, str):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is dt.date:  # openpyxl gives a date cell as a datetime at midnight
        return dt.datetime(value.year, value.month, value.day)
    return value


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


def get_column_letter(number: int) -> str:
    """The column's letters, 1 → A, 27 → AA (openpyxl's, without importing openpyxl)."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
    from suivi.adapters.xlsx_package import write_package

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
    from suivi.adapters.tab_layout import sheet_look

    return sheet_look(layout)


def _save_new(
    path: Path,
    tabs: dict[str, RawTab],
    links: dict[str, dict[str, str]],
    looks: dict[str, SheetLook],
) -> None:
    """A workbook of the product's own (a separate output, a companion): its tabs replaced, or made."""
    from suivi.adapters.xlsx_package import PackageError, replace_sheets

    if path.exists():
        with contextlib.suppress(PackageError):  # not one we can edit: made again below
            _replace_keeping_mode(path, replace_sheets(path.read_bytes(), tabs, links, looks))
            return
    import openpyxl

    from suivi.adapters.files import save_workbook

    book = openpyxl.Workbook()
    assert book.active is not None
    book.remove(book.active)
    for title in tabs:
        book.create_sheet(title)
    save_workbook(book, path)
    _replace_keeping_mode(path, replace_sheets(path.read_bytes(), tabs, links, looks))
