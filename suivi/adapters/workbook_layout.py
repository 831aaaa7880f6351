"""A team's tracking workbook (.xlsx) made by suivi: the same layout as the Google Sheet."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import openpyxl
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from suivi.schema import column_letter
from suivi.sheet.layout import DATE_PATTERN, NUMBER_PATTERN, PERCENT_PATTERN, ColumnPlan, TabPlan

LAST_ROW = 1000
EXCEL_FORMATS = {"date": DATE_PATTERN.upper(), "percent": PERCENT_PATTERN, "number": NUMBER_PATTERN}


def create_workbook(path: Path, plans: Sequence[TabPlan], messages: dict[str, str]) -> None:
    """Write a new workbook; never overwrites (FileExistsError)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for plan in plans:
        sheet = book.create_sheet(plan.title)
        if plan.owned:
            sheet.protection.sheet = True  # no password: Excel warns, the officer may unprotect
            sheet["A1"] = messages["owned"]
            continue
        sheet.append([column.header for column in plan.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
        for position, column in enumerate(plan.columns, start=1):
            _lay_out(sheet, column_letter(position), column, messages)
    with path.open("xb") as file:  # "x": refuse to replace a file that appeared meanwhile
        book.save(file)


def _lay_out(sheet: Worksheet, letter: str, column: ColumnPlan, messages: dict[str, str]) -> None:
    """Width, number format and validation of one column below its header."""
    dimension = sheet.column_dimensions[letter]
    dimension.width = max(12, len(column.header) + 4)
    if column.rule in EXCEL_FORMATS:  # the column's style: cells typed later take it
        dimension.number_format = EXCEL_FORMATS[column.rule]
    validation: DataValidation | None = None
    if column.rule == "choice":
        validation = DataValidation(type="list", formula1='"' + ",".join(column.choices) + '"')
        validation.prompt = messages["choice"]
    elif column.rule == "date":
        validation = DataValidation(type="date", operator="greaterThan", formula1="1")
        validation.prompt = messages["date"]
    elif column.rule == "percent":
        validation = DataValidation(type="decimal", operator="between", formula1="0", formula2="1")
        validation.prompt = messages["percent"]
    if validation is not None:
        validation.error = validation.prompt
        validation.showErrorMessage = True
        validation.showInputMessage = True
        validation.add(f"{letter}2:{letter}{LAST_ROW}")
        sheet.add_data_validation(validation)
