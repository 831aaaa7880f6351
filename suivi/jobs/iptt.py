"""The funders' IPTT as an .xlsx workbook: the tables of suivi.report.iptt, laid out and styled.

For each project a sheet of values per quarter (with the sheet cells each value came from) and,
when the project has periodic targets (`Cibles`), a sheet in TolaData's layout: per indicator
and breakdown, target, actual and % met for the life of the programme and for each period.
Header styling, frozen panes, widths, percentages as real percentage cells; text never a formula.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from suivi.adapters.files import save_workbook
from suivi.i18n import format_day, is_rtl, label, language_or_default, translate
from suivi.report.iptt import (
    FIXED_AFTER,
    FIXED_BEFORE,
    PERIOD_FIXED,
    TRIPLET,
    IpttProject,
    Period,
    header_labels,
    iptt_table,
    iptt_words,
    period_table,
    period_words,
    quarter_range,
    triplet_column,
    value_column_letter,
)

HEADER_ROW = 4  # title, date and a blank row above the table
FIRST_DATA_ROW = HEADER_ROW + 1
FROZEN_COLUMNS = 3  # code, level and name stay in view when scrolling right
DATE_FORMAT = "DD/MM/YYYY"  # day first, as the team writes dates
PERCENT_FORMAT = "0%"
NUMBER_FORMAT = "General"  # shows 40 and 58.5 as they are; Excel's #,##0.## leaves "40."
HEADER_FILL = PatternFill("solid", fgColor="0B3A5E")
GROUP_FILL = PatternFill("solid", fgColor="DCE6F0")
HEADER_FONT = Font(bold=True, color="FFFFFF")
GROUP_FONT = Font(bold=True, color="0B3A5E")
TITLE_FONT = Font(bold=True, size=14, color="0B3A5E")
THIN = Side(style="thin", color="9CA3AF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Width (characters) of each fixed column; quarter columns get QUARTER_WIDTH.
WIDTHS = {
    "code": 10, "level": 12, "name": 48, "unit": 10, "baseline": 12, "target": 12,
    "target_date": 13, "cumulative": 12, "current": 12, "achievement": 11, "status": 16,
    "sources": 34, "breakdown": 14,
}  # fmt: skip
QUARTER_WIDTH = 11
# The period sheet: two header rows (group, then target/actual/% met), data below them.
PERIOD_GROUP_ROW = HEADER_ROW
PERIOD_HEADER_ROW = HEADER_ROW + 1
PERIOD_FIRST_ROW = PERIOD_HEADER_ROW + 1
PERIOD_FROZEN_COLUMNS = 3  # code, name and breakdown


def write_iptt(projects: Sequence[IpttProject], path: Path, as_of: dt.date) -> Path:
    """Write the IPTT workbook (one or two sheets per project) atomically; returns its path."""
    book = Workbook()
    first_sheet = book.active
    if first_sheet is not None:
        book.remove(first_sheet)
    for project in projects:
        table, quarters = iptt_table(project, as_of)
        _write_sheet(book.create_sheet(_sheet_title(project.code)), project, table, quarters, as_of)
        if project.targets is not None and not project.targets.empty:
            periods_table, periods = period_table(project, as_of)
            sheet = book.create_sheet(period_sheet_title(project.code, project.language))
            _write_period_sheet(sheet, project, periods_table, periods, as_of)
    if not projects:
        book.create_sheet("IPTT")
    return save_workbook(book, path)


def period_sheet_title(code: str, language: str) -> str:
    """The title of a project's period sheet, e.g. `TPM par période`."""
    return _sheet_title(period_words("sheet", language, code=code))


def period_header_labels(periods: Sequence[Period], language: str) -> tuple[list[str], list[str]]:
    """The two header rows of the period sheet: group labels (one per triplet), then columns."""
    fixed = [
        translate("col.code", language),
        translate("col.indicator", language),
        period_words("breakdown", language),
        iptt_words("level", language),
        iptt_words("unit", language),
        translate("col.baseline", language),
    ]
    groups = [period_words("life", language)] + [
        f"{period.label} ({format_day(period.start, language, 'short')} – "
        f"{format_day(period.end, language, 'short')})"
        for period in periods
    ]
    triplet = [period_words(word, language) for word in TRIPLET]
    return groups, fixed + triplet * len(groups)


def _sheet_title(code: str) -> str:
    """A valid sheet title from a project code (at most 31 characters, no []:*?/\\)."""
    return re.sub(r"[\[\]:*?/\\]", "-", code)[:31] or "IPTT"


def _write_sheet(
    sheet: Worksheet,
    project: IpttProject,
    table: pd.DataFrame,
    quarters: pd.PeriodIndex,
    as_of: dt.date,
) -> None:
    """Title, date, styled header, one row per indicator, note; frozen panes and widths."""
    language = _head_sheet(sheet, project, iptt_words, as_of)
    headers = header_labels(quarters, language)
    for position, text in enumerate(headers, start=1):
        _header_cell(sheet, HEADER_ROW, position, text)
    sheet.row_dimensions[HEADER_ROW].height = 32
    names = [*FIXED_BEFORE, *quarters, *FIXED_AFTER]
    _write_rows(sheet, table, names, FIRST_DATA_ROW, language)
    note_row = FIRST_DATA_ROW + len(table) + 1
    sheet.cell(row=note_row, column=1, value=iptt_words("note", language)).font = Font(
        italic=True, color="4B5563"
    )
    last_column = get_column_letter(len(headers))
    sheet.freeze_panes = f"{get_column_letter(FROZEN_COLUMNS + 1)}{FIRST_DATA_ROW}"
    sheet.auto_filter.ref = (
        f"A{HEADER_ROW}:{last_column}{max(HEADER_ROW, FIRST_DATA_ROW + len(table) - 1)}"
    )
    _widths(sheet, names)
    _page_setup(sheet, f"{HEADER_ROW}:{HEADER_ROW}")


def _head_sheet(
    sheet: Worksheet, project: IpttProject, words: Callable[..., str], as_of: dt.date
) -> str:
    """The sheet's direction, its title (the table's `title` word) and date; its language."""
    language = language_or_default(project.language)
    sheet.sheet_view.rightToLeft = is_rtl(language)
    sheet["A1"] = f"{words('title', language)} – {project.name} ({project.code})"
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = translate("as_of", language, date=format_day(as_of, language, "full"))
    return language


def _write_period_sheet(
    sheet: Worksheet,
    project: IpttProject,
    table: pd.DataFrame,
    periods: Sequence[Period],
    as_of: dt.date,
) -> None:
    """TolaData's layout: a group header over each (target, actual, % met), then the rows."""
    language = _head_sheet(sheet, project, period_words, as_of)
    groups, headers = period_header_labels(periods, language)
    for position, text in enumerate(headers, start=1):
        _header_cell(sheet, PERIOD_HEADER_ROW, position, text)
    for index, text in enumerate(groups):
        first = len(PERIOD_FIXED) + 1 + index * len(TRIPLET)
        cell = sheet.cell(row=PERIOD_GROUP_ROW, column=first, value=text)
        cell.font, cell.fill, cell.border = GROUP_FONT, GROUP_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.merge_cells(
            start_row=PERIOD_GROUP_ROW,
            start_column=first,
            end_row=PERIOD_GROUP_ROW,
            end_column=first + len(TRIPLET) - 1,
        )
    sheet.row_dimensions[PERIOD_GROUP_ROW].height = 30
    names: list[Any] = [*PERIOD_FIXED]
    for group in ["life", *(period.label for period in periods)]:
        names += [triplet_column(group, word) for word in TRIPLET]
    shown = table.assign(
        breakdown=table["breakdown"].mask(table["breakdown"].eq(""), period_words("all", language))
    )
    _write_rows(sheet, shown, names, PERIOD_FIRST_ROW, language)
    note_row = PERIOD_FIRST_ROW + len(table) + 1
    sheet.cell(row=note_row, column=1, value=period_words("note", language)).font = Font(
        italic=True, color="4B5563"
    )
    sheet.freeze_panes = f"{get_column_letter(PERIOD_FROZEN_COLUMNS + 1)}{PERIOD_FIRST_ROW}"
    _widths(sheet, names)
    _page_setup(sheet, f"{PERIOD_GROUP_ROW}:{PERIOD_HEADER_ROW}")


def _header_cell(sheet: Worksheet, row: int, column: int, text: str) -> None:
    cell = sheet.cell(row=row, column=column, value=text)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.border = BORDER
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _write_rows(
    sheet: Worksheet, table: pd.DataFrame, names: list[Any], first_row: int, language: str
) -> None:
    """The table's cells under the header, typed and formatted by column."""
    records = table[names].astype(object).where(table[names].notna(), None).to_numpy()
    for offset, values in enumerate(records):  # one row per indicator: tens, not thousands
        for position, (name, value) in enumerate(zip(names, values, strict=True), start=1):
            cell = sheet.cell(row=first_row + offset, column=position)
            cell.value = _cell_value(name, value, language)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=name in ("name", "sources"))
            cell.number_format = _number_format(name)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even "=…": never a formula


def _widths(sheet: Worksheet, names: list[Any]) -> None:
    for position, name in enumerate(names, start=1):
        width = WIDTHS.get(name, QUARTER_WIDTH) if isinstance(name, str) else QUARTER_WIDTH
        sheet.column_dimensions[get_column_letter(position)].width = width


def _page_setup(sheet: Worksheet, title_rows: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = title_rows


def _cell_value(name: object, value: Any, language: str) -> Any:
    """A table value as the cell holds it: dates as dates, statuses in words, numbers as numbers."""
    if value is None:
        return None
    if name == "target_date":
        return pd.Timestamp(value).date()
    if name == "status":
        return label(value, language)
    if isinstance(value, np.generic):
        return value.item()
    return value


def _number_format(name: object) -> str:
    """The cell format of a column."""
    if name == "target_date":
        return DATE_FORMAT
    if name == "achievement" or (isinstance(name, str) and name.endswith("|met")):
        return PERCENT_FORMAT
    if name in ("code", "level", "name", "unit", "status", "sources", "breakdown"):
        return "@"
    return NUMBER_FORMAT


__all__ = [
    "IpttProject",
    "iptt_table",
    "period_sheet_title",
    "quarter_range",
    "value_column_letter",
    "write_iptt",
]
