"""The funders' Indicator Performance Tracking Table: one sheet per project, values per quarter.

`iptt_table` is pure (one row per indicator, the cells of the sheet); `write_iptt` lays the
tables out in an .xlsx workbook a funder can read: header styling, frozen panes, widths,
percentages as real percentage cells, and for every value the sheet cells it came from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from suivi.adapters.files import save_workbook
from suivi.compute.forecast import aggregation_codes
from suivi.i18n import format_day, is_rtl, label, language_or_default, translate
from suivi.model import RawTabs
from suivi.schema import TAB_HEADERS, Tab
from suivi.sheet.clean import find_header, match_tabs

HEADER_ROW = 4  # title, date and a blank row above the table
FIRST_DATA_ROW = HEADER_ROW + 1
FROZEN_COLUMNS = 3  # code, level and name stay in view when scrolling right
DEFAULT_VALUE_COLUMN = "C"  # Valeur is the third column of the contract's Mesures tab
DATE_FORMAT = "DD/MM/YYYY"  # day first, as the team writes dates
PERCENT_FORMAT = "0%"
NUMBER_FORMAT = "General"  # shows 40 and 58.5 as they are; Excel's #,##0.## leaves "40."
HEADER_FILL = PatternFill("solid", fgColor="0B3A5E")
HEADER_FONT = Font(bold=True, color="FFFFFF")
TITLE_FONT = Font(bold=True, size=14, color="0B3A5E")
THIN = Side(style="thin", color="9CA3AF")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
# Width (characters) of each fixed column; quarter columns get QUARTER_WIDTH.
WIDTHS = {
    "code": 10, "level": 12, "name": 48, "unit": 10, "baseline": 12, "target": 12,
    "target_date": 13, "cumulative": 12, "current": 12, "achievement": 11, "status": 16,
    "sources": 34,
}  # fmt: skip
QUARTER_WIDTH = 11
PLAIN_SHEET_NAME = re.compile(r"[^\W\d]\w*")  # a name Excel reads without quotes

FIXED_BEFORE = ["code", "level", "name", "unit", "baseline", "target", "target_date"]
FIXED_AFTER = ["cumulative", "current", "achievement", "status", "sources"]

# key → (French, Arabic, English); shared column names come from suivi.i18n.
_WORDS: dict[str, tuple[str, str, str]] = {
    "title": (
        "Tableau de suivi de la performance des indicateurs (IPTT)",
        "جدول تتبع أداء المؤشرات (IPTT)",
        "Indicator Performance Tracking Table (IPTT)",
    ),
    "level": ("Niveau", "المستوى", "Level"),
    "unit": ("Unité", "الوحدة", "Unit"),
    "target_date": ("Échéance cible", "أجل الهدف", "Target date"),
    "quarter": ("T{quarter} {year}", "الربع {quarter} {year}", "Q{quarter} {year}"),
    "cumulative": ("Cumul", "المجموع التراكمي", "Cumulative"),
    "achievement": ("% réalisé", "نسبة الإنجاز", "% achieved"),
    "sources": ("Cellules sources", "الخلايا المصدر", "Source cells"),
    "note": (
        "Valeur d'un trimestre : somme des mesures du trimestre pour un indicateur en « somme », dernière mesure du trimestre pour un indicateur en « dernière » ; les désagrégations d'une même date sont additionnées. % réalisé = (valeur actuelle − référence) ÷ (cible − référence).",
        "قيمة الربع: مجموع قياسات الربع للمؤشر التراكمي، وآخر قياس في الربع للمؤشر من نوع «آخر قيمة»؛ تجمع التفصيلات الخاصة بنفس التاريخ. نسبة الإنجاز = (القيمة الحالية − القيمة المرجعية) ÷ (الهدف − القيمة المرجعية).",
        "Quarter value: the sum of the quarter's measures for a “sum” indicator, the quarter's last measure for a “latest” one; breakdowns of one date are added up. % achieved = (current − baseline) ÷ (target − baseline).",
    ),
}
_INDEX = {"fr": 0, "ar": 1, "en": 2}


@dataclass(frozen=True, eq=False)
class IpttProject:
    """One project's sheet: its indicator table and the measures behind it."""

    code: str
    name: str
    indicators: pd.DataFrame  # the indicator table of compute_indicators
    measures: pd.DataFrame  # clean measures: `row` is the sheet row of each value
    definitions: pd.DataFrame | None = None  # clean Indicateurs, for each aggregation
    language: str = "fr"
    measures_tab: str = TAB_HEADERS[Tab.MEASURES][0]  # the tab as the team named it
    value_column: str = DEFAULT_VALUE_COLUMN  # the letter of its Valeur column


def iptt_words(key: str, language: str, **values: object) -> str:
    """One of the table's own strings in `language`."""
    text = _WORDS[key][_INDEX[language_or_default(language)]]
    return text.format(**values) if values else text


def value_column_letter(tabs: RawTabs) -> str | None:
    """The letter of the `Valeur` column in the raw `Mesures` tab, or None when not found."""
    title = match_tabs(tabs).get(Tab.MEASURES)
    if title is None:
        return None
    _, mapping = find_header(tabs[title], Tab.MEASURES)
    position = next((index for index, name in mapping.items() if name == "value"), None)
    return None if position is None else get_column_letter(position + 1)


def quarter_range(first: pd.Timestamp, last: pd.Timestamp) -> pd.PeriodIndex:
    """Every quarter from the one holding `first` to the one holding `last`."""
    return pd.period_range(first.to_period("Q"), last.to_period("Q"), freq="Q")


def iptt_table(project: IpttProject, as_of: dt.date) -> tuple[pd.DataFrame, pd.PeriodIndex]:
    """One row per indicator: fixed columns, one column per quarter (Period labels), sources.

    Quarters run from the first measure's to as_of's; measures after as_of are left out.
    """
    today = pd.Timestamp(as_of).normalize()
    indicators = project.indicators.reset_index(drop=True)
    codes = indicators["code"].astype("str").str.strip()
    aggregation = aggregation_codes(indicators, project.definitions).reset_index(drop=True)
    used = _usable_measures(project.measures, today, set(codes))
    totals = used.groupby(["code", "date"], as_index=False)["value"].sum()
    totals = totals.assign(quarter=totals["date"].dt.to_period("Q"))
    first = totals["date"].min() if not totals.empty else today
    quarters = quarter_range(min(first, today), today)

    summed_codes = set(codes[aggregation.eq("sum").to_numpy()])
    summed = totals["code"].isin(summed_codes)
    # Per quarter: the sum of a "sum" indicator's dated totals, the last one of a "latest" one.
    per_quarter = pd.concat(
        [
            totals[summed.to_numpy()].groupby(["code", "quarter"])["value"].sum(),
            totals[~summed.to_numpy()]
            .sort_values("date", kind="stable")
            .groupby(["code", "quarter"])["value"]
            .last(),
        ]
    )
    grid = (
        per_quarter.unstack("quarter").reindex(columns=quarters)
        if not per_quarter.empty
        else pd.DataFrame(columns=quarters, dtype="float64")
    )
    grid = grid.reindex(codes.to_numpy())
    overall = totals.sort_values("date", kind="stable").groupby("code")["value"]
    cumulative = codes.map(overall.sum()).where(codes.isin(summed_codes), codes.map(overall.last()))

    table = pd.DataFrame(
        {
            "code": codes,
            "level": indicators.get("level"),
            "name": indicators.get("name"),
            "unit": indicators.get("unit"),
            "baseline": pd.to_numeric(indicators.get("baseline"), errors="coerce"),
            "target": pd.to_numeric(indicators.get("target"), errors="coerce"),
            "target_date": pd.to_datetime(indicators.get("target_date"), errors="coerce"),
        }
    )
    for quarter in quarters:
        table[quarter] = grid[quarter].to_numpy(dtype="float64", na_value=np.nan)
    table = table.assign(
        cumulative=cumulative.astype("float64").to_numpy(),
        current=pd.to_numeric(indicators.get("current"), errors="coerce").to_numpy(),
        achievement=pd.to_numeric(indicators.get("achievement"), errors="coerce").to_numpy(),
        status=indicators.get("status"),
        sources=codes.map(_source_cells(used, project)).to_numpy(),
    )
    return table, quarters


def write_iptt(projects: Sequence[IpttProject], path: Path, as_of: dt.date) -> Path:
    """Write the IPTT workbook (one sheet per project) atomically; returns its path."""
    book = Workbook()
    first_sheet = book.active
    if first_sheet is not None:
        book.remove(first_sheet)
    for project in projects:
        table, quarters = iptt_table(project, as_of)
        _write_sheet(book.create_sheet(_sheet_title(project.code)), project, table, quarters, as_of)
    if not projects:
        book.create_sheet("IPTT")
    return save_workbook(book, path)


def header_labels(quarters: pd.PeriodIndex, language: str) -> list[str]:
    """The header row: fixed columns, a label per quarter, then the closing columns."""
    before = [
        translate("col.code", language),
        iptt_words("level", language),
        translate("col.indicator", language),
        iptt_words("unit", language),
        translate("col.baseline", language),
        translate("col.target", language),
        iptt_words("target_date", language),
    ]
    middle = [
        iptt_words("quarter", language, quarter=quarter.quarter, year=quarter.year)
        for quarter in quarters
    ]
    after = [
        iptt_words("cumulative", language),
        translate("col.current", language),
        iptt_words("achievement", language),
        translate("col.status", language),
        iptt_words("sources", language),
    ]
    return before + middle + after


def _usable_measures(measures: pd.DataFrame, today: pd.Timestamp, codes: set[str]) -> pd.DataFrame:
    """Measures of known indicators with a date up to today and a value: code, date, value, row."""
    columns = measures.columns
    usable = pd.DataFrame(
        {
            "code": (
                measures["indicator"].astype("str").str.strip()
                if "indicator" in columns
                else pd.Series("", index=measures.index, dtype="str")
            ),
            "date": pd.to_datetime(
                measures["date"] if "date" in columns else pd.Series(pd.NaT, index=measures.index),
                errors="coerce",
            ).dt.normalize(),
            "value": pd.to_numeric(
                measures["value"] if "value" in columns else pd.Series(np.nan, measures.index),
                errors="coerce",
            ),
            "row": pd.to_numeric(
                measures["row"] if "row" in columns else pd.Series(np.nan, measures.index),
                errors="coerce",
            ),
        }
    )
    keep = (
        usable["code"].isin(codes)
        & usable["date"].notna()
        & (usable["date"] <= today)
        & usable["value"].notna()
    )
    return usable[keep.to_numpy()].astype({"date": "datetime64[ns]", "value": "float64"})


def _source_cells(used: pd.DataFrame, project: IpttProject) -> pd.Series:
    """Per indicator code: `Mesures!C5:C7, C9`, the value cells its figures add up."""
    located = used.dropna(subset=["row"]).astype({"row": "int64"})
    if located.empty:
        return pd.Series(dtype="str")
    located = located.drop_duplicates(["code", "row"]).sort_values(["code", "row"], kind="stable")
    # Consecutive rows of one indicator make one range: a new range where the run breaks.
    breaks = (located["code"] != located["code"].shift()) | (
        located["row"] != located["row"].shift() + 1
    )
    runs = (
        located.assign(run=breaks.cumsum())
        .groupby("run")
        .agg(code=("code", "first"), first=("row", "min"), last=("row", "max"))
    )
    letter = project.value_column
    ranges = (letter + runs["first"].astype("str")).where(
        runs["first"] == runs["last"],
        letter + runs["first"].astype("str") + ":" + letter + runs["last"].astype("str"),
    )
    joined = ranges.groupby(runs["code"]).agg(", ".join)
    return _sheet_reference(project.measures_tab) + "!" + joined


def _sheet_reference(title: str) -> str:
    """A tab name as a formula reference writes it: quoted only when it must be."""
    if PLAIN_SHEET_NAME.fullmatch(title):
        return title
    return "'" + title.replace("'", "''") + "'"


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
    language = language_or_default(project.language)
    sheet.sheet_view.rightToLeft = is_rtl(language)
    sheet["A1"] = f"{iptt_words('title', language)} – {project.name} ({project.code})"
    sheet["A1"].font = TITLE_FONT
    sheet["A2"] = translate("as_of", language, date=format_day(as_of, language, "full"))
    headers = header_labels(quarters, language)
    for position, text in enumerate(headers, start=1):
        cell = sheet.cell(row=HEADER_ROW, column=position, value=text)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.row_dimensions[HEADER_ROW].height = 32
    names = [*FIXED_BEFORE, *quarters, *FIXED_AFTER]
    records = table[names].astype(object).where(table[names].notna(), None).to_numpy()
    for offset, values in enumerate(records):  # one row per indicator: tens, not thousands
        for position, (name, value) in enumerate(zip(names, values, strict=True), start=1):
            cell = sheet.cell(row=FIRST_DATA_ROW + offset, column=position)
            cell.value = _cell_value(name, value, language)
            cell.border = BORDER
            cell.alignment = Alignment(vertical="top", wrap_text=name in ("name", "sources"))
            cell.number_format = _number_format(name)
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text stays text, even "=…": never a formula
    note_row = FIRST_DATA_ROW + len(table) + 1
    sheet.cell(row=note_row, column=1, value=iptt_words("note", language)).font = Font(
        italic=True, color="4B5563"
    )
    last_column = get_column_letter(len(headers))
    sheet.freeze_panes = f"{get_column_letter(FROZEN_COLUMNS + 1)}{FIRST_DATA_ROW}"
    sheet.auto_filter.ref = (
        f"A{HEADER_ROW}:{last_column}{max(HEADER_ROW, FIRST_DATA_ROW + len(table) - 1)}"
    )
    for position, name in enumerate(names, start=1):
        width = WIDTHS.get(name, QUARTER_WIDTH) if isinstance(name, str) else QUARTER_WIDTH
        sheet.column_dimensions[get_column_letter(position)].width = width
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"


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
    if name == "achievement":
        return PERCENT_FORMAT
    if name in ("code", "level", "name", "unit", "status", "sources"):
        return "@"
    return NUMBER_FORMAT


__all__ = [
    "IpttProject",
    "header_labels",
    "iptt_table",
    "iptt_words",
    "quarter_range",
    "value_column_letter",
    "write_iptt",
]
